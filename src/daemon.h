/* SPDX-License-Identifier: GPL-2.0-or-later */
/* halfopend's state, shared by its parts (halfopend.c, limiter.c, ctl_server.c). */
#ifndef HO_DAEMON_H
#define HO_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "kern.h"
#include "limit_event.h"
#include "nfq.h"
#include "queue.h"

#define HO_MAX_CLIENTS	    64
#define HO_REPORT_GATHER_MS 200		 /* let a burst queue up before naming its top process */
#define EV_CLIENT	    (1ull << 32) /* epoll tag of a control client: EV_CLIENT | fd */

struct daemon_opts {
	uint32_t limit;		 /* 0: unlimited */
	uint32_t queue_max;	 /* held SYNs */
	uint32_t tracked_max;	 /* attempts in the kernel table */
	uint32_t queue_num;	 /* NFQUEUE number */
	uint32_t event_interval; /* seconds between limit reports */
	int verbose;
};

struct daemon {
	struct daemon_opts o;
	struct kern k;
	struct nfqueue nfq;
	struct hqueue q;
	struct limit_event ev;
	int epfd, sigfd, timerfd, ctl_fd;
	int clients[HO_MAX_CLIENTS];
	time_t started;
	bool stopping;
	uint64_t limit_hit_ns; /* first attempt queued since the last report check, or 0 */
	struct ho_attempt last_queued;
	/* counters kept in userspace; the rest live in the kernel (struct ho_kstate) */
	uint64_t released;
	uint64_t dropped;    /* SYN dropped: too many held */
	uint64_t duplicates; /* retransmitted SYN of an attempt already held */
	uint64_t adopted;    /* queued attempts found in the table, not via an event */
	uint64_t seen_lost_events;
	uint64_t seen_untracked;
};

/* limiter.c: the queue engine */
int limiter_on_event(void *ctx, void *data, size_t len);
void limiter_on_packet(void *ctx, uint32_t id, const void *pkt, size_t len);
void limiter_release(struct daemon *d);
void limiter_release_all(struct daemon *d);
void limiter_housekeeping(struct daemon *d);
/* Report the limit event if due; returns ms until it should be called again, or -1. */
int limiter_report(struct daemon *d);

/* ctl_server.c: the control socket */
int ctl_listen(struct daemon *d);
void ctl_accept(struct daemon *d);
void ctl_handle(struct daemon *d, int fd);
void ctl_close_all(struct daemon *d);

uint64_t now_ns(void);

#endif
