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
#  3. storms, host limit 10, each from a cgroup of its own: fast (STORM
#     attempts at once, a policy of limit 8 on the cgroup, another process
#     timed meanwhile), nopol (STORM_NOPOL at once, no policy), slow
#     (SLOW_STORM at SLOW_RATE a second, policy 8) and mixed (MIX_STORM at
#     MIX_RATE to accepting, refusing and dropping ports, policy 8). Each
#     says how its attempts ended by the daemon's counters, repaired included,
#     and the most attempts certainly half-open at once on the wire against
#     the limit that applies.
#  4. precision: the same certain figure for the fast path and release runs.
#
# Everything runs in two namespaces it creates and removes; traffic never
# leaves them. Results: bench/results/ (summary.txt, samples.csv,
# release.csv, storm-NAME.csv, .out, -status.json, -wire.csv, *.png).
# ROUNDS (5), SECS (2), STORM (100000), STORM_NOPOL (10000), SLOW_STORM
# (48000), SLOW_RATE (2400), MIX_STORM (30000), MIX_RATE (1500) and STORMS
# (which storms: "fast nopol slow mixed") can be set.
. "$(dirname "$0")/../tests/net/lib.sh"
[ "$(id -u)" = 0 ] || { echo "make bench: run as root" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-2}
STORM=${STORM:-100000}
STORM_NOPOL=${STORM_NOPOL:-10000}
SLOW_STORM=${SLOW_STORM:-48000}
SLOW_RATE=${SLOW_RATE:-2400}
MIX_STORM=${MIX_STORM:-30000}
MIX_RATE=${MIX_RATE:-1500}
OUT=${OUT:-$ROOT/bench/results}
mkdir -p "$OUT"
rm -f "$OUT"/storm*
trap ns_cleanup EXIT
set -e
ns_setup
# more dropping ports and source ports for the storm; the kernel's SYN retry
# count in the client namespace is lowered for the storm only (see below)
px iptables -A INPUT -p tcp --dport 8083:8089 -j DROP
# the mixed storm's ports: 8090 accepting, 8091 refusing (nothing listens), 8092 dropping
MIX_ACCEPT=8090
nsenter --net="/run/netns/$P" "$B/hopeer" $MIX_ACCEPT >"$T/peer2.out" 2>&1 &
PIDS+=($!)
wait_until 5 grep -qs ready "$T/peer2.out" || fail "the second peer did not start"
px iptables -A INPUT -p tcp --dport $((MIX_ACCEPT + 2)) -j DROP
cx sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
PEERNS=/run/netns/$P
HB=$B/hobench
SAMPLES=$OUT/samples.csv
echo "bench,variant,mode,round,value" >"$SAMPLES"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

# lib.sh's daemon_start waits for 'started:' in daemon.log: the log of the
# previous daemon would do before the new one has truncated it, and the run
# would go on with no daemon yet. Start each from an empty log.
bench_daemon_start() {
	: >"$T/daemon.log"
	daemon_start "$@"
}

NFQPID=
variant_on() {
	case $1 in
	b) bench_daemon_start ;;
	c)
		: >"$T/nfq.out" # not the 'ready' of the previous round's
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
# Two loads, alternating: an idle machine, and both cores kept busy by two
# shell loops (bounded by timeout), the case the release path's SCHED_FIFO
# priority (--rt-priority) is for; then the busy case as an ordinary task.
busy_start() {
	BUSY=()
	for _ in 1 2; do
		timeout 120 sh -c 'while :; do :; done' &
		BUSY+=($!)
	done
}
busy_stop() {
	kill "${BUSY[@]}" 2>/dev/null || true
	wait "${BUSY[@]}" 2>/dev/null || true
}
for ((r = 1; r <= ROUNDS; r++)); do
	for load in idle busy busy-other; do
		if [ "$load" = busy-other ]; then
			bench_daemon_start -l 10 --rt-priority 0
		else
			bench_daemon_start -l 10
		fi
		[ "$load" = idle ] || busy_start
		cx "$HB" release $PEER4 $DROP 10 1000 "$PEERNS" "$T/rel.csv" >"$T/rel.out"
		[ "$load" = idle ] || busy_stop
		daemon_stop
		[ "$load" = idle ] && tail -n +2 "$T/rel.csv" | sed "s/^/$r,/" >>"$OUT/release.csv"
		for k in p50 p99 max certain_max; do
			echo "release,$k,$load,$r,$(awk -v k=$k '$1 == k { print $2 }' "$T/rel.out")" >>"$SAMPLES"
		done
	done
done
say "2. Release latency: close one of 10 in-flight attempts, until the next queued SYN"
say "   arrives in the peer; 1000 releases a round, median over $ROUNDS rounds (us)"
for load in idle busy busy-other; do
	say "$(printf '   %-44s p50 %7.1f  p99 %7.1f  max %8.1f (worst round)' \
		"$(case $load in idle) echo "idle machine:" ;; busy) echo "both cores busy:" ;;
			*) echo "both cores busy, --rt-priority 0:" ;; esac)" \
		"$(median release p50 $load)" "$(median release p99 $load)" \
		"$(awk -F, -v l=$load '$1 == "release" && $2 == "max" && $3 == l { if ($5 > m) m = $5 } END { print m }' "$SAMPLES")")"
done
say "   goal: p99 < 200 on the idle and the busy machine"
say ""

# 3. Storms. Queue time counts against an attempt's SYN timeout: with the
# default 127 s a storm would last two minutes; the storms' sockets use 3
# retries (15 s, and 1 s more for each linear retry the kernel adds first:
# net.ipv4.tcp_syn_linear_timeouts). They run in a cgroup of their own, as a
# scanning service would; each storm gets a fresh daemon, so its counters are
# the storm's own.
STORM_CG=$(make_cgroup storm)
GIVEUP=$((15 + $(cx sysctl -n net.ipv4.tcp_syn_linear_timeouts 2>/dev/null || echo 0)))
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
jfield() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"; } # FILE NAME: a number of the JSON

# The daemon's in flight, queued, held, RSS and CPU at 5 Hz into FILE.
sampler_start() { # FILE
	local ticks0
	ticks0=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
	echo "t,in_flight,queued,held,rss_kb,cpu_s" >"$1"
	(
		t0=$(date +%s.%N)
		for ((i = 0; i < 900; i++)); do
			s=$(ho -j status 2>/dev/null) || break
			printf '%s,%s,%s,%s,%s,%s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')" \
				"$(echo "$s" | sed 's/.*"in_flight":\([0-9]*\).*/\1/')" \
				"$(echo "$s" | sed 's/.*"queued":\([0-9]*\).*/\1/')" \
				"$(echo "$s" | sed 's/.*"held":\([0-9]*\).*/\1/')" \
				"$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")" \
				"$(awk -v t0="$ticks0" '{ printf "%.2f", ($14 + $15 - t0) / 100 }' "/proc/$DPID/stat")"
			sleep 0.2
		done >>"$1"
	) &
	SAMPLER=$!
	PIDS+=($SAMPLER)
}

GOALS=()
# One storm: NAME, COUNT attempts at RATE a second (0: at once) to PORTS
# ports from PORT1, from the storm's cgroup with a policy of limit POLICY (-:
# none), host limit 10. With OTHER=yes, once the storm has started, another
# process (another cgroup) connects to the accepting peer and is timed.
storm_run() { # NAME TITLE COUNT RATE PORT1 PORTS POLICY OTHER
	local name=$1 title=$2 n=$3 rate=$4 port1=$5 ports=$6 policy=$7 other=$8
	local out=$T/storm-$name.out st=$OUT/storm-$name-status.json csv=$OUT/storm-$name.csv
	local secs t0 t1 other_ms= rssmax cpu wire storm all storm_lim goal rep late desc
	echo "3. storm $name: $n attempts" >&2
	secs=$(awk -v n="$n" -v r="$rate" 'BEGIN { print (r > 0 ? int(n / r) : 0) + 40 }')
	bench_daemon_start -l 10
	[ "$policy" = - ] || ho policy set cgroup "$STORM_CG" limit "$policy" >/dev/null
	sampler_start "$csv"
	HOBENCH_WIRE=$OUT/storm-$name-wire.csv sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG2$STORM_CG" \
		nsenter --net="/run/netns/$C" "$HB" storm $PEER4 "$port1" "$ports" "$n" "$PEERNS" \
		"$secs" "$rate" >"$out" &
	STORMPID=$!
	PIDS+=($STORMPID)
	if [ "$other" = yes ]; then
		wait_until "$secs" grep -qs '^started' "$out" || fail "the storm did not start"
		t0=$(date +%s%N)
		OTHER=$(cx "$B/hoconn" -s $PEER4 $ACCEPT 1) || true
		t1=$(date +%s%N)
		other_ms=$(((t1 - t0) / 1000000))
	fi
	wait "$STORMPID"
	sleep 0.5
	kill "$SAMPLER" 2>/dev/null || true
	wait "$SAMPLER" 2>/dev/null || true
	ho -j status >"$st"
	daemon_stop
	cp "$out" "$OUT/storm-$name.out"
	rssmax=$(awk -F, 'NR > 1 && $5 > m { m = $5 } END { print m + 0 }' "$csv")
	cpu=$(awk -F, 'END { print $6 }' "$csv")
	say "   $title"
	say "   $(grep '^started' "$out" || echo "NOT all started within ${secs} s")"
	say "   $(grep '^ended' "$out")"
	say "   daemon: peak RSS $((rssmax / 1024)) MiB (goal < 64), CPU ${cpu} s over the storm"
	[ -z "$other_ms" ] ||
		say "   another process (another cgroup) connects to the accepting peer: $OTHER after $other_ms ms"
	python3 - "$st" <<'PY' | tee -a "$SUMMARY"
import json, sys
d = json.load(open(sys.argv[1]))
parts = [("established", d["established"]), ("refused", d["refused"]),
         ("timed out/failed", d["timed_out"]), ("closed", d["closed"]),
         ("cancelled", d["cancelled"]), ("repaired", d["repaired"]),
         ("still in flight", d["in_flight"] + d["exempt_in_flight"]), ("still queued", d["queued"])]
gap = d["attempts"] - sum(v for _, v in parts)
print("   fate: attempts %d = %s" % (d["attempts"], " + ".join("%s %d" % p for p in parts)))
print("         (%s); queued %d, released %d, SYNs dropped %d, untracked %d"
      % ("balanced" if gap == 0 else "UNBALANCED: %d attempts %s" % (abs(gap),
         "have no end counted" if gap > 0 else "too many ends counted"),
         d["queued_total"], d["released"], d["dropped"], d["untracked"]))
PY
	rep=$(jfield "$st" repaired)
	late=$(jfield "$st" late_syns)
	# the kernel reports every end (sock_ops STATE_CB); a repair forgets an
	# attempt only after its socket, looked up by cookie, no longer connects
	if [ "$rep" -gt 0 ]; then
		say "   repaired $rep: ends the kernel did not report (each checked: its socket no"
		say "   longer connected); late SYNs dropped $late"
	else
		say "   repaired 0; late SYNs dropped $late (released, but their socket had ended)"
	fi
	wire=$(awk '$1 == "wire_drops" && $2 > 0 { printf "; the capture missed %d packets (the bound is lower)", $2 }
		$1 == "wire_full" && $2 > 0 { printf "; %d sockets not remembered", $2 }
		$1 == "answers_unconfirmed" && $2 > 0 { printf "\n   (%d answers of the peer not counted: the client saw their socket time out, so\n   they answered a SYN let out after its socket had died)", $2 }' "$out")
	storm=$(awk '$1 == "certain_max_storm" { print $2 }' "$out")
	all=$(awk '$1 == "certain_max" { print $2 }' "$out")
	storm_lim=$([ "$policy" = - ] && echo 10 || echo "$policy")
	goal=MET
	[ "${storm:-99999}" -le "$storm_lim" ] && [ "${all:-99999}" -le 10 ] || goal="NOT MET"
	say "   on the wire, certain max half-open at once: the storm's $storm (limit $storm_lim),"
	say "   all attempts $all (host limit 10): GOAL $goal$wire"
	desc="$name, $n $([ "$rate" = 0 ] && echo at once || echo "at $rate/s"), $([ "$policy" = - ] &&
		echo no policy || echo "policy $policy")"
	GOALS+=("$(printf '%-34s %9s %7s  %-7s %8s %6s  %s' "$desc" "$storm/$storm_lim" "$all/10" \
		"$goal" "$rep" "$late" "$([ "$rep" = 0 ] && echo MET || echo "NOT MET")")")
	say ""
}

STORMS=${STORMS:-fast nopol slow mixed}
say "3. Storms to the peer (TCP_SYNCNT 3: an attempt gives up $GIVEUP s after its connect, queue"
say "   time included), each from a cgroup of its own, host limit 10, a fresh daemon each"
for s in $STORMS; do
	case $s in
	fast) storm_run fast "fast: $STORM attempts at once to dropping ports, the cgroup's policy limit 8" \
		"$STORM" 0 $DROP 8 8 yes ;;
	nopol) storm_run nopol "no policy: $STORM_NOPOL attempts at once to dropping ports" \
		"$STORM_NOPOL" 0 $DROP 8 - yes
		say "   (without a policy every slot of the host is held by an unanswered attempt of the"
		say "   storm until it times out: the other process waits)"
		say "" ;;
	slow) storm_run slow "slow: $SLOW_STORM attempts at $SLOW_RATE/s to dropping ports, kept open, policy limit 8" \
		"$SLOW_STORM" "$SLOW_RATE" $DROP 8 8 no ;;
	mixed) storm_run mixed "mixed: $MIX_STORM attempts at $MIX_RATE/s, a third each accepted, refused, dropped, policy limit 8" \
		"$MIX_STORM" "$MIX_RATE" $MIX_ACCEPT 3 8 no ;;
	*) fail "unknown storm $s (STORMS: fast nopol slow mixed)" ;;
	esac
done

echo "4. precision" >&2
bench_daemon_start -l 2
prec_fast=$(cx "$HB" rate $PEER4 $ACCEPT 2 4 "$PEERNS" | awk '/^certain_max/ { print $2 }')
daemon_stop
say "4. Precision: the most attempts certainly half-open at once on the wire: from a socket's"
say "   first SYN seen in the peer to its last SYN seen, or the peer's answer or the client's"
say "   own close if earlier (a lower bound: over the limit proves the limit was exceeded)"
say "   fast path, limit 2, 4 clients: $prec_fast"
say "   release runs, limit 10: $(awk -F, '$1 == "release" && $2 == "certain_max" { if ($5 > m) m = $5 } END { print m }' "$SAMPLES") (worst round)"
say "   storms: below"
say ""
say "Goals, per storm: the certain max on the wire <= the limit that applies (the storm's"
say "cgroup, and the host's for all attempts); repaired 0 (or each repair proven real)"
say "$(printf '%-34s %9s %7s  %-7s %8s %6s  %s' storm storm/lim all/lim goal repaired late goal)"
for g in "${GOALS[@]}"; do
	say "$g"
done
say ""

if command -v gnuplot >/dev/null; then
	gnuplot <<EOF
set terminal png size 900,500
set datafile separator ","
set output "$OUT/release-latency.png"
set title "release latency (close -> next SYN in the peer), all rounds"
set xlabel "latency (us)"; set ylabel "fraction of releases"; set key off; set grid
stats "$OUT/release.csv" using 3 nooutput
plot "$OUT/release.csv" using 3:(1.0/STATS_records) smooth cumulative with lines lw 2
EOF
	for f in "$OUT"/storm-*.csv; do
		case $f in *-wire.csv) continue ;; esac
		gnuplot <<EOF
set terminal png size 900,500
set datafile separator ","
set output "${f%.csv}.png"
set title "storm $(basename "${f%.csv}" | sed 's/^storm-//'): the daemon's view, host limit 10"
set xlabel "seconds"; set ylabel "attempts"; set key top right; set logscale y
plot "$f" using 1:(\$3+1) with lines lw 2 title "queued (+1)", \
     "$f" using 1:(\$2+1) with lines lw 2 title "in flight (+1)"
EOF
	done
	say "plots: $OUT/release-latency.png $OUT/storm-*.png"
fi
say "samples: $SAMPLES $OUT/release.csv $OUT/storm-*.csv (and the storms' outputs and status)"
