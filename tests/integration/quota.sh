#!/bin/bash
# The --max-size quota (docs/durability.md, "A full store"): a cage fills
# a 1 MiB store, its last write is short and the next one fails with
# EDQUOT, every call that adds bytes fails with EDQUOT, another cage is
# still served, df shows the quota, an unlink makes room again, and the
# usage is the same after a restart (counted anew at load).
. "$(dirname "$0")/lib.sh"
trap finish EXIT
SERVER_ARGS+=(--max-size 1M)
start_daemons || exit 1
build_tool
build quota_cage "$LIND_SRC/tests/integration/progs/quota_cage.c" || {
	echo "Bail out! quota_cage does not build"
	cat "$T"/bin/quota_cage.*.err >&2
	exit 1
}
LIND_FS="$LIND_BUILD/lind-fs"
q() { "$LIND_RUN" "$T/bin/quota_cage.lind" "$@"; }
avail() { q df | awk '{print $4}'; }

expect_eq "statfs: the quota is the store's size" 1048576 \
	"$(q df | awk '{print $2}')"
expect_eq "lind-fs df: the quota is the size" 1024 \
	"$("$LIND_FS" df | awk 'NR==2 {print $2}')"
expect_eq "a normal cage writes its file" "wrote /tmp/normal" \
	"$(cage write /tmp/normal hello)"

q fill /tmp/big >"$T/fill1"
expect_eq "the fill ends with a short write, then EDQUOT" \
	"filled: a short write, then EDQUOT" "$(head -1 "$T/fill1")"
size=$(awk '/^size/ {print $2}' "$T/fill1")
check "it wrote most of the quota ($size bytes)" \
	test "$size" -gt 900000 -a "$size" -le 1048576
expect_eq "no block is left" 0 "$(avail)"
check "creates fill the last block's room with inodes" \
	eval "q inodes /tmp | grep -Eq '^EDQUOT after [0-9]+ creates$'"
cat >"$T/full.exp" <<EOT
pwrite at the end: EDQUOT
pwrite inside: ok
ftruncate up: EDQUOT
ftruncate same: ok
fallocate: EDQUOT
copy_file_range: EDQUOT
create: EDQUOT
mkdir: EDQUOT
symlink: EDQUOT
setxattr: EDQUOT
EOT
expect_eq "every call that adds bytes fails with EDQUOT" \
	"$(cat "$T/full.exp")" "$(q full /tmp/big)"
expect_eq "another cage is served on the full store" hello \
	"$(cage cat /tmp/normal)"
expect_eq "... and its writes fail with EDQUOT" "write /tmp/n2: EDQUOT" \
	"$(cage write /tmp/n2 more 2>&1)"
check "lind-fs df: nothing available" \
	eval "\"$LIND_FS\" df | awk 'NR==2 {exit !(\$4 == 0 && \$5 == \"100%\")}'"

# The usage is counted anew at load: the same after a restart.
before=$(q df)
stop_daemons
start_daemons || exit 1
expect_eq "after a restart: the same usage" "$before" "$(q df)"
expect_eq "... not one more inode fits" "EDQUOT after 0 creates" \
	"$(q inodes /tmp)"
expect_eq "... and the store is still full" \
	"$(cat "$T/full.exp")" "$(q full /tmp/big)"

expect_eq "an unlink frees" "unlink: ok" "$(q rm /tmp/big)"
check "... the room comes back ($(avail) bytes)" test "$(avail)" -gt 900000
q fill /tmp/big2 >"$T/fill2"
expect_eq "a second fill writes as much as the first" \
	"$(cat "$T/fill1")" "$(cat "$T/fill2")"
expect_eq "a truncate down frees" "truncate: ok" "$(q trunc /tmp/big2)"
check "... the room comes back" test "$(avail)" -gt 900000
stop_daemons
expect_eq "the server logged no error" "" \
	"$(grep -E 'ERROR|runtime error' "$T/server.log")"
