#!/bin/bash
# summarize trk_missed.txt (+ links.log): per (HIT/MISS, cpu, tgid) counts and the MISS time window
awk '{split($3,c,"=");split($4,p,"="); k=$1" cpu="c[2]" tgid="p[2]; n[k]++} END{for(k in n) print n[k], k}' trk_missed.txt | sort -k2,2 -k1,1nr | head -20
awk '$1=="MISS"{split($5,t,"="); if(!f||t[2]<f)f=t[2]; if(t[2]>l)l=t[2]} END{if(f) printf "MISS window: %.0f .. %.0f ns (%.3f ms)\n", f, l, (l-f)/1e6}' trk_missed.txt
echo "link events during run:"; cat links.log | awk 'NR>0' | tail -n +1 | head -40
