#!/bin/bash
# Containment (the default mode): scanners are flagged by the outcomes of
# their first contacts and throttled to --contain-rate new destinations a
# second, on the wire; programs whose first contacts mostly succeed, or that
# reach hosts they reached before, are left alone; slot-timeout; the original
# mode. Wire checks are made in the peer namespace, on its veth.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HO_MODE= # the default mode: no --mode

# A /16 whose every address drops SYNs (a worm's random targets), and a /24
# of peers: 10.44.0.0/25 accept (hopeer listens on every address), 10.44.0.128/25 drop.
world() {
	cx ip route add 10.43.0.0/16 via $PEER4
	cx ip route add 10.44.0.0/24 via $PEER4
	px ip route add local 10.43.0.0/16 dev lo
	px ip route add local 10.44.0.0/24 dev lo
	px iptables -A INPUT -d 10.43.0.0/16 -p tcp --syn -j DROP
	px iptables -A INPUT -d 10.44.0.128/25 -p tcp --syn -j DROP
}

# Run CMD in the client namespace, in cgroup CG ("" for none), in the
# background; its output goes to $T/NAME.out and its pid to PID_NAME.
cg_run() { # NAME CG CMD...
	local name=$1 cg=$2 root
	shift 2
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	nsenter --net="/run/netns/$C" sh -c '[ -z "$1" ] || echo $$ > "$1/cgroup.procs" || exit 1
		shift; exec "$@"' sh "${cg:+$root$cg}" "$@" >"$T/$name.out" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
}

# "TIME ADDR" of the first SYN to each address starting with PREFIX, in order.
first_syns() { # PREFIX
	tcpdump -tt -r "$T/cap.pcap" -n 2>/dev/null | awk -v p="$1" '/Flags \[S\],/ {
		d = $5; sub(":$", "", d); n = split(d, b, ".");
		a = b[1] "." b[2] "." b[3] "." b[4];
		if (index(a, p) == 1 && !seen[a]++) print $1, a }'
}

# New destinations under PREFIX whose first SYN came in (FROM, TO].
new_between() { # PREFIX FROM TO
	first_syns "$1" | awk -v f="$2" -v t="$3" '$1 > f && $1 <= t' | wc -l
}

# Has a SYN to a new address under PREFIX arrived after time AT?
syn_after() { [ "$(new_between "$1" "$2" 9999999999)" -gt 0 ]; }

done_line() { grep -qs '^done' "$T/$1.out"; }

# The verdict of a process (procs) or cgroup (cgroups) in `halfopen -j stats`.
verdict() { # procs|cgroups PID|PATH
	ho -j stats "--$1" | python3 -c '
import json, sys
key = "pid" if sys.argv[1] == "procs" else "cgroup"
for r in json.load(sys.stdin)["processes" if sys.argv[1] == "procs" else "cgroups"]:
    if str(r[key]) == sys.argv[2]:
        print(r["verdict"]); break
else:
    print("absent")' "$1" "$2"
}

# A worm in its own cgroup (100 attempts at once, gives up after 3 s) puts
# 10 first contacts on the wire, not 100 (probation: the rest wait for their
# outcomes), is flagged by their failure and then puts at most 1 new
# destination a second on the wire, cascades of closes included; a P2P-like
# client in another cgroup (60 peers, half dropping SYNs, 20 at once, 10 s
# timeout) is never flagged and reaches all its live peers.
test_worm_throttled_p2p_left_alone() {
	local worm p2p wpid ppid t0 n
	world
	worm=$(make_cgroup worm)
	p2p=$(make_cgroup p2p)
	capture_start
	daemon_start
	cg_run p2p "$p2p" "$B/howorm" $ACCEPT 20 10000 60 10.44.0.1+30 10.44.0.129+30
	cg_run worm "$worm" "$B/howorm" $ACCEPT 100 3000 25 10.43.0.1+60000
	wpid=$PID_worm
	ppid=$PID_p2p
	wait_until 15 grep -q "event=scanner pid $wpid (howorm) flagged" "$T/daemon.log" ||
		fail "the worm was not flagged: $(grep -v '^end' "$T/daemon.log")"
	t0=$(date +%s.%N)
	# the alarm names it: pid, comm, uid, cgroup, its first contacts, samples
	grep -q "event=scanner pid $wpid (howorm) flagged as a scanner: 0 of 10 first contacts succeeded, 10 failed (e.g. 10\.43\.[0-9.]*:8080, .*); pid $wpid (howorm) uid 0 (root) cgroup $worm;" \
		"$T/daemon.log" || fail "alarm: $(grep event=scanner "$T/daemon.log")"
	grep -q "event=scanner cgroup $worm flagged" "$T/daemon.log" || fail "its cgroup not flagged"
	ho events | grep -q "scanner: process $wpid flagged: 0 of 10 first contacts succeeded; pid $wpid (howorm) uid 0 (root) cgroup $worm; e.g. 10.43." ||
		fail "halfopen events: $(ho events)"
	ho metrics | grep -qx 'halfopen_flagged_total 2' || fail "metrics: $(ho metrics | grep flagged)"
	ho metrics | grep -qx "halfopen_cgroup_flagged{cgroup=\"$worm\"} 1" || fail "metrics per cgroup"
	ho metrics | grep -qx "halfopen_scanner_first_contacts{pid=\"$wpid\",comm=\"howorm\",uid=\"0\",cgroup=\"$worm\",outcome=\"failed\"} [0-9]*" ||
		fail "metrics naming the scanner: $(ho metrics | grep scanner)"
	if command -v promtool >/dev/null; then
		ho metrics | promtool check metrics || fail "promtool: $(ho metrics | promtool check metrics 2>&1)"
	fi
	expect_eq "$(verdict procs "$wpid")" flagged "the worm's verdict"
	ho top -b -n 1 | grep -q "^ *$wpid howorm .* flagged " || fail "top: $(ho top -b -n 1)"
	ho ps -p "$wpid" | grep -q "^contained .* $wpid howorm .* 10\.43\.[0-9.]*:$ACCEPT .* flagged " ||
		fail "ps: $(ho ps -p "$wpid" | head -3)"
	# on the wire, in the peer: its first 10 first contacts went out together,
	# the 11th only once their outcomes (abandoned after 3 s) were in
	first_syns 10.43. | awk 'NR == 1 { t1 = $1 } NR == 10 { t10 = $1 } NR == 11 { t11 = $1 }
		END { printf "first contacts: %d, 10th at +%.2f s, 11th at +%.2f s\n", NR, t10 - t1,
			  (NR > 10 ? t11 - t1 : -1);
		      exit !(NR >= 10 && t10 - t1 < 1 && (NR == 10 || t11 - t1 >= 2.5)) }' ||
		fail "more than 10 first contacts before the verdict: $(first_syns 10.43. | head -12)"
	[ "$(status_field probation)" -ge 80 ] || fail "probation: $(status_field probation)"
	# it abandons its attempts after 3 s: they count as failed (FAIL%), none timed out
	ho -j stats --procs | python3 -c '
import json, sys
for r in json.load(sys.stdin)["processes"]:
    if r["pid"] == int(sys.argv[1]):
        sys.exit(0 if r["failed"] >= 10 and r["established"] == 0 else 1)
sys.exit(1)' "$wpid" || fail "abandoned attempts not failed: $(ho stats --procs)"
	expect_eq "$(status_field timed_out)" 0 "timed out (all were abandoned)"
	[ "$(status_field abandoned)" -ge 10 ] || fail "abandoned: $(status_field abandoned)"
	# 8 s of throttled scanning, measured on the wire
	wait_until 20 syn_after 10.43. "$(echo "$t0 + 9" | bc)" || fail "the worm stopped altogether"
	n=$(new_between 10.43. "$(echo "$t0 + 1" | bc)" "$(echo "$t0 + 9" | bc)")
	echo "worm: $n new destinations in 8 s after the flag; $(first_syns 10.43. | wc -l) in all"
	[ "$n" -le 9 ] || fail "$n new destinations in 8 s: more than 1 a second"
	[ "$n" -ge 4 ] || fail "only $n new destinations in 8 s"
	wait_until 60 done_line p2p || fail "the P2P client did not finish"
	expect_eq "$(grep '^done' "$T/p2p.out")" \
		"done attempts=60 connected=30 refused=0 failed=0 abandoned=30" "the P2P client's outcomes"
	grep "event=scanner" "$T/daemon.log" | grep -q -e "pid $ppid " -e "cgroup $p2p" &&
		fail "the P2P client was flagged: $(grep event=scanner "$T/daemon.log")"
	expect_eq "$(verdict procs "$ppid")" ok "the P2P client's verdict"
	expect_eq "$(verdict cgroups "$p2p")" ok "the P2P cgroup's verdict"
	expect_eq "$(first_syns 10.44. | wc -l)" 60 "P2P destinations on the wire"
	if ho metrics | grep "halfopen_scanner_first_contacts{" | grep -q "pid=\"$ppid\""; then
		fail "the P2P client in the scanner metrics"
	fi
}

# A scanner that abandons each attempt 0.2 s after its connect() is never
# judged (a close that early is no evidence), but on probation its units come
# back only 1 s after their SYN went out: at most 10 new destinations a
# second on the wire (plus the first 10), where it would reach hundreds.
test_quick_abandoner_held_by_probation() {
	local worm n
	world
	worm=$(make_cgroup quick)
	capture_start
	daemon_start
	cg_run quick "$worm" "$B/howorm" $ACCEPT 100 200 6 10.43.0.1+60000
	wait_until 20 done_line quick || fail "howorm did not finish: $(tail -3 "$T/quick.out")"
	wait_until 5 eval '[ "$(first_syns 10.43. | wc -l)" -ge 40 ]' ||
		fail "only $(first_syns 10.43. | wc -l) new destinations on the wire"
	n=$(first_syns 10.43. | wc -l)
	echo "quick abandoner: $n new destinations in 6 s; $(grep -c ' abandoned ' "$T/quick.out") abandoned"
	[ "$n" -le 72 ] || fail "$n new destinations in 6 s: more than 10 a second"
	grep -q "event=scanner" "$T/daemon.log" && fail "flagged without evidence: $(grep event=scanner "$T/daemon.log")"
	[ "$(status_field probation)" -gt 100 ] || fail "probation: $(status_field probation)"
}

# A worm that forks one process per attempt, in the root cgroup (outside any
# systemd unit): no process of it makes more than one first contact, so none
# is ever judged; their user is, as their group: 10 first contacts on the
# wire before its verdict, then paced; `pardon user` starts it afresh.
test_fork_worm_in_root_cgroup_judged_by_user() {
	world
	capture_start
	daemon_start
	cg_run forks / bash -c 'for i in $(seq 1 120); do
		timeout 3 bash -c "exec 3<>/dev/tcp/10.43.1.$i/8080" 2>/dev/null &
		sleep 0.02
	done; wait; echo done'
	wait_until 15 grep -q "event=scanner user 0 (root) flagged as a scanner: 0 of 10 first contacts succeeded" \
		"$T/daemon.log" || fail "its user was not flagged: $(grep -v '^end' "$T/daemon.log" | tail -5)"
	grep "event=scanner pid" "$T/daemon.log" && fail "a single process flagged"
	first_syns 10.43. | awk 'NR == 1 { t1 = $1 } NR == 10 { t10 = $1 } NR == 11 { t11 = $1 }
		END { printf "first contacts: %d, 10th at +%.2f s, 11th at +%.2f s\n", NR, t10 - t1,
			  (NR > 10 ? t11 - t1 : -1);
		      exit !(NR >= 10 && t10 - t1 < 1 && (NR == 10 || t11 - t1 >= 2.5)) }' ||
		fail "more than 10 first contacts before the verdict: $(first_syns 10.43. | head -12)"
	ho events | grep -q "scanner: user 0 flagged: 0 of 10 first contacts succeeded" ||
		fail "halfopen events: $(ho events)"
	ho pardon user root || fail "pardon user"
	grep -q "user 0 (root) is no longer flagged as a scanner: pardoned by root" "$T/daemon.log" ||
		fail "not unflagged: $(grep scanner "$T/daemon.log")"
	expect_eq "$(ho pardon user nosuchuser___ 2>&1; echo "rc=$?")" \
		"halfopen: pardon: no user 'nosuchuser___'
rc=2" "pardon of an unknown user"
}

# One process, driven through files: a first contact that succeeds, then
# 16 that it abandons after 1.2 s (failed: it gets flagged), then, once told,
# the host it reached before, then three new live hosts at once.
DRIVER='
import os, select, socket, sys, time
T = sys.argv[1]
def wait_for(name):
    for _ in range(300):
        if os.path.exists(os.path.join(T, name)): return
        time.sleep(0.1)
    sys.exit("no " + name)
def one(addr):
    s = socket.create_connection((addr, 8080), timeout=10); s.close()
one("10.44.0.1"); print("first ok", flush=True)
socks = []
for i in range(16):
    s = socket.socket(); s.setblocking(False)
    s.connect_ex(("10.43.0.%d" % (i + 1), 8080)); socks.append(s)
time.sleep(1.2)
for s in socks: s.close()
print("abandoned", flush=True)
wait_for("go1"); one("10.44.0.1"); print("known ok", flush=True)
wait_for("go2")
socks = []
for i in range(3):
    s = socket.socket(); s.setblocking(False)
    s.connect_ex(("10.44.0.%d" % (i + 2), 8080)); socks.append(s)
_, w, _ = select.select([], socks, [], 10)
while len(w) < 3:
    _, w2, _ = select.select([], socks, [], 10); w = set(w) | set(w2)
    if not w2: break
print("new", " ".join(str(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)) for s in socks), flush=True)
wait_for("end")
'

contained() { status_field contained; }

# The working set: a flagged process reaches a host it reached before at once
# (not queued), while its new first contacts are paced at 1 a second on the
# wire; three successes unflag it.
test_working_set_and_unflag_by_successes() {
	local pid t
	world
	capture_start
	daemon_start
	echo "$DRIVER" >"$T/driver.py"
	cg_run drv "" /usr/bin/python3 "$T/driver.py" "$T"
	pid=$PID_drv
	wait_until 15 grep -q "event=scanner pid $pid (python3) flagged" "$T/daemon.log" ||
		fail "not flagged: $(cat "$T/drv.out") $(grep -v '^end' "$T/daemon.log")"
	expect_eq "$(contained)" 0 "contained before"
	touch "$T/go1"
	wait_until 10 grep -q "known ok" "$T/drv.out" || fail "the known host: $(cat "$T/drv.out")"
	expect_eq "$(contained)" 0 "contained after reaching the known host"
	expect_eq "$(verdict procs "$pid")" flagged "still flagged"
	expect_eq "$(first_syns 10.44.0.1 | wc -l)" 1 "SYNs to the known host (one 4-tuple each time)"
	touch "$T/go2"
	wait_until 15 grep -q "^new 0 0 0" "$T/drv.out" || fail "new hosts: $(cat "$T/drv.out")"
	expect_eq "$(contained)" 3 "new first contacts queued for the flagged process"
	# paced on the wire: at least 0.9 s between their first SYNs
	wait_until 5 eval '[ "$(first_syns 10.44.0. | wc -l)" = 4 ]' || fail "SYNs: $(first_syns 10.44.0.)"
	first_syns 10.44.0. | grep -v ' 10.44.0.1$' | awk '
		NR > 1 && $1 - prev < 0.9 { print "too close:", prev, $1; bad = 1 } { prev = $1 }
		END { exit bad || NR != 3 }' || fail "new hosts not paced: $(first_syns 10.44.0.)"
	wait_until 5 grep -q "pid $pid (python3) is no longer flagged as a scanner: its first contacts succeed again" \
		"$T/daemon.log" || fail "not unflagged by successes: $(grep scanner "$T/daemon.log")"
	expect_eq "$(verdict procs "$pid")" ok "the verdict after three successes"
	touch "$T/end"
}

# slot-timeout: with a limit of 1, an attempt half-open for 2 s stops
# counting and the queued one goes (not before, on the wire); the expired
# one stays tracked and its late success is counted.
test_slot_timeout_frees_slot_keeps_tracking() {
	local ta tb
	capture_start
	daemon_start -l 1 --slot-timeout 2
	conn_start a $PEER4 $DROP 1
	wait_until 5 syn_count_ge 1 || fail "the first SYN did not arrive"
	conn_start b $PEER4 $ACCEPT 1
	wait_until 8 status_is released 1 || fail "the queued attempt was never released"
	expect_eq "$(status_field expired)" 1 "expired"
	wait_until 5 eval '[ -n "$(syn_time "$(conn_port b 0)")" ]' || fail "b's SYN did not arrive"
	ta=$(syn_time "$(conn_port a 0)")
	tb=$(syn_time "$(conn_port b 0)")
	awk -v a="$ta" -v b="$tb" 'BEGIN { exit !(b - a >= 2.0) }' ||
		fail "released before slot-timeout: $ta $tb"
	ho ps | grep -q "expired.*$PEER4:$DROP" || fail "ps: $(ho ps)"
	expect_eq "$(status_field in_flight)" 0 "in flight (b connected, a holds no slot)"
	# the expired attempt's host answers now: its late success is counted
	nsenter --net="/run/netns/$P" "$B/hopeer" $DROP >"$T/peer2.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -qs ready "$T/peer2.out" || fail "second peer did not start"
	px iptables -D INPUT -p tcp --dport $DROP -j DROP
	expect_eq "$(conn_ask a result 15 wait 0 12000 | awk '{print $3}')" connected "a's outcome"
	wait_until 5 status_is established 2 || fail "late success not counted: $(ho status)"
	expect_eq "$(status_field in_flight)" 0 "in flight at the end"
	expect_eq "$(ho -j stats --procs | python3 -c '
import json, sys
print(sum(r["first_ok"] for r in json.load(sys.stdin)["processes"]))')" 2 "first contacts scored as successes"
}

# A flagged scope is unflagged after the quiet period; root can pardon one.
test_unflag_quiet_and_pardon() {
	local pid cg out rc=0
	world
	cg=$(make_cgroup w)
	daemon_start --quiet 3
	cg_run w1 "" "$B/howorm" $ACCEPT 12 1100 3 10.43.0.1+12
	pid=$PID_w1
	wait_until 10 grep -q "event=scanner pid $pid (howorm) flagged" "$T/daemon.log" ||
		fail "not flagged"
	wait_until 10 done_line w1 || fail "howorm did not finish"
	# its process is gone: its scope goes; a cgroup's stays until quiet
	cg_run w2 "$cg" "$B/howorm" $ACCEPT 12 1100 3 10.43.1.1+12
	wait_until 10 grep -q "event=scanner cgroup $cg flagged" "$T/daemon.log" || fail "cgroup not flagged"
	wait_until 15 grep -q "cgroup $cg is no longer flagged as a scanner: no failed first contact for the quiet period" \
		"$T/daemon.log" || fail "not unflagged when quiet: $(grep scanner "$T/daemon.log")"
	expect_eq "$(verdict cgroups "$cg")" ok "the cgroup's verdict after the quiet period"
	# pardon: a long-running scanner
	cg_run w3 "" "$B/howorm" $ACCEPT 12 1100 30 10.43.2.1+2000
	pid=$PID_w3
	wait_until 10 grep -q "event=scanner pid $pid (howorm) flagged" "$T/daemon.log" ||
		fail "w3 not flagged"
	ho pardon pid "$pid" || fail "pardon failed"
	grep -q "pid $pid (howorm) is no longer flagged as a scanner: pardoned by root" "$T/daemon.log" ||
		fail "no pardon in the log"
	grep -q "pid $pid pardoned by pid [0-9]* uid 0" "$T/daemon.log" || fail "who pardoned"
	out=$(ho pardon pid 999999 2>&1) || rc=$?
	expect_eq "$rc" 1 "pardon of an unknown pid"
	expect_eq "$out" "halfopen: pid 999999: no first contact of it was judged" "its message"
	rc=0
	out=$(ho pardon uid 0 2>&1) || rc=$?
	expect_eq "$rc" 2 "pardon of a kind that is not one"
	expect_eq "$out" "halfopen: pardon: give pid PID, cgroup PATH or user USER, not 'uid'" "its message"
	rc=0
	out=$(cx setpriv --reuid=65534 --regid=65534 --clear-groups "$B/halfopen" pardon pid "$pid" 2>&1) || rc=$?
	expect_eq "$rc" 1 "pardon by a user"
	echo "$out" | grep -q "only root may pardon" || fail "its message: $out"
}

# getsockopt(HALFOPEN_INFO) says HALFOPEN_F_SCANNER (0x8) for the attempt of
# a flagged cgroup, queued as a scanner's; not for another cgroup's; and
# HALFOPEN_F_PROBATION (0x10) for one held on probation. HALFOPEN_NOQUEUE
# fails both at once (ENOBUFS) instead.
test_sockopt_says_scanner() {
	local cg other prob
	world
	cg=$(make_cgroup scan)
	other=$(make_cgroup other)
	daemon_start
	cg_run w "$cg" "$B/howorm" $ACCEPT 12 1100 3 10.43.0.1+12
	wait_until 10 grep -q "event=scanner cgroup $cg flagged" "$T/daemon.log" || fail "not flagged"
	SOCK_CGROUP=$cg sock_start s 10.43.1.1 $ACCEPT
	conn_ask s opened 5 open 0 >/dev/null
	conn_ask s connect 5 connect 0 >/dev/null
	conn_ask s info 5 info 0 >/dev/null
	expect_eq "$(( $(info_field s 0 flags) & 8 ))" 8 "HALFOPEN_F_SCANNER of the flagged cgroup's attempt"
	SOCK_CGROUP=$other sock_start o 10.43.1.2 $ACCEPT
	conn_ask o opened 5 open 0 >/dev/null
	conn_ask o connect 5 connect 0 >/dev/null
	conn_ask o info 5 info 0 >/dev/null
	expect_eq "$(( $(info_field o 0 flags) & 8 ))" 0 "HALFOPEN_F_SCANNER of another cgroup's attempt"
	# HALFOPEN_NOQUEUE: a first contact that containment would hold fails at once
	conn_ask s "opened 1 " 5 open 1 noqueue >/dev/null
	expect_eq "$(conn_ask s "connect 1 " 5 connect 1 | cut -d' ' -f3-4)" "-1 ENOBUFS" \
		"a flagged cgroup's first contact, HALFOPEN_NOQUEUE"
	# probation: a cgroup with 10 first contacts out holds an 11th
	# (HALFOPEN_F_PROBATION, 0x10), or fails it at once with HALFOPEN_NOQUEUE
	prob=$(make_cgroup prob)
	cg_run p "$prob" "$B/howorm" $ACCEPT 10 20000 20 10.43.2.1+10
	wait_until 10 eval '[ "$(ho ps --cgroup "$prob" | grep -c "^in-flight")" -ge 10 ]' ||
		fail "the 10 first contacts: $(ho ps --cgroup "$prob")"
	SOCK_CGROUP=$prob sock_start q 10.43.2.100 $ACCEPT
	conn_ask q opened 5 open 0 >/dev/null
	conn_ask q connect 5 connect 0 >/dev/null
	conn_ask q info 5 info 0 >/dev/null
	expect_eq "$(( $(info_field q 0 flags) & 16 ))" 16 "HALFOPEN_F_PROBATION of the 11th"
	ho ps --cgroup "$prob" | grep -q "^probation .* 10\.43\.2\.100:$ACCEPT" ||
		fail "ps: $(ho ps --cgroup "$prob")"
	conn_ask q "opened 1 " 5 open 1 noqueue >/dev/null
	expect_eq "$(conn_ask q "connect 1 " 5 connect 1 | cut -d' ' -f3-4)" "-1 ENOBUFS" \
		"the 12th, HALFOPEN_NOQUEUE"
	expect_eq "$(status_field failfast)" 2 "fail-fast connects"
}

# Exempt (a policy) keeps working: a scanner let through at full speed, never flagged.
test_exempt_is_never_flagged() {
	local cg
	world
	cg=$(make_cgroup nmap)
	capture_start
	daemon_start
	ho policy set cgroup "$cg" exempt >/dev/null
	cg_run n "$cg" "$B/howorm" $ACCEPT 40 1100 5 10.43.0.1+40
	wait_until 10 done_line n || fail "it did not finish"
	expect_eq "$(grep '^done' "$T/n.out")" "done attempts=40 connected=0 refused=0 failed=0 abandoned=40" "outcomes"
	grep -q event=scanner "$T/daemon.log" && fail "an exempt scanner was flagged"
	expect_eq "$(first_syns 10.43. | wc -l)" 40 "all its SYNs on the wire at once"
	expect_eq "$(status_field contained)" 0 "contained"
}

# The original mode: the flat limit of 10 and nothing else.
test_original_mode_is_the_original() {
	HO_MODE=original
	world
	capture_start
	daemon_start
	expect_eq "$(status_field mode)" original "mode"
	expect_eq "$(status_field limit)" 10 "limit"
	expect_eq "$(status_field slot_timeout)" 0 "slot-timeout"
	# 20 at once to addresses that drop SYNs, given up after 1.5 s: the
	# first 10 go out, the others wait (and are mostly cancelled with them)
	cg_run w "" "$B/howorm" $ACCEPT 20 1500 4 10.43.0.1+20
	wait_until 10 done_line w || fail "howorm did not finish"
	wait_until 5 syn_count_ge 10 || fail "the first SYNs did not arrive: $(syn_count)"
	expect_eq "$(first_syns 10.43. | head -10 | awk '{print $2}' | tr '\n' ' ')" \
		"$(for i in $(seq 1 10); do printf '10.43.0.%d ' "$i"; done)" "the first 10 SYNs"
	grep -q event=scanner "$T/daemon.log" && fail "flagged in the original mode"
	grep -q "event=4226 limit on concurrent outbound connection attempts (10) reached" "$T/daemon.log" ||
		fail "no limit event"
	expect_eq "$(status_field contained)" 0 "contained"
	expect_eq "$(status_field flagged_total)" 0 "flagged"
	expect_eq "$(status_field queued_total)" 10 "queued"
	expect_eq "$(status_field expired)" 0 "expired"
}

# One limit event per limit that holds attempts back: a cgroup's policy
# holding its scanner back does not hide that the host's limit held another
# program back too.
test_one_event_per_limit() {
	local a b
	a=$(make_cgroup a)
	b=$(make_cgroup b)
	daemon_start -l 2
	ho policy set cgroup "$a" limit 1 >/dev/null
	CONN_CGROUP=$a conn_start a $PEER4 $DROP 3
	CONN_CGROUP=$b conn_start b $PEER4 $DROP 3
	wait_until 5 status_is queued 4 || fail "queued: $(status_field queued)"
	wait_until 5 grep -q "event=4226 limit on concurrent outbound connection attempts of cgroup $a (1) reached, further attempts are being queued: 2 queued; most by pid $(conn_pid a) " \
		"$T/daemon.log" || fail "no event of the policy: $(grep event= "$T/daemon.log")"
	wait_until 5 grep -q "event=4226 limit on concurrent outbound connection attempts (2) reached, further attempts are being queued: 2 queued; most by pid $(conn_pid b) " \
		"$T/daemon.log" || fail "no event of the host's limit: $(grep event= "$T/daemon.log")"
	expect_eq "$(ho events | wc -l)" 2 "events"
}

# Bad settings: one clear message, non-zero exit, nothing started.
test_bad_settings_refused() {
	local out rc
	bad() { # EXPECTED_MESSAGE ARGS...
		local want=$1
		shift
		rc=0
		out=$(cx "$B/halfopend" "$@" 2>&1) || rc=$?
		[ "$rc" != 0 ] || fail "accepted: $*"
		expect_eq "$out" "$want" "message for $*"
	}
	bad "halfopend: invalid value for --mode: 'xp' (give contain or original)" --mode xp
	bad "halfopend: invalid value for --contain-rate: '0' (give 1..100000)" --contain-rate 0
	bad "halfopend: invalid value for --slot-timeout: '-1' (give 0..3600)" --slot-timeout -1
	bad "<3>scanner-success (50%) must be below benign-success (40%)" -n --scanner-success 50
	printf 'quiet 5\nquiet 6\n' >"$T/dup.conf"
	bad "<3>$T/dup.conf:2:1: 'quiet' is set twice (first on line 1)" -n -f "$T/dup.conf"
	printf '# rates\nbenign-success 10\nscanner-success 20\n' >"$T/rates.conf"
	bad "<3>$T/rates.conf:3:1: scanner-success (20%) must be below benign-success (10%)" -n -f "$T/rates.conf"
	printf 'working-set 0\n' >"$T/ws.conf"
	bad "<3>$T/ws.conf:1:13: invalid working-set '0': give 1..4096" -n -f "$T/ws.conf"
	printf 'mode original\nslot-timeout 5\nflag-after 8\ncontain-rate 2\nquiet 30\n' >"$T/good.conf"
	expect_eq "$(cx "$B/halfopend" -n -f "$T/good.conf")" "halfopend: $T/good.conf: good" "a good file"
}

run_tests
