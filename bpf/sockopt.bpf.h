/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The socket interface for applications (include/halfopen.h, halfopen(7)),
 * included at the end of halfopen.bpf.c: it reads that file's maps and
 * helpers, so it does not stand alone. All four programs are attached at the
 * cgroup v2 root, like on_sockops, and answer only for sockets of the
 * namespace this daemon manages.
 *
 *   ho_getsockopt   cgroup/getsockopt, after the kernel's own handler, on
 *                   every getsockopt() of the machine: leaves at once unless
 *                   the level is SOL_HALFOPEN. The kernel said ENOPROTOOPT to
 *                   that level; this program answers instead (retval 0).
 *   ho_setsockopt   cgroup/setsockopt, before the kernel's handler: stores
 *                   HALFOPEN_NOQUEUE in the socket's storage and sets optlen
 *                   to -1, so the kernel's handler (which would say
 *                   ENOPROTOOPT) is skipped and setsockopt() returns 0.
 *   ho_connect4/6   cgroup/connect4 and connect6, before tcp_v4/v6_connect:
 *                   a HALFOPEN_NOQUEUE socket whose attempt would be queued
 *                   fails with ENOBUFS (bpf_set_retval), takes no slot and
 *                   is counted only as refused.
 *
 * The check in connect() and the admission at TCP_CONNECT_CB are two
 * moments: another connect() may take the last slot in between. The
 * attempt is then queued like any other (the limit stays exact), flagged
 * HALFOPEN_F_NOQUEUE|HALFOPEN_F_WAS_QUEUED, and counted in st.noqueue_lost.
 * Taking the slot in connect() instead would leak it whenever connect()
 * fails after the hook (no route, no source port): nothing tells BPF.
 */
#ifndef HALFOPEN_SOCKOPT_BPF_H
#define HALFOPEN_SOCKOPT_BPF_H

#include "../include/halfopen.h"

#define SOCK_STREAM_ 1
#define EINVAL_	     22
#define ENOMEM_	     12
#define ENOBUFS_     105

_Static_assert(HALFOPEN_NOQUEUE_ERRNO == ENOBUFS_, "the documented errno");
_Static_assert(HALFOPEN_OUT_CLOSED == HO_OUT_CLOSED && HALFOPEN_OUT_FAILED == HO_OUT_FAILED &&
		       HALFOPEN_OUT_REFUSED == HO_OUT_REFUSED &&
		       HALFOPEN_OUT_ESTABLISHED == HO_OUT_ESTABLISHED,
	       "outcomes are passed through");

/* A TCP socket of our namespace: the only ones this interface answers for. */
static __always_inline bool our_tcp(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;

	if (!sk || sk->protocol != IPPROTO_TCP_ || sk->type != SOCK_STREAM_ ||
	    (sk->family != AF_INET && sk->family != AF_INET6))
		return false;
	return bpf_get_netns_cookie(ctx) == netns_cookie;
}

/*
 * HALFOPEN_F_SCANNER: the attempt's process or its cgroup is flagged as a
 * scanner now (its new first contacts are paced), or it was held as one.
 */
static __always_inline bool scanner_now(const struct ho_attempt *a)
{
	return (a->flags & HO_AT_CONT) || scope_flagged(HO_AT_FIRST, a->tgid, a->cgid, a->uid);
}

/* A bpf_sock field read at its constant offset (no pointer arithmetic on a sock). */
#define SOCK_U32(sk, field)                                                                        \
	({                                                                                         \
		__u32 v_;                                                                          \
		asm volatile(                                                                      \
			"%[v] = *(u32 *)(%[s] + %[off])"                                           \
			: [v] "=r"(v_)                                                             \
			: [s] "r"(sk), [off] "i"(__builtin_offsetof(struct bpf_sock, field)));     \
		v_;                                                                                \
	})

/* Connected to a loopback address, which halfopen never tracks (is_loopback). */
static __always_inline bool sk_to_loopback(struct bpf_sock *sk)
{
	struct ho_attempt a = {};
	__u32 d[4];

	a.family = (__u16)sk->family;
	if (a.family == AF_INET) {
		d[0] = SOCK_U32(sk, dst_ip4);
	} else {
		d[0] = SOCK_U32(sk, dst_ip6[0]);
		d[1] = SOCK_U32(sk, dst_ip6[1]);
		d[2] = SOCK_U32(sk, dst_ip6[2]);
		d[3] = SOCK_U32(sk, dst_ip6[3]);
	}
	__builtin_memcpy(a.daddr, d, sizeof(d));
	return is_loopback(&a);
}

/* The scope holding a queued attempt back: the first full one, else the namespace. */
static __always_inline void info_scope(const struct ho_attempt *a, struct halfopen_info *i)
{
	for (int n = 0; n < HO_ATTEMPT_SCOPES && a->queued_in.s[0].idx; n++) {
		struct ho_scope *s = scope_of(a->queued_in.s[n]);
		__s32 in_flight;

		if (!s)
			continue;
		in_flight = s->in_flight;
		if (s->limit && in_flight >= (__s32)s->limit) {
			i->hi_scope = s->kind == HO_SCOPE_USER ? HALFOPEN_SCOPE_USER
							       : HALFOPEN_SCOPE_CGROUP;
			i->hi_limit = s->limit;
			i->hi_in_flight = in_flight > 0 ? in_flight : 0;
			i->hi_queued = s->queued > 0 ? s->queued : 0;
			i->hi_scope_id = s->id;
			return;
		}
	}
	i->hi_scope = HALFOPEN_SCOPE_NAMESPACE;
}

static __always_inline void info_of_attempt(const struct ho_attempt *a, __u64 now,
					    struct halfopen_info *i)
{
	__u32 state = a->state;

	i->hi_age_ns = now - a->start_ns;
	if (state == HO_ST_QUEUED || state == HO_ST_TAKING) {
		__s32 ahead = (__s32)(a->qseq - st.head_seq);
		__u32 queued = st.queued;

		i->hi_state = HALFOPEN_QUEUED;
		i->hi_waited_ns = i->hi_age_ns;
		/* the daemon may not have seen it yet: then at least 1, at most all */
		i->hi_position = ahead < 0 ? 1 : (__u32)ahead + 1;
		if (queued && i->hi_position > queued)
			i->hi_position = queued;
		info_scope(a, i);
	} else {
		i->hi_state = state == HO_ST_RELEASING ? HALFOPEN_RELEASED
			      : state == HO_ST_GONE    ? HALFOPEN_ENDED
						       : HALFOPEN_IN_FLIGHT;
		i->hi_waited_ns = (__u64)a->waited_ms * 1000000;
	}
	if (a->flags & HO_AT_NOQUEUE)
		i->hi_flags |= HALFOPEN_F_NOQUEUE;
	if (a->flags & HO_AT_WAITED)
		i->hi_flags |= HALFOPEN_F_WAS_QUEUED;
	if (a->flags & HO_AT_EXEMPT)
		i->hi_flags |= HALFOPEN_F_EXEMPT;
	if (scanner_now(a))
		i->hi_flags |= HALFOPEN_F_SCANNER;
	if (a->flags & HO_AT_PROBE_Q)
		i->hi_flags |= HALFOPEN_F_PROBATION;
}

static __always_inline void info_of_end(const struct ho_sk *s, struct halfopen_info *i)
{
	i->hi_state = HALFOPEN_ENDED;
	i->hi_outcome = s->outcome;
	i->hi_age_ns = s->end_ns - s->start_ns;
	i->hi_waited_ns = (__u64)s->waited_ms * 1000000;
	if (s->at_flags & HO_AT_WAITED)
		i->hi_flags |= HALFOPEN_F_WAS_QUEUED;
	if (s->at_flags & HO_AT_EXEMPT)
		i->hi_flags |= HALFOPEN_F_EXEMPT;
	if (s->at_flags & HO_AT_CONT) /* it was held as a scanner's */
		i->hi_flags |= HALFOPEN_F_SCANNER;
	if (s->at_flags & HO_AT_PROBE_Q)
		i->hi_flags |= HALFOPEN_F_PROBATION;
}

static __always_inline void fill_info(struct bpf_sockopt *ctx, struct halfopen_info *i)
{
	struct bpf_sock *sk = ctx->sk;
	struct ho_attempt *a = NULL;
	struct ho_sk *s;
	__u64 cookie;
	bool cell;

	if (!sk)
		return;
	i->hi_version = HALFOPEN_INFO_VERSION;
	i->hi_limit = st.limit;
	i->hi_in_flight = st.in_flight;
	i->hi_queued = st.queued;
	s = bpf_sk_storage_get(&sk_info, sk, 0, 0);
	if (s && (s->flags & HO_SK_NOQUEUE))
		i->hi_flags |= HALFOPEN_F_NOQUEUE;
	if (!s) {
		/*
		 * No storage: never held back (held attempts get one), so an
		 * attempt still connecting was admitted at once and is in flight
		 * (its age is not kept: 0). Ended, or never connected: untracked.
		 */
		if (sk->state == BPF_TCP_SYN_SENT && !sk_to_loopback(sk)) {
			/* the asker is, as a rule, the socket's process */
			struct ho_attempt me = {.tgid = bpf_get_current_pid_tgid() >> 32,
						.cgid = bpf_get_current_cgroup_id()};

			i->hi_state = HALFOPEN_IN_FLIGHT;
			if (scanner_now(&me))
				i->hi_flags |= HALFOPEN_F_SCANNER;
		}
		return;
	}
	cookie = s->cookie;
	if (cookie)
		a = attempt_find(cookie, &cell);
	if (a && a->cookie != cookie)
		a = NULL; /* the entry went to another attempt meanwhile (halfopen.h) */
	if (a && ho_state_real(a->state) && a->state != HO_ST_GONE)
		info_of_attempt(a, bpf_ktime_get_ns(), i);
	else if (s && (s->flags & HO_SK_ENDED))
		info_of_end(s, i);
	else if (a)
		info_of_attempt(a, bpf_ktime_get_ns(), i); /* ending right now */
}

/* Copy min(optlen, sizeof) bytes, one at a time: the verifier checks each. */
static __always_inline void put_info(struct bpf_sockopt *ctx, struct halfopen_info *i, __u32 len)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	const __u8 *src = (const __u8 *)i;

	i->hi_size = len;
	for (__u32 n = 0; n < sizeof(*i); n++) {
		if (n >= len || p + n + 1 > end)
			break;
		p[n] = src[n];
	}
}

/* One 32-bit store each: the verifier refuses the compiler's merged 64-bit one. */
#define CTX_SET(ctx, field, v) (*(volatile __s32 *)&(ctx)->field = (v))

static __always_inline int fail(int err)
{
	bpf_set_retval(-err);
	return 0;
}

static __always_inline int answer_get(struct bpf_sockopt *ctx)
{
	struct halfopen_info info = {};
	struct ho_sk *s;
	__u8 *p, *end;
	int len = ctx->optlen;

	if (!our_tcp(ctx))
		return 1; /* the kernel's own answer stands */
	if (ctx->optname == HALFOPEN_NOQUEUE) {
		p = ctx->optval;
		end = ctx->optval_end;
		if (len < (int)sizeof(int) || p + sizeof(int) > end)
			return fail(EINVAL_);
		s = ctx->sk ? bpf_sk_storage_get(&sk_info, ctx->sk, 0, 0) : NULL;
		*(int *)p = s && (s->flags & HO_SK_NOQUEUE);
		CTX_SET(ctx, optlen, sizeof(int));
		CTX_SET(ctx, retval, 0);
		return 1;
	}
	if (ctx->optname != HALFOPEN_INFO)
		return 1;
	if (len < (int)sizeof(__u32))
		return fail(EINVAL_);
	if (len > (int)sizeof(info))
		len = sizeof(info);
	fill_info(ctx, &info);
	put_info(ctx, &info, (__u32)len);
	CTX_SET(ctx, optlen, len);
	CTX_SET(ctx, retval, 0);
	return 1;
}

/*
 * Every getsockopt() of every process runs this once the program is
 * attached (the kernel has copied the answer in and will copy it out): the
 * level is looked at first and everything else is left to the kernel.
 */
SEC("cgroup/getsockopt")
int ho_getsockopt(struct bpf_sockopt *ctx)
{
	if (ctx->level != SOL_HALFOPEN)
		return 1;
	return answer_get(ctx);
}

#define SOL_PACKET_ 263 /* raw_setsockopt's level (raw.bpf.h) */

/*
 * An option none of our setsockopt programs looks at (they run one after
 * the other on the same context: the other one's level must keep its
 * optlen). optlen 0 tells the kernel to use the caller's buffer; left as it
 * was, the kernel copies the program's copy of the value into a buffer it
 * allocates for its own handler (kmalloc, memcpy, kfree): 20-40 ns of the
 * 250 ns the hook adds to every setsockopt() of the machine
 * (docs/benchmarks.md, "Fast path: the rest of a connection").
 */
static __always_inline int sockopt_pass(struct bpf_sockopt *ctx)
{
	if (ctx->level != SOL_HALFOPEN && ctx->level != SOL_PACKET_)
		CTX_SET(ctx, optlen, 0);
	return 1;
}

SEC("cgroup/setsockopt")
int ho_setsockopt(struct bpf_sockopt *ctx)
{
	struct ho_sk *s;
	__u8 *p, *end;
	int v;

	if (ctx->level != SOL_HALFOPEN)
		return sockopt_pass(ctx);
	/* other sockets, other options: the kernel answers (ENOPROTOOPT) */
	if (ctx->optname != HALFOPEN_NOQUEUE || !our_tcp(ctx))
		return 1;
	p = ctx->optval;
	end = ctx->optval_end;
	/* the buffer is at least 16 bytes whatever optlen was: check optlen itself */
	if (ctx->optlen < (int)sizeof(int) || p + sizeof(int) > end)
		return fail(EINVAL_);
	v = *(int *)p;
	s = ctx->sk ? bpf_sk_storage_get(&sk_info, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE) : NULL;
	if (!s)
		return fail(ENOMEM_);
	if (v)
		__sync_fetch_and_or(&s->flags, HO_SK_NOQUEUE);
	else
		__sync_fetch_and_and(&s->flags, ~HO_SK_NOQUEUE);
	CTX_SET(ctx, optlen, -1); /* done: the kernel's handler is skipped */
	return 1;
}

/* Would an attempt with these scopes be queued now? As on_connect decides, taking nothing. */
static __always_inline bool would_queue(const struct ho_scope_set *set)
{
	if (set_exempt(set))
		return false;
	if (set_waiting(set) || (st.limit && st.global_wait))
		return true;
	for (int n = 0; n < HO_ATTEMPT_SCOPES && set->s[0].idx; n++) {
		struct ho_scope *s = scope_of(set->s[n]);

		if (s && s->limit && s->in_flight >= (__s32)s->limit)
			return true;
	}
	return st.limit && st.in_flight >= st.limit;
}

/*
 * Would containment hold it (contain mode): a first contact of a flagged
 * process or group, or of one whose probation is full? Marks a as it would
 * be held (HO_AT_CONT_*, HO_AT_PROBE_Q), for the daemon: not a limit's.
 */
static __always_inline bool held_apart(struct ho_attempt *a, const struct ho_scope_set *set)
{
	if (!st.detect || set_exempt(set))
		return false;
	if (first_contact(a))
		return true;
	if (st.probe_budget && (a->flags & HO_AT_FIRST) &&
	    !probe_room(a->flags, a->tgid, a->cgid, a->uid)) {
		a->flags |= HO_AT_PROBE_Q;
		return true;
	}
	return false;
}

/* A HALFOPEN_NOQUEUE socket connects to a: refuse if it would be queued or held. */
static __always_inline int noqueue_connect(struct ho_attempt *a)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ho_scope_set set = {};
	struct ho_stats *ps;

	if (is_loopback(a))
		return 1;
	a->pid = (__u32)id;
	a->tgid = id >> 32;
	a->uid = (__u32)bpf_get_current_uid_gid();
	a->cgid = bpf_get_current_cgroup_id();
	a->start_ns = bpf_ktime_get_ns();
	a->flags = HO_AT_NOQUEUE;
	find_scopes(a, &set);
	if (!would_queue(&set) && !held_apart(a, &set))
		return 1;
	bpf_get_current_comm(a->comm, sizeof(a->comm));
	/* counted as refused only: no slot, no attempt, no queue */
	__sync_fetch_and_add(&st.failfast, 1);
	ps = stats_get(&proc_stats, a->tgid, a, true);
	if (ps)
		__sync_fetch_and_add(&ps->failfast, 1);
	a->queued_in = set; /* for the limit event: which scope was full */
	emit(HO_EV_FAILFAST, 0, 0, a);
	return fail(ENOBUFS_);
}

/* Only sockets that asked: one storage lookup for all others. */
static __always_inline struct ho_sk *noqueue_sk(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct ho_sk *s;

	if (!sk)
		return NULL;
	s = bpf_sk_storage_get(&sk_info, sk, 0, 0);
	if (!s || !(s->flags & HO_SK_NOQUEUE))
		return NULL;
	if (ctx->type != SOCK_STREAM_ || ctx->protocol != IPPROTO_TCP_ ||
	    bpf_get_netns_cookie(ctx) != netns_cookie)
		return NULL;
	/* a new connect: an earlier attempt's end no longer answers (refused: untracked) */
	__sync_fetch_and_and(&s->flags, ~HO_SK_ENDED);
	return s;
}

SEC("cgroup/connect4")
int ho_connect4(struct bpf_sock_addr *ctx)
{
	struct ho_attempt a = {};
	__u32 d;

	if (!noqueue_sk(ctx))
		return 1;
	d = ctx->user_ip4;
	a.family = AF_INET;
	a.dport = bpf_ntohs((__u16)ctx->user_port);
	__builtin_memcpy(a.daddr, &d, sizeof(d));
	return noqueue_connect(&a);
}

SEC("cgroup/connect6")
int ho_connect6(struct bpf_sock_addr *ctx)
{
	struct ho_attempt a = {};
	__u32 d[4];

	if (!noqueue_sk(ctx))
		return 1;
	d[0] = ctx->user_ip6[0];
	d[1] = ctx->user_ip6[1];
	d[2] = ctx->user_ip6[2];
	d[3] = ctx->user_ip6[3];
	a.family = AF_INET6;
	a.dport = bpf_ntohs((__u16)ctx->user_port);
	__builtin_memcpy(a.daddr, d, sizeof(d));
	return noqueue_connect(&a);
}

#endif /* HALFOPEN_SOCKOPT_BPF_H */
