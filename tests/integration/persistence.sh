#!/bin/bash
# The virtual filesystem survives a clean restart of both daemons, and a
# kill -9 of the server (what was fsync'ed is there); symlinks too.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build_tool

expect_eq "mkdir in a cage" "" "$(cage mkdir /tmp/keep)"
expect_eq "write a file" "wrote /tmp/keep/a" "$(cage write /tmp/keep/a first)"
expect_eq "write a 4 MiB file" \
	"big /tmp/keep/big: 8192 of 8192 blocks match" "$(cage big /tmp/keep/big 4)"
# symlinks, made and read by the host's ln and readlink in cages
ln_s() { "$LIND_RUN" /bin/ln -s "$@"; }
links() { "$LIND_RUN" /bin/readlink "$@" | tr '\n' ' '; }
check "symlinks made" ln_s keep/a /tmp/rel
check "... an absolute one" ln_s /tmp/keep/big /tmp/abs
check "clean shutdown" stop_daemons
check "store formatted once" test -e "$LIND_STORE/FORMAT"
start_daemons || exit 1
expect_eq "file intact after a clean restart" "first" "$(cage cat /tmp/keep/a)"
expect_eq "4 MiB intact after a clean restart" \
	"big /tmp/keep/big: 8192 of 8192 blocks match" "$(cage verify /tmp/keep/big 4)"
expect_eq "symlinks intact after a clean restart" "keep/a /tmp/keep/big " \
	"$(links /tmp/rel /tmp/abs)"
expect_eq "... and followed" "first" "$(cage cat /tmp/rel)"
check "a symlink made before a kill -9" ln_s keep/b /tmp/late

expect_eq "write after restart" "wrote /tmp/keep/b" "$(cage write /tmp/keep/b second)"
# a cage parked in read() when the server dies is told so and exits 127
mkfifo "$T/fifo"
exec 6<>"$T/fifo"
"$TOOL" readstdin <"$T/fifo" >"$T/parked.out" 2>"$T/parked.err" & parked=$!
check "the parked cage attached" \
	wait_for 10 eval '"$LIND_TRACE" --stats | grep -qx "cages 1"'
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=
check "relay exits when its server dies" wait_for 10 eval '! kill -0 $relay_pid 2>/dev/null'
wait "$relay_pid" 2>/dev/null
relay_pid=
wait $parked
expect_eq "a cage parked in a call exits 127 when the server dies" 127 $?
expect_eq "... saying why" "lind: relay connection lost" "$(cat "$T/parked.err")"
exec 6>&-
start_daemons || exit 1
expect_eq "fsync'ed file survives kill -9 of the server" "second" "$(cage cat /tmp/keep/b)"
expect_eq "older file survives too" "first" "$(cage cat /tmp/keep/a)"
expect_eq "symlinks survive kill -9 of the server" "keep/a /tmp/keep/big keep/b " \
	"$(links /tmp/rel /tmp/abs /tmp/late)"
expect_eq "... and are followed" "second" "$(cage cat /tmp/late)"
expect_eq "... shown as links" "l" "$("$LIND_RUN" /bin/stat -c %A /tmp/late | cut -c1)"
expect_eq "second server refused on the same store" 1 \
	"$("$SERVER" --runtime-dir "$T/run2" >/dev/null 2>&1; echo $?)"
