#!/bin/bash
# usage: burst.sh LABEL "EXP_FLAGS" NPROC PER_PROC SYNCNT
# Starts ./exp with EXP_FLAGS, runs NPROC synchronized client processes (each PER_PROC
# non-blocking connects to its own dropped port 9000+i), waits, stops exp, prints summary.
LABEL=$1; FLAGS=$2; NP=${3:-7}; PER=${4:-14000}; SC=${5:-1}
OUT=results/$LABEL; mkdir -p results
ns() { nsenter --net=/run/netns/hoc "$@"; }
kstat() { ns nstat -az TcpActiveOpens TcpAttemptFails TcpExtTCPTimeouts | awk 'NR>1{print $1"="$2}'; }
if [ -n "$FLAGS" ]; then
  ./exp $FLAGS --max-secs 120 > $OUT.exp 2>&1 & EP=$!
  for i in $(seq 50); do grep -q READY $OUT.exp 2>/dev/null && break; sleep 0.2; done
fi
kstat > $OUT.k0
S=$(( $(date +%s%3N) + 1500 ))
for i in $(seq 0 $((NP-1))); do ns ./conn burst $PER 10.77.0.2 $((9000+i)) $SC $S 60 > $OUT.c$i 2>&1 & done
wait $(jobs -p | grep -v "^${EP:-x}$") 2>/dev/null
# wait for the client procs only
for j in $(jobs -p); do [ "$j" != "${EP:-}" ] && wait $j; done
kstat > $OUT.k1
[ -n "$FLAGS" ] && { kill -INT $EP; wait $EP; }
echo "== $LABEL flags='$FLAGS' nproc=$NP per=$PER syncnt=$SC"
cat $OUT.c* | awk '{for(i=1;i<=NF;i++){split($i,a,"="); if(a[1]=="started")s+=a[2]; if(a[1]=="ETIMEDOUT")t+=a[2]; if(a[1]=="done")d+=a[2]; if(a[1]=="pending")p+=a[2]; if(a[1]=="immediate_err")ie+=a[2]; if(a[1]=="first_done"){if(!f||a[2]<f)f=a[2]} if(a[1]=="last_done"){if(a[2]>l)l=a[2]}}} END{printf "clients: started=%d immediate_err=%d done=%d ETIMEDOUT=%d pending=%d timeout_window_ms=%.0f\n",s,ie,d,t,p,(l-f)*1000}'
paste -d' ' $OUT.k0 $OUT.k1 | awk '{split($1,a,"=");split($2,b,"="); printf "nstat %s delta=%d\n", a[1], b[2]-a[2]}'
[ -n "$FLAGS" ] && grep -E "^(track|tp_pair|tp_enter|tp_leave|tp2_enter|tp2_leave|so_connect|so_leave|map_|prog |tp_leave_to|so_leave_to|so_state_cb)" $OUT.exp
