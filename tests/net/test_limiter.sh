#!/bin/bash
# The core limiter, measured on the wire in the peer namespace.
. "$(dirname "$0")/lib.sh"

# Limit L, M > L attempts (set "a") to ADDR's dropping port: exactly the first
# L in connect order reach the peer, also across TCP's first SYN
# retransmission (1 s), when retransmissions of the L in flight arrive and no
# new attempt may.
expect_exactly_limit_on_wire() { # ADDR L M
	capture_start
	daemon_start -l "$2"
	conn_start a "$1" $DROP "$3"
	wait_until 5 syn_count_ge "$2" || fail "the first $2 SYNs did not arrive"
	conn_ask a results 5 waitall 2500 >/dev/null
	expect_eq "$(syn_count)" "$2" "distinct SYNs on the wire"
	expect_eq "$(syn_ports | tr '\n' ' ')" "$(for ((i = 0; i < $2; i++)); do conn_port a $i; done | tr '\n' ' ')" \
		"the attempts let out"
	expect_eq "$(status_field queued)" $(($3 - $2)) "queued"
}

# The rest are queued, their SYNs held, and the event names the culprit.
test_limit_holds_exactly_L() {
	expect_exactly_limit_on_wire $PEER4 3 8
	expect_eq "$(status_field in_flight)" 3 "in_flight"
	expect_eq "$(status_field held)" 5 "held SYNs"
	expect_eq "$(status_field attempts)" 8 "attempts"
	# the event names the culprit, like Event 4226 never did
	local pid
	pid=$(cx pgrep -x hoconn)
	grep -q "event=4226 limit on concurrent outbound connection attempts (3) reached.*pid $pid (hoconn) uid 0" \
		"$T/daemon.log" || fail "no limit event naming hoconn: $(cat "$T/daemon.log")"
}

# Raising the limit lets the next queued attempts out at once, not on a
# retransmission (the first comes after 1 s).
test_raise_limit_releases_at_once() {
	capture_start
	daemon_start -l 2
	conn_start a $PEER4 $DROP 6
	wait_until 5 syn_count_ge 2 || fail "the first SYNs did not arrive"
	local t0 t2 t3
	t0=$(date +%s.%N)
	expect_eq "$(ho limit 4)" 4 "halfopen limit 4 prints the new limit"
	wait_until 5 syn_count_ge 4 || fail "raising the limit released nothing"
	t2=$(syn_time "$(conn_port a 2)")
	t3=$(syn_time "$(conn_port a 3)")
	awk -v a="$t0" -v b="$t2" -v c="$t3" 'BEGIN { exit !(b - a < 0.9 && c - a < 0.9) }' ||
		fail "released SYNs came late: $t2 $t3 after $t0"
	expect_eq "$(ho limit)" 4 "halfopen limit"
	expect_eq "$(status_field released)" 2 "released"
	conn_ask a results 5 waitall 1500 >/dev/null
	expect_eq "$(syn_count)" 4 "distinct SYNs after the raise"
}

# Closing in-flight sockets releases the queued attempts in FIFO order.
test_close_releases_fifo() {
	capture_start
	daemon_start -l 2
	conn_start a $PEER4 $DROP 6
	wait_until 5 syn_count_ge 2 || fail "the first SYNs did not arrive"
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 syn_count_ge 3 || fail "closing 0 released nothing"
	conn_ask a closed 5 close 1 >/dev/null
	wait_until 5 syn_count_ge 4 || fail "closing 1 released nothing"
	conn_ask a results 5 waitall 1500 >/dev/null
	expect_eq "$(syn_ports | tr '\n' ' ')" "$(for i in 0 1 2 3; do conn_port a $i; done | tr '\n' ' ')" \
		"SYN order"
	expect_eq "$(status_field queued)" 2 "queued"
	expect_eq "$(status_field closed)" 2 "closed in flight"
}

# A queued socket closed by its application never sends a SYN.
test_cancelled_never_sent() {
	capture_start
	daemon_start -l 1
	conn_start a $PEER4 $DROP 3
	wait_until 5 syn_count_ge 1 || fail "the first SYN did not arrive"
	conn_ask a closed 5 close 1 >/dev/null
	wait_until 5 status_is cancelled 1 || fail "cancel not counted"
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 syn_count_ge 2 || fail "closing 0 released nothing"
	conn_ask a results 5 waitall 1500 >/dev/null
	expect_eq "$(syn_ports | tr '\n' ' ')" "$(conn_port a 0) $(conn_port a 2) " "SYNs on the wire"
	expect_eq "$(status_field queued)" 0 "queued"
	expect_eq "$(status_field held)" 0 "held"
}

# Refused attempts free their slot at once: 20 through a limit of 2.
test_refused_frees_slot() {
	capture_start
	daemon_start -l 2
	conn_start a $PEER4 $REFUSE 20
	expect_eq "$(conn_ask a results 10 waitall 5000)" \
		"results connected=0 refused=20 failed=0 pending=0" "outcomes"
	wait_until 5 syn_count_ge 20 || fail "20 SYNs did not arrive: $(syn_count)"
	expect_eq "$(syn_count)" 20 "distinct SYNs"
	expect_eq "$(status_field refused)" 20 "refused"
	expect_eq "$(status_field in_flight)" 0 "in_flight"
	expect_eq "$(status_field queued)" 0 "queued"
}

# Under the limit no packet goes through userspace: the kernel queue's
# packet id sequence stays at 0 while 300 connections complete.
test_fast_path_stays_in_kernel() {
	daemon_start -l 10
	expect_eq "$(cx "$B/hoconn" -s $PEER4 $ACCEPT 300)" "ok 300 failed 0" "sequential connects"
	expect_eq "$(cx "$B/hoconn" -s $PEER6 $ACCEPT 100)" "ok 100 failed 0" "sequential IPv6 connects"
	local seq
	seq=$(cx awk '$1 == 4226 { print $8 }' /proc/net/netfilter/nfnetlink_queue)
	expect_eq "$seq" 0 "packets that went through NFQUEUE"
	expect_eq "$(status_field established)" 400 "established"
}

test_ipv6_same_limit() {
	expect_exactly_limit_on_wire $PEER6 2 5
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 syn_count_ge 3 || fail "closing 0 released nothing"
	expect_eq "$(syn_ports | tail -1)" "$(conn_port a 2)" "released attempt"
	expect_eq "$(status_field queued)" 2 "queued"
}

# Lowering the limit lets in-flight attempts finish and holds new ones.
test_lower_limit() {
	capture_start
	daemon_start -l 5
	conn_start a $PEER4 $DROP 5
	wait_until 5 syn_count_ge 5 || fail "5 SYNs did not arrive"
	expect_eq "$(ho limit 2)" 2 "new limit"
	conn_start b $PEER4 $DROP 1
	expect_eq "$(status_field queued)" 1 "queued after lowering"
	conn_ask a closed 5 close 0 >/dev/null
	conn_ask a closed 5 close 1 >/dev/null
	conn_ask a closed 5 close 2 >/dev/null
	# 2 in flight, limit 2: still held
	conn_ask b results 5 waitall 1200 >/dev/null
	expect_eq "$(syn_count)" 5 "SYNs while over the new limit"
	conn_ask a closed 5 close 3 >/dev/null
	wait_until 5 syn_count_ge 6 || fail "the held attempt was not released below the limit"
	expect_eq "$(syn_ports | tail -1)" "$(conn_port b 0)" "released attempt"
}

# unlimited releases everything and stops holding; default restores 10.
test_unlimited_and_default() {
	capture_start
	daemon_start -l 1
	conn_start a $PEER4 $DROP 4
	wait_until 5 syn_count_ge 1 || fail "the first SYN did not arrive"
	expect_eq "$(ho limit unlimited)" unlimited "limit unlimited"
	wait_until 5 syn_count_ge 4 || fail "unlimited did not release the queue"
	conn_start b $PEER4 $DROP 3
	wait_until 5 syn_count_ge 7 || fail "unlimited held new attempts"
	expect_eq "$(status_field in_flight)" 7 "in flight is still counted"
	expect_eq "$(ho -j limit)" '{"limit":"unlimited"}' "JSON limit"
	expect_eq "$(ho limit default)" 10 "limit default"
}

# A full queue drops the SYN (TCP sends it again) and counts it; the attempt
# keeps its place.
test_queue_bound() {
	capture_start
	daemon_start -l 1 -Q 2
	conn_start a $PEER4 $DROP 6
	wait_until 5 status_ge dropped 3 || fail "dropped: $(status_field dropped)"
	expect_eq "$(status_field held)" 2 "held"
	expect_eq "$(status_field queued)" 5 "queued"
	wait_until 5 syn_count_ge 1 || fail "the first SYN did not arrive"
	expect_eq "$(syn_count)" 1 "distinct SYNs"
}

test_sigterm_releases_held() {
	capture_start
	daemon_start -l 2
	conn_start a $PEER4 $DROP 2
	conn_start b $PEER4 $ACCEPT 3
	expect_eq "$(status_field queued)" 3 "queued"
	daemon_stop
	expect_eq "$DRC" 0 "exit status"
	expect_eq "$(conn_ask b results 5 waitall 900)" \
		"results connected=3 refused=0 failed=0 pending=0" "held attempts after SIGTERM"
	expect_eq "$(cx iptables -t raw -S | grep -c HALFOPEN)" 0 "iptables rules left"
	expect_eq "$(cx ip6tables -t raw -S | grep -c HALFOPEN)" 0 "ip6tables rules left"
	grep -q 'stopped' "$T/daemon.log" || fail "no stop line"
}

# SIGKILL fails open: held SYNs are dropped by the kernel and TCP's
# retransmission gets through; the next daemon cleans up and starts.
test_sigkill_fails_open() {
	daemon_start -l 2
	conn_start a $PEER4 $DROP 2
	conn_start b $PEER4 $ACCEPT 3
	expect_eq "$(status_field queued)" 3 "queued"
	kill -KILL "$DPID"
	expect_eq "$(conn_ask b results 10 waitall 8000)" \
		"results connected=3 refused=0 failed=0 pending=0" "held attempts after SIGKILL"
	expect_eq "$(cx "$B/hoconn" -s $PEER4 $ACCEPT 20)" "ok 20 failed 0" "new connects"
	# and a jump as daemons before 0.2 wrote it (every packet, no --syn)
	cx iptables -t raw -I OUTPUT 1 -j HALFOPEN
	daemon_start -l 2
	expect_eq "$(cx iptables -t raw -S OUTPUT | grep -c HALFOPEN)" 1 "jumps to HALFOPEN"
	cx iptables -t raw -S OUTPUT | grep -q -- "-p tcp .*--tcp-flags FIN,SYN,RST,ACK SYN -j HALFOPEN" ||
		fail "the jump is not for SYNs only: $(cx iptables -t raw -S OUTPUT)"
	expect_eq "$(status_field in_flight)" 0 "in flight after restart"
}

test_second_daemon_refused() {
	daemon_start -l 2
	local out rc=0
	out=$(cx "$B/halfopend" 2>&1) || rc=$?
	expect_eq "$rc" 1 "exit status of a second daemon"
	echo "$out" | grep -q "another halfopend (pid $DPID) is running" || fail "message: $out"
	expect_eq "$(status_field pid)" "$DPID" "the first daemon still serves"
	expect_eq "$(cx iptables -t raw -S | grep -c 'NFQUEUE')" 1 "rules intact"
}

# Loopback is never limited: nothing spreads over it, local IPC never waits.
test_loopback_exempt() {
	daemon_start -l 1
	conn_start a $PEER4 $DROP 2
	# nsenter execs hopeer: $! is the peer itself, so the cleanup ends it
	nsenter --net="/run/netns/$C" "$B/hopeer" 9000 >"$T/lo.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -q ready "$T/lo.out" || fail "loopback peer"
	expect_eq "$(cx "$B/hoconn" -s 127.0.0.1 9000 20)" "ok 20 failed 0" "IPv4 loopback"
	expect_eq "$(cx "$B/hoconn" -s ::1 9000 20)" "ok 20 failed 0" "IPv6 loopback"
	expect_eq "$(cx "$B/hoconn" -s ::ffff:127.0.0.1 9000 5)" "ok 5 failed 0" "mapped loopback"
	expect_eq "$(status_field attempts)" 2 "attempts counted"
}

# The kernel skips a tracing program that fires while it already runs on the
# same CPU: here thousands of attempts time out in timer softirqs while two
# clients connect flat out. Whatever the kernel skipped, the daemon repairs:
# nothing stays in flight or queued, and the counters balance.
test_skipped_ends_are_repaired() {
	cx sysctl -qw net.ipv4.tcp_syn_retries=1
	daemon_start -l 5
	cx "$B/hobench" rate $PEER4 $ACCEPT 6 4 >/dev/null &
	PIDS+=($!)
	local g
	# spread the expiries over ~2 s of timer ticks (load shaping, not a wait)
	for g in a b c d; do
		conn_start $g $PEER4 $DROP 4000
		sleep 0.5
	done
	for g in a b c d; do
		expect_eq "$(conn_ask $g results 10 waitall 8000)" \
			"results connected=0 refused=0 failed=4000 pending=0" "the attempts timed out"
	done
	wait_until 15 status_is in_flight 0 || fail "slots leaked: $(ho -j status) $(ho ps | head -8; cx ss -tanp state syn-sent | head -5; bpftool prog show name on_state | head -1)"
	wait_until 15 status_is queued 0 || fail "queue leaked: $(ho -j status)"
	echo "late SYNs: $(status_field late_syns), repaired: $(status_field repaired)"
	json() { ho -j status | python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
	expect_eq "$(json "d['attempts'] - d['established'] - d['timed_out'] - d['refused'] - d['closed'] - d['cancelled'] - d['repaired']")" 0 "balance"
	expect_eq "$(cx "$B/hoconn" -s $PEER4 $ACCEPT 20)" "ok 20 failed 0" "connects afterwards"
}

# The release path waits at real-time priority (--rt-priority, default 10);
# control requests run as an ordinary task; 0 turns it off.
test_release_path_runs_realtime() {
	daemon_start -l 2
	wait_until 5 eval 'chrt -p $DPID | grep -q "policy: SCHED_FIFO"' ||
		fail "not SCHED_FIFO: $(chrt -p $DPID)"
	chrt -p "$DPID" | grep -q "priority: 10" || fail "priority: $(chrt -p $DPID)"
	ho status >/dev/null
	chrt -p "$DPID" | grep -q "policy: SCHED_FIFO" || fail "not back to SCHED_FIFO after a request"
	daemon_stop
	daemon_start -l 2 --rt-priority 0
	ho status >/dev/null
	chrt -p "$DPID" | grep -q "policy: SCHED_OTHER" || fail "--rt-priority 0: $(chrt -p $DPID)"
}

# A blocking connect over the limit waits, then completes when released.
test_blocking_connect_waits() {
	daemon_start -l 1
	conn_start a $PEER4 $DROP 1
	cx "$B/hoconn" -s $PEER4 $ACCEPT 1 >"$T/blocking.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 status_is queued 1 || fail "the blocking connect was not queued: $(ho -j status)"
	[ -s "$T/blocking.out" ] && fail "the blocking connect returned while queued: $(cat "$T/blocking.out")"
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 grep -q 'ok 1 failed 0' "$T/blocking.out" || fail "blocking connect: $(cat "$T/blocking.out")"
}

# Attempts that time out free their slot; the kernel's SYN retry count is
# lowered in the client namespace so that it happens in about 3 s.
test_timeout_frees_slot() {
	cx sysctl -qw net.ipv4.tcp_syn_retries=1
	capture_start
	daemon_start -l 1
	conn_start a $PEER4 $DROP 1
	# queue time counts against the attempt's timeout: start the second
	# one 1.5 s later so that it outlives the first
	conn_ask a results 5 waitall 1500 >/dev/null
	conn_start b $PEER4 $DROP 1
	expect_eq "$(conn_ask b results 15 waitall 12000)" \
		"results connected=0 refused=0 failed=1 pending=0" "outcome"
	expect_eq "$(status_field timed_out)" 2 "timed out"
	expect_eq "$(status_field released)" 1 "released"
	expect_eq "$(syn_count)" 2 "distinct SYNs"
}

# every attempt of the test seen by the daemon: tracked (1 in flight, the rest queued) or not
all_seen() { [ $(($(status_field untracked) + $(status_field queued) + 1)) -ge "$1" ]; }

# A full attempt table fails open: what does not fit goes out, counted and logged.
test_tracked_table_full_fails_open() {
	local tracked untracked
	capture_start
	daemon_start -l 1 -T 64
	conn_start a $PEER4 $DROP 100
	wait_until 5 all_seen 100 || fail "not all seen: $(ho status)"
	# 64 in all: 32 cells (one process's cookies fill them one after the
	# other) and 32 in the hash; an attempt whose cell is taken once the
	# hash is full is let through, so a few less may be tracked
	tracked=$(($(status_field queued) + 1))
	untracked=$(status_field untracked)
	expect_eq "$((tracked + untracked))" 100 "tracked and untracked"
	[ "$tracked" -le 64 ] && [ "$tracked" -ge 56 ] || fail "tracked $tracked, not 56-64"
	wait_until 5 syn_count_ge $((untracked + 1)) ||
		fail "untracked attempts were held: $(syn_count) SYNs, $untracked untracked"
	wait_until 3 grep -q "attempt table full (64): $untracked attempts were let through" \
		"$T/daemon.log" || fail "no log line: $(cat "$T/daemon.log")"
	conn_ask a results 5 waitall 1500 >/dev/null
	expect_eq "$(syn_count)" $((untracked + 1)) "distinct SYNs"
}

# Without bpffs the daemon mounts it; without iptables it says so in one line.
test_environment_checks() {
	local out rc=0
	# started (at most 15 s, whatever the load), then stopped
	unshare -m sh -c "umount /sys/fs/bpf 2>/dev/null
		nsenter --net=/run/netns/$C $B/halfopend >'$T/bpffs.log' 2>&1 & p=\$!
		for i in \$(seq 150); do grep -qs started: '$T/bpffs.log' && break; sleep 0.1; done
		kill -TERM \$p; wait \$p" || true
	grep -q 'mounted bpffs' "$T/bpffs.log" || fail "bpffs: $(cat "$T/bpffs.log")"
	grep -q 'stopped' "$T/bpffs.log" || fail "bpffs: $(cat "$T/bpffs.log")"
	out=$(cx env PATH=/nonexistent "$B/halfopend" 2>&1) || rc=$?
	expect_eq "$rc" 1 "exit status without iptables"
	expect_eq "$out" "<3>iptables not found: install it (apt-get install iptables)" "message"
}

run_tests
