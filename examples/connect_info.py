#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""connect_info.py [-n] ADDR PORT: what halfopen does with a connect(), from Python.

Plain socket.getsockopt on the program's own socket (halfopen(7)); no library.
-n asks not to be queued: connect() then fails at once with ENOBUFS where the
attempt would have waited. Prints the attempt's state after connect(), then
again when it is done or after 5 seconds at most.
"""
import errno
import select
import socket
import struct
import sys

SOL_HALFOPEN = 0x484F
HALFOPEN_INFO = 1
HALFOPEN_NOQUEUE = 2
# struct halfopen_info, version 1: fields are only ever appended
INFO = struct.Struct("=6I2Q4IQ")
FIELDS = ("size version state flags position outcome waited_ns age_ns "
          "scope limit in_flight queued scope_id").split()
STATES = ("untracked", "in flight", "queued", "released", "ended")
SCOPES = ("none", "namespace", "cgroup", "user")


def info(sock):
    """The attempt's state as a dict, or None when no halfopend answers."""
    try:
        raw = sock.getsockopt(SOL_HALFOPEN, HALFOPEN_INFO, INFO.size)
    except OSError as e:
        print(f"halfopen: no answer ({e.strerror}): no halfopend manages this namespace")
        return None
    # an older kernel side fills less: pad, and trust only what it says it filled
    return dict(zip(FIELDS, INFO.unpack(raw.ljust(INFO.size, b"\0"))))


def show(sock):
    i = info(sock)
    if i is None:
        return
    state = STATES[i["state"]] if i["state"] < len(STATES) else "?"
    line = "halfopen: " + state
    if i["state"] == 2:
        line += (f", position {i['position']}, held back by the "
                 f"{SCOPES[i['scope']]} limit {i['limit']} "
                 f"({i['in_flight']} in flight, {i['queued']} queued)")
    line += f", waited {i['waited_ns'] // 1000000} ms"
    print(line, flush=True)


def main(argv):
    noqueue = len(argv) > 1 and argv[1] == "-n"
    args = argv[1 + noqueue:]
    if len(args) != 2:
        print("usage: connect_info.py [-n] ADDR PORT", file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in args[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    if noqueue:
        sock.setsockopt(SOL_HALFOPEN, HALFOPEN_NOQUEUE, 1)
    try:
        sock.connect((args[0], int(args[1])))
        print("connect: connected", flush=True)
    except BlockingIOError:
        print("connect: in progress", flush=True)
    except OSError as e:
        if e.errno == errno.ENOBUFS:
            print("connect: refused at once, it would have been queued", flush=True)
            return 3
        print(f"connect: {e.strerror}", flush=True)
        return 1
    show(sock)
    select.select([], [sock], [], 5.0)
    show(sock)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
