#!/bin/bash
# Crash safety (docs/durability.md): posix-server killed with SIGKILL at
# CRASH_KILLS random moments (50; CRASH_KILLS=1000 for a longer run by
# hand) of a busy workload: CRASH_CAGES cages (4) creating, appending,
# fsync'ing, renaming (within and across directories, over existing
# names), linking and unlinking files, each printing to a host file every
# call it tries and every one that returned (progs/crash_cage.c).  After
# each kill the server starts again on the store and a cage checks every
# directory of that round: exactly the state the acknowledged calls left
# (names, which names are one inode, link counts, contents, fsync'ed or
# not), the call in flight whole or not at all.  Every 10th round (100th
# in runs of more than 100 kills) and at the end, every round so far; at
# the end the store's data files against the files seen, and the same
# after a clean stop.  The kill moments come from CRASH_SEED (printed
# first).
. "$(dirname "$0")/lib.sh"

KILLS=${CRASH_KILLS:-50}
CAGES=${CRASH_CAGES:-4}
EVERY=$((KILLS > 100 ? 100 : 10))
SEED=${CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# CRASH_SEED=$SEED CRASH_KILLS=$KILLS CRASH_CAGES=$CAGES"
RANDOM=$SEED

build crash_cage "$LIND_SRC/tests/integration/progs/crash_cage.c" || {
	echo "Bail out! crash_cage does not build"
	cat "$T"/bin/crash_cage.*.err >&2
	exit 1
}
CRASH=$T/bin/crash_cage.lind
LOGS=$T/logs
mkdir -p "$LOGS"
start_daemons || exit 1
# a fresh store's own data files (its /etc), owned by no round
ls "$LIND_STORE/data" | sort >"$T/fresh_data"

# The store, offline: lind-fs fsck where this tree has it (issue 8
# item 7).  Without it the store is checked through the restarted server.
offline_fsck() {
	"$LIND_BUILD/lind-fs" --help 2>&1 | grep -q '^ *fsck' || return 0
	"$LIND_BUILD/lind-fs" fsck >"$T/fsck.out" 2>&1
}

# sections ROUND...: crash_cage verify's input for those rounds, each log
# without a last line the kill cut short
sections() {
	local r k f
	for r in "$@"; do
		for k in $(seq "$CAGES"); do
			f=$LOGS/r$r.w$k
			echo "= /crash/r$r/w$k"
			if [ -n "$(tail -c1 "$f")" ]; then head -n -1 "$f"; else cat "$f"; fi
		done
	done
}

# start_round R: CAGES cages at work in /crash/rR
start_round() {
	local k
	"$LIND_RUN" "$CRASH" mkdirs $(seq -f "/crash/r$1/w%g" "$CAGES") ||
		return 1
	for k in $(seq "$CAGES"); do
		"$LIND_RUN" "$CRASH" work "/crash/r$1/w$k" "$RANDOM$RANDOM" \
			>"$LOGS/r$1.w$k" 2>>"$T/cages.err" &
		workers="$workers $!"
	done
}

# kill_server: SIGKILL, then the relay and the cages end (they lose it)
kill_server() {
	kill -KILL "$server_pid"
	wait "$server_pid" 2>/dev/null
	server_pid=
	wait_for 10 eval '! kill -0 $relay_pid 2>/dev/null' || return 1
	wait "$relay_pid" 2>/dev/null
	relay_pid=
	wait_for 10 eval '! kill -0 ${workers:-0} 2>/dev/null' || return 1
	wait $workers 2>/dev/null
	workers=
}

# verify ROUND...: 0 when every directory of those rounds is right
verify() {
	sections "$@" | "$LIND_RUN" "$CRASH" verify inos >"$T/verify.out" 2>&1 &&
		grep -q ' 0 bad$' "$T/verify.out"
}

# Data files of the store (data/<ino>) that no file seen has.
stray_data() {
	{ grep '^ino ' "$T/verify.out" | cut -d' ' -f2; cat "$T/fresh_data"; } |
		sort -u >"$T/inos"
	ls "$LIND_STORE/data" | sort | comm -23 - "$T/inos"
}

calls=0
for round in $(seq "$KILLS"); do
	workers=
	start_round "$round" || { not_ok "round $round starts"; break; }
	ms=$((20 + RANDOM % 980))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if ! kill_server; then
		not_ok "kill $round: the relay and the cages end with the server"
		break
	fi
	offline_fsck || { not_ok "kill $round: lind-fs fsck"; diag "$T/fsck.out"; }
	if ! start_daemons; then
		not_ok "kill $round (after $ms ms): the store opens"
		break
	fi
	if ((round % EVERY == 0 || round == KILLS)); then
		what="rounds 1-$round" && verify $(seq "$round")
	else
		what="round $round" && verify "$round"
	fi
	st=$?
	n=$(sections "$round" | grep -c '^ok$')
	calls=$((calls + n))
	if [ $st -eq 0 ]; then
		ok "kill $round after $ms ms ($n calls acknowledged): $what as acknowledged"
	else
		not_ok "kill $round after $ms ms: $what as acknowledged"
		grep -v '^ino ' "$T/verify.out" | head -40 | diag
	fi
done
diag <<EOF
$calls calls acknowledged in all; $(grep -c '^lind: ' "$T/cages.err") cages ended by a kill
EOF
expect_eq "no data file in the store without a file" "" "$(stray_data)"
# the kill ends cages with lind's lines (the relay lost, an attach cut
# short); crash_cage's own are calls that failed
expect_eq "no cage's call failed while the server ran" "" \
	"$(grep -v '^lind: ' "$T/cages.err")"
check "the journal never went read-only" \
	eval '! grep -q "read-only" "$T/server.log"'

# A clean stop loses nothing either.
check "a clean stop" stop_daemons
start_daemons || exit 1
check "after the clean stop: every round as acknowledged" verify $(seq "$round")
