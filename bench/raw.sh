#!/bin/bash
# make bench-raw: raw SYN scanners with and without halfopend (docs/benchmarks.md).
#
# Three scanners against the peer namespace: nmap -sS of ports 1-1000 (the
# peer drops 40 of them), masscan of ports 1-40 on a /24 routed to the peer
# (10,240 probes at 20,000 a second; the peer drops 56 of the addresses) and
# zmap of port 80 on the /24, 8 probes per address (2,048 at 20,000 a
# second). Variants, alternated in every round: (a) no halfopend, (b)
# halfopend with limit 10 (a raw SYN over the limit is dropped), (c) a raw
# deny policy on the scanner's cgroup. For each: the scan's time, the SYNs
# that reached the peer (captured there), their rate, and the most SYNs
# without an answer at once on the wire (tests/net/rawlib.sh wire_max).
# Medians of ROUNDS (3) rounds. Results: bench/results/raw-summary.txt,
# raw-samples.csv. Traffic never leaves the two namespaces it creates.
. "$(dirname "$0")/../tests/net/lib.sh"
. "$(dirname "$0")/../tests/net/rawlib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-raw: run as root" >&2; exit 1; }
for p in nmap masscan zmap; do
	command -v $p >/dev/null || { echo "bench-raw: $p is not installed" >&2; exit 1; }
done
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$ROOT/bench/results}
mkdir -p "$OUT"
trap ns_cleanup EXIT
set -e
ns_setup
raw_setup
CG=$(make_cgroup scan)
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
SAMPLES=$OUT/raw-samples.csv
SUMMARY=$OUT/raw-summary.txt
echo "scanner,variant,round,seconds,syns,rate,wire_max,dropped" >"$SAMPLES"
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

# the scans, run in the cgroup $CG
run_in_cg() { cx sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$CGROOT$CG" "$@"; }
scan() { # scanner
	case $1 in
	nmap) run_in_cg nmap -sS -n -Pn -p 1-1000 --max-retries 1 --host-timeout 120s $PEER4 ;;
	masscan) run_in_cg masscan --adapter veth0 --adapter-ip 10.42.0.1 --router-mac "$PEERMAC" \
		-p1-40 $SWEEP.0/24 --rate 20000 --wait 1 ;;
	zmap) : >"$T/zmap.blacklist"
		run_in_cg zmap -i veth0 -S 10.42.0.1 -G "$PEERMAC" -p 80 -r 20000 -P 8 -c 1 -q \
			--max-sendto-failures 1000000 -b "$T/zmap.blacklist" -o /dev/null $SWEEP.0/24 ;;
	esac
}

variant_on() {
	case $1 in
	b) : >"$T/daemon.log"; daemon_start --limit 10 ;;
	c) : >"$T/daemon.log"; daemon_start --limit 10; ho policy set cgroup "$CG" raw deny >/dev/null ;;
	esac
}
variant_off() {
	DROPPED=0
	case $1 in
	b | c) DROPPED=$(status_field raw_dropped)
		daemon_stop ;;
	esac
}

VARIANTS="a b c"
declare -A NAME=([a]="(a) no halfopend" [b]="(b) limit 10, drop over it" [c]="(c) raw deny policy")
say "raw SYN scanners, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores, $ROUNDS rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	for s in nmap masscan zmap; do
		for v in $VARIANTS; do
			variant_on "$v"
			raw_capture_start
			t0=$(date +%s.%N)
			scan "$s" >"$T/scan.out" 2>&1 || true
			t1=$(date +%s.%N)
			variant_off "$v"
			read -r max syns < <(wire_max)
			secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
			rate=$(awk -v n="$syns" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
			echo "$s,$v,$r,$secs,$syns,$rate,$max,$DROPPED" >>"$SAMPLES"
		done
	done
	echo "   round $r done" >&2
done

median() { # scanner variant column
	awk -F, -v s="$1" -v v="$2" -v c="$3" 'NR > 1 && $1 == s && $2 == v { print $c }' "$SAMPLES" |
		sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
say ""
say "$(printf '%-8s %-28s %9s %9s %10s %7s %9s %9s' scanner variant seconds SYNs SYNs/s ratio wire-max dropped)"
for s in nmap masscan zmap; do
	base=$(median "$s" a 6)
	for v in $VARIANTS; do
		rate=$(median "$s" "$v" 6)
		say "$(printf '%-8s %-28s %9s %9s %10s %7.3f %9s %9s' "$s" "${NAME[$v]}" \
			"$(median "$s" "$v" 4)" "$(median "$s" "$v" 5)" "$rate" \
			"$(awk -v a="$rate" -v b="$base" 'BEGIN { print b ? a / b : 0 }')" \
			"$(median "$s" "$v" 7)" "$(median "$s" "$v" 8)")"
	done
done
