#!/bin/bash
# Exhaustion: many cages holding ~1,000 open files each, against a server
# allowed only 256 host fds.  The server keeps at most host-fds data-file
# fds (an LRU cache), so the holders all get their files, a normal cage
# keeps attaching and working meanwhile, and the server's host fds stay
# under the documented bound.  Then the per-cage and all-cage limits give
# Linux's errnos (EMFILE, EINVAL, EBADF at the fd limit; ENFILE).
. "$(dirname "$0")/lib.sh"
build_tool

HOLDERS=${LIND_EXHAUST_CAGES:-20}
FILES=1000
HOST_FDS=64
# posix-server under a low RLIMIT_NOFILE, with the given --limit options.
server_with() {
	cat >"$T/bin/server.sh" <<-EOF
	#!/bin/bash
	ulimit -n 256 || exit 1
	exec "$LIND_BUILD/posix-server/posix-server" $* "\$@"
	EOF
	chmod +x "$T/bin/server.sh"
	SERVER="$T/bin/server.sh"
}
server_with --limit host-fds=$HOST_FDS
start_daemons || exit 1

# Each holder waits on its own FIFO, opened read-write here so that
# neither side blocks in open(2).
for i in $(seq "$HOLDERS"); do
	mkfifo "$T/hold$i"
	exec {fd}<>"$T/hold$i"
	hold_fd[i]=$fd
	cage holdmany "/tmp/h$i" "$FILES" <"$T/hold$i" >"$T/out$i" 2>&1 &
	hold_pid[i]=$!
done

all_held() {
	local i
	for i in $(seq "$HOLDERS"); do
		grep -q "^held $FILES\$" "$T/out$i" || return 1
	done
}
dead_holder() {
	local i
	for i in $(seq "$HOLDERS"); do
		kill -0 "${hold_pid[i]}" 2>/dev/null || return 0
	done
	return 1
}
# A normal cage, again and again while the holders open their files.
rounds=0 bad=0
until all_held || dead_holder; do
	out=$(cage write "/tmp/normal$rounds" "round $rounds" && cage cat "/tmp/normal$rounds")
	[ "$out" = "wrote /tmp/normal$rounds"$'\n'"round $rounds" ] || {
		bad=$((bad + 1))
		echo "# round $rounds: $out"
	}
	rounds=$((rounds + 1))
done
check "$HOLDERS cages each hold $FILES open files" all_held
expect_eq "a normal cage worked in every round while they opened ($rounds rounds)" 0 "$bad"

# The server's fds: a fixed few of its own, the data-file cache, and the
# launcher's stdio (up to 3 per cage, twice for a FIFO or terminal, which
# the server also opens non-blocking as the cage): not 1,000 per cage.
nfds=$(ls "/proc/$server_pid/fd" | wc -l)
bound=$((16 + HOST_FDS + 6 * HOLDERS))
check "the server holds $nfds host fds, at most $bound" test "$nfds" -le "$bound" ||
	ls -l "/proc/$server_pid/fd" | awk '{print $NF}' | sed 's/[0-9]*//g' |
	sort | uniq -c | sort -rn | head | diag
expect_eq "a new cage attaches and works with all of them held" \
	"wrote /tmp/late" "$(cage write /tmp/late ok)"

for i in $(seq "$HOLDERS"); do
	echo go >&"${hold_fd[i]}"
done
for i in $(seq "$HOLDERS"); do
	wait "${hold_pid[i]}"
	exec {hold_fd[i]}>&-
done
verified=0
for i in $(seq "$HOLDERS"); do
	grep -q "^verified $FILES of $FILES\$" "$T/out$i" && verified=$((verified + 1))
done
expect_eq "every holder read back its own bytes through every fd" \
	"$HOLDERS" "$verified"
[ "$verified" = "$HOLDERS" ] || diag "$T/out1"

# Per-cage fd limit: the same answers as native Linux under ulimit -n.
stop_daemons || not_ok "daemons stop cleanly"
server_with --limit fds=40
start_daemons || exit 1
mkdir "$T/native"
expect_eq "a cage at its fd limit gets EMFILE, as native Linux does" \
	"$(ulimit -n 40; "$TOOL_NATIVE" fdlimit "$T/native/d")" \
	"$(cage fdlimit /tmp/d)"

# All-cage open files: one cage holds files, the next open anywhere is
# ENFILE (the cages' stdio descriptions count too, as on Linux).
stop_daemons || not_ok "daemons stop cleanly"
server_with --limit files=64
start_daemons || exit 1
mkfifo "$T/holdf"
exec {fd}<>"$T/holdf"
cage holdmany /tmp/hf 40 <"$T/holdf" >"$T/outf" 2>&1 &
pid=$!
wait_for 30 grep -q "^held 40\$" "$T/outf"
expect_eq "a second cage gets ENFILE at the file limit" \
	"opened 18 then ENFILE; after a close: reopened" "$(cage fdlimit /tmp/e)"
echo go >&"$fd"
wait "$pid"
exec {fd}>&-
expect_eq "the holder's files were unharmed" "verified 40 of 40" \
	"$(tail -1 "$T/outf")"
