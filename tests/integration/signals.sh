#!/bin/bash
# Signals between cages (posix-server/sys_signal.c): kill by virtual pid,
# delivered natively through the relay's pidfd; permission by virtual uid;
# no host process reachable; a cage's own signal delivered before kill
# returns; a call parked in the server interrupted; SIGSTOP/SIGCONT/SIGKILL;
# process groups and sessions; timers.
. "$(dirname "$0")/lib.sh"
build signals "$LIND_SRC/tests/integration/progs/signals_cage.c" || {
	echo "Bail out! signals_cage does not build"
	exit 1
}
SIG="$T/bin/signals.lind"
start_daemons || exit 1

# start_waiter NAME CMD...: a cage in the background; its pid in $wpid,
# its virtual pid in $vpid once it has printed it
start_waiter() {
	local out=$T/$1.out
	shift
	"$LIND_RUN" "$SIG" "$@" >"$out" 2>&1 &
	wpid=$!
	wait_for 10 grep -q "^pid " "$out" || return 1
	vpid=$(sed -n 's/^pid //p' "$out")
}

start_waiter usr1 ready 10 || not_ok "a waiting cage prints its pid"
expect_eq "a cage signals another by virtual pid" "kill = 0" \
	"$("$LIND_RUN" "$SIG" kill "$vpid" 10)"
wait $wpid
expect_eq "... whose handler runs (SIGUSR1), and it exits 0" "0 got 10" \
	"$? $(tail -1 "$T/usr1.out")"

expect_eq "kill of a virtual pid no cage has: ESRCH" "kill = -1 ESRCH" \
	"$("$LIND_RUN" "$SIG" kill 999999 0)"
expect_eq "kill of the relay's host pid: ESRCH" "kill = -1 ESRCH" \
	"$("$LIND_RUN" "$SIG" kill "$relay_pid" 9)"
expect_eq "kill of the server's host pid: ESRCH" "kill = -1 ESRCH" \
	"$("$LIND_RUN" "$SIG" kill "$server_pid" 9)"
check "... and both daemons live" kill -0 "$relay_pid" "$server_pid"
expect_eq "a bad signal number: EINVAL" "kill = -1 EINVAL" \
	"$("$LIND_RUN" "$SIG" kill 2 65)"
expect_eq "kill(-1) with no other cage of ours: ESRCH" "kill = -1 ESRCH" \
	"$("$LIND_RUN" "$SIG" kill -1 0)"
expect_eq "kill(0): the caller's own signal arrives before kill returns" \
	"kill(0) = 0, handler ran before it returned: yes" \
	"$("$LIND_RUN" "$SIG" self0 12)"

start_waiter kill9 ready 10
"$LIND_RUN" "$SIG" kill "$vpid" 9 >/dev/null
wait $wpid
expect_eq "SIGKILL from another cage: lind-run exits 128+9" 137 $?

start_waiter stop ready 10
host=$(pgrep -P $wpid) # lind-run forks the cage
"$LIND_RUN" "$SIG" kill "$vpid" 19 >/dev/null
check "SIGSTOP stops the cage's process" \
	wait_for 5 eval '[ "$(cut -d" " -f3 /proc/$host/stat)" = T ]'
"$LIND_RUN" "$SIG" kill "$vpid" 18 >/dev/null
check "SIGCONT continues it" \
	wait_for 5 eval '[ "$(cut -d" " -f3 /proc/$host/stat)" != T ]'
"$LIND_RUN" "$SIG" kill "$vpid" 10 >/dev/null
wait $wpid
expect_eq "... and it goes on to take SIGUSR1" "0 got 10" \
	"$? $(tail -1 "$T/stop.out")"

# a read of stdin parks in the server; a signal without SA_RESTART ends it
mkfifo "$T/fifo"
exec 7<>"$T/fifo"
"$LIND_RUN" "$SIG" park 10 <"$T/fifo" >"$T/park.out" 2>&1 &
wpid=$!
wait_for 10 grep -q "^pid " "$T/park.out"
vpid=$(sed -n 's/^pid //p' "$T/park.out")
sleep 0.2 # the read is parked by now (or it is not yet: it gets EINTR either way)
"$LIND_RUN" "$SIG" kill "$vpid" 10 >/dev/null
wait $wpid
expect_eq "a read parked in the server ends with EINTR" \
	"read = -1 EINTR|got 10" "$(tail -2 "$T/park.out" | paste -sd'|')"
exec 7>&-

expect_eq "process groups and sessions" "leads its group and session: 1
setsid = -1 EPERM
setpgid(0, 0) = -1 EPERM
setpgid(0, -1) = -1 EINVAL
getpgid(999999) = -1 ESRCH
getsid(999999) = -1 ESRCH
setpgid(999999, 0) = -1 ESRCH" "$("$LIND_RUN" "$SIG" ids)"

expect_eq "alarm, setitimer and timer_create deliver SIGALRM" "alarm: got 14
setitimer = 0
got 14
timer_create = 0
timer_settime = 0
got 14
timer_delete = 0" "$("$LIND_RUN" "$SIG" timers)"

if can_switch_user; then
	share_daemons || exit 1
	start_waiter root ready 10
	expect_eq "uid 1001 may not signal root's cage: EPERM" "kill = -1 EPERM" \
		"$(as_user 1001 \
			"$LIND_RUN" "$SIG" kill "$vpid" 9)"
	check "... which lives on" kill -0 $wpid
	expect_eq "uid 1001's kill(-1) leaves root's cage out: ESRCH" \
		"kill = -1 ESRCH" "$(as_user 1001 "$LIND_RUN" "$SIG" kill -1 10)"
	expect_eq "uid 1001's kill(-pgid) of root's group: EPERM" \
		"kill = -1 EPERM" \
		"$(as_user 1001 "$LIND_RUN" "$SIG" kill "-$vpid" 10)"
	check "... and it lives on" kill -0 $wpid
	"$LIND_RUN" "$SIG" kill "$vpid" 10 >/dev/null
	wait $wpid
else
	ok "uid 1001 may not signal root's cage # SKIP needs root and setpriv(1)"
fi

# the terminal's foreground group (tcsetpgrp): a cage on a pty says what
# the same program says natively
if command -v script >/dev/null && build tty_jobs \
	"$LIND_SRC/tests/integration/progs/tty_jobs.c"; then
	native=$(script -qec "stty tostop; exec $T/bin/tty_jobs.native" /dev/null </dev/null |
		tr -d '\r')
	caged=$(script -qec "stty tostop; exec $LIND_RUN $T/bin/tty_jobs.lind" /dev/null \
		</dev/null | tr -d '\r')
	expect_eq "tcgetpgrp/tcsetpgrp/tcgetsid on the launcher's terminal" \
		"$native" "$caged"
else
	ok "tcsetpgrp on a terminal # SKIP needs script(1)"
fi
