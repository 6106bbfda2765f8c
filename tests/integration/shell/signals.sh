# trap, kill, exit statuses of signalled children
mkdir -p "$WORK" && cd "$WORK" || exit 9
trap 'echo got USR1' USR1
kill -USR1 $$
trap - USR1
# dash says "Terminated"/"Killed" only when the wait builtin is what reaps
# the job; one reaped sooner (its SIGCHLD came first: a matter of timing,
# natively too) goes unannounced, so that stderr is left out
sleep 10 & p=$!
kill $p
wait $p 2>/dev/null; echo "killed status $?"
sleep 10 & p=$!
kill -9 $p
wait $p 2>/dev/null; echo "kill -9 status $?"
(trap 'echo child got TERM; exit 7' TERM; : >ready; sleep 0.3; echo late) & p=$!
while [ ! -e ready ]; do sleep 0.01; done
kill -TERM $p
wait $p; echo "trapped child status $?"
kill -0 $$ && echo "kill -0 self ok"
kill -0 999999 2>/dev/null || echo "kill -0 none fails"
trap 'echo exiting' EXIT
echo done
