# pipelines, their exit statuses, and commands found through PATH
mkdir -p "$WORK" && cd "$WORK" || exit 9
echo hello | cat
printf 'b\na\nc\n' | sort | head -n 2
seq 1 2000 | wc -l
seq 1 100000 | tail -n 1
false | true; echo "false|true: $?"
true | false; echo "true|false: $?"
! true | false; echo "! ...: $?"
echo abc | tr a-z A-Z | rev
yes | head -n 3
echo done
