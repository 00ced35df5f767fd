#!/bin/bash
# Fast-path candidates side by side: connect+close rate (hobench rate) of
# several variants, alternating within one run, medians and ratios to (a).
#
#   bench/alternate.sh VARIANT...
#
# A variant is `a` (no limiter), or NAME=DAEMON[:norules] (that halfopend
# binary, started in the client namespace; with :norules its iptables jump
# is deleted once it has started, leaving the sock_ops program alone).
# ROUNDS (8), SECS (2) and MODES ("1 2": clients) can be set; NICE (-20)
# is the nice value of the clients and the peer: on a machine shared with
# other work it keeps the rates from following everyone else's load. With STATS=1
# each daemon variant runs once more with kernel.bpf_stats_enabled=1 and
# prints run_cnt and run_time_ns per connection of each of its programs
# (but the syscall programs, which the daemon runs).
# Everything runs in two namespaces it creates and removes.
. "$(dirname "$0")/../tests/net/lib.sh"
[ "$(id -u)" = 0 ] || { echo "alternate.sh: run as root" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: bench/alternate.sh VARIANT VARIANT..." >&2; exit 2; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ROUNDS=${ROUNDS:-8}
SECS=${SECS:-2}
MODES=${MODES:-1 2}
trap ns_cleanup EXIT
set -e
ns_setup
NICE=${NICE:--20}
renice -n "$NICE" -p "${PIDS[0]}" >/dev/null
HB="nice -n $NICE $B/hobench"
declare -A BIN RULES
NAMES=()
for v in "$@"; do
	name=${v%%=*}
	NAMES+=("$name")
	[ "$v" = a ] && continue
	spec=${v#*=}
	BIN[$name]=${spec%%:*}
	RULES[$name]=yes
	[ "${spec#*:}" = norules ] && RULES[$name]=no
	[ -x "${BIN[$name]}" ] || fail "not executable: ${BIN[$name]}"
done

on() {
	[ "$1" = a ] && return 0
	: >"$T/daemon.log"
	nsenter --net="/run/netns/$C" "${BIN[$1]}" >"$T/daemon.log" 2>&1 &
	DPID=$!
	PIDS+=($DPID)
	wait_until 10 grep -qs 'started:' "$T/daemon.log" ||
		fail "halfopend did not start: $(cat "$T/daemon.log")"
	[ "${RULES[$1]}" = yes ] || cx iptables -t raw -D OUTPUT -p tcp --syn -j HALFOPEN
}
off() {
	[ "$1" = a ] && return 0
	daemon_stop
}
# CPU time of the peer (every thread), ns
peer_cpu() { cat /proc/"${PIDS[0]}"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
# "RATE CPU_NS_PER_CONNECTION": the clients' and the peer's CPU time over the
# connections made (softirq work runs in their context and is included):
# unlike the rate, it hardly depends on what else the machine runs
rate() {
	local p0 p1 out
	p0=$(peer_cpu)
	out=$(cx $HB rate $PEER4 $ACCEPT "$SECS" "$1")
	p1=$(peer_cpu)
	echo "$out" | awk -v s="$SECS" -v p="$((p1 - p0))" '/^rate/ { r = $2 } /^cpu_us/ { c = $2 }
		END { printf "%s %.0f\n", r, (c * 1000 + p) / (r * s) }'
}

echo "$(date -u '+%F %T') load: $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds x ${SECS}s"
cx $HB rate $PEER4 $ACCEPT 1 2 >/dev/null # warm-up
: >"$T/samples"
for ((r = 1; r <= ROUNDS; r++)); do
	# the order turns every round: no variant always follows the same one
	n=${#NAMES[@]}
	for ((k = 0; k < n; k++)); do
		v=${NAMES[$(((k + r) % n))]}
		on "$v"
		for m in $MODES; do
			echo "$v $m $r $(rate "$m")" >>"$T/samples"
		done
		off "$v"
	done
done
median() { # VARIANT MODE [FIELD: 4 rate, 5 CPU ns per connection]
	awk -v v="$1" -v m="$2" -v f="${3:-4}" '$1 == v && $2 == m { print $f }' "$T/samples" | sort -g |
		awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
echo "$(date -u '+%F %T') load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s' variant
for m in $MODES; do printf ' %9s %6s %8s %6s' "${m}cl" ratio "ns/conn" "a/v"; done
echo
for v in "${NAMES[@]}"; do
	printf '%-10s' "$v"
	for m in $MODES; do
		printf ' %9.0f %6.3f %8.0f %6.3f' "$(median "$v" "$m")" \
			"$(awk -v x="$(median "$v" "$m")" -v y="$(median a "$m")" 'BEGIN { print x / y }')" \
			"$(median "$v" "$m" 5)" \
			"$(awk -v x="$(median "$v" "$m" 5)" -v y="$(median a "$m" 5)" 'BEGIN { print y / x }')"
	done
	echo
done
echo "(ns/conn: CPU time of clients and peer per connection; a/v: its ratio, a's over the variant's)"
# per round ratios to the a of the same round: the spread (rates, then CPU)
for v in "${NAMES[@]}"; do
	[ "$v" = a ] && continue
	for m in $MODES; do
		echo "$v/a ${m}cl per round: $(awk -v v="$v" -v m="$m" '$2 == m { x[$1, $3] = $4 }
			END { for (r = 1; x["a", r]; r++) printf "%.3f ", x[v, r] / x["a", r] }' "$T/samples")"
		echo "$v/a ${m}cl CPU per round: $(awk -v v="$v" -v m="$m" '$2 == m { x[$1, $3] = $5 }
			END { for (r = 1; x["a", r]; r++) printf "%.3f ", x["a", r] / x[v, r] }' "$T/samples")"
	done
done
cp "$T/samples" "${SAMPLES_OUT:-/tmp/alternate-samples.txt}"

[ "${STATS:-0}" = 1 ] || exit 0
# bpf_stats: per program, runs and ns per connection over one sequential pass
for ((rep = 1; rep <= ${STATS_REPEAT:-1}; rep++)); do
for v in "${NAMES[@]}"; do
	[ "$v" = a ] && continue
	on "$v"
	sysctl -qw kernel.bpf_stats_enabled=1
	# the daemon's programs: the prog_id of its file descriptors
	ids=$(for id in $(grep -h '^prog_id:' /proc/"$DPID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u); do
		bpftool -j prog show id "$id" | grep -q '"type":"syscall"' || echo "$id"
	done)
	snap() { for id in $ids; do bpftool -j prog show id "$id"; echo; done; }
	before=$(snap)
	out=$(cx $HB rate $PEER4 $ACCEPT "$SECS" 1)
	after=$(snap)
	sysctl -qw kernel.bpf_stats_enabled=0
	conns=$(echo "$out" | awk -v s="$SECS" '/^rate/ { print $2 * s }')
	python3 - "$v" "$conns" <<PY
import json, sys
b = [json.loads(l) for l in """$before""".splitlines() if l.strip()]
a = [json.loads(l) for l in """$after""".splitlines() if l.strip()]
conns = float(sys.argv[2])
for x, y in zip(b, a):
    cnt = y.get("run_cnt", 0) - x.get("run_cnt", 0)
    ns = y.get("run_time_ns", 0) - x.get("run_time_ns", 0)
    print("%-8s %-14s runs/conn %5.2f  ns/run %6.1f  us/conn %5.3f" % (sys.argv[1], y["name"],
          cnt / conns, ns / max(cnt, 1), ns / conns / 1000))
PY
	off "$v"
done
done
