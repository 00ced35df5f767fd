// SPDX-License-Identifier: GPL-2.0
/* Two cgroup/setsockopt programs that let every option through: one leaves optlen as it is, one sets it to 0. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("cgroup/setsockopt")
int keep(struct bpf_sockopt *ctx)
{
	return 1;
}
SEC("cgroup/setsockopt")
int zero(struct bpf_sockopt *ctx)
{
	ctx->optlen = 0;
	return 1;
}
