#!/bin/bash
# halfopen as a system service: settings file, systemd, install, manuals,
# metrics, completion.
. "$(dirname "$0")/lib.sh"

test_config_file() {
	local f=$T/h.conf out rc
	printf '# test\nlimit 4   # four\nevent-interval 30\n' >"$f"
	expect_eq "$(cx "$B/halfopend" -n -f "$f")" "halfopend: $f: good" "check of a good file"
	printf 'limit 4\nqueue-max 12x\n' >"$T/bad.conf"
	rc=0
	out=$(cx "$B/halfopend" -n -f "$T/bad.conf" 2>&1) || rc=$?
	expect_eq "$rc" 1 "check of a bad file"
	expect_eq "$out" "<3>$T/bad.conf:2:11: invalid queue-max '12x': give 1..1048576" "message"
	rc=0
	out=$(cx "$B/halfopend" -f "$T/missing.conf" 2>&1) || rc=$?
	expect_eq "$rc" 1 "a missing file named with -f"
	# a bad file: no start, nothing installed
	rc=0
	cx "$B/halfopend" -f "$T/bad.conf" >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 1 "start with a bad file"
	expect_eq "$(cx iptables -t raw -S | grep -c HALFOPEN)" 0 "rules after a refused start"

	daemon_start -f "$f"
	expect_eq "$(ho limit)" 4 "limit from the file"
	# SIGHUP applies a changed file
	sed -i 's/^limit 4/limit 7/' "$f"
	kill -HUP "$DPID"
	wait_until 5 eval '[ "$(ho limit)" = 7 ]' || fail "reload: $(ho limit)"
	grep -q 'reload: limit 4 -> 7' "$T/daemon.log" || fail "no reload line"
	# a bad file on SIGHUP keeps the running settings and says why
	echo 'limit 0' >>"$f"
	kill -HUP "$DPID"
	wait_until 5 grep -q "keeping the running settings" "$T/daemon.log" || fail "no refusal logged"
	grep -q "$f:4:1: 'limit' is set twice (first on line 2); keeping" "$T/daemon.log" ||
		fail "refusal: $(grep reload "$T/daemon.log")"
	expect_eq "$(ho limit)" 7 "limit after a bad reload"
	sed -i '$d' "$f"
	# --persist writes the file atomically, keeping its comments; non-root cannot
	rc=0
	cx setpriv --reuid=65534 --regid=65534 --clear-groups "$B/halfopen" limit 3 --persist \
		>/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 1 "--persist as nobody"
	expect_eq "$(ho limit 9 --persist)" 9 "limit 9 --persist"
	expect_eq "$(sed -n 2p "$f")" "limit 9   # four" "the persisted line"
	[ -z "$(ls "$T" | grep 'h.conf.tmp')" ] || fail "temporary file left"
	daemon_stop
	# it survives a restart; the command line wins over the file
	daemon_start -f "$f"
	expect_eq "$(ho limit)" 9 "limit after restart"
	daemon_stop
	daemon_start -f "$f" -l 6
	expect_eq "$(ho limit)" 6 "command line over the file"
}

# systemd's readiness protocol: READY=1 once rules and programs are in
# place, STATUS= with the live numbers, STOPPING=1 on the way out.
test_sd_notify() {
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
out = open(sys.argv[2], "a")
end = time.time() + 20
while time.time() < end:
    try:
        m = s.recv(4096).decode()
    except socket.timeout:
        break
    out.write(m.replace("\n", "|") + "\n")
    out.flush()
    if "STOPPING=1" in m:
        break
' "$T/notify.sock" "$T/notify.log" &
	PIDS+=($!)
	wait_until 5 test -S "$T/notify.sock" || fail "no notify socket"
	NOTIFY_SOCKET=$T/notify.sock daemon_start -l 3
	wait_until 5 grep -q '^READY=1|STATUS=limit 3, 0 in flight, 0 queued' "$T/notify.log" ||
		fail "READY: $(cat "$T/notify.log")"
	expect_eq "$(cx iptables -t raw -S | grep -c NFQUEUE)" 1 "rules in place when ready"
	conn_start a $PEER4 $DROP 5
	wait_until 5 grep -q '^STATUS=limit 3, 3 in flight, 2 queued' "$T/notify.log" ||
		fail "STATUS: $(cat "$T/notify.log")"
	daemon_stop
	wait_until 5 grep -q '^STOPPING=1' "$T/notify.log" || fail "STOPPING: $(cat "$T/notify.log")"
}

test_systemd_unit_verifies() {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	local out
	sed "s|@SBINDIR@|$B|g" "$ROOT/systemd/halfopend.service.in" >"$T/halfopend.service"
	out=$(systemd-analyze verify --man=no "$T/halfopend.service" 2>&1) ||
		fail "systemd-analyze verify: $out"
	expect_eq "$out" "" "systemd-analyze verify says nothing"
	grep -q '^Type=notify$' "$T/halfopend.service" || fail "Type=notify"
	grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$T/halfopend.service" || fail "ExecReload"
	grep -q '^CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_NICE CAP_CHOWN$' \
		"$T/halfopend.service" || fail "capabilities"
	# review of issue 12, finding 5: the daemon removes the cgroups of halfopen
	# run (cgroupfs must be writable), --persist gives a file back to root
	# (CAP_CHOWN) and makes /etc/halfopen when it is missing
	grep -q '^ProtectControlGroups=yes' "$T/halfopend.service" && fail "cgroupfs read-only"
	grep -q '^ConfigurationDirectory=halfopen$' "$T/halfopend.service" || fail "/etc/halfopen"
	grep -q '^ReadWritePaths=.*/etc/halfopen' "$T/halfopend.service" &&
		fail "/etc/halfopen in ReadWritePaths: ignored when missing"
	true
}

test_install_uninstall() {
	local d=$T/root
	make -s -C "$ROOT" install DESTDIR="$d" PREFIX=/usr >/dev/null
	(cd "$d" && find . -type f | sort) >"$T/files"
	expect_eq "$(tr '\n' ' ' <"$T/files")" "./etc/halfopen/halfopen.conf.example \
./usr/bin/halfopen ./usr/include/halfopen.h ./usr/lib/systemd/system/halfopend.service ./usr/sbin/halfopend \
./usr/share/bash-completion/completions/halfopen ./usr/share/bash-completion/completions/halfopend \
./usr/share/doc/halfopen/halfopen.conf.example ./usr/share/man/man5/halfopen.conf.5 \
./usr/share/man/man7/halfopen.7 ./usr/share/man/man8/halfopen.8 ./usr/share/man/man8/halfopend.8 " \
		"installed files"
	grep -q '^ExecStart=/usr/sbin/halfopend$' "$d/usr/lib/systemd/system/halfopend.service" ||
		fail "ExecStart follows PREFIX"
	# the example is a good settings file
	cx "$d/usr/sbin/halfopend" -n -f "$d/etc/halfopen/halfopen.conf.example" >/dev/null ||
		fail "the example does not check"
	make -s -C "$ROOT" uninstall DESTDIR="$d" PREFIX=/usr >/dev/null
	expect_eq "$(find "$d" -type f | wc -l)" 0 "files left after uninstall"
}

# Every option and command is in the manual, and the manuals render cleanly.
test_man_pages() {
	local p opt out
	for p in halfopen.8 halfopend.8 halfopen.conf.5 halfopen.7; do
		out=$(MANWIDTH=80 man -l "$B/man/$p" 2>&1 >"$T/$p.txt") || fail "man $p"
		expect_eq "$out" "" "warnings rendering $p"
	done
	for opt in $("$B/halfopend" --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "$opt" "$T/halfopend.8.txt" || fail "halfopend(8) lacks $opt"
	done
	for opt in $(sed -n 's/^  \([a-z-]*\) [^=]*$/\1/p; s/^  \([a-z]*\)$/\1/p' <("$B/halfopen" --help)); do
		grep -q -- "$opt" "$T/halfopen.8.txt" || fail "halfopen(8) lacks $opt"
	done
	for opt in limit queue-max tracked-max queue-num event-interval stats-ttl metrics-port rt-priority release policy; do
		grep -q "^       $opt" "$T/halfopen.conf.5.txt" || fail "halfopen.conf(5) lacks $opt"
	done
}

test_bash_completion() {
	local bc=/usr/share/bash-completion/bash_completion out
	[ -r $bc ] || skip "bash-completion is not installed"
	out=$(bash -c ". $bc; . $ROOT/completion/halfopen.bash
		COMP_WORDS=(halfopen st); COMP_CWORD=1; COMP_LINE='halfopen st'; COMP_POINT=11
		_halfopen; echo \${COMPREPLY[*]}")
	expect_eq "$out" "status stats" "completion of 'halfopen st'"
	out=$(bash -c ". $bc; . $ROOT/completion/halfopen.bash
		COMP_WORDS=(halfopen ps --state ''); COMP_CWORD=3; COMP_LINE='halfopen ps --state '
		COMP_POINT=20; _halfopen; echo \${COMPREPLY[*]}")
	expect_eq "$out" "in-flight queued" "completion of ps --state"
	out=$(bash -c ". $bc; . $ROOT/completion/halfopen.bash
		COMP_WORDS=(halfopend --li); COMP_CWORD=1; COMP_LINE='halfopend --li'; COMP_POINT=14
		_halfopend; echo \${COMPREPLY[*]}")
	expect_eq "$out" "--limit" "completion of halfopend --li"
	out=$(bash -c ". $bc; . $ROOT/completion/halfopen.bash
		COMP_WORDS=(halfopen policy set ''); COMP_CWORD=3; COMP_LINE='halfopen policy set '
		COMP_POINT=20; _halfopen; echo \${COMPREPLY[*]}")
	expect_eq "$out" "cgroup user" "completion of policy set"
	out=$(bash -c ". $bc; . $ROOT/completion/halfopen.bash
		COMP_WORDS=(halfopen pardon ''); COMP_CWORD=2; COMP_LINE='halfopen pardon '
		COMP_POINT=16; _halfopen; echo \${COMPREPLY[*]}")
	expect_eq "$out" "pid cgroup user" "completion of pardon"
	out=$(bash -c ". $bc; . $ROOT/completion/halfopen.bash
		COMP_WORDS=(halfopend --mode ''); COMP_CWORD=2; COMP_LINE='halfopend --mode '
		COMP_POINT=17; _halfopend; echo \${COMPREPLY[*]}")
	expect_eq "$out" "contain original" "completion of halfopend --mode"
}

# halfopen metrics and the HTTP endpoint pass promtool, with the live numbers.
test_metrics() {
	command -v promtool >/dev/null || skip "promtool (package prometheus) is not installed"
	local cg
	cg=$(make_cgroup web)
	daemon_start -l 2 --metrics-port 9426
	ho policy set cgroup "$cg" limit 4 >/dev/null
	CONN_CGROUP=$cg conn_start a $PEER4 $DROP 5
	ho metrics >"$T/m.txt"
	promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1 ||
		fail "promtool: $(cat "$T/promtool.out")"
	grep -q '^halfopen_in_flight 2$' "$T/m.txt" || fail "in flight: $(cat "$T/m.txt")"
	grep -q '^halfopen_queued 3$' "$T/m.txt" || fail "queued"
	grep -q '^halfopen_attempts_total 5$' "$T/m.txt" || fail "attempts"
	grep -q "^halfopen_cgroup_queued{cgroup=\"$cg\"} 3\$" "$T/m.txt" || fail "cgroup gauge"
	grep -q "^halfopen_policy_in_flight{scope=\"cgroup\",name=\"$cg\"} 2\$" "$T/m.txt" ||
		fail "policy gauge: $(grep policy "$T/m.txt")"
	grep -q "^halfopen_policy_limit{scope=\"cgroup\",name=\"$cg\"} 4\$" "$T/m.txt" || fail "policy limit"
	cx python3 -c '
import sys, urllib.request, urllib.error
print(urllib.request.urlopen("http://127.0.0.1:9426/metrics", timeout=5).read().decode(), end="")
try:
    urllib.request.urlopen("http://127.0.0.1:9426/", timeout=5)
except urllib.error.HTTPError as e:
    sys.stderr.write("status %d\n" % e.code)
' >"$T/http.txt" 2>"$T/http.err" || fail "HTTP: $(cat "$T/http.err")"
	promtool check metrics <"$T/http.txt" >"$T/promtool.out" 2>&1 ||
		fail "promtool over HTTP: $(cat "$T/promtool.out")"
	grep -q '^halfopen_queued 3$' "$T/http.txt" || fail "HTTP queued: $(head "$T/http.txt")"
	grep -q "^halfopen_policy_queued{scope=\"cgroup\",name=\"$cg\"} 3\$" "$T/http.txt" ||
		fail "HTTP policy gauge"
	expect_eq "$(cat "$T/http.err")" "status 404" "other paths"
	# bound to loopback only
	cx ss -ltn | grep -q '127.0.0.1:9426' || fail "not on 127.0.0.1"
}

run_tests
