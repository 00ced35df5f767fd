#!/bin/bash
# Raw SYN scanners (nmap -sS on a raw IP socket, masscan and zmap on packet
# sockets) are seen, limited on the wire, and refused by a raw deny policy;
# plain connects are not. See docs/design.md, "Raw SYNs".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rawlib.sh"

need() { command -v "$1" >/dev/null || skip "$1 is not installed (scripts/install-deps.sh)"; }

raw_start() { # daemon args...
	need nmap
	raw_setup
	daemon_start "$@"
	grep -q 'raw SYNs: tc egress/ingress (tcx) yes' "$T/daemon.log" ||
		skip "no tcx on this kernel: $(grep 'raw SYNs' "$T/daemon.log")"
}

# The same scan without halfopend puts more than 10 unanswered SYNs on the
# wire: the limit below is what keeps them at 10.
test_nmap_without_halfopen_exceeds_10() {
	need nmap
	raw_setup
	capture_start
	scan_nmap || fail "nmap: $(cat "$T/nmap.out")"
	read -r max syns < <(wire_max)
	echo "without halfopend: at most $max unanswered of $syns SYNs"
	[ "$max" -gt 10 ] || fail "only $max unanswered at once without halfopend: the test cannot tell"
}

nmap_limited() {
	raw_start --limit 10
	capture_start
	scan_nmap || fail "nmap: $(cat "$T/nmap.out")"
	read -r max syns < <(wire_max)
	echo "limit 10: at most $max unanswered of $syns SYNs"
	[ "$max" -le 10 ] || fail "$max SYNs unanswered at once on the wire with limit 10"
	grep -q 'Nmap done: 1 IP address (1 host up)' "$T/nmap.out" || fail "nmap: $(cat "$T/nmap.out")"
	ho -j status | grep -q '"raw":{' || fail "no raw counters in status"
	local att drop
	att=$(ho -j status | sed -n 's/.*"raw":{[^}]*"attempts":\([0-9]*\).*/\1/p')
	drop=$(ho -j status | sed -n 's/.*"raw":{[^}]*"dropped":\([0-9]*\).*/\1/p')
	echo "status: $att raw attempts, $drop dropped"
	# every SYN on the wire took a slot (a probe sent again while its first
	# is still counted takes none, and may look new to wire_max: 10% slack)
	[ "$((att * 10))" -ge "$((syns * 9))" ] || fail "status counts $att raw attempts, $syns SYNs on the wire"
	[ "$drop" -ge 1 ] || fail "nothing was dropped over the limit"
	ho stats | grep -q nmap || fail "stats does not name nmap: $(ho stats)"
}

test_nmap_syn_scan_is_limited() { nmap_limited; }
test_nmap_send_ip_syn_scan_is_limited() { NMAP_SEND=--send-ip nmap_limited; }

sweep_limited() { # scan_fn name
	need "$2"
	raw_start --limit 10
	capture_start
	"$1" || fail "$2: $(cat "$T/$2.out")"
	read -r max syns < <(wire_max)
	echo "$2, limit 10: at most $max unanswered of $syns SYNs"
	[ "$syns" -ge 10 ] || fail "$2 sent only $syns SYNs: $(cat "$T/$2.out")"
	[ "$max" -le 10 ] || fail "$max SYNs unanswered at once on the wire with limit 10"
	local drop
	drop=$(ho -j status | sed -n 's/.*"raw":{[^}]*"dropped":\([0-9]*\).*/\1/p')
	[ "$drop" -ge 1 ] || fail "nothing was dropped over the limit"
}

# Without halfopend both sweeps put more than 10 unanswered SYNs on the wire.
test_sweeps_without_halfopen_exceed_10() {
	local scan
	need masscan
	need zmap
	raw_setup
	for scan in masscan zmap; do
		capture_start
		"scan_$scan" || fail "$scan: $(cat "$T/$scan.out")"
		read -r max syns < <(wire_max)
		echo "$scan without halfopend: at most $max unanswered of $syns SYNs"
		[ "$max" -gt 10 ] || fail "$scan: only $max unanswered at once without halfopend"
		kill "$CAPPID"
		wait "$CAPPID" 2>/dev/null || true
	done
}

test_masscan_sweep_is_limited() { sweep_limited scan_masscan masscan; }
test_zmap_sweep_is_limited() { sweep_limited scan_zmap zmap; }

in_cgroup() { # CGROUP CMD...: run CMD in the client namespace, in CGROUP
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	cx sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$root$1" "${@:2}"
}

# raw deny for a cgroup: nmap -sS --send-ip cannot open its raw socket
# (EPERM), nmap -sS on Ethernet frames puts nothing on the wire, the events
# name nmap; nmap -sT and plain connects from the same cgroup work.
test_raw_deny_refuses_nmap_not_connects() {
	local cg
	cg=$(make_cgroup scan)
	raw_start --limit 10
	ho policy set cgroup "$cg" raw deny
	ho policy list | grep -q "raw deny" || fail "policy list: $(ho policy list)"
	capture_start
	in_cgroup "$cg" nmap -sS --send-ip -n -Pn -p 8080-8090 $PEER4 >"$T/nmap.out" 2>&1 &&
		fail "nmap -sS --send-ip ran under raw deny: $(cat "$T/nmap.out")"
	grep -q 'Operation not permitted' "$T/nmap.out" || fail "nmap was not told EPERM: $(cat "$T/nmap.out")"
	wait_until 5 eval 'ho events | grep -q "raw socket refused.*(nmap)"' ||
		fail "no event names nmap: $(ho events)"
	in_cgroup "$cg" nmap -sS -n -Pn -p 8080-8090 $PEER4 >"$T/nmap2.out" 2>&1 || true
	wait_until 5 eval 'ho events | grep -q "frames dropped.*(nmap)"' ||
		fail "no event names nmap's frames: $(ho events)"
	read -r max syns < <(wire_max)
	[ "$syns" = 0 ] || fail "$syns raw SYNs reached the peer under raw deny"
	# the same cgroup may still connect: nmap -sT, and hoconn's plain connects
	in_cgroup "$cg" nmap -sT -n -Pn -p 8080,8081 $PEER4 >"$T/nmapt.out" 2>&1 ||
		fail "nmap -sT: $(cat "$T/nmapt.out")"
	grep -q '8080/tcp *open' "$T/nmapt.out" || fail "nmap -sT under raw deny: $(cat "$T/nmapt.out")"
	CONN_CGROUP=$cg conn_start b $PEER4 $ACCEPT 5
	conn_ask b results 20 waitall 10000 | grep -q "connected=5 " ||
		fail "plain connects under raw deny: $(cat "$T/b.out")"
}

# raw deny: a packet sender (zmap) in the cgroup puts no frame on the wire.
test_raw_deny_stops_packet_sockets() {
	local cg
	need zmap
	cg=$(make_cgroup scan)
	raw_start --limit 10
	ho policy set cgroup "$cg" raw deny
	capture_start
	: >"$T/zmap.blacklist"
	in_cgroup "$cg" zmap -i veth0 -S 10.42.0.1 -G "$PEERMAC" -p 80 -r 2000 -c 1 -q \
		-b "$T/zmap.blacklist" -o /dev/null $SWEEP.0/28 >"$T/zmap.out" 2>&1 || true
	read -r max syns < <(wire_max)
	[ "$syns" = 0 ] || fail "$syns SYNs of zmap reached the peer under raw deny"
	wait_until 5 eval 'ho events | grep -q "frames dropped.*(zmap)"' ||
		fail "no event names zmap: $(ho events)"
}

run_tests
