#!/bin/bash
# The seccomp filter's holes, each tried by a hostile cage
# (progs/hostile_filter.c, raw syscall instructions, forged host magic):
# each is refused with the errno Linux gives for what the cage's world
# holds, while a normal cage stays attached and another is served after
# each attempt.  Then the relay dies under sleeping cages: their own exit
# status still reaches lind-run.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build_tool
build hostile "$LIND_SRC/tests/integration/progs/hostile_filter.c" || {
	echo "Bail out! hostile_filter does not build"
	cat "$T"/bin/hostile.*.err >&2
	exit 1
}
hostile() { "$LIND_RUN" "$T/bin/hostile.lind" "$@" 2>&1; }
served() {
	expect_eq "another cage is served after: $1" "looped 10" \
		"$(cage loop 10 /)"
}

# A normal cage attached throughout, parked in a read of its stdin.
mkfifo "$T/fifo"
cage readstdin <"$T/fifo" >"$T/normal.out" & normal=$!
exec 7>"$T/fifo"

expect_eq "forged magic cannot replace the SIGSYS handler" \
	"forged rt_sigaction(SIGSYS): EINVAL
SIGSYS handler unchanged
getppid = 1, hijacked 0" "$(hostile sigsys)"
served "rt_sigaction(SIGSYS) with the magic"

# pidfd_open and a peek elsewhere than the attach socket go to the
# server, which has no pidfd_open (ENOSYS) and finds no socket at fd 0
# (ENOTSOCK), never to the host; a kill of pid 1 is a kill of virtual
# pid 1, which no cage has (ESRCH), not of host init
expect_eq "forged magic reaches no other host call" \
	"forged pidfd_open: ENOSYS
forged peek at fd 0: ENOTSOCK
forged kill of pid 1: ESRCH" "$(hostile magic)"
served "forged magic"

pids="0 self tid 1 $relay_pid $server_pid"
expect_eq "get_robust_list: the caller only, no host pid" \
	"get_robust_list(0): ok
get_robust_list(self): ok
get_robust_list(tid): ok
get_robust_list(1): ESRCH
get_robust_list($relay_pid): ESRCH
get_robust_list($server_pid): ESRCH" "$(hostile robust $pids)"
served "get_robust_list of the daemons"

expect_eq "sched_getaffinity: the cage's own threads only, no host pid" \
	"sched_getaffinity(0): ok
sched_getaffinity(self): ok
sched_getaffinity(tid): ok
sched_getaffinity(1): ESRCH
sched_getaffinity($relay_pid): ESRCH
sched_getaffinity($server_pid): ESRCH" "$(hostile affinity $pids)"
served "sched_getaffinity of host pids"

expect_eq "CPU clocks: the cage's own only (EINVAL, as for no such pid)" \
	"clock_gettime(cpu self): ok
clock_gettime(cpu thread): ok
clock_gettime(cpu fd0): EINVAL
clock_gettime(cpu 1): EINVAL
clock_gettime(cpu $relay_pid): EINVAL" \
	"$(hostile cpuclock self thread fd0 1 $relay_pid)"
served "CPU clocks of host pids"

expect_eq "PI futex commands (owner looked up by host tid) are refused" \
	"futex TRYLOCK_PI($relay_pid): ENOSYS
futex TRYLOCK_PI(1): ENOSYS" "$(hostile futexpi $relay_pid 1)"
served "PI futexes naming host pids"

# a fork is a new cage (client-libc/fork.c); anything else that is not a
# thread is refused by the fork hook (EINVAL) and never reaches the host
expect_eq "clone: threads and forks only (no namespaces, pidfd, parent, half threads)" \
	"pthread_create: ok, joined 7
clone namespaces: EINVAL
clone pidfd: EINVAL
clone parent: EINVAL
clone exit-signal: EINVAL
clone fork: created" \
	"$(hostile clone pthread namespaces pidfd parent exit-signal fork)"
served "clone with forbidden flags"

check "the normal cage stayed attached" kill -0 $normal
echo "served" >&7
exec 7>&-
wait $normal
expect_eq "the normal cage is answered at the end" "got: served" \
	"$(cat "$T/normal.out")"

# A cage asleep in the host (nanosleep): its host pid, a child of lind-run.
start_sleeper() { # OUT ACTION...
	local out=$1
	shift
	"$LIND_RUN" "$T/bin/hostile.lind" sleep "$@" >"$out" 2>"$out.err" &
	launcher=$!
	wait_for 10 grep -q sleeping "$out"
	local c=
	read -r c <"/proc/$launcher/task/$launcher/children"
	sleeper=${c:-0}
}

# SIGSTOP/SIGCONT resume the sleep through restart_syscall (it was
# trapped: the sleep ended with ENOSYS); SIGTERM then interrupts it.
start_sleeper "$T/stop.out" report
kill -STOP $sleeper
wait_for 10 grep -q '^State:.*stopped' /proc/$sleeper/status
kill -CONT $sleeper
# 219 is restart_syscall: the sleep goes on (or the cage is gone: fails)
wait_for 10 eval '[ "$(cut -d" " -f1 /proc/$sleeper/syscall 2>/dev/null)" = 219 ] ||
	! kill -0 $sleeper 2>/dev/null'
check "a stopped and continued sleep goes on" kill -0 $sleeper
kill -TERM $sleeper
wait $launcher
expect_eq "then a signal interrupts it" "sleeping
nanosleep: EINTR" "$(cat "$T/stop.out")"

# kill -9 the relay under a sleeping cage, wake the cage with SIGTERM
# (its handler ends the sleep), then ACTION; lind-run's status is checked.
relay_dies() { # OUT ACTION...
	local out=$1
	shift
	start_sleeper "$out" "$@"
	kill -KILL $relay_pid
	wait $relay_pid 2>/dev/null
	relay_pid=
	kill -TERM $sleeper
	wait $launcher
	status=$?
	rm -f "$LIND_RUNTIME_DIR/relay.sock" # left by the kill: not ready yet
	start_relay || echo "Bail out! the relay does not restart"
}

relay_dies "$T/exit.out" exit 3
expect_eq "relay killed: exit(3) still exits 3" 3 $status
expect_eq "relay killed: exit says nothing" "" "$(cat "$T/exit.out.err")"
served "a relay restart"

relay_dies "$T/abort.out" abort
expect_eq "relay killed: abort() still dies of SIGABRT" 134 $status

relay_dies "$T/write.out" write
expect_eq "relay killed: a write, which needs an answer, is fatal" 127 $status
expect_eq "relay killed: fatal with one line" \
	"lind: relay connection lost" "$(cat "$T/write.out.err")"
served "the relay's deaths"
