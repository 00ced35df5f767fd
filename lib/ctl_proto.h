/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control protocol between halfopen (CLI) and halfopend.
 *
 * Transport: a SOCK_SEQPACKET unix socket at HO_RUN_DIR/net-INODE.sock, INODE
 * that of the network namespace (/proc/self/ns/net), so the CLI reaches the
 * daemon of its own namespace with no flag. Only root can write HO_RUN_DIR:
 * no one else can take the name first. The daemon's single-instance lock is
 * an flock(2) on HO_RUN_DIR/net-INODE.lock, which holds its pid.
 *
 * Each message is one packet: a header and a fixed-size payload whose length
 * must match its type exactly; anything else is refused. Which requests a
 * client may send is decided from its credentials at connect (SO_PEERCRED):
 * see the table in ctl_server.c. The CLI in turn only trusts a daemon running
 * as root.
 */
#ifndef HO_CTL_PROTO_H
#define HO_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "halfopen.h"
#include "policy.h"

#define HO_RUN_DIR     "/run/halfopen" /* root's only: 0755, owned by root */
#define HO_CTL_VERSION 1
#define HO_CTL_MAX_MSG 1024
#define HO_CGROUP_LEN  192 /* cgroup paths are cut to this, NUL included */

enum ho_ctl_type {
	/* requests */
	HO_CTL_STATUS = 1,	/* no payload; reply STATUS_REP */
	HO_CTL_SET_LIMIT = 2,	/* ho_ctl_limit; reply STATUS_REP or ERR */
	HO_CTL_PS = 3,		/* ho_ctl_ps_req; reply PS_ROW..., END */
	HO_CTL_STATS = 4,	/* ho_ctl_stats_req; reply STATS_ROW..., END */
	HO_CTL_EVENTS = 5,	/* ho_ctl_events_req; reply EVENT_ROW..., END, then
				 with follow, one EVENT_ROW per new event */
	HO_CTL_HISTORY = 6,	/* no payload; reply HISTORY_REP */
	HO_CTL_POLICY_SET = 7,	/* ho_ctl_policy; reply POLICY_ROW or ERR */
	HO_CTL_POLICY_DEL = 8,	/* ho_ctl_policy (the scope); reply END or ERR */
	HO_CTL_POLICY_LIST = 9, /* no payload; reply POLICY_ROW..., END */
	HO_CTL_PARDON = 10,	/* ho_ctl_pardon; reply END or ERR */
	/* replies */
	HO_CTL_STATUS_REP = 64,	 /* ho_ctl_status */
	HO_CTL_ERR = 65,	 /* ho_ctl_err */
	HO_CTL_PS_ROW = 66,	 /* ho_ctl_ps_row */
	HO_CTL_STATS_ROW = 67,	 /* ho_ctl_stats_row */
	HO_CTL_EVENT_ROW = 68,	 /* ho_ctl_event_row */
	HO_CTL_END = 69,	 /* ho_ctl_end: the end of a list */
	HO_CTL_HISTORY_REP = 70, /* ho_ctl_history */
	HO_CTL_POLICY_ROW = 71,	 /* ho_ctl_policy_row */
};

struct ho_ctl_hdr {
	uint16_t version;
	uint16_t type;
	uint32_t len; /* payload bytes after the header */
};

#define HO_LIMIT_F_PERSIST 1u /* also write it to the settings file */

struct ho_ctl_limit {
	uint32_t limit; /* 0: unlimited */
	uint32_t flags; /* HO_LIMIT_F_* */
};

struct ho_ctl_status {
	uint32_t limit;		   /* 0: unlimited */
	uint32_t release;	   /* parse.h: mode | rate << 2 */
	uint32_t exempt_in_flight; /* in flight in exempt scopes, beside in_flight */
	uint32_t policies;
	uint32_t in_flight;
	uint32_t queued;
	uint32_t held; /* queued attempts whose SYN is held right now */
	uint32_t queue_max;
	uint32_t tracked_max;
	uint32_t pid;
	uint32_t queue_num;
	uint32_t raw_in_flight; /* raw SYNs half-open now (part of in_flight, or exempt) */
	uint32_t raw_hooks;	/* HO_RAW_HOOK_*: what the kernel lets us do */
	uint64_t started;	/* unix time */
	uint64_t attempts;
	uint64_t queued_total;
	uint64_t released;
	uint64_t cancelled;
	uint64_t established;
	uint64_t refused;
	uint64_t failed;	    /* timed out or other error */
	uint64_t closed;	    /* in flight, closed by the application */
	uint64_t dropped;	    /* SYN dropped, queue full */
	uint64_t untracked;	    /* attempt table full, let through */
	uint64_t late_syns;	    /* released SYNs dropped: their socket ended first */
	uint64_t repaired;	    /* attempts forgotten: their end went unreported */
	uint64_t control_refused;   /* control connections refused: a bound was reached */
	uint64_t control_dropped;   /* control clients dropped: idle or not reading */
	uint64_t http_refused;	    /* metrics connections refused: a bound was reached */
	uint64_t http_dropped;	    /* metrics connections closed: too slow */
	uint64_t failfast;	    /* HALFOPEN_NOQUEUE connect()s refused at once (ENOBUFS) */
	uint64_t noqueue_lost;	    /* HALFOPEN_NOQUEUE attempts queued: the last slot went first */
	uint32_t mode;		    /* HO_MODE_* (config.h) */
	uint32_t slot_timeout;	    /* seconds, 0: never */
	uint32_t flagged;	    /* processes and cgroups flagged now */
	uint32_t contain_rate;	    /* first contacts a second of a flagged scope */
	uint64_t flagged_total;	    /* flags since start */
	uint64_t contained;	    /* first contacts queued for a flagged scope */
	uint64_t probation;	    /* first contacts queued: their scope's probation was full */
	uint64_t expired;	    /* attempts that stopped counting at slot-timeout */
	uint64_t abandoned;	    /* of closed: closed after their SYN was out 1 s (failed) */
	uint64_t raw_attempts;	    /* raw SYNs (raw IP or packet socket) that took a slot */
	uint64_t raw_answered;	    /* ... ended by a SYN-ACK or an RST */
	uint64_t raw_timed_out;	    /* ... unanswered within the raw timeout */
	uint64_t raw_dropped;	    /* raw SYNs dropped over a limit */
	uint64_t raw_untracked;	    /* raw SYNs let through: table full */
	uint64_t raw_denied;	    /* raw and packet sockets refused (EPERM) */
	uint64_t raw_denied_frames; /* frames of packet sockets dropped by a raw deny */
	uint64_t raw_bypass_refused; /* setsockopt(PACKET_QDISC_BYPASS) refused */
	uint64_t raw_judged;	     /* raw first contacts whose end was scored (contain mode) */
	uint64_t raw_paced; /* raw first contacts of a flagged scope dropped over its pace */
};

#define HO_RAW_HOOK_TC	1u /* tc (tcx) programs see raw SYNs */
#define HO_RAW_HOOK_LSM 2u /* BPF LSM refuses packet sockets at socket() */

/* ps filters: only the fields whose HO_PS_F_* flag is set are compared. */
#define HO_PS_F_PID	 (1u << 0)
#define HO_PS_F_UID	 (1u << 1)
#define HO_PS_F_CGROUP	 (1u << 2) /* the cgroup or one below it */
#define HO_PS_F_INFLIGHT (1u << 3) /* in flight only */
#define HO_PS_F_QUEUED	 (1u << 4) /* queued only */
#define HO_PS_F_ALL	 ((1u << 5) - 1)

struct ho_ctl_ps_req {
	uint32_t flags;
	uint32_t pid;
	uint32_t uid;
	uint32_t max_rows;	    /* 0: all */
	char cgroup[HO_CGROUP_LEN]; /* NUL-terminated */
};

#define HO_PS_RAW 8 /* ho_ctl_ps_row.state of a raw SYN in flight (raw IP or packet socket) */

struct ho_ctl_ps_row {
	uint32_t
		state; /* HO_ST_INFLIGHT, HO_ST_QUEUED, HO_ST_EXPIRED (past slot-timeout), HO_PS_RAW */
	uint32_t position; /* in the queue, from 1; 0 when in flight */
	uint64_t age_ns;   /* since connect() */
	uint32_t verdict;  /* enum ho_verdict of its process */
	int32_t score;	   /* and its score, thousandths */
	struct ho_attempt a;
	char cgroup[HO_CGROUP_LEN];
};

#define HO_STATS_PROCS	 0
#define HO_STATS_CGROUPS 1

struct ho_ctl_stats_req {
	uint32_t kind; /* HO_STATS_PROCS or HO_STATS_CGROUPS */
	uint32_t pad;
};

/* The scanner test's verdict on a process or cgroup. */
enum ho_verdict {
	HO_VERDICT_NONE = 0,	/* no first contact judged (or not in contain mode) */
	HO_VERDICT_OK = 1,	/* judged, not flagged */
	HO_VERDICT_FLAGGED = 2, /* its new first contacts are throttled */
};

struct ho_ctl_stats_row {
	uint64_t key;		 /* tgid or cgroup id */
	uint64_t oldest_wait_ns; /* of what is queued now, 0 if nothing */
	uint32_t alive;		 /* the process (or cgroup) still exists */
	uint32_t verdict;	 /* enum ho_verdict */
	int32_t score;		 /* the test's score, thousandths (flagged at flag-after steps) */
	uint32_t first_ok;	 /* first contacts that succeeded */
	uint32_t first_failed;	 /* ... that failed (refused, unanswered, abandoned) */
	uint32_t pad;
	struct ho_stats s;
	char cgroup[HO_CGROUP_LEN];
};

struct ho_ctl_events_req {
	uint32_t follow;
	uint32_t pad;
};

/* A destination, as an event names it. */
struct ho_ctl_dest {
	uint16_t family; /* AF_INET or AF_INET6; 0: none */
	uint16_t port;
	uint8_t addr[16];
};

enum ho_event_kind {
	HO_EVENT_LIMIT = 0,	  /* a limit was reached (Event 4226): attempts queued */
	HO_EVENT_FLAGGED = 1,	  /* a process or cgroup was flagged as a scanner */
	HO_EVENT_RAW_DROPPED = 2, /* raw SYNs dropped over the limit; top_* sent them */
	HO_EVENT_RAW_REFUSED = 3, /* a raw or packet socket refused (EPERM); top_* asked */
	HO_EVENT_RAW_FRAMES = 4,  /* a packet socket's frames dropped by raw deny; top_* sent */
	HO_EVENT_RAW_BYPASS = 5,  /* PACKET_QDISC_BYPASS refused; top_* asked */
	HO_EVENT_RAW_PACED = 6, /* raw SYNs of a flagged scope dropped over its pace; top_* sent */
};

#define HO_EVENT_SAMPLES 4

/* One event, as logged. */
struct ho_ctl_event_row {
	uint64_t time_ns;      /* CLOCK_REALTIME */
	uint32_t kind;	       /* enum ho_event_kind */
	uint32_t scope_kind;   /* FLAGGED: HO_SCOPE_PROC or HO_SCOPE_CGROUP */
	uint32_t first_ok;     /* FLAGGED: first contacts that succeeded */
	uint32_t first_failed; /* ... and failed */
	struct ho_ctl_dest samples[HO_EVENT_SAMPLES]; /* FLAGGED: failed first contacts */
	uint32_t limit;
	uint32_t in_flight;
	uint32_t queued;
	uint32_t top_tgid;
	uint32_t top_uid;
	uint32_t top_queued;
	uint32_t failfast; /* HALFOPEN_NOQUEUE connect()s refused since the last event */
	uint32_t pad;
	char top_comm[HO_COMM_LEN];
	char top_cgroup[HO_CGROUP_LEN];
	char scope[HO_POLICY_NAME_LEN +
		   8];	     /* the full scope: "cgroup PATH", "user NAME", "" the namespace */
	uint16_t raw_family; /* HO_EVENT_RAW_REFUSED, _FRAMES: the socket's family */
	uint16_t raw_type;   /* ... and type */
};

struct ho_ctl_end {
	uint32_t rows;
	uint32_t truncated; /* rows were left out: the reply reached its bound */
};

#define HO_HISTORY_LEN 60

/* In flight and queued, one sample a second, oldest first. */
struct ho_ctl_history {
	uint32_t n; /* valid samples, the last n of the arrays */
	uint32_t pad;
	uint32_t in_flight[HO_HISTORY_LEN];
	uint32_t queued[HO_HISTORY_LEN];
};

#define HO_POLICY_F_PERSIST   1u /* also write it to the settings file */
#define HO_POLICY_F_TRANSIENT 2u /* halfopen run's: removed when its pid is gone */

/*
 * A policy to set, or the scope of one to delete. The daemon checks it again
 * (name terminated, user known, cgroup there) and resolves names itself.
 */
struct ho_ctl_policy {
	struct ho_policy p;
	uint32_t flags; /* HO_POLICY_F_* */
	uint32_t pad;
};

struct ho_ctl_policy_row {
	struct ho_policy p;
	uint64_t id;	    /* cgroup id or uid; 0 for a cgroup that is not there now */
	uint32_t transient; /* pid of the halfopen run that owns it, or 0 */
	int32_t in_flight;
	int32_t queued;
	uint32_t pad;
	uint64_t attempts;
	uint64_t queued_total;
};

/* halfopen pardon: a process or cgroup starts afresh (unflagged, score 0). */
struct ho_ctl_pardon {
	uint32_t kind;		    /* HO_SCOPE_PROC, HO_SCOPE_CGROUP or HO_SCOPE_USER */
	uint32_t pid;		    /* or the uid */
	char cgroup[HO_CGROUP_LEN]; /* from the cgroup2 root, NUL-terminated */
};

struct ho_ctl_err {
	int32_t err;   /* positive errno */
	char msg[124]; /* NUL-terminated */
};

/* The code keeps every reply within HO_CTL_MAX_MSG. */
_Static_assert(sizeof(struct ho_ctl_hdr) + sizeof(struct ho_ctl_history) <= HO_CTL_MAX_MSG, "msg");
_Static_assert(sizeof(struct ho_ctl_hdr) + sizeof(struct ho_ctl_stats_row) <= HO_CTL_MAX_MSG,
	       "msg");
_Static_assert(sizeof(struct ho_ctl_hdr) + sizeof(struct ho_ctl_ps_row) <= HO_CTL_MAX_MSG, "msg");
_Static_assert(sizeof(struct ho_ctl_hdr) + sizeof(struct ho_ctl_event_row) <= HO_CTL_MAX_MSG,
	       "msg");
_Static_assert(sizeof(struct ho_ctl_hdr) + sizeof(struct ho_ctl_policy_row) <= HO_CTL_MAX_MSG,
	       "msg");

/* Build a message into buf; returns its size or -ENOSPC/-EINVAL. */
int ho_ctl_encode(void *buf, size_t size, uint16_t type, const void *payload, uint32_t len);
/*
 * Check a received message: version, known type, exact payload size, string
 * termination. Returns 0 and sets *hdr and *payload, or -EPROTO/-EBADMSG.
 */
int ho_ctl_decode(const void *buf, size_t n, struct ho_ctl_hdr *hdr, const void **payload);
/* Expected payload size of a type, or -1 for an unknown type. */
int ho_ctl_payload_size(uint16_t type);

int ho_ctl_send(int fd, uint16_t type, const void *payload, uint32_t len);
int ho_ctl_send_err(int fd, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Receive one message into buf (HO_CTL_MAX_MSG); -EMSGSIZE if truncated. */
int ho_ctl_recv(int fd, void *buf, size_t size, struct ho_ctl_hdr *hdr, const void **payload);

/*
 * The file of this network namespace with suffix ("sock" or "lock"):
 * HO_RUN_DIR/net-INODE.SUFFIX. 0, or -errno (no /proc, name too long).
 */
int ho_ctl_path(char *buf, size_t len, const char *suffix);
/* Connect to the daemon of this network namespace; fd or negative errno. */
int ho_ctl_connect(void);

#endif
