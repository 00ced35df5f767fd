/* SPDX-License-Identifier: GPL-2.0-or-later */
/* halfopend's state, shared by its parts (halfopend.c, limiter.c, ctl_server.c). */
#ifndef HO_DAEMON_H
#define HO_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "config.h"
#include "kern.h"
#include "limit_event.h"
#include "nfq.h"
#include "queue.h"
#include "scopes.h"

#define HO_MAX_CLIENTS	    64
#define HO_REPORT_GATHER_MS 200		 /* let a burst queue up before naming its top process */
#define HO_MAX_LISTS	    4		 /* list replies being sent at once */
#define HO_OUT_MAX	    (48 << 20)	 /* bytes queued for one client at most */
#define HO_FOLLOW_MAX	    (1 << 20)	 /* an events follower this far behind is dropped */
#define EV_CLIENT	    (1ull << 32) /* epoll tag of a control client: EV_CLIENT | fd */
#define EV_HTTP		    (1ull << 33) /* epoll tag of a metrics connection: EV_HTTP | fd */
#define EV_HTTP_LISTEN	    6
#define HO_RECONCILE_S	    10 /* seconds between checks that tracked sockets exist */
#define HO_MAX_HTTP	    16

struct daemon_opts {
	struct ho_config c;   /* in force: defaults, then the file, then the command line */
	struct ho_config cli; /* what the command line set: it wins over the file */
	const char *config;   /* the file */
	bool config_given;    /* -f: the file must exist */
	int verbose;
};

/* A control client and what is still to be sent to it. */
struct ctl_client {
	int fd;	       /* -1: free */
	bool follow;   /* halfopen events -f */
	bool want_out; /* waiting for EPOLLOUT */
	char *out;     /* records: uint32_t size, then the message */
	size_t len, off, cap;
};

struct http_conn {
	int fd; /* -1: free */
	char in[2048];
	size_t inlen;
	char *out;
	size_t len, off;
	uint64_t start_ns;
};

struct history {
	uint32_t in_flight[HO_HISTORY_LEN];
	uint32_t queued[HO_HISTORY_LEN];
	uint32_t next, n;
};

struct daemon {
	struct daemon_opts o;
	struct kern k;
	struct nfqueue nfq;
	struct hqueue q;
	struct scopes sc;
	struct limit_event ev;
	int epfd, sigfd, timerfd, ctl_fd;
	int ratefd; /* --release rate:R: one tick per release, at most 1 kHz */
	uint32_t rate_per_tick;
	struct ctl_client clients[HO_MAX_CLIENTS];
	int http_fd;
	struct http_conn http[HO_MAX_HTTP];
	struct event_log events;
	struct history hist;
	time_t started;
	bool stopping;
	bool rt;	       /* running at SCHED_FIFO now */
	uint64_t limit_hit_ns; /* first attempt queued since the last report check, or 0 */
	struct ho_attempt last_queued;
	/* counters kept in userspace; the rest live in the kernel (struct ho_kstate) */
	uint64_t released;
	uint64_t dropped;    /* SYN dropped: too many held */
	uint64_t duplicates; /* retransmitted SYN of an attempt already held */
	uint64_t adopted;    /* queued attempts found in the table, not via an event */
	uint64_t seen_lost_events;
	uint64_t seen_untracked;
	uint64_t released_seen; /* released at the last tick: none since means a stall */
};

/* limiter.c: the queue engine */
int limiter_on_event(void *ctx, void *data, size_t len);
void limiter_on_packet(void *ctx, uint32_t id, const void *pkt, size_t len);
/* Release what the slots allow (not in rate mode: see limiter_release_some). */
void limiter_release(struct daemon *d);
/* Release at most n. */
void limiter_release_some(struct daemon *d, uint32_t n);
void limiter_release_all(struct daemon *d);
void limiter_housekeeping(struct daemon *d);
/* Report the limit event if due; returns ms until it should be called again, or -1. */
int limiter_report(struct daemon *d);

/* ctl_server.c: the control socket */
int ctl_listen(struct daemon *d);
void ctl_accept(struct daemon *d);
void ctl_event(struct daemon *d, int fd, uint32_t events);
void ctl_close_all(struct daemon *d);
void ctl_err(struct ctl_client *c, int err, const char *msg);
/* persist.c: rewrite the settings file with edit(); on failure tells the client, -errno. */
int ctl_persist(struct daemon *d, struct ctl_client *c, const char *what,
		char *(*edit)(const char *text, const void *arg), const void *arg);
/* Queue a message for a client; -ENOBUFS past its bound. */
int ctl_put(struct ctl_client *c, uint16_t type, const void *payload, uint32_t len);
void ctl_flush(struct daemon *d, struct ctl_client *c);
int ctl_lists_busy(const struct daemon *d);
/* Send a new limit event to every follower. */
void ctl_broadcast_event(struct daemon *d, const struct ho_ctl_event_row *r);
void fill_status(struct daemon *d, struct ho_ctl_status *s);

/* ctl_policy.c: halfopen policy and halfopen run */
void policy_request(struct daemon *d, struct ctl_client *c, uint16_t type,
		    const struct ho_ctl_policy *req);
void policy_list(struct daemon *d, struct ctl_client *c);
/* The policies as rows, for metrics; how many were written. */
size_t policy_rows(struct daemon *d, struct ho_ctl_policy_row *out, size_t max);

/* ctl_lists.c: replies that are lists */
void list_ps(struct daemon *d, struct ctl_client *c, const struct ho_ctl_ps_req *req);
void list_stats(struct daemon *d, struct ctl_client *c, const struct ho_ctl_stats_req *req);
void list_events(struct daemon *d, struct ctl_client *c, const struct ho_ctl_events_req *req);
void send_history(struct daemon *d, struct ctl_client *c);
/* Counters per process or cgroup, for lists and metrics; *rows is malloc'd. */
int collect_stats(struct daemon *d, bool cgroups, struct ho_ctl_stats_row **rows, size_t *n);

uint64_t now_ns(void);

#endif
