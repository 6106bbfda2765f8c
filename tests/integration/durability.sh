#!/bin/bash
# A full disk loses nothing acknowledged (docs/durability.md): the store
# lives on a small tmpfs made here; a hostile cage fills it, checks that
# creates on the full disk fail with ENOSPC, frees space and writes 50
# more files, while another cage is served normally; then the server is
# killed with SIGKILL and every acknowledged file must be there with its
# bytes, no unlinked or failed file may come back.
DISK=$(mktemp -d /tmp/lind-disk.XXXXXX)
if ! mount -t tmpfs -o size=4m,mode=0700 tmpfs "$DISK" 2>/dev/null; then
	rmdir "$DISK"
	echo "1..0 # SKIP cannot mount a tmpfs here (needs CAP_SYS_ADMIN)"
	exit 0
fi
. "$(dirname "$0")/lib.sh"
trap 'finish; umount "$DISK" && rmdir "$DISK"' EXIT
export LIND_STORE="$DISK/store"
start_daemons || exit 1
build_tool
build diskfill "$LIND_SRC/tests/integration/progs/diskfill.c" || {
	echo "Bail out! diskfill does not build"
	cat "$T"/bin/diskfill.*.err >&2
	exit 1
}
FILL="$T/bin/diskfill.lind"
fill() { "$LIND_RUN" "$FILL" "$@"; }

expect_eq "a normal cage writes its file" "wrote /tmp/normal" \
	"$(cage write /tmp/normal hello)"
expect_eq "the hostile cage's directory" "" "$(cage mkdir /tmp/h)"

# The normal cage, served again and again while the disk fills and
# empties: every run must read its file.
normal_loop() {
	while [ ! -e "$T/stop" ]; do
		echo "$(cage cat /tmp/normal)" >>"$T/normal.out"
	done
}
normal_start() { rm -f "$T/stop"; normal_loop & normal=$!; }
normal_stop() {
	wait_for 30 test -s "$T/normal.out" # it ran at least once meanwhile
	touch "$T/stop"
	wait $normal
	expect_eq "the normal cage was served throughout $1" \
		"hello" "$(sort -u "$T/normal.out")"
	rm -f "$T/normal.out"
}

normal_start
fill fill /tmp/h >"$T/acked" 2>"$T/fill.err"
expect_eq "the fill ran" 0 $?
check "a write on the full disk failed (ENOSPC)" grep -q '^created fill' "$T/acked"
expect_eq "creates on the full disk fail with ENOSPC" \
	"full: 10 of 10 creates failed with ENOSPC" "$(grep '^full:' "$T/acked")"
expect_eq "a normal cage reads on the full disk" hello "$(cage cat /tmp/normal)"
expect_eq "... and fails to write with ENOSPC" "write /tmp/n2: ENOSPC" \
	"$(cage write /tmp/n2 more)"
normal_stop "while the disk filled"

# A clean stop cannot write its snapshot on the full disk; the journal
# keeps everything, and its room for unlinks, across the restart.
stop_pid "$relay_pid"
relay_pid=
stop_pid "$server_pid"
expect_eq "a clean stop on the full disk exits 1" 1 $?
server_pid=
expect_eq "... saying the snapshot did not fit" 1 \
	"$(grep -c 'store snapshot: No space left on device' "$T/server.log")"
start_daemons || exit 1

normal_start
fill free /tmp/h >>"$T/acked"
expect_eq "unlinks free the full disk after a restart" 0 $?
fill more /tmp/h 50 >>"$T/acked"
expect_eq "50 files written after space was freed" 50 \
	"$(grep -c '^ok more' "$T/acked")"
normal_stop "while space was freed"
diag <<EOF
$(grep -c '^ok' "$T/acked") files acknowledged, $(grep -c '^unlinked' "$T/acked") unlinked, $(grep -c '^nocreate' "$T/acked") creates refused
EOF

kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=
check "relay exits when its server dies" wait_for 10 eval '! kill -0 $relay_pid 2>/dev/null'
wait "$relay_pid" 2>/dev/null
relay_pid=
start_daemons || exit 1
out=$(fill verify /tmp/h <"$T/acked")
expect_eq "after kill -9: every acknowledged file is there, nothing else" \
	"0 bad" "$(echo "$out" | tail -1 | grep -o '[0-9]* bad$')"
echo "$out" | grep BAD | head -20 | diag
check "the journal never went read-only" \
	eval '! grep -q "read-only" "$T/server.log"'
check "the journal had no torn record to cut" \
	eval '! grep -q "journal cut" "$T/server.log"'
expect_eq "the normal cage's file too" hello "$(cage cat /tmp/normal)"
expect_eq "the store takes new files again" "wrote /tmp/after" \
	"$(cage write /tmp/after again)"
