# Run as a #! script from $ROOT (the store in a cage): dash and every
# program it starts come from $ROOT/bin, the only PATH entry.
mkdir_ok=no; cd "$WORK" && mkdir_ok=yes; echo "cd work: $mkdir_ok"
[ "$(command -v cat)" = "$ROOT/bin/cat" ] && echo "cat found in ROOT/bin"
echo hello | cat
seq 1 2000 | wc -l
seq 1 100 | head -n 3 | cat
false | true; echo "false|true: $?"
true | false; echo "true|false: $?"
! false | cat; echo "! pipeline: $?"
echo one >f
echo two >>f
cat <f
exec 3>g; echo three >&3; exec 3>&-; cat g
cat no-such 2>/dev/null || echo "cat failed: $?"
name=store
cat <<END
here-document $name $((6 * 7))
END
cat <<'END'
quoted $name
END
x=1; (x=2; echo "inner $x"); echo "outer $x"
(cd / && echo "subshell cwd $(pwd)")
echo "subst $(echo abc | upper)"
echo "nested $(echo $(seq 2 3 | wc -l))"
sleep 0.1 & p=$!
wait $p; echo "wait status $?"
(exit 5) & wait $!; echo "bg status $?"
for i in 1 2 3; do (echo "job $i" >job.$i) & done
wait
cat job.1 job.2 job.3
sleep 10 & p=$!
kill $p; wait $p 2>/dev/null; echo "killed status $?"
trap 'echo got USR1' USR1
kill -USR1 $$
trap - USR1
(trap 'echo child got TERM; exit 7' TERM; : >ready; sleep 2; echo late) & p=$!
while [ ! -e ready ]; do sleep 0.01; done
kill -TERM $p; wait $p; echo "trapped child status $?"
ulimit -n 32; echo "ulimit -n $(ulimit -n)"
set -- $(times); echo "times: $# fields"
(set -e; false; echo not reached); echo "set -e status $?"
(set -e; false || true; echo "set -e survives ||")
printf '#!%s/bin/dash\necho "script ran: $*"\nexit 4\n' "$ROOT" >s
chmod 755 s
./s a b; echo "script status $?"
(exec ./s c); echo "exec'd script status $?"
(exec seq 1 2); echo "exec'd seq status $?"
no_such_command 2>/dev/null; echo "missing command $?"
trap 'echo exiting' EXIT
exec seq 7 8
echo not reached
