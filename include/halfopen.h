/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * halfopen's socket interface, for programs: is my connect() queued, and
 * may I refuse to be queued? Plain getsockopt(2)/setsockopt(2) on the
 * program's own TCP socket, answered in the kernel by halfopend's BPF
 * programs; no library to link. See halfopen(7).
 *
 *   struct halfopen_info info;
 *   socklen_t len = sizeof(info);
 *   getsockopt(fd, SOL_HALFOPEN, HALFOPEN_INFO, &info, &len);
 *
 *   int one = 1;
 *   setsockopt(fd, SOL_HALFOPEN, HALFOPEN_NOQUEUE, &one, sizeof(one));
 *   connect(fd, ...);   // ENOBUFS at once instead of waiting in the queue
 *
 * With no halfopend managing the socket's network namespace, both calls
 * fail with ENOPROTOOPT, exactly as they do on a kernel without halfopen.
 *
 * Versioning: struct halfopen_info starts with its size. Fields are only
 * ever appended, never moved, resized or given another meaning. The kernel
 * side fills min(optlen, sizeof(its struct)) bytes, writes that number into
 * hi_size (when optlen holds it) and into *optlen. A program built against
 * an older header gets the prefix it knows; one built against a newer header
 * than the running halfopend reads hi_size to tell which fields were filled.
 */
#ifndef HALFOPEN_PUBLIC_H
#define HALFOPEN_PUBLIC_H

#include <linux/types.h>

/*
 * The socket option level: 0x484f ("HO"). The kernel's own levels are IP
 * protocol numbers (0..255) and SOL_* values handed out one by one from 256
 * (SOL_IPX) upwards: 287 (SOL_VSOCK) in Linux 6.18, 288 proposed for QUIC;
 * some architectures use 0xffff for SOL_SOCKET. 18511 is far from all.
 */
#define SOL_HALFOPEN 0x484f

/* getsockopt: struct halfopen_info, at least hi_size (4 bytes) */
#define HALFOPEN_INFO 1
/*
 * setsockopt/getsockopt: int. Non-zero before connect(): never queue this
 * socket's attempt; connect() fails at once with HALFOPEN_NOQUEUE_ERRNO
 * (ENOBUFS) when it would have been queued.
 */
#define HALFOPEN_NOQUEUE 2
/* connect()'s errno when a HALFOPEN_NOQUEUE attempt would have been queued */
#define HALFOPEN_NOQUEUE_ERRNO 105 /* ENOBUFS */

#define HALFOPEN_INFO_VERSION 1

/* hi_state */
enum halfopen_state {
	HALFOPEN_UNTRACKED = 0, /* halfopen does not track an attempt of this socket */
	HALFOPEN_IN_FLIGHT = 1, /* holds a slot, its SYN is out */
	HALFOPEN_QUEUED = 2,	/* over a limit: its SYN is held until a slot frees */
	HALFOPEN_RELEASED = 3,	/* was queued, now holds a slot; its SYN is on its way out */
	HALFOPEN_ENDED = 4,	/* the attempt is over: hi_outcome says how */
};

/* hi_scope: what holds a queued attempt back */
enum halfopen_scope {
	HALFOPEN_SCOPE_NONE = 0,      /* not queued: the hi_limit.. fields are the namespace's */
	HALFOPEN_SCOPE_NAMESPACE = 1, /* the network namespace's limit */
	HALFOPEN_SCOPE_CGROUP = 2,    /* a cgroup policy: hi_scope_id is the cgroup v2 id */
	HALFOPEN_SCOPE_USER = 3,      /* a user policy: hi_scope_id is the uid */
};

/* hi_outcome, for HALFOPEN_ENDED */
enum halfopen_outcome {
	HALFOPEN_OUT_UNKNOWN = 0,
	HALFOPEN_OUT_ESTABLISHED = 1, /* SYN-ACK */
	HALFOPEN_OUT_REFUSED = 2,     /* RST */
	HALFOPEN_OUT_FAILED = 3,      /* timed out, unreachable, any other error */
	HALFOPEN_OUT_CLOSED = 4,      /* closed by the application (while queued: cancelled) */
};

/* hi_flags */
#define HALFOPEN_F_NOQUEUE    0x1u /* the socket asked not to be queued (HALFOPEN_NOQUEUE) */
#define HALFOPEN_F_WAS_QUEUED 0x2u /* the attempt waited in the queue */
#define HALFOPEN_F_EXEMPT     0x4u /* an exempt policy applies: counted, never held */
/*
 * The connecting process or its cgroup is flagged as a scanner now (its
 * first contacts, attempts to addresses it has not reached lately, are
 * queued and released at halfopend's --contain-rate), or, for an attempt
 * that has ended, it was held as a scanner's. Always 0 in the original mode.
 */
#define HALFOPEN_F_SCANNER 0x8u
/*
 * The attempt is, or was, held on probation: its process or cgroup, not
 * judged yet, had as many first contacts out unanswered as it takes to
 * flag it if they all fail (halfopend's --flag-after). It goes out as soon
 * as one of them is answered or fails. Always 0 in the original mode.
 */
#define HALFOPEN_F_PROBATION 0x10u

struct halfopen_info {
	__u32 hi_size;	  /* bytes filled: min(optlen, sizeof) */
	__u32 hi_version; /* HALFOPEN_INFO_VERSION of the kernel side */
	__u32 hi_state;	  /* enum halfopen_state */
	__u32 hi_flags;	  /* HALFOPEN_F_* */
	/*
	 * HALFOPEN_QUEUED only, else 0: 1 + the attempts of the namespace
	 * queued before this one and after the oldest still queued. Exact in
	 * release=fifo while no attempt ahead was cancelled; an upper bound
	 * otherwise (cancelled ones still count); never more than hi_queued.
	 */
	__u32 hi_position;
	__u32 hi_outcome;   /* enum halfopen_outcome, for HALFOPEN_ENDED */
	__u64 hi_waited_ns; /* time held in the queue: so far, or until released or ended */
	__u64 hi_age_ns;    /* since connect(): so far, or until it ended; 0 if not kept */
	__u32 hi_scope;	    /* enum halfopen_scope */
	__u32 hi_limit;	    /* that scope's limit (0: none); the namespace's if NONE */
	__u32 hi_in_flight; /* attempts holding a slot in it now */
	__u32 hi_queued;    /* attempts queued in it now */
	__u64 hi_scope_id;  /* cgroup v2 id or uid; 0 for the namespace */
};

#endif /* HALFOPEN_PUBLIC_H */
