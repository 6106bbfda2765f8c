# subshells, command substitution, background jobs and wait
mkdir -p "$WORK" && cd "$WORK" || exit 9
x=1
(x=2; echo "inner $x")
echo "outer $x"
(cd / && pwd)
[ "$(pwd)" = "$WORK" ] && echo "cwd kept"
a=$(echo hi | tr a-z A-Z)
echo "subst $a"
echo "arith $(( $(echo 3) + 4 ))"
echo "nested $(echo $(echo deep))"
n=$(seq 1 50 | wc -l); echo "lines $n"
(exit 3); echo "subshell status $?"
sleep 0.1 & p=$!
echo "started"
wait $p; echo "wait status $?"
(exit 5) & wait $!; echo "bg status $?"
for i in 1 2 3; do (echo "job $i" >job.$i) & done
wait
cat job.1 job.2 job.3
echo "$$" >pid; ( [ "$$" = "$(cat pid)" ] && echo "\$\$ same in subshell" )
echo done
