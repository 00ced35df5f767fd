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
SCAN=$(make_cgroup scanner)
WEB=$(make_cgroup browser)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "namespaces $C (client, halfopend) and $P (peer: :$ACCEPT accepts, :$DROP drops SYNs)"
daemon_start -l 5
cat "$T/daemon.log"
step "before: halfopen status"
ho status

step "a scanner (cgroup $SCAN) starts 30 non-blocking connects to $PEER4:$DROP (no answer ever comes)"
CONN_CGROUP=$SCAN conn_start scan $PEER4 $DROP 30
wait_until 5 status_is queued 25 || true
step "during: 5 in flight, 25 queued; connect() returned EINPROGRESS to all 30"
ho status | head -4
step "the event, naming the culprit (Windows logged Event 4226 and named nobody):"
wait_until 3 grep -q 'event=4226' "$T/daemon.log" || true
grep 'event=4226' "$T/daemon.log" || echo "(no event yet)"

step "a browser (another cgroup) connects to $PEER4:$ACCEPT: every slot is held by the scanner, it waits"
CONN_CGROUP=$WEB conn_start web $PEER4 $ACCEPT 2
conn_ask web results 3 waitall 1000
step "the administrator holds the scanner's cgroup to 5 and raises the host's limit to 20:"
echo "# halfopen policy set cgroup $SCAN limit 5"
ho policy set cgroup "$SCAN" limit 5
echo "# halfopen limit 20"
ho limit 20
conn_ask web results 3 waitall 1000
ho status | head -4
ho policy list

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
  - `halfopen limit N` and `halfopen policy set` changed the limits at once, no
    patch, no reboot: the browser's held connects went out the moment they
    did, while the scanner's cgroup stayed held to its own 5.
TXT
