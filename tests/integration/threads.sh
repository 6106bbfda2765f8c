#!/bin/bash
# Threads of one cage blocked in the server at once (issue 7, item 6):
# more of them than the channel once had slots, all parked in reads of the
# launcher's stdin, while the main thread goes on making calls; the host
# then writes and every reader finishes.  (tests/cases/threads_blocked.c
# does the same with 64 lock waits, gettid and tgkill.)
. "$(dirname "$0")/lib.sh"
build stdin_threads "$LIND_SRC/tests/integration/progs/stdin_threads.c" || {
	echo "Bail out! stdin_threads does not build"
	exit 1
}
start_daemons || exit 1
build_tool

N=40
mkfifo "$T/fifo"
exec 7<>"$T/fifo" # held open: the readers see no EOF until we write
"$LIND_RUN" "$T/bin/stdin_threads.lind" "$N" <"$T/fifo" >"$T/out" 2>&1 &
cage_pid=$!
check "the main thread makes calls while $N readers wait in the server" \
	wait_for 60 grep -q "main runs while $N readers wait: pid 1" "$T/out"
expect_eq "another cage is served meanwhile" "wrote /tmp/other" \
	"$(cage write /tmp/other x)"
head -c "$N" /dev/zero >&7
wait "$cage_pid"
expect_eq "the cage exits once every reader has its byte" 0 $?
expect_eq "every reader got one" "readers done: $N" "$(tail -n 1 "$T/out")"
exec 7>&-
