#!/bin/bash
# Hostile clients of relay.sock and server.sock: each attack is made, and a
# normal cage is served while it lasts and after.
. "$(dirname "$0")/lib.sh"
build_tool
HOSTILE="python3 $LIND_SRC/tests/integration/progs/hostile_attach.py $LIND_RUNTIME_DIR"
start_daemons || exit 1

attached() { "$LIND_TRACE" --stats | awk '/^cages/ {print $2}'; }
threads() { awk '/^Threads/ {print $2}' "/proc/$1/status"; }
normal() { expect_eq "$1: another cage is served" "looped 3" "$(cage loop 3 /)"; }

# The channel memfd is sealed: shrinking it cannot SIGBUS the relay.
out=$($HOSTILE shrink)
expect_eq "a cage cannot shrink or grow its channel" \
	"shrink refused: Operation not permitted
grow refused: Operation not permitted" "$out"
check "the relay survives a scribbled channel" kill -0 "$relay_pid"
normal "after a scribbled channel"

# A cage whose stdio is closed: the attach socket is not passed as stdio,
# and each cage is reaped when it exits.
base_threads=$(threads "$relay_pid")
for i in $(seq 20); do
	cage loop 1 / <&- >/dev/null
	cage loop 1 / >&- 2>/dev/null
	cage loop 1 / 2>&- >/dev/null
done
expect_eq "cages with closed stdio run" "looped 1" "$(cage loop 1 / <&- 2>&-)"
check "60 cages with closed stdio are all reaped" wait_for 5 test "$(attached)" = 0
# at most the baseline: a cage before it may still have been ending
relay_threads_back() { [ "$(threads "$relay_pid")" -le "$base_threads" ]; }
check "... and their relay threads end (back to $base_threads)" \
	wait_for 5 relay_threads_back
expect_eq "passing the attach socket itself as stdio is refused" refused \
	"$($HOSTILE self-stdio)"

# The process that attached exits while a child keeps its socket open:
# the cage is gone all the same (pidfd).
expect_eq "an orphaned attach socket" attached "$($HOSTILE orphan)"
check "the cage of an exited process is reaped" wait_for 3 test "$(attached)" = 0
normal "after an orphaned socket"

# The server stalls past any timeout while a cage attaches: the relay's
# loop goes on, and the late answer reaches that cage, not the next one.
kill -STOP "$server_pid"
cage loop 1 / >"$T/a.out" 2>"$T/a.err" & a=$!
cage loop 7777 / >/dev/null 2>&1 & # dies before the server answers
sleep 0.5
pkill -9 -f "cagetool.lind loop 7777"
check "the relay answers while the server is stopped" \
	timeout 5 "$LIND_TRACE" --stats
sleep 6
kill -CONT "$server_pid"
wait $a
expect_eq "a cage attaching across a 6 s server stall runs" 0 $?
cage loop 2 / >"$T/b.out"
expect_eq "the stalled cage's output is its own" "looped 1" "$(cat "$T/a.out")"
expect_eq "the next cage's output is its own" "looped 2" "$(cat "$T/b.out")"
check "the relay dropped no attach" test ! -s "$T/a.err"
made() { grep -c "new cage:" "$T/server.log"; }
gone() { grep -c "cage gone" "$T/server.log"; }
check "the server freed the cage whose process died during the stall" \
	wait_for 3 test "$(made)" = "$(gone)"

# Connections that never attach are closed after 5 s; they keep nobody out.
$HOSTILE idle 30 6 >"$T/idle.out" & idle=$!
sleep 0.5
normal "while 30 idle connections wait"
wait $idle
expect_eq "idle connections are closed by the relay" \
	"holding 30
closed by relay 30" "$(cat "$T/idle.out")"

# Out of fds: the relay pauses accepting instead of spinning and logging.
stop_pid "$relay_pid"
"$RELAY" --limit cages=4096 >>"$T/relay.log" 2>&1 &
relay_pid=$!
wait_for 5 test -S "$LIND_RUNTIME_DIR/relay.sock"
prlimit --pid "$relay_pid" --nofile=48:48
log_before=$(wc -c <"$T/relay.log")
$HOSTILE idle 60 3 >/dev/null & idle=$!
sleep 2
cpu=$(awk '{print $14 + $15}' "/proc/$relay_pid/stat")
log_grew=$(($(wc -c <"$T/relay.log") - log_before))
check "at its fd limit the relay logs once, not in a loop ($log_grew bytes)" \
	test "$log_grew" -lt 400
check "... and does not spin (cpu ticks $cpu)" test "$cpu" -lt 100
wait $idle
check "after the flood a cage attaches again" \
	wait_for 10 sh -c "'$LIND_RUN' '$TOOL' loop 1 / | grep -q 'looped 1'"

# Per-uid limit: one user's connections cannot take every slot.
stop_pid "$relay_pid"
"$RELAY" --limit cages-per-uid=4 >>"$T/relay.log" 2>&1 &
relay_pid=$!
wait_for 5 test -S "$LIND_RUNTIME_DIR/relay.sock"
$HOSTILE idle 4 60 >"$T/idle.out" & idle=$!
wait_for 20 grep -q "^holding 4" "$T/idle.out"
# (retried: the relay accepts the idle connections in its own time)
check "over its per-uid limit a cage is refused with the reason" \
	wait_for 10 sh -c "'$LIND_RUN' '$TOOL' loop 1 / 2>&1 | grep -q 'too many cages for uid'"
kill $idle
wait $idle 2>/dev/null
normal "once the user's connections are gone"

# A silent connection on server.sock does not keep a starting relay out.
stop_pid "$relay_pid"
$HOSTILE squat 8 >/dev/null & squat=$!
sleep 0.3
start_relay
normal "with a squatter on server.sock"
kill $squat 2>/dev/null
wait $squat 2>/dev/null
check "the server never crashed" kill -0 "$server_pid"
