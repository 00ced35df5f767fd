#!/bin/bash
# The socket interface for applications (halfopen(7)): getsockopt(SOL_HALFOPEN,
# HALFOPEN_INFO) answered by the daemon's cgroup/getsockopt program, and
# HALFOPEN_NOQUEUE's fail-fast connect(), checked on the wire in the peer.
. "$(dirname "$0")/lib.sh"

SOL_HALFOPEN=18511
HOLD=8083 # a second dropping port, opened up when a test wants its attempts to end

# Ask again and compare one field: a condition for wait_until.
info_is() { # NAME I FIELD VALUE
	conn_ask "$1" "info $2 " 5 info "$2" >/dev/null
	[ "$(info_field "$1" "$2" "$3")" = "$4" ]
}

# One slot of limit 1 held by an attempt to a dropping port: the next ones queue.
hold_the_slot() {
	capture_start
	daemon_start -l 1
	conn_start a $PEER4 $DROP 1
	wait_until 5 syn_count_ge 1 || fail "the first SYN did not arrive"
}

# A non-blocking connect over the limit reads queued with its position, then
# in flight once released (its SYN on the wire), then ended with the outcome.
test_queued_then_released_then_ended() {
	hold_the_slot
	peer_drop $HOLD
	sock_start s $PEER4 $HOLD
	local i
	for i in 0 1; do
		conn_ask s "opened $i " 5 open $i >/dev/null
		expect_eq "$(conn_ask s "connect $i " 5 connect $i | cut -d' ' -f3-4)" "-1 EINPROGRESS" "connect $i"
	done
	wait_until 5 status_is queued 2 || fail "not queued: $(ho -j status)"
	for i in 0 1; do
		conn_ask s "info $i " 5 info $i >/dev/null
		expect_eq "$(info_field s $i rc)" 0 "getsockopt of $i"
		expect_eq "$(info_field s $i state)" 2 "state of $i (queued)"
		expect_eq "$(info_field s $i position)" $((i + 1)) "position of $i"
		expect_eq "$(info_field s $i scope)" 1 "scope holding $i back (namespace)"
		expect_eq "$(info_field s $i limit)/$(info_field s $i in_flight)/$(info_field s $i queued)" \
			1/1/2 "limit/in flight/queued of the namespace"
		expect_eq "$(info_field s $i flags)" 2 "flags of $i (was queued)"
		expect_eq "$(info_field s $i size)/$(info_field s $i version)/$(info_field s $i len)" \
			64/1/64 "size/version/len"
	done
	# the holder gives its slot up: 0 goes out, 1 moves up
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 syn_count_ge 2 || fail "the released SYN did not arrive"
	wait_until 5 info_is s 0 state 1 || fail "0 is not in flight after its release: $(grep '^info 0' "$T/s.out" | tail -1)"
	expect_eq "$(info_field s 0 flags)" 2 "flags of 0 (was queued)"
	[ "$(info_field s 0 waited_ms)" -gt 0 ] || fail "0 waited 0 ms"
	wait_until 5 info_is s 1 position 1 || fail "1 did not move up: $(grep '^info 1' "$T/s.out" | tail -1)"
	expect_eq "$(info_field s 1 state)" 2 "state of 1 (queued)"
	# the peer starts refusing: 0's next SYN is answered by an RST
	px iptables -D INPUT -p tcp --dport $HOLD -j DROP
	wait_until 10 info_is s 0 state 4 || fail "0 did not end: $(grep '^info 0' "$T/s.out" | tail -1)"
	expect_eq "$(info_field s 0 outcome)" 2 "outcome of 0 (refused)"
	expect_eq "$(info_field s 0 flags)" 2 "flags of 0 after its end"
	# 1 took the freed slot; a socket that never connected is untracked
	wait_until 10 info_is s 1 state 4 || fail "1 did not end: $(grep '^info 1' "$T/s.out" | tail -1)"
	conn_ask s "opened 2 " 5 open 2 >/dev/null
	conn_ask s "info 2 " 5 info 2 >/dev/null
	expect_eq "$(info_field s 2 state)/$(info_field s 2 flags)" 0/0 "a socket never connected"
	# a short buffer gets the prefix it has room for; less than hi_size is EINVAL
	conn_ask s "info 0 " 5 info 0 12 >/dev/null
	expect_eq "$(info_field s 0 rc)/$(info_field s 0 len)/$(info_field s 0 size)/$(info_field s 0 state)" \
		0/12/12/4 "12 bytes asked"
	conn_ask s "get 0 " 5 get 0 $SOL_HALFOPEN 1 3 >/dev/null
	expect_eq "$(grep '^get 0 ' "$T/s.out" | tail -1 | cut -d' ' -f3)" "rc=-1" "3 bytes asked"
	grep '^get 0 ' "$T/s.out" | tail -1 | grep -q "errno=EINVAL" || fail "3 bytes: $(grep '^get 0 ' "$T/s.out")"
}

# A policy's limit holds an attempt back: the answer names the user or the
# cgroup (its id), with that policy's limit and counts, not the namespace's.
test_scope_of_a_user_and_a_cgroup_policy() {
	daemon_start -l 10
	local cg id
	ho policy set user nobody limit 1 >/dev/null
	SOCK_UID=65534 sock_start u $PEER4 $DROP
	cg=$(make_cgroup pol)
	ho policy set cgroup "$cg" limit 1 >/dev/null
	SOCK_CGROUP=$cg sock_start g $PEER4 $DROP
	id=$(stat -c %i "$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)$cg")
	local n
	for n in u g; do
		conn_ask $n "opened 0 " 5 open 0 >/dev/null
		conn_ask $n "opened 1 " 5 open 1 >/dev/null
		conn_ask $n "connect 0 " 5 connect 0 >/dev/null
		conn_ask $n "connect 1 " 5 connect 1 >/dev/null
		wait_until 5 info_is $n 1 state 2 || fail "$n: 1 not queued: $(tail -2 "$T/$n.out")"
		expect_eq "$(info_field $n 1 limit)/$(info_field $n 1 in_flight)/$(info_field $n 1 queued)" \
			1/1/1 "$n: the policy's limit/in flight/queued"
		conn_ask $n "info 0 " 5 info 0 >/dev/null
		expect_eq "$(info_field $n 0 state)/$(info_field $n 0 scope)/$(info_field $n 0 limit)" 1/0/10 \
			"$n: in flight: no scope, the namespace's limit"
	done
	expect_eq "$(info_field u 1 scope)/$(info_field u 1 scope_id)" 3/65534 "user policy: scope/uid"
	expect_eq "$(info_field g 1 scope)/$(info_field g 1 scope_id)" "2/$id" "cgroup policy: scope/cgroup id"
}

# A blocking connect in one thread is seen queued by another thread of the
# process, then established once released.
test_blocking_connect_seen_from_another_thread() {
	hold_the_slot
	sock_start s $PEER4 $ACCEPT
	conn_ask s "opened 0 " 5 open 0 >/dev/null
	conn_ask s "bconnect 0 " 5 bconnect 0 >/dev/null
	wait_until 5 info_is s 0 state 2 || fail "the blocked connect is not seen queued: $(tail -3 "$T/s.out")"
	expect_eq "$(info_field s 0 position)" 1 "position"
	grep -q '^bconnected' "$T/s.out" && fail "connect() returned while queued: $(cat "$T/s.out")"
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 grep -q '^bconnected 0 0 0' "$T/s.out" || fail "the blocking connect did not complete: $(cat "$T/s.out")"
	wait_until 5 info_is s 0 state 4 || fail "not ended: $(tail -1 "$T/s.out")"
	expect_eq "$(info_field s 0 outcome)" 1 "outcome (established)"
	expect_eq "$(info_field s 0 flags)" 2 "flags (was queued)"
}

# Any user reads the state of their own socket: an unprivileged Python
# program with plain socket.getsockopt (the example), queued, then let go.
test_unprivileged_reads_own_state() {
	hold_the_slot
	chmod 755 "$T"
	cp "$ROOT/examples/connect_info.py" "$T/"
	chmod 755 "$T/connect_info.py"
	cx setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 "$T/connect_info.py" \
		$PEER4 $ACCEPT >"$T/py.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -q '^halfopen: queued' "$T/py.out" || fail "python: $(cat "$T/py.out")"
	grep -q '^halfopen: queued, position 1, held back by the namespace limit 1 (1 in flight, 1 queued)' \
		"$T/py.out" || fail "python: $(cat "$T/py.out")"
	# its uid is nobody's, in ps too
	expect_eq "$(ho -j ps --state queued | grep -o '"uid":[0-9]*')" '"uid":65534' "ps: the queued attempt's uid"
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 grep -q '^halfopen: ended' "$T/py.out" || fail "python after release: $(cat "$T/py.out")"
}

# The same calls, answered by the kernel alone: other levels and options
# (IPv4 and IPv6, get and set), and with SOL_HALFOPEN once no daemon runs.
kernel_calls() { # NAME UNUSED OUT [all]
	local c
	for c in "get 0 $((SOL_HALFOPEN + 1)) 1 64" "get 0 $SOL_HALFOPEN 99 64" "get 0 $SOL_HALFOPEN 0 64" \
		"set 0 $((SOL_HALFOPEN + 1)) 1 1 4" "set 0 $SOL_HALFOPEN 99 1 4" "set 0 $SOL_HALFOPEN 0 1 4" \
		"get 0 6 1 4" "get 0 1 3 4" "get 0 0 2 4" ${4:+"get 0 $SOL_HALFOPEN 1 64" \
		"get 0 $SOL_HALFOPEN 2 4" "set 0 $SOL_HALFOPEN 2 1 4" "get 0 $SOL_HALFOPEN 1 64"}; do
		conn_ask "$1" "${c%% *} 0 " 5 "$c" >>"$3"
	done
}

test_other_levels_and_no_daemon_get_the_kernels_answer() {
	local fam
	for fam in 4 6; do
		local addr=$PEER4
		[ $fam = 6 ] && addr=$PEER6
		sock_start k$fam $addr $ACCEPT
		conn_ask k$fam "opened 0 " 5 open 0 >/dev/null
		kernel_calls k$fam $addr "$T/before$fam" all
	done
	grep -q "errno=EOPNOTSUPP\|errno=ENOPROTOOPT" "$T/before4" || fail "no kernel error to compare: $(cat "$T/before4")"
	daemon_start -l 1
	for fam in 4 6; do
		kernel_calls k$fam "" "$T/with$fam"
		head -n "$(wc -l <"$T/with$fam")" "$T/before$fam" >"$T/before$fam.part"
		diff "$T/before$fam.part" "$T/with$fam" >&2 || fail "IPv$fam: other levels and options changed with the daemon"
		# and SOL_HALFOPEN itself is answered
		conn_ask k$fam "info 0 " 5 info 0 >/dev/null
		expect_eq "$(info_field k$fam 0 rc)/$(info_field k$fam 0 version)" 0/1 "IPv$fam: HALFOPEN_INFO answered"
	done
	daemon_stop
	for fam in 4 6; do
		kernel_calls k$fam "" "$T/after$fam" all
		diff "$T/before$fam" "$T/after$fam" >&2 || fail "IPv$fam: the daemon stopped, SOL_HALFOPEN is not as without halfopen"
	done
	# a daemon told not to answer does not
	daemon_start -l 1 --socket-interface 0
	kernel_calls k4 "" "$T/off4" all
	diff "$T/before4" "$T/off4" >&2 || fail "socket-interface 0: SOL_HALFOPEN is not as without halfopen"
}

# Options of every other level reach the kernel's handler as the caller gave
# them: the setsockopt programs hand them on untouched (optlen 0, the
# caller's own buffer), short or long, read back with getsockopt.
test_setsockopt_values_reach_the_kernel() {
	local py='import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 12345)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 7))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"reno")
s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x28)
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([1] * 39 + [0]))
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
      struct.unpack("ii", s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)),
      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode(),
      s.getsockopt(socket.IPPROTO_IP, socket.IP_TOS),
      len(s.getsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, 40)))'
	local before
	before=$(cx /usr/bin/python3 -c "$py")
	expect_eq "$before" "24690 (1, 7) 1 reno 40 40" "the options without the daemon"
	daemon_start -l 1
	expect_eq "$(cx /usr/bin/python3 -c "$py")" "$before" "the options with the daemon"
	ho -j status >/dev/null || fail "the daemon does not answer"
}

# HALFOPEN_NOQUEUE: while the limit is full connect() fails at once with
# ENOBUFS, no SYN leaves, nothing is counted against anyone; with a free slot
# the same socket connects normally.
test_noqueue_fails_fast_then_connects() {
	hold_the_slot
	sock_start s $PEER4 $DROP
	sock_start v $PEER6 $DROP
	conn_ask s "opened 0 " 5 open 0 noqueue >/dev/null
	expect_eq "$(conn_ask s "get 0 " 5 get 0 $SOL_HALFOPEN 2 4 | cut -d' ' -f3-)" "rc=0 errno=0 len=4 hex=01000000" "HALFOPEN_NOQUEUE read back"
	expect_eq "$(conn_ask s "connect 0 " 5 connect 0 | cut -d' ' -f3-4)" "-1 ENOBUFS" "connect over the limit"
	conn_ask v "opened 0 " 5 open 0 noqueue >/dev/null
	expect_eq "$(conn_ask v "connect 0 " 5 connect 0 | cut -d' ' -f3-4)" "-1 ENOBUFS" "IPv6 connect over the limit"
	expect_eq "$(status_field failfast)" 2 "fail-fast refusals"
	expect_eq "$(status_field attempts)/$(status_field queued_total)/$(status_field queued)" 1/0/0 \
		"attempts/queued counted"
	conn_ask s "info 0 " 5 info 0 >/dev/null
	expect_eq "$(info_field s 0 state)/$(info_field s 0 flags)" 0/1 "refused: untracked, noqueue"
	# the limit event counts them
	wait_until 5 eval "ho -j events | grep -q '\"failfast\":2'" || fail "the limit event: $(ho -j events)"
	# per process, and in the metrics
	ho -j stats --procs | grep -q "\"pid\":$(pidof hosockopt | tr ' ' '\n' | sort -n | head -1),.*\"failfast\":1" ||
		ho -j stats --procs | grep -q '"failfast":1' || fail "stats: $(ho -j stats --procs)"
	ho metrics | grep -qx 'halfopen_failfast_total 2' || fail "metrics: $(ho metrics | grep failfast)"
	# a slot frees: the same socket connects, its SYN on the wire
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 status_is in_flight 0 || fail "the slot was not freed"
	expect_eq "$(conn_ask s "connect 0 " 5 connect 0 | cut -d' ' -f3-4)" "-1 EINPROGRESS" "connect with a free slot"
	wait_until 5 syn_count_ge 2 || fail "the noqueue attempt's SYN did not arrive"
	conn_ask s "info 0 " 5 info 0 >/dev/null
	expect_eq "$(info_field s 0 state)/$(info_field s 0 flags)" 1/1 "in flight, noqueue"
	ho ps | grep -q '^in-flight,noqueue ' || fail "ps: $(ho ps)"
	ho -j ps | grep -q '"noqueue":true' || fail "ps -j: $(ho -j ps)"
	# exactly two SYNs ever reached the peer: the holder's and this one
	expect_eq "$(syn_count)" 2 "SYNs on the wire"
	expect_eq "$(status_field attempts)/$(status_field failfast)" 2/2 "attempts/fail-fast"
	# the limit is full again: a plain socket still queues
	conn_ask s "opened 1 " 5 open 1 >/dev/null
	expect_eq "$(conn_ask s "connect 1 " 5 connect 1 | cut -d' ' -f3-4)" "-1 EINPROGRESS" "a plain connect"
	wait_until 5 status_is queued 1 || fail "the plain connect did not queue"
	# HALFOPEN_NOQUEUE 0 takes the wish back
	conn_ask s "opened 2 " 5 open 2 noqueue >/dev/null
	conn_ask s "set 2 " 5 set 2 $SOL_HALFOPEN 2 0 4 >/dev/null
	expect_eq "$(conn_ask s "connect 2 " 5 connect 2 | cut -d' ' -f3-4)" "-1 EINPROGRESS" "noqueue taken back"
	expect_eq "$(conn_ask s "set 2 " 5 set 2 $SOL_HALFOPEN 2 1 2 | cut -d' ' -f3-)" "rc=-1 errno=EINVAL" "optlen 2"
	expect_eq "$(syn_count)" 2 "SYNs on the wire at the end"
}

# storm_start PORT PER_PROCESS [close]: 4 processes each make PER_PROCESS
# non-blocking HALFOPEN_NOQUEUE connects to PORT and keep the sockets open
# until the test closes {STORM} (with "close": close each one at once); sets
# OK, NOBUFS and OTHER (connects in progress, refused at once, anything else).
storm_start() {
	cat >"$T/storm.py" <<'PY'
import errno, os, socket, sys
addr, port, level, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
close = sys.argv[5] == "close"
kids = []
for k in range(4):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        socks, res = [], [0, 0, 0]
        for i in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.setsockopt(level, 2, 1)
            try:
                s.connect((addr, port))
            except BlockingIOError:
                res[0] += 1
            except OSError as e:
                res[1 if e.errno == errno.ENOBUFS else 2] += 1
            if close:
                s.close()  # frees its slot: the others race for it
            else:
                socks.append(s)
        os.write(w, ("%d %d %d\n" % tuple(res)).encode())
        sys.stdin.read()  # the sockets stay open until the test is done
        os._exit(0)
    os.close(w)
    kids.append((pid, r))
tot = [0, 0, 0]
for pid, r in kids:
    tot = [a + int(b) for a, b in zip(tot, os.read(r, 100).decode().split())]
print("ok %d nobufs %d other %d" % tuple(tot), flush=True)
for pid, r in kids:
    os.waitpid(pid, 0)
PY
	mkfifo "$T/storm.in"
	cx /usr/bin/python3 "$T/storm.py" $PEER4 "$1" $SOL_HALFOPEN "$2" "${3:-keep}" <"$T/storm.in" >"$T/storm.out" 2>&1 &
	PIDS+=($!)
	exec {STORM}>"$T/storm.in"
	wait_until 30 grep -q '^ok' "$T/storm.out" || fail "storm: $(cat "$T/storm.out")"
	read -r _ OK _ NOBUFS _ OTHER <"$T/storm.out"
	expect_eq "$OTHER" 0 "other errors"
	expect_eq "$((OK + NOBUFS))" $((4 * $2)) "connects"
}

# Many HALFOPEN_NOQUEUE connects at once from several processes, to a peer
# that drops them: exactly the limit's worth on the wire; an attempt that
# passed the check in connect() but lost the last slot before its SYN is
# queued and counted (noqueue_lost), all others fail fast.
test_noqueue_storm_stays_exact() {
	capture_start
	daemon_start -l 5
	storm_start $DROP 200
	[ "$OK" -ge 5 ] || fail "only $OK of 800 connected"
	expect_eq "$(status_field failfast)" "$NOBUFS" "fail-fast counted"
	wait_until 5 status_is queued "$((OK - 5))" || fail "queued: $(ho -j status)"
	expect_eq "$(status_field noqueue_lost)" "$((OK - 5))" "lost the race: the ones queued"
	expect_eq "$(status_field queued_total)" "$((OK - 5))" "queued at all"
	wait_until 5 syn_count_ge 5 || fail "the 5 SYNs did not arrive"
	expect_eq "$(status_field in_flight)" 5 "in flight"
	expect_eq "$(syn_count)" 5 "SYNs on the wire (limit 5)"
	echo "storm: $OK connected, $((OK - 5)) of them queued after losing the race, $NOBUFS refused"
	exec {STORM}>&-
}

# The same with limit 2, each socket closed at once (in SYN_SENT: its slot
# frees): the 4 processes race for the slots all the time. Never more than
# the limit half-open on the wire (the certain count from the capture, a
# lower bound), every connect either an attempt or a refusal, no slot leaked,
# nothing queued but race losers.
test_noqueue_churn_stays_exact() {
	capture_start
	daemon_start -l 2
	storm_start $DROP 1000 close
	wait_until 10 status_is in_flight 0 || fail "in flight: $(ho -j status)"
	wait_until 10 status_is queued 0 || fail "queued: $(ho -j status)"
	expect_eq "$(status_field attempts)/$(status_field failfast)" "$OK/$NOBUFS" "attempts/fail-fast"
	expect_eq "$(status_field queued_total)" "$(status_field noqueue_lost)" "queued: only race losers"
	local out
	out=$(tcpdump -tt -S -n -r "$T/cap.pcap" 2>/dev/null | /usr/bin/python3 "$ROOT/tests/tools/wire_max.py")
	[ "${out#max }" != "$out" ] || fail "wire_max: $out"
	out=${out#max }
	[ "${out%% *}" -le 2 ] || fail "more than 2 half-open at once on the wire: $out"
	echo "churn: $OK attempts, $NOBUFS refused, $(status_field noqueue_lost) lost the race; wire max ${out%% *}"
	exec {STORM}>&-
}

# The examples compile against the installed header and run.
test_examples_run() {
	make -s -C "$ROOT" install DESTDIR="$T/root" PREFIX=/usr/local >/dev/null || fail "make install"
	[ -f "$T/root/usr/local/include/halfopen.h" ] || fail "halfopen.h not installed"
	cc -Wall -Wextra -Werror -I"$T/root/usr/local/include" -o "$T/connect_info" "$ROOT/examples/connect_info.c" ||
		fail "the C example does not compile against the installed header"
	hold_the_slot
	# queued, then released when the holder is closed meanwhile
	cx "$T/connect_info" $PEER4 $ACCEPT >"$T/c.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -q '^halfopen: queued' "$T/c.out" || fail "C example: $(cat "$T/c.out")"
	grep -q '^halfopen: queued, position 1, held back by the namespace limit 1' "$T/c.out" ||
		fail "C example: $(cat "$T/c.out")"
	conn_ask a closed 5 close 0 >/dev/null
	wait_until 5 grep -q '^halfopen: ended, established' "$T/c.out" || fail "C example after release: $(cat "$T/c.out")"
	# fail fast: the slot is taken again by a new holder
	conn_start b $PEER4 $DROP 1
	wait_until 5 status_is in_flight 1 || fail "no new holder"
	local rc=0
	cx "$T/connect_info" -n $PEER4 $ACCEPT >"$T/n.out" 2>&1 || rc=$?
	expect_eq "$rc" 3 "C example -n exit status"
	grep -q '^connect: refused at once' "$T/n.out" || fail "C example -n: $(cat "$T/n.out")"
	rc=0
	cx /usr/bin/python3 "$ROOT/examples/connect_info.py" -n $PEER4 $ACCEPT >"$T/p.out" 2>&1 || rc=$?
	expect_eq "$rc" 3 "Python example -n exit status"
	grep -q '^connect: refused at once' "$T/p.out" || fail "Python example -n: $(cat "$T/p.out")"
	# with no daemon both say so and connect normally
	daemon_stop
	cx "$T/connect_info" $PEER4 $ACCEPT >"$T/c2.out" 2>&1 || fail "C example without daemon: $(cat "$T/c2.out")"
	grep -q '^halfopen: no answer' "$T/c2.out" || fail "C example without daemon: $(cat "$T/c2.out")"
	cx /usr/bin/python3 "$ROOT/examples/connect_info.py" $PEER4 $ACCEPT >"$T/p2.out" 2>&1 ||
		fail "Python example without daemon: $(cat "$T/p2.out")"
	grep -q '^halfopen: no answer' "$T/p2.out" || fail "Python example without daemon: $(cat "$T/p2.out")"
}

run_tests
