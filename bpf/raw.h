/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Raw SYNs: the types raw.bpf.h shares with halfopend. A raw SYN is a TCP
 * SYN without ACK sent from a socket that is not a TCP stream socket: a raw
 * IP socket (nmap -sS) or a packet socket (masscan, zmap). Fixed-width
 * fields only: an ABI between the two sides.
 */
#ifndef HALFOPEN_RAW_H
#define HALFOPEN_RAW_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "halfopen.h"

#define HO_RAW_MAX 65536 /* raw SYNs tracked at once; over it: let through, untracked */

/* Who made a raw or packet socket, kept in its socket storage at creation. */
struct ho_raw_owner {
	__u32 tgid;
	__u32 uid;
	__u64 cgid;
	char comm[HO_COMM_LEN];
};

/*
 * One raw SYN in flight, keyed by its struct ho_tuple as sent (addresses
 * and ports in network byte order). The answer is matched by the reversed
 * tuple.
 */
struct ho_raw_attempt {
	__u64 start_ns; /* CLOCK_MONOTONIC, when the SYN left */
	__u64 cookie;	/* the sending socket */
	__u32 tgid;	/* of the socket's creator; 0: made before halfopend started */
	__u32 uid;
	__u64 cgid;
	char comm[HO_COMM_LEN];
	__u32 flags; /* HO_AT_EXEMPT, HO_AT_FIRST_P, HO_AT_FIRST_C */
	__u32 ifindex;
	struct ho_scope_set holds;
};

/* How a raw SYN ended; struct ho_event.outcome of HO_EV_RAW_* events. */
enum ho_raw_end {
	HO_RAW_SYNACK = 1,
	HO_RAW_RST = 2,
	HO_RAW_TIMEOUT = 3,
};

/*
 * Raw counters in the program's .bss (raw_st), mapped into the daemon. The
 * slots raw SYNs take are the namespace's and the scopes' (struct ho_kstate,
 * scopes[]): one limit for both kinds.
 */
struct ho_raw_state {
	__s32 in_flight;  /* raw SYNs holding a slot (or exempt) now */
	__u32 drop_armed; /* the daemon wants a HO_EV_RAW_DROPPED: set by it, cleared by us */
	__u32 deny_armed; /* ... a HO_EV_RAW_DENIED for a dropped frame */
	__u32 pace_armed; /* ... a HO_EV_RAW_DROPPED (outcome 1) for a SYN over a flagged pace */
	__u64 timeout_ns; /* daemon-written: a raw SYN is half-open until answered or this long */
	__u64 attempts;	  /* raw SYNs that took a slot */
	__u64 synack;
	__u64 rst;
	__u64 timed_out;
	__u64 dropped;	      /* over a limit: dropped, nothing retransmits them */
	__u64 untracked;      /* table full: let through, not counted */
	__u64 denied;	      /* raw and packet sockets refused by a raw deny policy */
	__u64 denied_frames;  /* frames of packet sockets in a raw deny scope, dropped */
	__u64 unowned;	      /* raw SYNs of sockets made before the daemon started */
	__u64 bypass_refused; /* setsockopt(PACKET_QDISC_BYPASS) refused */
	__u64 pace_ns;	      /* daemon-written: 1 / contain-rate, a flagged scope's pace */
	__u64 paced;	      /* first contacts of a flagged scope over its pace: dropped */
	__u64 judged;	      /* first contacts' ends reported to the scanner test */
};

/* Argument of the "raw_expire" syscall program. */
struct ho_raw_expire_args {
	struct ho_tuple t;
	__u64 now_ns;
	__u32 result; /* 1: it timed out and its slot was freed */
	__u32 pad;
};

#endif /* HALFOPEN_RAW_H */
