#!/bin/bash
# Bulk data in the slot's data area (issue 10, docs/architecture.md "Bulk
# data"): reads and writes of every size around the area are byte-exact
# (untraced, through the area; traced, inline), a 1 MiB pread and pwrite
# are one call each (the relay's call count, which sees untraced calls),
# and a cage scribbling over its whole channel while it reads and writes
# changes nothing but its own data: another cage is served meanwhile,
# and a file it never opened stays as it was.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
SRC="$LIND_SRC/tests/integration/progs/area_cage.c"
A="$T/bin/area_cage.lind"
"$LIND_CC" -std=gnu11 -O1 -I"$LIND_SRC/proto" \
	-I"$LIND_SRC/tests/integration/progs" -o "$A" "$SRC" -lpthread \
	2>"$T/bin/area_cage.err" || {
	echo "Bail out! area_cage does not build"
	cat "$T/bin/area_cage.err" >&2
	exit 1
}
calls() { "$LIND_TRACE" --stats | sed -n 's/^calls //p'; }
run() { "$LIND_RUN" "$A" "$@" 2>&1; }

expect_eq "sizes 0, 1, area-1, area, area+1, 1 MiB, 3 MiB are byte-exact" \
	"sizes: byte-exact" "$(run sizes /tmp)"

# traced: the bytes travel inline in the frames, and the trace sees them
"$LIND_TRACE" -e trace=pwrite64 -s 16 >"$T/trace.out" 2>"$T/trace.err" & tr=$!
check "a tracer attaches" wait_for 10 grep -q attached "$T/trace.err"
expect_eq "... and so while traced" "sizes: byte-exact" "$(run sizes /tmp)"
sleep 1
kill -INT $tr
wait $tr
check "the trace shows a pwrite's bytes" \
	grep -q 'pwrite64([0-9]*, "..' "$T/trace.out"

# one call each: the same program with 8 more pwrite+pread pairs
c0=$(calls)
expect_eq "io 0" "io 0: ok" "$(run io 0 /tmp)"
c1=$(calls)
expect_eq "io 8" "io 8: ok" "$(run io 8 /tmp)"
c2=$(calls)
extra=$(((c2 - c1) - (c1 - c0)))
check "8 pwrites and 8 preads of 1 MiB are 16 calls ($c0 -> $c1 -> $c2: $extra)" \
	test "$extra" -ge 16 -a "$extra" -le 18

# hostile: its channel scribbled over, areas included, while it does I/O
expect_eq "a bystander's file" "keep: intact" "$(run keep /tmp)"
timeout 60 "$LIND_RUN" "$A" hostile /tmp 4 >"$T/hostile.out" 2>&1 & h=$!
check "the hostile cage scribbles" wait_for 20 grep -q scribbling "$T/hostile.out"
expect_eq "another cage is served meanwhile" "io 2: ok" "$(run io 2 /tmp)"
wait $h
st=$?
check "the hostile cage ended, not timed out (status $st)" test $st -ne 124
expect_eq "the bystander's file is unchanged" "keep: intact" "$(run check /tmp)"
check "the daemons are alive" kill -0 "$server_pid" "$relay_pid"
expect_eq "and serve a new cage" "sizes: byte-exact" "$(run sizes /tmp)"
