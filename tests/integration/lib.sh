# Shared by the integration tests: start real daemons on a temporary runtime
# dir and store, build programs natively and with lind-cc, report TAP.
# Every check reports the caller's file and line when it fails.
set -u
# Close what make (jobserver) or the shell handed down beyond stdio: a cage
# starts with fds 0-2 only, and the native run must too.
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
done
: "${LIND_BUILD:?run through make check (LIND_BUILD unset)}"
: "${LIND_SRC:?run through make check (LIND_SRC unset)}"

SERVER="$LIND_BUILD/posix-server/posix-server"
RELAY="$LIND_BUILD/nacl-relay/nacl-relay"
LIND_RUN="$LIND_BUILD/lind-run"
LIND_TRACE="$LIND_BUILD/lind-trace"
LIND_CC="$LIND_BUILD/lind-cc-uninstalled"
CASES="${CASES:-$LIND_SRC/tests/cases}" # a directory of some: while working on them

T=$(mktemp -d /tmp/lind-it.XXXXXX)
export LIND_RUNTIME_DIR="$T/run" LIND_STORE="$T/store"
mkdir -p "$T/bin"
tap_n=0
tap_failed=0
server_pid=
relay_pid=

# The first line of a sanitizer report in a daemon log fails the test.
sanitizer_clean() {
	! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$@" 2>/dev/null
}

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

# where: file:line of the first caller outside this file
where() {
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[$i]##*/}" != lib.sh ]; then
			echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
			return
		fi
	done
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $* ($(where))"
}

# check DESCRIPTION COMMAND...: one TAP line from a command's status.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# quiet COMMAND...: its status, without its output (for check)
quiet() { "$@" >/dev/null 2>&1; }

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1: expected [$2], got [$3]"
	fi
}

diag() { sed 's/^/# /' "$@" >&2; }

# start_daemon PROGRAM LOG SOCKET [ARGS...]: runs it in the background (pid
# in $daemon_pid) and waits until its socket exists, which means ready.  A
# socket left by a daemon that died (kill -9, or SIGTERM during its own
# shutdown) would pass for ready at once: it goes first.
start_daemon() {
	rm -f "$3"
	"$1" "${@:4}" >>"$2" 2>&1 &
	daemon_pid=$!
	local i=0
	while [ ! -S "$3" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
			echo "# ${1##*/} did not start"; diag "$2"
			return 1
		fi
		sleep 0.05
	done
}

# The host's system directories are bound read-only (--host-root): cages
# are loaded by lind-run, and a dynamic program's loader reads its
# libraries through the server.
SERVER_ARGS=(--host-root)

start_server() { # [ARGS...] for posix-server, after SERVER_ARGS
	local st=0
	start_daemon "$SERVER" "$T/server.log" "$LIND_RUNTIME_DIR/server.sock" \
		"${SERVER_ARGS[@]}" "$@" || st=1
	server_pid=$daemon_pid
	return $st
}

start_relay() {
	local st=0
	start_daemon "$RELAY" "$T/relay.log" "$LIND_RUNTIME_DIR/relay.sock" || st=1
	relay_pid=$daemon_pid
	return $st
}

start_daemons() {
	start_server && start_relay
}

# stop_pid PID: SIGTERM, wait up to 10 s; status 0 when it exited cleanly.
stop_pid() {
	local pid=$1 i=0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 1
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
}

stop_daemons() {
	local rs=0 ss=0
	stop_pid "$relay_pid" || rs=$?
	relay_pid=
	stop_pid "$server_pid" || ss=$?
	server_pid=
	return $((rs + ss))
}

# build NAME SOURCE: $T/bin/NAME.native with cc, $T/bin/NAME.lind with lind-cc
# A case names libraries it links in its first comment: "(cases-libs: -lev)".
build() {
	local name=$1 src=$2 libs
	libs=$(sed -n '1s/.*(cases-libs: \([^)]*\)).*/\1/p' "$src")
	# shellcheck disable=SC2086 # a list of flags
	${CC:-cc} -std=gnu11 -O1 -o "$T/bin/$name.native" "$src" -lpthread $libs \
		2>"$T/bin/$name.native.err" &&
		"$LIND_CC" -std=gnu11 -O1 -o "$T/bin/$name.lind" "$src" \
			-lpthread $libs 2>"$T/bin/$name.lind.err"
}

# compare_case NAME WHERE [RUNNER...]: tests/cases/NAME.c built both ways,
# run natively and as a cage (RUNNER... env CASE_SCRATCH=... lind-run):
# the same output and status, and the cage's files stay off the host.
compare_case() {
	local name=$1 where=$2 src="$CASES/$1.c" input=/dev/null st_n st_l
	shift 2
	if ! build "$name" "$src"; then
		not_ok "$name: builds with cc and lind-cc"
		diag "$T/bin/$name".*.err
		return
	fi
	[ -f "$CASES/$name.stdin" ] && input="$CASES/$name.stdin"
	local scratch="/tmp/lind-case-$$-$name"
	(cd "$T" && CASE_SCRATCH="$scratch" "$T/bin/$name.native" <"$input" \
		>"$T/$name.native.out" 2>&1)
	st_n=$?
	rm -rf "$scratch"
	"$@" env CASE_SCRATCH="$scratch" "$LIND_RUN" "$T/bin/$name.lind" \
		<"$input" >"$T/$name.lind.out" 2>&1
	st_l=$?
	if cmp -s "$T/$name.native.out" "$T/$name.lind.out" &&
		[ "$st_n" = "$st_l" ]; then
		ok "$name: same output and status ($st_n) natively and $where"
	else
		not_ok "$name: native status $st_n, cage status $st_l"
		diff -u "$T/$name.native.out" "$T/$name.lind.out" | head -40 | diag
	fi
	if [ -d "$scratch" ]; then
		not_ok "$name: the cage's files stay off the host ($scratch exists)"
		rm -rf "$scratch"
	fi
}

finish() {
	local st=0
	stop_daemons || { not_ok "daemons stop cleanly on SIGTERM"; st=1; }
	if sanitizer_clean "$T"/*.log; then :; else
		not_ok "no sanitizer reports in daemon logs"
		grep -E -A20 'Sanitizer|runtime error' "$T"/*.log | head -60 | diag
	fi
	echo "1..$tap_n"
	if [ "$tap_failed" -eq 0 ] && [ "${LIND_KEEP:-}" = "" ]; then
		rm -rf "$T"
	else
		echo "# kept $T"
	fi
}
trap finish EXIT

# The multi-command test program, built both ways: $TOOL_NATIVE, $TOOL.
build_tool() {
	build cagetool "$LIND_SRC/tests/integration/progs/cagetool.c" || {
		echo "Bail out! cagetool does not build"
		cat "$T"/bin/cagetool.*.err >&2
		exit 1
	}
	TOOL_NATIVE="$T/bin/cagetool.native"
	TOOL="$T/bin/cagetool.lind"
}

# cage ARGS...: run cagetool as a cage through lind-run
cage() { "$LIND_RUN" "$TOOL" "$@"; }

# Other users (tests acting as uid 1001): can_switch_user says whether we
# can; share_daemons restarts the daemons so that they reach relay.sock
# through group $GRP (docs/deployment.md) and the test's programs;
# as_user UID COMMAND... runs as that user in that group.
GRP=4242
can_switch_user() { [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; }
share_daemons() { # [ARGS...] for posix-server
	chmod 711 "$T"
	chmod -R a+rX "$T/bin"
	stop_daemons
	start_server "$@" || return 1
	"$RELAY" --socket-group "$GRP" >>"$T/relay.log" 2>&1 &
	relay_pid=$!
	wait_for 5 test -S "$LIND_RUNTIME_DIR/relay.sock"
}
as_user() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$u" --groups "$GRP" "$@"
}

# wait_for SECONDS COMMAND...: poll until the command succeeds
wait_for() {
	local limit=$(($1 * 20)) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.05
	done
}
