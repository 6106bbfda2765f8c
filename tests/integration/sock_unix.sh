#!/bin/bash
# AF_UNIX between separate cages (two lind-run): one serves at a path in
# the virtual filesystem, the other connects and passes it an open file
# (SCM_RIGHTS), which the first reads.  Cages killed with SIGKILL while
# parked in accept or recv leave nothing: the relay forgets them, the
# name refuses connections, another cage binds and serves.  A host unix
# socket shown by a bind is never reached: the bind is read-only and its
# socket is no cage's.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/host"
# a host listener that says so if anything ever connects to it
python3 - "$T/host/h.sock" "$T/host-reached" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
open(sys.argv[2], "w").write("reached\n")
PY
host_listener=$!
wait_for 5 test -S "$T/host/h.sock"
start_server --bind "$T/host:/host" && start_relay || exit 1
build sock_cage "$LIND_SRC/tests/integration/progs/sock_cage.c" || {
	echo "Bail out! sock_cage does not build"
	cat "$T"/bin/sock_cage.*.err >&2
	exit 1
}
PROG="$T/bin/sock_cage.lind"

"$LIND_RUN" "$PROG" serve /tmp/srv.sock >"$T/serve.out" 2>&1 &
server_cage=$!
check "a cage listens at a path" wait_for 10 grep -q ready "$T/serve.out"
expect_eq "another cage connects and passes it an open file" \
	"answer 6 [thanks]" "$("$LIND_RUN" "$PROG" send /tmp/srv.sock /tmp/f 2>&1)"
wait $server_cage
expect_eq "the first reads through it; its peer is another cage" \
	"ready
message [hello] file 15 [the passed file] peer is another cage 1" \
	"$(cat "$T/serve.out")"
expect_eq "its name went with unlink" "connect ENOENT" \
	"$("$LIND_RUN" "$PROG" connect /tmp/srv.sock)"

# killed while parked: nothing stays
for how in accept recv; do
	"$PROG" park /tmp/park.sock $how >"$T/park.out" 2>&1 & victim=$!
	check "a cage parks in $how" wait_for 10 grep -q ready "$T/park.out"
	kill -KILL $victim
	wait $victim 2>/dev/null
	expect_eq "... and dies of SIGKILL there" 137 $?
done
check "the relay forgets them" \
	wait_for 10 eval '"$LIND_TRACE" --stats | grep -qx "cages 0"'
expect_eq "the dead listener's name refuses connections" "connect ECONNREFUSED" \
	"$("$LIND_RUN" "$PROG" connect /tmp/park.sock)"
expect_eq "... and stays taken, as a file" "bind EADDRINUSE" \
	"$("$LIND_RUN" "$PROG" bind /tmp/park.sock)"

# connect needs write permission on the socket's inode (0755 here, root's)
"$LIND_RUN" "$PROG" park /tmp/perm.sock accept >"$T/perm.out" 2>&1 & owner=$!
check "a root cage listens" wait_for 10 grep -q ready "$T/perm.out"
expect_eq "uid 1000 may not connect to it" "connect EACCES" \
	"$("$LIND_RUN" --uid 1000 "$PROG" connect /tmp/perm.sock)"
expect_eq "root may" "connect ok" "$("$LIND_RUN" "$PROG" connect /tmp/perm.sock)"
kill -KILL $owner
wait $owner 2>/dev/null

# the host's socket, seen through a bind
expect_eq "a host socket in a bind is refused" "connect ECONNREFUSED" \
	"$("$LIND_RUN" "$PROG" connect /host/h.sock)"
expect_eq "a bind takes no new socket" "bind EROFS" \
	"$("$LIND_RUN" "$PROG" bind /host/new.sock)"
check "the host listener was never reached" test ! -e "$T/host-reached"
kill $host_listener 2>/dev/null
wait $host_listener 2>/dev/null || true
