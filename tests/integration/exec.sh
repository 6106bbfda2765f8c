#!/bin/bash
# execve, execveat, fexecve in a cage (lind-run's userspace exec,
# client-libc/exec.c) against native runs of the same program on the same
# paths: the test's directories are bound read-only into the virtual
# filesystem at their host paths, so every path names the same file
# natively and in the cage.  Static and dynamic lind-cc programs exec each
# other and what execve keeps or drops is shown by the last image; every
# errno of the path, argv and format checks is compared with native; a
# failed execve returns and the program goes on; a host binary through
# --host-root execs; a hostile program's bad pointers and absurd argv get
# EFAULT/E2BIG and the daemons keep serving.
. "$(dirname "$0")/lib.sh"

build exec_cage "$LIND_SRC/tests/integration/progs/exec_cage.c" &&
	"$LIND_CC" -std=gnu11 -O1 -static -o "$T/bin/exec_cage.static" \
		"$LIND_SRC/tests/integration/progs/exec_cage.c" \
		2>"$T/bin/exec_cage.static.err" || {
	echo "Bail out! exec_cage does not build"
	cat "$T"/bin/exec_cage.*.err >&2
	exit 1
}
build_tool
NAT="$T/bin/exec_cage.native"
DYN="$T/bin/exec_cage.lind"
STA="$T/bin/exec_cage.static"

# The tree the errno checks walk, made on the host and bound as is.
X="$T/x"
mkdir -p "$X/dir"
printf 'hello\n' >"$X/file.txt"
printf '#!/bin/echo from-script\n' >"$X/echo.sh"
printf '#!%s/none/interp\n' "$X" >"$X/badinterp.sh"
printf '#!\n' >"$X/empty.sh"
printf '#!%s nest-arg\n' "$X/echo.sh" >"$X/nested.sh"
printf '#!%s\n' "$X/self.sh" >"$X/self.sh"
for i in 1 2 3 4 5; do
	printf '#!%s\n' "$X/deep$((i - 1)).sh" >"$X/deep$i.sh"
done
cp "$X/echo.sh" "$X/deep0.sh"
printf 'not a program\n' >"$X/junk"
printf '\177ELF\002\001\001' >"$X/elfjunk"
cp "$NAT" "$X/nox"
chmod 755 "$X"/*.sh "$X/junk" "$X/elfjunk"
chmod 644 "$X/nox"
ln -s loop2 "$X/loop1"
ln -s loop1 "$X/loop2"
ln -s "$DYN" "$X/link"
LONG="$X/$(head -c 5000 /dev/zero | tr '\0' a)"

start_daemons_bound() {
	start_server --bind "$T/bin:$T/bin:ro" --bind "$X:$X:ro" &&
		start_relay
}
start_daemons_bound || exit 1

# both NAME ARGS...: exec_cage natively and (lind-cc dynamic) in a cage,
# from /, as $RUN_AS (a user switch, or nobody); same output and status.
RUN_AS=
both() {
	local name=$1
	shift
	(cd / && $RUN_AS "$NAT" "$@") >"$T/native.out" 2>&1
	echo "status $?" >>"$T/native.out"
	(cd / && $RUN_AS "$LIND_RUN" "$DYN" "$@") >"$T/cage.out" 2>&1
	echo "status $?" >>"$T/cage.out"
	if cmp -s "$T/native.out" "$T/cage.out"; then
		ok "$name: as native ($(head -1 "$T/native.out" | cut -c1-60))"
	else
		not_ok "$name: differs from native"
		diff -u "$T/native.out" "$T/cage.out" | head -30 | diag
	fi
}

# ---- images exec each other; what execve keeps and drops ----------------
(cd / && "$NAT" chain "$X/file.txt" "$NAT" "$NAT") >"$T/native.out" 2>&1
echo "status $?" >>"$T/native.out"
expect_eq "native reference: the last image exits 42" "status 42" \
	"$(tail -1 "$T/native.out")"
for hops in "$DYN $STA $DYN" "$STA $DYN $STA" "$STA $STA $STA" \
	"$DYN $DYN $NAT"; do
	set -- $hops
	(cd / && "$LIND_RUN" "$1" chain "$X/file.txt" "$2" "$3") \
		>"$T/cage.out" 2>&1
	echo "status $?" >>"$T/cage.out"
	name="exec ${1##*.} -> ${2##*.} -> ${3##*.}"
	if cmp -s "$T/native.out" "$T/cage.out"; then
		ok "$name: argv, envp, fds, cwd, umask, signals as native; lind-run exits with the last image's 42"
	else
		not_ok "$name: differs from native"
		diff -u "$T/native.out" "$T/cage.out" | head -30 | diag
	fi
done

# ---- errors: Linux's errno, and the program goes on ---------------------
both "ENOENT" errno "$X/none"
both "ENOENT for an empty path" errno ""
both "ENOTDIR" errno "$X/file.txt/x"
both "EACCES without the execute bit" errno "$X/nox"
both "EACCES for a directory" errno "$X/dir"
both "EACCES for a device" errno /dev/null
both "ENOEXEC for an unknown format" errno "$X/junk"
both "ENOEXEC for a truncated ELF" errno "$X/elfjunk"
both "ELOOP" errno "$X/loop1"
both "ENAMETOOLONG" errno "$LONG"
both "#! script with its interpreter in the virtual filesystem" errno "$X/echo.sh"
both "#! script whose interpreter is missing: ENOENT" errno "$X/badinterp.sh"
both "#! naming nothing: ENOEXEC" errno "$X/empty.sh"
both "#! whose interpreter is a script" errno "$X/nested.sh"
both "#! five scripts deep (deep4 .. deep0)" errno "$X/deep4.sh"
both "#! six scripts deep: ELOOP" errno "$X/deep5.sh"
both "#! naming itself: ELOOP" errno "$X/self.sh"
both "a symlink to a program execs it" errno "$X/link"
both "execveat relative to a directory fd" at "$X" echo.sh 0
both "execveat AT_EMPTY_PATH on a directory: EACCES" at "$X" "" 0x1000
both "execveat AT_SYMLINK_NOFOLLOW on a link: ELOOP" at "$X" loop1 0x100
both "fexecve of a program" fexec "$T/bin/exec_cage.native"
both "fexecve of a script (/dev/fd/N)" fexec "$X/echo.sh"
both "fexecve of a close-on-exec script: ENOENT" fexec "$X/echo.sh" cloexec
both "exec from a cage with 4 more threads (parked, spinning, cond, asleep)" \
	threads "$NAT"
expect_eq "the same from a static cage to a static program" \
	"$(cd / && "$NAT" threads "$NAT" 2>&1; echo "status $?")" \
	"$(cd / && "$LIND_RUN" "$STA" threads "$STA" 2>&1; echo "status $?")"
both "hostile: bad pointers EFAULT, absurd argv E2BIG, then goes on" hostile

# A program in the store (not a bind): copied in by a host program in a
# cage, then its mode decides.
"$LIND_RUN" /bin/cp "$STA" /tmp/prog-in-store >/dev/null 2>&1
expect_eq "a static program copied into the store execs" \
	"$(printf 'argc 0:\nEXEC_VAR=-')" \
	"$("$LIND_RUN" "$DYN" fexec /tmp/prog-in-store 2>&1 | head -2)"
"$LIND_RUN" /bin/chmod 644 /tmp/prog-in-store
expect_eq "and gives EACCES once chmod 644" \
	"/tmp/prog-in-store: EACCES" \
	"$("$LIND_RUN" "$DYN" errno /tmp/prog-in-store 2>&1 | head -1)"

expect_eq "lind-run --deny exec: EPERM, and the program goes on" \
	"$(printf '%s: EPERM\nstill running' "$STA")" \
	"$("$LIND_RUN" --deny exec "$DYN" errno "$STA" 2>&1)"

# ---- host binaries through --host-root ------------------------------------
expect_eq "/bin/echo from a lind-cc program" "from-script $X/echo.sh" \
	"$("$LIND_RUN" "$STA" errno "$X/echo.sh" 2>&1)"
expect_eq "a host program execs a lind-cc one (sh -c exec)" \
	"argc 1: [x]" \
	"$("$LIND_RUN" /bin/sh -c "exec $STA show x" 2>&1 | head -1)"
expect_eq "a host shell forks, its child cage execs, the shell goes on" \
	"$(printf 'argc 1: [x]\nstatus 3')" \
	"$("$LIND_RUN" /bin/sh -c "$STA show x | head -1; (exit 3); echo status \$?" 2>&1)"
both "posix_spawn and system of a lind-cc program" spawn "$STA"
both "posix_spawn and system of a host program" spawn /bin/echo

# ---- after the hostile run, the daemons serve a normal cage ----------------
"$LIND_RUN" "$STA" hostile >/dev/null 2>&1
check "daemons still serve another cage" \
	bash -c '"$1" "$2" id | grep -q "^uid "' _ "$LIND_RUN" "$TOOL"
check "server and relay still running" kill -0 "$server_pid" "$relay_pid"

# ---- a cage started directly has no loader: ENOSYS with one line ------------
expect_eq "a directly started cage: ENOSYS" \
	"$(printf 'lind: execve needs a cage started by lind-run (ENOSYS)\n/bin/true: ENOSYS')" \
	"$("$DYN" errno /bin/true 2>&1 | head -2)"

# ---- execute but no read permission (--x), as a user other than root -------
# Linux runs a program its user may execute but not read; the loader in the
# cage gets it opened by the server (lind_openexec), which checks the
# execute bit, while a plain open for reading still gets EACCES.
if can_switch_user; then
	mkdir -p "$T/xonly"
	cp "$NAT" "$T/xonly/prog"
	chmod 711 "$T/xonly/prog"
	chmod 755 "$T/xonly" "$X"
	share_daemons --bind "$T/bin:$T/bin:ro" --bind "$X:$X:ro" \
		--bind "$T/xonly:$T/xonly:ro" || exit 1
	RUN_AS="as_user 1001"
	both "--x, uid 1001: execveat runs it" at "$T/xonly" prog 0
	both "--x, uid 1001: open for fexecve refused (fexecve(-1): EINVAL)" fexec "$T/xonly/prog"
	RUN_AS=
	LIND_FS="$LIND_BUILD/lind-fs"
	"$LIND_FS" mkdir -p :/xo && "$LIND_FS" cp "$T/xonly/prog" :/xo/prog
	expect_eq "--x in the store, uid 1001: execveat runs it as the bound one" \
		"$(cd / && as_user 1001 "$NAT" at "$T/xonly" prog 0 2>&1)" \
		"$(cd / && as_user 1001 "$LIND_RUN" "$DYN" at /xo prog 0 2>&1)"
	expect_eq "--x in the store: cat by uid 1001 is refused" \
		"$(as_user 1001 /bin/cat "$T/xonly/prog" 2>&1 >/dev/null | sed "s|$T/xonly|D|")" \
		"$(as_user 1001 "$LIND_RUN" /bin/cat /xo/prog 2>&1 >/dev/null | sed "s|/xo|D|")"
	chmod 700 "$T/xonly/prog"
	"$LIND_FS" cp "$T/xonly/prog" :/xo/prog700
	expect_eq "rwx------ (root's), uid 1001: EACCES as natively" \
		"$(cd / && as_user 1001 "$NAT" errno "$T/xonly/prog" 2>&1)" \
		"$(cd / && as_user 1001 "$LIND_RUN" "$DYN" errno /xo/prog700 2>&1 | sed "s|/xo/prog700|$T/xonly/prog|")"
	# lind_openexec called raw by a hostile cage: nothing beyond --x
	openexec() { as_user 1001 "$LIND_RUN" "$STA" openexec "$@" 2>&1; }
	expect_eq "hostile lind_openexec, uid 1001: rwx------ of root's: EACCES" \
		EACCES "$(openexec /xo/prog700 0)"
	expect_eq "... a directory: EACCES" EACCES "$(openexec /xo 0)"
	expect_eq "... unknown flags: EINVAL" EINVAL "$(openexec /xo/prog 0x1000)"
	expect_eq "... --x: an fd for the loader" "fd, readable" \
		"$(openexec /xo/prog 0)"
	expect_eq "daemons still serve uid 1001's cages" 1 \
		"$(as_user 1001 "$LIND_RUN" "$TOOL" id | grep -c '^uid ')"
else
	ok "--x execs # SKIP needs root and setpriv to act as another user"
fi
