#!/bin/bash
# Cages killed with SIGKILL while parked on their pipes (a read on an empty
# pipe, a thread's write on a full one) leave nothing in the server: no fd
# of theirs stays, the relay forgets them, and (under ASan) no pipe or
# parked call leaks; a normal cage's pipes work before, during and after.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build pipe_cage "$LIND_SRC/tests/integration/progs/pipe_cage.c" || {
	echo "Bail out! pipe_cage does not build"
	cat "$T"/bin/pipe_cage.*.err >&2
	exit 1
}
PROG="$T/bin/pipe_cage.lind"
# The server's fds that are not files: its sockets, eventfds and pipes
# (data files come and go with its cache of host fds).
server_fds() {
	local n=0 f
	for f in /proc/$server_pid/fd/*; do
		case $(readlink "$f") in socket:* | pipe:* | anon_inode:*) n=$((n + 1)) ;; esac
	done
	echo $n
}
# Its fds on a killed cage's stdout (each cage's stdio is a stream).
stdio_fds() {
	local n=0 f
	for f in /proc/$server_pid/fd/*; do
		[ "$(readlink "$f")" = "$T/park.out" ] && n=$((n + 1))
	done
	echo $n
}
rss() { awk '/^VmRSS/ {print $2}' /proc/$server_pid/status; }

expect_eq "a pipe to a thread and back" "roundtrip ping" \
	"$("$LIND_RUN" "$PROG" roundtrip)"
fds_before=$(server_fds)
rss_before=$(rss)
ROUNDS=20
killed=0
for i in $(seq $ROUNDS); do
	"$PROG" park >"$T/park.out" & victim=$! # the cage itself, not lind-run
	if ! wait_for 10 grep -q ready "$T/park.out"; then
		kill -KILL $victim 2>/dev/null
		break
	fi
	[ "$i" = 1 ] && expect_eq "another cage's pipes work while one is parked" \
		"roundtrip ping" "$("$LIND_RUN" "$PROG" roundtrip)"
	kill -KILL $victim
	wait $victim 2>/dev/null
	[ $? = 137 ] && killed=$((killed + 1))
done
expect_eq "$ROUNDS cages killed while parked on pipes" $ROUNDS $killed
check "the relay forgets them" \
	wait_for 10 eval '"$LIND_TRACE" --stats | grep -qx "cages 0"'
check "the server holds the sockets, pipes and eventfds it held before ($fds_before)" \
	wait_for 10 eval '[ "$(server_fds)" = "$fds_before" ]'
check "... and no killed cage's stdio" \
	wait_for 10 eval '[ "$(stdio_fds)" = 0 ]'
echo "# server VmRSS ${rss_before} kB before, $(rss) kB after $ROUNDS kills"
expect_eq "pipes still work after the kills" "roundtrip ping" \
	"$("$LIND_RUN" "$PROG" roundtrip)"
