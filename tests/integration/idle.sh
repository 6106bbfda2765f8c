#!/bin/bash
# A few hundred idle cages at once (issue 10 item 4): the relay serves
# them from its fixed pool of workers, so its thread count does not grow
# with them, and every one still answers its calls when woken.
. "$(dirname "$0")/lib.sh"
N=300
"$LIND_CC" -std=gnu11 -O1 -static -o "$T/bin/idle" \
	"$LIND_SRC/tests/bench/idle.c" 2>"$T/bin/idle.err" || {
	echo "Bail out! tests/bench/idle.c does not build"
	cat "$T/bin/idle.err" >&2
	exit 1
}
start_server || exit 1
start_daemon "$RELAY" "$T/relay.log" "$LIND_RUNTIME_DIR/relay.sock" \
	--threads 3 || exit 1
relay_pid=$daemon_pid
threads() { awk '/^Threads/ {print $2}' "/proc/$1/status"; }
attached() { "$LIND_TRACE" --stats | awk '/^cages/ {print $2}'; }
base=$(threads "$relay_pid")

mkfifo "$T/go"
"$LIND_RUN" "$T/bin/idle" $N check <"$T/go" >"$T/idle.out" 2>"$T/idle.err" &
idle=$!
exec 7>"$T/go"
check "$N forked cages come up" wait_for 60 grep -qx "ready $N" "$T/idle.out"
expect_eq "the relay has them all attached" $((N + 1)) "$(attached)"
expect_eq "... with not one thread more (3 workers and its fixed ones)" \
	"$base" "$(threads "$relay_pid")"
echo go >&7
exec 7>&-
wait $idle
expect_eq "the parent exits 0" 0 $?
expect_eq "every woken cage's calls are answered" "answered $N" \
	"$(sed -n 2p "$T/idle.out")"
expect_eq "... and every one exits 0" "reaped $N" "$(sed -n 3p "$T/idle.out")"
check "nothing on stderr" test ! -s "$T/idle.err"
check "they are all gone" wait_for 10 test "$(attached)" = 0
expect_eq "the relay still has its $base threads" "$base" \
	"$(threads "$relay_pid")"
