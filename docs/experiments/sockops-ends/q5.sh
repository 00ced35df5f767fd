#!/bin/bash
# Q5: connect+close rate with nothing / tp_btf only / sock_ops only, alternating; then ns/run with bpf_stats.
ROUNDS=${1:-4}; SECS=${2:-3}
ns() { nsenter --net=/run/netns/hoc "$@"; }
nsenter --net=/run/netns/hop ./conn listen 9100 $(( ROUNDS * 3 * (SECS + 3) + 40 )) > results/q5.listener 2>&1 & LP=$!
sleep 0.5
one() { # flags -> prints rate
  local F=$1 EP=
  if [ -n "$F" ]; then ./exp $F --max-secs 60 > results/q5.cur.exp 2>&1 & EP=$!
    for i in $(seq 50); do grep -q READY results/q5.cur.exp && break; sleep 0.2; done; fi
  r=$(ns ./conn seq 1000000 10.77.0.2 9100 $SECS | sed 's/.*rate=\([0-9]*\).*/\1/')
  if [ -n "$EP" ]; then kill -INT $EP; wait $EP; grep "^prog" results/q5.cur.exp >> results/q5.progs; fi
  echo $r
}
: > results/q5.rates
for r in $(seq $ROUNDS); do
  for v in none tp so; do
    case $v in none) F="";; tp) F="--tp";; so) F="--sockops";; esac
    echo "$v $(one "$F")" | tee -a results/q5.rates
  done
done
echo "medians (connect+close per second):"
for v in none tp so; do echo "$v $(awk -v v=$v '$1==v{print $2}' results/q5.rates | sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')"; done
# ns/run with stats enabled (global sysctl; restored afterwards)
old=$(cat /proc/sys/kernel/bpf_stats_enabled); sysctl -qw kernel.bpf_stats_enabled=1
: > results/q5.progs
for r in 1 2 3; do one "--tp" >/dev/null; one "--sockops" >/dev/null; done
sysctl -qw kernel.bpf_stats_enabled=$old
echo "per-program cost (bpf_stats):"; cat results/q5.progs
kill $LP 2>/dev/null; wait $LP 2>/dev/null
