#!/usr/bin/python3
# A hostile control client for tests/net/test_security.sh, run as an
# unprivileged user (setpriv). Every loop is bounded in time.
#
#   ctlclient.py SOCK idle N SECONDS
#       open N connections, send nothing, hold them SECONDS (or until killed)
#   ctlclient.py SOCK flood N SECONDS TYPES
#       N connections sending requests (TYPES: comma-separated names) as fast
#       as the daemon takes them and never reading a reply; a connection the
#       daemon closes is opened again 20 ms later
#   ctlclient.py SOCK lists N SECONDS
#       N connections each asking for ps and reading it to its end, again and
#       again, as fast as the daemon answers
#   ctlclient.py SOCK root N SECONDS
#       root's commands, timed: N rounds (at most SECONDS) of one connection
#       setting the limit (3, 4, 3, ...) and one reading ps, each a request
#       and its whole reply; prints "limit MS OK" and "ps MS ROWS" per command
#
# Prints "ready N" once the first round of connect() calls is done (N
# connected), "sent 1000" once a thousand requests went, and at the end
# "done connects=C sent=S closed=X".
import errno
import select
import socket
import struct
import sys
import time

VERSION = 1
PS_REQ = struct.pack("<IIII192s", 0, 0, 0, 0, b"")
REQUESTS = {
    "status": (1, b""),
    "ps": (3, PS_REQ),
    "stats": (4, struct.pack("<II", 0, 0)),
    "events": (5, struct.pack("<II", 0, 0)),
    "history": (6, b""),
    "policies": (9, b""),
}


def message(name):
    t, payload = REQUESTS[name]
    return struct.pack("<HHI", VERSION, t, len(payload)) + payload


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(2)
    try:
        s.connect(path)
    except OSError:
        s.close()
        return None
    s.setblocking(False)
    return s


def idle(path, n, seconds):
    socks = [connect(path) for _ in range(n)]
    print("ready %d" % sum(1 for s in socks if s), flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.2)
    print("done connects=%d sent=0 closed=0" % n, flush=True)


def flood(path, n, seconds, types):
    msgs = [message(t) for t in types.split(",")]
    socks = [connect(path) for _ in range(n)]
    retry = [0.0] * n
    connects, sent, closed, k = n, 0, 0, 0
    print("ready %d" % sum(1 for s in socks if s), flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        now = time.monotonic()
        for i in range(n):
            if socks[i] is None and now >= retry[i]:
                socks[i] = connect(path)
                connects += 1
        live = [s for s in socks if s is not None]
        if not live:
            time.sleep(0.02)
            continue
        _, writable, _ = select.select([], live, [], 0.05)
        for s in writable:
            try:
                s.send(msgs[k % len(msgs)])
                k += 1
                sent += 1
                if sent == 1000:
                    print("sent 1000", flush=True)
            except BlockingIOError:
                pass
            except OSError as e:
                if e.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                    raise
                i = socks.index(s)
                s.close()
                socks[i] = None
                retry[i] = time.monotonic() + 0.02
                closed += 1
    print("done connects=%d sent=%d closed=%d" % (connects, sent, closed), flush=True)


def lists(path, n, seconds):
    ask = message("ps")
    socks = [connect(path) for _ in range(n)]
    socks = [s for s in socks if s]
    for s in socks:
        s.send(ask)
    asked, got, busy = len(socks), 0, 0
    print("ready %d" % len(socks), flush=True)
    end = time.monotonic() + seconds
    while socks and time.monotonic() < end:
        readable, _, _ = select.select(socks, [], [], 0.1)
        for s in readable:
            try:
                m = s.recv(2048)
            except OSError:
                m = b""
            if not m:
                socks.remove(s)
                s.close()
                continue
            rtype = struct.unpack("<HHI", m[:8])[1]
            if rtype in (65, 69):  # ERR (busy) or END: ask again
                busy += rtype == 65
                got += rtype == 69
                s.send(ask)
                asked += 1
    print("done asked=%d lists=%d busy=%d" % (asked, got, busy), flush=True)


def command(path, name, payload, reply_type):
    """One root command: connect, send, read the reply to its end; (ms, what)."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    t, body = REQUESTS[name] if payload is None else payload
    s.send(struct.pack("<HHI", VERSION, t, len(body)) + body)
    rows, what = 0, "?"
    while True:
        m = s.recv(2048)
        _, rtype, _ = struct.unpack("<HHI", m[:8])
        if rtype == 64:  # STATUS_REP: the limit is its first field
            what = str(struct.unpack("<I", m[8:12])[0])
            break
        if rtype == 66:  # PS_ROW
            rows += 1
            continue
        what = str(rows) if rtype == 69 else "error"  # END, or ERR
        break
    s.close()
    return (time.monotonic() - t0) * 1000, what


def root(path, n, seconds):
    end = time.monotonic() + seconds
    for i in range(1, n + 1):
        if time.monotonic() > end:
            break
        lim = 3 + i % 2
        ms, got = command(path, "limit", (2, struct.pack("<II", lim, 0)), 64)
        print("limit %.1f %s" % (ms, "ok" if got == str(lim) else got), flush=True)
        ms, got = command(path, "ps", None, 69)
        print("ps %.1f %s" % (ms, got), flush=True)
        time.sleep(0.02)


def main():
    path, mode, n, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    if mode == "idle":
        idle(path, n, seconds)
    elif mode == "lists":
        lists(path, n, seconds)
    elif mode == "root":
        root(path, n, seconds)
    else:
        flood(path, n, seconds, sys.argv[5])


main()
