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
	raw_capture_start
	scan_nmap || fail "nmap: $(cat "$T/nmap.out")"
	read -r max syns < <(wire_max)
	echo "without halfopend: at most $max unanswered of $syns SYNs"
	[ "$max" -gt 10 ] || fail "only $max unanswered at once without halfopend: the test cannot tell"
}

nmap_limited() {
	raw_start --limit 10
	raw_capture_start
	scan_nmap || fail "nmap: $(cat "$T/nmap.out")"
	read -r max syns < <(wire_max)
	echo "limit 10: at most $max unanswered of $syns SYNs"
	[ "$max" -le 10 ] || fail "$max SYNs unanswered at once on the wire with limit 10"
	grep -q 'Nmap done: 1 IP address (1 host up)' "$T/nmap.out" || fail "nmap: $(cat "$T/nmap.out")"
	local att drop
	att=$(status_field raw_attempts)
	drop=$(status_field raw_dropped)
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
	raw_capture_start
	"$1" || fail "$2: $(cat "$T/$2.out")"
	read -r max syns < <(wire_max)
	echo "$2, limit 10: at most $max unanswered of $syns SYNs"
	[ "$syns" -ge 10 ] || fail "$2 sent only $syns SYNs: $(cat "$T/$2.out")"
	[ "$max" -le 10 ] || fail "$max SYNs unanswered at once on the wire with limit 10"
	local drop
	drop=$(status_field raw_dropped)
	[ "$drop" -ge 1 ] || fail "nothing was dropped over the limit"
}

# Without halfopend both sweeps put more than 10 unanswered SYNs on the wire.
test_sweeps_without_halfopen_exceed_10() {
	local scan
	need masscan
	need zmap
	raw_setup
	for scan in masscan zmap; do
		raw_capture_start
		"scan_$scan" || fail "$scan: $(cat "$T/$scan.out")"
		read -r max syns < <(wire_max)
		echo "$scan without halfopend: at most $max unanswered of $syns SYNs"
		[ "$max" -gt 10 ] || fail "$scan: only $max unanswered at once without halfopend"
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
	raw_capture_start
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

# raw deny for a user: nobody, granted CAP_NET_RAW, makes a raw IP socket
# until the policy says no; another user is not affected.
test_raw_deny_for_a_user() {
	local py='import socket, sys
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP).close()
    print("made")
except OSError as e:
    print("refused", e.errno)'
	raw_start --limit 10
	nobody() {
		cx setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_raw \
			--ambient-caps=+net_raw /usr/bin/python3 -c "$py"
	}
	expect_eq "$(nobody)" made "nobody with CAP_NET_RAW before the policy"
	ho policy set user nobody raw deny
	expect_eq "$(nobody)" "refused 1" "nobody under raw deny"
	expect_eq "$(cx /usr/bin/python3 -c "$py")" made "root beside a policy for nobody"
	wait_until 5 eval 'ho events | grep -q "raw socket refused.*uid 65534"' ||
		fail "no event names nobody: $(ho events)"
	ho policy del user nobody
	expect_eq "$(nobody)" made "nobody once the policy is gone"
}

# A packet socket may not ask for PACKET_QDISC_BYPASS (its frames would skip
# tc egress, uncounted): refused, counted, and its frames are limited.
test_packet_qdisc_bypass_refused() {
	local cmac out
	raw_start --limit 10
	px iptables -A INPUT -p tcp -j DROP # nothing answers
	cmac=$(ip -n "$C" -br link show veth0 | awk '{ print $3 }')
	raw_capture_start
	out=$(cx /usr/bin/python3 "$ROOT/tests/tools/synframes.py" veth0 "$cmac" "$PEERMAC" \
		10.42.0.1 $PEER4 200 bypass)
	echo "$out"
	case $out in *"PACKET_QDISC_BYPASS) refused: Operation not permitted"*) ;;
	*) fail "PACKET_QDISC_BYPASS was not refused: $out" ;; esac
	read -r max syns < <(wire_max)
	[ "$max" -le 10 ] || fail "$max SYNs unanswered at once: the frames went around the count"
	expect_eq "$(status_field raw_bypass_refused)" 1 "PACKET_QDISC_BYPASS refusals counted"
	wait_until 5 eval 'ho events | grep -q "PACKET_QDISC_BYPASS refused.*(python3)"' ||
		fail "no event names python3: $(ho events)"
}

# raw deny: a packet sender (zmap) in the cgroup puts no frame on the wire.
test_raw_deny_stops_packet_sockets() {
	local cg
	need zmap
	cg=$(make_cgroup scan)
	raw_start --limit 10
	ho policy set cgroup "$cg" raw deny
	raw_capture_start
	: >"$T/zmap.blacklist"
	in_cgroup "$cg" zmap -i veth0 -S 10.42.0.1 -G "$PEERMAC" -p 80 -r 2000 -c 1 -q \
		-b "$T/zmap.blacklist" -o /dev/null $SWEEP.0/28 >"$T/zmap.out" 2>&1 || true
	read -r max syns < <(wire_max)
	[ "$syns" = 0 ] || fail "$syns SYNs of zmap reached the peer under raw deny"
	wait_until 5 eval 'ho events | grep -q "frames dropped.*(zmap)"' ||
		fail "no event names zmap: $(ho events)"
}

# IPv6: nmap -6 -sS is limited the same way.
test_nmap_ipv6_syn_scan_is_limited() {
	raw_start --limit 10
	px ip6tables -A INPUT -p tcp --dport $DROP_PORTS -j DROP
	raw_capture_start
	cx nmap -6 -sS --send-ip -n -Pn -p 1-300,901-940 --max-retries 1 $PEER6 >"$T/nmap.out" 2>&1 ||
		fail "nmap -6: $(cat "$T/nmap.out")"
	read -r max syns < <(wire_max)
	echo "IPv6, limit 10: at most $max unanswered of $syns SYNs"
	[ "$syns" -ge 50 ] || fail "nmap -6 sent only $syns SYNs: $(cat "$T/nmap.out")"
	[ "$max" -le 10 ] || fail "$max IPv6 SYNs unanswered at once on the wire with limit 10"
}

# An interface made after the daemon started is watched too, and the tc
# programs go away with the daemon.
raw_prog_ids() {
	bpftool prog show 2>/dev/null | awk '/ name raw_(egress|ingress) / { sub(":", "", $1); print $1 }'
}

test_new_interface_is_watched_and_links_go() {
	local ids id
	raw_prog_ids >"$T/progs.before"
	raw_start --limit 10
	ip link add "n$$" netns "$C" type veth peer name "m$$" netns "$P"
	ip -n "$C" link set "n$$" name veth1
	ip -n "$P" link set "m$$" name veth1
	ip -n "$C" addr add 10.44.0.1/24 dev veth1
	ip -n "$P" addr add 10.44.0.2/24 dev veth1
	ip -n "$C" link set veth1 up
	ip -n "$P" link set veth1 up
	px iptables -A INPUT -i veth1 -p tcp --dport 1:40 -j DROP
	raw_capture_start veth1
	cx nmap -sS --send-ip -n -Pn -p 1-300 --max-retries 0 10.44.0.2 >"$T/nmap.out" 2>&1 ||
		fail "nmap: $(cat "$T/nmap.out")"
	read -r max syns < <(wire_max)
	echo "new interface, limit 10: at most $max unanswered of $syns SYNs"
	[ "$max" -le 10 ] || fail "$max SYNs unanswered at once on an interface made later"
	[ "$syns" -ge 10 ] || fail "only $syns SYNs: $(cat "$T/nmap.out")"
	# seen on veth1: its SYNs over the limit were dropped there
	[ "$(status_field raw_dropped)" -ge 1 ] || fail "no raw SYN dropped: $(ho status)"
	# the programs are held by the daemon's links only: those loaded since it started
	ids=$(raw_prog_ids | grep -vxF -f "$T/progs.before" || true)
	[ -n "$ids" ] || fail "no tc program of the daemon found: $(bpftool prog show | tail -20)"
	daemon_stop
	for id in $ids; do
		wait_until 5 eval "! bpftool prog show id $id >/dev/null 2>&1" ||
			fail "program $id is still loaded after the daemon stopped"
	done
}

# --- Contain mode (the default): raw SYNs judged by the scanner test ---

contain_start() { # the default mode, and a dead range
	need masscan
	HO_MODE='' raw_start
	raw_dead_setup
}

# masscan of port 80 in cgroup CG: TARGET at RATE a second, for at most SECS.
masscan_in() { # CG TARGET PORT RATE SECS
	in_cgroup "$1" timeout -k 2 "$5" masscan --adapter veth0 --adapter-ip 10.42.0.1 \
		--router-mac "$PEERMAC" -p"$3" "$2" --rate "$4" --wait 0 >"$T/masscan.out" 2>&1
}

# In contain mode, masscan sweeping a dead range from a cgroup is flagged by
# its unanswered SYNs (raw-timeout), named, and from then on its SYNs to new
# addresses reach the peer at most one a second (contain-rate): the rest are
# dropped at egress, counted, and an event says so.
test_contain_masscan_dead_range_flagged_and_paced() {
	local cg tflag tend before after gaps
	cg=$(make_cgroup scan)
	contain_start
	raw_capture_start
	masscan_in "$cg" $DEAD 80 100 14 &
	local mpid=$!
	wait_until 12 eval 'ho events | grep -q "scanner: .* flagged"' ||
		fail "masscan was not flagged: $(ho events; ho -j status; cat "$T/masscan.out")"
	tflag=$(date +%s.%N)
	ho events | grep "scanner: "
	ho events | grep -q "scanner: process .* flagged.*(masscan)" ||
		fail "the alarm does not name masscan: $(ho events)"
	ho events | grep -q "scanner: cgroup /halfopen-test-$$/scan flagged" ||
		fail "the alarm does not name the cgroup: $(ho events)"
	grep -q "event=scanner .*(masscan)" "$T/daemon.log" || fail "no event=scanner warning: $(cat "$T/daemon.log")"
	wait "$mpid" || true
	tend=$(date +%s.%N)
	raw_capture_stop
	syn_times >"$T/syn.times"
	before=$(awk -v t="$tflag" '$1 < t' "$T/syn.times" | wc -l)
	# from half a second after the flag was seen (in flight by then: one more)
	after=$(awk -v t="$tflag" '$1 >= t + 0.5' "$T/syn.times" | wc -l)
	gaps=$(awk -v t="$tflag" '$1 >= t + 0.5 { if (p && $1 - p < 0.9) n++; p = $1 } END { print n + 0 }' "$T/syn.times")
	echo "masscan: $before SYNs before the flag, $after in the $(echo "$tend - $tflag" | bc) s after, $gaps closer than 0.9 s"
	[ "$before" -ge 10 ] || fail "only $before SYNs before the flag: $(cat "$T/masscan.out")"
	[ "$gaps" = 0 ] || fail "$gaps SYNs less than 0.9 s after the one before, after the flag"
	[ "$after" -le "$(echo "($tend - $tflag) / 1 + 1" | bc)" ] || fail "$after SYNs after the flag"
	[ "$after" -ge 3 ] || fail "only $after SYNs after the flag: not paced, stopped"
	[ "$(status_field raw_paced)" -ge 100 ] || fail "raw SYNs over the pace not counted: $(ho -j status)"
	[ "$(status_field raw_judged)" -ge 10 ] || fail "raw first contacts not judged: $(ho -j status)"
	wait_until 5 eval 'ho events | grep -q "dropped over a flagged scope.s pace.*(masscan)"' ||
		fail "no event for the paced SYNs: $(ho events)"
	ho stats | grep -q "flagged" || fail "stats shows no verdict: $(ho stats)"
	ho metrics | grep -q '^halfopen_raw_paced_total [1-9]' ||
		fail "metrics: $(ho metrics | grep raw_)"
}

# A raw prober whose SYNs are mostly answered (masscan of a port that
# accepts on 200 of 256 addresses, 56 dropped) is judged and not flagged:
# every SYN reaches the peer.
test_contain_answered_masscan_not_flagged() {
	local cg syns
	cg=$(make_cgroup probe)
	contain_start
	raw_capture_start
	masscan_in "$cg" $SWEEP.0/24 $ACCEPT 200 20 || true
	wait_until 8 status_is raw_in_flight 0 || fail "raw SYNs still in flight: $(ho -j status)"
	raw_capture_stop
	syns=$(syn_times | wc -l)
	echo "masscan of a mostly live /24: $syns SYNs, judged $(status_field raw_judged), paced $(status_field raw_paced)"
	[ "$syns" -ge 250 ] || fail "only $syns SYNs reached the peer: $(cat "$T/masscan.out")"
	[ "$(status_field raw_judged)" -ge 200 ] || fail "raw first contacts not judged: $(ho -j status)"
	[ "$(status_field flagged_total)" = 0 ] || fail "flagged: $(ho events; ho stats; cat "$T/daemon.log")"
	expect_eq "$(status_field raw_paced)" 0 "raw SYNs paced"
	! ho events | grep -q "scanner: " || fail "flagged: $(ho events)"
}

# An exempt cgroup's masscan of the dead range is never judged nor paced.
test_contain_exempt_masscan_not_paced() {
	local cg syns
	cg=$(make_cgroup nmapper)
	contain_start
	ho policy set cgroup "$cg" exempt
	raw_capture_start
	masscan_in "$cg" $DEAD 80 100 7 || true
	raw_capture_stop
	syns=$(syn_times | wc -l)
	echo "exempt masscan: $syns SYNs on the wire, judged $(status_field raw_judged)"
	[ "$syns" -ge 400 ] || fail "only $syns SYNs of an exempt masscan: $(cat "$T/masscan.out")"
	expect_eq "$(status_field raw_paced)" 0 "raw SYNs paced"
	expect_eq "$(status_field raw_judged)" 0 "raw SYNs judged"
	expect_eq "$(status_field flagged_total)" 0 "scopes flagged"
}

# nmap -sS on a raw IP socket (--send-ip: made through cgroup/sock_create,
# which names its maker) sweeping the dead range is flagged too, by process
# and cgroup, and its raw SYNs to new addresses are then paced.
test_contain_nmap_send_ip_dead_range_flagged() {
	local cg
	need nmap
	cg=$(make_cgroup nmap)
	contain_start
	raw_capture_start
	in_cgroup "$cg" timeout -k 2 20 nmap -sS --send-ip -n -Pn -p 80 --max-retries 0 \
		--host-timeout 15s 10.46.0.0/23 >"$T/nmap.out" 2>&1 &
	local npid=$!
	wait_until 15 eval 'ho events | grep -q "scanner: process .* flagged.*(nmap)"' ||
		fail "nmap was not flagged: $(ho events; ho -j status; cat "$T/nmap.out")"
	ho events | grep -q "scanner: cgroup /halfopen-test-$$/nmap flagged" ||
		fail "the alarm does not name the cgroup: $(ho events)"
	wait_until 10 status_ge raw_paced 1 || fail "nothing paced: $(ho -j status)"
	wait "$npid" || true
}

run_tests
