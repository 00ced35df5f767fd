#!/bin/bash
# make bench: halfopen's benchmarks, side by side in one run (docs/benchmarks.md).
#
#  1. fast path: connect+close rate to an accepting peer, sequential and with
#     2 clients, for (a) no limiter, (b) halfopend with the limit never
#     reached, (c) every SYN through an NFQUEUE round trip, (d1) an iptables
#     hashlimit rule, (d2) an iptables connlimit rule; variants alternate
#     a b c d1 d2 a b ... for ROUNDS rounds; medians and ratios to (a).
#  2. release latency: limit filled by attempts to a dropping peer; close one
#     in-flight socket, time until the next queued SYN arrives in the peer.
#  3. storm: 100,000 attempts to a dropping peer with limit 10.
#  4. precision: the most attempts half-open at once on the wire, per run.
#
# Everything runs in two namespaces it creates and removes; traffic never
# leaves them. Results: bench/results/ (summary.txt, samples.csv, storm.csv,
# release.csv, *.png). ROUNDS (5), SECS (2), STORM (100000) and STORM_NOPOL
# (10000: a storm with no policy on its cgroup, for the other process's wait)
# can be set.
. "$(dirname "$0")/../tests/net/lib.sh"
[ "$(id -u)" = 0 ] || { echo "make bench: run as root" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-2}
STORM=${STORM:-100000}
STORM_NOPOL=${STORM_NOPOL:-10000}
OUT=${OUT:-$ROOT/bench/results}
mkdir -p "$OUT"
trap ns_cleanup EXIT
set -e
ns_setup
# more dropping ports and source ports for the storm; the kernel's SYN retry
# count in the client namespace is lowered for the storm only (see below)
px iptables -A INPUT -p tcp --dport 8083:8089 -j DROP
cx sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
PEERNS=/run/netns/$P
HB=$B/hobench
SAMPLES=$OUT/samples.csv
echo "bench,variant,mode,round,value" >"$SAMPLES"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

NFQPID=
variant_on() {
	case $1 in
	b) daemon_start ;;
	c)
		nsenter --net="/run/netns/$C" "$B/nfq_accept" 7 >"$T/nfq.out" 2>&1 &
		NFQPID=$!
		PIDS+=($NFQPID)
		wait_until 5 grep -q ready "$T/nfq.out" || fail "nfq_accept did not start"
		cx iptables -t raw -I OUTPUT -p tcp --syn -j NFQUEUE --queue-num 7
		;;
	d1) cx iptables -I OUTPUT -p tcp --syn -m hashlimit --hashlimit-above 1000000/sec \
		--hashlimit-burst 10000 --hashlimit-mode dstip --hashlimit-name hobench -j DROP ;;
	d2) cx iptables -I OUTPUT -p tcp --syn -m connlimit --connlimit-above 100000 \
		--connlimit-daddr -j REJECT ;;
	esac
}
variant_off() {
	case $1 in
	b) daemon_stop ;;
	c)
		cx iptables -t raw -D OUTPUT -p tcp --syn -j NFQUEUE --queue-num 7
		kill "$NFQPID"
		wait "$NFQPID" || true
		;;
	d1 | d2) cx iptables -F OUTPUT ;;
	esac
}

median() { # bench variant mode
	awk -F, -v b="$1" -v v="$2" -v m="$3" '$1 == b && $2 == v && $3 == m { print $5 }' "$SAMPLES" |
		sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

VARIANTS="a b c d1 d2"
declare -A NAME=([a]="(a) no limiter" [b]="(b) halfopend, limit not reached"
	[c]="(c) NFQUEUE round trip per SYN" [d1]="(d1) iptables hashlimit" [d2]="(d2) iptables connlimit")

say "halfopen benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores"
say ""
echo "1. fast path: $ROUNDS rounds x ${SECS}s, alternating $VARIANTS" >&2
cx "$HB" rate $PEER4 $ACCEPT 1 2 >/dev/null # warm-up, not counted
for ((r = 1; r <= ROUNDS; r++)); do
	for v in $VARIANTS; do
		variant_on "$v"
		for mode in 1 2; do
			rate=$(cx "$HB" rate $PEER4 $ACCEPT "$SECS" $mode | awk '/^rate/ { print $2 }')
			echo "fastpath,$v,$mode,$r,$rate" >>"$SAMPLES"
		done
		variant_off "$v"
	done
	echo "   round $r done" >&2
done
say "1. Fast path: connect+close per second to an accepting peer (median of $ROUNDS rounds)"
say "$(printf '%-36s %12s %7s %12s %7s' variant sequential ratio '2 clients' ratio)"
base1=$(median fastpath a 1)
base2=$(median fastpath a 2)
for v in $VARIANTS; do
	m1=$(median fastpath "$v" 1)
	m2=$(median fastpath "$v" 2)
	say "$(printf '%-36s %12.0f %7.3f %12.0f %7.3f' "${NAME[$v]}" "$m1" \
		"$(awk -v a="$m1" -v b="$base1" 'BEGIN { print a / b }')" "$m2" \
		"$(awk -v a="$m2" -v b="$base2" 'BEGIN { print a / b }')")"
done
say ""

echo "2. release latency" >&2
echo "round,release,latency_us" >"$OUT/release.csv"
daemon_start -l 10
for ((r = 1; r <= ROUNDS; r++)); do
	cx "$HB" release $PEER4 $DROP 10 1000 "$PEERNS" "$T/rel.csv" >"$T/rel.out"
	tail -n +2 "$T/rel.csv" | sed "s/^/$r,/" >>"$OUT/release.csv"
	for k in p50 p99 max certain_max; do
		echo "release,$k,-,$r,$(awk -v k=$k '$1 == k { print $2 }' "$T/rel.out")" >>"$SAMPLES"
	done
done
daemon_stop
say "2. Release latency: close one of 10 in-flight attempts, until the next queued SYN"
say "   arrives in the peer; 1000 releases a round, median over $ROUNDS rounds (us)"
say "$(printf '   p50 %.1f   p99 %.1f   max %.1f (worst round)   goal: p99 < 200' \
	"$(median release p50 -)" "$(median release p99 -)" \
	"$(awk -F, '$1 == "release" && $2 == "max" { if ($5 > m) m = $5 } END { print m }' "$SAMPLES")")"
say ""

echo "3. storm of $STORM" >&2
# queue time counts against an attempt's SYN timeout: with the default 127 s
# the storm would last two minutes; its sockets use 3 retries (15 s)
# the storm runs in a cgroup of its own, as a scanning service would
STORM_CG=$(make_cgroup storm)
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
# Start a storm of N in that cgroup; once it is queued, time the connect of
# another process (another cgroup) to the accepting peer: OTHER, OTHER_MS.
storm_and_other() { # N OUTFILE
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG2$STORM_CG" \
		nsenter --net="/run/netns/$C" "$HB" storm $PEER4 $DROP 8 "$1" "$PEERNS" 60 >"$2" &
	STORMPID=$!
	PIDS+=($STORMPID)
	wait_until 60 grep -qs '^started' "$2" || fail "the storm did not start"
	local t0 t1
	t0=$(date +%s%N)
	OTHER=$(cx "$B/hoconn" -s $PEER4 $ACCEPT 1) || true
	t1=$(date +%s%N)
	OTHER_MS=$(((t1 - t0) / 1000000))
}
daemon_start -l 10
ticks0=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
echo "t,in_flight,queued,held,rss_kb,cpu_s" >"$OUT/storm.csv"
(
	t0=$(date +%s.%N)
	for ((i = 0; i < 600; i++)); do
		s=$(ho -j status 2>/dev/null) || break
		printf '%s,%s,%s,%s,%s,%s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')" \
			"$(echo "$s" | sed 's/.*"in_flight":\([0-9]*\).*/\1/')" \
			"$(echo "$s" | sed 's/.*"queued":\([0-9]*\).*/\1/')" \
			"$(echo "$s" | sed 's/.*"held":\([0-9]*\).*/\1/')" \
			"$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")" \
			"$(awk -v t0="$ticks0" '{ printf "%.2f", ($14 + $15 - t0) / 100 }' "/proc/$DPID/stat")"
		sleep 0.2
	done >>"$OUT/storm.csv"
) &
SAMPLER=$!
PIDS+=($SAMPLER)
ho policy set cgroup "$STORM_CG" limit 8 >/dev/null
storm_and_other "$STORM" "$T/storm.out"
wait "$STORMPID"
sleep 0.5
kill "$SAMPLER" 2>/dev/null || true
cp "$T/storm.out" "$OUT/storm.out"
ho -j status >"$OUT/storm-status.json"
rssmax=$(awk -F, 'NR > 1 && $5 > m { m = $5 } END { print m }' "$OUT/storm.csv")
cpu=$(awk -F, 'END { print $6 }' "$OUT/storm.csv")
daemon_stop
say "3. Storm: one process starts $STORM non-blocking attempts to a dropping peer, host limit 10"
say "   $(grep '^started' "$T/storm.out")"
say "   $(grep '^ended' "$T/storm.out")"
say "   daemon: peak RSS $((rssmax / 1024)) MiB (goal < 64), CPU ${cpu} s over the storm"
say "   the storm's cgroup has a policy of limit 8: another process (another cgroup)"
say "   connects to the accepting peer: $OTHER after $OTHER_MS ms"
say "   (one program; split over processes when one may not hold $STORM sockets: see started)"
python3 - "$OUT/storm-status.json" "$STORM" <<'PY' | tee -a "$SUMMARY"
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
fate = d["established"] + d["refused"] + d["timed_out"] + d["closed"] + d["cancelled"]
print("   fate: attempts %d = established %d + refused %d + timed out %d + closed %d + cancelled %d"
      " (%s); queued %d, released %d, SYNs dropped (queue full) %d, untracked %d"
      % (d["attempts"], d["established"], d["refused"], d["timed_out"], d["closed"],
         d["cancelled"], "balanced" if fate == d["attempts"] else "UNBALANCED by %d" % (d["attempts"] - fate),
         d["queued_total"], d["released"], d["dropped"], d["untracked"]))
PY

# the same, smaller, with no policy: the storm holds every slot of the host
daemon_start -l 10
storm_and_other "$STORM_NOPOL" "$T/storm-nopol.out"
wait "$STORMPID"
daemon_stop
say "   no policy (storm of $STORM_NOPOL): the other process's connect: $OTHER after $OTHER_MS ms"
say "   (every slot is held by an unanswered attempt of the storm until it times out)"
say ""

echo "4. precision" >&2
daemon_start -l 2
prec_fast=$(cx "$HB" rate $PEER4 $ACCEPT 2 4 "$PEERNS" | awk '/^certain_max/ { print $2 }')
daemon_stop
say "4. Precision: most attempts half-open at once on the wire (SYN in, no answer yet)"
say "   fast path, limit 2, 4 clients: $prec_fast"
say "   release runs, limit 10: $(awk -F, '$1 == "release" && $2 == "certain_max" { if ($5 > m) m = $5 } END { print m }' "$SAMPLES") (worst round)"
say "   storm (its cgroup 8) and the other process, host limit 10: $(awk '/^certain_max/ { print $2 }' "$T/storm.out")"

if command -v gnuplot >/dev/null; then
	gnuplot <<EOF
set terminal png size 900,500
set datafile separator ","
set output "$OUT/release-latency.png"
set title "release latency (close -> next SYN in the peer), all rounds"
set xlabel "latency (us)"; set ylabel "fraction of releases"; set key off; set grid
stats "$OUT/release.csv" using 3 nooutput
plot "$OUT/release.csv" using 3:(1.0/STATS_records) smooth cumulative with lines lw 2
set output "$OUT/storm.png"
set title "storm of $STORM attempts, host limit 10, its cgroup 8"
set xlabel "seconds"; set ylabel "attempts"; set key top right; set logscale y
plot "$OUT/storm.csv" using 1:(\$3+1) with lines lw 2 title "queued (+1)", \
     "$OUT/storm.csv" using 1:(\$2+1) with lines lw 2 title "in flight (+1)"
EOF
	say ""
	say "plots: $OUT/release-latency.png $OUT/storm.png"
fi
say "samples: $SAMPLES $OUT/release.csv $OUT/storm.csv"
