#!/bin/bash
# The cost of scanner detection on the connect fast path, by bpf_stats:
# average run time of the sock_ops program (connect and end of an attempt)
# while one client makes sequential connect+close to a live peer, with the
# daemon in the original mode (-l unlimited: no detection) and in the contain
# mode (two working-set lookups a connect), alternating, ROUNDS rounds each;
# prints each round and the medians. As root; enables kernel.bpf_stats_enabled
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

round() { # MODE_ARGS...
	daemon_start "$@"
	cx "$B/hoconn" -s $PEER4 $ACCEPT "$CONNS" >/dev/null
	ns_per_run "$DPID"
	daemon_stop
}

bench() {
	local old i o c
	old=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	for ((i = 0; i < ROUNDS; i++)); do
		o=$(HO_MODE=original round -l unlimited)
		c=$(HO_MODE= round)
		echo "round $i: original ${o% *} ns, contain ${c% *} ns (runs ${c#* })"
		echo "$o" >>"$T/o"
		echo "$c" >>"$T/c"
	done
	sysctl -qw kernel.bpf_stats_enabled="$old"
	echo "median: original $(sort -n "$T/o" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}') ns," \
		"contain $(sort -n "$T/c" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}') ns a run"
}

trap ns_cleanup EXIT
ns_setup
bench
