#!/usr/bin/env python3
"""A hostile client of relay.sock passing bogus per-cage bind fds, for
bind_cage.sh.  Each case sends Attach{version, stdio_mask 0, argv, binds}
(proto/lind.proto, packed by hand) with the fds it names, and prints one
line: the case and the relay's answer ("refused: WHY" or "ATTACHED").

usage: hostile_bind.py RUNDIR DIR FILE
  DIR: a directory the client may open; FILE: a regular file in it.
"""
import os
import socket
import sys

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


def field(tag, payload):
    return bytes([tag]) + varint(len(payload)) + payload


def attach_frame(binds):
    f = b"\x08" + varint(ATTACH_VERSION)
    f += field(0x1A, b"hostile-bind")
    for virt, ro in binds:
        spec = field(0x0A, virt.encode()) + (b"\x10\x01" if ro else b"")
        f += field(0x2A, spec)
    return f


def reply_error(msg):
    """AttachReply.error (field 4), or None."""
    i = 0
    while i < len(msg):
        key = msg[i]
        i += 1
        if key & 7 == 0:
            while msg[i] & 0x80:
                i += 1
            i += 1
            continue
        n, shift = 0, 0
        while True:
            b = msg[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if key >> 3 == 4:
            return msg[i:i + n].decode("latin-1", "replace")
        i += n
    return None


def attempt(rundir, name, binds, fds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(os.path.join(rundir, "relay.sock"))
    try:
        socket.send_fds(s, [attach_frame(binds)], fds)
        msg, got, _, _ = socket.recv_fds(s, 8192, 1)
    except OSError as e:
        print(f"{name}: connection error {e.strerror}")
        return
    for fd in got:
        os.close(fd)
    err = reply_error(msg) if msg else "closed"
    print(f"{name}: " + (f"refused: {err}" if err else "ATTACHED"))
    s.close()


def main(argv):
    rundir, d, f = argv[1], argv[2], argv[3]
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    ffd = os.open(f, os.O_RDONLY)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    relay = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    relay.connect(os.path.join(rundir, "relay.sock"))
    null = os.open("/dev/null", os.O_RDONLY)
    r, w = os.pipe()
    proc = os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY)
    sysfs = os.open("/sys", os.O_RDONLY | os.O_DIRECTORY)
    path_fd = os.open(d, os.O_PATH | os.O_DIRECTORY)
    cases = [
        ("a socket", [("/mnt", True)], [a.fileno()]),
        ("a relay.sock connection", [("/mnt", True)], [relay.fileno()]),
        ("a device", [("/mnt", True)], [null]),
        ("a pipe", [("/mnt", True)], [r]),
        ("procfs", [("/mnt", True)], [proc]),
        ("sysfs", [("/mnt", True)], [sysfs]),
        ("a file onto a directory", [("/mnt", True)], [ffd]),
        ("a directory onto a missing path", [("/none/x", True)], [dfd]),
        ("a directory onto /", [("/", True)], [dfd]),
        ("a relative path", [("mnt", True)], [dfd]),
        ("a path with ..", [("/mnt/..", True)], [dfd]),
        ("onto /proc", [("/proc", True)], [dfd]),
        ("inside a server bind", [("/usr/lib", True)], [dfd]),
        ("twice on one path", [("/mnt", True), ("/mnt", False)], [dfd, dfd]),
        ("more binds than fds", [("/mnt", True), ("/tmp", True)], [dfd]),
        ("more fds than binds", [("/mnt", True)], [dfd, dfd]),
        ("nine binds", [("/mnt", True)] * 9, [dfd] * 9),
        ("an O_PATH directory", [("/mnt", True)], [path_fd]),
    ]
    for name, binds, fds in cases:
        attempt(rundir, name, binds, fds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
