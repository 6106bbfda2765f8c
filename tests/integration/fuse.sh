#!/bin/bash
# A stdio fd on a FUSE filesystem whose daemon (a user's process) stops
# answering: any fstat, read or close(2) of it could block whoever makes
# it.  The relay refuses such a cage, closes the fd off its loop, and goes
# on serving everyone else.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ] ||
	! pkg-config --exists fuse3 2>/dev/null; then
	ok "FUSE stdio # SKIP needs root, /dev/fuse and libfuse3-dev"
	exit 0
fi
build_tool
mkdir -p "$T/fuse/mnt"
cc -o "$T/bin/stallfs" "$LIND_SRC/tests/integration/progs/stallfs.c" \
	$(pkg-config --cflags --libs fuse3) || { not_ok "stallfs builds"; exit 1; }
"$T/bin/stallfs" "$T/fuse/mnt" 2>"$T/stallfs.log" & fs=$!
if ! wait_for 5 grep -q " $T/fuse/mnt " /proc/self/mountinfo; then
	ok "FUSE stdio # SKIP cannot mount a FUSE filesystem here"
	kill $fs 2>/dev/null
	exit 0
fi
unmount() {
	rm -f "$T/fuse/stall"
	umount "$T/fuse/mnt" 2>/dev/null || umount -l "$T/fuse/mnt"
	wait $fs 2>/dev/null
}
start_daemons || { unmount; exit 1; }

expect_eq "the FUSE file reads natively" hello "$(cat "$T/fuse/mnt/f")"
# The file is opened while its daemon answers; then the daemon stops, and
# a cage is started with it as stdin.  Only that subshell holds the fd:
# any process closing it now waits for the daemon too (even touch, at its
# exit, were it not closed before the daemon stops).
(
	exec <"$T/fuse/mnt/f" >"$T/out" 2>&1
	touch "$T/fuse/stall" <&-
	exec "$LIND_RUN" "$TOOL" readstdin
) & hostile=$!
check "a cage with a stalled FUSE file as stdin is refused, saying why" \
	wait_for 10 grep -qs "on a FUSE filesystem" "$T/out"
expect_eq "the relay serves another cage meanwhile" "looped 3" \
	"$(timeout 10 "$LIND_RUN" "$TOOL" loop 3 /)"
expect_eq "... and the server too" "wrote /tmp/x" \
	"$(timeout 10 "$LIND_RUN" "$TOOL" write /tmp/x y)"
rm -f "$T/fuse/stall" # the cage's own exit waits for the daemon (close)
wait $hostile
expect_eq "the refused cage exits 127" 127 $?
unmount
expect_eq "once the daemon answers again all is well" "looped 1" \
	"$(timeout 10 "$LIND_RUN" "$TOOL" loop 1 /)"
