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
# raw-samples.csv.
#
# Then the default mode (contain: no limit, the scanner test judges raw
# SYNs), alternated with no halfopend: the same masscan (its probes of
# closed ports are answered by RSTs, of 56 addresses dropped) and masscan of
# port 80 on a dead /20 (every SYN dropped) at 500 a second for 12 s. For
# each: SYNs on the wire before the flag (the first flagged event's time),
# the seconds from the first SYN to the flag, SYNs a second after it, and
# the most in any second after it (from the capture in the peer). Results:
# raw-contain-summary.txt, raw-contain-samples.csv. SECTIONS="limit
# contain" (the default) picks either. Traffic never leaves the two
# namespaces it creates.
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

SECTIONS=${SECTIONS:-limit contain}
case " $SECTIONS " in *" limit "*) ;; *) ROUNDS_LIMIT=0 ;; esac
VARIANTS="a b c"
declare -A NAME=([a]="(a) no halfopend" [b]="(b) limit 10, drop over it" [c]="(c) raw deny policy")
say "raw SYN scanners, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores, $ROUNDS rounds"
for ((r = 1; r <= ${ROUNDS_LIMIT:-ROUNDS}; r++)); do
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

median() { # scanner variant column [samples]
	awk -F, -v s="$1" -v v="$2" -v c="$3" 'NR > 1 && $1 == s && $2 == v { print $c }' "${4:-$SAMPLES}" |
		sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
if [ "${ROUNDS_LIMIT:-1}" != 0 ]; then
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
fi

case " $SECTIONS " in *" contain "*) ;; *) exit 0 ;; esac
# --- the default mode: raw SYNs judged by the scanner test ---
raw_dead_setup
CSAMPLES=$OUT/raw-contain-samples.csv
CSUMMARY=$OUT/raw-contain-summary.txt
echo "scanner,variant,round,seconds,syns,before_flag,to_flag,after_rate,after_max1s,paced" >"$CSAMPLES"
: >"$CSUMMARY"
csay() { echo "$*" | tee -a "$CSUMMARY"; }
cscan() { # scanner
	case $1 in
	masscan) scan masscan ;;
	masscan-dead) run_in_cg timeout -k 2 12 masscan --adapter veth0 --adapter-ip 10.42.0.1 \
		--router-mac "$PEERMAC" -p80 "$DEAD" --rate 500 --wait 0 ;;
	esac
}
csay "raw SYN scanners in the default mode (contain), $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores, $ROUNDS rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	for s in masscan masscan-dead; do
		for v in a d; do
			[ "$v" = a ] || { : >"$T/daemon.log"; HO_MODE='' daemon_start; }
			raw_capture_start
			t0=$(date +%s.%N)
			cscan "$s" >"$T/scan.out" 2>&1 || true
			t1=$(date +%s.%N)
			raw_capture_stop
			tf=$t1
			paced=0
			if [ "$v" = d ]; then
				tf=$(flag_time)
				tf=${tf:-$t1}
				paced=$(status_field raw_paced)
				daemon_stop
			fi
			syn_times >"$T/syn.times"
			# before the flag; from the first SYN to it; after it: SYNs a second, most in a second
			read -r syns before tofl arate amax < <(awk -v f="$tf" -v e="$t1" '
				NR == 1 { first = $1 } { n++; if ($1 < f) b++; else { a[++na] = $1 } }
				END {
					m = 0; j = 1
					for (i = 1; i <= na; i++) { while (a[i] - a[j] >= 1) j++; if (i - j + 1 > m) m = i - j + 1 }
					d = e - f; if (d <= 0) d = 1
					printf "%d %d %.2f %.2f %d\n", n, b, (n ? f - first : 0), na / d, m
				}' "$T/syn.times")
			secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
			echo "$s,$v,$r,$secs,$syns,$before,$tofl,$arate,$amax,$paced" >>"$CSAMPLES"
		done
	done
	echo "   contain round $r done" >&2
done
declare -A CNAME=([a]="(a) no halfopend" [d]="(d) default mode (contain)")
csay ""
csay "$(printf '%-13s %-28s %8s %7s %12s %10s %12s %13s %8s' scanner variant seconds SYNs before-flag to-flag-s after/s max-in-1s paced)"
for s in masscan masscan-dead; do
	for v in a d; do
		if [ "$v" = a ]; then
			csay "$(printf '%-13s %-28s %8s %7s %12s %10s %12s %13s %8s' "$s" "${CNAME[$v]}" \
				"$(median "$s" a 4 "$CSAMPLES")" "$(median "$s" a 5 "$CSAMPLES")" - - - - -)"
		else
			csay "$(printf '%-13s %-28s %8s %7s %12s %10s %12s %13s %8s' "$s" "${CNAME[$v]}" \
				"$(median "$s" d 4 "$CSAMPLES")" "$(median "$s" d 5 "$CSAMPLES")" \
				"$(median "$s" d 6 "$CSAMPLES")" "$(median "$s" d 7 "$CSAMPLES")" \
				"$(median "$s" d 8 "$CSAMPLES")" "$(median "$s" d 9 "$CSAMPLES")" \
				"$(median "$s" d 10 "$CSAMPLES")")"
		fi
	done
done
