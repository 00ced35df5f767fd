#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The workloads of the containment benchmark (bench/contain.sh).

    contain_load.py worm    --port P --net A.B --conc N --giveup S --seconds S --seed N
    contain_load.py browser --hosts H,H,... --loads N --port P --cap S
    contain_load.py p2p     --live H,... --dead H,... --port P --conc N --timeout S --cap S --seed N
    contain_load.py poller  --up H,... --down H,... --port P --conc N --timeout S
                            --interval S --rounds N

Each connects from whatever network namespace and cgroup it is started in and
prints "key value" lines; every wait is bounded. Test worlds only: the
addresses given must be in namespaces the caller created.
"""
import argparse
import asyncio
import random
import signal
import socket
import statistics
import sys
import time


async def attempt(addr, port, timeout):
    """One non-blocking connect; ('ok'|'refused'|'timeout'|'error', seconds).
    The socket is closed at once, also when the attempt is abandoned."""
    loop = asyncio.get_running_loop()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(loop.sock_connect(s, (addr, port)), timeout)
        res = "ok"
    except asyncio.TimeoutError:
        res = "timeout"
    except ConnectionRefusedError:
        res = "refused"
    except OSError:
        res = "error"
    finally:
        s.close()
    return res, time.monotonic() - t0


def out(key, value):
    print(key, value, flush=True)


async def worm(a):
    """A random-scanning worm: keeps CONC attempts in flight to random
    addresses of the /16, each abandoned after GIVEUP s; SECONDS in all."""
    rng = random.Random(a.seed)
    end = time.monotonic() + a.seconds
    counts = {"ok": 0, "refused": 0, "timeout": 0, "error": 0}
    out("start", "%.6f" % time.time())

    async def one():
        while time.monotonic() < end:
            addr = "%s.%d.%d" % (a.net, rng.randrange(256), rng.randrange(1, 255))
            res, _ = await attempt(addr, a.port, min(a.giveup, max(0.01, end - time.monotonic())))
            counts[res] += 1

    # SIGTERM ends it early: every attempt in flight is abandoned (closed)
    tasks = [asyncio.ensure_future(one()) for _ in range(a.conc)]
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM, lambda: [t.cancel() for t in tasks])
    await asyncio.gather(*tasks, return_exceptions=True)
    out("end", "%.6f" % time.time())
    for k, v in counts.items():
        out(k, v)


async def http_get(host, port, path, timeout):
    """A GET on a new connection, read to the end; True if it got a 200."""
    async def get():
        r, w = await asyncio.open_connection(host, port)
        try:
            w.write(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
            await w.drain()
            data = await r.read()
            return data.startswith(b"HTTP/1.0 200")
        finally:
            w.close()
    try:
        return await asyncio.wait_for(get(), timeout)
    except (asyncio.TimeoutError, OSError):
        return False


async def browser(a):
    """LOADS page loads (no new one after CAP s): the page, then its 8
    resources over at most 6 parallel connections (one connection per
    request, as HTTP/1.0)."""
    hosts = a.hosts.split(",")
    times, failed = [], 0
    t_end = time.monotonic() + a.cap
    for i in range(a.loads):
        if times and time.monotonic() > t_end:
            break
        h = hosts[i % len(hosts)]
        t0 = time.monotonic()
        ok = await http_get(h, a.port, "/", 30)
        sem = asyncio.Semaphore(6)

        async def res(k):
            async with sem:
                return await http_get(h, a.port, "/r%d" % k, 30)
        oks = await asyncio.gather(*(res(k) for k in range(8)))
        times.append(time.monotonic() - t0)
        failed += (not ok) + oks.count(False)
    out("loads", len(times))
    out("median_s", "%.4f" % statistics.median(times))
    out("mean_s", "%.4f" % statistics.mean(times))
    out("failed", failed)


async def p2p(a):
    """A P2P client: connects to its peers, CONC at once, each with a connect
    timeout; stops when it has half of them, when all are tried, or after
    CAP s."""
    live = [(h, True) for h in a.live.split(",")]
    dead = [(h, False) for h in a.dead.split(",")]
    peers = live + dead
    random.Random(a.seed).shuffle(peers)
    half = (len(peers) + 1) // 2
    sem = asyncio.Semaphore(a.conc)
    t0 = time.monotonic()
    st = {"connected": 0, "lost_live": 0, "tried_live": 0, "half_s": None}

    async def one(h, is_live):
        async with sem:
            st["tried_live"] += is_live
            res, _ = await attempt(h, a.port, a.timeout)
            if res == "ok":
                st["connected"] += 1
                if st["connected"] == half:
                    st["half_s"] = time.monotonic() - t0
            elif is_live:
                st["lost_live"] += 1

    # it has what it came for at half its peers: it stops there, or after CAP s
    tasks = [asyncio.ensure_future(one(h, l)) for h, l in peers]
    done = asyncio.ensure_future(asyncio.gather(*tasks, return_exceptions=True))
    while not done.done() and st["half_s"] is None and time.monotonic() - t0 < a.cap:
        await asyncio.wait([done], timeout=0.05)
    for t in tasks:
        t.cancel()
    await done
    out("peers", len(peers))
    out("half", half)
    out("half_s", "%.3f" % st["half_s"] if st["half_s"] is not None else "never")
    out("connected", st["connected"])
    out("lost_live", st["lost_live"])
    out("untried_live", len(live) - st["tried_live"])
    out("elapsed_s", "%.3f" % (time.monotonic() - t0))


async def poller(a):
    """A monitoring poller: every INTERVAL s a round checks every target (a
    TCP connect, CONC at once, connect timeout TIMEOUT)."""
    targets = [(h, True) for h in a.up.split(",")] + [(h, False) for h in a.down.split(",")]
    random.Random(1).shuffle(targets)
    t0 = time.monotonic()
    rounds, false_down = [], 0
    for r in range(a.rounds):
        await asyncio.sleep(max(0, t0 + r * a.interval - time.monotonic()))
        sem = asyncio.Semaphore(a.conc)
        rs = time.monotonic()

        async def check(h, up):
            async with sem:
                res, _ = await attempt(h, a.port, a.timeout)
                return up and res != "ok"
        fd = sum(await asyncio.gather(*(check(h, up) for h, up in targets)))
        rounds.append(time.monotonic() - rs)
        false_down += fd
        out("round%d_s" % (r + 1), "%.3f" % rounds[-1])
        out("round%d_false_down" % (r + 1), fd)
    out("total_s", "%.3f" % sum(rounds))
    out("false_down", false_down)


# Each workload's options: name, type (None: a required string), default.
OPTIONS = {
    "worm": [("net", None, None), ("port", int, 445), ("conc", int, 100),
             ("giveup", float, 3), ("seconds", float, 20), ("seed", int, 1)],
    "browser": [("hosts", None, None), ("loads", int, 20), ("port", int, 80),
                ("cap", float, 10)],
    "p2p": [("live", None, None), ("dead", None, None), ("port", int, 6881), ("conc", int, 20),
            ("timeout", float, 10), ("cap", float, 40), ("seed", int, 1)],
    "poller": [("up", None, None), ("down", None, None), ("port", int, 80), ("conc", int, 50),
               ("timeout", float, 3), ("interval", float, 10), ("rounds", int, 2)],
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for cmd, opts in OPTIONS.items():
        c = sub.add_parser(cmd)
        for name, typ, default in opts:
            if typ is None:
                c.add_argument("--" + name, required=True)
            else:
                c.add_argument("--" + name, type=typ, default=default)
    a = p.parse_args()
    for x in ("seconds", "cap", "interval", "timeout", "giveup"):
        if getattr(a, x, 1) <= 0 or getattr(a, x, 1) > 600:
            p.error("--%s must be in (0, 600]" % x)
    if getattr(a, "rounds", 1) > 100 or getattr(a, "loads", 1) > 10000:
        p.error("too many rounds or loads")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    asyncio.run(globals()[a.cmd](a))


if __name__ == "__main__":
    main()
