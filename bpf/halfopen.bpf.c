// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel side of halfopen: accounting and admission of outbound TCP
 * connection attempts, and the match that sends held SYNs to NFQUEUE.
 *
 *   on_sockops   sock_ops at the cgroup v2 root. TCP_CONNECT_CB runs in the
 *                connecting task just before its SYN is built: admits the
 *                attempt under the limit or marks it queued, and asks for
 *                STATE_CB on that socket. STATE_CB runs straight from
 *                tcp_set_state(), whatever the context (a timer, an RST, a
 *                close()), and is never skipped: when the attempt leaves
 *                SYN_SENT its slot is freed.
 *   held_syn     socket filter used by iptables -m bpf: "is this SYN's socket
 *                queued?"; records the packet's tuple for the daemon. A
 *                released SYN comes back through it (NF_REPEAT) and goes out
 *                only if its socket is still connecting.
 *   release      syscall program run by halfopend (BPF_PROG_RUN) to move a
 *                queued attempt in flight, atomically with the slot counts.
 *   forget       syscall program: frees what an attempt whose socket left
 *                SYN_SENT holds, should its end ever go unreported.
 *
 * An attempt needs a slot in the namespace and in every scope (cgroup, user;
 * see find_scopes) that applies to it; an exempt scope's attempts take none.
 * The slot arithmetic is in slots.bpf.h.
 */
#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "halfopen.h"
#include "slots.bpf.h"

#define AF_INET	      2
#define AF_INET6      10
#define IPPROTO_TCP_  6
#define ECONNREFUSED_ 111

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Network namespace this daemon manages (SO_NETNS_COOKIE); set before load. */
const volatile __u64 netns_cookie = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 131072); /* resized by the daemon (--tracked-max) */
	__type(key, __u64);	     /* socket cookie */
	__type(value, struct ho_attempt);
} attempts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 131072);
	__type(key, struct ho_tuple);
	__type(value, __u64); /* socket cookie */
} held SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u64); /* tgid */
	__type(value, struct ho_stats);
} proc_stats SEC(".maps");

/* Working sets: addresses each process and cgroup reached lately (see halfopen.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ho_reach_key);
	__type(value, __u64); /* last used, bpf_ktime_get_ns */
} reached SEC(".maps");

/* Processes and cgroups the daemon flagged as scanners. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ho_scope_key);
	__type(value, __u32);
} flagged SEC(".maps");

/* What a socket remembers: its HALFOPEN_NOQUEUE wish, how its attempt ended. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ho_sk);
} sk_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/*
 * The state word (halfopen.h, "Where an attempt is in its life"): an entry
 * found by a lookup may be deleted and reused for another attempt at any
 * time, so every change of state compares the generation too.
 */
static __always_inline __u64 sw_of(__u32 gen, __u32 state)
{
	union ho_sw v = {.f = {.state = state, .gen = gen}};

	return v.sw;
}

/* State and generation as they were together: one load. */
static __always_inline union ho_sw sw_read(const struct ho_attempt *a)
{
	union ho_sw v;

	v.sw = *(const volatile __u64 *)&a->sw;
	return v;
}

/* The cookie of an entry, loaded after whatever was read before it (not moved by the compiler). */
static __always_inline __u64 cookie_read(const struct ho_attempt *a)
{
	return *(const volatile __u64 *)&a->cookie;
}

/* Attempt gen from state from to state to; false if it is elsewhere, or not there. */
static __always_inline bool sw_cas(struct ho_attempt *a, __u32 gen, __u32 from, __u32 to)
{
	__u64 old = sw_of(gen, from);

	return __sync_val_compare_and_swap(&a->sw, old, sw_of(gen, to)) == old;
}

/* The cells (halfopen.h, HO_CELLS): the daemon reads them through its mapping. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, HO_CELLS);
	__type(key, __u32);
	__type(value, struct ho_attempt);
} cells SEC(".maps");

/* Cells in use, less one (a power of two less one): set by the daemon before load. */
const volatile __u32 cell_mask = HO_CELLS - 1;

/* Never NULL in truth (an array, an index in range); the verifier wants the test. */
static __always_inline struct ho_attempt *cell_of(__u64 cookie)
{
	__u32 i = ho_cell_index(cookie, cell_mask);

	return bpf_map_lookup_elem(&cells, &i);
}

/* Test builds only (HO_RACE_TEST): what another CPU may do between a lookup and its use. */
#ifdef HO_RACE_TEST
#include "race_test.bpf.h"
#else
#define RACE_SETUP(cookie)
#define RACE_WINDOW(site, a, cookie)
#define RACE_FIND(c)
#endif

/*
 * The attempt of this cookie, in its cell or in the hash; NULL if neither
 * has it. *cell says which (whoever ends it frees the cell or deletes the
 * entry). A cell holds it if it has the cookie in a real state (a tomb, GONE,
 * included); one being filled for another cookie may still show ours: then
 * ours has ended, and the hash cannot have it (one home per cookie).
 */
static __always_inline struct ho_attempt *attempt_find(__u64 cookie, bool *cell)
{
	struct ho_attempt *c = cell_of(cookie);
	union ho_sw w;

	*cell = true;
	if (c) {
		/*
		 * The word, the cookie, the word again, unchanged: the cookie
		 * was the cell's while it was in that state. Read the other way
		 * round, a stale cookie of ours in a cell another cookie was
		 * filling, then that cookie's state, would hide ours in the hash.
		 */
		w = sw_read(c);
		RACE_FIND(c);
		if (ho_state_real(w.f.state) && cookie_read(c) == cookie && sw_read(c).sw == w.sw)
			return c;
	}
	*cell = false;
	return st.hashed ? bpf_map_lookup_elem(&attempts, &cookie) : NULL;
}

/*
 * Put a new attempt (a->gen and a->state set) in its cell if free, else in
 * the hash. Fails (non-zero) if the cookie has an attempt already (its
 * earlier one, a tomb) or the hash is full.
 */
static __always_inline int attempt_insert(__u64 cookie, struct ho_attempt *a)
{
	struct ho_attempt *c = cell_of(cookie);
	union ho_sw was;
	bool in_cell;

	if (attempt_find(cookie, &in_cell))
		return -1;
	if (c && (was = sw_read(c)).f.state == HO_ST_FREE &&
	    __sync_val_compare_and_swap(&c->sw, was.sw, sw_of(a->gen, HO_ST_WRITING)) == was.sw) {
		/* ours until the state is written: nobody acts on WRITING */
		__builtin_memcpy((__u8 *)c + sizeof(c->sw), (__u8 *)a + sizeof(a->sw),
				 sizeof(*a) - sizeof(a->sw));
		(void)sw_cas(c, a->gen, HO_ST_WRITING, a->state);
		return 0;
	}
	/* counted first: a lookup that sees no count cannot miss this entry */
	__sync_fetch_and_add(&st.hashed, 1);
	if (bpf_map_update_elem(&attempts, &cookie, a, BPF_NOEXIST)) {
		__sync_fetch_and_add(&st.hashed, -1);
		return -1;
	}
	return 0;
}

/* Free the home of an attempt its caller moved to GONE; non-zero if it could not (a busy bucket). */
static __always_inline int attempt_drop(__u64 cookie, struct ho_attempt *a, __u32 gen, bool cell)
{
	__u64 gone = sw_of(gen, HO_ST_GONE);

	/* generation 0: no stale compare-and-swap of its attempt matches a free cell */
	if (cell)
		return __sync_val_compare_and_swap(&a->sw, gone, sw_of(0, HO_ST_FREE)) == gone ? 0
											       : -1;
	if (bpf_map_delete_elem(&attempts, &cookie))
		return -1;
	__sync_fetch_and_add(&st.hashed, -1);
	return 0;
}

/* An event for the daemon; false if the ring buffer was full (counted). */
static __always_inline bool emit(__u32 type, __u32 outcome, __u64 cookie,
				 const struct ho_attempt *a)
{
	struct ho_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		/* the daemon rescans the map when it sees this go up */
		__sync_fetch_and_add(&st.lost_events, 1);
		return false;
	}
	e->type = type;
	e->outcome = outcome;
	e->cookie = cookie;
	e->end_ns = bpf_ktime_get_ns();
	e->a = *a;
	bpf_ringbuf_submit(e, 0);
	return true;
}

/* The counters of a process or cgroup, created on first use; NULL if full. */
static __always_inline struct ho_stats *stats_get(void *map, __u64 key, const struct ho_attempt *a,
						  bool create)
{
	struct ho_stats *s = bpf_map_lookup_elem(map, &key);
	struct ho_stats init = {};

	if (s || !create)
		return s;
	init.uid = a->uid;
	init.tgid = a->tgid;
	init.cgid = a->cgid;
	__builtin_memcpy(init.comm, a->comm, sizeof(init.comm));
	if (bpf_map_update_elem(map, &key, &init, BPF_NOEXIST) && !bpf_map_lookup_elem(map, &key)) {
		__sync_fetch_and_add(&st.stats_full, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(map, &key);
}

enum stats_op {
	SOP_CONNECT_INFLIGHT,
	SOP_CONNECT_QUEUED,
	SOP_RELEASE,
	SOP_LEAVE_INFLIGHT,
	SOP_LEAVE_QUEUED,
};

/* Closed by its program after its SYN was out a while: it failed (a timeout of its own). */
static __always_inline bool abandoned(enum stats_op op, __u32 outcome, const struct ho_attempt *a)
{
	return op == SOP_LEAVE_INFLIGHT && outcome == HO_OUT_CLOSED && a->out_ns &&
	       bpf_ktime_get_ns() - a->out_ns >= HO_ABANDON_NS;
}

static __always_inline void stats_apply(struct ho_stats *s, enum stats_op op, __u32 outcome,
					const struct ho_attempt *a)
{
	__u64 wait, cur;

	switch (op) {
	case SOP_CONNECT_INFLIGHT:
	case SOP_CONNECT_QUEUED:
		__sync_fetch_and_add(&s->attempts, 1);
		s->last_ns = a->start_ns;
		s->uid = a->uid;
		s->tgid = a->tgid;
		__builtin_memcpy(s->comm, a->comm, sizeof(s->comm));
		if (op == SOP_CONNECT_QUEUED) {
			__sync_fetch_and_add(&s->queued, 1);
			__sync_fetch_and_add(&s->queued_now, 1);
		} else {
			__sync_fetch_and_add(&s->in_flight, 1);
		}
		break;
	case SOP_RELEASE:
		__sync_fetch_and_add(&s->released, 1);
		__sync_fetch_and_add(&s->queued_now, -1);
		__sync_fetch_and_add(&s->in_flight, 1);
		wait = bpf_ktime_get_ns() - a->start_ns;
		for (int i = 0; i < SLOT_CAS_TRIES; i++) {
			cur = s->max_wait_ns;
			if (wait <= cur ||
			    __sync_val_compare_and_swap(&s->max_wait_ns, cur, wait) == cur)
				break;
		}
		break;
	case SOP_LEAVE_INFLIGHT:
	case SOP_LEAVE_QUEUED:
		if (op == SOP_LEAVE_QUEUED)
			__sync_fetch_and_add(&s->queued_now, -1);
		else
			__sync_fetch_and_add(&s->in_flight, -1);
		if (!outcome)
			break; /* unknown: repaired by the daemon */
		if (outcome == HO_OUT_ESTABLISHED)
			__sync_fetch_and_add(&s->established, 1);
		else if (outcome != HO_OUT_CLOSED || abandoned(op, outcome, a))
			__sync_fetch_and_add(&s->failed, 1);
		else if (op == SOP_LEAVE_QUEUED)
			__sync_fetch_and_add(&s->cancelled, 1);
		break;
	}
}

/*
 * Count for the attempt's process. The daemon adds processes up per cgroup
 * (the cgroup of their first connect()): a second map per cgroup cost 4% of
 * the connect rate, 7% with two clients contending for one entry.
 */
static __always_inline void stats_update(enum stats_op op, __u32 outcome,
					 const struct ho_attempt *a)
{
	bool create = op == SOP_CONNECT_INFLIGHT || op == SOP_CONNECT_QUEUED;
	struct ho_stats *s = stats_get(&proc_stats, a->tgid, a, create);

	if (s)
		stats_apply(s, op, outcome, a);
}

/* Loopback never leaves the host: no worm spreads over it, local IPC never waits. */
static __always_inline bool is_loopback(const struct ho_attempt *a)
{
	const __u8 *d = a->daddr;

	if (a->family == AF_INET)
		return d[0] == 127;
	/* ::1, and ::ffff:127.x.y.z for IPv4 on an IPv6 socket */
	for (int i = 0; i < 10; i++)
		if (d[i])
			return false;
	if (d[10] == 0xff && d[11] == 0xff)
		return d[12] == 127;
	return !d[10] && !d[11] && !d[12] && !d[13] && !d[14] && d[15] == 1;
}

/*
 * A field of the sock_ops context, loaded at its own constant offset: the
 * verifier refuses a context pointer the compiler moved to share one load.
 */
#define CTX_U32(ctx, field)                                                                        \
	({                                                                                         \
		__u32 v_;                                                                          \
		asm volatile("%[v] = *(u32 *)(%[c] + %[off])"                                      \
			     : [v] "=r"(v_)                                                        \
			     : [c] "r"(ctx), [off] "i"(__builtin_offsetof(struct bpf_sock_ops,     \
									  field)));                \
		v_;                                                                                \
	})

/* Probation of scopes not judged yet: its own block. */
#include "probation.bpf.h"

/*
 * Is this a first contact of the process, of its cgroup (flags), and is one
 * of those flagged as a scanner (contained: it queues)?
 */
static __always_inline bool first_contact(struct ho_attempt *a)
{
	struct ho_reach_key k = {.kind = HO_SCOPE_PROC, .id = a->tgid};
	struct ho_scope_key f = {.kind = HO_SCOPE_PROC, .id = a->tgid};
	__u64 *seen;

	__builtin_memcpy(k.addr, a->daddr, sizeof(k.addr));
	seen = bpf_map_lookup_elem(&reached, &k);
	if (seen)
		*seen = a->start_ns;
	else
		a->flags |= HO_AT_FIRST_P;
	k.kind = ho_group_kind(a->cgid);
	k.id = ho_group_id(a->cgid, a->uid);
	seen = bpf_map_lookup_elem(&reached, &k);
	if (seen)
		*seen = a->start_ns;
	else
		a->flags |= HO_AT_FIRST_C;
	if (!st.flagged_scopes)
		return false;
	if ((a->flags & HO_AT_FIRST_P) && bpf_map_lookup_elem(&flagged, &f))
		a->flags |= HO_AT_CONT_P;
	f.kind = ho_group_kind(a->cgid);
	f.id = ho_group_id(a->cgid, a->uid);
	if ((a->flags & HO_AT_FIRST_C) && bpf_map_lookup_elem(&flagged, &f))
		a->flags |= HO_AT_CONT_C;
	return a->flags & HO_AT_CONT;
}

/* A first contact succeeded: its address joins the working sets it was new to. */
static __always_inline void learn(const struct ho_attempt *a)
{
	struct ho_reach_key k = {.kind = HO_SCOPE_PROC, .id = a->tgid};
	__u64 now = bpf_ktime_get_ns();

	__builtin_memcpy(k.addr, a->daddr, sizeof(k.addr));
	if (a->flags & HO_AT_FIRST_P)
		bpf_map_update_elem(&reached, &k, &now, BPF_ANY);
	k.kind = ho_group_kind(a->cgid);
	k.id = ho_group_id(a->cgid, a->uid);
	if (a->flags & HO_AT_FIRST_C)
		bpf_map_update_elem(&reached, &k, &now, BPF_ANY);
}

/* The socket's storage, created if need be; NULL if there is no memory for it. */
static __always_inline struct ho_sk *sk_info_of(struct bpf_sock_ops *skops, __u64 flags)
{
	struct bpf_sock *sk = skops->sk;

	return sk ? bpf_sk_storage_get(&sk_info, sk, 0, flags) : NULL;
}

/* A new attempt of this socket: its cookie for getsockopt, an earlier end forgotten. */
static __always_inline void sk_new_attempt(struct ho_sk *sk, __u64 cookie)
{
	if (!sk)
		return;
	sk->cookie = cookie;
	__sync_fetch_and_and(&sk->flags, ~HO_SK_ENDED);
}

static __always_inline void on_connect(struct bpf_sock_ops *skops)
{
	struct ho_attempt a = {};
	__u64 id = bpf_get_current_pid_tgid(), cookie;
	__u32 d[4] = {}, l[4] = {};
	struct ho_scope_set set = {};
	enum take_result r;
	bool admit, exempt, contained = false, probation = false;
	struct ho_sk *sk;

	a.family = (__u16)skops->family;
	/* remote_port: network byte order in the upper half; local_port: host order */
	a.dport = (__u16)bpf_ntohl(skops->remote_port);
	a.sport = (__u16)skops->local_port;
	/* context fields are read one by one, at constant offsets */
	if (a.family == AF_INET6) {
		d[0] = CTX_U32(skops, remote_ip6[0]);
		d[1] = CTX_U32(skops, remote_ip6[1]);
		d[2] = CTX_U32(skops, remote_ip6[2]);
		d[3] = CTX_U32(skops, remote_ip6[3]);
		l[0] = CTX_U32(skops, local_ip6[0]);
		l[1] = CTX_U32(skops, local_ip6[1]);
		l[2] = CTX_U32(skops, local_ip6[2]);
		l[3] = CTX_U32(skops, local_ip6[3]);
	} else if (a.family == AF_INET) {
		d[0] = CTX_U32(skops, remote_ip4);
		l[0] = CTX_U32(skops, local_ip4);
	} else {
		return;
	}
	__builtin_memcpy(a.daddr, d, sizeof(d));
	__builtin_memcpy(a.saddr, l, sizeof(l));
	if (is_loopback(&a)) {
		/* untracked: forget the end of an earlier attempt of this socket */
		sk = sk_info_of(skops, 0);
		if (sk)
			__sync_fetch_and_and(&sk->flags, ~HO_SK_ENDED);
		return;
	}
	cookie = bpf_get_socket_cookie(skops);
	/* a storage only if the socket asked for HALFOPEN_NOQUEUE: no allocation here */
	sk = sk_info_of(skops, 0);
	a.pid = (__u32)id;
	a.tgid = id >> 32;
	a.uid = (__u32)bpf_get_current_uid_gid();
	a.cgid = bpf_get_current_cgroup_id();
	a.start_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(a.comm, sizeof(a.comm));

	find_scopes(&a, &set);
	exempt = set_exempt(&set);
	if (st.detect && !exempt)
		contained = first_contact(&a);
	/* a scope on probation has as many first contacts out as it may */
	if (!contained && !exempt && st.probe_budget && (a.flags & HO_AT_FIRST)) {
		int units = probe_take(a.flags, a.tgid, a.cgid, a.uid);

		probation = units < 0;
		if (!probation)
			a.flags |= (__u32)units & HO_AT_PROBE;
	}
	/* a new attempt never overtakes queued ones it competes with */
	if (exempt)
		r = take_all(&set, true, false);
	else if (contained || probation)
		r = CONTAINED; /* released by the daemon when it may, no slot taken */
	else if (set_waiting(&set))
		r = SCOPE_FULL;
	else if (st.limit && st.global_wait)
		r = NS_FULL;
	else
		r = take_all(&set, false, false);
	/*
	 * Its generation now, from the line of st.in_flight that take_all()
	 * has just written (halfopen.h): no line of its own to fetch.
	 */
	a.gen = __sync_fetch_and_add(&st.gen_seq, 1) + 1;
	admit = r == TAKEN;
	a.state = admit ? HO_ST_INFLIGHT : HO_ST_QUEUED;
	a.out_ns = admit ? a.start_ns : 0;
	a.flags |= exempt ? HO_AT_EXEMPT : 0;
	if (!admit) {
		/* a queued attempt holds no unit: it takes them when released */
		if (a.flags & HO_AT_PROBE)
			(void)probe_return(a.flags & HO_AT_PROBE, a.tgid, a.cgid, a.uid);
		a.flags &= ~HO_AT_PROBE;
		a.flags |= HO_AT_WAITED | (probation ? HO_AT_PROBE_Q : 0);
		a.qseq = __sync_fetch_and_add(&st.enq_seq, 1) + 1;
	}
	if (sk && (sk->flags & HO_SK_NOQUEUE)) {
		a.flags |= HO_AT_NOQUEUE;
		/* it passed the check in connect() but lost the last slot since */
		if (!admit)
			__sync_fetch_and_add(&st.noqueue_lost, 1);
	}
	if (!(skops->bpf_sock_ops_cb_flags & BPF_SOCK_OPS_STATE_CB_FLAG))
		a.flags |= HO_AT_STATE_CB;
	if (admit) {
		a.holds = set;
	} else {
		/* a contained attempt (or one on probation) keeps no one else waiting */
		if (!contained && !probation)
			a.queued_in = set;
		/*
		 * getsockopt(HALFOPEN_INFO) finds a held attempt by this cookie
		 * (it cannot ask for it itself). Made for held attempts only:
		 * a storage per connect cost 0.8 us (docs/benchmarks.md).
		 */
		if (!sk)
			sk = sk_info_of(skops, BPF_SK_STORAGE_GET_F_CREATE);
	}
	sk_new_attempt(sk, cookie);
	/* who meets this entry again checks it is still this attempt (halfopen.h) */
	a.cookie = cookie;
	if (attempt_insert(cookie, &a)) {
		/* table full: fail open, never block what we cannot track */
		if (admit) {
			give_all(&set, exempt);
			(void)probe_return(a.flags & HO_AT_PROBE, a.tgid, a.cgid, a.uid);
		}
		/*
		 * A storage with the cookie but no attempt reads untracked;
		 * without one, a SYN_SENT socket would read in flight. Rare.
		 */
		if (!sk)
			sk_new_attempt(sk_info_of(skops, BPF_SK_STORAGE_GET_F_CREATE), cookie);
		__sync_fetch_and_add(&st.untracked, 1);
		return;
	}
	/* the end of this attempt: tcp_set_state() calls us back */
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
	/* tracked ones only, never taken back: a counter of the metrics */
	__sync_fetch_and_add(&st.attempts, 1);
	for (int i = 0; i < HO_ATTEMPT_SCOPES && set.s[0].idx; i++) {
		struct ho_scope *s = scope_of(set.s[i]);

		if (!s)
			continue;
		__sync_fetch_and_add(&s->attempts, 1);
		if (!admit)
			__sync_fetch_and_add(&s->queued_total, 1);
	}
	stats_update(admit ? SOP_CONNECT_INFLIGHT : SOP_CONNECT_QUEUED, 0, &a);
	if (admit)
		return;
	if (r == NS_FULL)
		st.global_wait = 1;
	if (contained)
		__sync_fetch_and_add(&st.contained, 1);
	else if (probation)
		__sync_fetch_and_add(&st.probation, 1);
	else
		set_add(&set, 1, 1);
	__sync_fetch_and_add(&st.queued, 1);
	__sync_fetch_and_add(&st.queued_total, 1);
	emit(HO_EV_QUEUED, 0, cookie, &a);
}

static __always_inline __u32 ns_to_ms(__u64 ns)
{
	__u64 ms = ns / 1000000;

	return ms > 0xffffffffull ? 0xffffffffu : (__u32)ms;
}

static __always_inline __u32 outcome_of(struct bpf_sock_ops *skops, __u32 newstate)
{
	struct bpf_sock *sk = skops->sk;
	struct tcp_sock *tp;
	int err = 0;

	if (newstate == BPF_TCP_ESTABLISHED)
		return HO_OUT_ESTABLISHED;
	tp = sk ? bpf_skc_to_tcp_sock(sk) : NULL;
	if (tp)
		err = ((struct sock *)tp)->sk_err;
	if (err == ECONNREFUSED_)
		return HO_OUT_REFUSED;
	return err ? HO_OUT_FAILED : HO_OUT_CLOSED;
}

static __always_inline void count_outcome(__u32 outcome)
{
	switch (outcome) {
	case HO_OUT_ESTABLISHED:
		__sync_fetch_and_add(&st.established, 1);
		break;
	case HO_OUT_REFUSED:
		__sync_fetch_and_add(&st.refused, 1);
		break;
	case HO_OUT_FAILED:
		__sync_fetch_and_add(&st.failed, 1);
		break;
	default:
		__sync_fetch_and_add(&st.closed, 1);
		break;
	}
}

/*
 * Move attempt gen to GONE; the state it had, or 0 if someone else ended it
 * or the entry is another attempt's now. From here the entry is ours until
 * leave() deletes it or marks it a tomb: nobody else deletes a GONE entry
 * that is not a tomb.
 */
static __always_inline __u32 claim(struct ho_attempt *a, __u32 gen)
{
	for (int i = 0; i < SLOT_CAS_TRIES; i++) {
		union ho_sw cur = sw_read(a);

		if (cur.f.gen != gen || cur.f.state == HO_ST_GONE || !ho_state_real(cur.f.state))
			return 0;
		if (sw_cas(a, gen, cur.f.state, HO_ST_GONE))
			return cur.f.state;
	}
	return 0;
}

/*
 * Attempt gen leaves SYN_SENT: free what it held. outcome 0 means unknown
 * (the daemon found its socket no longer connecting). Returns whether it was
 * ours to end.
 */
static __always_inline bool leave(__u64 cookie, struct ho_attempt *a, __u32 gen, bool cell,
				  __u32 outcome)
{
	__u32 was = claim(a, gen);

	if (!was)
		return false; /* someone else is at it */
	if (was == HO_ST_QUEUED || was == HO_ST_TAKING) {
		__sync_fetch_and_add(&st.queued, -1);
		set_add(&a->queued_in, 1, -1);
		if (outcome == HO_OUT_CLOSED)
			__sync_fetch_and_add(&st.cancelled, 1);
		else if (outcome)
			count_outcome(outcome);
		stats_update(SOP_LEAVE_QUEUED, outcome, a);
		emit(HO_EV_CANCELLED, outcome, cookie, a);
	} else {
		if (was != HO_ST_EXPIRED) { /* an expired attempt gave its slots back then */
			give_all(&a->holds, a->flags & HO_AT_EXEMPT);
		} else {
			/*
			 * and its units of probation went to the daemon, which
			 * scored it failed: say so even if expire() has not yet
			 */
			__sync_fetch_and_and(&a->flags, ~HO_AT_PROBE);
			__sync_fetch_and_or(&a->flags, HO_AT_EXPIRED);
		}
		if (outcome)
			count_outcome(outcome);
		if (abandoned(SOP_LEAVE_INFLIGHT, outcome, a))
			__sync_fetch_and_add(&st.abandoned, 1);
		stats_update(SOP_LEAVE_INFLIGHT, outcome, a);
		if (a->flags & HO_AT_FIRST) {
			/* the daemon scores every first contact's outcome */
			if (outcome == HO_OUT_ESTABLISHED)
				learn(a);
			/*
			 * units of probation come back once the daemon has scored
			 * it; if it cannot be told, at once (unscored, never kept)
			 */
			if ((outcome || (a->flags & HO_AT_PROBE)) &&
			    !emit(HO_EV_FIRST_END, outcome, cookie, a) && (a->flags & HO_AT_PROBE))
				(void)probe_return(a->flags & HO_AT_PROBE, a->tgid, a->cgid,
						   a->uid);
			else if (!outcome && !(a->flags & HO_AT_PROBE) && st.queued)
				emit(HO_EV_SLOT_FREED, outcome, cookie, a);
		} else if (st.queued) {
			/* only wake the daemon when someone waits for the slot */
			emit(HO_EV_SLOT_FREED, outcome, cookie, a);
		}
	}
	/*
	 * RELEASING: its SYN is on its way back through held_syn, and the
	 * daemon drops it there. TAKING: the release program still writes the
	 * entry. Either way it stays, a tomb, for the daemon to delete; the mark
	 * is our last touch of it.
	 */
	if (was == HO_ST_RELEASING || was == HO_ST_TAKING) {
		__sync_fetch_and_or(&a->flags, HO_AT_TOMB);
		__sync_fetch_and_add(&st.tombs, 1);
		return true;
	}
	/*
	 * Should the delete fail (a busy bucket), the daemon deletes the tomb.
	 * A cell's cannot fail: nobody else moves a GONE cell that is not a tomb.
	 */
	if (attempt_drop(cookie, a, gen, cell) && !cell)
		__sync_fetch_and_or(&a->flags, HO_AT_TOMB);
	return true;
}

static __always_inline void on_leave(struct bpf_sock_ops *skops, __u32 newstate)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	bool cell;
	struct ho_attempt *a = attempt_find(cookie, &cell);
	struct ho_sk *s;
	union ho_sw sw;
	__u32 outcome, waited_ms, gen;
	__u64 start_ns, end_ns;
	__u32 at_flags;
	bool queued;

	if (!a)
		return; /* another daemon's, or untracked */
	/*
	 * Under the socket's lock no other attempt of this socket starts; the
	 * generation read here is this attempt's unless the entry was reused
	 * for another socket's, which its cookie tells.
	 */
	sw = sw_read(a);
	gen = sw.f.gen;
	if (cookie_read(a) != cookie)
		return;
	/* stop the calls for the rest of the connection, if nobody else asked for them */
	if (a->flags & HO_AT_STATE_CB)
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags &
							 ~BPF_SOCK_OPS_STATE_CB_FLAG);
	outcome = outcome_of(skops, newstate);
	at_flags = a->flags;
	start_ns = a->start_ns;
	queued = sw.f.state == HO_ST_QUEUED || sw.f.state == HO_ST_TAKING;
	/* remembered for getsockopt(HALFOPEN_INFO) if it has a storage; freed with the socket */
	s = sk_info_of(skops, 0);
	/* the clock only for those who keep the time: most attempts have no storage */
	end_ns = queued || s ? bpf_ktime_get_ns() : 0;
	waited_ms = queued ? ns_to_ms(end_ns - start_ns) : a->waited_ms;
	if (!leave(cookie, a, gen, cell, outcome))
		return;
	if (s) {
		s->outcome = outcome;
		s->at_flags = at_flags;
		s->waited_ms = waited_ms;
		s->start_ns = start_ns;
		s->end_ns = end_ns;
		__sync_fetch_and_or(&s->flags, HO_SK_ENDED);
	}
}

SEC("sockops")
int on_sockops(struct bpf_sock_ops *skops)
{
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		if (bpf_get_netns_cookie(skops) == netns_cookie)
			on_connect(skops);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		/* only sockets we asked it for, and daemons of other namespaces */
		if (skops->args[0] == BPF_TCP_SYN_SENT)
			on_leave(skops, skops->args[1]);
		break;
	}
	return 1;
}

/* Fill the tuple from an IPv4 or IPv6 header at offset 0; false if not TCP. */
static __always_inline bool parse_tuple(struct __sk_buff *skb, struct ho_tuple *t)
{
	__u8 vhl;
	__u32 l4;

	if (bpf_skb_load_bytes(skb, 0, &vhl, 1))
		return false;
	if ((vhl >> 4) == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.protocol != IPPROTO_TCP_)
			return false;
		t->family = AF_INET;
		__builtin_memcpy(t->saddr, &ip.saddr, 4);
		__builtin_memcpy(t->daddr, &ip.daddr, 4);
		l4 = (vhl & 0xf) * 4;
	} else if ((vhl >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) || ip6.nexthdr != IPPROTO_TCP_)
			return false;
		t->family = AF_INET6;
		__builtin_memcpy(t->saddr, &ip6.saddr, 16);
		__builtin_memcpy(t->daddr, &ip6.daddr, 16);
		l4 = sizeof(ip6);
	} else {
		return false;
	}
	if (bpf_skb_load_bytes(skb, l4, &t->sport, 4)) /* sport and dport */
		return false;
	return true;
}

SEC("socket")
int held_syn(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct ho_attempt *a;
	struct ho_tuple t = {};
	union ho_sw sw;
	bool cell;

	RACE_SETUP(cookie);
	a = attempt_find(cookie, &cell);
	if (!a)
		return 0; /* fast path: not ours to hold */
	RACE_WINDOW(RACE_HELD, a, cookie);
	/*
	 * A released SYN comes back from the daemon, not under its socket's
	 * lock: the attempt may end and its entry be reused meanwhile. Read
	 * the state word, then the cookie: an entry in RELEASING that still
	 * has our cookie is our attempt (RELEASING is never a first state, so
	 * its cookie was written long before), and the CAS is against it.
	 */
	sw = sw_read(a);
	if (cookie_read(a) != cookie)
		return 0; /* reused: ours is gone, as if not found */
	if (sw.f.state == HO_ST_INFLIGHT || sw.f.state == HO_ST_EXPIRED)
		return 0;
	/* released: the first SYN through makes it in flight, unless it ended first */
	if (sw.f.state == HO_ST_RELEASING && sw_cas(a, sw.f.gen, HO_ST_RELEASING, HO_ST_INFLIGHT))
		return 0;
	if (sw_read(a).sw == sw_of(sw.f.gen, HO_ST_INFLIGHT))
		return 0;
	/* queued: held; gone: held too, and the daemon drops it */
	if (!parse_tuple(skb, &t))
		return 0; /* fail open */
	if (bpf_map_update_elem(&held, &t, &cookie, BPF_ANY))
		return 0; /* the daemon could not match it: fail open */
	return 1;
}

SEC("syscall")
int release(struct ho_release_args *args)
{
	__u64 cookie = args->cookie;
	__u32 gen = args->gen;
	bool cell;
	struct ho_attempt *a = attempt_find(cookie, &cell);
	struct ho_scope_set set = args->scopes, queued_in;
	bool exempt = set_exempt(&set);
	struct ho_attempt who = {};
	enum take_result r;
	__u32 units = 0;

	if (!a) {
		args->result = HO_REL_GONE;
		return 0;
	}
	RACE_WINDOW(RACE_RELEASE, a, cookie);
	/*
	 * Hold the entry first (TAKING): only then is it ours to write, for
	 * an end meanwhile leaves it in place as a tomb. On an entry another
	 * attempt has now, the generation differs and nothing is written.
	 */
	if (!sw_cas(a, gen, HO_ST_QUEUED, HO_ST_TAKING)) {
		args->result = HO_REL_GONE;
		return 0;
	}
	RACE_WINDOW(RACE_TAKEN, a, cookie);
	/*
	 * A first contact takes units of probation when released (none while
	 * its scope is flagged: it goes at the pace the daemon keeps; one
	 * queued as a flagged scope's takes them once it is unflagged). Looked
	 * at first without taking anything, so that a full probation does not
	 * take and give back slots others are waiting to see.
	 */
	if (st.probe_budget && !args->force && !exempt && (a->flags & HO_AT_FIRST) &&
	    !probe_room(a->flags, a->tgid, a->cgid, a->uid)) {
		/* back in the queue, unless it ended meanwhile (a tomb now) */
		args->result = sw_cas(a, gen, HO_ST_TAKING, HO_ST_QUEUED) ? HO_REL_PROBE_FULL
									  : HO_REL_GONE;
		return 0;
	}
	/* the scopes as the policies are now: they may have changed since connect() */
	r = take_all(&set, exempt, args->force);
	if (r != TAKEN) {
		/* back in the queue, unless it ended meanwhile (a tomb now) */
		args->result = !sw_cas(a, gen, HO_ST_TAKING, HO_ST_QUEUED) ? HO_REL_GONE
			       : r == SCOPE_FULL			   ? HO_REL_SCOPE_FULL
									   : HO_REL_NO_SLOT;
		return 0;
	}
	/* then its units (after the slots, the test again: fewer paths for the verifier) */
	if (st.probe_budget && !args->force && !exempt && (a->flags & HO_AT_FIRST)) {
		int taken = probe_release(a->flags, a->tgid, a->cgid, a->uid);

		if (taken < 0) {
			give_all(&set, exempt);
			/* back in the queue, unless it ended meanwhile (a tomb now) */
			args->result = sw_cas(a, gen, HO_ST_TAKING, HO_ST_QUEUED)
					       ? HO_REL_PROBE_FULL
					       : HO_REL_GONE;
			return 0;
		}
		units = (__u32)taken;
	}
	/* written before the state: whoever sees it in flight sees what it holds */
	a->holds = set;
	a->out_ns = bpf_ktime_get_ns();
	if (exempt)
		__sync_fetch_and_or(&a->flags, HO_AT_EXEMPT);
	else
		__sync_fetch_and_and(&a->flags, ~HO_AT_EXEMPT);
	a->waited_ms = ns_to_ms(bpf_ktime_get_ns() - a->start_ns);
	/* before the state too: its end gives back what the flags say it holds */
	if (units)
		__sync_fetch_and_or(&a->flags, units);
	/*
	 * What the counts below need, read while the entry is surely ours: once
	 * RELEASING, a retransmitted SYN may make it INFLIGHT and its end
	 * delete it before we are done.
	 */
	queued_in = a->queued_in;
	who.tgid = a->tgid;
	who.cgid = a->cgid;
	who.uid = a->uid;
	who.start_ns = a->start_ns;
	/* its SYN goes out only through held_syn, which checks the socket still connects */
	if (!sw_cas(a, gen, HO_ST_TAKING, HO_ST_RELEASING)) {
		/* cancelled while we took the slots (a tomb now): give them back (its end gave none) */
		give_all(&set, exempt);
		(void)probe_return(units, who.tgid, who.cgid, who.uid);
		args->result = HO_REL_GONE;
		return 0;
	}
	__sync_fetch_and_add(&st.queued, -1);
	set_add(&queued_in, 1, -1);
	stats_update(SOP_RELEASE, 0, &who);
	args->result = HO_REL_RELEASED;
	return 0;
}

/*
 * Should an end ever go unreported, the daemon finds the attempts whose
 * socket no longer connects (sock_diag, looked up one by one by 4-tuple and
 * cookie) and forgets them here with the same accounting as a leave.
 */
SEC("syscall")
int forget(struct ho_forget_args *args)
{
	__u64 cookie = args->cookie;
	__u32 gen = args->gen, done = 0;
	bool cell;
	struct ho_attempt *a = attempt_find(cookie, &cell);

	if (a) {
		RACE_WINDOW(RACE_FORGET, a, cookie);
		/* the attempt the daemon judged (its gen), not whatever has the entry now */
		if (leave(cookie, a, gen, cell, 0)) {
			__sync_fetch_and_add(&st.repaired, 1);
			done = 1;
		}
	}
	/* one store to the context at a constant offset (the verifier's rule) */
	*(volatile __u32 *)&args->result = done;
	return 0;
}

/*
 * --slot-timeout: an attempt half-open that long stops counting against the
 * limits (its slots are given back) but stays tracked, so its end is still
 * counted and scored. Run by the daemon for attempts it found past their time.
 */
SEC("syscall")
int expire(struct ho_forget_args *args)
{
	__u64 cookie = args->cookie;
	__u32 gen = args->gen, units = 0, done = 0;
	bool cell, exempt;
	struct ho_attempt *a = attempt_find(cookie, &cell);
	struct ho_scope_set holds;

	if (!a)
		goto out;
	RACE_WINDOW(RACE_EXPIRE, a, cookie);
	if (sw_read(a).sw != sw_of(gen, HO_ST_INFLIGHT))
		goto out;
	/*
	 * Read before the CAS: once EXPIRED, its end may delete the entry and
	 * another attempt reuse it. In flight, what it holds (slots, units of
	 * probation) no longer changes; a CAS that succeeds proves the entry
	 * was this attempt's all along. Nor is it written after: its end marks
	 * it HO_AT_EXPIRED.
	 */
	holds = a->holds;
	exempt = a->flags & HO_AT_EXEMPT;
	units = a->flags & HO_AT_PROBE;
	/* against its end (claim) and nothing else: only INFLIGHT becomes EXPIRED */
	if (!sw_cas(a, gen, HO_ST_INFLIGHT, HO_ST_EXPIRED)) {
		units = 0;
		goto out;
	}
	/* the daemon scores it failed now and gives its units back; a late success undoes that */
	give_all(&holds, exempt);
	__sync_fetch_and_add(&st.expired, 1);
	done = 1;
out:
	/* stores to the context at constant offsets (the verifier's rule) */
	*(volatile __u32 *)&args->probe = units;
	*(volatile __u32 *)&args->result = done;
	return 0;
}

/* The socket interface for applications (halfopen(7)): its own block. */
#include "sockopt.bpf.h"

/* Raw SYNs (raw IP and packet sockets): their own block, docs/design.md. */
#include "raw.bpf.h"
