#!/bin/bash
# What the raw SYN tc programs cost ordinary connections: connect+close per
# second (bench/hobench, sequential and 2 clients) with halfopend running,
# (b) as it is, (b0) with its tcx links detached (bpftool link detach),
# (bn) with every raw link detached (tcx, cgroup/sock_create,
# cgroup/setsockopt: the daemon as before issue 15), (bt) with the cgroup
# links detached and the tcx links kept, and (a) no daemon;
# alternated in every round, medians. Results: results.txt.
. "$(dirname "$0")/../../../tests/net/lib.sh"
trap ns_cleanup EXIT
set -e
ROUNDS=${ROUNDS:-7}
SECS=${SECS:-2}
ns_setup
HB=$B/hobench
S=$T/samples
: >"$S"
raw_links() { # the links of programs named raw_*: REGEX of the names
	local progs
	progs=$(bpftool prog show | awk -v re=" name raw_($1) " '$0 ~ re { sub(":", "", $1); print $1 }')
	bpftool -j link show | tr '{' '\n' | awk -F'[:,]' -v p=" $(echo $progs) " '
		/"prog_id"/ { for (i = 1; i < NF; i++) { if ($i == "\"id\"") id = $(i + 1); if ($i == "\"prog_id\"") { pr = $(i + 1); gsub(/[^0-9]/, "", pr) } }
			if (index(p, " " pr " ")) print id }'
}
cx "$HB" rate $PEER4 $ACCEPT 1 2 >/dev/null
for ((r = 1; r <= ROUNDS; r++)); do
	for v in a b b0 bn bt; do
		case $v in
		b | b0 | bn | bt)
			: >"$T/daemon.log"
			daemon_start
			case $v in
			b0) for l in $(raw_links 'egress|ingress'); do bpftool link detach id "$l"; done ;;
			bn) for l in $(raw_links 'egress|ingress|sock_create|setsockopt'); do
				bpftool link detach id "$l"; done ;;
			bt) for l in $(raw_links 'sock_create|setsockopt'); do bpftool link detach id "$l"; done ;;
			esac ;;
		esac
		for mode in 1 2; do
			echo "$v $mode $(cx "$HB" rate $PEER4 $ACCEPT "$SECS" $mode | awk '/^rate/ { print $2 }')" >>"$S"
		done
		case $v in b | b0 | bn | bt) daemon_stop ;; esac
	done
done
med() { awk -v v="$1" -v m="$2" '$1 == v && $2 == m { print $3 }' "$S" | sort -g |
	awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "connect+close per second, median of $ROUNDS rounds x ${SECS}s, $(date -u '+%Y-%m-%d %H:%M UTC')"
for v in a bn bt b0 b; do
	printf '%-40s %8s %6.3f %8s %6.3f\n' "$v" "$(med $v 1)" "$(awk -v x="$(med $v 1)" -v y="$(med a 1)" 'BEGIN { print x / y }')" \
		"$(med $v 2)" "$(awk -v x="$(med $v 2)" -v y="$(med a 2)" 'BEGIN { print x / y }')"
done
