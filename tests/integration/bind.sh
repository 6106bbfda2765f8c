#!/bin/bash
# posix-server --bind and --host-root: a host tree shown read-only.  The
# same program walks, reads and lists it natively and as a cage (same
# output, st_dev aside); every change is EROFS with Linux's precedence
# (checked against a real read-only bind mount when we may make one);
# nothing outside the bind is reachable, proven from the host: a canary
# file's atime never moves while cages try.
. "$(dirname "$0")/lib.sh"
build bindwalk "$LIND_SRC/tests/integration/progs/bindwalk.c" || {
	echo "Bail out! bindwalk does not build"
	cat "$T"/bin/bindwalk.*.err >&2
	exit 1
}
NATIVE="$T/bin/bindwalk.native"
bw() { "$LIND_RUN" "$T/bin/bindwalk.lind" "$@"; }

# The tree: VIRT is HOST's own path, so absolute links mean the same
# inside and out.  main/ is compared with the native run; esc/ holds the
# ways out, and canary is the file outside they aim at.
H="$T/host"
M="$H/tree/main"
mkdir -p "$M/sub/deep" "$M/empty" "$H/tree/esc"
echo hello >"$M/a.txt"
head -c 100000 /dev/urandom >"$M/sub/big"
echo deep >"$M/sub/deep/f"
ln -s a.txt "$M/rel"
ln -s "$M/sub" "$M/abs"
ln -s ../a.txt "$M/sub/up"
ln -s nowhere "$M/dangle"
ln -s loop2 "$M/loop1"
ln -s loop1 "$M/loop2"
ln -s deep/../../a.txt "$M/sub/dots"
echo root-only >"$M/secret"
chmod 600 "$M/secret"
mkfifo "$M/fifo"
echo "CANARY-$$-$RANDOM" >"$H/canary"
ln -s ../../canary "$H/tree/esc/rel"
ln -s ../../../../../../../../../../../../"$H"/canary "$H/tree/esc/deep"
ln -s "$H/canary" "$H/tree/esc/abs"
ln -s / "$H/tree/esc/root"
touch -a -d '2001-01-01' "$H/canary" # relatime: the next read moves it
canary_atime() { stat -c %X "$H/canary"; }
atime0=$(canary_atime)

expect_eq "a relative HOST is refused, one line, exit 2" "2 1" \
	"$("$SERVER" --bind tree:/x 2>"$T/err" >/dev/null; echo $? "$(wc -l <"$T/err")")"
expect_eq "... a missing HOST" "2 1" \
	"$("$SERVER" --bind "$H/none:/x" 2>"$T/err" >/dev/null; echo $? "$(wc -l <"$T/err")")"
expect_eq "... a suffix other than :ro" "2 1" \
	"$("$SERVER" --bind "$H/tree:/x:rw" 2>"$T/err" >/dev/null; echo $? "$(wc -l <"$T/err")")"
expect_eq "... a relative VIRT" "2 1" \
	"$("$SERVER" --bind "$H/tree:x" 2>"$T/err" >/dev/null; echo $? "$(wc -l <"$T/err")")"

GRP=4242 # relay.sock's group, for the uid 1001 cage
chmod 711 "$T"
chmod -R a+rX "$T/bin"
start_server --bind "$H/tree:$H/tree:ro" --bind "$M/a.txt:/one" || exit 1
start_daemon "$RELAY" "$T/relay.log" "$LIND_RUNTIME_DIR/relay.sock" \
	--socket-group "$GRP" || exit 1
relay_pid=$daemon_pid

check "a cage walks the tree as natively (lstat, stat, readlink, getdents, read)" \
	diff <("$NATIVE" walk "$M") <(bw walk "$M")
[ "$(bw walk "$M" | wc -l)" -ge 14 ] && grep -q "rel: .* -> a.txt" <(bw walk "$M")
check "... (and the walk saw every entry)" test $? = 0
expect_eq "cwd inside the bind, .. out of it, fchdir back" \
	"$("$NATIVE" cwd "$M/sub/deep" ../../..)" "$(bw cwd "$M/sub/deep" ../../..)"
expect_eq "fstat, fstatat(AT_EMPTY_PATH), pread, lseek on a bound file" \
	"$("$NATIVE" fd "$M/sub/dots")" "$(bw fd "$M/sub/dots")"
expect_eq "a single file bound" hello "$(bw cat /one)"
d_store=$(bw dev /) d_tree=$(bw dev "$M") d_one=$(bw dev /one)
check "st_dev: one per bind, not the store's ($d_store $d_tree $d_one)" \
	test "$d_store" != "$d_tree" -a "$d_tree" != "$d_one" -a "$d_one" != "$d_store"
expect_eq "st_ino is the host's" "$(stat -c %i "$M/a.txt")" \
	"$(bw walk "$M" | sed -n 's|^a.txt: l=[^/]*/[^/]*/[^/]*/[^/]*/[^/]*/\([0-9]*\)/.*|\1|p')"
expect_eq "the bound path shows in its parent's listing" \
	"tree: l=40755" "$(bw walk "$H" | grep -o '^tree: l=[0-7]*')"

# Every change answers EROFS, with the errno Linux gives first.
OPS="mkdir rmdir unlink unlinkat-dir creat rdwr wronly trunc create
create-rdonly excl rdonly nofollow directory access-w access-r access-x
readlink readlinkat stat lstat write ftruncate symlink opath"
PATHS="a.txt sub missing rel dangle sub/. sub/.. . rel/ loop1 sub/up/x"
tries() { # tries RUNNER...: every op on every path (one process)
	"$@" tries "$M" $OPS -- $PATHS
}
bw_as_1001() { setpriv --reuid 1001 --regid 1001 --groups "$GRP" "$LIND_RUN" "$T/bin/bindwalk.lind" "$@"; }
native_as_1001() { setpriv --reuid 1001 --regid 1001 --clear-groups "$NATIVE" "$@"; }
tries bw >"$T/cage.try"
expect_eq "EROFS for each change" \
	"mkdir: EROFS creat: EROFS rdwr: EROFS trunc: EROFS unlink: EROFS rmdir: EROFS excl: EROFS" \
	"$(for op in mkdir creat rdwr trunc unlink rmdir excl; do
		bw try $op "$M/$([ $op = mkdir ] || [ $op = excl ] && echo new || echo a.txt)" |
			sed "s|.*/[a-z.]*:|$op:|"
	done | tr '\n' ' ' | sed 's/ $//')"
if command -v unshare >/dev/null && [ "$(id -u)" = 0 ] &&
	unshare -m true 2>/dev/null; then
	# the same calls natively, on a real read-only bind mount there
	ro_mount() {
		unshare -m bash -c 'mount --bind -o ro "$1" "$1" && shift && "$@"' \
			_ "$H/tree" "$@"
	}
	export -f tries native_as_1001
	export OPS PATHS M NATIVE
	ro_mount bash -c 'tries "$NATIVE"' >"$T/native.try"
	check "errnos as a read-only bind mount's ($(wc -l <"$T/cage.try") calls)" \
		diff "$T/native.try" "$T/cage.try"
	tries bw_as_1001 >"$T/cage1001.try"
	ro_mount bash -c 'tries native_as_1001' >"$T/native1001.try"
	check "... and for uid 1001" diff "$T/native1001.try" "$T/cage1001.try"
else
	ok "errnos as a read-only bind mount's # SKIP needs root and unshare -m"
fi

expect_eq "uid 1001: the root-only 0600 file is EACCES" \
	"cat $M/secret: EACCES" "$(bw_as_1001 cat "$M/secret")"
check "... and a uid 1001 walk is the native one" \
	diff <(native_as_1001 walk "$M") <(bw_as_1001 walk "$M")
expect_eq "root reads it" root-only "$(bw cat "$M/secret")"
expect_eq "a FIFO in a bind is not opened" \
	"nonblock $M/fifo: EACCES" "$(bw try nonblock "$M/fifo")"

# Ways out: links relative, deep, absolute, through "/", "..", cwd.
out=$(for l in rel deep abs root/"$H"/canary; do bw cat "$H/tree/esc/$l"; done
	bw cat "$H/tree/../canary"
	bw cat "$M/../../canary"
	bw cat "$M/../../../../../../../../../../../../$H/canary"
	bw cwd "$H/tree" ..; bw cat "$H/canary")
expect_eq "no way out reaches the canary" "" "$(grep CANARY <<<"$out")"
expect_eq "... each is ENOENT" 8 "$(grep -c ': ENOENT$' <<<"$out")"
# Links the cage makes in the store: absolute targets are virtual paths,
# and ".." stops at the virtual root.
"$LIND_RUN" /bin/ln -s "$H/canary" /tmp/esc-abs
"$LIND_RUN" /bin/ln -s ../../../../../../../../../../../.."$H"/canary /tmp/esc-rel
"$LIND_RUN" /bin/ln -s "$H/tree/esc/abs" /tmp/esc-via
out=$(for l in abs rel via; do bw cat /tmp/esc-$l; done)
expect_eq "a store link reaches no host file: each is ENOENT" \
	"cat /tmp/esc-abs: ENOENT cat /tmp/esc-rel: ENOENT cat /tmp/esc-via: ENOENT" \
	"$(echo $out)"
expect_eq "... proven from the host: the canary's atime did not move" \
	"$atime0" "$(canary_atime)"
cat "$H/canary" >/dev/null
check "... (a native read does move it: the proof can fail)" \
	test "$(canary_atime)" != "$atime0"
expect_eq "another cage is served throughout" "stat /: ok" "$(bw try stat /)"
stop_daemons

# --host-root: what a dynamically linked program needs, no secrets.
start_server && start_relay || exit 1  # SERVER_ARGS has --host-root
expect_eq "--host-root: /etc/passwd is the host's" \
	"$(cat /etc/passwd)" "$(bw cat /etc/passwd)"
expect_eq "... /etc/shadow is not there" "stat /etc/shadow: ENOENT" \
	"$(bw try stat /etc/shadow)"
expect_eq "... /etc lists only the allowed files" "" \
	"$(bw walk /etc | grep -v '^ ' | cut -d: -f1 | grep -vxE \
		'passwd|group|hosts|host.conf|nsswitch.conf|resolv.conf|localtime|timezone|ld.so.cache|ld.so.conf|ld.so.conf.d|os-release|debian_version|mime.types|locale.alias|services|protocols')"
if [ -e /usr/lib/os-release ]; then
	expect_eq "... /usr/lib/os-release is readable" \
		"$(cat /usr/lib/os-release)" "$(bw cat /usr/lib/os-release)"
fi
libc=/lib/x86_64-linux-gnu/libc.so.6
if [ -e "$libc" ]; then
	expect_eq "... $libc stat-able (through the /lib link)" \
		"stat $libc: ok" "$(bw try stat "$libc")"
fi
if [ -L /bin ]; then
	expect_eq "... /bin is the host's symlink" "$(readlink /bin)" \
		"$(bw link /bin)"
fi
expect_eq "... and read-only" "mkdir /usr/x: EROFS" "$(bw try mkdir /usr/x)"
