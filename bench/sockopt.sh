#!/bin/bash
# make bench-sockopt: the cost of the socket interface (halfopen(7)), side by
# side in one run, in the style of make bench (docs/benchmarks.md).
#
#  1. getsockopt(TCP_INFO) calls per second on one established connection.
#  2. the connect fast path: connect+close per second to an accepting peer,
#     sequential and with 2 clients (the limit never reached).
#
# Variants, alternating a b c d, b c d a, ... for ROUNDS rounds of SECS
# seconds each; medians, and medians of the ratios measured within a round
# (to (a), and (c) to (b) and to (d)):
#   (a) no daemon
#   (b) halfopend --socket-interface 0: sock_ops only, none of the
#       interface's four programs
#   (c) halfopend as it runs: sock_ops and the socket interface
#   (d) halfopend built from BASE (default: main), before the interface
#       (skipped with BASE=none)
# Everything runs in two namespaces it creates and removes. Results:
# bench/results/sockopt.txt and sockopt.csv. ROUNDS (7), SECS (2), BASE.
. "$(dirname "$0")/../tests/net/lib.sh"
[ "$(id -u)" = 0 ] || { echo "make bench-sockopt: run as root" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ROUNDS=${ROUNDS:-7}
SECS=${SECS:-2}
BASE=${BASE:-main}
OUT=${OUT:-$ROOT/bench/results}
mkdir -p "$OUT"
trap ns_cleanup EXIT
set -e
ns_setup
HB=$B/hobench
SAMPLES=$OUT/sockopt.csv
SUMMARY=$OUT/sockopt.txt
echo "bench,variant,mode,round,value" >"$SAMPLES"
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

VARIANTS="a b c"
BASED=
if [ "$BASE" != none ]; then
	# the daemon of BASE, built apart from this tree
	BASED=$T/base
	mkdir -p "$BASED"
	git -C "$ROOT" archive "$BASE" | tar -x -C "$BASED"
	make -s -C "$BASED" BUILD="$BASED/build" "$BASED/build/halfopend" >"$T/base-build.log" 2>&1 ||
		fail "cannot build $BASE: $(tail -5 "$T/base-build.log")"
	VARIANTS="a b c d"
fi
declare -A NAME=([a]="(a) no daemon" [b]="(b) halfopend, socket-interface 0"
	[c]="(c) halfopend with the interface" [d]="(d) halfopend of $BASE")

variant_on() {
	: >"$T/daemon.log"
	case $1 in
	b) daemon_start --socket-interface 0 ;;
	c) daemon_start ;;
	d)
		rm -f "$T/daemon.log"
		nsenter --net="/run/netns/$C" "$BASED/build/halfopend" >"$T/daemon.log" 2>&1 &
		DPID=$!
		PIDS+=($DPID)
		wait_until 10 grep -qs 'started:' "$T/daemon.log" || fail "the $BASE daemon did not start"
		;;
	esac
}
variant_off() {
	case $1 in
	b | c | d) daemon_stop ;;
	esac
}

median() { # bench variant mode
	awk -F, -v b="$1" -v v="$2" -v m="$3" '$1 == b && $2 == v && $3 == m { print $5 }' "$SAMPLES" |
		sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# The median over rounds of X/Y measured in the same round: steadier than a
# ratio of medians when the machine's speed drifts during the run.
round_ratio() { # bench mode X Y
	awk -F, -v b="$1" -v m="$2" -v x="$3" -v y="$4" '$1 == b && $3 == m && $2 == x { X[$4] = $5 }
		$1 == b && $3 == m && $2 == y { Y[$4] = $5 }
		END { for (r in X) if (r in Y && Y[r] > 0) print X[r] / Y[r] }' "$SAMPLES" |
		sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) v = a[(NR + 1) / 2]; else v = (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", v }'
}

say "halfopen socket interface benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores"
say "$ROUNDS rounds x ${SECS}s, alternating $VARIANTS; medians"
say ""
cx "$HB" sockopt $PEER4 $ACCEPT 1 >/dev/null # warm-up, not counted
cx "$HB" rate $PEER4 $ACCEPT 1 1 >/dev/null
read -ra VS <<<"$VARIANTS"
for ((r = 1; r <= ROUNDS; r++)); do
	# each round starts with the next variant: no variant always goes first
	for ((i = 0; i < ${#VS[@]}; i++)); do
		v=${VS[$(((i + r) % ${#VS[@]}))]}
		variant_on "$v"
		rate=$(cx "$HB" sockopt $PEER4 $ACCEPT "$SECS" | awk '/^rate/ { print $2 }')
		echo "getsockopt,$v,1,$r,$rate" >>"$SAMPLES"
		for mode in 1 2; do
			rate=$(cx "$HB" rate $PEER4 $ACCEPT "$SECS" $mode | awk '/^rate/ { print $2 }')
			echo "connect,$v,$mode,$r,$rate" >>"$SAMPLES"
		done
		variant_off "$v"
	done
	echo "   round $r done" >&2
done

say "1. getsockopt(TCP_INFO) calls per second, one connection"
say "   (medians; 'to (a)' is the median of the ratios within each round)"
say "$(printf '%-40s %12s %8s' variant calls/s 'to (a)')"
for v in $VARIANTS; do
	say "$(printf '%-40s %12.0f %8s' "${NAME[$v]}" "$(median getsockopt "$v" 1)" "$(round_ratio getsockopt 1 "$v" a)")"
done
say "   (c) to (b): $(round_ratio getsockopt 1 c b)"
say ""
say "2. connect+close per second to an accepting peer (limit never reached)"
say "$(printf '%-40s %12s %8s %12s %8s' variant sequential 'to (a)' '2 clients' 'to (a)')"
for v in $VARIANTS; do
	say "$(printf '%-40s %12.0f %8s %12.0f %8s' "${NAME[$v]}" "$(median connect "$v" 1)" \
		"$(round_ratio connect 1 "$v" a)" "$(median connect "$v" 2)" "$(round_ratio connect 2 "$v" a)")"
done
say "   (c) to (b): sequential $(round_ratio connect 1 c b), 2 clients $(round_ratio connect 2 c b)"
if [ -n "$BASED" ]; then
	say "   (c) to (d): sequential $(round_ratio connect 1 c d), 2 clients $(round_ratio connect 2 c d)"
fi
