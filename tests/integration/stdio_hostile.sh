#!/bin/bash
# Hostile stdio: whatever a launcher passes as fds 0/1/2 (a FIFO with no
# reader, a stalled pipe or socket, an O_PATH fd, a wrong access mode, a
# closed fd, a device, a terminal), the server never blocks on it, serves
# other cages meanwhile, and uses the fd with the cage's rights only.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build_tool
build stdio_cage "$LIND_SRC/tests/integration/progs/stdio_cage.c" ||
	not_ok "stdio_cage builds"
build upper "$CASES/stdin_upper.c" || not_ok "stdin_upper builds"
PROG="$T/bin/stdio_cage.lind"
PROG_NATIVE="$T/bin/stdio_cage.native"
MIB=$((1 << 20))

# another_cage: a normal cage attaches and runs while the others wait
# (into a file: a server that hangs holds the fds it was sent)
another_cage() {
	timeout 20 "$LIND_RUN" "$TOOL" loop 3 / >"$T/other.out" 2>&1
	cat "$T/other.out"
}
cages_seen() { grep -c "new cage" "$T/server.log"; }

# pipe_bytes FD: bytes waiting in the pipe or FIFO open on FD
pipe_bytes() {
	python3 -c 'import fcntl, struct, sys, termios
print(struct.unpack("i", fcntl.ioctl(int(sys.argv[1]), termios.FIONREAD, b"1234"))[0])' "$1"
}
pipe_full() { [ "$(pipe_bytes "$1")" -ge 65536 ]; }
# server_waits FIFO EVENTS: the server's epoll watches FIFO for EVENTS
# (1 EPOLLIN, 4 EPOLLOUT): a call is parked on it
server_waits() {
	python3 -c 'import os, re, sys
pid, fifo, want = sys.argv[1], os.stat(sys.argv[2]), int(sys.argv[3])
d = "/proc/%s/fd/" % pid
fifos, polls = set(), []
for fd in os.listdir(d):
    try:
        st, link = os.stat(d + fd), os.readlink(d + fd)
    except OSError:
        continue
    if (st.st_dev, st.st_ino) == (fifo.st_dev, fifo.st_ino):
        fifos.add(fd)
    if link == "anon_inode:[eventpoll]":
        polls.append(fd)
for fd in polls:
    for line in open("/proc/%s/fdinfo/%s" % (pid, fd)):
        m = re.match(r"tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)", line)
        if m and m.group(1) in fifos and int(m.group(2), 16) & want:
            sys.exit(0)
sys.exit(1)' "$server_pid" "$1" "$2"
}

# ---- a FIFO with no reader at attach, then a reader that stalls --------
mkfifo "$T/fifo" "$T/go"
exec {go}<>"$T/go"
before=$(cages_seen)
more_cages() { [ "$(cages_seen)" -gt "$before" ]; }
# The launcher holds the FIFO's write end and nobody reads it.
python3 -c 'import os, sys
r = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
w = os.open(sys.argv[1], os.O_WRONLY)
os.close(r)
os.dup2(w, 1)
os.close(w)
os.execv(sys.argv[2], sys.argv[2:])' "$T/fifo" "$LIND_RUN" "$PROG" wait-write1 $MIB \
	<"$T/go" 2>"$T/fifo.err" &
launcher=$!
check "a cage attaches with a FIFO that has no reader as stdout" \
	wait_for 30 more_cages
exec {stalled}<"$T/fifo"
echo go >&$go
check "its write fills the FIFO" wait_for 30 pipe_full $stalled
# The reader takes one page and stalls: a write bigger than the room left
# would block a server that writes the fd as it is.
dd bs=4096 count=1 <&$stalled of=/dev/null status=none
check "the reader takes a page and stalls" wait_for 30 pipe_full $stalled
check "the server waits with the rest of the write" \
	wait_for 30 server_waits "$T/fifo" 4
expect_eq "another cage runs meanwhile" "looped 3" "$(another_cage)"
cat <&$stalled >"$T/fifo.out" &
reader=$!
exec {stalled}<&-
wait $launcher
wait $reader
expect_eq "the stalled write completes when the reader drains" \
	"write: $MIB $MIB" "$(cat "$T/fifo.err") $(($(wc -c <"$T/fifo.out") + 4096))"
exec {go}>&-

# ---- a signal ends a write waiting on a stalled FIFO ---------------------
mkfifo "$T/sigfifo"
"$LIND_RUN" "$PROG" sigwrite1 $MIB >"$T/sigfifo" 2>"$T/sig.err" &
launcher=$!
exec {stalled}<"$T/sigfifo"
check "a write waits on a stalled FIFO" wait_for 30 server_waits "$T/sigfifo" 4
kill -USR1 "$(pgrep -P $launcher)"
wait $launcher
expect_eq "a signal ends it: it answers what it wrote, as natively" \
	"write: 65536" "$(cat "$T/sig.err")"
exec {stalled}<&-

# ---- a huge write to a stalled pipe or socket ---------------------------
# stalled KIND: the cage writes 16 MiB at once into a pipe or a socket
# nobody reads; another cage runs; then the reader drains it all.
stalled() {
	T=$T python3 - "$1" "$LIND_RUN" "$PROG" "$TOOL" <<'PY'
import fcntl, os, socket, struct, subprocess, sys, termios, time
kind, run, prog, tool = sys.argv[1:]
n = 16 << 20
if kind == "pipe":
    r, w = os.pipe()
else:
    a, b = socket.socketpair()
    # a small send buffer: a write of 64 KiB would block
    b.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    r, w = a.detach(), b.detach()
cage = subprocess.Popen([run, prog, "write1", str(n)], stdout=w,
                        stderr=subprocess.PIPE)
os.close(w)
def waiting():  # the pipe is full, the socket has data queued
    queued = struct.unpack("i", fcntl.ioctl(r, termios.FIONREAD, b"1234"))[0]
    return queued >= (65536 if kind == "pipe" else 1)
while not waiting():
    time.sleep(0.05)
time.sleep(0.5)  # more time to finish (if it did not wait) cannot fail it
with open(os.environ["T"] + "/other.out", "w+") as f:
    subprocess.run(["timeout", "20", run, tool, "loop", "3", "/"], stdout=f,
                   stderr=subprocess.STDOUT)
    f.seek(0)
    other = f.read().strip()
print("stalled:", "yes" if cage.poll() is None else "no")
print("other:", other)
got = 0
while True:
    d = os.read(r, 1 << 20)
    if not d:
        break
    got += len(d)
print("got:", got)
print(cage.stderr.read().decode().strip())
cage.wait()
PY
}
out=$(stalled pipe)
n=$((16 * MIB))
expect_eq "a 16 MiB write to a stalled pipe waits, another cage runs, all arrives" \
	"stalled: yes/other: looped 3/got: $n/write: $n" "$(tr '\n' / <<<"$out" | sed 's,/$,,')"
out=$(stalled socket)
expect_eq "the same with a stalled socket" \
	"stalled: yes/other: looped 3/got: $n/write: $n" "$(tr '\n' / <<<"$out" | sed 's,/$,,')"

# ---- a socket as stdio ---------------------------------------------------
out=$(python3 - "$LIND_RUN" "$T/bin/upper.lind" <<'PY'
import socket, subprocess, sys
a, b = socket.socketpair()
cage = subprocess.Popen(sys.argv[1:], stdin=b, stdout=b)
b.close()
a.sendall(b"hello socket\n")
a.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = a.recv(4096)
    if not d:
        break
    got += d
cage.wait()
print(got.decode().splitlines()[0])
PY
)
expect_eq "a socket as stdin and stdout" "HELLO SOCKET" "$out"

# ---- access modes, closed fds, devices: as natively ---------------------
# same DESCRIPTION REDIRECTED-COMMAND...: the cage answers as natively
same() {
	local what=$1
	shift
	local native cage
	native=$(eval "'$PROG_NATIVE' $*" 2>&1 >/dev/null)
	cage=$(eval "'$LIND_RUN' '$PROG' $*" 2>&1 >/dev/null)
	expect_eq "$what ($native)" "$native" "$cage"
}
echo data >"$T/file"
same "stdout opened read-only: write" 'write1 5 1<"$T/file"'
same "stdin opened write-only: read" 'read0 0>>"$T/file"'
same "closed stdin: read" 'read0 <&-'
same "closed stdout: write" 'write1 5 >&-'
same "/dev/full as stdout (no RWF_NOWAIT): write" 'write1 5 >/dev/full'
same "/dev/null as stdin: read" 'read0 </dev/null'
same "/dev/zero as stdin: read" 'read0 </dev/zero'
same "a directory as stdin: read" 'read0 <"$T"'

# o_path PATH CMD...: runs CMD with stdin an O_PATH fd on PATH
o_path() {
	python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_PATH)
os.dup2(fd, 0)
os.execvp(sys.argv[2], sys.argv[2:])' "$@"
}
expect_eq "an O_PATH fd as stdin: read" "read: EBADF" \
	"$(o_path "$T/file" "$LIND_RUN" "$PROG" read0 2>&1)"

# ---- another user's cage gets its own rights, never the server's -------
if [ "$(id -u)" != 0 ]; then
	ok "uid 1001 cages # SKIP not root: cannot run a cage as another user"
else
	as1001() { setpriv --reuid 1001 --regid 1001 --clear-groups "$@"; }
	chmod 711 "$T" "$T/bin" "$LIND_RUNTIME_DIR"
	chmod 666 "$LIND_RUNTIME_DIR/relay.sock"
	echo secret >"$T/secret"
	chmod 600 "$T/secret"
	mkfifo -m 600 "$T/secret.fifo"
	exec {sf}<>"$T/secret.fifo"
	echo fifo secret >&$sf
	expect_eq "uid 1001 runs a cage" "looped 3" \
		"$(as1001 "$LIND_RUN" "$TOOL" loop 3 /)"
	expect_eq "uid 1001, stdin O_PATH on a root-only file: read" \
		"read: EBADF" "$(o_path "$T/secret" setpriv --reuid 1001 --regid 1001 \
		--clear-groups "$LIND_RUN" "$PROG" read0 2>&1)"
	expect_eq "uid 1001, stdin O_PATH on a root-only FIFO: read" \
		"read: EBADF" "$(o_path "$T/secret.fifo" setpriv --reuid 1001 \
		--regid 1001 --clear-groups "$LIND_RUN" "$PROG" read0 2>&1)"
	expect_eq "the root-only FIFO kept its data" "fifo secret" \
		"$(timeout 5 head -n1 <&$sf)"
	exec {sf}>&-
	if command -v script >/dev/null; then
		# its own terminal: opened again as uid 1001, it works
		out=$( (sleep 1; echo typed) | as1001 script -qec \
			"'$LIND_RUN' '$TOOL' tty" /dev/null | tr -d '\r')
		check "uid 1001 on its own terminal: a read waits for the line" \
			grep -qx "got: typed" <<<"$out"
		# root's terminal: uid 1001 cannot open it, so the server does
		# not either (a tty refuses RWF_NOWAIT): EIO, one log line
		script -qec "setpriv --reuid 1001 --regid 1001 --clear-groups \
			'$LIND_RUN' '$PROG' read0 2>'$T/roottty.err'" /dev/null \
			</dev/null >/dev/null
		expect_eq "uid 1001 on root's terminal: read" "read: EIO" \
			"$(cat "$T/roottty.err")"
		check "... and the server says why" \
			grep -q "stdio 0 cannot be used without blocking" "$T/server.log"
	else
		ok "terminals # SKIP script(1) is not installed"
	fi
fi
expect_eq "the server still serves cages" "looped 3" "$(another_cage)"

# ---- per-cage limits: parked calls, bytes held for a stalled stream ----
stop_daemons || not_ok "daemons stop cleanly on SIGTERM"
cat >"$T/bin/server-limited" <<EOF
#!/bin/sh
exec "$SERVER" --limit parked=1 --limit pending=4096 "\$@"
EOF
chmod +x "$T/bin/server-limited"
SERVER="$T/bin/server-limited" start_daemons || exit 1

mkfifo "$T/in" "$T/out"
"$LIND_RUN" "$PROG" tworeads <"$T/in" 2>"$T/tworeads.err" &
cage_pid=$!
exec {in}>"$T/in"
check "--limit parked=1: one read waits" wait_for 30 server_waits "$T/in" 1
check "... the other answers EAGAIN" wait_for 30 grep -qx "read: EAGAIN" "$T/tworeads.err"
echo hi >&$in
wait $cage_pid
expect_eq "... and the waiting one gets the data" "read: EAGAIN/read: 3" \
	"$(tr '\n' / <"$T/tworeads.err" | sed 's,/$,,')"
exec {in}>&-

"$LIND_RUN" "$PROG" write1 $MIB >"$T/out" 2>"$T/pending.err" &
cage_pid=$!
exec {out}<"$T/out"
check "--limit pending=4096: a big write waits on a full FIFO" \
	wait_for 30 server_waits "$T/out" 4
cat <&$out >"$T/pending.out" &
reader=$!
exec {out}<&-
wait $cage_pid
wait $reader
# 64 KiB fitted in the FIFO; of the rest, the server held 4096 bytes
expect_eq "... holds only 4096 bytes, and the write answers short" \
	"write: 69632 69632" "$(cat "$T/pending.err") $(wc -c <"$T/pending.out")"
expect_eq "a normal cage runs under these limits" "looped 3" "$(another_cage)"
