#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The most connection attempts half-open at once on the wire, for certain.

Reads `tcpdump -tt -n -r CAPTURE` (captured in the peer) on stdin. An attempt
is a 4-tuple and its initial sequence number (a port reused by a later socket
is a new attempt; a retransmitted SYN is the same one). It counts as
half-open from its first SYN to its last SYN or the peer's first answer to it
(SYN-ACK or RST acknowledging its ISN), whichever is later. That is a lower
bound of the truth (on the client's side it may have stayed half-open
longer), so a maximum above the limit is a certain violation. At equal times
ends are counted before starts, again the lower bound.

Prints: "max N attempts M" (M distinct attempts seen).
"""
import re
import sys

LINE = re.compile(
    r"^(\d+\.\d+) IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\], seq (\d+)(?::\d+)?(?:\(\d+\))?(?:, ack (\d+))?"
)


def main():
    first, last, answer = {}, {}, {}
    answers = []
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        t, src, sport, dst, dport, flags, seq, ack = m.groups()
        t = float(t)
        if flags == "S":
            key = (src, sport, dst, dport, int(seq))
            first.setdefault(key, t)
            last[key] = t
        elif ack is not None and flags in ("S.", "R."):
            answers.append(((dst, dport, src, sport, (int(ack) - 1) % (1 << 32)), t))
    for key, t in answers:
        if key in first and t >= first[key]:
            answer[key] = min(answer.get(key, t), t)
    events = []
    for key, t in first.items():
        events.append((t, 1))
        events.append((max(last[key], answer.get(key, last[key])), -1))
    events.sort(key=lambda e: (e[0], e[1]))
    cur = peak = 0
    for _, d in events:
        cur += d
        peak = max(peak, cur)
    print("max %d attempts %d" % (peak, len(first)))


if __name__ == "__main__":
    main()
