#!/bin/bash
# fork's hostile cases (the ordinary ones are tests/cases/fork.c, compared
# with the host by cases.sh): a fork token works once and only for its own
# parent, a child that dies before attaching is collected as killed, a fork
# bomb stops at --limit procs with EAGAIN while another cage keeps working,
# and afterwards the daemons hold as many fds as before.
. "$(dirname "$0")/lib.sh"
start_server --limit procs=12 && start_relay || exit 1
"$LIND_CC" -std=gnu11 -O1 -o "$T/bin/fork_cage.lind" \
	"$LIND_SRC/tests/integration/progs/fork_cage.c" 2>"$T/fork_cage.err" || {
	diag "$T/fork_cage.err"
	echo "Bail out! fork_cage does not build"
	exit 1
}
build files_basic "$CASES/files_basic.c" || exit 1
FC="$T/bin/fork_cage.lind"
fds() { ls "/proc/$1/fd" | wc -l; }
# a first fork warms up what the daemons keep (the relay's thread pool...)
"$LIND_RUN" "$FC" foreign >/dev/null 2>&1
server_fds=$(fds "$server_pid")
relay_fds=$(fds "$relay_pid")

out=$("$LIND_RUN" "$FC" reuse 2>"$T/reuse.err")
expect_eq "a token attaches once, then is refused" \
	"first use: attached
second use: refused" "$out"
check "the refusal names the reason" grep -q "no such forked child" "$T/reuse.err"

out=$("$LIND_RUN" "$FC" foreign 2>"$T/foreign.err")
expect_eq "a made-up token on a fork connection is refused" \
	"made-up token: refused" "$out"

out=$("$LIND_RUN" "$FC" garbage 2>&1)
expect_eq "junk on the attach socket: the relay kills the cage" \
	"137" "$?"
check "and says why in its log" grep -q "not a fork request" "$T/relay.log"

out=$("$LIND_RUN" "$FC" unattached 2>&1)
expect_eq "a child that dies before attaching is collected as killed" \
	"embryo collected: killed by signal 9" "$out"

# the bomb and, meanwhile, an ordinary cage
"$LIND_RUN" "$FC" bomb /tmp >"$T/bomb.out" 2>&1 &
bomb=$!
check "the bomb hits its limit" wait_for 60 grep -q "fork stopped" "$T/bomb.out"
scratch="/tmp/lind-fork-$$"
CASE_SCRATCH="$scratch" "$LIND_RUN" "$T/bin/files_basic.lind" \
	>"$T/other.out" 2>&1
other=$?
(cd "$T" && CASE_SCRATCH="$scratch" "$T/bin/files_basic.native" \
	>"$T/other.native.out" 2>&1)
rm -rf "$scratch"
expect_eq "another cage works while the bomb holds every slot" 0 "$other"
check "and prints what it prints natively" \
	cmp -s "$T/other.out" "$T/other.native.out"
wait "$bomb"
expect_eq "the bomb: EAGAIN past --limit procs, every child reaped" \
	"fork stopped by EAGAIN after some forks: yes
reaped all: yes" "$(cat "$T/bomb.out")"

# every cage ended: the daemons are back where they were
back() { [ "$(fds "$1")" -le "$2" ]; }
check "the server's fds back to the baseline ($server_fds)" \
	wait_for 30 back "$server_pid" "$server_fds"
check "the relay's fds back to the baseline ($relay_fds)" \
	wait_for 30 back "$relay_pid" "$relay_fds"
