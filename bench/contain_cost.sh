#!/bin/bash
# The cost of scanner detection on the connect fast path: one client makes
# CONNS sequential connect+close to a live peer, with the daemon in the
# original mode (-l unlimited: no detection) and in the contain mode (two
# working-set lookups a connect), alternating, ROUNDS rounds each. Prints,
# per round, the connect rate and bpf_stats' average run time of the sock_ops
# program (which runs for every TCP socket of the host, other namespaces'
# included, so its average is only indicative on a shared machine), then the
# medians and the ratio of rates. As root; enables kernel.bpf_stats_enabled
# for the run and puts it back.
. "$(dirname "$0")/../tests/net/lib.sh"
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-5000}

ns_per_run() { # the sock_ops program of the daemon DPID: run_time_ns / run_cnt
	local id
	# its program file descriptors say their type (13: sock_ops) and id
	id=$(grep -l '^prog_type:[[:space:]]*13$' /proc/"$1"/fdinfo/* 2>/dev/null | head -1 |
		xargs awk '$1 == "prog_id:" { print $2 }')
	bpftool prog show id "$id" -j | python3 -c '
import json, sys
p = json.load(sys.stdin)
print("%.1f %d" % (p["run_time_ns"] / max(p["run_cnt"], 1), p["run_cnt"]))'
}

round() { # MODE_ARGS...: "RATE NS_PER_RUN RUNS"
	local t0 t1
	daemon_start "$@"
	t0=$(date +%s.%N)
	cx "$B/hoconn" -s $PEER4 $ACCEPT "$CONNS" >/dev/null
	t1=$(date +%s.%N)
	echo "$(echo "$CONNS / ($t1 - $t0)" | bc) $(ns_per_run "$DPID")"
	daemon_stop
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

bench() {
	local old i o c
	old=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	for ((i = 0; i < ROUNDS; i++)); do
		o=$(HO_MODE=original round -l unlimited)
		c=$(HO_MODE= round)
		echo "round $i: original $o; contain $c (connects/s, ns a run, runs)"
		echo "$o" >>"$T/o"
		echo "$c" >>"$T/c"
		echo "$o $c" | awk '{ print $4 / $1 }' >>"$T/ratio"
	done
	sysctl -qw kernel.bpf_stats_enabled="$old"
	echo "median connects/s: original $(cut -d' ' -f1 "$T/o" | median)," \
		"contain $(cut -d' ' -f1 "$T/c" | median); median ratio contain/original" \
		"$(median <"$T/ratio")"
	echo "median ns a run of on_sockops: original $(cut -d' ' -f2 "$T/o" | median)," \
		"contain $(cut -d' ' -f2 "$T/c" | median)"
}

trap ns_cleanup EXIT
ns_setup
bench
