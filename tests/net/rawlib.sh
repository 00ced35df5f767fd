# shellcheck shell=bash
# Raw SYN scanners against the peer namespace; sourced by test_raw.sh and
# bench/raw.sh after lib.sh. The peer answers for SWEEP (a /24 routed to it,
# local there: nothing leaves the namespaces) and drops SYNs to some ports
# and addresses, so unanswered SYNs pile up unless something limits them.
SWEEP=10.43.0
RAW_TIMEOUT=3       # halfopend --raw-timeout, default 3000 ms
DROP_PORTS=901:940  # nmap's dropped ports (1000 scanned)
DROP_HOSTS=$SWEEP.200-$SWEEP.255

raw_setup() {
	px ip route add local $SWEEP.0/24 dev lo
	cx ip route add $SWEEP.0/24 via $PEER4
	px iptables -A INPUT -p tcp --dport $DROP_PORTS -j DROP
	px iptables -A INPUT -p tcp -m iprange --dst-range $DROP_HOSTS -j DROP
	PEERMAC=$(ip -n "$P" -br link show veth0 | awk '{ print $3 }')
	# frames written by packet sockets need the gateway's MAC: known from the start
	cx ip neigh replace $PEER4 lladdr "$PEERMAC" dev veth0 nud permanent
}

# A dead range: DEAD routed to the peer, local there, every SYN to it dropped.
DEAD=10.46.0.0/20
raw_dead_setup() {
	px ip route add local $DEAD dev lo
	cx ip route add $DEAD via $PEER4
	px iptables -A INPUT -p tcp -d $DEAD -j DROP
}

# Client SYN arrival times in the capture, one a line (the first of each 4-tuple).
syn_times() {
	tcpdump -tt -n -r "$T/cap.pcap" 2>/dev/null |
		awk '/Flags \[S\],/ { if (!seen[$3 " " $5]++) print $1 }'
}

# The time (epoch seconds) of the first flagged event, from halfopen -j events.
flag_time() {
	ho -j events | sed -n 's/^{"time":\([0-9.]*\),"kind":"flagged".*/\1/p' | head -1
}

# nmap -sS of ports 1-1000 of the peer; its exit status, output in $T/nmap.out.
# On a local network nmap writes Ethernet frames (a packet socket); with
# NMAP_SEND=--send-ip it uses a raw IP socket instead.
scan_nmap() {
	cx nmap -sS ${NMAP_SEND:-} -n -Pn -p 1-1000 --max-retries 1 --host-timeout 120s $PEER4 \
		>"$T/nmap.out" 2>&1
}

# masscan of port 80 on the /24, 2000 packets a second.
scan_masscan() {
	cx masscan --adapter veth0 --adapter-ip 10.42.0.1 --router-mac "$PEERMAC" \
		-p80 $SWEEP.0/24 --rate 2000 --wait 2 >"$T/masscan.out" 2>&1
}

# zmap of port 80 on the /24, 2000 packets a second.
scan_zmap() {
	: >"$T/zmap.blacklist" # zmap's own excludes 10/8: our /24 is ours
	# a dropped SYN fails its sendto (ENOBUFS): zmap would stop at the first
	cx zmap -i veth0 -S 10.42.0.1 -G "$PEERMAC" -p 80 -r 2000 -c 2 -q --max-sendto-failures 100000 \
		-b "$T/zmap.blacklist" -o "$T/zmap.csv" $SWEEP.0/24 >"$T/zmap.out" 2>&1
}

# Capture every TCP packet on the peer's INTERFACE (default veth0), delivered
# at once (--immediate-mode); wire_max stops it first, so nothing is left in
# a buffer.
raw_capture_start() { # [INTERFACE]
	rm -f "$T/tcpdump.log"
	nsenter --net="/run/netns/$P" tcpdump -i "${1:-veth0}" --immediate-mode -n -U -B 16384 \
		-w "$T/cap.pcap" tcp >"$T/tcpdump.log" 2>&1 &
	CAPPID=$!
	PIDS+=($CAPPID)
	wait_until 5 grep -qs 'listening on' "$T/tcpdump.log" || fail "tcpdump did not start"
}

raw_capture_stop() {
	kill -INT "$CAPPID" 2>/dev/null || true
	wait "$CAPPID" 2>/dev/null || true
}

# From the capture in the peer: the most client SYNs without an answer at
# once. A SYN is unanswered from its arrival until the peer's SYN-ACK or RST
# for it, or, never answered, for RAW_TIMEOUT - 0.1 s: halfopend frees its
# slot no sooner than RAW_TIMEOUT after it left, so with the limit no more
# than LIMIT of these windows can overlap. Prints "MAX SYNS".
wire_max() {
	raw_capture_stop
	tcpdump -tt -n -r "$T/cap.pcap" 2>/dev/null | awk -v win="$RAW_TIMEOUT" '
	function flush(now,   k) { for (k in open) if (open[k] + win - 0.1 <= now) { delete open[k]; n-- } }
	{
		t = $1; src = $3; dst = $5; sub(/:$/, "", dst)
		flush(t)
		if ($0 ~ /Flags \[S\],/) {
			k = src " " dst
			if (!(k in open)) { open[k] = t; n++; syns++ }
			if (n > max) max = n
		} else if ($0 ~ /Flags \[(S\.|R|R\.)\],/) {
			k = dst " " src
			if (k in open) { delete open[k]; n-- }
		}
	}
	END { print max + 0, syns + 0 }'
}
