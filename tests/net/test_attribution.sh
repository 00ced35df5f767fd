#!/bin/bash
# Who is connecting: ps, stats, events and top attribute every attempt to the
# process, user and cgroup that made it.
. "$(dirname "$0")/lib.sh"

# JSON from halfopen, checked with a Python expression over `d`.
json_check() { # WHAT EXPR CMD...
	local what=$1 expr=$2 out
	shift 2
	out=$("$@") || fail "$what: the command failed"
	python3 -c "import json, sys
d = json.loads(sys.argv[1])
ok = ($expr)
sys.exit(0 if ok else 1)" "$out" || fail "$what: $expr is false for: $out"
}

# Two processes of different users and cgroups: a "browser" (uid 1) whose
# connects complete, then a "scanner" (nobody) hitting a dropping peer.
start_two() {
	CGW=$(make_cgroup web)
	CGS=$(make_cgroup scan)
	daemon_start -l 2
	CONN_CGROUP=$CGW CONN_UID=1 CONN_COMM=browser conn_start web $PEER4 $ACCEPT 3
	expect_eq "$(conn_ask web results 5 waitall 3000)" \
		"results connected=3 refused=0 failed=0 pending=0" "browser connects"
	CONN_CGROUP=$CGS CONN_UID=65534 CONN_COMM=scanner conn_start scan $PEER4 $DROP 5
	wait_until 5 status_is queued 3 || fail "the scanner's attempts were not queued"
	WEB=$(conn_pid web)
	SCAN=$(conn_pid scan)
}

test_ps_attributes_every_attempt() {
	start_two
	json_check "ps -j" "len(d) == 5 and all(r['pid'] == $SCAN and r['comm'] == 'scanner' and
		r['uid'] == 65534 and r['user'] == 'nobody' and r['cgroup'] == '$CGS' and
		r['daddr'] == '$PEER4' and r['dport'] == $DROP for r in d) and
		[r['state'] for r in d].count('queued') == 3 and
		sorted(r['position'] for r in d if r['state'] == 'queued') == [1, 2, 3]" ho ps -j
	json_check "ps --state in-flight" "len(d) == 2 and all(r['state'] == 'in-flight' for r in d)" \
		ho ps -j --state in-flight
	json_check "ps -u nobody" "len(d) == 5" ho ps -j -u nobody
	json_check "ps -u daemon" "d == []" ho ps -j -u daemon
	json_check "ps -p" "len(d) == 5" ho ps -j -p "$SCAN"
	json_check "ps -p other" "d == []" ho ps -j -p "$WEB"
	json_check "ps --cgroup" "len(d) == 5" ho ps -j --cgroup "$CGS"
	json_check "ps --cgroup parent" "len(d) == 5" ho ps -j --cgroup "${CGS%/scan}"
	json_check "ps --cgroup other" "d == []" ho ps -j --cgroup "$CGW"
	json_check "ps -n 2" "len(d) == 2" ho ps -j -n 2
	# oldest first
	json_check "ps order" "[r['age_ms'] for r in d] == sorted((r['age_ms'] for r in d), reverse=True)" \
		ho ps -j
	ho ps | grep -q "^queued  *1  *$SCAN scanner  *nobody  *$PEER4:$DROP .* $CGS\$" ||
		fail "ps table: $(ho ps)"
	local rc=0
	ho ps -u no-such-user-here >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 2 "ps with an unknown user"
	rc=0
	ho ps --state sideways >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 2 "ps with a bad state"
}

test_stats_per_process_and_cgroup() {
	start_two
	json_check "stats processes" "
		any(p['pid'] == $WEB and p['comm'] == 'browser' and p['uid'] == 1 and
		    p['cgroup'] == '$CGW' and p['attempts'] == 3 and p['established'] == 3 and
		    p['queued'] == 0 for p in d['processes']) and
		any(p['pid'] == $SCAN and p['comm'] == 'scanner' and p['uid'] == 65534 and
		    p['cgroup'] == '$CGS' and p['attempts'] == 5 and p['queued'] == 3 and
		    p['in_flight_now'] == 2 and p['queued_now'] == 3 and p['oldest_wait_ms'] > 0
		    for p in d['processes'])" ho -j stats
	json_check "stats cgroups" "
		any(c['cgroup'] == '$CGW' and c['attempts'] == 3 and c['established'] == 3
		    for c in d['cgroups']) and
		any(c['cgroup'] == '$CGS' and c['attempts'] == 5 and c['queued_now'] == 3
		    for c in d['cgroups'])" ho stats -j
	# the scanner closes a queued one and an in-flight one
	conn_ask scan closed 5 close 4 >/dev/null
	conn_ask scan closed 5 close 0 >/dev/null
	wait_until 5 status_is released 1 || fail "no release after closing"
	json_check "stats after closing" "
		any(p['pid'] == $SCAN and p['cancelled'] == 1 and p['released'] == 1 and
		    p['in_flight_now'] == 2 and p['queued_now'] == 1 and p['longest_wait_ms'] > 0
		    for p in d['processes'])" ho -j stats --procs
	ho stats | grep -q "^$SCAN scanner .* nobody\$" || fail "stats table: $(ho stats)"
}

# events -f prints the event within a second of the limit being reached,
# and events lists it afterwards.
test_events_follow() {
	daemon_start -l 2
	nsenter --net="/run/netns/$C" "$B/halfopen" events -f -j >"$T/events.out" 2>&1 &
	PIDS+=($!)
	local follower=$!
	# following once its socket is connected (nsenter execs: same pid)
	wait_until 5 eval "ls -l /proc/$follower/fd 2>/dev/null | grep -q socket:" ||
		fail "events -f did not connect"
	local t0 t1
	t0=$(date +%s%N)
	conn_start a $PEER4 $DROP 5
	wait_until 5 grep -q '"limit":2' "$T/events.out" || fail "no event followed: $(cat "$T/events.out")"
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 1000 ] || fail "the event came after $(((t1 - t0) / 1000000)) ms"
	json_check "followed event" "d['top']['pid'] == $(conn_pid a) and d['top']['comm'] == 'hoconn' and
		d['queued'] == 3 and d['top']['queued'] == 3 and d['in_flight'] == 2" cat "$T/events.out"
	ho events | grep -q "limit 2 reached: 3 queued, 2 in flight; most by pid $(conn_pid a) (hoconn)" ||
		fail "events: $(ho events)"
}

# top in a terminal (tmux): totals, the graph, the process; s sorts, q quits.
test_top_in_tmux() {
	command -v tmux >/dev/null || skip "tmux is not installed"
	daemon_start -l 2
	CONN_COMM=scanner conn_start a $PEER4 $DROP 5
	local s=ho$$
	tmux -L "$s" new-session -d -x 80 -y 24 "nsenter --net=/run/netns/$C $B/halfopen top" ||
		fail "tmux"
	# shellcheck disable=SC2064
	trap "tmux -L $s kill-server 2>/dev/null; ns_cleanup" EXIT
	screen() { tmux -L "$s" capture-pane -p; }
	wait_until 5 eval 'screen | grep -q "scanner"' || fail "top screen: $(screen)"
	screen >"$T/screen1"
	grep -q "^halfopen top .* limit 2   in flight 2   queued 3 (held 3)" "$T/screen1" ||
		fail "totals: $(cat "$T/screen1")"
	grep -q "^in flight \[.*\] 2\$" "$T/screen1" || fail "graph: $(cat "$T/screen1")"
	grep -q "^queued    \[.*\] 3\$" "$T/screen1" || fail "graph: $(cat "$T/screen1")"
	grep -q " $(conn_pid a) scanner  *root  *2  *3 " "$T/screen1" || fail "row: $(cat "$T/screen1")"
	[ "$(awk '{ if (length($0) > 80) n++ } END { print n + 0 }' "$T/screen1")" = 0 ] ||
		fail "wider than 80 columns"
	grep -q "sort: active" "$T/screen1" || fail "sort label"
	tmux -L "$s" send-keys s
	wait_until 3 eval 'screen | grep -q "sort: attempts/s"' || fail "s did not change the sort"
	tmux -L "$s" send-keys q
	wait_until 3 eval '! tmux -L '"$s"' has-session 2>/dev/null' || fail "q did not quit"
}

test_top_batch_plain_text() {
	daemon_start -l 2
	conn_start a $PEER4 $DROP 3
	ho top -b -n 2 >"$T/top.out"
	expect_eq "$(grep -c '^halfopen top' "$T/top.out")" 2 "frames"
	grep -q $'\033' "$T/top.out" && fail "escape sequences in batch output"
	grep -q "^ *$(conn_pid a) hoconn .* 2  *1 " "$T/top.out" || fail "row: $(cat "$T/top.out")"
	local rc=0
	ho top -b -n 0 >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 2 "top -n 0"
}

# 1000 short-lived processes leave with attempts in flight and queued:
# counters balance, rows disappear, per-process counters age out, and the
# daemon's memory returns to its level.
test_short_lived_processes_leave_cleanly() {
	daemon_start -l 5 --stats-ttl 1
	run_batch() { # N processes, 10 at a time, each: 2 attempts to the dropping
		# peer and 1 to the accepting one, then exit at once
		local i j batch
		for ((i = 0; i < $1; i += 10)); do
			batch=()
			for ((j = 0; j < 10; j++)); do
				cx "$B/hoconn" $PEER4 $DROP 2 </dev/null >/dev/null &
				batch+=($!)
				cx "$B/hoconn" $PEER6 $ACCEPT 1 </dev/null >/dev/null &
				batch+=($!)
			done
			wait "${batch[@]}"
		done
	}
	rss() { awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status"; }
	run_batch 100
	wait_until 10 status_is in_flight 0 || fail "in flight after warm-up: $(ho -j status)"
	local before after
	before=$(rss)
	run_batch 1000
	wait_until 10 status_is in_flight 0 || fail "in flight: $(ho -j status)"
	wait_until 10 status_is queued 0 || fail "queued: $(ho -j status)"
	json_check "counters balance" "d['attempts'] == 3300 and
		d['held'] == 0 and
		d['attempts'] == d['established'] + d['refused'] + d['timed_out'] + d['closed'] + d['cancelled'] and
		d['queued_total'] == d['released'] + d['cancelled']" ho -j status
	json_check "no rows left" "d == []" ho ps -j
	# counters of the 2200 processes gone go after --stats-ttl (aged every 5 s)
	wait_until 15 eval "[ \"\$(ho -j stats --procs)\" = '{\"processes\":[]}' ]" ||
		fail "process counters did not age out: $(ho -j stats --procs | head -c 300)"
	# their cgroup keeps what they did (the daemon adds processes up per cgroup)
	json_check "the cgroup keeps the counts of processes aged out" \
		"sum(r['attempts'] for r in d['cgroups']) == 3300" ho -j stats --cgroups
	after=$(rss)
	[ "$after" -le $((before + 1024)) ] || fail "daemon RSS grew from $before KiB to $after KiB"
}

run_tests
