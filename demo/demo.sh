#!/bin/bash
# make demo: halfopen at work between two network namespaces it creates.
# A "scanner" fires 30 attempts at a host that drops SYNs while a "browser"
# connects to a host that answers; halfopend holds what is over the limit.
# Everything is torn down at the end, also on Ctrl-C.
. "$(dirname "$0")/../tests/net/lib.sh"
[ "$(id -u)" = 0 ] || { echo "make demo: run as root" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
trap ns_cleanup EXIT
set -e
ns_setup
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "namespaces $C (client, halfopend) and $P (peer: :$ACCEPT accepts, :$DROP drops SYNs)"
daemon_start -l 5
cat "$T/daemon.log"
step "before: halfopen status"
ho status

step "a scanner starts 30 non-blocking connects to $PEER4:$DROP (no answer ever comes)"
conn_start scan $PEER4 $DROP 30
wait_until 5 status_is queued 25 || true
step "during: 5 in flight, 25 queued; connect() returned EINPROGRESS to all 30"
ho status | head -4
step "the event, naming the culprit (Windows logged Event 4226 and named nobody):"
grep 'event=4226' "$T/daemon.log"

step "a browser connects to $PEER4:$ACCEPT: it is queued behind the scanner (FIFO, like XP)"
conn_start web $PEER4 $ACCEPT 2
conn_ask web results 3 waitall 1000
step "the administrator raises the limit at run time: halfopen limit 100"
ho limit 100
conn_ask web results 3 waitall 1000
ho status | head -4

step "the scanner is stopped: its attempts leave, nothing stays held"
conn_cmd scan quit
wait_until 5 status_is in_flight 0 || true
step "after: halfopen status"
ho status
step "SIGTERM: halfopend releases what it holds and removes its rules"
daemon_stop
tail -2 "$T/daemon.log"
cat <<'TXT'

What to notice:
  - only 5 SYNs of the scanner left the host: the others were held, not dropped,
    and no program saw an error, only a slower connect;
  - the limit event names the process (pid, comm, uid, cgroup) that queued most;
  - `halfopen limit N` changed the limit at once, no patch, no reboot: the
    browser's held connects went out the moment it was raised.
TXT
