#!/bin/bash
# usage: netns.sh up|down   -- client ns "hoc" 10.77.0.1, peer ns "hop" 10.77.0.2
# peer drops SYNs to 9000-9019 and runs nothing else; listener on 9100 started separately.
set -e
case "$1" in
up)
  ip netns add hoc; ip netns add hop
  ip link add hoc0 type veth peer name hop0
  ip link set hoc0 netns hoc; ip link set hop0 netns hop
  nsenter --net=/run/netns/hoc sh -c 'ip addr add 10.77.0.1/24 dev hoc0; ip link set hoc0 up; ip link set lo up;
     sysctl -qw net.ipv4.ip_local_port_range="1024 65000"'
  nsenter --net=/run/netns/hop sh -c 'ip addr add 10.77.0.2/24 dev hop0; ip link set hop0 up; ip link set lo up;
     sysctl -qw net.core.somaxconn=4096; sysctl -qw net.ipv4.tcp_max_syn_backlog=8192
     iptables -A INPUT -p tcp --dport 9000:9019 -j DROP'
  ;;
down)
  ip netns del hoc 2>/dev/null || true; ip netns del hop 2>/dev/null || true ;;
esac
