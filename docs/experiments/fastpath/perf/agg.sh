#!/bin/bash
# agg.sh BASE V...: per-symbol samples per 100k conns summed over rounds; x2.5 = ns/conn
cd ${OUT:-/tmp/fastpath-prof}
C=hobench,hopeer,ksoftirqd/0,ksoftirqd/1
S=${SECS:-4}
for f in *.data; do b=${f%.data}; [ -s $b.syms ] && [ $b.syms -nt $f ] && continue
  perf report -i $f -n --no-children --comms $C -g none --sort sym --stdio 2>/dev/null | grep -v '^#' | awk 'NF>=4 {n=$2; $1="";$2="";$3=""; print n"\t"$0}' > $b.syms; done
for v in "$@"; do
  conns=$(cat $v.*.rate | awk -v s=$S '/rate/{t+=$2*s} END{print t}')
  # per round totals (ns/conn)
  per=$(for f in $v.*.syms; do r=${f%.syms}; awk -F'\t' -v c=$(awk -v s=$S '/rate/{print $2*s}' $r.rate) '{t+=$1} END{printf "%.1f ", t/c*250000}' $f; done)
  rates=$(awk '/rate/{printf "%s ", $2}' $v.*.rate)
  echo "$v: conns $conns; CPU ns/conn per round: $per; rates: $rates"
  cat $v.*.syms | awk -F'\t' -v c=$conns '{a[$2]+=$1} END {for (s in a) printf "%s\t%.1f\n", s, a[s]/c*250000}' > $v.agg
done
