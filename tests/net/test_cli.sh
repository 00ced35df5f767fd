#!/bin/bash
# The command line: bad input is refused with one clear message and changes
# nothing; only root changes the limit; anyone reads it.
. "$(dirname "$0")/lib.sh"

test_bad_limits_change_nothing() {
	daemon_start -l 7
	local v out rc
	for v in 0 1000001 -1 10x '' ' 5' +5 abc 99999999999999999999 unlimitedx; do
		rc=0
		out=$(ho limit "$v" 2>&1) || rc=$?
		expect_eq "$rc" 2 "exit status for limit '$v'"
		expect_eq "$(echo "$out" | wc -l)" 1 "one line of message for '$v'"
		echo "$out" | grep -q "invalid limit" || fail "message for '$v': $out"
	done
	rc=0
	ho limit 5 6 >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 2 "two values"
	rc=0
	ho bogus >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 2 "unknown command"
	expect_eq "$(ho limit)" 7 "limit after bad input"
	expect_eq "$(ho limit 1000000)" 1000000 "the largest limit"
	expect_eq "$(ho limit 1)" 1 "the smallest limit"
}

test_only_root_changes_the_limit() {
	daemon_start -l 7
	local out rc=0
	out=$(cx setpriv --reuid=65534 --regid=65534 --clear-groups "$B/halfopen" limit 20 2>&1) || rc=$?
	expect_eq "$rc" 1 "exit status as nobody"
	echo "$out" | grep -q "only root may change the limit" || fail "message: $out"
	expect_eq "$(cx setpriv --reuid=65534 --regid=65534 --clear-groups "$B/halfopen" limit)" 7 \
		"nobody reads the limit"
	expect_eq "$(ho limit)" 7 "limit unchanged"
	grep -q "limit changed" "$T/daemon.log" && fail "the daemon logged a change"
	return 0
}

test_status_json_and_text() {
	daemon_start -l 4
	ho -j status | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["limit"]==4 and d["queued"]==0, d' ||
		fail "JSON status"
	ho status -j | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "status -j"
	ho status | grep -q '^limit *4 (release fair, 0 policies)$' || fail "text status: $(ho status)"
}

test_no_daemon() {
	local out rc=0
	out=$(ho status 2>&1) || rc=$?
	expect_eq "$rc" 1 "exit status without a daemon"
	expect_eq "$out" "halfopen: no halfopend is running in this network namespace" "message"
}

test_daemon_bad_arguments() {
	local a out rc
	for a in "-l 0" "-l x" "-Q 0" "--queue-num 70000" "--bogus" "extra"; do
		rc=0
		# shellcheck disable=SC2086
		out=$(cx "$B/halfopend" $a 2>&1) || rc=$?
		expect_eq "$rc" 2 "exit status for '$a'"
		echo "$out" | head -1 | grep -q 'halfopend' || fail "message for '$a': $out"
	done
	expect_eq "$(cx iptables -t raw -S | grep -c HALFOPEN)" 0 "rules after bad arguments"
}

test_daemon_needs_root() {
	local out rc=0
	out=$(cx setpriv --reuid=65534 --regid=65534 --clear-groups "$B/halfopend" 2>&1) || rc=$?
	expect_eq "$rc" 1 "exit status as nobody"
	expect_eq "$(echo "$out" | wc -l)" 1 "one line"
	echo "$out" | grep -q "must run as root" || fail "message: $out"
}

run_tests
