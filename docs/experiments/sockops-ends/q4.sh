#!/bin/bash
# Q4: which SYN_SENT leaves reach STATE_CB, and does cb_flags_set(skops,0) in STATE_CB stop later calls?
ns() { nsenter --net=/run/netns/hoc "$@"; }
nsenter --net=/run/netns/hop ./conn listen 9100 40 > results/q4.listener 2>&1 & LP=$!
sleep 0.5
run() { # label exp-flags conn-args...
  local L=$1 F=$2; shift 2
  ./exp $F --max-secs 60 > results/q4.$L.exp 2>&1 & local EP=$!
  for i in $(seq 50); do grep -q READY results/q4.$L.exp && break; sleep 0.2; done
  S=$(( $(date +%s%3N) + 300 ))
  ns ./conn burst "$@" | sed 's/^/  client: /'
  sleep 1.5   # let FIN/TIME_WAIT transitions happen after close
  kill -INT $EP; wait $EP
  echo "== $L ($F)"; grep -E "^(so_connect|so_leave|so_state_cb|so_state_after_clear|tp_pair)" results/q4.$L.exp | tr '\n' ' '; echo
}
S=0
run est_noclear "--sockops --tp" 200 10.77.0.2 9100 2 0 10
run est_clear   "--sockops --tp --clear" 200 10.77.0.2 9100 2 0 10
run rst_clear   "--sockops --tp --clear" 200 10.77.0.2 9200 2 0 10
run close_syn   "--sockops --tp --clear" 200 10.77.0.2 9000 2 0 10 300
run timeout     "--sockops --tp --clear" 200 10.77.0.2 9001 1 0 10
kill $LP 2>/dev/null; wait $LP 2>/dev/null
