#!/bin/bash
# File mappings without copies (posix-server/sys_mmap.c, client-libc/
# hostfd.c): the server hands a cage a host fd to map, opened with only the
# access its virtual fd has; a cage that keeps it and tries more gets
# nothing more: no write to a file it may only read.  Also: ld.so maps
# libraries this way (a dynamic host program runs), and fds passed to a
# cage that exits are not left in the relay or the server.
. "$(dirname "$0")/lib.sh"
build hostile "$LIND_SRC/tests/integration/progs/mapfd_hostile.c" || {
	echo "Bail out! mapfd_hostile does not build"
	exit 1
}
build_tool
start_daemons || exit 1

expect_eq "a dynamic host program's libraries are mapped" "hi" \
	"$("$LIND_RUN" /bin/echo hi)"
fds() { ls /proc/$1/fd | wc -l; }
srv0=$(fds "$server_pid") relay0=$(fds "$relay_pid")
for i in 1 2 3 4 5; do "$LIND_RUN" /bin/true; done
# (a cage's end reaches the server just after lind-run's; the server
# caches data fds and may drop some: at most as many)
check "the server holds no fd more than before" \
	wait_for 5 eval '[ "$(fds "$server_pid")" -le "$srv0" ]'
check "the relay's fds are back where they were" \
	wait_for 5 eval '[ "$(fds "$relay_pid")" -eq "$relay0" ]'


cage write /secret "root's data" >/dev/null
run_hostile() { "$LIND_RUN" "$T/bin/hostile.lind" /secret; }
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	GRP=4242
	chmod 711 "$T"
	chmod -R a+rX "$T/bin"
	stop_daemons
	start_server || exit 1
	"$RELAY" --socket-group "$GRP" >>"$T/relay.log" 2>&1 &
	relay_pid=$!
	wait_for 5 test -S "$LIND_RUNTIME_DIR/relay.sock"
	run_hostile() {
		setpriv --reuid 1001 --regid 1001 --groups "$GRP" \
			"$LIND_RUN" "$T/bin/hostile.lind" /secret
	}
	who="uid 1001"
else
	who="root (no setpriv)"
fi
expect_eq "$who with a host fd of a file it may only read" \
"lind_mapfd for MAP_SHARED|PROT_WRITE: EACCES
lind_mapfd for reading: ok
dup3 onto the mapping range, with the magic: ok
mmap of it MAP_SHARED|PROT_WRITE: EACCES
mmap of it MAP_SHARED|PROT_READ: ok
mprotect that to PROT_WRITE: EACCES
pwrite64 on the host fd's number: EBADF
ftruncate on it: EBADF
fchmod on it: EBADF
dup3 elsewhere, with the magic: EBADF
mmap of a number below the range: EBADF" "$(run_hostile 2>&1)"
expect_eq "... and the file is as it was" "root's data" "$(cage cat /secret)"
normal() { "$LIND_RUN" "$TOOL" cat /secret; }
expect_eq "another cage is served after" "root's data" "$(normal)"
