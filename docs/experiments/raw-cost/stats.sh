#!/bin/bash
# Run time per program (kernel.bpf_stats_enabled, on for 3 s) during a
# sequential connect+close run; see results.txt.
. "$(dirname "$0")/../../../tests/net/lib.sh"
test_stats() {
	daemon_start
	sysctl -qw kernel.bpf_stats_enabled=1
	cx "$B/hobench" rate $PEER4 $ACCEPT 3 1 | grep rate
	bpftool prog show | awk '/ name (raw_egress|raw_ingress|raw_sock_create|raw_setsockopt|on_sockops) / { name = $4 } name && /run_time_ns/ { for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } print name, c, t, (c ? t / c : 0) " ns/run"; name = "" }'
	sysctl -qw kernel.bpf_stats_enabled=0
}
run_tests
