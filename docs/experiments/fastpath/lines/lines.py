#!/usr/bin/python3
"""lines.py OUT/NAME.1 OUT/NAME.2 ...: ns per connection by source line over
the rounds given (each a .hist, .lines and .conns from lineprof.sh). A sample
is charged to the line of the instruction before the one it hit: the cost of
a load that misses shows on the next instruction."""
import bisect
import signal
import sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)

total = {}
conns = 0.0
for base in sys.argv[1:]:
    lines = []
    for row in open(base + ".lines"):
        off, num, src = row.rstrip("\n").split("\t", 2)
        lines.append((int(off, 16), int(num), src.strip()[:90]))
    lines.sort()
    offs = [x[0] for x in lines]
    conns += float(open(base + ".conns").read())
    for row in open(base + ".hist"):
        n, off = row.split()
        i = bisect.bisect_right(offs, int(off, 16) - 1) - 1
        key = lines[i][1:] if i >= 0 else (0, "(entry)")
        total[key] = total.get(key, 0) + int(n)
ns = 250000.0 / conns
print("%.0f ns per connection over %d connections" % (sum(total.values()) * ns, conns))
for (num, src), n in sorted(total.items(), key=lambda x: -x[1]):
    if n * ns >= 2:
        print("%6.1f  %4d  %s" % (n * ns, num, src))
