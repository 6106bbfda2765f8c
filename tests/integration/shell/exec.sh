# exec, set -e, ulimit, times, exit
mkdir -p "$WORK" && cd "$WORK" || exit 9
(exec echo "exec'd echo")
(exec /bin/echo "exec'd /bin/echo")
sh_out=$( (exec 2>&1; ls /no/such/dir) ); echo "exec 2>&1: ${sh_out:+message}"
ulimit -n 64; echo "ulimit -n $(ulimit -n)"
times | sed 's/[0-9]/N/g'
(set -e; false; echo not reached); echo "set -e status $?"
(set -e; false || true; echo "set -e survives ||")
command -v cat >/dev/null && echo "cat found"
no_such_command 2>/dev/null; echo "missing command $?"
./no-such 2>/dev/null; echo "missing file $?"
echo '#!/bin/sh' >nox; ./nox 2>/dev/null; echo "not executable $?"
printf '#!/bin/sh\necho script ran "$@"\n' >s; chmod +x s; ./s a b
exec echo "replaced, then gone"
echo not reached
