#!/bin/bash
# PACKET_QDISC_BYPASS against halfopend (limit 10): 200 SYN frames to ports
# the peer drops, from a packet socket without and with the bypass; what
# reached the peer, and what the daemon counted. Then the same under a raw
# deny policy. Output: results.txt.
. "$(dirname "$0")/../../../tests/net/lib.sh"
. "$(dirname "$0")/../../../tests/net/rawlib.sh"
trap ns_cleanup EXIT
set -e
ns_setup
raw_setup
px iptables -A INPUT -p tcp -j DROP # nothing answers: every SYN stays unanswered
CMAC=$(ip -n "$C" -br link show veth0 | awk '{ print $3 }')
daemon_start --limit 10
py=$(cd "$(dirname "$0")/../../../tests/tools" && pwd)/synframes.py
for mode in normal bypass; do
	raw_capture_start
	out=$(cx /usr/bin/python3 "$py" veth0 "$CMAC" "$PEERMAC" 10.42.0.1 $PEER4 200 $mode)
	read -r max syns < <(wire_max)
	echo "$mode: $out; reached the peer: $syns SYNs, at most $max unanswered at once; daemon: $(ho -j status | grep -o '"raw_in_flight.*')"
done
cg=$(make_cgroup deny)
root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
ho policy set cgroup "$cg" raw deny >/dev/null
for mode in normal bypass; do
	raw_capture_start
	out=$(cx sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$root$cg" \
		/usr/bin/python3 "$py" veth0 "$CMAC" "$PEERMAC" 10.42.0.1 $PEER4 200 $mode 2>&1 || true)
	read -r max syns < <(wire_max)
	echo "raw deny, $mode: $out; reached the peer: $syns SYNs"
done
