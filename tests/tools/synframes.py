#!/usr/bin/python3
# Send COUNT TCP SYN frames (Ethernet/IPv4) from a packet socket on IFACE,
# with PACKET_QDISC_BYPASS if asked: the experiment behind docs/design.md
# "What remains around it", and tests/net/test_raw.sh. Only to a test peer
# in namespaces the caller made.
# usage: synframes.py IFACE SRCMAC DSTMAC SRCIP DSTIP COUNT bypass|normal
import socket, struct, sys

iface, smac, dmac, sip, dip, count, mode = sys.argv[1:8]
count = int(count)
assert count <= 10000
PACKET_QDISC_BYPASS = 20
SOL_PACKET = 263


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
if mode == "bypass":
    try:
        s.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    except OSError as e:
        print("setsockopt(PACKET_QDISC_BYPASS) refused:", e.strerror + ";", end=" ")
s.bind((iface, 0))
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
src, dst = socket.inet_aton(sip), socket.inet_aton(dip)
sent = failed = 0
for i in range(count):
    sport, dport = 20000 + i, 1 + i % 1000
    tcp = struct.pack("!HHIIBBHHH", sport, dport, i, 0, 5 << 4, 0x02, 1024, 0, 0)
    tcs = csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", tcs) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xFFFF, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    try:
        s.send(mac(dmac) + mac(smac) + b"\x08\x00" + ip + tcp)
        sent += 1
    except OSError:
        failed += 1
print("sent", sent, "failed", failed)
