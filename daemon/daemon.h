/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * halfopend's state: struct daemon ties the modules' own structs (kern,
 * nfqueue, hqueue, scopes, release_engine, ...) together for the loop in
 * halfopend.c; the functions below are grouped by the file that defines them.
 */
#ifndef HO_DAEMON_H
#define HO_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "clock.h"
#include "config.h"
#include "kern.h"
#include "limit_event.h"
#include "nfq.h"
#include "queue.h"
#include "rawsyn.h"
#include "release.h"
#include "scopes.h"
#include "snapshot.h"

#define HO_REPORT_GATHER_MS 200 /* let a burst queue up before naming its top process */
#define HO_RECONCILE_S	    10	/* seconds between checks that tracked sockets exist */

/* The epoll tags of the event loop, all of them: one list, so none collide. */
enum ev_tag {
	EV_RINGBUF = 1,
	EV_NFQ,
	EV_CTL,
	EV_SIGNAL,
	EV_TIMER,
	EV_HTTP_LISTEN,
	EV_RATE,
	EV_RAW_LINK,  /* a network interface appeared or went (rawsyn.c) */
	EV_RAW_TIMER, /* unanswered raw SYNs to time out */
};
#define EV_CLIENT (1ull << 32) /* a control client: EV_CLIENT | fd */
#define EV_HTTP	  (1ull << 33) /* a metrics connection: EV_HTTP | fd */

/*
 * Bounds of the control socket (stated in halfopend(8)). Root is always
 * served: unprivileged clients can never take the last HO_MAX_CLIENTS -
 * HO_CLIENTS_USERS slots, nor more than their share of reply memory, and
 * they are dropped when idle or not reading. Every client has one request in
 * flight at most: the next is not read before the reply to the last is sent.
 */
#define HO_MAX_CLIENTS	   128		/* control connections at once */
#define HO_CLIENTS_USERS   96		/* of them, unprivileged at most */
#define HO_CLIENTS_PER_UID 16		/* of them, one unprivileged uid at most */
#define HO_MAX_LISTS	   4		/* unprivileged list replies being sent at once */
#define HO_USERS_SHARE	   5		/* their clients take 1/5 of the daemon's time at most */
#define HO_OUT_MAX_ROOT	   (64u << 20)	/* reply bytes queued for one root client */
#define HO_OUT_MAX_USER	   (4u << 20)	/* ... for one unprivileged client */
#define HO_OUT_USERS	   (32u << 20)	/* ... for all unprivileged clients together */
#define HO_OUT_TOTAL	   (128u << 20) /* ... for all clients together */
#define HO_FOLLOW_MAX	   (1 << 20)	/* an events follower this far behind is dropped */
#define HO_USER_TIMEOUT_S  5		/* an unprivileged client idle or not reading is dropped */

/* Bounds of the metrics endpoint (http.c). */
#define HO_MAX_HTTP	    64 /* connections at once */
#define HO_HTTP_PER_UID	    8  /* of them, from sockets of one uid at most (root: no bound) */
#define HO_HTTP_ROOT	    8  /* of them, only root's */
#define HO_HTTP_REQUEST_MAX 4096

struct daemon_opts {
	struct ho_config c;   /* in force: defaults, then the file, then the command line */
	struct ho_config cli; /* what the command line set: it wins over the file */
	const char *config;   /* the file */
	bool config_given;    /* -f: the file must exist */
	int verbose;
};

/* Reply memory of the control clients: buffers allocated, in bytes. */
struct ctl_budget {
	size_t all;
	size_t users; /* of unprivileged clients */
};

/* A control client and what is still to be sent to it. */
struct ctl_client {
	int fd;	      /* -1: free */
	uint32_t uid; /* the peer's credentials, taken once at accept */
	int32_t pid;
	bool restricted;    /* not root: only what the request table allows anyone */
	bool follow;	    /* halfopen events -f */
	bool list;	    /* the reply being sent is a list */
	bool paused;	    /* told "busy": its next request waits for the next tick */
	uint32_t events;    /* what epoll waits for on it now */
	bool failed;	    /* a reply could not be queued (out of memory) */
	uint64_t active_ns; /* accepted, last request, or last reply bytes taken */
	char *out;	    /* records: uint32_t size, then the message */
	size_t len, off, cap;
	struct ctl_budget *budget; /* the daemon's, that cap counts in */
};

struct http_text; /* a rendered metrics text, shared by the replies that send it (http.c) */

struct http_conn {
	int fd;		   /* -1: free */
	uint32_t uid;	   /* owner of the connecting socket, or HTTP_UID_UNKNOWN */
	bool closing;	   /* reply sent, our side shut: reading what is left */
	uint64_t start_ns; /* accepted; then, when closing: since */
	char in[HO_HTTP_REQUEST_MAX];
	size_t inlen;
	char *out;		/* the reply; of a 200, only its header */
	struct http_text *text; /* a 200's body, shared */
	size_t len, off;	/* off counts the header, then the body */
};

struct history {
	uint32_t in_flight[HO_HISTORY_LEN];
	uint32_t queued[HO_HISTORY_LEN];
	uint32_t next, n;
};

struct daemon {
	struct daemon_opts o;
	struct stats_retired retired; /* counters of processes aged out, per cgroup */
	struct kern k;
	struct raw raw; /* raw SYNs: tc links, socket hooks, their timeout */
	struct nfqueue nfq;
	struct hqueue q;
	struct scopes sc;
	struct limit_event ev;
	int epfd, sigfd, timerfd, ctl_fd;
	int lock_fd;		  /* flock of HO_RUN_DIR/net-INODE.lock: one daemon a namespace */
	char ctl_path[108];	  /* the control socket, removed at exit */
	char lock_path[108];	  /* the lock file, removed at exit */
	struct ctl_budget budget; /* reply buffers of the control clients */
	uint64_t ctl_refused;	  /* control connections refused: a bound was reached */
	uint64_t ctl_dropped;	  /* control clients dropped: idle, not reading */
	uint64_t users_work_ns;	  /* time owed for building unprivileged lists */
	uint64_t users_work_at;	  /* when it was last paid off */
	uint64_t ctl_log_ns;	  /* drops logged in the second that began here */
	uint32_t ctl_logged;
	uint64_t raw_log_ns; /* raw events logged in the second that began here */
	uint32_t raw_logged;
	int ratefd; /* --release rate:R: one tick per release, at most 1 kHz */
	uint32_t rate_per_tick;
	struct ctl_client clients[HO_MAX_CLIENTS];
	int http_fd;
	int diag_fd; /* sock_diag: who owns a metrics connection */
	uint32_t diag_seq;
	struct http_conn http[HO_MAX_HTTP];
	uint64_t http_refused;	     /* metrics connections refused: a bound was reached */
	uint64_t http_dropped;	     /* metrics connections closed: too slow */
	struct http_text *http_text; /* the latest metrics text, while it may be shared */
	struct event_log events;
	struct history hist;
	time_t started;
	char status_sent[128]; /* the last STATUS= told to systemd */
	unsigned int ticks;    /* housekeeping runs, one a second */
	bool stopping;
	bool rt;	       /* running at SCHED_FIFO now */
	uint64_t limit_hit_ns; /* first attempt queued since the last report check, or 0 */
	struct ho_attempt last_queued;
	struct release_engine rel;
	/* counters kept in userspace; the rest live in the kernel (struct ho_kstate) */
	uint64_t dropped;    /* SYN dropped: too many held */
	uint64_t duplicates; /* retransmitted SYN of an attempt already held */
	uint64_t adopted;    /* queued attempts found in the table, not via an event */
	uint64_t seen_lost_events;
	uint64_t seen_untracked;
	uint64_t released_seen; /* released at the last tick: none since means a stall */
};

/* limiter.c: the queue engine */
/* Set up the release engine, once the kernel side is loaded. */
void limiter_init(struct daemon *d);
int limiter_on_event(void *ctx, void *data, size_t len);
void limiter_on_packet(void *ctx, uint32_t id, const void *pkt, size_t len);
/* Release what the slots allow (not in rate mode: see limiter_release_some). */
void limiter_release(struct daemon *d);
/* Release at most n. */
void limiter_release_some(struct daemon *d, uint32_t n);
void limiter_release_all(struct daemon *d);
void limiter_housekeeping(struct daemon *d);
/*
 * Report the limit event if due: logged, kept, and written to *out for the
 * loop to send to followers (out->time_ns stays 0 if there was none). Returns
 * ms until it should be called again, or -1.
 */
int limiter_report(struct daemon *d, struct ho_ctl_event_row *out);

/* ctl_server.c: the control socket */
int ctl_listen(struct daemon *d);
void ctl_accept(struct daemon *d);
void ctl_event(struct daemon *d, int fd, uint32_t events);
/* Drop unprivileged clients idle or not reading; from the 1 s timer. */
void ctl_expire(struct daemon *d);
void ctl_close_all(struct daemon *d);
void ctl_err(struct ctl_client *c, int err, const char *msg);
/* persist.c: rewrite the settings file with edit(); on failure tells the client, -errno. */
int ctl_persist(struct daemon *d, struct ctl_client *c, const char *what,
		char *(*edit)(const char *text, const void *arg), const void *arg);
/*
 * Queue a message for a client. Rows of lists are bounded (-ENOBUFS past the
 * client's or the daemon's reply memory); a single reply or END always goes.
 */
int ctl_put(struct ctl_client *c, uint16_t type, const void *payload, uint32_t len);
void ctl_flush(struct daemon *d, struct ctl_client *c);
/* Send a new limit event to every follower. */
void ctl_broadcast_event(struct daemon *d, const struct ho_ctl_event_row *r);

/* ctl_policy.c: halfopen policy and halfopen run (req: struct ho_ctl_policy) */
void policy_set(struct daemon *d, struct ctl_client *c, const void *req);
void policy_del(struct daemon *d, struct ctl_client *c, const void *req);
void policy_list(struct daemon *d, struct ctl_client *c, const void *req);

/* ctl_lists.c: replies that are lists; req is the request's checked payload */
void list_ps(struct daemon *d, struct ctl_client *c, const void *req);
void list_stats(struct daemon *d, struct ctl_client *c, const void *req);
void list_events(struct daemon *d, struct ctl_client *c, const void *req);
void send_history(struct daemon *d, struct ctl_client *c, const void *req);

#endif
