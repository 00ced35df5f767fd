#!/bin/bash
# Policies: cgroup and user limits, exempt scopes, fair/fifo/rate release,
# halfopen policy, halfopen run, policies in the settings file. Every limit is
# checked on the wire, in the peer namespace.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

policy_json() { ho -j policy list; }

# A field of the policy of NAME in `halfopen -j policy list`.
policy_field() { # NAME FIELD
	policy_json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == sys.argv[1]:
        print(p[sys.argv[2]])' "$1" "$2"
}

policy_count() { policy_json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

test_cgroup_limits_hold_on_the_wire() {
	local a b
	a=$(make_cgroup a)
	b=$(make_cgroup b)
	peer_drop 8083
	daemon_start -l 100
	ho policy set cgroup "$a" limit 3 >/dev/null
	ho policy set cgroup "$b" limit 5 >/dev/null
	capture_start
	CONN_CGROUP=$a conn_start ca $PEER4 $DROP 20
	CONN_CGROUP=$b conn_start cb $PEER4 8083 20
	wait_until 10 status_is queued 32 || fail "expected 32 queued: $(ho status)"
	status_is in_flight 8 || fail "expected 8 in flight: $(ho status)"
	# each cgroup's SYNs on the wire: its own limit, not the namespace's
	wait_until 5 syn_count_to_is $DROP 3 || fail "cgroup a: $(syn_count_to $DROP) SYNs, limit 3"
	wait_until 5 syn_count_to_is 8083 5 || fail "cgroup b: $(syn_count_to 8083) SYNs, limit 5"
	expect_eq "$(policy_field "$a" in_flight)/$(policy_field "$a" queued)" 3/17 "cgroup a counts"
	expect_eq "$(policy_field "$b" in_flight)/$(policy_field "$b" queued)" 5/15 "cgroup b counts"
	ho top -b -n 1 >"$T/top.txt"
	grep -q "^policy cgroup limit 3  *in flight 3  *queued 17  *$a\$" "$T/top.txt" ||
		fail "top: $(cat "$T/top.txt")"
	# a slot of a frees: one more SYN of a, none of b
	conn_ask ca closed 5 close 0 >/dev/null
	wait_until 5 syn_count_to_is $DROP 4 || fail "after a close: $(syn_count_to $DROP) SYNs of a"
	expect_eq "$(syn_count_to 8083)" 5 "cgroup b after a's close"
	# the retransmissions of 1 s later bring no new attempt either
	wait_until 3 eval '[ "$(tcpdump -r "$T/cap.pcap" -n 2>/dev/null | grep -c "Flags \[S\],")" -gt 9 ]' ||
		fail "no SYN retransmission seen"
	expect_eq "$(syn_count_to $DROP)/$(syn_count_to 8083)" 4/5 "limits after retransmissions"
	# the event names the limit that was reached: cgroup a's, not the namespace's
	grep -q "event=4226 limit on concurrent outbound connection attempts of cgroup $a (3) reached" \
		"$T/daemon.log" || fail "event: $(grep event= "$T/daemon.log")"
	ho events | grep -q "limit 3 of cgroup $a reached" || fail "events: $(ho events)"
}

# A policy set while its cgroup has attempts in flight counts them at once.
test_new_policy_counts_what_is_in_flight() {
	local a i
	a=$(make_cgroup early)
	daemon_start -l 100
	capture_start
	CONN_CGROUP=$a conn_start early $PEER4 $DROP 10
	wait_until 5 status_is in_flight 10 || fail "expected 10 in flight: $(ho status)"
	ho policy set cgroup "$a" limit 3 >/dev/null
	expect_eq "$(policy_field "$a" in_flight)" 10 "in flight counted for the new policy"
	CONN_CGROUP=$a conn_start late $PEER4 $DROP 5
	wait_until 5 status_is queued 5 || fail "new attempts not held: $(ho status)"
	expect_eq "$(policy_field "$a" queued)" 5 "queued in the scope"
	# 7 of the early ones end: the scope is at 3, still full
	for i in 0 1 2 3 4 5 6; do
		conn_ask early closed 5 close $i >/dev/null
	done
	wait_until 5 eval '[ "$(policy_field "$a" in_flight)" = 3 ]' ||
		fail "scope count after closes: $(policy_field "$a" in_flight)"
	expect_eq "$(syn_count_to $DROP)" 10 "SYNs while the scope is full"
	# one more ends: exactly one of the late ones goes
	conn_ask early closed 5 close 7 >/dev/null
	wait_until 5 syn_count_to_is $DROP 11 || fail "after one more close: $(syn_count_to $DROP) SYNs"
	status_is queued 4 || fail "expected 4 still queued: $(ho status)"
}

test_exempt_never_held() {
	local e p
	e=$(make_cgroup exempt)
	p=$(make_cgroup plain)
	peer_drop 8083
	daemon_start -l 2
	ho policy set cgroup "$e" exempt >/dev/null
	capture_start
	CONN_CGROUP=$p conn_start plain $PEER4 $DROP 10
	CONN_CGROUP=$e conn_start ex $PEER4 8083 10
	wait_until 5 syn_count_to_is 8083 10 || fail "exempt: $(syn_count_to 8083) of 10 SYNs sent"
	wait_until 5 status_is queued 8 || fail "expected the 8 plain ones queued: $(ho status)"
	expect_eq "$(syn_count_to $DROP)" 2 "plain SYNs under the limit"
	expect_eq "$(status_field exempt_in_flight)" 10 "exempt in flight"
	expect_eq "$(policy_field "$e" in_flight)" 10 "exempt scope counts its attempts"
	# exempting a cgroup lets what it has queued go at once
	ho policy set cgroup "$p" exempt >/dev/null
	wait_until 5 syn_count_to_is $DROP 10 || fail "after exempting: $(syn_count_to $DROP) of 10"
	status_is queued 0 || fail "still queued: $(ho status)"
	expect_eq "$(status_field exempt_in_flight)" 18 "exempt in flight after"
}

test_user_limit() {
	peer_drop 8083
	peer_drop 8084
	daemon_start -l 100
	ho policy set user nobody limit 2 >/dev/null
	capture_start
	CONN_UID=$(id -u nobody) conn_start nob $PEER4 $DROP 10
	conn_start root $PEER4 8083 10
	wait_until 5 syn_count_to_is 8083 10 || fail "root: $(syn_count_to 8083) of 10"
	wait_until 5 status_is queued 8 || fail "expected 8 of nobody's queued: $(ho status)"
	expect_eq "$(syn_count_to $DROP)" 2 "nobody's SYNs"
	# uid 0 is a user like another: root's 10 count at once, its next attempt waits
	ho policy set user root limit 10 >/dev/null
	expect_eq "$(policy_field root in_flight)" 10 "root's attempts in flight"
	conn_start root2 $PEER4 8084 1
	wait_until 5 status_is queued 9 || fail "root's next attempt not held: $(ho status)"
	expect_eq "$(syn_count_to 8084)" 0 "root's SYNs over its limit"
	ho policy del user root
	# raising it applies to what is queued, at once
	ho policy set user nobody limit 6 >/dev/null
	wait_until 5 syn_count_to_is $DROP 6 || fail "after raising: $(syn_count_to $DROP) of 6"
	ho policy del user nobody
	wait_until 5 syn_count_to_is $DROP 10 || fail "after deleting: $(syn_count_to $DROP) of 10"
	status_is queued 0 || fail "still queued: $(ho status)"
}

# A scanner with 1000 queued attempts and one attempt of another cgroup:
# where does the other one's SYN come among those released after the slots free?
# Not run in $(...): the processes it starts must stay known to the cleanup.
fair_scenario() { # RELEASE-MODE; sets POS, the position of the other one's SYN
	local s v i
	s=$(make_cgroup scanner)
	v=$(make_cgroup other)
	daemon_start -l 4 --release "$1"
	capture_start
	conn_start block $PEER4 $DROP 4
	wait_until 5 status_is in_flight 4 || fail "blockers not in flight: $(ho status)"
	CONN_CGROUP=$s conn_start scan $PEER4 $REFUSE 1000
	CONN_CGROUP=$v conn_start other $PEER4 $ACCEPT 1
	wait_until 10 status_is queued 1001 || fail "expected 1001 queued: $(ho status)"
	for i in 0 1 2 3; do
		conn_cmd block close $i
	done
	conn_ask other result 20 wait 0 15000 | grep -q connected || fail "the other one did not connect"
	wait_until 20 status_is queued 0 || fail "queue did not drain: $(ho status)"
	wait_until 5 eval '[ "$(syn_dports | grep -c -x $REFUSE)" = 1000 ]' ||
		fail "capture has $(syn_dports | grep -c -x $REFUSE) of the scanner's 1000 SYNs"
	POS=$(syn_dports | grep -v -x $DROP | grep -n -x -m1 $ACCEPT | cut -d: -f1)
}

test_fair_release_does_not_starve() {
	fair_scenario fair
	[ -n "$POS" ] && [ "$POS" -le 2 ] || fail "fair: the other cgroup's SYN came as release $POS, not within 2"
	echo "fair: other cgroup released as number $POS of 1001"
}

test_fifo_release_keeps_global_order() {
	fair_scenario fifo
	expect_eq "$POS" 1001 "fifo: position of the other cgroup's SYN"
}

test_rate_mode() {
	local t rate i
	daemon_start -l 4 --release rate:50
	capture_start
	conn_start block $PEER4 $DROP 4
	wait_until 5 status_is in_flight 4 || fail "blockers not in flight: $(ho status)"
	conn_start burst $PEER4 $REFUSE 104
	wait_until 5 status_is queued 104 || fail "expected 104 queued: $(ho status)"
	for i in 0 1 2 3; do
		conn_cmd block close $i
	done
	wait_until 10 eval '[ "$(syn_count_to $REFUSE)" -ge 104 ]' || fail "only $(syn_count_to $REFUSE) of 104 released"
	# the pace of the releases after the first ones: 50 a second, within 10%
	t=$(tcpdump -tt -r "$T/cap.pcap" -n 2>/dev/null | awk '/Flags \[S\],/ { split($3, a, "."); if (!seen[a[length(a)]]++) print $1 }')
	rate=$(echo "$t" | awk 'NR == 10 { a = $1 } NR == 104 { b = $1 } END { printf "%.1f", 94 / (b - a) }')
	echo "rate: $rate releases a second (asked 50)"
	awk -v r="$rate" 'BEGIN { exit !(r >= 45 && r <= 55) }' || fail "rate $rate, not 50 within 10%"
}

test_policy_cli_checks() {
	local c rc out
	c=$(make_cgroup cli)
	daemon_start
	out=$(ho policy set cgroup "$c" limit 7)
	echo "$out" | grep -q "limit 7" || fail "set output: $out"
	rc=0
	out=$(cx setpriv --reuid=65534 --regid=65534 --clear-groups "$B/halfopen" policy set cgroup "$c" limit 9 2>&1) || rc=$?
	expect_eq "$rc" 1 "non-root set exit"
	echo "$out" | grep -q "only root" || fail "non-root: $out"
	rc=0
	out=$(cx setpriv --reuid=65534 --regid=65534 --clear-groups "$B/halfopen" run -- true 2>&1) || rc=$?
	expect_eq "$rc" 1 "non-root run exit"
	echo "$out" | grep -q "run needs root" || fail "non-root run: $out"
	for args in "group $c limit 1" "cgroup relative limit 1" "cgroup $c limit 0" \
		"user no-such-user-xyz limit 1" "cgroup $c" "cgroup $c limit 2 extra"; do
		rc=0
		# shellcheck disable=SC2086
		out=$(ho policy set $args 2>&1) || rc=$?
		expect_eq "$rc" 2 "exit of 'policy set $args'"
		expect_eq "$(echo "$out" | wc -l)" 1 "one message for '$args'"
	done
	rc=0
	out=$(ho policy set cgroup /no/such/cgroup-here limit 3 2>&1) || rc=$?
	expect_eq "$rc" 1 "missing cgroup exit"
	echo "$out" | grep -q "no cgroup /no/such/cgroup-here" || fail "missing cgroup: $out"
	rc=0
	ho policy del user nobody 2>/dev/null || rc=$?
	expect_eq "$rc" 1 "deleting a policy that is not there"
	# nothing of that changed anything
	expect_eq "$(policy_count)" 1 "policies"
	expect_eq "$(policy_field "$c" limit)" 7 "limit kept"
	ho policy list | grep -q "^cgroup  *$c  *limit 7" || fail "list: $(ho policy list)"
	ho policy del cgroup "$c"
	ho policy list | grep -q "no policies" || fail "list after del: $(ho policy list)"
}

test_config_policies() {
	local c conf rc out
	c=$(make_cgroup conf)
	conf=$T/h.conf
	printf 'limit 50\nrelease fifo\n# the torrent client\npolicy cgroup %s limit 4\npolicy user nobody exempt\n' "$c" >"$conf"
	cx "$B/halfopend" -n -f "$conf" | grep -q good || fail "good file not accepted"
	daemon_start -f "$conf"
	expect_eq "$(policy_count)" 2 "policies from the file"
	expect_eq "$(status_field release)" fifo "release from the file"
	# a bad line: -n says where, the daemon keeps what it has on SIGHUP
	printf 'limit 50\npolicy cgroup %s limit 4\npolicy user no-such-user-xyz limit 3\n' "$c" >"$T/bad.conf"
	rc=0
	out=$(cx "$B/halfopend" -n -f "$T/bad.conf" 2>&1) || rc=$?
	expect_eq "$rc" 1 "-n exit on a bad file"
	echo "$out" | grep -q "bad.conf:3:13: policy: unknown user 'no-such-user-xyz'" || fail "-n said: $out"
	cp "$T/bad.conf" "$conf"
	kill -HUP "$DPID"
	wait_until 5 grep -q "reload: .*bad\|reload: .*h.conf:3" "$T/daemon.log" || fail "no reload error logged: $(tail -3 "$T/daemon.log")"
	expect_eq "$(policy_count)" 2 "policies after a bad reload"
	# --persist writes the change so that a restart keeps it
	printf 'limit 50\npolicy cgroup %s limit 4\n' "$c" >"$conf"
	kill -HUP "$DPID"
	wait_until 5 eval '[ "$(policy_count)" = 1 ]' || fail "reload did not drop the user policy"
	ho policy set cgroup "$c" limit 9 --persist >/dev/null
	ho policy set user nobody limit 2 --persist >/dev/null
	grep -qx "policy cgroup $c limit 9" "$conf" || fail "not persisted: $(cat "$conf")"
	grep -qx "policy user nobody limit 2" "$conf" || fail "user not persisted: $(cat "$conf")"
	ho policy del user nobody --persist
	grep -q "nobody" "$conf" && fail "del not persisted: $(cat "$conf")"
	daemon_stop
	daemon_start -f "$conf"
	expect_eq "$(policy_field "$c" limit)" 9 "limit after restart"
	# a daemon refuses to start on a bad file
	cp "$T/bad.conf" "$conf"
	daemon_stop
	rc=0
	cx timeout 10 "$B/halfopend" -f "$conf" >"$T/d2.log" 2>&1 || rc=$?
	expect_eq "$rc" 1 "start on a bad file"
	grep -q "h.conf:3:13" "$T/d2.log" || fail "start error: $(cat "$T/d2.log")"
}

# Attempts queued, released, exempted, refused and closed while policies
# change under them: every count ends at 0.
test_scope_counts_balance() {
	local a c
	a=$(make_cgroup busy)
	daemon_start -l 6
	ho policy set cgroup "$a" limit 3 >/dev/null
	ho policy set user nobody limit 2 >/dev/null
	CONN_CGROUP=$a conn_start r0 $PEER4 $DROP 50
	CONN_CGROUP=$a conn_start r1 $PEER4 $REFUSE 1500
	CONN_CGROUP=$a CONN_UID=$(id -u nobody) conn_start r2 $PEER4 $ACCEPT 500
	conn_start r3 $PEER4 $REFUSE 1000
	wait_until 10 status_ge queued 2047 || fail "expected cgroup $a's 2047 queued: $(ho status)"
	ho policy set cgroup "$a" limit 5 >/dev/null
	ho policy del user nobody
	ho policy set user nobody limit 1 >/dev/null
	ho policy set cgroup "$a" exempt >/dev/null
	ho policy set cgroup "$a" limit 2 >/dev/null
	for c in r1 r2 r3; do
		conn_ask $c results 30 waitall 20000 | grep -q "pending=0" || fail "$c did not finish"
	done
	conn_cmd r0 quit
	wait_until 10 status_is queued 0 || fail "queued left: $(ho status)"
	wait_until 5 status_is in_flight 0 || fail "in flight left: $(ho status)"
	expect_eq "$(status_field exempt_in_flight)" 0 "exempt in flight left"
	expect_eq "$(policy_field "$a" in_flight)/$(policy_field "$a" queued)" 0/0 "cgroup counts"
	expect_eq "$(policy_field nobody in_flight)/$(policy_field nobody queued)" 0/0 "user counts"
	expect_eq "$(status_field attempts)" 3050 "attempts"
	status_ge queued_total 2047 || fail "too few queued: $(ho status)"
}

# halfopen run ARGS in the client namespace, its pid noted: /halfopen.run/PID
# is its cgroup. Other tests (or test suites) may run theirs meanwhile: only
# ours count as left over.
ho_run() { cx sh -c 'echo $$ >>"$0"; exec "$@"' "$T/runs" "$B/halfopen" run "$@"; }
run_leftovers() {
	local pid n=0
	while read -r pid; do
		[ -d "$CG_ROOT/halfopen.run/$pid" ] && n=$((n + 1))
	done < <(cat "$T/runs" 2>/dev/null)
	echo "$n"
}

test_run_limit_exit_and_cleanup() {
	local rc rpid
	[ -n "$CG_ROOT" ] || skip "no cgroup2 file system"
	daemon_start -l 100
	capture_start
	# the command's limit holds on the wire, stdin and stdout pass through
	echo "waitall 1500" | ho_run --limit 3 -- "$B/hoconn" $PEER4 $DROP 10 >"$T/run.out" 2>&1 ||
		fail "run failed: $(cat "$T/run.out")"
	grep -q "^results .*pending=10" "$T/run.out" || fail "run output: $(cat "$T/run.out")"
	expect_eq "$(syn_count_to $DROP)" 3 "SYNs of the command run with --limit 3"
	# exit status, also of a killed command, and nothing left behind
	rc=0
	ho_run -- sh -c 'exit 7' || rc=$?
	expect_eq "$rc" 7 "exit status"
	rc=0
	ho_run --exempt -- sh -c 'sleep 30 & kill -9 $$' || rc=$?
	expect_eq "$rc" 137 "status of a command killed by SIGKILL"
	expect_eq "$(run_leftovers)" 0 "cgroups left"
	expect_eq "$(policy_count)" 0 "policies left"
	# signals sent to halfopen run reach the command
	: >"$T/runs"
	ho_run -- sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done' >"$T/sig.out" &
	rpid=$!
	PIDS+=($rpid)
	wait_until 5 grep -q ready "$T/sig.out" || fail "the command did not start"
	kill -TERM "$(cat "$T/runs")"
	rc=0
	wait "$rpid" || rc=$?
	expect_eq "$rc" 42 "status after SIGTERM to halfopen run"
	expect_eq "$(run_leftovers)" 0 "cgroups left"
	rc=0
	ho_run --limit 0 -- true 2>/dev/null || rc=$?
	expect_eq "$rc" 2 "bad --limit"
	rc=0
	ho_run 2>/dev/null || rc=$?
	expect_eq "$rc" 2 "no command"
}

test_run_killed_is_cleaned_by_daemon() {
	local rpid run
	[ -n "$CG_ROOT" ] || skip "no cgroup2 file system"
	daemon_start
	ho_run --limit 2 -- sleep 60 &
	rpid=$!
	PIDS+=($rpid)
	wait_until 5 eval '[ "$(policy_count)" = 1 ]' || fail "no policy for the run"
	run=$(cat "$T/runs")
	kill -KILL "$run"
	wait "$rpid" 2>/dev/null || true
	# its command still runs, under its limit, until it ends
	expect_eq "$(policy_count)" 1 "policy while the command runs"
	xargs -r kill -KILL <"$CG_ROOT/halfopen.run/$run/cgroup.procs"
	wait_until 5 eval '[ "$(policy_count)" = 0 ]' || fail "policy not removed: $(ho policy list)"
	wait_until 5 eval '[ "$(run_leftovers)" = 0 ]' || fail "cgroup not removed"
}

run_tests
