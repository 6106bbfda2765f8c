#!/bin/bash
# Remote relays (issue 9): posix-server --listen in one network namespace,
# nacl-relay --server and the cages in another, joined by a veth pair made
# here.  Cases, a pipe, fork and wait, stdin and stdout piping print what
# they print natively; a wrong secret and strangers without one are
# refused with one log line each; a killed relay's cages are freed.
. "$(dirname "$0")/lib.sh"

NS_S=lind-srv-$$ NS_R=lind-rly-$$
ADDR=10.211.$(($$ % 250)).1 URL=
netns_down() {
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_R" 2>/dev/null
}
netns_up() {
	[ "$(id -u)" = 0 ] && ip netns add "$NS_S" 2>/dev/null &&
		ip netns add "$NS_R" &&
		ip link add lind-s$$ netns "$NS_S" type veth peer name lind-r$$ \
			netns "$NS_R" &&
		ip -n "$NS_S" addr add "$ADDR/24" dev lind-s$$ &&
		ip -n "$NS_R" addr add "${ADDR%.1}.2/24" dev lind-r$$ &&
		ip -n "$NS_S" link set lind-s$$ up && ip -n "$NS_R" link set lind-r$$ up &&
		ip -n "$NS_S" link set lo up && ip -n "$NS_R" link set lo up
}
if ! netns_up 2>"$T/netns.err"; then
	netns_down
	echo "1..0 # SKIP cannot make network namespaces (needs root and ip netns): $(head -1 "$T/netns.err")"
	rm -rf "$T"
	exit 0
fi
trap 'netns_down; finish' EXIT
URL="tcp://$ADDR:7700"
RRUN="$T/rrun"
mkdir -p "$RRUN"
in_s() { ip netns exec "$NS_S" "$@"; }
in_r() { ip netns exec "$NS_R" env LIND_RUNTIME_DIR="$RRUN" "$@"; }
head -c 24 /dev/urandom | base64 >"$T/secret"
chmod 600 "$T/secret"

start_daemon ip "$T/server.log" "$LIND_RUNTIME_DIR/server.sock" netns exec \
	"$NS_S" "$SERVER" "${SERVER_ARGS[@]}" --listen "$URL" --secret "$T/secret" ||
	exit 1
server_pid=$daemon_pid
start_remote_relay() { # SECRET
	start_daemon ip "$T/relay.log" "$RRUN/relay.sock" netns exec "$NS_R" \
		env LIND_RUNTIME_DIR="$RRUN" "$RELAY" --server "$URL" --secret "$1"
}
start_remote_relay "$T/secret" || exit 1
relay_pid=$daemon_pid
# ---- cases: the same as natively ----------------------------------------
for name in files_basic pipes fork exit_status stdin_upper copy dirs; do
	compare_case "$name" "through a remote relay" in_r
done

# ---- stdio without fds ---------------------------------------------------
expect_eq "echo hi | lind-run cat" hi "$(echo hi | in_r "$LIND_RUN" /bin/cat)"
expect_eq "lind-run seq | grep: the pipe's reader sees EOF" 20 \
	"$(in_r "$LIND_RUN" /usr/bin/seq 100 | grep -c 1)"
head -c 1500000 /dev/urandom >"$T/big"
expect_eq "1.5 MB through stdin and stdout, byte for byte" \
	"$(md5sum <"$T/big")" "$(in_r "$LIND_RUN" /bin/cat <"$T/big" | md5sum)"
expect_eq "stderr is forwarded apart from stdout" "err" \
	"$(in_r "$LIND_RUN" /bin/sh -c 'echo err >&2; echo out' 2>&1 >/dev/null)"
in_r "$LIND_RUN" /usr/bin/yes 2>/dev/null | head -2 >"$T/yes.out"
st="${PIPESTATUS[*]}"
expect_eq "a reader that goes away: SIGPIPE as locally" "y y 141 0" \
	"$(tr '\n' ' ' <"$T/yes.out")$st"
expect_eq "a closed stdin stays closed" "1" \
	"$(in_r "$LIND_RUN" /bin/sh -c 'cat; echo $?' <&- 2>/dev/null)"

# ---- a killed relay's cages are freed -----------------------------------
in_r "$LIND_RUN" /bin/sleep 30 >/dev/null 2>&1 &
sleeper=$!
wait_for 5 grep -q "new cage.*sleep" "$T/server.log"
kill -KILL "$relay_pid"
wait "$relay_pid" 2>/dev/null
relay_pid=
check "the server sees the relay go and drops its cage" \
	wait_for 15 grep -q "relay disconnected (1 cages dropped)" "$T/server.log"
wait "$sleeper" 2>/dev/null
rm -f "$RRUN/relay.sock" "$RRUN/nacl-relay.pid"

# ---- strangers -------------------------------------------------------------
refused() { test "$(grep -c "refused a peer" "$T/server.log")" = "$1"; }
head -c 24 /dev/urandom | base64 >"$T/wrong"
chmod 600 "$T/wrong"
in_r "$RELAY" --server "$URL" --secret "$T/wrong" >"$T/wrong.out" 2>&1
expect_eq "a relay with a wrong secret exits 1" 1 $?
check "... saying the handshake failed" \
	grep -q "handshake failed: the server does not know our secret" "$T/wrong.out"
check "... and the server logs one line" wait_for 8 refused 1
chmod 640 "$T/wrong"
in_r "$RELAY" --server "$URL" --secret "$T/wrong" >"$T/mode.out" 2>&1
expect_eq "a secret others may read is refused" "1 1" \
	"$? $(grep -c "mode 0600" "$T/mode.out")"
if ${CC:-cc} -std=gnu11 -o "$T/bin/stranger" \
	"$LIND_SRC/tests/integration/progs/link_stranger.c" -lnanomsg \
	2>"$T/stranger.err"; then
	expect_eq "a stranger's forged frame: no answer, the link closed" end \
		"$(in_r "$T/bin/stranger" "$URL" forge)"
	check "... one log line" wait_for 5 refused 2
	expect_eq "a stranger guessing the MAC: a challenge, never an ok" \
		"A end" "$(in_r "$T/bin/stranger" "$URL" guess | tr '\n' ' ' | sed 's/ $//')"
	check "... one log line" wait_for 5 refused 3
else
	not_ok "the stranger builds"
	diag "$T/stranger.err"
fi

# ---- and the real relay still gets in -----------------------------------
start_remote_relay "$T/secret" || exit 1
relay_pid=$daemon_pid
expect_eq "after the strangers, the relay with the secret is served" hi \
	"$(echo hi | in_r "$LIND_RUN" /bin/cat)"
if [ -x "$T/bin/stranger" ]; then
	expect_eq "while it is, a stranger's connection gets nothing" end \
		"$(in_r "$T/bin/stranger" "$URL" forge)"
	expect_eq "... and the relay goes on being served" hi \
		"$(echo hi | in_r "$LIND_RUN" /bin/cat)"
fi
chmod 644 "$T/secret"
in_s "$SERVER" --runtime-dir "$T/run2" --store "$T/store2" --listen \
	"tcp://$ADDR:7701" --secret "$T/secret" >"$T/server2.out" 2>&1
expect_eq "posix-server refuses a secret others may read" "1 1" \
	"$? $(grep -c "mode 0600" "$T/server2.out")"
chmod 600 "$T/secret"
