#!/bin/bash
# A hostile local user cannot take halfopend away from root: the control
# socket's slots, memory and list gate, its name, and the metrics endpoint
# (issue 12). Unprivileged clients run as uids 65534 (nobody) and 65527..65533.
. "$(dirname "$0")/lib.sh"

# The control socket of the client namespace (see ctl_proto.h).
ctl_sock() { echo "/run/halfopen/net-$(stat -c %i "/run/netns/$C").sock"; }

as_user() { # UID CMD...
	local u=$1
	shift
	cx setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

# tests/net/ctlclient.py as user UID, in the background: NAME UID ARGS...
# Waits for its "ready" line.
ctl_user() {
	local name=$1 u=$2
	shift 2
	if [ ! -f "$T/ctlclient.py" ]; then
		cp "$ROOT/tests/net/ctlclient.py" "$T/"
		chmod 755 "$T"
		chmod 644 "$T/ctlclient.py"
	fi
	as_user "$u" /usr/bin/python3 "$T/ctlclient.py" "$(ctl_sock)" "$@" >"$T/$name.out" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	wait_until 10 grep -qs '^ready' "$T/$name.out" || fail "$name did not start: $(cat "$T/$name.out")"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }

# Microseconds since the epoch.
now_us() { echo "${EPOCHREALTIME/./}"; }

# Finding 1: 64 idle connections of nobody made every root command fail.
test_idle_clients_leave_root_served() {
	daemon_start -l 7
	ctl_user idle 65534 idle 100 60
	expect_eq "$(ho limit 5)" 5 "root changes the limit while nobody holds 100 connections"
	ho status >/dev/null || fail "root's status"
	ho policy set user nobody limit 3 >/dev/null || fail "root's policy set"
	ho policy del user nobody >/dev/null || fail "root's policy del"
	expect_eq "$(as_user 65533 "$B/halfopen" limit)" 5 "another user reads the limit"
	# nobody got 16 connections; the rest were refused, and counted
	wait_until 5 status_ge control_refused 84 || fail "refused: $(ho -j status)"
	# idle ones are dropped after 5 s, and counted
	wait_until 10 status_ge control_dropped 16 || fail "dropped: $(ho -j status)"
	grep -q "dropping control client .* uid 65534: idle" "$T/daemon.log" ||
		fail "no log line for the drop: $(cat "$T/daemon.log")"
}

# Finding 2: clients that send requests and never read got up to 32 MiB of
# queued replies each (63 of them took the daemon to 2 GB).
test_non_readers_cannot_grow_memory() {
	daemon_start -l 1
	conn_start a $PEER4 $DROP 300 # 299 queued: ps replies of about 100 KiB
	wait_until 10 status_is queued 299 || fail "queued: $(status_field queued)"
	local u rss0 rss max i=0
	rss0=$(rss_kb)
	max=$rss0
	for u in 65534 65533 65532 65531; do
		ctl_user "f$u" $u flood 16 8 ps,history,status,events,stats
	done
	while kill -0 "$PID_f65534" 2>/dev/null && ((i++ < 200)); do
		rss=$(rss_kb)
		((rss > max)) && max=$rss
		sleep 0.05
	done
	echo "RSS before the flood ${rss0} kB, at most ${max} kB during it"
	# the bound: 32 MiB of replies for all unprivileged clients, plus slack
	((max - rss0 < 48 * 1024)) || fail "RSS grew from $rss0 kB to $max kB"
	wait_until 10 status_ge control_dropped 1 || fail "no non-reading client was dropped"
	grep -q "dropping control client .*: not reading" "$T/daemon.log" || fail "no log line"
	expect_eq "$(ho ps --state queued | grep -c queued)" 299 "root's ps after the flood"
}

# Finding 3: four nobody clients sending STATUS without reading made ps,
# stats, metrics and top fail for root ("busy sending other lists").
test_non_readers_do_not_block_lists() {
	daemon_start -l 1
	conn_start a $PEER4 $DROP 3
	ctl_user f 65534 flood 4 30 status
	wait_until 10 grep -q '^sent 1000' "$T/f.out" || fail "the flood did not flood: $(cat "$T/f.out")"
	local i
	for i in 1 2 3 4 5; do
		expect_eq "$(ho ps | grep -c queued)" 2 "root's ps, round $i"
		ho stats >/dev/null || fail "root's stats"
		ho metrics | grep -q '^halfopen_queued 2$' || fail "root's metrics"
		ho top -b -n 1 >/dev/null || fail "root's top"
		expect_eq "$(as_user 65533 "$B/halfopen" ps | grep -c queued)" 2 "another user's ps"
	done
}

# Finding 4: anyone could bind the control socket's abstract name first;
# halfopend then refused to start, saying another halfopend was running.
test_socket_cannot_be_squatted() {
	cp "$ROOT/tests/net/ctlclient.py" "$T/" # only for the permissions of $T
	chmod 755 "$T"
	as_user 65534 /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind("\0halfopen/ctl")
s.listen(1)
print("ready", flush=True)
time.sleep(30)
' >"$T/squat.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -q ready "$T/squat.out" || fail "squatter: $(cat "$T/squat.out")"
	as_user 65534 touch "/run/halfopen/net-x.sock" 2>/dev/null && fail "nobody made a file in /run/halfopen"
	# files of a daemon that is gone go; those of a live one (its lock held) stay
	mkdir -p /run/halfopen
	touch /run/halfopen/net-1.lock /run/halfopen/net-1.sock /run/halfopen/net-2.sock
	flock /run/halfopen/net-2.lock sleep 30 &
	PIDS+=($!)
	local holder=$!
	wait_until 5 test -e /run/halfopen/net-2.lock || fail "no lock held"
	daemon_start -l 7
	[ ! -e /run/halfopen/net-1.lock ] && [ ! -e /run/halfopen/net-1.sock ] ||
		fail "the files of a gone daemon stay: $(ls /run/halfopen)"
	[ -e /run/halfopen/net-2.lock ] && [ -e /run/halfopen/net-2.sock ] ||
		fail "the files of a live daemon went: $(ls /run/halfopen)"
	kill "$holder"
	rm -f /run/halfopen/net-2.lock /run/halfopen/net-2.sock
	expect_eq "$(ho limit)" 7 "the daemon started and answers"
	expect_eq "$(stat -c %U:%a /run/halfopen)" root:755 "the directory"
	expect_eq "$(stat -c %U:%a "$(ctl_sock)")" root:666 "the socket"
	as_user 65534 touch "/run/halfopen/net-x.sock" 2>/dev/null && fail "nobody made a file in /run/halfopen"
	# a second daemon in the namespace names the first
	local out rc=0
	out=$(cx "$B/halfopend" -l 3 2>&1) || rc=$?
	expect_eq "$rc" 1 "a second daemon"
	echo "$out" | grep -q "another halfopend (pid $DPID) is running in this network namespace" ||
		fail "message: $out"
	expect_eq "$(ho limit)" 7 "the first one still answers"
	# SIGKILL leaves the socket file: the next daemon takes over
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	rc=0
	out=$(ho status 2>&1) || rc=$?
	expect_eq "$out" "halfopen: no halfopend is running in this network namespace" "after SIGKILL"
	daemon_start -l 4
	expect_eq "$(ho limit)" 4 "a new daemon after SIGKILL"
	daemon_stop
	expect_eq "$DRC" 0 "clean stop"
	local sock
	sock=$(ctl_sock)
	[ ! -e "$sock" ] || fail "the socket is left after a clean stop"
	[ ! -e "${sock%.sock}.lock" ] || fail "the lock file is left after a clean stop"
}

# Review of issue 12, finding 1: nobody opened the lock file (it was 0644) and
# held an flock on it; after kill -9 every new daemon refused to start, naming
# the dead pid. The lock file is 0600: nobody cannot open it. A lock file left
# with other permissions (by an older daemon) and held by someone that is not
# a halfopend is replaced.
test_lock_cannot_be_squatted() {
	cp "$ROOT/tests/net/ctlclient.py" "$T/" # only for the permissions of $T
	chmod 755 "$T"
	local squat='
import fcntl, sys, time
try:
    f = open(sys.argv[1], "rb")
except OSError as e:
    print("ready: cannot open:", e.strerror, flush=True)
    sys.exit(0)
print("ready: opened", flush=True)
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
'
	daemon_start -l 7
	local lock out rc=0
	lock=$(ctl_sock)
	lock=${lock%.sock}.lock
	expect_eq "$(stat -c %U:%a "$lock")" root:600 "the lock file"
	as_user 65534 /usr/bin/python3 -c "$squat" "$lock" >"$T/squat.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -q ready "$T/squat.out" || fail "squatter: $(cat "$T/squat.out")"
	grep -q "cannot open: Permission denied" "$T/squat.out" || fail "squatter: $(cat "$T/squat.out")"
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	daemon_start -l 4
	expect_eq "$(ho limit)" 4 "a new daemon after SIGKILL"
	# an old lock file, 0644, held by nobody while no daemon runs
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	chmod 644 "$lock"
	as_user 65534 /usr/bin/python3 -c "$squat" "$lock" >"$T/squat2.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -q locked "$T/squat2.out" || fail "squatter: $(cat "$T/squat2.out")"
	daemon_start -l 5
	expect_eq "$(ho limit)" 5 "a daemon starts beside a squatted old lock file"
	expect_eq "$(stat -c %U:%a "$lock")" root:600 "the new lock file"
	grep -q "replacing it" "$T/daemon.log" || fail "no log line: $(cat "$T/daemon.log")"
	# a live daemon is still named, and a dead pid is told apart
	out=$(cx "$B/halfopend" -l 3 2>&1) || rc=$?
	expect_eq "$rc" 1 "a second daemon"
	echo "$out" | grep -q "another halfopend (pid $DPID) is running in this network namespace" ||
		fail "message: $out"
	cx flock -n "$lock" true && fail "the lock is not held"
	true
}

# Review of issue 12, finding 3: a process named "x\n<0>FORGED!!" made the
# daemon log a line of its own at emergency priority (journald reads <N>),
# and a name with terminal escapes reached root's terminal through ps, stats,
# events and top. Control characters are escaped (\n, \xNN) everywhere.
test_names_cannot_forge_lines() {
	cp "$ROOT/tests/net/ctlclient.py" "$T/" # only for the permissions of $T
	chmod 755 "$T"
	daemon_start -l 2
	local name prog='
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode().decode("unicode_escape").encode("latin-1"), 0, 0, 0)
ss = []
for i in range(int(sys.argv[4])):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect((sys.argv[2], int(sys.argv[3])))
    except BlockingIOError:
        pass
    ss.append(s)
print("ready", flush=True)
time.sleep(30)
'
	# the first one holds the most: the limit event names it
	as_user 65534 /usr/bin/python3 -c "$prog" 'x\n<0>FORGED!!' $PEER4 $DROP 12 >>"$T/names.out" 2>&1 &
	PIDS+=($!)
	wait_until 10 status_is queued 10 || fail "queued: $(status_field queued) $(cat "$T/names.out")"
	as_user 65534 /usr/bin/python3 -c "$prog" '\x1b[2J\x1b]0;x\x07ab' $PEER4 $DROP 6 >>"$T/names.out" 2>&1 &
	PIDS+=($!)
	wait_until 10 status_is queued 16 || fail "queued: $(status_field queued) $(cat "$T/names.out")"
	wait_until 10 grep -q "event=" "$T/daemon.log" || fail "no limit event: $(cat "$T/daemon.log")"
	grep -q '^<0>' "$T/daemon.log" && fail "a forged log line: $(cat "$T/daemon.log")"
	grep -qF 'x\n<0>FORGED!!' "$T/daemon.log" || fail "the name is not escaped: $(cat "$T/daemon.log")"
	LC_ALL=C grep -q $'\x1b' "$T/daemon.log" && fail "an escape in the log: $(cat -v "$T/daemon.log")"
	ho ps >"$T/ps.txt"
	ho stats --procs >"$T/stats.txt"
	ho events >"$T/events.txt"
	cx "$B/halfopen" top -b -n 1 >"$T/top.txt"
	local f
	for f in ps stats events top; do
		LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$T/$f.txt" &&
			fail "a control character in $f: $(cat -v "$T/$f.txt")"
	done
	grep -qF 'x\n<0>FORGED!!' "$T/ps.txt" || fail "ps: $(cat -v "$T/ps.txt")"
	grep -qF '\x1b[2J\x1b]0;x\x07ab' "$T/ps.txt" || fail "ps: $(cat -v "$T/ps.txt")"
	# no row is cut by a newline: every one starts as rows do
	awk 'NR > 1 && $1 != "queued" && $1 != "in-flight" { print; bad = 1 } END { exit bad }' \
		"$T/ps.txt" >&2 || fail "ps: $(cat -v "$T/ps.txt")"
	awk 'NR > 1 && NF && $1 !~ /^([0-9]+|\(\*)$/ { print; bad = 1 } END { exit bad }' "$T/stats.txt" >&2 ||
		fail "stats: $(cat -v "$T/stats.txt")"
	awk '$1 !~ /^20[0-9][0-9]-/ { print; bad = 1 } END { exit bad }' "$T/events.txt" >&2 ||
		fail "events: $(cat -v "$T/events.txt")"
	# a cgroup name with escapes reaches the metrics labels as U+FFFD, not raw
	local cg
	cg=$(make_cgroup $'esc\e[31mRED\a')
	CONN_CGROUP=$cg conn_start c $PEER4 $ACCEPT 1
	ho metrics >"$T/metrics.txt"
	grep -q 'escRED\|esc.*RED' "$T/metrics.txt" || fail "no row of the cgroup: $(cat -v "$T/metrics.txt" | head)"
	LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$T/metrics.txt" &&
		fail "a control character in metrics: $(cat -v "$T/metrics.txt" | grep esc)"
	true
}

# A metrics hog as user UID in the background (tests/net/httphog.py): NAME UID PORT MAX HOLD
http_hog() {
	local name=$1 u=$2
	shift 2
	if [ ! -f "$T/httphog.py" ]; then # once: a hog may be reading it
		cp "$ROOT/tests/net/httphog.py" "$T/"
		chmod 755 "$T"
		chmod 644 "$T/httphog.py"
	fi
	as_user "$u" /usr/bin/python3 "$T/httphog.py" "$@" >"$T/$name.out" 2>&1 &
	PIDS+=($!)
}

# 100 scrapes of the metrics endpoint on PORT; prints "ok N" (N good).
http_scrape_py() { # PORT
	printf '%s' '
import urllib.request
ok = 0
for i in range(100):
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%PORT%/metrics", timeout=2).read()
        ok += b"halfopen_limit 10" in body
    except OSError as e:
        print("scrape", i, "failed:", e)
print("ok", ok)
' | sed "s/%PORT%/$1/"
}

# 100 scrapes by root and 100 by uid 65526 at once on PORT: every one is served.
expect_scrapes_served() { # PORT
	cx /usr/bin/python3 -c "$(http_scrape_py $1)" >"$T/root.out" 2>&1 &
	PIDS+=($!)
	as_user 65526 /usr/bin/python3 -c "$(http_scrape_py $1)" >"$T/user.out" 2>&1
	wait_until 30 grep -q "^ok" "$T/root.out" || fail "root's scrapes did not end"
	expect_eq "$(tail -1 "$T/root.out")" "ok 100" "root's scrapes served: $(head -3 "$T/root.out")"
	expect_eq "$(tail -1 "$T/user.out")" "ok 100" "uid 65526's scrapes served: $(head -3 "$T/user.out")"
}

# Finding 5: a client keeping the 16 connection slots of the metrics endpoint
# busy made 100 of 100 scrapes fail.
test_metrics_served_while_hogged() {
	daemon_start --metrics-port 9426
	http_hog hog 65534 9426 200 8
	wait_until 5 grep -q ready "$T/hog.out" || fail "hog: $(cat "$T/hog.out")"
	wait_until 5 grep -q "^holding" "$T/hog.out" || fail "hog: $(cat "$T/hog.out")"
	as_user 65533 /usr/bin/python3 -c "$(http_scrape_py 9426)" >"$T/scrapes.out" 2>&1
	expect_eq "$(tail -1 "$T/scrapes.out")" "ok 100" "scrapes served: $(head -3 "$T/scrapes.out")"
	status_ge http_refused 100 || fail "the hog was not refused: $(ho -j status)"
}

# Review of issue 12, finding 2: 8 uids, each holding its 8 connections with
# half-sent requests, filled the endpoint's 64: every scrape of another uid
# and of root failed. 8 slots are root's, and a full endpoint closes the
# oldest unfinished request of the uid holding the most connections.
test_metrics_served_while_hogged_by_many() {
	daemon_start --metrics-port 9428
	cp "$ROOT/tests/net/ctlclient.py" "$T/"
	chmod 755 "$T"
	local u
	for u in 65527 65528 65529 65530 65531 65532 65533 65534; do
		http_hog hog$u $u 9428 40 7
	done
	for u in 65527 65528 65529 65530 65531 65532 65533 65534; do
		wait_until 10 grep -q "^holding" "$T/hog$u.out" || fail "hog $u: $(cat "$T/hog$u.out")"
	done
	expect_scrapes_served 9428
	status_ge http_refused 100 || fail "the hogs were not refused: $(ho -j status)"
}

# Second review of issue 12: hogs of every kind at once, from 63 uids, filled
# the endpoint with connections the old eviction would never close: 7 uids
# with 8 whole requests each whose replies they never read (a small receive
# buffer), and 56 uids with one half-sent request each. Every scrape of
# another uid and of root must still be served: a full endpoint closes the
# oldest connection of the user holding the most, whatever its state.
test_metrics_served_while_hogs_of_every_kind_fill_it() {
	daemon_start --metrics-port 9430
	cx /usr/bin/python3 -c '
import socket, sys, time
sys.path.insert(0, sys.argv[1])
from uidfleet import fleet
from httphog import hog
port = 9430

fleet([(60000 + i, 8, True) for i in range(7)] + [(61000 + i, 1, False) for i in range(56)],
      lambda n, whole: hog(port, n, whole, 25), "hogs")
' "$ROOT/tests/net" >"$T/hogs.out" 2>&1 &
	PIDS+=($!)
	wait_until 10 grep -q "^hogs 63" "$T/hogs.out" || fail "hogs: $(cat "$T/hogs.out")"
	wait_until 10 status_ge http_refused 1 || wait_until 10 status_ge http_dropped 20 ||
		fail "the endpoint never filled: $(ho -j status)"
	expect_scrapes_served 9430
}

# Third review of issue 12: 150 uids reconnecting without pause keep another
# user's scrapes out (503), never root's. The scraper's uid named by
# --metrics-uid is served as root is: 100 of 100.
test_metrics_uid_served_through_a_churn_of_many_uids() {
	daemon_start --metrics-port 9431 --metrics-uid 65526
	cx /usr/bin/python3 -c '
import socket, sys, time
sys.path.insert(0, sys.argv[1])
from uidfleet import fleet

def churn():
    end = time.monotonic() + 30
    while time.monotonic() < end:
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", 9431))
            s.send(b"GET /met")
            s.settimeout(3)
            s.recv(100)  # until the daemon closes it
        except OSError:
            pass
        s.close()

fleet([(62000 + i,) for i in range(150)], churn, "churn")
' "$ROOT/tests/net" >"$T/churn.out" 2>&1 &
	PIDS+=($!)
	wait_until 10 grep -q "^churn 150" "$T/churn.out" || fail "churn: $(cat "$T/churn.out")"
	wait_until 10 status_ge http_refused 100 || fail "the endpoint never filled: $(ho -j status)"
	as_user 65526 /usr/bin/python3 -c "$(http_scrape_py 9431)" >"$T/user.out" 2>&1
	expect_eq "$(tail -1 "$T/user.out")" "ok 100" "the scraper's scrapes: $(head -3 "$T/user.out")"
}

# Review of issue 12, finding 4: each metrics connection held a whole text of
# its own (megabytes with many cgroups, times 64). Scrapes within 1 s of a
# rendering share it: at most one text a second is made, so at most 6 are
# held while replies are read (5 s). Shown by the limit a scrape reports.
test_metrics_text_shared() {
	daemon_start -l 3 --metrics-port 9429
	local scrape='
import sys, time, urllib.request
t0 = time.monotonic()
for i in range(int(sys.argv[1])):
    body = urllib.request.urlopen("http://127.0.0.1:9429/metrics", timeout=2).read()
    line = [l for l in body.decode().split("\n") if l.startswith("halfopen_limit ")][0]
    print(line, "%.3f" % (time.monotonic() - t0), flush=True)
'
	local t0 t1
	t0=$(now_us)
	cx /usr/bin/python3 -c "$scrape" 1 >"$T/s1.out"
	ho limit 5 >/dev/null
	cx /usr/bin/python3 -c "$scrape" 1 >"$T/s2.out"
	t1=$(now_us)
	if (((t1 - t0) < 900000)); then
		grep -q "^halfopen_limit 3 " "$T/s2.out" || fail "not shared within 1 s: $(cat "$T/s2.out")"
	fi
	wait_until 5 eval 'cx /usr/bin/python3 -c "$scrape" 1 | grep -q "^halfopen_limit 5 "' ||
		fail "a text older than 1 s is still sent"
	# HEAD gets the length of the shared text, and no body
	cx /usr/bin/python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 9429), timeout=3)
s.sendall(b"HEAD /metrics HTTP/1.0\r\n\r\n")
d = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    d += b
h, _, body = d.partition(b"\r\n\r\n")
print(h.split(b"\r\n")[0].decode(), len(body), b"Content-Length: 0" in h)
' >"$T/head.out"
	expect_eq "$(cat "$T/head.out")" "HTTP/1.1 200 OK 0 False" "HEAD"
}

# A raw HTTP request to the metrics endpoint; prints the status line, then
# "body N" (bytes after the header), then its Allow and Content-Length.
http_raw() { # REQUEST (python bytes expression)
	cx /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 9427), timeout=3)
s.sendall(eval(sys.argv[1]))
data = b""
while True:
    try:
        b = s.recv(65536)
    except ConnectionResetError:
        print("reset")
        break
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
lines = head.decode().split("\r\n")
print(lines[0])
print("body", len(body))
for l in lines[1:]:
    if l.lower().startswith("allow:") or l.lower().startswith("content-length:"):
        print(l)
' "$1"
}

# The status line the endpoint answers REQUEST with.
http_status_is() { # REQUEST STATUS WHAT
	expect_eq "$(http_raw "$1" | head -1)" "HTTP/1.1 $2" "$3"
}

# Finding 12, HTTP: HEAD, HTTP/1.0 and 1.1, and the statuses that fit.
test_http_requests() {
	daemon_start --metrics-port 9427
	local out len
	out=$(http_raw 'b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"')
	expect_eq "$(echo "$out" | head -1)" "HTTP/1.1 200 OK" "GET HTTP/1.1"
	len=$(echo "$out" | sed -n 's/^body //p')
	((len > 1000)) || fail "GET body: $out"
	out=$(http_raw 'b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"')
	expect_eq "$(echo "$out" | head -2 | tr '\n' ' ')" "HTTP/1.1 200 OK body 0 " "HEAD"
	echo "$out" | grep -q "^Content-Length: $len\$" || fail "HEAD's Content-Length: $out"
	out=$(http_raw 'b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"')
	expect_eq "$(echo "$out" | head -1)" "HTTP/1.1 405 Method Not Allowed" "POST"
	echo "$out" | grep -q '^Allow: GET, HEAD$' || fail "405 without Allow: $out"
	out=$(http_raw 'b"HEAD /other HTTP/1.1\r\n\r\n"')
	expect_eq "$(echo "$out" | head -2 | tr '\n' ' ')" "HTTP/1.1 404 Not Found body 0 " "HEAD of another path"
	http_status_is 'b"GET /metrics HTTP/1.0\r\n\r\n"' "200 OK" "GET HTTP/1.0"
	http_status_is 'b"GET /metrics?x=1 HTTP/1.0\n\n"' "200 OK" "bare newlines and a query"
	http_status_is 'b"GET /metrics\r\n"' "400 Bad Request" "no HTTP version"
	http_status_is 'b"GET /metrics HTTP/2.0\r\n\r\n"' "505 HTTP Version Not Supported" "HTTP/2.0"
	http_status_is 'b"GET /other HTTP/1.1\r\n\r\n"' "404 Not Found" "another path"
	# requests are read up to 4 KiB (it was 2 KiB, and over it the connection was reset)
	http_status_is 'b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 3000 + b"\r\n\r\n"' "200 OK" \
		"3 KB of headers"
	http_status_is 'b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n"' \
		"431 Request Header Fields Too Large" "5 KB of headers"
	http_status_is 'b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n"' \
		"431 Request Header Fields Too Large" "100 KB of headers"
	http_status_is 'b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n"' "414 URI Too Long" \
		"a 5 KB request line"
	http_status_is 'b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"' "400 Bad Request" "TLS"
	expect_eq "$(ho limit)" 10 "the daemon still answers"
}

# halfopen ARGS exits 2 (bad usage) saying MESSAGE.
usage_error_is() { # MESSAGE ARGS...
	local want=$1 out rc=0
	shift
	out=$(ho "$@" 2>&1) || rc=$?
	expect_eq "$rc" 2 "exit status of halfopen $*"
	expect_eq "$out" "$want" "halfopen $*"
}

# Finding 12, the command line: messages start with "halfopen:" and say
# what was wrong.
test_cli_option_messages() {
	usage_error_is "halfopen: ps: unknown option '--bogus' (try: halfopen --help)" ps --bogus
	usage_error_is "halfopen: ps: unknown option '-x' (try: halfopen --help)" ps -x
	usage_error_is "halfopen: ps: option '-p' needs a value" ps -p
	usage_error_is "halfopen: top: option '--iterations' needs a value" top --iterations
	usage_error_is "halfopen: top: unknown option '-z' (try: halfopen --help)" top -z
	usage_error_is "halfopen: limit: unknown option '--bogus' (try: halfopen --help)" limit 5 --bogus
}

# The requests that change something are root's, decided from the peer's
# credentials at connect; anything not in the table is denied.
test_unprivileged_requests() {
	daemon_start -l 7
	local out rc=0
	out=$(as_user 65534 "$B/halfopen" policy set user nobody limit 1 2>&1) || rc=$?
	expect_eq "$rc" 1 "policy set as nobody"
	expect_eq "$out" "halfopen: only root may change policies" "policy set as nobody"
	rc=0
	out=$(as_user 65534 "$B/halfopen" policy del user nobody 2>&1) || rc=$?
	expect_eq "$out" "halfopen: only root may change policies" "policy del as nobody"
	for c in status ps stats events "policy list" metrics "top -b -n 1"; do
		# shellcheck disable=SC2086
		as_user 65534 "$B/halfopen" $c >/dev/null || fail "nobody's $c"
	done
	expect_eq "$(ho limit)" 7 "nothing changed"
}

# Other users' lists cannot take the daemon's time from root: 16 connections
# asking for ps again and again, reading it all, while 3000 attempts are
# queued (a list costs the daemon tens of ms then).
test_lists_leave_time_for_root() {
	DAEMON_SESSION=1 daemon_start -l 1 -Q 10000
	conn_start a $PEER4 $DROP 3000
	wait_until 20 status_is queued 2999 || fail "queued: $(status_field queued)"
	ctl_user readers 65534 lists 16 8
	cx setsid /usr/bin/python3 "$T/ctlclient.py" "$(ctl_sock)" root 100 8 >"$T/root.txt" 2>"$T/root.err" ||
		fail "root's client: $(tail -3 "$T/root.err")"
	wait_until 10 grep -q '^done' "$T/readers.out" || fail "readers: $(cat "$T/readers.out")"
	cat "$T/readers.out"
	sort -n -k2 "$T/root.txt" | awk '{ ms[NR] = $2 } END {
		printf "%d root commands: median %.1f ms, slowest %.1f ms\n", NR, ms[int((NR + 1) / 2)], ms[NR] }'
	awk '$1 == "limit" && $3 != "ok" || $1 == "ps" && $3 < 2998 { print "FAIL: " $0; bad = 1 }
		END { exit bad }' "$T/root.txt" >&2 || fail "root was refused"
	awk '$2 >= 150 { print "FAIL: root served in " $2 " ms: " $0; bad = 1 } END { exit bad }' \
		"$T/root.txt" >&2 || fail "root waited behind other users' lists"
	grep -q ' busy=[1-9]' "$T/readers.out" || fail "the readers were never told to wait"
}

# 200 unprivileged connections (8 users) flood the daemon with requests they
# never read while root changes the limit and reads ps: root is served within
# 100 ms every time, and the daemon's RSS grows by less than 48 MiB.
# Root's commands are timed from connect to the end of the reply by one
# long-lived client (ctlclient.py root), so that what is measured is the
# daemon, not fork and exec on a busy machine; the halfopen command runs too,
# and must succeed every time (its wall time is in the log).
test_root_served_under_flood() {
	DAEMON_SESSION=1 daemon_start -l 3
	conn_start a $PEER4 $DROP 50
	wait_until 10 status_is queued 47 || fail "queued: $(status_field queued)"
	local u rss0 rss max root cli i=0 t0 t1
	# the baseline before the flood: its own growth is what is bounded
	rss0=$(rss_kb)
	max=$rss0
	for u in 65527 65528 65529 65530 65531 65532 65533 65534; do
		ctl_user "f$u" $u flood 25 10 status,ps,history,events,stats,policies
	done
	wait_until 10 grep -q '^sent 1000' "$T/f65534.out" || fail "no flood: $(cat "$T/f65534.out")"
	# root, in a session of its own like an administrator's login
	cx setsid /usr/bin/python3 "$T/ctlclient.py" "$(ctl_sock)" root 300 8 >"$T/root.txt" 2>"$T/root.err" &
	PIDS+=($!)
	root=$!
	while kill -0 "$root" 2>/dev/null && ((i++ < 400)); do
		t0=$(now_us)
		ho ps | grep -q queued || fail "root's halfopen ps"
		ho status >/dev/null || fail "root's halfopen status"
		t1=$(now_us)
		echo "cli $(((t1 - t0) / 1000))" >>"$T/cli.txt"
		rss=$(rss_kb)
		((rss > max)) && max=$rss
		sleep 0.05
	done
	wait "$root" || fail "root's client: $(tail -3 "$T/root.err")"
	awk '$1 == "limit" && $3 != "ok" || $1 == "ps" && $3 < 46 { print "FAIL: " $0; bad = 1 }
		END { exit bad }' "$T/root.txt" >&2 || fail "root was refused"
	sort -n -k2 "$T/root.txt" | awk '{ ms[NR] = $2 } END {
		printf "%d root commands: median %.1f ms, 99th percentile %.1f ms, slowest %.1f ms\n",
			NR, ms[int((NR + 1) / 2)], ms[int(NR * 0.99)], ms[NR] }'
	sort -n -k2 "$T/cli.txt" | awk '{ ms[NR] = $2 } END {
		printf "%d halfopen ps + status, wall time with exec: median %d ms, slowest %d ms\n",
			NR, ms[int((NR + 1) / 2)], ms[NR] }'
	echo "RSS ${rss0} kB before the flood, at most ${max} kB during it"
	(($(wc -l <"$T/root.txt") >= 40)) || fail "only $(wc -l <"$T/root.txt") root commands"
	awk '$2 >= 100 { print "FAIL: root served in " $2 " ms: " $0; bad = 1 } END { exit bad }' \
		"$T/root.txt" >&2 || fail "root was not served within 100 ms every time"
	((max - rss0 < 48 * 1024)) || fail "RSS grew from $rss0 kB to $max kB"
	status_ge control_refused 100 || fail "refused: $(status_field control_refused)"
	wait_until 10 status_ge control_dropped 1 || fail "none dropped: $(ho -j status)"
	wait_until 10 eval '[ "$(cat "$T"/f*.out | grep -c "^done")" = 8 ]' || fail "the flood did not end"
	grep -h '^done' "$T"/f*.out
}

run_tests
