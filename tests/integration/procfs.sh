#!/bin/bash
# /proc in the virtual filesystem describes cages, not the host: a cage
# sees itself (status, cmdline, fd/, cwd), the cages of its own user and
# no host pid; another user's cage is invisible; a cage that ends
# vanishes; nothing in /proc can be changed; unmodified host programs
# (cat, python3, ps) find what they read there.
. "$(dirname "$0")/lib.sh"
build proc_cage "$LIND_SRC/tests/integration/progs/proc_cage.c" || {
	echo "Bail out! proc_cage does not build"
	cat "$T"/bin/proc_cage.*.err >&2
	exit 1
}
P="$T/bin/proc_cage.lind"
PN="$T/bin/proc_cage.native"
start_daemons || exit 1
run() { "$LIND_RUN" "$@"; }

expect_eq "/proc/self/status: Pid is getpid()" same "$(run "$P" pid)"
expect_eq "... natively too" same "$("$PN" pid)"
expect_eq "/proc/self/cmdline is argv" equal \
	"$(run "$P" cmdline one 'two words' '' three)"

out=$(run "$P" fds /tmp)
expect_eq "/proc/self/fd lists exactly the open fds" exact "$(head -1 <<<"$out")"
expect_eq "... 0 1 2, the files, the dup and the listing's own fd" \
	"listed 0 1 2 3 4 5 40 " "$(sed -n 2p <<<"$out")"
expect_eq "fd/N names a file by the path it was opened by" \
	"/proc/self/fd/5 -> /tmp/pfile" "$(sed -n 4p <<<"$out")"
expect_eq "... (deleted) once it is unlinked, as Linux" \
	"/proc/self/fd/5 -> /tmp/pfile (deleted)" "$(sed -n 5p <<<"$out")"
expect_eq "... a device, through a dup" "/proc/self/fd/40 -> /dev/null" \
	"$(sed -n 6p <<<"$out")"
check "the launcher's stdout (a pipe) is pipe:[N], as Linux" \
	grep -qx 'pipe:\[[0-9]*\]' <(run /usr/bin/readlink /proc/self/fd/1 | cat)

out=$(run "$P" cwd /tmp)
expect_eq "/proc/self/cwd follows chdir" \
	"/proc/self/cwd -> /tmp
/proc/self/cwd -> /tmp/pcwd
getcwd in /proc: /proc/<pid>/fd
..: /proc/<pid>" "$out"

expect_eq "nothing in /proc can be changed: Linux's errnos (native as reference)" \
	"$("$PN" ro)" "$(run "$P" ro)"
expect_eq "an open file is a snapshot: read, pread, lseek" \
	"$("$PN" snapshot)" "$(run "$P" snapshot)"

# Unmodified host programs (dynamic, through --host-root).
status=$(run /bin/cat /proc/self/status)
check "lind-run /bin/cat /proc/self/status" grep -q '^Name:	cat$' <<<"$status"
pyout=$(run /usr/bin/python3 -c 'import os; print(os.getpid() == int(os.readlink("/proc/self")), sorted(os.listdir("/proc/self/fd")))')
expect_eq "python3: os.getpid(), os.listdir('/proc/self/fd')" \
	"True ['0', '1', '2', '3']" "$pyout"
check "python3 reads /proc/meminfo, cpuinfo, uptime, loadavg, mounts" \
	run /usr/bin/python3 -c '
for f in ("meminfo", "cpuinfo", "uptime", "loadavg", "mounts", "filesystems",
          "stat", "version", "sys/kernel/osrelease", "sys/kernel/pid_max",
          "sys/kernel/ngroups_max", "sys/vm/overcommit_memory"):
    assert open("/proc/" + f).read(), f
'
check "/proc/mounts: the store, /proc and the binds" \
	grep -q '^/usr /usr bind ro 0 0$' <(run /bin/cat /proc/mounts)

# A second cage, alive in the background: seen by its own user, listed
# with only cage ids, and gone once it ends.
fifo="$T/hold"
mkfifo "$fifo"
run /usr/bin/python3 -c 'import os, sys; print(os.getpid(), flush=True); sys.stdin.read()' \
	<"$fifo" >"$T/bg.pid" &
bg=$!
exec 7>"$fifo"
wait_for 10 test -s "$T/bg.pid"
bgid=$(cat "$T/bg.pid")
expect_eq "another cage's cmdline" "/usr/bin/python3" \
	"$(run /bin/cat "/proc/$bgid/cmdline" | tr '\0' '\n' | head -1)"
self_and_all=$(run /usr/bin/python3 -c '
import os
print(os.getpid(), " ".join(sorted((e for e in os.listdir("/proc") if e.isdigit()), key=int)))')
me=${self_and_all%% *}
expect_eq "ls /proc shows only cage ids (no host pid)" \
	"$(printf '%s\n' "$bgid" "$me" | sort -n | tr '\n' ' ' | sed 's/ $//')" \
	"${self_and_all#* }"
psout=$(run /bin/ps -e -o pid=,comm=)
check "ps -e (procps) lists the cages" grep -qE "^ *$bgid python3$" <<<"$psout"
check "... and itself" grep -qE '^ *[0-9]+ ps$' <<<"$psout"
if [ -x /bin/busybox ]; then
	check "busybox ps lists them too" grep -qE "^ *$bgid .*python3" \
		<(run /bin/busybox ps)
fi
exec 7>&-
check "the held cage ends cleanly" wait "$bg"
gone=$(run /usr/bin/python3 -c "
import os
print(os.path.exists('/proc/$bgid'), '$bgid' in os.listdir('/proc'))")
expect_eq "a cage that ended vanishes from /proc" "False False" "$gone"

# Another user's cage is invisible (as hidepid=invisible); root sees all.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	stop_pid "$relay_pid"
	GRP=4242
	chmod 711 "$T"
	chmod -R a+rX "$T/bin"
	"$RELAY" --socket-group "$GRP" >>"$T/relay.log" 2>&1 &
	relay_pid=$!
	wait_for 5 test -S "$LIND_RUNTIME_DIR/relay.sock"
	as() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --groups "$GRP" "$@"; }
	mkfifo "$T/hold2"
	chmod 666 "$T/hold2"
	as 1001 "$LIND_RUN" /usr/bin/python3 -c 'import os, sys; print(os.getpid(), flush=True); sys.stdin.read()' \
		<"$T/hold2" >"$T/bg2.pid" &
	bg=$!
	exec 7>"$T/hold2"
	wait_for 10 test -s "$T/bg2.pid"
	uid_cage=$(cat "$T/bg2.pid")
	look="import os; print(os.path.exists('/proc/$uid_cage'), '$uid_cage' in os.listdir('/proc'))"
	expect_eq "a cage of user 1001 is seen by another of 1001" "True True" \
		"$(as 1001 "$LIND_RUN" /usr/bin/python3 -c "$look")"
	expect_eq "... not by user 1002's: absent and ENOENT" "False False" \
		"$(as 1002 "$LIND_RUN" /usr/bin/python3 -c "$look")"
	expect_eq "... seen by root's" "True True" "$(run /usr/bin/python3 -c "$look")"
	expect_eq "user 1002 cannot read its status either" "ENOENT" \
		"$(as 1002 "$LIND_RUN" /usr/bin/python3 -c "
import errno
try: open('/proc/$uid_cage/status')
except OSError as e: print(errno.errorcode[e.errno])")"
	exec 7>&-
	check "user 1001's held cage ends cleanly" wait "$bg"
else
	ok "another user's cage is invisible # SKIP needs root and setpriv(1)"
fi

# maps and environ describe the cage's own process; exe names the
# program's virtual path; thread-self and task/N are its main thread.
maps=$(run /usr/bin/cat /proc/self/maps)
check "/proc/self/maps lists the cage's stack" grep -q '\[stack\]$' <<<"$maps"
expect_eq "... and names no host file" "" "$(grep ' /' <<<"$maps")"
expect_eq "... its ranges are the cage process's: pthread_getattr_np finds the main stack" \
	"0 True" "$(run /usr/bin/python3 -c '
import ctypes
libc = ctypes.CDLL(None)
libc.pthread_self.restype = ctypes.c_ulong
attr = ctypes.create_string_buffer(128)
r = libc.pthread_getattr_np(ctypes.c_ulong(libc.pthread_self()), attr)
addr, size = ctypes.c_void_p(), ctypes.c_size_t()
libc.pthread_attr_getstack(attr, ctypes.byref(addr), ctypes.byref(size))
end = ctypes.c_void_p.in_dll(libc, "__libc_stack_end").value
print(r, addr.value is not None and addr.value <= end < addr.value + size.value)')"
expect_eq "/proc/self/environ is the environment the program got" \
	"LIND_PROCFS_TEST=in-the-cage" \
	"$(LIND_PROCFS_TEST=in-the-cage run /usr/bin/cat /proc/self/environ |
		tr '\0' '\n' | grep '^LIND_PROCFS_TEST=')"
expect_eq "/proc/self/exe is the program's virtual path (a bound host file)" \
	"$(realpath /usr/bin/readlink)" "$(run /usr/bin/readlink /proc/self/exe)"
cp /usr/bin/readlink "$T/bin/rl0"
expect_eq "... of a program outside the cage's tree, started by a relative path: absolute" \
	"$T/bin/rl0" "$(cd "$T/bin" && "$LIND_RUN" ./rl0 /proc/self/exe)"
printf '#!/usr/bin/python3\nimport os; print(os.readlink("/proc/self/exe"))\n' >"$T/bin/exe.py"
chmod +x "$T/bin/exe.py"
run /usr/bin/mkdir -p "$T/bin" # the script is read by its host path
expect_eq "... of a #! script: its interpreter, as Linux" \
	"$(realpath /usr/bin/python3)" "$("$LIND_RUN" --bind "$T/bin:$T/bin" "$T/bin/exe.py")"
cp /usr/bin/readlink "$T/bin/rl"
run /usr/bin/mkdir /tmp/b
expect_eq "... through a per-cage bind" /tmp/b/rl \
	"$("$LIND_RUN" --bind "$T/bin:/tmp/b" "$T/bin/rl" /proc/self/exe)"
expect_eq "... and argv[0] for a program outside any bind" "$T/bin/rl" \
	"$(run "$T/bin/rl" /proc/self/exe)"
expect_eq "/proc/thread-self/comm" readlink \
	"$(run /usr/bin/readlink /proc/thread-self | sed 's|^[0-9]*/task/[0-9]*$|readlink|')"
expect_eq "... task/N/comm, task/N/status" "cat Name:	grep" \
	"$(run /usr/bin/cat /proc/thread-self/comm | tr '\n' ' '; run /usr/bin/grep '^Name:' /proc/thread-self/status)"
expect_eq "/proc/self/task lists one thread, the cage's own id" same \
	"$(run /usr/bin/python3 -c 'import os; print("same" if os.listdir("/proc/self/task") == [str(os.getpid())] else os.listdir("/proc/self/task"))')"
