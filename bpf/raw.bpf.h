/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Raw SYNs: SYN scanners that never make a TCP socket (nmap -sS on a raw IP
 * socket, masscan and zmap on packet sockets) seen, counted, limited, and
 * their sockets refused by a "raw deny" policy. Included at the end of
 * halfopen.bpf.c (one object: the slots, the scopes and the ring buffer are
 * the same ones), so it uses its maps and emit(); it does not compile alone.
 *
 *   raw_egress   tc egress (tcx) on every interface of the namespace: a TCP
 *                SYN without ACK whose skb carries a socket that is not a
 *                TCP stream socket takes a slot, as a connect() would, or is
 *                dropped over the limit (nothing retransmits a raw SYN, so
 *                it cannot be held: docs/design.md).
 *   raw_ingress  tc ingress (tcx) on the same interfaces: the SYN-ACK or RST
 *                from the destination (the reversed 4-tuple) frees the slot.
 *   raw_expire   syscall program: the daemon frees the slots of raw SYNs
 *                unanswered for raw_st.timeout_ns (setting raw-timeout).
 *
 *   In contain mode a raw SYN to an address its process or cgroup has not
 *   reached lately is a first contact, as a connect()'s: its end (SYN-ACK,
 *   RST, or no answer within raw-timeout) goes to the scanner test
 *   (HO_EV_FIRST_END), and a flagged scope's first contacts leave at most
 *   one per raw_st.pace_ns; over that pace they are dropped (raw_paced).
 *   raw_sock_create  cgroup/sock_create at the cgroup v2 root: refuses raw
 *                IP sockets (EPERM) in a scope with HO_SCOPE_F_RAW_DENY and
 *                records who made them (socket storage), for attribution.
 *                It sees the inet families only, not AF_PACKET.
 *   raw_setsockopt  cgroup/setsockopt at the root: PACKET_QDISC_BYPASS is
 *                refused (EPERM) in the namespace, its frames would skip tc.
 *   raw_socket_create, raw_socket_post_create  BPF LSM, where the kernel
 *                lets them load: the same for every family, AF_PACKET too.
 *                Where it does not, a packet socket's maker is taken at its
 *                first frame (the sending task, if it is in the socket's
 *                cgroup with the socket's uid), and a packet socket in a
 *                raw deny scope has every frame dropped at tc egress.
 */
#ifndef HALFOPEN_RAW_BPF_H
#define HALFOPEN_RAW_BPF_H

#include <bpf/bpf_tracing.h>
#include "raw.h"

#define TC_ACT_OK_   0
#define TC_ACT_SHOT_ 2
#define ETH_P_IP_    0x0800
#define ETH_P_IPV6_  0x86DD
#define AF_PACKET_   17
#define SOCK_STREAM_ 1
#define SOCK_RAW_    3
#define TCPF_SYN     0x02
#define TCPF_RST     0x04
#define TCPF_ACK     0x10
#define EPERM_	     1
#define IPV6_EXT_MAX 4 /* extension headers walked before the TCP header */

/* Raw counters, mapped into the daemon (skel->bss->raw_st). */
struct ho_raw_state raw_st;

/* Any policy at all (a raw deny is one): none skips every scope lookup. */
#define raw_deny_scopes (st.cgroup_scopes || st.user_scopes)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HO_RAW_MAX);
	__type(key, struct ho_tuple);
	__type(value, struct ho_raw_attempt);
} raw_attempts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ho_raw_owner);
} raw_owners SEC(".maps");

/*
 * A flagged scope's pace for raw SYNs: when its next first contact may
 * leave. An LRU: a scope forgotten early only gets one more turn.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ho_scope_key);
	__type(value, __u64); /* bpf_ktime_get_ns */
} raw_pace SEC(".maps");

/* What BPF LSM programs read of the kernel's own structures (CO-RE). */
struct socket {
	struct sock *sk;
} __attribute__((preserve_access_index));
struct net {
	__u64 net_cookie;
} __attribute__((preserve_access_index));
struct nsproxy {
	struct net *net_ns;
} __attribute__((preserve_access_index));
struct task_struct {
	struct nsproxy *nsproxy;
} __attribute__((preserve_access_index));

struct raw_tcp_head {
	__be16 sport;
	__be16 dport;
	__be32 seq;
	__be32 ack;
	__u8 doff;
	__u8 flags;
};

/*
 * The tuple and TCP flags of an IPv4 or IPv6 TCP packet, read from its
 * network header (tc sees the link-layer header first, of whatever length).
 * IPv6 extension headers are walked; a fragment that is not the first is
 * not TCP as far as we are concerned (its first fragment was).
 */
static __always_inline bool raw_parse(struct __sk_buff *skb, struct ho_tuple *t, __u8 *flags)
{
	struct raw_tcp_head th;
	__u32 l4;

	if (skb->protocol == bpf_htons(ETH_P_IP_)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET) ||
		    ip.protocol != IPPROTO_TCP_ || ip.ihl < 5 || (ip.frag_off & bpf_htons(0x1fff)))
			return false;
		t->family = AF_INET;
		__builtin_memcpy(t->saddr, &ip.saddr, 4);
		__builtin_memcpy(t->daddr, &ip.daddr, 4);
		l4 = ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6_)) {
		struct ipv6hdr ip6;
		__u8 next, ext[2];

		if (bpf_skb_load_bytes_relative(skb, 0, &ip6, sizeof(ip6), BPF_HDR_START_NET))
			return false;
		t->family = AF_INET6;
		__builtin_memcpy(t->saddr, &ip6.saddr, 16);
		__builtin_memcpy(t->daddr, &ip6.daddr, 16);
		next = ip6.nexthdr;
		l4 = sizeof(ip6);
		for (int i = 0; i < IPV6_EXT_MAX && next != IPPROTO_TCP_; i++) {
			if (bpf_skb_load_bytes_relative(skb, l4, ext, 2, BPF_HDR_START_NET))
				return false;
			if (next == 44) { /* fragment: 8 bytes, offset in bytes 2-3 */
				__be16 off;

				if (bpf_skb_load_bytes_relative(skb, l4 + 2, &off, 2,
								BPF_HDR_START_NET) ||
				    (off & bpf_htons(0xfff8)))
					return false;
				l4 += 8;
			} else if (next == 0 || next == 43 || next == 60) {
				l4 += (ext[1] + 1) * 8;
			} else {
				return false;
			}
			next = ext[0];
		}
		if (next != IPPROTO_TCP_)
			return false;
	} else {
		return false;
	}
	if (bpf_skb_load_bytes_relative(skb, l4 & 0xffff, &th, sizeof(th), BPF_HDR_START_NET))
		return false;
	t->sport = th.sport;
	t->dport = th.dport;
	*flags = th.flags;
	return true;
}

/* The scopes of a raw SYN's socket: its user, its cgroup and those above it. */
static __always_inline void raw_find_scopes(struct __sk_buff *skb, __u32 uid, __u64 cgid,
					    struct ho_scope_set *set)
{
	__u32 n = 0;

	if (st.user_scopes)
		set_put(set, &n, HO_SCOPE_USER, uid);
	if (!st.cgroup_scopes)
		return;
	for (int level = 1; level <= HO_CGROUP_DEPTH; level++) {
		__u64 id = bpf_skb_ancestor_cgroup_id(skb, level);

		if (!id || n >= HO_ATTEMPT_SCOPES)
			break;
		set_put(set, &n, HO_SCOPE_CGROUP, id);
		if (id == cgid)
			break;
	}
}

/* The sender as struct ho_attempt, for the counters per process and events. */
static __always_inline void raw_as_attempt(const struct ho_raw_attempt *r, const struct ho_tuple *t,
					   struct ho_attempt *a)
{
	a->state = HO_ST_INFLIGHT;
	a->pid = r->tgid;
	a->tgid = r->tgid;
	a->uid = r->uid;
	a->cgid = r->cgid;
	a->start_ns = r->start_ns;
	a->family = t->family;
	a->sport = bpf_ntohs(t->sport);
	a->dport = bpf_ntohs(t->dport);
	__builtin_memcpy(a->saddr, t->saddr, 16);
	__builtin_memcpy(a->daddr, t->daddr, 16);
	__builtin_memcpy(a->comm, r->comm, sizeof(a->comm));
	a->out_ns = r->start_ns;
	a->flags = r->flags;
}

static __always_inline void raw_stats(const struct ho_attempt *a, bool admitted)
{
	struct ho_stats *s;

	if (!a->tgid)
		return; /* a socket made before we started: no process to count it for */
	s = stats_get(&proc_stats, a->tgid, a, true);
	if (!s)
		return;
	s->last_ns = a->start_ns;
	s->uid = a->uid;
	if (admitted) {
		__sync_fetch_and_add(&s->raw, 1);
		__sync_fetch_and_add(&s->in_flight, 1);
	} else {
		__sync_fetch_and_add(&s->raw_dropped, 1);
	}
}

/*
 * A first contact of its process or cgroup (connect()'s first_contact(): the
 * same working sets)? A socket made before halfopend started has no process
 * to judge (tgid 0): its cgroup only. True if a flagged scope paces it.
 */
static __always_inline bool raw_first_contact(struct ho_attempt *a)
{
	(void)first_contact(a);
	if (!a->tgid)
		a->flags &= ~(HO_AT_FIRST_P | HO_AT_CONT_P);
	return a->flags & HO_AT_CONT;
}

/* The turn of one flagged scope: false if its next raw SYN may not leave yet. */
static __always_inline bool raw_pace_turn(__u32 kind, __u64 id, __u64 now, bool take)
{
	struct ho_scope_key k = {.kind = kind, .id = id};
	__u64 *next = bpf_map_lookup_elem(&raw_pace, &k), cur, want = now + raw_st.pace_ns;

	if (!next)
		return !take || !bpf_map_update_elem(&raw_pace, &k, &want, BPF_NOEXIST);
	cur = *next;
	if (now < cur)
		return false;
	return !take || __sync_val_compare_and_swap(next, cur, want) == cur;
}

/*
 * A flagged scope's first contact: it goes if every flagged scope of it has
 * its turn (one per raw_st.pace_ns, no burst credit), which it then takes.
 * Nothing can hold a raw SYN, so the others are dropped (docs/design.md).
 */
static __always_inline bool raw_paced(const struct ho_attempt *a, __u64 now)
{
	bool p = a->flags & HO_AT_CONT_P, c = a->flags & HO_AT_CONT_C;

	/* the group: its cgroup, or its user in the root cgroup (ho_group_kind) */
	__u32 gk = ho_group_kind(a->cgid);
	__u64 gid = ho_group_id(a->cgid, a->uid);

	if ((p && !raw_pace_turn(HO_SCOPE_PROC, a->tgid, now, false)) ||
	    (c && !raw_pace_turn(gk, gid, now, false)))
		return true;
	if (p && !raw_pace_turn(HO_SCOPE_PROC, a->tgid, now, true))
		return true; /* another CPU took the turn */
	if (c)
		(void)raw_pace_turn(gk, gid, now, true);
	return false;
}

static __always_inline int raw_syn(struct __sk_buff *skb, const struct ho_raw_owner *o,
				   const struct ho_tuple *t)
{
	struct ho_raw_attempt r = {};
	struct ho_scope_set set = {};
	struct ho_attempt a = {};
	enum take_result res;
	bool exempt;

	if (bpf_map_lookup_elem(&raw_attempts, t))
		return TC_ACT_OK_; /* the same probe again: it holds its slot already */
	r.start_ns = bpf_ktime_get_ns();
	r.cookie = bpf_get_socket_cookie(skb);
	r.ifindex = skb->ifindex;
	r.tgid = o->tgid;
	r.uid = o->uid;
	r.cgid = o->cgid;
	__builtin_memcpy(r.comm, o->comm, sizeof(r.comm));
	if (!r.tgid)
		__sync_fetch_and_add(&raw_st.unowned, 1);
	raw_find_scopes(skb, r.uid, r.cgid, &set);
	exempt = set_exempt(&set);
	raw_as_attempt(&r, t, &a);
	if (st.detect && !exempt && raw_first_contact(&a) && raw_paced(&a, r.start_ns)) {
		__sync_fetch_and_add(&raw_st.paced, 1);
		raw_stats(&a, false);
		if (raw_st.pace_armed && __sync_val_compare_and_swap(&raw_st.pace_armed, 1, 0) == 1)
			emit(HO_EV_RAW_DROPPED, 1, r.cookie, &a);
		return TC_ACT_SHOT_; /* as over a limit: nothing can hold it */
	}
	r.flags = a.flags & HO_AT_FIRST;
	if (exempt)
		res = take_all(&set, true, false);
	else if (set_waiting(&set))
		res = SCOPE_FULL; /* queued connect()s go first */
	else if (st.limit && st.global_wait)
		res = NS_FULL;
	else
		res = take_all(&set, false, false);
	if (res != TAKEN) {
		__sync_fetch_and_add(&raw_st.dropped, 1);
		raw_stats(&a, false);
		if (raw_st.drop_armed && __sync_val_compare_and_swap(&raw_st.drop_armed, 1, 0) == 1)
			emit(HO_EV_RAW_DROPPED, 0, r.cookie, &a);
		/*
		 * tcx knows pass, drop and redirect only (TC_ACT_STOLEN is taken for
		 * "next"): the sender of a packet socket is told ENOBUFS, that of a
		 * raw IP socket only with IP_RECVERR.
		 */
		return TC_ACT_SHOT_;
	}
	r.flags |= exempt ? HO_AT_EXEMPT : 0;
	r.holds = set;
	if (bpf_map_update_elem(&raw_attempts, t, &r, BPF_NOEXIST)) {
		/* table full (or the same probe on another CPU): fail open */
		give_all(&set, exempt);
		__sync_fetch_and_add(&raw_st.untracked, 1);
		return TC_ACT_OK_;
	}
	__sync_fetch_and_add(&raw_st.in_flight, 1);
	__sync_fetch_and_add(&raw_st.attempts, 1);
	for (int i = 0; i < HO_ATTEMPT_SCOPES && set.s[0].idx; i++) {
		struct ho_scope *s = scope_of(set.s[i]);

		if (s)
			__sync_fetch_and_add(&s->attempts, 1);
	}
	raw_stats(&a, true);
	return TC_ACT_OK_;
}

/* The task sending now, as a socket's maker (tc egress runs in sendmsg). */
static __always_inline void raw_owner_fill(struct ho_raw_owner *o)
{
	o->tgid = bpf_get_current_pid_tgid() >> 32;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->cgid = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/*
 * Who made this socket: recorded at creation (cgroup/sock_create for raw IP
 * sockets, the LSM for the rest), else the sending task if it is in the
 * socket's cgroup (a frame sent later from a softirq runs on top of
 * whatever task: one of another cgroup is not trusted). The uid is the
 * socket's: scanners drop privileges after making it (zmap runs as nobody).
 */
static __always_inline struct ho_raw_owner *raw_owner(struct __sk_buff *skb, struct bpf_sock *sk)
{
	struct ho_raw_owner *o = bpf_sk_storage_get(&raw_owners, sk, 0, 0);

	if (o)
		return o;
	if (bpf_get_current_cgroup_id() != bpf_skb_cgroup_id(skb))
		return NULL;
	o = bpf_sk_storage_get(&raw_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o) {
		raw_owner_fill(o);
		o->uid = bpf_get_socket_uid(skb);
	}
	return o;
}

/* Is the socket in a raw deny scope? (A packet socket where no LSM refused it.) */
static __always_inline bool raw_sock_denied(struct __sk_buff *skb, __u32 uid, __u64 cgid)
{
	struct ho_scope_set set = {};

	raw_find_scopes(skb, uid, cgid, &set);
	if (!set.s[0].idx)
		return false;
	for (int i = 0; i < HO_ATTEMPT_SCOPES; i++) {
		struct ho_scope *s = scope_of(set.s[i]);

		if (s && (s->flags & HO_SCOPE_F_RAW_DENY))
			return true;
	}
	return false;
}

SEC("tc")
int raw_egress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct ho_raw_owner *o, none = {};
	struct ho_tuple t = {};
	__u8 flags;

	if (!sk)
		return TC_ACT_OK_; /* forwarded, or the kernel's own (an RST, a SYN-ACK) */
	sk = bpf_sk_fullsock(sk);
	if (!sk || (sk->type == SOCK_STREAM_ && sk->family != AF_PACKET_))
		return TC_ACT_OK_; /* a TCP socket's SYN: counted at connect() */
	o = raw_owner(skb, sk);
	if (!o) {
		none.uid = bpf_get_socket_uid(skb);
		none.cgid = bpf_skb_cgroup_id(skb);
		o = &none;
	}
	if (raw_deny_scopes && raw_sock_denied(skb, o->uid, o->cgid)) {
		struct ho_attempt a = {
			.pid = o->tgid, .tgid = o->tgid, .uid = o->uid, .cgid = o->cgid};

		__sync_fetch_and_add(&raw_st.denied_frames, 1);
		if (raw_st.deny_armed &&
		    __sync_val_compare_and_swap(&raw_st.deny_armed, 1, 0) == 1) {
			__builtin_memcpy(a.comm, o->comm, sizeof(a.comm));
			a.family = sk->family;
			a.sport = (__u16)sk->type;
			a.dport = (__u16)sk->protocol;
			emit(HO_EV_RAW_DENIED, 1, bpf_get_socket_cookie(skb), &a);
		}
		return TC_ACT_SHOT_;
	}
	if (!raw_parse(skb, &t, &flags) || (flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) != TCPF_SYN)
		return TC_ACT_OK_;
	return raw_syn(skb, o, &t);
}

/* A raw SYN's end: whoever deletes its entry frees its slot, exactly once. */
static __always_inline bool raw_end(const struct ho_tuple *key, struct ho_raw_attempt *r, __u32 how)
{
	struct ho_raw_attempt c = *r;
	struct ho_attempt a = {};
	struct ho_stats *s;

	if (bpf_map_delete_elem(&raw_attempts, key))
		return false; /* someone else ended it */
	give_all(&c.holds, c.flags & HO_AT_EXEMPT);
	__sync_fetch_and_add(&raw_st.in_flight, -1);
	if (how == HO_RAW_SYNACK)
		__sync_fetch_and_add(&raw_st.synack, 1);
	else if (how == HO_RAW_RST)
		__sync_fetch_and_add(&raw_st.rst, 1);
	else
		__sync_fetch_and_add(&raw_st.timed_out, 1);
	if (c.tgid) {
		s = bpf_map_lookup_elem(&proc_stats, &(__u64){c.tgid});
		if (s)
			__sync_fetch_and_add(&s->in_flight, -1);
	}
	if (c.flags & HO_AT_FIRST) {
		/* the scanner test scores it as a connect()'s (also a SLOT_FREED) */
		raw_as_attempt(&c, key, &a);
		if (how == HO_RAW_SYNACK)
			learn(&a);
		__sync_fetch_and_add(&raw_st.judged, 1);
		emit(HO_EV_RAW_FIRST_END,
		     how == HO_RAW_SYNACK ? HO_OUT_ESTABLISHED
		     : how == HO_RAW_RST  ? HO_OUT_REFUSED
					  : HO_OUT_FAILED,
		     c.cookie, &a);
	} else if (st.queued) {
		raw_as_attempt(&c, key, &a);
		emit(HO_EV_SLOT_FREED, 0, c.cookie, &a);
	}
	return true;
}

SEC("tc")
int raw_ingress(struct __sk_buff *skb)
{
	struct ho_tuple t = {}, k = {};
	struct ho_raw_attempt *r;
	__u8 flags;

	if (raw_st.in_flight <= 0)
		return TC_ACT_OK_; /* the common case: nothing to answer */
	if (!raw_parse(skb, &t, &flags))
		return TC_ACT_OK_;
	if (!(flags & TCPF_RST) && (flags & (TCPF_SYN | TCPF_ACK)) != (TCPF_SYN | TCPF_ACK))
		return TC_ACT_OK_;
	k.family = t.family;
	k.sport = t.dport;
	k.dport = t.sport;
	__builtin_memcpy(k.saddr, t.daddr, 16);
	__builtin_memcpy(k.daddr, t.saddr, 16);
	r = bpf_map_lookup_elem(&raw_attempts, &k);
	if (r)
		raw_end(&k, r, (flags & TCPF_RST) ? HO_RAW_RST : HO_RAW_SYNACK);
	return TC_ACT_OK_;
}

SEC("syscall")
int raw_expire(struct ho_raw_expire_args *args)
{
	struct ho_tuple k = args->t;
	struct ho_raw_attempt *r = bpf_map_lookup_elem(&raw_attempts, &k);

	args->result = 0;
	if (!r || bpf_ktime_get_ns() - r->start_ns < raw_st.timeout_ns)
		return 0;
	args->result = raw_end(&k, r, HO_RAW_TIMEOUT);
	return 0;
}

/* A raw IP socket or a packet socket (socket(AF_INET, SOCK_PACKET) arrives as AF_PACKET). */
static __always_inline bool raw_kind(int family, int type)
{
	return family == AF_PACKET_ ||
	       ((family == AF_INET || family == AF_INET6) && (type & 0xf) == SOCK_RAW_);
}

static __always_inline bool raw_in_our_netns(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct nsproxy *ns = t->nsproxy;

	return ns && ns->net_ns->net_cookie == netns_cookie;
}

/* The current task as an attempt's maker: ids, cgroup, comm. */
static __always_inline void raw_current(struct ho_attempt *a)
{
	__u64 id = bpf_get_current_pid_tgid();

	a->pid = (__u32)id;
	a->tgid = id >> 32;
	a->uid = (__u32)bpf_get_current_uid_gid();
	a->cgid = bpf_get_current_cgroup_id();
	a->start_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(a->comm, sizeof(a->comm));
}

/* -EPERM if a raw deny policy covers the current task; the event names it. */
static __always_inline int raw_deny(int family, int type, int protocol)
{
	struct ho_scope_set set = {};
	struct ho_attempt a = {};

	raw_current(&a);
	find_scopes(&a, &set);
	if (!set.s[0].idx)
		return 0;
	for (int i = 0; i < HO_ATTEMPT_SCOPES; i++) {
		struct ho_scope *s = scope_of(set.s[i]);

		if (s && (s->flags & HO_SCOPE_F_RAW_DENY)) {
			a.family = (__u16)family;
			a.sport = (__u16)type;
			a.dport = (__u16)protocol;
			__sync_fetch_and_add(&raw_st.denied, 1);
			emit(HO_EV_RAW_DENIED, 0, 0, &a);
			return -EPERM_;
		}
	}
	return 0;
}

SEC("lsm/socket_create")
int BPF_PROG(raw_socket_create, int family, int type, int protocol, int kern, int ret)
{
	if (ret || kern || !raw_deny_scopes || !raw_kind(family, type) || !raw_in_our_netns())
		return ret;
	return raw_deny(family, type, protocol);
}

SEC("lsm/socket_post_create")
int BPF_PROG(raw_socket_post_create, struct socket *sock, int family, int type, int protocol,
	     int kern, int ret)
{
	struct ho_raw_owner *o;

	if (ret || kern || !raw_kind(family, type) || !raw_in_our_netns())
		return ret;
	o = bpf_sk_storage_get(&raw_owners, sock->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 0;
	raw_owner_fill(o);
	return 0;
}

#define SOL_PACKET_	     263
#define PACKET_QDISC_BYPASS_ 20

/*
 * A packet socket with PACKET_QDISC_BYPASS sends through dev_direct_xmit(),
 * which skips tc egress: neither counted nor limited. Refused in this
 * namespace while halfopend runs (a speed option: the socket works without).
 */
SEC("cgroup/setsockopt")
int raw_setsockopt(struct bpf_sockopt *ctx)
{
	struct ho_attempt a = {};

	if (ctx->level != SOL_PACKET_ || ctx->optname != PACKET_QDISC_BYPASS_ ||
	    bpf_get_netns_cookie(ctx) != netns_cookie)
		return 1;
	raw_current(&a);
	a.family = AF_PACKET_;
	__sync_fetch_and_add(&raw_st.bypass_refused, 1);
	emit(HO_EV_RAW_DENIED, 2, 0, &a);
	return 0; /* EPERM */
}

/* inet sockets only (inet_create, inet6_create): not AF_PACKET. */
SEC("cgroup/sock_create")
int raw_sock_create(struct bpf_sock *sk)
{
	struct ho_raw_owner *o;

	if (!raw_kind(sk->family, sk->type) || bpf_get_netns_cookie(sk) != netns_cookie)
		return 1;
	if (raw_deny_scopes && raw_deny(sk->family, sk->type, sk->protocol))
		return 0; /* socket() fails with EPERM */
	o = bpf_sk_storage_get(&raw_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o)
		raw_owner_fill(o);
	return 1;
}

#endif /* HALFOPEN_RAW_BPF_H */
