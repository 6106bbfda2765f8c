#!/usr/bin/env python3
"""A hostile client of relay.sock and server.sock, for attach.sh.

usage: hostile_attach.py RUNDIR COMMAND [ARGS]
  shrink        attach, then shrink and scribble on the channel memfd
  self-stdio    attach passing our own attach socket as stdin
  orphan        attach, hand the socket to a child that lingers, exit
  idle N SECS   hold N connections to relay.sock that never attach
  squat SECS    hold a silent connection to server.sock
  setcred UID   attach asking for virtual uid UID (lind-run --uid's
                fields), printing the relay's answer
  publish NET ENTRY...  attach under Attach.net NET with Attach.publish
                entries HOST:CAGE[:UDP[:ADDR]] (raw numbers, any value),
                printing the relay's answer; ENTRYxN repeats one N times
Prints one line per outcome, for the test to compare.
"""
import mmap
import os
import socket
import sys
import time

ATTACH_VERSION = 4  # LIND_PROTO_VERSION


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def attach_frame(stdio_mask, argv):
    """Attach{version, stdio_mask, argv} packed by hand (proto/lind.proto)."""
    f = b"\x08" + varint(ATTACH_VERSION)
    if stdio_mask:
        f += b"\x10" + varint(stdio_mask)
    for a in argv:
        a = a.encode()
        f += b"\x1a" + varint(len(a)) + a
    return f


def connect(rundir, name="relay.sock"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(os.path.join(rundir, name))
    return s


def attach(rundir, fds=(), mask=0):
    s = connect(rundir)
    socket.send_fds(s, [attach_frame(mask, ["hostile"])], list(fds))
    msg, got, _, _ = socket.recv_fds(s, 8192, 1)
    return s, msg, got


def cmd_shrink(rundir):
    s, msg, fds = attach(rundir)
    if not fds:
        print("no channel:", msg.decode("latin-1", "replace"))
        return 1
    fd = fds[0]
    size = os.fstat(fd).st_size
    try:
        os.ftruncate(fd, 0)
        print("shrunk")
    except OSError as e:
        print("shrink refused:", e.strerror)
    try:
        os.ftruncate(fd, size * 2)
        print("grown")
    except OSError as e:
        print("grow refused:", e.strerror)
    # garbage in every slot: the relay must answer or ignore, not crash
    m = mmap.mmap(fd, size)
    m[:] = os.urandom(4096) * (size // 4096) + os.urandom(size % 4096)
    m.close()
    time.sleep(0.5)
    s.close()
    return 0


def cmd_self_stdio(rundir):
    s = connect(rundir)
    socket.send_fds(s, [attach_frame(1, ["hostile"])], [s.fileno()])
    msg, _, _, _ = socket.recv_fds(s, 8192, 1)
    text = msg.decode("latin-1", "replace")
    print("refused" if "connection to nacl-relay" in text else "accepted: " + text)
    return 0


def cmd_orphan(rundir):
    s, msg, fds = attach(rundir)
    print("attached" if fds else "refused")
    sys.stdout.flush()
    if os.fork() == 0:  # the child keeps the socket open for a while
        time.sleep(4)
        os._exit(0)
    os._exit(0)


def cmd_idle(rundir, n, secs):
    conns = []
    for _ in range(int(n)):
        try:
            conns.append(connect(rundir))
        except OSError as e:
            print("connect failed:", e.strerror)
            break
    print("holding", len(conns))
    sys.stdout.flush()
    time.sleep(float(secs))
    closed = 0
    for c in conns:
        c.setblocking(False)
        try:
            if c.recv(8192) is not None:
                closed += 1  # the relay answered and hung up
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print("closed by relay", closed)
    return 0


def cmd_squat(rundir, secs):
    s = connect(rundir, "server.sock")
    print("squatting")
    sys.stdout.flush()
    time.sleep(float(secs))
    s.close()
    return 0


def cmd_setcred(rundir, uid):
    s = connect(rundir)
    # Attach.set_cred (10), uid (11), gid (12)
    f = attach_frame(0, ["hostile"]) + b"\x50\x01" + b"\x58" + \
        varint(int(uid)) + b"\x60" + varint(int(uid))
    socket.send_fds(s, [f], [])
    msg, fds, _, _ = socket.recv_fds(s, 8192, 1)
    print("attached" if fds else "refused:",
          msg.decode("latin-1", "replace").split("\x22", 1)[-1][1:])
    return 0


def publish_entry(spec):
    """Publish{host_port, cage_port, udp, addr}: numbers as given."""
    fields = [int(x) for x in spec.split(":")]
    body = b"".join(bytes([(i + 1) << 3]) + varint(v)
                    for i, v in enumerate(fields))
    return b"\x7a" + varint(len(body)) + body  # Attach.publish (15)


def cmd_publish(rundir, net, *entries):
    f = attach_frame(0, ["hostile"]) + b"\x70" + varint(int(net))
    for e in entries:
        spec, _, times = e.partition("x")
        f += publish_entry(spec) * int(times or 1)
    s = connect(rundir)
    socket.send_fds(s, [f], [])
    msg, fds, _, _ = socket.recv_fds(s, 8192, 1)
    if fds:
        print("attached")
    else:
        print("refused:",
              msg.decode("latin-1", "replace").split("\x22", 1)[-1][1:])
    return 0


def main(argv):
    rundir, cmd, args = argv[1], argv[2], argv[3:]
    table = {"shrink": cmd_shrink, "self-stdio": cmd_self_stdio,
             "orphan": cmd_orphan, "idle": cmd_idle, "squat": cmd_squat,
             "setcred": cmd_setcred, "publish": cmd_publish}
    return table[cmd](rundir, *args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
