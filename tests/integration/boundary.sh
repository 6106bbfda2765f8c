#!/bin/bash
# lind-run is the boundary: whatever it starts is confined from its first
# instruction.  Code that runs before client-libc's constructor (preinit,
# a constructor of priority 100, a -nostartfiles entry point) and programs
# without client-libc at all (a static native build, busybox-static) make
# their calls to the server: their getpid is the cage's, the files they
# create land in the virtual filesystem, and the host directory of the same
# path stays empty.  Dynamic programs (a lind-cc build, a host binary) load
# their libraries through the server and need posix-server --host-root.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/scripts"
SERVER_ARGS+=(--bind "$T/scripts:$T/scripts")
start_daemons || exit 1
build_tool
EARLY="$LIND_SRC/tests/integration/progs/early.c"
"$LIND_CC" -O1 -static -o "$T/bin/early.lind-static" "$EARLY" 2>"$T/bin/early.err" &&
	"$LIND_CC" -O1 -o "$T/bin/early.lind-dynamic" "$EARLY" 2>>"$T/bin/early.err" &&
	cc -O1 -static -o "$T/bin/early.native-static" "$EARLY" 2>>"$T/bin/early.err" &&
	cc -O1 -static -nostartfiles -DNOSTART -o "$T/bin/early.nostart" "$EARLY" \
		2>>"$T/bin/early.err" || {
	echo "Bail out! early.c does not build"
	cat "$T/bin/early.err" >&2
	exit 1
}

# vdir PATH: the host path PATH made in the virtual filesystem too
vdir() {
	local p= part
	local IFS=/
	for part in $1; do
		[ -n "$part" ] || continue
		p="$p/$part"
		cage mkdir "$p" 0755 2>/dev/null
	done
	IFS=' '
}

# early_run VARIANT STAGES...: the variant's stages all ran in the cage
early_run() {
	local v=$1 dir="$T/host-$1"
	shift
	mkdir -p "$dir"
	vdir "$dir"
	"$LIND_RUN" "$T/bin/early.$v" "$dir" >"$T/$v.out" 2>"$T/$v.err"
	local st=$? want
	want=$(printf '%s\n' "$@")
	expect_eq "$v: every stage ran, in order, status 0" "$want 0" \
		"$(cut -d' ' -f1 "$T/$v.out") $st"
	expect_eq "$v: every stage saw the cage's one virtual pid" 1 \
		"$(awk '{print $3}' "$T/$v.out" | sort -u | wc -l)"
	expect_eq "$v: every stage's file is in the virtual filesystem" \
		"$(printf '%s\n' "$@" | sort)" "$(cage ls "$dir")"
	expect_eq "$v: nothing reached the host directory" "" "$(ls -A "$dir")"
}
early_run lind-static preinit ctor100 main
early_run lind-dynamic preinit ctor100 main
early_run native-static preinit ctor100 main
early_run nostart nostartfiles

if [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q static; then
	expect_eq "busybox-static runs as a cage" "hi from busybox" \
		"$("$LIND_RUN" /bin/busybox echo hi from busybox)"
	"$LIND_RUN" /bin/busybox sh -c "echo made-in-cage > $T/host-bb" 2>"$T/bb.err"
	expect_eq "... its shell writes to the virtual filesystem" made-in-cage \
		"$(cage cat "$T/host-bb")"
	check "... not to the host" test ! -e "$T/host-bb"
else
	ok "busybox-static # SKIP /bin/busybox is not busybox-static (apt-get install busybox-static)"
fi

# A dynamic host program: ld.so and libc come through the server's bound
# /usr (--host-root); what it writes lands in the virtual filesystem.
expect_eq "a dynamic host program runs as a cage" "hi from /bin/echo" \
	"$("$LIND_RUN" /bin/echo hi from /bin/echo)"
"$LIND_RUN" /bin/sh -c "echo from-dash > $T/host-dash; echo \$\$" >"$T/dash.out"
expect_eq "... /bin/sh writes to the virtual filesystem" from-dash \
	"$(cage cat "$T/host-dash")"
check "... not to the host" test ! -e "$T/host-dash"
expect_eq "... and its pid is the cage's" 1 "$(awk '$1 < 100000' "$T/dash.out" | wc -l)"

# A #! script: lind-run reads its first line on the host and runs the
# interpreter with the script's path, which the interpreter opens in the
# virtual filesystem (here under a bound directory).
printf '#!/bin/sh -e\necho "script $0 $1 $2"\n' >"$T/scripts/run.sh"
chmod +x "$T/scripts/run.sh"
expect_eq "a #! script runs through its interpreter" "script $T/scripts/run.sh a b" \
	"$("$LIND_RUN" "$T/scripts/run.sh" a b 2>&1)"

# What lind-run cannot load: one line, 126, no cage.
printf '\x7fELF garbage' >"$T/bin/bad" && chmod +x "$T/bin/bad"
expect_eq "a broken ELF file: 126" 126 "$("$LIND_RUN" "$T/bin/bad" 2>/dev/null; echo $?)"
cc -m32 -O1 -o "$T/bin/i386" "$LIND_SRC/tests/cases/exit_status.c" 2>/dev/null &&
	expect_eq "a 32-bit program: 126" 126 "$("$LIND_RUN" "$T/bin/i386" 2>/dev/null; echo $?)"
expect_eq "the daemons still serve cages" "looped 3" "$(cage loop 3 /)"

# The allow-list is one table, every row with its reason; what it lets
# through never includes a call that names a path, a host fd or a pid.
"$LIND_RUN" --allow-list >"$T/allow.txt"
expect_eq "--allow-list: every row has a number, a name and a reason" 0 \
	"$(awk 'NF < 3 || $1 !~ /^[0-9]+$/' "$T/allow.txt" | wc -l)"
for call in open openat execve connect socket ptrace mount unshare bpf io_uring_setup process_vm_writev seccomp prctl; do
	if grep -qw "$call" <(awk '{print $2}' "$T/allow.txt"); then
		not_ok "--allow-list lets $call through"
	else
		ok "--allow-list does not let $call through"
	fi
done
