#!/bin/bash
# Cages side by side: exit status, two at once, a cage blocked on stdin not
# stalling another, a cage killed with SIGKILL leaving nothing behind.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build_tool

for st in 0 3 42; do
	cage exit $st
	expect_eq "lind-run exits with the cage's status $st" $st $?
done

cage write /tmp/one 1 >/dev/null & a=$!
cage write /tmp/two 2 >/dev/null & b=$!
wait $a; sa=$?
wait $b; sb=$?
expect_eq "two cages at once" "0 0" "$sa $sb"
expect_eq "both cages' files exist" "12" "$(cage cat /tmp/one)$(cage cat /tmp/two)"

mkfifo "$T/fifo"
cage readstdin <"$T/fifo" >"$T/blocked.out" & blocked=$!
exec 7>"$T/fifo" # the writer stays silent: the cage blocks in read
start=$(date +%s%N)
out=$(cage loop 300 /tmp)
elapsed=$((($(date +%s%N) - start) / 1000000))
expect_eq "a cage runs while another is blocked on stdin" "looped 300" "$out"
echo "# 300 stats in ${elapsed} ms while another cage was blocked"
check "the blocked cage is still waiting" kill -0 $blocked
echo "late" >&7
exec 7>&-
wait $blocked
expect_eq "the blocked cage then gets its input" "got: late" "$(cat "$T/blocked.out")"

# SIGKILL mid-call: the cage holds an unlinked file open and is parked in
# read(); afterwards its inode, channel and cage entry must all be gone.
data_before=$(ls "$LIND_STORE/data" | wc -l)
mkfifo "$T/fifo2"
exec 8<>"$T/fifo2"
"$TOOL" holdopen /tmp/held <"$T/fifo2" >"$T/held.out" & victim=$!
wait_for 10 grep -q ready "$T/held.out"
expect_eq "the victim holds an unlinked file" \
	$((data_before + 1)) "$(ls "$LIND_STORE/data" | wc -l)"
expect_eq "the relay counts the victim" "cages 1" "$("$LIND_TRACE" --stats | head -1)"
kill -KILL $victim
wait $victim 2>/dev/null
exec 8>&-
check "the killed cage's unlinked file is freed" \
	wait_for 10 eval '[ "$(ls "$LIND_STORE/data" | wc -l)" = "$data_before" ]'
check "the relay forgets the killed cage" \
	wait_for 10 eval '"$LIND_TRACE" --stats | grep -qx "cages 0"'
expect_eq "cages still work after the kill" "looped 1" "$(cage loop 1 /)"
