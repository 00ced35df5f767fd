#!/bin/bash
# setsockopt(SO_LINGER) and (TCP_NODELAY) CPU ns per call in a cgroup of its own with (none) no program of
# its own, (keep) a program that returns 1, (zero) one that sets optlen to 0 and returns 1; alternating.
# Build first, in this folder:
#   clang -g -O2 -target bpf -I/usr/include/$(cc -dumpmachine) -c so.bpf.c -o so.bpf.o
#   cc -O2 -o sopt sopt.c
# Results: ../README.md ("setsockopt").
set -e
D=$(dirname "$0")
CGR=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=$CGR/fastpath-so-$$
PIN=/sys/fs/bpf/fastpath-so-$$
mkdir -p "$CG" "$PIN"
trap 'bpftool cgroup detach "$CG" setsockopt pinned "$PIN/keep" 2>/dev/null; bpftool cgroup detach "$CG" setsockopt pinned "$PIN/zero" 2>/dev/null; rm -rf "$PIN"; rmdir "$CG"' EXIT
bpftool prog loadall "$D/so.bpf.o" "$PIN" type cgroup/sockopt >/dev/null 2>&1 || bpftool prog loadall "$D/so.bpf.o" "$PIN"
run() { sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 100000' sh "$CG" "$D/sopt"; }
for ((r = 1; r <= ${ROUNDS:-5}; r++)); do
	for v in none keep zero; do
		[ $v = none ] || bpftool cgroup attach "$CG" setsockopt pinned "$PIN/$v" multi
		echo "$v root-progs=$(bpftool cgroup show "$CGR" | grep -c setsockopt || true) $(run)"
		[ $v = none ] || bpftool cgroup detach "$CG" setsockopt pinned "$PIN/$v"
	done
done
