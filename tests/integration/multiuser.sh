#!/bin/bash
# One pair of daemons (run by root) serving several host users through a
# relay.sock shared with a group (docs/deployment.md): each cage runs with
# its launcher's uid, no user reaches another's files, the daemons' sockets,
# the trace, or the daemons themselves, and one user's cages cannot take
# every slot.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	ok "several users # SKIP needs root and setpriv(1) to act as other users"
	exit 0
fi
build_tool
GRP=4242 # the socket group; numeric, so no /etc/group entry is needed
as() { # as UID COMMAND...: run as that user, in the socket group
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$u" --groups "$GRP" "$@"
}
as_cage() { local u=$1; shift; as "$u" "$LIND_RUN" "$TOOL" "$@"; }
# The users reach the binaries, and the runtime dir through its group.
chmod 711 "$T"
chmod -R a+rX "$T/bin"
start_server || exit 1
"$RELAY" --socket-group "$GRP" --limit cages-per-uid=2 >>"$T/relay.log" 2>&1 &
relay_pid=$!
wait_for 5 test -S "$LIND_RUNTIME_DIR/relay.sock"

expect_eq "a cage runs with its launcher's uid (1001)" "uid 1001 gid 1001" \
	"$(as_cage 1001 id)"
expect_eq "... and another user's (1002)" "uid 1002 gid 1002" "$(as_cage 1002 id)"
expect_eq "... and root's" "uid 0 gid 0" "$(cage id)"

as_cage 1001 mkdir /tmp/u1001 0700
as_cage 1001 write /tmp/u1001/secret s3cret >/dev/null
expect_eq "a user reads their own private file" s3cret \
	"$(as_cage 1001 cat /tmp/u1001/secret)"
expect_eq "another user cannot" "cat /tmp/u1001/secret: EACCES" \
	"$(as_cage 1002 cat /tmp/u1001/secret)"

srv_sock="$LIND_RUNTIME_DIR/server.sock"
connect_py='import socket,sys; s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET); s.connect(sys.argv[1])'
check "a user cannot reach server.sock" \
	sh -c "! setpriv --reuid 1002 --regid 1002 --groups $GRP python3 -c '$connect_py' '$srv_sock' 2>/dev/null"
check "a user cannot read the trace or admin sockets" \
	sh -c "! setpriv --reuid 1002 --regid 1002 --groups $GRP '$LIND_TRACE' --stats >/dev/null 2>&1"
check "root can" "$LIND_TRACE" --stats
check "a user cannot list the runtime dir" \
	sh -c "! setpriv --reuid 1002 --regid 1002 --groups $GRP ls '$LIND_RUNTIME_DIR' >/dev/null 2>&1"
for d in "$server_pid" "$relay_pid"; do
	check "a user cannot signal daemon $d" \
		sh -c "! setpriv --reuid 1002 --regid 1002 kill -0 $d 2>/dev/null"
	check "a user cannot see daemon $d's fds (other cages' stdio)" \
		sh -c "! setpriv --reuid 1002 --regid 1002 ls /proc/$d/fd >/dev/null 2>&1"
done
nogroup=$(setpriv --reuid 1003 --regid 1003 --clear-groups "$LIND_RUN" "$TOOL" id 2>&1)
check "a user outside the group cannot attach" grep -q "no nacl-relay\|Permission denied" <<<"$nogroup"

# Per-uid limit 2: user 1001 holds two cages; a third is refused, and user
# 1002 runs meanwhile.
as_cage 1001 sleep 3 >/dev/null 2>"$T/h1.err" & h1=$!
as_cage 1001 sleep 3 >/dev/null 2>"$T/h2.err" & h2=$!
sleep 1
check "a user over their limit is refused, with the reason" \
	sh -c "setpriv --reuid 1001 --regid 1001 --groups $GRP '$LIND_RUN' '$TOOL' id 2>&1 | grep -q 'too many cages for uid 1001'"
expect_eq "another user's cage runs meanwhile" "uid 1002 gid 1002" "$(as_cage 1002 id)"
wait $h1; s1=$?
wait $h2; s2=$?
expect_eq "the user's two cages ran" "0 0" "$s1 $s2"
cat "$T/h1.err" "$T/h2.err" | diag
expect_eq "once the user's cages end they attach again" "uid 1001 gid 1001" \
	"$(as_cage 1001 id)"

# The server stalls while user 1001 attaches: the late answer reaches
# that user's cage, never the next one (root's).
kill -STOP "$server_pid"
as_cage 1001 id >"$T/u.out" 2>&1 & u=$!
sleep 6
kill -CONT "$server_pid"
wait $u
cage id >"$T/r.out"
expect_eq "after a 6 s stall the user's cage is the user's" "uid 1001 gid 1001" \
	"$(cat "$T/u.out")"
expect_eq "... and root's next cage is root's" "uid 0 gid 0" "$(cat "$T/r.out")"
