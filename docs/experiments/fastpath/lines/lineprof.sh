#!/bin/bash
# Where a program's time goes, by source line: perf samples (cpu-clock at
# 4 kHz: 250 us each; this VM has no PMU) in one BPF program during
# connect+close, mapped to lines through the program's jited line info
# (jdump.c). Variants alternate round by round.
#
#   lineprof.sh NAME=DAEMON...   (PROG=on_sockops MODE=2 ROUNDS=3 SECS=8)
#
# Then: lines.py OUT/NAME.* for each variant.
. "$(dirname "$0")/../../../../tests/net/lib.sh"
trap ns_cleanup EXIT
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/lineprof}
PROG=${PROG:-on_sockops}
mkdir -p "$OUT"
cc -O2 -Wall -o "$OUT/jdump" "$HERE/jdump.c" -lbpf
ns_setup
for ((r = 1; r <= ${ROUNDS:-3}; r++)); do
	for v in "$@"; do
		name=${v%%=*}
		nsenter --net="/run/netns/$C" "${v#*=}" >"$T/daemon.log" 2>&1 &
		DPID=$!
		PIDS+=($DPID)
		wait_until 10 grep -qs 'started:' "$T/daemon.log" || fail "no start: $(cat "$T/daemon.log")"
		cx "$B/hobench" rate "$PEER4" "$ACCEPT" 1 "${MODE:-2}" >/dev/null
		o=$OUT/$name.$r
		perf record -q -a -e cpu-clock -F 4000 -o "$o.data" -- nsenter --net="/run/netns/$C" \
			"$B/hobench" rate "$PEER4" "$ACCEPT" "${SECS:-8}" "${MODE:-2}" >"$o.rate"
		for id in $(grep -h '^prog_id:' /proc/"$DPID"/fdinfo/* | awk '{ print $2 }' | sort -u); do
			bpftool -j prog show id "$id" | grep -q "\"name\":\"$PROG\"" &&
				"$OUT/jdump" "$id" "$o.img" "$o.lines" >"$o.addr"
		done
		daemon_stop
		[ -s "$o.addr" ] || fail "no program named $PROG"
		# this daemon's program only (others of the same name may run): by address
		read -r addr len <"$o.addr"
		perf script -i "$o.data" -F ip 2>/dev/null | /usr/bin/python3 -c '
import sys
base, n = int(sys.argv[1], 16), int(sys.argv[2])
for l in sys.stdin:
    off = int(l.split()[0], 16) - base
    if 0 <= off < n:
        print("%x" % off)' "$addr" "$len" | sort | uniq -c >"$o.hist"
		awk -v s="${SECS:-8}" '/^rate/ { print $2 * s }' "$o.rate" >"$o.conns"
		rm -f "$o.data"
	done
done
