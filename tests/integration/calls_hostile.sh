#!/bin/bash
# A cage abusing record locks and server-side copies: it is refused with
# Linux's errnos, bounded per call and per cage, and another cage is
# served normally the whole time (its own lock included).
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build hostile_calls "$LIND_SRC/tests/integration/progs/hostile_calls.c" || {
	echo "Bail out! hostile_calls does not build"
	cat "$T"/bin/hostile_calls.*.err >&2
	exit 1
}
H="$T/bin/hostile_calls.lind"

mkfifo "$T/hold"
"$LIND_RUN" "$H" hog /tmp/hog <"$T/hold" >"$T/hog.out" 2>&1 & hog=$!
exec 7>"$T/hold" # the hog holds its locks until this closes
check "the hog filled its share" wait_for 20 grep -q "^hog:" "$T/hog.out"
expect_eq "... 1024 locks, then ENOLCK" "hog: 1024 locks, then ENOLCK" \
	"$(cat "$T/hog.out")"
expect_eq "another cage still locks, writes and reads" \
	"normal: locked and read back fine" "$("$LIND_RUN" "$H" normal /tmp/n 2>&1)"
expect_eq "one copy_file_range of 2^40 bytes does at most 1 MiB" \
	"copy: one call copied 1048576 bytes" "$("$LIND_RUN" "$H" copy /tmp 2>&1)"
expect_eq "... while the hog still holds its locks" "" \
	"$(kill -0 $hog 2>&1)"
exec 7>&-
wait $hog
expect_eq "the hog exits normally" 0 $?
# two cages waiting on each other's lock: whichever asks second would
# close the cycle and is told EDEADLK; when it exits, the other's wait
# ends with the lock (either order gives one of each)
mkfifo "$T/go1" "$T/go2"
"$LIND_RUN" "$H" wait /tmp/dl 0 1 <"$T/go1" >"$T/w1.out" 2>&1 & w1=$!
exec 8>"$T/go1"
"$LIND_RUN" "$H" wait /tmp/dl 1 0 <"$T/go2" >"$T/w2.out" 2>&1 & w2=$!
exec 9>"$T/go2"
check "both hold their byte" wait_for 20 eval \
	'grep -q locked "$T/w1.out" && grep -q locked "$T/w2.out"'
echo >&8
echo >&9
exec 8>&- 9>&-
wait $w1 $w2
expect_eq "one waits and gets the lock, the other is told EDEADLK" \
	"EDEADLK got it" \
	"$(cat "$T/w1.out" "$T/w2.out" | sed -n 's/^waited for [01]: //p' | sort | tr '\n' ' ' | sed 's/ $//')"

expect_eq "its locks went with it: a new hog gets all 1024 again" \
	"hog: 1024 locks, then ENOLCK" \
	"$("$LIND_RUN" "$H" hog /tmp/hog </dev/null 2>&1)"
