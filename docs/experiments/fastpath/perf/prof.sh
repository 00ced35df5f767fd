#!/bin/bash
# perf profile of sequential connect+close, alternating: VARIANT... (a or NAME=BIN[:norules])
. "$(dirname "$0")/../../../../tests/net/lib.sh"
trap ns_cleanup EXIT
set -e
ns_setup
SECS=${SECS:-4}
ROUNDS=${ROUNDS:-3}
MODE=${MODE:-1}
OUT=${OUT:-/tmp/fastpath-prof}
mkdir -p $OUT
echo "$(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/log
cx $B/hobench rate $PEER4 $ACCEPT 1 1 >/dev/null
for ((r = 1; r <= ROUNDS; r++)); do
for v in "$@"; do
	name=${v%%=*}
	if [ "$v" != a ]; then
		spec=${v#*=}
		nsenter --net="/run/netns/$C" "${spec%%:*}" >"$T/daemon.log" 2>&1 &
		DPID=$!; PIDS+=($DPID)
		wait_until 10 grep -qs 'started:' "$T/daemon.log" || fail "no start $(cat $T/daemon.log)"
		[ "${spec#*:}" = norules ] && cx iptables -t raw -D OUTPUT -p tcp --syn -j HALFOPEN
	fi
	perf record -q -a -g -o $OUT/$name.$r.data -- nsenter --net="/run/netns/$C" $B/hobench rate $PEER4 $ACCEPT $SECS $MODE > $OUT/$name.$r.rate 2>/dev/null
	[ "$v" != a ] && daemon_stop
done
done
echo "$(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/log
