# shellcheck shell=bash
# Namespace test harness for halfopen; sourced by tests/net/test_*.sh.
#
# Each test function runs in a subshell with two fresh network namespaces:
#   client ($C): where halfopend runs, 10.42.0.1/24 and fd42::1/64
#   peer   ($P): 10.42.0.2/24 and fd42::2/64, with
#     port 8080  accepting (tests/tools/hopeer)
#     port 8081  refusing  (nothing listens: RST)
#     port 8082  dropping  (iptables/ip6tables DROP of incoming SYNs)
# Traffic never leaves these namespaces. An EXIT trap kills every process the
# test started and deletes its namespaces, whether the test passed or not.
# Exit 77 from a test means skipped (a kernel feature is absent).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$ROOT/build
ACCEPT=8080
REFUSE=8081
DROP=8082
PEER4=10.42.0.2
PEER6=fd42::2

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

expect_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

cx() { nsenter --net="/run/netns/$C" "$@"; }
px() { nsenter --net="/run/netns/$P" "$@"; }

# Poll CMD until it succeeds, at most SECONDS (in tenths). Never sleeps blindly.
wait_until() { # SECONDS CMD...
	local tenths=$(($1 * 10)) i
	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

ns_setup() {
	local id=$$.$RANDOM
	C=hoc$id
	P=hop$id
	T=$(mktemp -d /tmp/halfopen-test.XXXXXX)
	PIDS=()
	ip netns add "$C"
	ip netns add "$P"
	ip link add "c$id" netns "$C" type veth peer name "p$id" netns "$P"
	ip -n "$C" link set lo up
	ip -n "$P" link set lo up
	ip -n "$C" link set "c$id" name veth0
	ip -n "$P" link set "p$id" name veth0
	ip -n "$C" addr add 10.42.0.1/24 dev veth0
	ip -n "$P" addr add 10.42.0.2/24 dev veth0
	ip -n "$C" -6 addr add fd42::1/64 dev veth0 nodad
	ip -n "$P" -6 addr add fd42::2/64 dev veth0 nodad
	ip -n "$C" link set veth0 up
	ip -n "$P" link set veth0 up
	px iptables -A INPUT -p tcp --dport $DROP -j DROP
	px ip6tables -A INPUT -p tcp --dport $DROP -j DROP
	nsenter --net="/run/netns/$P" "$B/hopeer" $ACCEPT >"$T/peer.out" 2>&1 &
	PIDS+=($!)
	wait_until 5 grep -qs ready "$T/peer.out" || fail "peer did not start"
}

ns_cleanup() {
	local rc=$?
	set +e
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# the cgroups of make_cgroup, and whatever still runs in them
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -n "$root" ] && [ -d "$root/halfopen-test-$$" ]; then
		# deepest first: a test may nest cgroups
		while read -r p; do
			echo 1 >"$p/cgroup.kill" 2>/dev/null
			wait_until 2 rmdir "$p" 2>/dev/null
		done < <(find "$root/halfopen-test-$$" -depth -type d)
	fi
	[ -n "${C:-}" ] && ip netns del "$C" 2>/dev/null
	[ -n "${P:-}" ] && ip netns del "$P" 2>/dev/null
	[ -n "${T:-}" ] && rm -rf "$T"
	exit "$rc"
}

# Start halfopend in the client namespace with ARGS; wait for its start line.
# With DAEMON_SESSION=1 it runs in a session of its own, as under systemd (the
# scheduler then shares the CPU between it and the test's processes).
# The log of an earlier daemon goes first: its start line must not be taken
# for this one's (the background job truncates the file only when it runs).
# The tests written before containment run in the mode they were written
# for, the original's (HO_MODE=original); HO_MODE= (empty) runs the default.
HO_MODE=${HO_MODE-original}
daemon_start() {
	rm -f "$T/daemon.log"
	${DAEMON_SESSION:+setsid} nsenter --net="/run/netns/$C" "$B/halfopend" ${HO_MODE:+--mode "$HO_MODE"} "$@" >"$T/daemon.log" 2>&1 &
	DPID=$!
	PIDS+=($DPID)
	wait_until 10 grep -qs 'started:' "$T/daemon.log" ||
		fail "halfopend did not start: $(cat "$T/daemon.log")"
}

# SIGTERM the daemon; sets DRC to its exit status.
daemon_stop() {
	kill -TERM "$DPID"
	DRC=0
	wait "$DPID" || DRC=$?
}

ho() { cx "$B/halfopen" "$@"; }

# A field of `halfopen -j status`.
status_field() {
	ho -j status | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

# Conditions for wait_until, evaluated afresh at every try.
status_is() { [ "$(status_field "$1")" = "$2" ]; }
status_ge() { [ "$(status_field "$1")" -ge "$2" ]; }

# Capture every TCP packet arriving in the peer namespace.
capture_start() {
	nsenter --net="/run/netns/$P" tcpdump -i veth0 -n -U -B 16384 -w "$T/cap.pcap" tcp >"$T/tcpdump.log" 2>&1 &
	CAPPID=$!
	PIDS+=($CAPPID)
	wait_until 5 grep -q 'listening on' "$T/tcpdump.log" || fail "tcpdump did not start"
}

# Source ports of client SYNs (no ACK) seen so far, in order of first arrival.
syn_ports() {
	tcpdump -r "$T/cap.pcap" -n 2>/dev/null |
		awk '/Flags \[S\],/ { split($3, a, "."); print a[length(a)] }' | awk '!seen[$0]++'
}

syn_count() { syn_ports | wc -l; }

# Destination port of every new SYN (first of its 4-tuple), in order of arrival.
syn_dports() {
	tcpdump -r "$T/cap.pcap" -n 2>/dev/null |
		awk '/Flags \[S\],/ { d = $5; sub(":", "", d); m = split(d, b, ".");
			if (!seen[$3 " " d]++) print b[m] }'
}

# New SYNs to destination port PORT.
syn_count_to() { syn_dports | grep -cx "$1" || true; }
syn_count_to_is() { [ "$(syn_count_to "$1")" = "$2" ]; }
syn_count_ge() { [ "$(syn_count)" -ge "$1" ]; }

# Wall-clock time (seconds since epoch) of the first SYN from source port PORT.
syn_time() {
	tcpdump -tt -r "$T/cap.pcap" -n 2>/dev/null |
		awk -v p="$1" '/Flags \[S\],/ { split($3, a, "."); if (a[length(a)] == p) { print $1; exit } }'
}

# Drop SYNs to one more port in the peer (besides $DROP).
peer_drop() { # PORT
	px iptables -A INPUT -p tcp --dport "$1" -j DROP
}

# A fresh cgroup v2 group for this test; prints its path in the hierarchy.
# Skips the test where there is no cgroup2 file system.
make_cgroup() { # NAME
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$root" ] || skip "no cgroup2 file system"
	mkdir -p "$root/halfopen-test-$$/$1"
	echo "/halfopen-test-$$/$1"
}

# hoconn driven through a fifo: conn_start NAME ADDR PORT COUNT
# With CONN_CGROUP=/path it runs in that cgroup, with CONN_UID=N as that
# user, and as CONN_COMM (a copy of hoconn by that name) if set.
conn_start() {
	local name=$1 prog=$B/hoconn root
	shift
	mkfifo "$T/$name.in"
	if [ -n "${CONN_COMM:-}" ]; then
		prog=$T/$CONN_COMM
		cp "$B/hoconn" "$prog"
		chmod 755 "$T" "$prog"
	fi
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	nsenter --net="/run/netns/$C" sh -c '
		[ -z "$1" ] || echo $$ > "$1/cgroup.procs" || exit 1
		shift
		if [ -n "$1" ]; then
			u=$1; shift
			exec setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
		fi
		shift
		exec "$@"' sh "${CONN_CGROUP:+$root$CONN_CGROUP}" "${CONN_UID:-}" "$prog" "$@" \
		<"$T/$name.in" >"$T/$name.out" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	eval "exec {FD_$name}>\"$T/$name.in\""
	wait_until 10 grep -qs '^ready' "$T/$name.out" || fail "hoconn $name did not start: $(cat "$T/$name.out")"
}

# The pid of hoconn NAME: nsenter and sh exec it, so it is the job's pid.
conn_pid() {
	local v="PID_$1"
	echo "${!v}"
}

conn_cmd() { # NAME COMMAND...
	local fdv="FD_$1"
	shift
	echo "$*" >&"${!fdv}"
}

# Source port of connection I of NAME.
conn_port() { awk -v i="$2" '$1 == "conn" && $2 == i { print $3 }' "$T/$1.out"; }

# Send a command and wait for the reply line starting with PREFIX.
conn_ask() { # NAME PREFIX TIMEOUT COMMAND...
	local name=$1 prefix=$2 timeout=$3 before
	shift 3
	before=$(grep -c "^$prefix" "$T/$name.out" || true)
	conn_cmd "$name" "$@"
	wait_until "$timeout" eval "[ \$(grep -c '^$prefix' '$T/$name.out') -gt $before ]" ||
		fail "no '$prefix' reply from hoconn $name"
	grep "^$prefix" "$T/$name.out" | tail -1
}

# hosockopt NAME ADDR PORT: driven through a fifo like hoconn (conn_ask works on it).
# With SOCK_UID=N it runs as that user, with SOCK_CGROUP=/path in that cgroup.
sock_start() {
	local name=$1 root
	shift
	mkfifo "$T/$name.in"
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	nsenter --net="/run/netns/$C" sh -c '
		[ -z "$1" ] || echo $$ > "$1/cgroup.procs" || exit 1
		u=$2
		shift 2
		[ -z "$u" ] || exec setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
		exec "$@"' sh "${SOCK_CGROUP:+$root$SOCK_CGROUP}" "${SOCK_UID:-}" \
		"$B/hosockopt" "$@" <"$T/$name.in" >"$T/$name.out" 2>&1 &
	PIDS+=($!)
	eval "exec {FD_$name}>\"$T/$name.in\""
	wait_until 5 grep -qs '^ready' "$T/$name.out" || fail "hosockopt $name did not start: $(cat "$T/$name.out")"
}

# A field of the last "info I" reply of NAME.
info_field() { # NAME I FIELD
	grep "^info $2 " "$T/$1.out" | tail -1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# Run each function named test_* in this file in its own namespaces.
run_tests() {
	local t rc
	for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
		if [ -n "${ONLY:-}" ] && [ "$t" != "$ONLY" ]; then
			continue
		fi
		(
			trap ns_cleanup EXIT
			set -e
			[ -n "${TRACE:-}" ] && set -x
			ns_setup
			"$t"
		) >"${LOGDIR:-/tmp}/$t.log" 2>&1
		rc=$?
		case $rc in
		0) echo "PASS $t" ;;
		77) echo "SKIP $t: $(tail -1 "${LOGDIR:-/tmp}/$t.log")" ;;
		*)
			echo "FAIL $t (exit $rc)"
			sed 's/^/    /' "${LOGDIR:-/tmp}/$t.log" | tail -25
			;;
		esac
	done
}
