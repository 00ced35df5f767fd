#!/bin/bash
# Safety of the settings file and of names (issue 12, findings 6 to 12):
# --persist never loses, leaks or weakens anything; the file is never waited
# on; a policy's cgroup path round-trips through the file; transient policies
# and halfopen run touch only their own cgroups; JSON and metrics stay valid
# whatever bytes a cgroup name holds.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# `ho ARGS` must fail (exit 1) with a message holding TEXT; the file F and the
# limit stay as they were. Sets OUT.
persist_refused() { # FILE TEXT ARGS...
	local f=$1 text=$2 rc=0 limit
	shift 2
	cp -p "$f" "$T/before"
	limit=$(ho limit)
	OUT=$(ho "$@" 2>&1) || rc=$?
	expect_eq "$rc" 1 "exit of 'halfopen $*'"
	echo "$OUT" | grep -qF "$text" || fail "'halfopen $*' said: $OUT"
	cmp -s "$f" "$T/before" || fail "'halfopen $*' changed the file"
	expect_eq "$(ho limit)" "$limit" "limit after a refused --persist"
}

# 6: a file the loader would refuse is never rewritten (it was cut to 1 MiB,
# or at a NUL byte, and the rest lost, exit 0).
test_persist_refuses_what_the_loader_refuses() {
	local f=$T/h.conf
	printf 'limit 4\n' >"$f"
	daemon_start -f "$f"
	{
		echo 'limit 4'
		yes '# a long comment that makes the settings file larger than one mebibyte ....' |
			head -n 14000
		echo "policy user nobody limit 2"
	} >"$f"
	[ "$(stat -c %s "$f")" -gt 1048576 ] || fail "the file is not over 1 MiB"
	persist_refused "$f" "larger than 1048576 bytes" limit 5 --persist
	printf 'limit 4\n# \0\npolicy user nobody limit 2\n' >"$f"
	persist_refused "$f" "NUL byte" limit 5 --persist
	persist_refused "$f" "NUL byte" policy set user nobody limit 3 --persist
	printf 'limit 4\nlimt 6\n' >"$f"
	persist_refused "$f" "unknown setting 'limt'" limit 5 --persist
	# a file that loads is rewritten
	printf 'limit 4\n' >"$f"
	expect_eq "$(ho limit 5 --persist)" 5 "--persist on a good file"
	expect_eq "$(cat "$f")" "limit 5" "the file"
}

# 6: the file keeps its owner and mode; a symbolic link is neither followed
# nor replaced (it was replaced by a regular 0644 file).
test_persist_keeps_owner_mode_and_links() {
	local f=$T/h.conf
	printf 'limit 4\n' >"$f"
	chmod 0600 "$f"
	chown 65534:65534 "$f"
	daemon_start -f "$f"
	expect_eq "$(ho limit 5 --persist)" 5 "--persist"
	expect_eq "$(stat -c '%a %u %g' "$f")" "600 65534 65534" "mode and owner after --persist"
	expect_eq "$(cat "$f")" "limit 5" "the file"
	mv "$f" "$T/real.conf"
	ln -s real.conf "$f"
	persist_refused "$T/real.conf" "is a symbolic link" limit 6 --persist
	[ -L "$f" ] || fail "the link was replaced"
	# the loader refuses it too, and keeps the running settings
	kill -HUP "$DPID"
	wait_until 5 grep -q "h.conf: is a symbolic link.*keeping the running settings" \
		"$T/daemon.log" || fail "reload of a link: $(tail -3 "$T/daemon.log")"
	expect_eq "$(ho limit)" 5 "limit after reloading a link"
}

# Second review of issue 12: with only the systemd unit's capabilities
# (no CAP_FOWNER), --persist on a file another user owns failed: the mode was
# set after the owner. The daemon runs here with the unit's bounding set.
test_persist_with_the_units_capabilities() {
	local f=$T/h.conf caps
	printf 'limit 4\n' >"$f"
	chmod 0644 "$f" # readable: the unit has no CAP_DAC_OVERRIDE either
	chown 65534:65534 "$f"
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$ROOT/systemd/halfopend.service.in" |
		tr 'A-Z ' 'a-z\n' | sed 's/^cap_/+/' | paste -sd, -)
	[ -n "$caps" ] || fail "no CapabilityBoundingSet in the unit"
	nsenter --net="/run/netns/$C" setpriv --bounding-set "-all,$caps" "$B/halfopend" -f "$f" \
		>"$T/daemon.log" 2>&1 &
	DPID=$!
	PIDS+=($DPID)
	wait_until 10 grep -q 'started:' "$T/daemon.log" || fail "start: $(cat "$T/daemon.log")"
	[ "$(awk '/^CapEff/ { print $2 }' /proc/$DPID/status)" != "000001ffffffffff" ] ||
		fail "the daemon has every capability: the test would show nothing"
	expect_eq "$(ho limit 5 --persist)" 5 "--persist with the unit's capabilities"
	expect_eq "$(stat -c '%a %u %g' "$f")" "644 65534 65534" "mode and owner after --persist"
	expect_eq "$(cat "$f")" "limit 5" "the file"
}

# 6: the content of another file never reaches a client or the log (the
# error of --persist quoted the first line of the file the link named).
test_persist_never_echoes_another_file() {
	local f=$T/h.conf out
	printf 'limit 4\n' >"$f"
	daemon_start -f "$f"
	printf 'root:SECRET-HASH-7f3a:19000:0:99999:7:::\n' >"$T/shadow"
	chmod 0600 "$T/shadow"
	ln -sf "$T/shadow" "$f"
	persist_refused "$T/shadow" "is a symbolic link" limit 5 --persist
	echo "$OUT" | grep -q SECRET && fail "the client was told: $OUT"
	kill -HUP "$DPID"
	wait_until 5 grep -q "keeping the running settings" "$T/daemon.log" || fail "no reload error"
	out=$(cx "$B/halfopend" -n -f "$f" 2>&1) || true
	echo "$out" | grep -q "is a symbolic link" || fail "-n said: $out"
	grep -q SECRET "$T/daemon.log" && fail "the log quotes the other file: $(grep SECRET "$T/daemon.log")"
	echo "$out" | grep -q SECRET && fail "-n quotes the other file: $out"
	true
}

# 8: a FIFO as the settings file is refused at once: -n, start, SIGHUP and
# --persist (the daemon froze in open() on SIGHUP; -n hung).
test_fifo_settings_file() {
	local f=$T/h.conf rc out
	mkfifo "$T/fifo.conf"
	rc=0
	out=$(cx timeout 10 "$B/halfopend" -n -f "$T/fifo.conf" 2>&1) || rc=$?
	expect_eq "$rc" 1 "-n on a FIFO"
	echo "$out" | grep -q "fifo.conf: is a FIFO, not a regular file" || fail "-n said: $out"
	rc=0
	cx timeout 10 "$B/halfopend" -f "$T/fifo.conf" >"$T/d2.log" 2>&1 || rc=$?
	expect_eq "$rc" 1 "start on a FIFO"
	printf 'limit 4\n' >"$f"
	daemon_start -f "$f"
	rm "$f"
	mkfifo "$f"
	kill -HUP "$DPID"
	wait_until 5 grep -q "h.conf: is a FIFO, not a regular file; keeping the running settings" \
		"$T/daemon.log" || fail "reload of a FIFO: $(tail -3 "$T/daemon.log")"
	expect_eq "$(cx timeout 5 "$B/halfopen" limit)" 4 "the daemon answers after SIGHUP"
	rc=0
	out=$(cx timeout 5 "$B/halfopen" limit 5 --persist 2>&1) || rc=$?
	expect_eq "$rc" 1 "--persist to a FIFO"
	echo "$out" | grep -q "is a FIFO" || fail "--persist said: $out"
	[ -p "$f" ] || fail "the FIFO was replaced"
}

# 7: every cgroup path a policy takes can be persisted and read back the
# same; what the file cannot hold ('#' starts a comment) is refused.
test_cgroup_paths_round_trip() {
	local f=$T/h.conf hash odd rc out
	hash=$(make_cgroup 'a#b')
	odd=$(make_cgroup $'caf\xc3\xa9:x@y\\x2d')
	printf 'limit 4\n' >"$f"
	daemon_start -f "$f"
	rc=0
	out=$(ho policy set cgroup "$hash" limit 3 --persist 2>&1) || rc=$?
	expect_eq "$rc" 2 "policy set on a path with '#'"
	echo "$out" | grep -q "'#'" || fail "policy set said: $out"
	# halfopend checks it itself, whatever the command sent
	rc=0
	out=$(cx "$B/hoctl" policy-set "$hash" 3) || rc=$?
	expect_eq "$rc" 1 "'#' sent straight to halfopend"
	echo "$out" | grep -q "the settings file cannot hold it" || fail "halfopend said: $out"
	expect_eq "$(cat "$f")" "limit 4" "the file"
	# any other byte is kept as it is, through the file and a restart
	ho policy set cgroup "$odd" limit 3 --persist >/dev/null
	daemon_stop
	daemon_start -f "$f"
	out=$(ho -j policy list | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    print(p["name"], p["limit"])')
	expect_eq "$out" "$(printf '%s 3' "$odd")" "the policy after a restart"
}

# 9: a transient policy is only for halfopen run's cgroups (one on any cgroup
# was accepted, and its cgroup and empty parents removed when its owner went).
test_transient_policy_only_under_run() {
	local v rc out
	v=$(make_cgroup victim)
	mkdir "$CG_ROOT$v/sub"
	daemon_start
	for path in "$v/sub" "$v" /halfopen.run /halfopen.run/1/2; do
		rc=0
		out=$(cx "$B/hoctl" policy-set "$path" 3 transient) || rc=$?
		expect_eq "$rc" 1 "transient policy on $path"
		echo "$out" | grep -q "a transient policy is halfopen run's" || fail "halfopen said: $out"
	done
	expect_eq "$(ho -j policy list)" "[]" "policies"
	[ -d "$CG_ROOT$v/sub" ] || fail "the cgroup was removed"
}

# Run ARGS as the root of a new cgroup namespace at the test's cgroup $ISO, in
# a mount namespace whose cgroup2 mount shows only $ISO: what halfopen run
# makes there is this test's, whatever other tests run meanwhile.
in_iso() { # ARGS...
	[ -f "$T/iso.sh" ] || cat >"$T/iso.sh" <<'EOF'
cg=$1 mnt=$2
shift 2
echo $$ >"$cg/cgroup.procs" || exit 1
exec unshare -C -m --propagation private sh -c \
	'umount -l "$0" && mount -t cgroup2 none "$0" && exec "$@"' "$mnt" "$@"
EOF
	cx sh "$T/iso.sh" "$CG_ROOT$ISO" "$CG_ROOT" "$@"
}

# 10: halfopen run leaves nothing behind when halfopend is unreachable or
# refuses (an empty /halfopen.run stayed), or when a signal ends it before
# the command starts.
test_run_cleans_up_when_refused() {
	local rc out run
	[ -n "$CG_ROOT" ] || skip "no cgroup2 file system"
	ISO=$(make_cgroup iso)
	in_iso true || skip "no cgroup namespace here"
	rc=0
	out=$(in_iso "$B/halfopen" run -- true 2>&1) || rc=$?
	expect_eq "$rc" 1 "run with no halfopend"
	echo "$out" | grep -q "no halfopend is running" || fail "run said: $out"
	[ -e "$CG_ROOT$ISO/halfopen.run" ] && fail "left: $(find "$CG_ROOT$ISO/halfopen.run" -type d)"
	# a daemon outside the namespace knows no such cgroup: it refuses
	daemon_start
	rc=0
	out=$(in_iso "$B/halfopen" run -- true 2>&1) || rc=$?
	expect_eq "$rc" 1 "run refused by halfopend"
	echo "$out" | grep -q "no cgroup /halfopen.run/" || fail "run said: $out"
	[ -e "$CG_ROOT$ISO/halfopen.run" ] && fail "left: $(find "$CG_ROOT$ISO/halfopen.run" -type d)"
	expect_eq "$(ho -j policy list)" "[]" "policies"
	# a signal while it waits for halfopend (stopped) ends it, cleaned up
	kill -STOP "$DPID"
	in_iso "$B/halfopen" run -- true >"$T/run.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 test -d "$CG_ROOT$ISO/halfopen.run" || fail "run made no cgroup"
	run=$(head -1 "$CG_ROOT$ISO/cgroup.procs")
	kill -TERM "$run"
	wait_until 5 eval '! kill -0 "$run" 2>/dev/null' || fail "run still waits after SIGTERM"
	kill -CONT "$DPID"
	rc=0
	wait "${PIDS[-1]}" || rc=$?
	expect_eq "$rc" 143 "run stopped by SIGTERM before the command"
	[ -e "$CG_ROOT$ISO/halfopen.run" ] && fail "left: $(find "$CG_ROOT$ISO/halfopen.run" -type d)"
	true
}

# 11: names that are not UTF-8 are escaped: JSON and metrics stay valid for
# anyone who reads them (they were printed raw).
test_names_not_utf8_stay_valid() {
	local c
	[ -n "$CG_ROOT" ] || skip "no cgroup2 file system"
	c=$(make_cgroup $'bad\xff\xfename')
	daemon_start -l 1
	ho policy set cgroup "$c" limit 1 >/dev/null
	CONN_CGROUP=$c conn_start a $PEER4 $DROP 2
	wait_until 10 status_is queued 1 || fail "not queued: $(ho status)"
	wait_until 5 eval '[ -n "$(ho -j events)" ]' || fail "no limit event"
	for what in "-j stats" "-j ps" "-j policy list" "-j events"; do
		# shellcheck disable=SC2086
		cx "${NOBODY[@]}" "$B/halfopen" $what >"$T/out.json" || fail "halfopen $what as nobody"
		/usr/bin/python3 -c '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
try:
    json.loads(text)
except ValueError:  # events: a JSON object a line
    for line in text.splitlines():
        json.loads(line)
assert "bad\ufffd\ufffdname" in text, text' "$T/out.json" ||
			fail "halfopen $what: $(cat -v "$T/out.json")"
	done
	cx "${NOBODY[@]}" "$B/halfopen" metrics >"$T/metrics.txt" || fail "metrics as nobody"
	/usr/bin/python3 -c '
import sys
text = open(sys.argv[1], encoding="utf-8").read()
assert "cgroup=\"/halfopen-test-%s/bad\ufffd\ufffdname\"" % sys.argv[2] in text, text
assert "name=\"/halfopen-test-%s/bad\ufffd\ufffdname\"" % sys.argv[2] in text, text' \
		"$T/metrics.txt" $$ || fail "metrics: $(grep bad "$T/metrics.txt" | cat -v)"
	conn_cmd a quit
}

# 12: a line with only 'policy' says what it needs.
test_policy_line_alone() {
	local rc out
	printf 'limit 4\npolicy\n' >"$T/h.conf"
	rc=0
	out=$(cx "$B/halfopend" -n -f "$T/h.conf" 2>&1) || rc=$?
	expect_eq "$rc" 1 "-n of a lone policy line"
	echo "$out" | grep -q "h.conf:2:1: 'policy' needs a scope and a rule" || fail "-n said: $out"
}

run_tests
