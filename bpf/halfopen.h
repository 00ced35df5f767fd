/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the kernel side (halfopen.bpf.c) and halfopend.
 * Fixed-width fields only, no pointers: this is an ABI between the two.
 */
#ifndef HALFOPEN_H
#define HALFOPEN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HO_COMM_LEN 16

/*
 * Scopes besides the namespace: a cgroup (and everything below it) or a user,
 * each with its own limit or exempt. They live in the .bss array scopes[],
 * indexed from the "scope_index" map; index 0 is unused.
 */
#define HO_SCOPES_MAX	  512 /* scope entries; policies are at most HO_SCOPES_MAX / 2 */
#define HO_ATTEMPT_SCOPES 4   /* scopes one attempt counts in, besides the namespace */
#define HO_CGROUP_DEPTH	  32  /* cgroup levels looked at for a connect() */

enum ho_scope_kind {
	HO_SCOPE_CGROUP = 1, /* id: cgroup v2 id */
	HO_SCOPE_USER = 2,   /* id: uid */
	HO_SCOPE_PROC = 3,   /* id: process id; only for scanner detection */
};

/*
 * Scanner detection (docs/design.md, "Containment"). A first contact is an
 * attempt to an address its process (or cgroup) has not reached lately: not
 * in the "reached" map, which the kernel fills when a first contact
 * succeeds and the daemon keeps to --working-set entries per scope. The
 * daemon scores first contacts' outcomes and puts the scopes it flags in the
 * "flagged" map (key struct ho_scope_key, kind PROC or CGROUP): their first
 * contacts are queued, and released at --contain-rate a second.
 */
struct ho_reach_key {
	__u32 kind; /* HO_SCOPE_PROC, or the group's (ho_group_kind) */
	__u32 pad;
	__u64 id;
	__u8 addr[16]; /* the destination, as ho_attempt.daddr */
};

/* An attempt closed by its program after its SYN was out this long failed (abandoned). */
#define HO_ABANDON_NS 1000000000ull

#define HO_SCOPE_F_EXEMPT   1u /* attempts are counted, never held */
#define HO_SCOPE_F_RAW_DENY 2u /* no raw IP or packet socket may be made (bpf/raw.bpf.h) */

struct ho_scope_key {
	__u32 kind; /* enum ho_scope_kind */
	__u32 pad;
	__u64 id;
};

/*
 * Probation (docs/design.md, "Probation"): a process or cgroup not judged
 * benign yet may have only so many first contacts out whose outcome the
 * daemon has not scored, so that it cannot put more first contacts on the
 * wire than it takes to flag it if they all fail. The "probation" map (key
 * struct ho_scope_key) holds w = budget << 32 | out, changed with
 * compare-and-swap only: the kernel takes a unit (out + 1, only while out <
 * budget) for each first contact it lets out, the daemon gives it back once
 * it has scored the attempt's end, and sets the budget from the score
 * (HO_PROBE_FREE: judged benign, nothing counted). A scope not in the map
 * starts with st.probe_budget (0: no probation, the original mode).
 */
#define HO_PROBE_SCOPES	  16384
#define HO_PROBE_FREE	  0xffffffffu
#define HO_CGROUP_ROOT_ID 1 /* the cgroup v2 root: the whole host, not one group */

/*
 * The group an attempt is judged in besides its process (HO_AT_*_C): its
 * cgroup, or, for a process in the root cgroup (the whole host: under
 * systemd only what runs outside any unit), its user. So a worm that forks
 * one process per attempt is judged, and held, as a group all the same.
 */
static inline __u32 ho_group_kind(__u64 cgid)
{
	return cgid == HO_CGROUP_ROOT_ID ? HO_SCOPE_USER : HO_SCOPE_CGROUP;
}

static inline __u64 ho_group_id(__u64 cgid, __u32 uid)
{
	return cgid == HO_CGROUP_ROOT_ID ? uid : cgid;
}

struct ho_probe {
	__u64 w;
};

/* Argument of the "probe_set" syscall program (run by the daemon). */
struct ho_probe_args {
	struct ho_scope_key key;
	__u32 budget;  /* the new budget */
	__u32 resolve; /* units given back: attempts of the scope it has scored */
	__u32 result;  /* 1 if the scope was found */
	__u32 pad;
};

/* One scope's limit and counts; the daemon writes limit, flags and gen. */
struct ho_scope {
	__u32 limit; /* 0: no limit of its own (exempt) */
	__u32 flags; /* HO_SCOPE_F_* */
	__u32 gen;   /* changes whenever the entry is given to another policy */
	__s32 in_flight;
	__s32 queued;
	__u32 kind; /* enum ho_scope_kind, written by the daemon with id */
	__u64 attempts;
	__u64 queued_total;
	__u64 id; /* cgroup v2 id or uid: what getsockopt(HALFOPEN_INFO) names */
};

/* A scope as an attempt refers to it; stale once scopes[idx].gen moved on. */
struct ho_scope_ref {
	__u16 idx; /* 0: none */
	__u16 gen; /* low 16 bits of scopes[idx].gen */
};

/* Filled from s[0]: s[0].idx == 0 is the empty set. */
struct ho_scope_set {
	struct ho_scope_ref s[HO_ATTEMPT_SCOPES];
};

/* struct ho_attempt.flags */
#define HO_AT_EXEMPT   1u    /* holds no slot of the namespace */
#define HO_AT_STATE_CB 2u    /* we asked for BPF_SOCK_OPS_STATE_CB: give it back at the end */
#define HO_AT_TOMB     4u    /* ended while released: kept until its held SYN is dropped */
#define HO_AT_NOQUEUE  8u    /* its socket asked not to be queued (HALFOPEN_NOQUEUE) */
#define HO_AT_WAITED   16u   /* it was queued at connect() */
#define HO_AT_FIRST_P  32u   /* a first contact of its process */
#define HO_AT_FIRST_C  64u   /* a first contact of its group (ho_group_kind) */
#define HO_AT_CONT_P   128u  /* queued because its process is flagged */
#define HO_AT_CONT_C   256u  /* queued because its group is flagged */
#define HO_AT_PROBE_P  512u  /* holds a unit of its process's probation */
#define HO_AT_PROBE_C  1024u /* holds a unit of its group's probation */
#define HO_AT_PROBE_Q  2048u /* queued: its process's or cgroup's probation was full */
#define HO_AT_EXPIRED  4096u /* went past --slot-timeout (the daemon scored it failed then) */
#define HO_AT_FIRST    (HO_AT_FIRST_P | HO_AT_FIRST_C)
#define HO_AT_PROBE    (HO_AT_PROBE_P | HO_AT_PROBE_C)
#define HO_AT_APART    (HO_AT_CONT | HO_AT_PROBE_Q) /* queued by containment, not a limit */
#define HO_AT_CONT     (HO_AT_CONT_P | HO_AT_CONT_C)

/*
 * Where an attempt is in its life; stored in struct ho_attempt.state and
 * changed with compare-and-swap only.
 *
 *   connect ─► INFLIGHT ─────────────────────────────► GONE (entry deleted)
 *          └─► QUEUED ─► RELEASING ─(SYN passes)─► INFLIGHT
 *                           └─(socket ends first)─► GONE, kept as a tomb
 *                                                   until its SYN is dropped
 *   INFLIGHT ─(slot-timeout, the daemon)─► EXPIRED ─► GONE
 *   QUEUED ─(release)─► TAKING ─► RELEASING, or back to QUEUED (no slot)
 *
 * An entry's memory is reused at once for another attempt once it is
 * deleted (the hash map's allocator frees without waiting for RCU), so a
 * pointer from a lookup may point at another attempt by the time it is used.
 * Hence the state and a generation unique to each insert share one 64-bit
 * word (ho_attempt.sw), and every change of state is a compare-and-swap of
 * that word against the generation of the attempt meant: on an entry reused
 * for another attempt it fails. And an entry is deleted only by whoever moved
 * it to GONE, except tombs (HO_AT_TOMB), which only the daemon deletes; so
 * whoever moved it to GONE, or holds it in TAKING, may use it until it
 * deletes it or marks it a tomb. docs/design.md, "The attempt's state".
 */
enum ho_state {
	HO_ST_FREE = 0,	     /* a cell nobody has (HO_CELLS); never an attempt's */
	HO_ST_INFLIGHT = 1,  /* holds a slot, its SYN may go out */
	HO_ST_QUEUED = 2,    /* over the limit, its SYN is held */
	HO_ST_GONE = 3,	     /* left SYN_SENT; the entry is being deleted */
	HO_ST_RELEASING = 4, /* holds a slot; its SYN has not passed the filter yet */
	HO_ST_EXPIRED = 5,   /* half-open past --slot-timeout: holds no slot, still tracked */
	HO_ST_TAKING = 6,  /* queued; the release program is taking its slots (counts as queued) */
	HO_ST_WRITING = 7, /* a cell being filled by its connect: not an attempt yet */
};

/*
 * Where an attempt lives: in the cell its cookie names (ho_cell_index)
 * if that cell was free at its connect, else in the "attempts" hash. The
 * cells are a plain array (a global of the program, mapped into the daemon):
 * no allocation, no lock, no hash per connect, which the hash costs 0.4 us of
 * (docs/benchmarks.md, "Cells"). A cell is taken FREE -> WRITING -> its
 * first state by compare-and-swap, and freed (GONE -> FREE, generation 0) by
 * whoever would have deleted the hash entry. Either home holds one attempt
 * per cookie at most.
 */
#define HO_CELLS 8192
_Static_assert((HO_CELLS & (HO_CELLS - 1)) == 0, "cells are indexed by a mask");

/*
 * The cell of a cookie. The kernel gives each CPU cookies in aligned batches
 * of 4,096; the batch number mixed in keeps two CPUs' sequences from walking
 * the same cells in step, and the cookies of one batch still fill the cells
 * one after the other.
 */
static inline __u32 ho_cell_index(__u64 cookie, __u32 mask)
{
	return (__u32)(cookie ^ (cookie >> 12)) & mask;
}

/* A state an attempt is in (a cell's FREE and WRITING are not). */
static inline int ho_state_real(__u32 state)
{
	return state >= HO_ST_INFLIGHT && state <= HO_ST_TAKING;
}

/* Holds a slot (in flight as the limit counts it). */
static inline int ho_state_in_flight(__u32 state)
{
	return state == HO_ST_INFLIGHT || state == HO_ST_RELEASING;
}

/* How an attempt left SYN_SENT. */
enum ho_outcome {
	HO_OUT_ESTABLISHED = 1, /* SYN-ACK */
	HO_OUT_REFUSED = 2,	/* RST */
	HO_OUT_FAILED = 3,	/* timed out, unreachable, any other error */
	HO_OUT_CLOSED = 4,	/* closed by the application */
};

/* The state word of an attempt: its state and its generation, changed together. */
union ho_sw {
	__u64 sw;
	struct {
		__u32 state; /* enum ho_state */
		__u32 gen;   /* st.gen_seq at its insert: no two attempts share one */
	} f;
};

/* One tracked attempt, in its cell or in the "attempts" hash (keyed by socket cookie). */
struct ho_attempt {
	union {
		__u64 sw; /* as union ho_sw: changed with a 64-bit compare-and-swap only */
		struct {
			__u32 state; /* enum ho_state */
			__u32 gen;   /* of this insert; never changes */
		};
	};
	__u64 cookie; /* its key: an entry reused for another socket no longer matches */
	__u32 pid;    /* thread id of the connecting task */
	__u32 tgid;   /* process id */
	__u32 uid;
	__u32 waited_ms; /* released ones: time from connect() to release */
	__u64 cgid;	 /* cgroup v2 id of the connecting task */
	__u64 start_ns;	 /* CLOCK_MONOTONIC (bpf_ktime_get_ns) at connect() */
	__u16 family;	 /* AF_INET or AF_INET6 */
	__u16 dport;	 /* host byte order */
	__u8 daddr[16];	 /* IPv4 in the first 4 bytes */
	__u8 saddr[16];	 /* the socket's own address, same layout */
	__u16 sport;	 /* host byte order */
	__u16 pad2[3];
	__u64 out_ns; /* its SYN went out (admitted or released); 0 while queued */
	char comm[HO_COMM_LEN];
	__u32 flags; /* HO_AT_* */
	__u32 qseq;  /* queued ones: st.enq_seq at connect(), for the queue position */
	struct ho_scope_set queued_in; /* scopes counting it as queued */
	struct ho_scope_set holds;     /* scopes it holds a slot in, once in flight */
};

/*
 * Counters of one process (key: tgid) in the "proc_stats" map; cgid is the
 * cgroup of its first connect(). in_flight and queued are gauges; the rest
 * count since the entry was created. The daemon adds them up per cgroup, and
 * ages out entries of processes that are gone and hold nothing (their counts
 * stay with their cgroup's).
 */
struct ho_stats {
	__u64 attempts;
	__u64 established;
	__u64 failed;	 /* refused, timed out or other error */
	__u64 queued;	 /* attempts that had to queue */
	__u64 cancelled; /* closed while queued */
	__u64 released;
	__u64 max_wait_ns; /* longest time from connect() to release */
	__u64 last_ns;	   /* last connect() */
	__s32 in_flight;
	__s32 queued_now;
	__u32 uid;  /* of the last connect() */
	__u32 tgid; /* for cgroup entries: the last process seen */
	__u64 cgid;
	char comm[HO_COMM_LEN];
	__u64 failfast;	   /* connect()s refused at once (HALFOPEN_NOQUEUE) */
	__u64 raw;	   /* raw SYNs (raw IP or packet socket) that took a slot */
	__u64 raw_dropped; /* raw SYNs dropped over a limit */
};

/*
 * What a socket remembers of halfopen (socket local storage, map "sk_info"),
 * created when it sets HALFOPEN_NOQUEUE or when its attempt is held (or
 * could not be tracked: the table was full): its
 * cookie (a cgroup/getsockopt program has no helper that gives it), the
 * application's HALFOPEN_NOQUEUE wish, and, once its attempt has ended, how,
 * for getsockopt(HALFOPEN_INFO) after the attempt left the table.
 */
#define HO_SK_NOQUEUE 1u /* HALFOPEN_NOQUEUE set */
#define HO_SK_ENDED   2u /* a tracked attempt of this socket ended: the rest is valid */

struct ho_sk {
	__u64 cookie;	 /* of the socket, set at connect(): getsockopt cannot ask for it */
	__u32 flags;	 /* HO_SK_* */
	__u32 outcome;	 /* enum ho_outcome */
	__u32 at_flags;	 /* the attempt's HO_AT_* */
	__u32 waited_ms; /* time it was queued */
	__u64 start_ns;	 /* connect() */
	__u64 end_ns;	 /* left SYN_SENT */
};

/* Ring buffer events, kernel to daemon. */
enum ho_event_type {
	HO_EV_QUEUED = 1,     /* an attempt was queued: a = the attempt */
	HO_EV_SLOT_FREED = 2, /* an in-flight attempt left SYN_SENT while some were queued */
	HO_EV_CANCELLED = 3,  /* a queued attempt left SYN_SENT before release */
	HO_EV_FAILFAST =
		4, /* a HALFOPEN_NOQUEUE connect() was refused: a = what it would have been */
	HO_EV_FIRST_END = 5, /* a first contact in flight left SYN_SENT (also a SLOT_FREED) */
	/* a raw or packet socket was refused (outcome 0), its frames dropped
	 * (1), or PACKET_QDISC_BYPASS refused (2): a = its maker, a.family the
	 * family, a.sport the type, a.dport the protocol asked for */
	HO_EV_RAW_DENIED = 6,
	HO_EV_RAW_DROPPED = 7, /* a raw SYN was dropped (when armed) over a limit (outcome 0) or its
				flagged scope's pace (1): a = its sender */
	HO_EV_RAW_FIRST_END = 8, /* a raw SYN that was a first contact ended (also a SLOT_FREED) */
};

struct ho_event {
	__u32 type;    /* enum ho_event_type */
	__u32 outcome; /* enum ho_outcome, for SLOT_FREED, CANCELLED and FIRST_END */
	__u64 cookie;
	__u64 end_ns; /* when it was sent */
	struct ho_attempt a;
};

/*
 * The 4-tuple of a held SYN as the packet filter sees it; the daemon parses
 * the same tuple out of the NFQUEUE packet to find the socket cookie.
 * Addresses and ports in network byte order, IPv4 in the first 4 bytes.
 */
struct ho_tuple {
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Result of the "release" syscall program, run by the daemon. */
enum ho_release_result {
	HO_REL_RELEASED = 1,   /* the attempt took a slot and is in flight */
	HO_REL_NO_SLOT = 2,    /* the limit is reached: try again when a slot frees */
	HO_REL_GONE = 3,       /* the attempt left SYN_SENT already */
	HO_REL_SCOPE_FULL = 4, /* a cgroup or user scope of it is at its limit */
	HO_REL_PROBE_FULL = 5, /* its process's or cgroup's probation is full */
};

/* Argument of the "forget" and "expire" syscall programs. */
struct ho_forget_args {
	__u64 cookie;
	__u32 result; /* 1 if it was forgotten (expired) */
	__u32 probe;  /* expire: the units of probation it held (HO_AT_PROBE_*), now the daemon's */
	__u32 gen;    /* of the attempt meant (as the daemon read it): another is left alone */
	__u32 pad;
};

struct ho_release_args {
	__u64 cookie;
	__u32 force;		    /* take the slot even over the limit (shutdown) */
	__u32 result;		    /* enum ho_release_result, written by the program */
	struct ho_scope_set scopes; /* the scopes that apply to it now */
	__u32 gen;		    /* of the attempt meant, from its QUEUED event */
	__u32 pad;
};

/*
 * Shared state in the program's .bss, mapped into the daemon. limit == 0
 * means unlimited: attempts are counted, never held.
 */
struct ho_kstate {
	/*
	 * Read by every connect, written seldom (hashed and global_wait in
	 * storms, the rest by the daemon): a cache line of their own,
	 * away from the counts two CPUs write at each connect.
	 */
	__u32 limit;
	__u32 cgroup_scopes; /* entries of each kind in scope_index: 0 skips the lookups */
	__u32 user_scopes;
	__u32 detect;	      /* tell first contacts (contain mode); set by the daemon */
	__u32 flagged_scopes; /* entries in "flagged": 0 skips the lookups */
	__u32 probe_budget;   /* probation of a scope not judged yet; 0: none (set by the daemon) */
	__u32 hashed;	      /* attempts in the hash, not in a cell: 0 skips its lookups */
	__u32 global_wait;    /* queued attempts wait for a slot of the namespace: no overtaking */
	__u32 in_flight __attribute__((aligned(64)));
	__u32 queued;
	__u32 exempt_in_flight; /* in flight in an exempt scope: no slot of the namespace */
	/*
	 * attempts inserted so far: gives each its ho_attempt.gen. On the line
	 * of in_flight: on_connect() takes it right after take_all(), and a
	 * connect no longer fetches a line for it alone (docs/benchmarks.md,
	 * "The fast path by source line").
	 */
	__u32 gen_seq;
	__u64 attempts;	    /* attempts tracked since load */
	__u64 queued_total; /* attempts that had to queue */
	__u64 cancelled;    /* queued attempts closed by the application */
	__u64 established;
	__u64 refused;
	__u64 failed;	    /* timed out or other error, in flight or queued */
	__u64 closed;	    /* in-flight attempts closed by the application */
	__u64 untracked;    /* no room (cell taken, hash full): let through, not counted */
	__u64 lost_events;  /* ring buffer was full */
	__u64 stats_full;   /* a process or cgroup found no room for its counters */
	__u64 repaired;	    /* attempts whose leave the kernel skipped, forgotten by the daemon */
	__u64 tombs;	    /* attempts that ended in or after their release, before their SYN */
	__u64 failfast;	    /* HALFOPEN_NOQUEUE connect()s refused at once (ENOBUFS) */
	__u64 noqueue_lost; /* HALFOPEN_NOQUEUE attempts queued all the same: see sockopt.bpf.h */
	__u64 abandoned;    /* of closed: after their SYN was out HO_ABANDON_NS */
	__u64 expired;	    /* attempts that stopped counting at --slot-timeout */
	__u64 contained;    /* first contacts queued because their scope is flagged */
	__u64 probation;    /* first contacts queued because their scope's probation was full */
	__u64 probe_full;   /* first contacts let out uncounted: no room in "probation" */
	__u32 enq_seq;	    /* attempts queued so far: numbers them (ho_attempt.qseq) */
	__u32 head_seq;	    /* by the daemon: qseq of the oldest still queued, or the next one */
};

#endif /* HALFOPEN_H */
