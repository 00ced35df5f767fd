#!/bin/bash
# make bench-contain: does halfopen contain a worm and leave real programs
# alone? Issue 13's benchmark; docs/benchmarks.md ("Containment").
#
# The test world: a client namespace (halfopend, the workloads) and a peer
# namespace that answers for all of 198.18.0.0/16 (a local route there, and a
# route to it through the veth in the client). Live hosts: 198.18.X.7 for
# every X, and 198.18.1.0/27 (a dense /24 for nmap); every other address drops
# whatever it is sent. Live hosts accept on 22, 80, 445 and 6881 (bench/howeb:
# a 200 with 1 KiB to any HTTP request) and 8080 (the harness's hopeer), drop SYNs to
# 135-139 and 8443 (filtered), refuse the rest. Their handshakes are slow, as
# real hosts' are: the peer holds every SYN to a live host 10 ms in an
# NFQUEUE (bench/hodelay; netem is not in every kernel), 20 ms for the load
# tester's server 198.18.2.7.
#
# Rows, side by side: no limiter; the original mode (halfopend --mode
# original, or --limit 10 where the daemon has no --mode: today's behaviour);
# the default (halfopend with no option, an empty settings file). Each
# workload runs in a cgroup of its own (bench/contain_load.py, ab, curl,
# nmap), each run with a fresh daemon, rows alternating:
#  W  the worm alone for WORM_SECS (its SYNs captured on the peer's veth),
#     then, the worm still running, the browser, the P2P client and the poller
#  A  the browser, the P2P client and the poller alone
#  ab AB_ROUNDS rounds of ab -n AB_N -c 50 against the 20 ms host
#  curl CURL_ROUNDS rounds of curl --parallel over 400 URLs, 120 unreachable
#  nmap NMAP_ROUNDS rounds of nmap -sT of a live host and of a /24, and the
#     same with nmap's cgroup exempt (after the default row)
# Every workload is bounded (WL_TIMEOUT s); PHASES and ROWS choose what runs.
# Then bench/contain_report.py prints the tables and the goals and plots the
# worm's first contacts (build/contain-worm.png). Results: $OUT (build/contain).
# Traffic never leaves the two namespaces; an EXIT trap removes them, the
# cgroups and every process, on Ctrl-C too.
# The rows choose the daemon's mode themselves: no mode from the harness.
HO_MODE=
. "$(dirname "$0")/../tests/net/lib.sh"
[ "$(id -u)" = 0 ] || { echo "make bench-contain: run as root" >&2; exit 1; }
for t in ab curl nmap tcpdump gnuplot; do
	command -v $t >/dev/null || { echo "bench-contain: $t is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
for t in halfopend halfopen hodelay howeb; do
	[ -x "$B/$t" ] || { echo "bench-contain: build/$t is missing (make bench-contain builds it)" >&2; exit 1; }
done
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
WORM_SECS=${WORM_SECS:-20}
P2P_CAP=${P2P_CAP:-30}
AB_N=${AB_N:-2000}
AB_ROUNDS=${AB_ROUNDS:-3}
CURL_ROUNDS=${CURL_ROUNDS:-1}
NMAP_ROUNDS=${NMAP_ROUNDS:-2}
ROWS=${ROWS:-none original default}
PHASES=${PHASES:-W A ab curl nmap}
OUT=${OUT:-$B/contain}
PY=/usr/bin/python3
LOAD="$PY $ROOT/bench/contain_load.py"
START=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT"
trap ns_cleanup EXIT
trap 'exit 130' INT TERM
set -e

# What the original mode is called in this daemon.
if "$B/halfopend" --help 2>&1 | grep -q -- '--mode'; then
	ORIGINAL=(--mode original)
else
	ORIGINAL=(--limit 10)
fi
{
	echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel $(uname -r)"
	echo "cores $(nproc)"
	echo "commit $(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null | cut -c1-72)"
	echo "original ${ORIGINAL[*]}"
	echo "load_start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "params WORM_SECS=$WORM_SECS P2P_CAP=$P2P_CAP AB_N=$AB_N AB_ROUNDS=$AB_ROUNDS CURL_ROUNDS=$CURL_ROUNDS NMAP_ROUNDS=$NMAP_ROUNDS"
} >"$OUT/meta.txt"
echo "bench-contain: original mode row: halfopend ${ORIGINAL[*]}" >&2

# --- the test world --------------------------------------------------------
ns_setup
NET=198.18
SLOW=$NET.2.7 # the load tester's server: 20 ms handshakes
LIVE_MASK=$NET.0.7/255.255.0.255
DENSE=$NET.1.0/27
cx ip route add $NET.0.0/16 via $PEER4
px ip route add local $NET.0.0/16 dev lo
cx sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
px iptables -A INPUT -d $NET.0.0/16 -p tcp -m multiport --dports 135:139,8443 -j DROP
px iptables -A INPUT -d $SLOW -p tcp --syn -j NFQUEUE --queue-num 4320
px iptables -A INPUT -d $LIVE_MASK -p tcp --syn -j NFQUEUE --queue-num 4310
px iptables -A INPUT -d $DENSE -p tcp --syn -j NFQUEUE --queue-num 4310
px iptables -A INPUT -d $LIVE_MASK -j ACCEPT
px iptables -A INPUT -d $DENSE -j ACCEPT
px iptables -A INPUT -d $NET.0.0/16 -j DROP
peer_start() { # NAME CMD...: a program in the peer; waits for its "ready"
	local name=$1
	shift
	nsenter --net="/run/netns/$P" "$@" >"$T/$name.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -qs "^ready" "$T/$name.out" || fail "$name did not start: $(cat "$T/$name.out")"
}
peer_start web "$B/howeb" 22 80 445 6881 # 8080: the harness's hopeer
peer_start delay10 "$B/hodelay" 4310 10
peer_start delay20 "$B/hodelay" 4320 20

# --- workloads: each in its own cgroup of the client namespace ---------------
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
declare -A CG
for w in worm browser p2p poller ab curl nmap; do
	CG[$w]=$(make_cgroup $w)
done
# CMD in the client namespace, in WORKLOAD's cgroup, at most WL_TIMEOUT s
# (a workload the limiter slows to a crawl must not hold the run up); its
# exit status, if not 0, is the last line of its output ("exit N", 124 when
# it ran out of time).
WL_TIMEOUT=${WL_TIMEOUT:-150}
# It runs in the background, waited for: a signal to the script is handled at
# once (ns_cleanup then kills what runs in the cgroups), not after it ends.
inwl() { # WORKLOAD CMD...
	local w=$1 rc=0 pid
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG2${CG[$w]}" \
		timeout -k 5 "$WL_TIMEOUT" nsenter --net="/run/netns/$C" "$@" &
	pid=$!
	PIDS+=($pid)
	wait $pid || rc=$?
	cg_empty "$w"
	[ "$rc" = 0 ] || echo "exit $rc"
}
# Nothing of WORKLOAD may outlive its run: whatever is left is killed.
cg_busy() { [ -n "$(cat "$CG2${CG[$1]}/cgroup.procs")" ]; }
cg_empty() { # WORKLOAD
	cg_busy "$1" || return 0
	echo "bench-contain: $1 left processes behind; killed" >&2
	echo 1 >"$CG2${CG[$1]}/cgroup.kill"
	wait_until 5 eval "! cg_busy $1" || fail "cannot empty the cgroup of $1"
}
hosts() { # FIRST LAST LASTOCTET: 198.18.FIRST.L,...,198.18.LAST.L
	seq -s, -f "$NET.%g.$3" "$1" "$2"
}
BROWSER=(browser --hosts "$(hosts 10 29 7)" --loads 20 --cap 6)
P2P=(p2p --live "$(hosts 100 149 7)" --dead "$(hosts 100 149 66)" --cap "$P2P_CAP")
POLLER=(poller --up "$(hosts 50 229 7)" --down "$(hosts 50 69 99)")
run_trio() { # TAG: browser, P2P client, poller, one after the other
	inwl browser $LOAD "${BROWSER[@]}" >"$OUT/$1-browser.out"
	inwl p2p $LOAD "${P2P[@]}" >"$OUT/$1-p2p.out"
	inwl poller $LOAD "${POLLER[@]}" >"$OUT/$1-poller.out"
}

# --- rows --------------------------------------------------------------------
: >"$T/empty.conf"
: >"$OUT/alarms.txt"
ROW=
row_on() { # ROW TAG
	ROW=$1
	case $1 in
	none) ;;
	original) daemon_start "${ORIGINAL[@]}" -f "$T/empty.conf" ;;
	default) daemon_start -f "$T/empty.conf" ;;
	*) fail "unknown row $1 (ROWS: none original default)" ;;
	esac
}
# Every alarm the daemon raised in this run ($OUT/alarms.txt: TAG ROW JSON),
# its log kept; then it stops.
row_off() { # TAG
	[ "$ROW" = none ] && return 0
	ho -j events 2>/dev/null | sed "s|^|$1 $ROW |" >>"$OUT/alarms.txt" || true
	daemon_stop
	cp "$T/daemon.log" "$OUT/daemon-$1-$ROW.log"
}
capture_on() { # FILE: every new SYN arriving in the peer, on its veth
	nsenter --net="/run/netns/$P" tcpdump -i veth0 -n -U -B 16384 -w "$1" \
		'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' >"$T/tcpdump.log" 2>&1 &
	CAPPID=$!
	PIDS+=($CAPPID)
	wait_until 5 grep -qs 'listening on' "$T/tcpdump.log" || fail "tcpdump did not start"
}
capture_off() {
	sleep 0.2 # the last packets through the capture buffer
	kill -INT "$CAPPID"
	wait "$CAPPID" || true
	grep -h 'dropped by kernel' "$T/tcpdump.log" >>"$OUT/capture-drops.txt" || true
}
elapsed() { echo "$(($(date +%s) - START)) s"; }
phase() { [[ " $PHASES " == *" $1 "* ]]; }

phase W && for row in $ROWS; do
	echo "W $row: the worm alone ${WORM_SECS} s, then with the browser, P2P, poller ($(elapsed))" >&2
	row_on "$row"
	capture_on "$T/W-$row.pcap"
	# started as one process (sh execs nsenter execs python): $! is the worm
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG2${CG[worm]}" \
		nsenter --net="/run/netns/$C" $LOAD worm --net $NET --seconds 300 >"$OUT/W-$row-worm.out" &
	WORM=$!
	PIDS+=($WORM)
	wait_until 5 grep -qs '^start' "$OUT/W-$row-worm.out" || fail "the worm did not start"
	# the measuring window of the worm alone (waited for with wait, which a
	# signal interrupts: a SIGTERM to the script cleans up at once)
	sleep "$WORM_SECS" &
	PIDS+=($!)
	wait $!
	echo "$(date +%s.%N)" >"$OUT/W-$row-others.start"
	run_trio "W-$row"
	kill -TERM "$WORM"
	wait "$WORM" || true
	cg_empty worm
	capture_off
	row_off "W"
	tcpdump -tt -n -r "$T/W-$row.pcap" 2>/dev/null >"$OUT/W-$row-syn.txt"
done
phase A && for row in $ROWS; do
	echo "A $row: the browser, P2P, poller alone ($(elapsed))" >&2
	row_on "$row"
	run_trio "A-$row"
	row_off "A"
done
phase ab && for ((r = 1; r <= AB_ROUNDS; r++)); do
	echo "ab round $r ($(elapsed))" >&2
	for row in $ROWS; do
		row_on "$row"
		inwl ab ab -q -n "$AB_N" -c 50 "http://$SLOW/" >"$OUT/ab-$row-$r.out" 2>&1
		row_off "ab$r"
	done
done
# curl: 280 good URLs over 70 live hosts, 120 to one unreachable host, mixed
for x in $(seq 10 79); do
	for f in 1 2 3 4; do
		echo "http://$NET.$x.7/f$f"
	done
done >"$T/urls"
for i in $(seq 1 120); do
	echo "http://$NET.3.99/u$i"
done >>"$T/urls"
shuf --random-source=<(yes) "$T/urls" | awk '{ print "url = \"" $0 "\"\noutput = \"/dev/null\"" }' >"$T/curl.cfg"
phase curl && for ((r = 1; r <= CURL_ROUNDS; r++)); do
	echo "curl round $r ($(elapsed))" >&2
	for row in $ROWS; do
		row_on "$row"
		inwl curl curl --parallel --parallel-immediate --connect-timeout 5 -s -K "$T/curl.cfg" \
			-w '%{http_code} %{url_effective}\n' 2>/dev/null >"$OUT/curl-$row-$r.out"
		row_off "curl$r"
	done
done
# A flagged nmap is paced to a new host a second: NMAP_TIMEOUT (60 s, 12
# times its time without a limiter) bounds it; one out of time is reported.
NMAP_TIMEOUT=${NMAP_TIMEOUT:-60}
nmaps() { # NAME: both scans, results as nmap-{host,net}-NAME-$r
	local WL_TIMEOUT=$NMAP_TIMEOUT
	inwl nmap nmap -sT -n -oG "$OUT/nmap-host-$1-$r.gnmap" $NET.4.7 >"$OUT/nmap-host-$1-$r.out" 2>&1
	inwl nmap nmap -sT -n -F -oG "$OUT/nmap-net-$1-$r.gnmap" $NET.1.0/24 >"$OUT/nmap-net-$1-$r.out" 2>&1
}
# nmap is a scanner, a legitimate one: the administrator's way to let it
# through at full speed is an exempt policy on its cgroup, measured too
# (the default row with `halfopen policy set cgroup NMAP exempt`: "exempt").
phase nmap && for ((r = 1; r <= NMAP_ROUNDS; r++)); do
	echo "nmap round $r ($(elapsed))" >&2
	for row in $ROWS exempt; do
		if [ "$row" = exempt ]; then
			[[ " $ROWS " == *" default "* ]] || continue
			row_on default
			ho policy set cgroup "${CG[nmap]}" exempt >/dev/null
			nmaps exempt
			row_off "nmapx$r" # its alarms apart: the administrator's answer
		else
			row_on "$row"
			nmaps "$row"
			row_off "nmap$r"
		fi
	done
done
echo "load_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
echo "runtime_s $(($(date +%s) - START))" >>"$OUT/meta.txt"
[ -n "${NOREPORT:-}" ] || $PY "$ROOT/bench/contain_report.py" "$OUT" "$B/contain-worm.png" | tee "$OUT/summary.txt"
