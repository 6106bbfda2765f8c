#!/bin/bash
# lind-run --bind HOST:VIRT[:ro]: a host tree shown read-only to one cage
# only.  lind-run opens HOST with its user's rights; the fd travels with
# the Attach; the relay refuses what no honest lind-run sends (proven by a
# hostile client); nothing outside the bind is reachable (a canary's atime
# never moves); the server holds no fd of a cage that is gone.
. "$(dirname "$0")/lib.sh"
build bindwalk "$LIND_SRC/tests/integration/progs/bindwalk.c" || {
	echo "Bail out! bindwalk does not build"
	cat "$T"/bin/bindwalk.*.err >&2
	exit 1
}
bw() { "$LIND_RUN" "$T/bin/bindwalk.lind" "$@"; }
bwb() { local b=$1; shift; "$LIND_RUN" --bind "$b" "$T/bin/bindwalk.lind" "$@"; }

H="$T/host"
mkdir -p "$H/tree/sub" "$H/other" "$H/esc" "$H/rootonly"
echo hello >"$H/tree/a.txt"
echo other >"$H/other/a.txt"
echo "CANARY-$$-$RANDOM" >"$H/canary"
ln -s ../canary "$H/tree/rel"
ln -s ../../../../../../../../../../"$H"/canary "$H/tree/deep"
ln -s "$H/canary" "$H/tree/abs"
ln -s / "$H/tree/root"
echo secret >"$H/rootonly/s"
chmod 700 "$H/rootonly"
touch -a -d '2001-01-01' "$H/canary" # relatime: the next read moves it
canary_atime() { stat -c %X "$H/canary"; }
atime0=$(canary_atime)

GRP=4242 # relay.sock's group, for the uid 1001 cage
chmod 711 "$T"
chmod -R a+rX "$T/bin"
chmod 755 "$H" "$H/tree" "$H/other"
start_server || exit 1
start_daemon "$RELAY" "$T/relay.log" "$LIND_RUNTIME_DIR/relay.sock" \
	--socket-group "$GRP" || exit 1
relay_pid=$daemon_pid
srv_fds() { ls "/proc/$server_pid/fd" | wc -l; }
fds0=$(srv_fds)

one_line_2() { # the command's status and stderr line count
	"$@" >/dev/null 2>"$T/err"
	echo $? "$(wc -l <"$T/err")"
}
expect_eq "a relative VIRT: one line, exit 2" "2 1" \
	"$(one_line_2 bwb "$H/tree:mnt" cat /mnt/a.txt)"
expect_eq "... a VIRT with .." "2 1" "$(one_line_2 bwb "$H/tree:/tmp/../mnt" cat /x)"
expect_eq "... a VIRT with a trailing /" "2 1" "$(one_line_2 bwb "$H/tree:/mnt/" cat /x)"
expect_eq "... VIRT /" "2 1" "$(one_line_2 bwb "$H/tree:/" cat /x)"
expect_eq "... a missing HOST" "2 1" "$(one_line_2 bwb "$H/none:/mnt" cat /x)"
expect_eq "... a suffix other than :ro" "2 1" "$(one_line_2 bwb "$H/tree:/mnt:rw" cat /x)"
expect_eq "... the host's /proc" "2 1" "$(one_line_2 bwb "/proc:/mnt" cat /x)"
expect_eq "... a device" "2 1" "$(one_line_2 bwb "/dev/null:/mnt" cat /x)"
as_1001() { setpriv --reuid 1001 --regid 1001 --groups "$GRP" "$@"; }
expect_eq "uid 1001 cannot bind a 0700 root directory (one line, exit 2)" "2 1" \
	"$(one_line_2 as_1001 "$LIND_RUN" --bind "$H/rootonly:/mnt" "$T/bin/bindwalk.lind" cat /x)"
grep -q "Permission denied" "$T/err"
check "... and says why" test $? = 0

expect_eq "a missing mountpoint is refused by the server" \
	"lind: posix-server refused the cage: --bind /mnt: No such file or directory" \
	"$(bwb "$H/tree:/mnt" cat /mnt/a.txt 2>&1)"
expect_eq "mountpoints are made in the store by a cage" "mkdir /mnt: ok" \
	"$(bw try mkdir /mnt)"
bw try mkdir /mnt2 >/dev/null
bw try creat /tmp/f >/dev/null
expect_eq "a cage sees its bind" hello "$(bwb "$H/tree:/mnt:ro" cat /mnt/a.txt)"
expect_eq "... without :ro too (read-only anyway)" hello \
	"$(bwb "$H/tree:/mnt" cat /mnt/a.txt)"
expect_eq "... a bound file" hello "$(bwb "$H/tree/a.txt:/tmp/f" cat /tmp/f 2>&1)"
expect_eq "... a file onto a directory: refused" \
	"lind: posix-server refused the cage: --bind /mnt: Not a directory" \
	"$(bwb "$H/tree/a.txt:/mnt" cat /mnt 2>&1)"

# Two cages at once: each sees its own bind, a third none.
mkfifo "$T/holdA" "$T/holdB"
bwb "$H/tree:/mnt" hold /mnt/a.txt <"$T/holdA" >"$T/outA" 2>&1 &
pidA=$!
bwb "$H/other:/mnt" hold /mnt/a.txt <"$T/holdB" >"$T/outB" 2>&1 &
pidB=$!
exec 7>"$T/holdA" 8>"$T/holdB"
wait_for 10 grep -qs . "$T/outA" && wait_for 10 grep -qs . "$T/outB"
expect_eq "cage A sees its bind" hello "$(head -1 "$T/outA")"
expect_eq "cage B, at the same time, sees its own at the same path" other \
	"$(head -1 "$T/outB")"
expect_eq "a third cage sees the store's empty directory" \
	"cat /mnt/a.txt: ENOENT" "$(bw cat /mnt/a.txt)"
expect_eq "... and lists it empty" "" "$(bw walk /mnt)"
expect_eq "/proc/N/mounts shows cage N's binds (A's, B's), not the reader's" \
	"1 1 0" "$("$LIND_RUN" /usr/bin/python3 -c '
import os
for p in sorted(p for p in os.listdir("/proc") if p.isdigit()):
    if b"\0hold\0" in open(f"/proc/{p}/cmdline", "rb").read():
        print(open(f"/proc/{p}/mounts").read().count(" /mnt bind ro"))
print(open("/proc/self/mounts").read().count(" /mnt bind ro"))' | tr '\n' ' ' | sed 's/ $//')"
mounts=$(bwb "$H/tree:/mnt2" cat /proc/self/mounts)
check "its /proc/self/mounts lists its bind" grep -q "^$H/tree /mnt2 bind ro" <<<"$mounts"
echo >&7
echo >&8
wait $pidA $pidB
exec 7>&- 8>&-
expect_eq "cage A still sees it after that" "hello hello" \
	"$(tr '\n' ' ' <"$T/outA" | sed 's/ $//')"

# Read-only, and the same checks as a server-wide bind.
expect_eq "writes are EROFS" \
	"mkdir /mnt/x: EROFS creat /mnt/a.txt: EROFS unlink /mnt/a.txt: EROFS rdwr /mnt/a.txt: EROFS" \
	"$(for op in "mkdir x" "creat a.txt" "unlink a.txt" "rdwr a.txt"; do
		set -- $op; bwb "$H/tree:/mnt:ro" try "$1" "/mnt/$2"
	done | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the mountpoint cannot be removed" "rmdir /mnt: EBUSY" \
	"$(bwb "$H/tree:/mnt" try rmdir /mnt)"
chmod 755 "$H/rootonly"
chmod 600 "$H/rootonly/s"
bw try mkdir /tmp/r >/dev/null
expect_eq "uid 1001: a root-only 0600 file in its bind is EACCES" \
	"cat /tmp/r/s: EACCES" \
	"$(as_1001 "$LIND_RUN" --bind "$H/rootonly:/tmp/r" "$T/bin/bindwalk.lind" cat /tmp/r/s)"

# Ways out: links relative, deep, absolute, through "/", and "..".
out=$(for l in rel deep abs root/"$H"/canary; do
		bwb "$H/tree:/mnt" cat "/mnt/$l"
	done
	bwb "$H/tree:/mnt" cat /mnt/../canary
	bwb "$H/tree:/mnt" cat "/mnt/../../../../../../../$H/canary"
	bwb "$H/tree:/mnt" cwd /mnt ..)
expect_eq "no way out reaches the canary" "" "$(grep CANARY <<<"$out")"
expect_eq "... each is ENOENT" 6 "$(grep -c ': ENOENT$' <<<"$out")"
check "... and .. of the bind's root is the store's /" \
	grep -q "; chdir ..: ok cwd /;" <<<"$out"
expect_eq "... proven from the host: the canary's atime did not move" \
	"$atime0" "$(canary_atime)"
cat "$H/canary" >/dev/null
check "... (a native read does move it: the proof can fail)" \
	test "$(canary_atime)" != "$atime0"

# A kernel view mounted below the bind (a user's bind of / would hold
# /proc): never opened, since the server opens with its own rights.
if [ "$(id -u)" = 0 ] && mkdir "$H/tree/p" && mount --bind /proc "$H/tree/p" 2>/dev/null; then
	out=$(bwb "$H/tree:/mnt" cat /mnt/p/self/status; bwb "$H/tree:/mnt" walk /mnt/p)
	umount "$H/tree/p"
	expect_eq "/proc mounted inside the bind is not entered" \
		"cat /mnt/p/self/status: EACCES" "$(head -1 <<<"$out")"
	check "... nor listed" test "$(wc -l <<<"$out")" -le 2
else
	ok "/proc mounted inside the bind is not entered # SKIP needs root to mount"
fi

# Hostile attaches with bogus bind fds: each refused, nothing served.
python3 "$LIND_SRC/tests/integration/progs/hostile_bind.py" \
	"$LIND_RUNTIME_DIR" "$H/tree" "$H/tree/a.txt" >"$T/hostile" 2>&1
expect_eq "every hostile bind attach is refused" "" \
	"$(grep -v ': refused: ' "$T/hostile")"
expect_eq "... all 18 of them" 18 "$(grep -c ': refused: ' "$T/hostile")"
grep -E "socket|device|pipe|procfs|sysfs|O_PATH" "$T/hostile" | diag
expect_eq "another cage is served throughout" hello \
	"$(bwb "$H/tree:/mnt" cat /mnt/a.txt)"
check "both daemons are alive" kill -0 "$server_pid" "$relay_pid"

# Nothing held once the cages are gone.
wait_for 10 test "$(srv_fds)" -eq "$fds0"
expect_eq "the server's fds are back to the baseline ($fds0)" "$fds0" "$(srv_fds)"
# A cage that ends while its bind's nodes are still referenced by a
# directory fd it holds: released with it.
expect_eq "a cage ending with an open directory in its bind" "chdir /mnt/sub: ok" \
	"$(bwb "$H/tree:/mnt" try chdir /mnt/sub)"
wait_for 10 test "$(srv_fds)" -eq "$fds0"
expect_eq "... the fds are back to the baseline" "$fds0" "$(srv_fds)"
