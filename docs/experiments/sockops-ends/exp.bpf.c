// halfopen exp-leaves: count SYN_SENT entries/leaves via tp_btf and sock_ops.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
char LICENSE[] SEC("license") = "GPL";

#define SYN_SENT 2
#define AF_INET	 2

const volatile __u32 target_inum = 0;	      /* client netns inode (tp_btf filter) */
const volatile __u64 target_netns_cookie = 0; /* client netns cookie (sock_ops filter) */
const volatile int do_map = 0;		      /* tp: hash insert on enter / delete on leave */
const volatile int clear_on_leave = 0;	      /* sock_ops: cb_flags_set(0) on leave from SYN_SENT */
const volatile int track = 0; /* per-socket cross-check map (sock_ops leave vs tp leave) */
__u64 tp_pair[256];	      /* tp #1: (old<<4|new) counts, target netns */
__u64 trk_fail;
struct trk {
	__u32 flags, so_cpu, tp_cpu, so_old_new;
	__u64 so_pid_tgid, so_ts, tp_ts;
	__u32 raw_inum, raw_proto;
	__u32 so_pcount, pad;
	char so_comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct trk);
} trkmap SEC(".maps");

/* tp_btf program #1 */
__u64 tp_enter, tp_leave, tp_leave_to[16], tp_calls;
__u64 map_ins_ok, map_ins_fail, map_del_ok, map_del_miss;
/* tp_btf program #2 (independent) */
__u64 tp2_enter, tp2_leave, tp2_leave_to[16];
/* sock_ops */
__u64 so_connect, so_leave, so_leave_to[16], so_state_cb, so_state_cb_other, so_calls;
__u64 so_state_after_clear; /* STATE_CB seen on a socket whose flags we cleared */
__u64 so_lport_zero, so_lport_nonzero, so_rip_zero, so_rport_zero, so_fam_not_inet, so_storage_null,
	so_cookie_zero;
/* values of the last CONNECT_CB (Q3) */
struct info {
	__u64 pid_tgid, uid_gid, cgid, anc1, anc2, cookie, netns_cookie;
	__u32 lport, rport, rip4, lip4, family, pad;
	char comm[16];
};
struct info last;
/* socket filter (iptables -m bpf) */
__u64 sf_cookie_last, sf_calls;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, __u64);
} inflight SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} sostor SEC(".maps");

static __always_inline int in_target(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) == target_inum;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_state, struct sock *sk, int oldstate, int newstate)
{
	__sync_fetch_and_add(&tp_calls, 1);
	if (track &&
	    oldstate == SYN_SENT) { /* before any filter: was the program invoked at all? */
		__u64 c0 = bpf_get_socket_cookie(sk);
		struct trk *t0 = bpf_map_lookup_elem(&trkmap, &c0);
		if (t0) {
			t0->flags |= 4;
			t0->raw_inum = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
			t0->raw_proto = sk->sk_protocol;
		}
	}
	if (sk->sk_protocol != IPPROTO_TCP || !in_target(sk))
		return 0;
	__sync_fetch_and_add(&tp_pair[((oldstate & 15) << 4) | (newstate & 15)], 1);
	if (track && oldstate == SYN_SENT) {
		__u64 c = bpf_get_socket_cookie(sk);
		struct trk *t = bpf_map_lookup_elem(&trkmap, &c);
		if (t) {
			t->flags |= 2;
			t->tp_cpu = bpf_get_smp_processor_id();
			t->tp_ts = bpf_ktime_get_ns();
		} else {
			struct trk n = {.flags = 2,
					.tp_cpu = bpf_get_smp_processor_id(),
					.tp_ts = bpf_ktime_get_ns()};
			if (bpf_map_update_elem(&trkmap, &c, &n, BPF_ANY))
				__sync_fetch_and_add(&trk_fail, 1);
		}
	}
	if (newstate == SYN_SENT) {
		__sync_fetch_and_add(&tp_enter, 1);
		if (do_map) {
			__u64 c = bpf_get_socket_cookie(sk), v = bpf_ktime_get_ns();
			if (bpf_map_update_elem(&inflight, &c, &v, BPF_NOEXIST))
				__sync_fetch_and_add(&map_ins_fail, 1);
			else
				__sync_fetch_and_add(&map_ins_ok, 1);
		}
	} else if (oldstate == SYN_SENT) {
		__sync_fetch_and_add(&tp_leave, 1);
		__sync_fetch_and_add(&tp_leave_to[newstate & 15], 1);
		if (do_map) {
			__u64 c = bpf_get_socket_cookie(sk);
			if (bpf_map_delete_elem(&inflight, &c))
				__sync_fetch_and_add(&map_del_miss, 1);
			else
				__sync_fetch_and_add(&map_del_ok, 1);
		}
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_state2, struct sock *sk, int oldstate, int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP || !in_target(sk))
		return 0;
	if (newstate == SYN_SENT) {
		__sync_fetch_and_add(&tp2_enter, 1);
	} else if (oldstate == SYN_SENT) {
		__sync_fetch_and_add(&tp2_leave, 1);
		__sync_fetch_and_add(&tp2_leave_to[newstate & 15], 1);
	}
	return 0;
}

SEC("sockops")
int so_prog(struct bpf_sock_ops *skops)
{
	__sync_fetch_and_add(&so_calls, 1);
	if (bpf_get_netns_cookie(skops) != target_netns_cookie)
		return 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB: {
		__sync_fetch_and_add(&so_connect, 1);
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG);
		last.pid_tgid = bpf_get_current_pid_tgid();
		last.uid_gid = bpf_get_current_uid_gid();
		last.cgid = bpf_get_current_cgroup_id();
		last.anc1 = bpf_get_current_ancestor_cgroup_id(1);
		last.anc2 = bpf_get_current_ancestor_cgroup_id(2);
		bpf_get_current_comm(last.comm, sizeof(last.comm));
		last.cookie = bpf_get_socket_cookie(skops);
		last.netns_cookie = bpf_get_netns_cookie(skops);
		last.lport = skops->local_port;
		last.rport =
			skops->remote_port; /* network byte order in upper 16 bits? see README */
		last.rip4 = skops->remote_ip4;
		last.lip4 = skops->local_ip4;
		last.family = skops->family;
		if (!skops->local_port)
			__sync_fetch_and_add(&so_lport_zero, 1);
		else
			__sync_fetch_and_add(&so_lport_nonzero, 1);
		if (!skops->remote_ip4)
			__sync_fetch_and_add(&so_rip_zero, 1);
		if (!skops->remote_port)
			__sync_fetch_and_add(&so_rport_zero, 1);
		if (skops->family != AF_INET)
			__sync_fetch_and_add(&so_fam_not_inet, 1);
		if (!last.cookie)
			__sync_fetch_and_add(&so_cookie_zero, 1);
		struct bpf_sock *sk = skops->sk;
		if (sk) {
			__u64 *v = bpf_sk_storage_get(&sostor, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
			if (!v)
				__sync_fetch_and_add(&so_storage_null, 1);
			else
				*v = 0;
		} else {
			__sync_fetch_and_add(&so_storage_null, 1);
		}
		break;
	}
	case BPF_SOCK_OPS_STATE_CB: {
		__u32 o = skops->args[0], n = skops->args[1];
		__sync_fetch_and_add(&so_state_cb, 1);
		struct bpf_sock *sk = skops->sk;
		__u64 *v = 0;
		if (sk)
			v = bpf_sk_storage_get(&sostor, sk, 0, 0);
		if (v && *v == 1)
			__sync_fetch_and_add(&so_state_after_clear, 1);
		if (o == SYN_SENT && track) {
			__u64 c = bpf_get_socket_cookie(skops);
			struct trk e = {.flags = 1,
					.so_cpu = bpf_get_smp_processor_id(),
					.so_ts = bpf_ktime_get_ns(),
					.so_pid_tgid = bpf_get_current_pid_tgid(),
					.so_old_new = (o << 16) | n};
			bpf_get_current_comm(e.so_comm, sizeof(e.so_comm));
			if (bpf_map_update_elem(&trkmap, &c, &e, BPF_ANY))
				__sync_fetch_and_add(&trk_fail, 1);
		}
		if (o == SYN_SENT) {
			__sync_fetch_and_add(&so_leave, 1);
			__sync_fetch_and_add(&so_leave_to[n & 15], 1);
			if (clear_on_leave) {
				bpf_sock_ops_cb_flags_set(skops, 0);
				if (v)
					*v = 1;
			}
		} else {
			__sync_fetch_and_add(&so_state_cb_other, 1);
		}
		break;
	}
	}
	return 1;
}

SEC("socket")
int sf_prog(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&sf_calls, 1);
	sf_cookie_last = bpf_get_socket_cookie(skb);
	return 1;
}
