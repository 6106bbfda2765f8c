#!/bin/bash
# SysV shared memory served by the server (posix-server/shm.c): cages
# share a segment by key, with Linux's permissions between uid 0 and
# uid 1001; a cage killed while attached leaves nothing attached, and an
# IPC_RMID'd segment goes with its last attachment (the server's fds are
# back where they were).
. "$(dirname "$0")/lib.sh"
build shm_cage "$LIND_SRC/tests/integration/progs/shm_cage.c" || {
	echo "Bail out! shm_cage does not build"
	exit 1
}
GRP=4242
as_user=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 711 "$T"
	chmod -R a+rX "$T/bin"
	start_server || exit 1
	"$RELAY" --socket-group "$GRP" >>"$T/relay.log" 2>&1 &
	relay_pid=$!
	wait_for 5 test -S "$LIND_RUNTIME_DIR/relay.sock"
	as_user="setpriv --reuid 1001 --regid 1001 --groups $GRP"
else
	start_daemons || exit 1
fi
shm() { "$LIND_RUN" "$T/bin/shm_cage.lind" "$@" 2>&1; }
shm1001() { $as_user "$LIND_RUN" "$T/bin/shm_cage.lind" "$@" 2>&1; }
fds() { ls /proc/$1/fd | wc -l; }
# SIGKILL to the cage's process itself (lind-run's child), then lind-run
kill_cage() {
	local cage
	cage=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
	[ -n "$cage" ] && kill -KILL $cage
	wait "$1" 2>/dev/null
}

shm nattch 0x51 >/dev/null # the server's caches warm
srv0=$(fds "$server_pid")
expect_eq "no segment of that key yet" "ENOENT" "$(shm nattch 0x51)"
expect_eq "root makes one, mode 0644" "created" "$(shm create 0x51 644)"
expect_eq "one cage writes" "attached" "$(shm write 0x51 'from cage one')"
expect_eq "another reads it" "from cage one" "$(shm read 0x51)"
expect_eq "nothing stays attached" "0" "$(shm nattch 0x51)"

if [ -n "$as_user" ]; then
	expect_eq "uid 1001 may read a 0644 segment of root's (not write through it)" \
		"from cage one" "$(shm1001 read 0x51)"
	expect_eq "... but not attach it for writing" "EACCES" \
		"$(shm1001 write 0x51 x)"
	expect_eq "... nor remove it" "EPERM" "$(shm1001 rmid 0x51)"
	expect_eq "... nor change its mode" "EPERM" "$(shm1001 chmod 0x51)"
	expect_eq "uid 1001's own segment, mode 0600" "created" \
		"$(shm1001 create 0x52 600)"
	expect_eq "root may write it all the same" "attached" \
		"$(shm write 0x52 'root was here')"
	expect_eq "its owner reads that" "root was here" "$(shm1001 read 0x52)"
	expect_eq "its owner removes it" "removed" "$(shm1001 rmid 0x52)"
else
	ok "permissions between users # SKIP needs root and setpriv(1)"
fi

# a cage killed with SIGKILL while attached
"$LIND_RUN" "$T/bin/shm_cage.lind" hold 0x51 >"$T/hold.out" 2>&1 &
holder=$!
check "a cage holds the segment" wait_for 10 grep -q attached "$T/hold.out"
expect_eq "its attachment counts" "1" "$(shm nattch 0x51)"
kill_cage "$holder"
check "killed, it holds it no more" \
	wait_for 10 eval '[ "$(shm nattch 0x51)" = 0 ]'

# a hostile cage: forged halves of shmat, an attachment flood
expect_eq "a hostile cage gets errors and a bounded number of attachments" \
"done without shmat: EINVAL
shmdt where nothing is: EINVAL
fds asked for: 4096, then ENOMEM" "$(shm hostile 0x51)"
check "its end leaves nothing attached" \
	wait_for 10 eval '[ "$(shm nattch 0x51)" = 0 ]'
expect_eq "another cage is served after" "from cage one" "$(shm read 0x51)"

# IPC_RMID while attached: gone with the last attachment
"$LIND_RUN" "$T/bin/shm_cage.lind" hold 0x51 >"$T/hold.out" 2>&1 &
holder=$!
check "a cage holds it again" wait_for 10 grep -q attached "$T/hold.out"
expect_eq "root removes it while attached" "removed" "$(shm rmid 0x51)"
expect_eq "its key finds nothing now" "ENOENT" "$(shm nattch 0x51)"
expect_eq "another cage is served meanwhile" "created" "$(shm create 0x53 600)"
expect_eq "... and removes its own" "removed" "$(shm rmid 0x53)"
kill_cage "$holder"
check "the server's fds are back where they were (the segment is gone)" \
	wait_for 10 eval '[ "$(fds "$server_pid")" -le "$srv0" ]'
