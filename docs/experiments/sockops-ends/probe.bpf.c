// Verifier-acceptance probes: one sock_ops program per helper.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} pstor SEC(".maps");
__u64 sink;
#define P(name, expr)                                                                              \
	SEC("sockops") int name(struct bpf_sock_ops *skops)                                        \
	{                                                                                          \
		if (skops->op == BPF_SOCK_OPS_TCP_CONNECT_CB) {                                    \
			expr;                                                                      \
		}                                                                                  \
		return 1;                                                                          \
	}
P(p_pid_tgid, sink = bpf_get_current_pid_tgid())
P(p_uid_gid, sink = bpf_get_current_uid_gid())
P(p_comm, char c[16]; bpf_get_current_comm(c, sizeof(c)); sink = c[0])
P(p_cgroup_id, sink = bpf_get_current_cgroup_id())
P(p_anc_cgroup_id, sink = bpf_get_current_ancestor_cgroup_id(1))
P(p_sock_cookie, sink = bpf_get_socket_cookie(skops))
P(p_netns_cookie, sink = bpf_get_netns_cookie(skops))
P(
	p_sk_storage, struct bpf_sock *sk = skops->sk; if (sk) {
		__u64 *v = bpf_sk_storage_get(&pstor, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (v)
			sink = *v;
	})
P(p_cb_flags_set, sink = bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG))
P(p_current_task, sink = bpf_get_current_task())
