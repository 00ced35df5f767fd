#!/bin/sh
# Install what halfopen needs to build, run and test, from Debian 12 packages
# (libclang-rt-dev: clang's libFuzzer and sanitizer runtimes, for tests/fuzz/).
# nmap, masscan and zmap: the raw SYN scanners of tests/net/test_raw.sh and bench/raw.sh;
# apache2-utils (ab), curl, nmap: workloads of make bench-contain.
set -e
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	make gcc libc6-dev pkg-config clang llvm clang-format \
	libclang-rt-dev libbpf-dev bpftool libelf-dev zlib1g-dev \
	libmnl-dev libnetfilter-queue-dev \
	iptables iproute2 util-linux \
	tcpdump python3 tmux scdoc prometheus bash-completion gnuplot-nox \
	nmap masscan zmap apache2-utils curl >/dev/null
# the iptables programs must use the nf_tables backend (Debian's default)
update-alternatives --set iptables /usr/sbin/iptables-nft >/dev/null
update-alternatives --set ip6tables /usr/sbin/ip6tables-nft >/dev/null
echo "install-deps.sh: dependencies installed"
