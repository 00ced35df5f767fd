# SPDX-License-Identifier: GPL-2.0-or-later
"""A metrics hog, for the tests of the endpoint's bounds (test_security.sh).

hog(port, n, whole, seconds, hold): for SECONDS, keep N connections to
127.0.0.1:PORT open, opened again when the endpoint closes them. Each sends
half a request it never finishes or, if WHOLE, a whole one whose reply it
never reads (a small receive buffer). Prints "holding K" once, when it holds
HOLD of them (if HOLD is given).
As a program: httphog.py PORT N HOLD, half requests for 30 s, after "ready".
"""
import socket
import sys
import time


def hog(port, n, whole, seconds, hold=None):
    socks, end, told = [], time.monotonic() + seconds, False
    while time.monotonic() < end:
        socks = [s for s in socks if s.fileno() >= 0]
        while len(socks) < n:
            s = socket.socket()
            if whole:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.settimeout(1)
            try:
                s.connect(("127.0.0.1", port))
                s.send(b"GET /metrics HTTP/1.1\r\n\r\n" if whole else b"GET /met")
            except OSError:
                s.close()
                break
            socks.append(s)
        if hold is not None and len(socks) >= hold and not told:
            print("holding", len(socks), flush=True)
            told = True
        for s in list(socks):
            try:
                s.setblocking(False)
                if not whole and s.recv(100) == b"":
                    s.close()
                elif whole and s.recv(1, socket.MSG_PEEK) == b"":
                    s.close()
            except BlockingIOError:
                pass
            except OSError:
                s.close()
        time.sleep(0.01)


if __name__ == "__main__":
    print("ready", flush=True)
    hog(int(sys.argv[1]), int(sys.argv[2]), False, 30, int(sys.argv[3]))
