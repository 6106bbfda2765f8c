#!/bin/bash
# lind-trace shows process events (issue 7 item 12): which cage forked
# which, what a cage exec'd (path and argv), and how every cage ended.
. "$(dirname "$0")/lib.sh"
LC="$T/bin/life_cage.lind"
"$LIND_CC" -std=gnu11 -O1 -o "$LC" \
	"$LIND_SRC/tests/integration/progs/life_cage.c" 2>"$T/life.err" || {
	diag "$T/life.err"
	echo "Bail out! life_cage does not build"
	exit 1
}
# a short virtual path keeps execve's line within the trace's data cut
start_server --bind "$T/bin:/b:ro" && start_relay || exit 1
"$LIND_TRACE" >"$T/trace.out" 2>"$T/trace.err" & tracer=$!
check "lind-trace attaches" wait_for 10 grep -q attached "$T/trace.err"

"$LIND_RUN" "$LC" tree /b/life_cage.lind >"$T/tree.out" 2>&1
expect_eq "the tree ends as natively: status 7" "7 killed child" \
	"$? $(cat "$T/tree.out")"
top=$(sed -n 's/^\[cage \([0-9]*\)\] +++ attached: .*life_cage.lind tree .*/\1/p' \
	"$T/trace.out")
ended() { grep -q "^\[cage $top\] +++ exited with 7 +++\$" "$T/trace.out"; }
check "the top cage's exit: +++ exited with 7 +++" wait_for 10 ended
kill -INT $tracer
wait $tracer
expect_eq "lind-trace exits cleanly" 0 $?

# its three children, in the order it made them
kids=$(sed -n "s/^\[cage $top\] lind_fork(.*) = \([0-9]*\).*/\1/p" "$T/trace.out")
expect_eq "three fork calls, each with the child's id" 3 "$(wc -w <<<"$kids")"
read -r exe killed faulty <<<"$(echo $kids)"
line() { grep -c -F -x -e "$1" "$T/trace.out"; }
for k in $kids; do
	expect_eq "cage $k: +++ forked by cage $top +++" 1 \
		"$(line "[cage $k] +++ forked by cage $top +++")"
done
check "cage $exe: execve with the path and the new argv" \
	grep -Eq "^\[cage $exe\] execve\(\"/b/life_cage.lind\", \[\"lc\", \"exit\", \"3\"\]\) = 0" \
	"$T/trace.out"
expect_eq "cage $exe: +++ exited with 3 +++" 1 \
	"$(line "[cage $exe] +++ exited with 3 +++")"
expect_eq "cage $killed: +++ killed by SIGKILL +++" 1 \
	"$(line "[cage $killed] +++ killed by SIGKILL +++")"
check "cage $faulty: +++ killed by SIGSEGV +++" \
	grep -Eq "^\[cage $faulty\] \+\+\+ killed by SIGSEGV( \(core dumped\))? \+\+\+$" \
	"$T/trace.out"
