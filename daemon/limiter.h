/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The queue engine (limiter.c): attempts queued by the kernel, their held
 * SYNs, their release, and what the loop reports of it. It owns the queue,
 * the release engine, the limit events and its counters; it uses the kernel,
 * the NFQUEUE and the policies that main owns. It never calls the control
 * surfaces: the loop takes its limit events (limiter_report) to followers.
 */
#ifndef HO_LIMITER_H
#define HO_LIMITER_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "contain.h"
#include "ctl_proto.h"
#include "kern.h"
#include "limit_event.h"
#include "nfq.h"
#include "queue.h"
#include "release.h"
#include "retired.h"
#include "scopes.h"

#define HO_REPORT_GATHER_MS   200 /* let a burst queue up before naming its top process */
#define HO_RECONCILE_S	      10  /* seconds between checks that tracked sockets exist */
#define HO_REPORTS_MAX	      16  /* limit events reported at once (one per limit) */
#define HO_RAW_EVENTS_PENDING 16  /* raw events for followers in one turn (more: logged, kept) */

/* In flight and queued, one sample a second, for halfopen top. */
struct history {
	uint32_t in_flight[HO_HISTORY_LEN];
	uint32_t queued[HO_HISTORY_LEN];
	uint32_t next, n;
};

struct limiter {
	const struct ho_config *c; /* the settings in force (main's) */
	struct kern *k;		   /* main's: the kernel side */
	struct nfqueue *nfq;	   /* main's: the held SYNs */
	struct scopes *sc;	   /* main's: the policies in force */
	struct hqueue q;
	struct release_engine rel;
	struct stats_retired retired;		    /* counters of processes aged out, per cgroup */
	struct limit_event ev;			    /* the namespace's limit event */
	struct limit_event scope_ev[HO_SCOPES_MAX]; /* each policy scope's, by kernel index */
	struct event_log events;
	struct contain cn;	 /* scanner detection: verdicts, flags, pacing */
	uint64_t expire_next_ns; /* --slot-timeout: no attempt expires before this */
	struct history hist;
	unsigned int ticks;	   /* housekeeping runs, one a second */
	uint64_t limit_hit_ns;	   /* first attempt queued since the last report check, or 0 */
	uint32_t failfast_pending; /* HALFOPEN_NOQUEUE refusals not reported in an event yet */
	struct ho_attempt last_queued;
	/* counters kept in userspace; the rest live in the kernel (struct ho_kstate) */
	uint64_t dropped;    /* SYN dropped: too many held */
	uint64_t duplicates; /* retransmitted SYN of an attempt already held */
	uint64_t adopted;    /* queued attempts found in the table, not via an event */
	uint64_t seen_lost_events;
	uint64_t seen_untracked;
	uint64_t released_seen; /* released at the last tick: none since means a stall */
	/* raw SYN events (rawsyn.c): kept and logged here, sent to followers by the loop */
	struct ho_ctl_event_row raw_pending[HO_RAW_EVENTS_PENDING];
	uint32_t raw_npending;
	uint32_t raw_logged; /* logged in the second that began at raw_log_ns */
	uint64_t raw_log_ns;
};

/* Set up the release engine, once the kernel side is loaded. */
void limiter_init(struct limiter *l);
/* The kernel's ring buffer callback; ctx is the limiter. */
int limiter_on_event(void *ctx, void *data, size_t len);
/* A held SYN from NFQUEUE; ctx is the limiter. */
void limiter_on_packet(void *ctx, uint32_t id, const void *pkt, size_t len);
/* Release what the slots allow (not in rate mode: see limiter_release_some). */
void limiter_release(struct limiter *l);
/* Release at most n. */
void limiter_release_some(struct limiter *l, uint32_t n);
void limiter_release_all(struct limiter *l);
void limiter_housekeeping(struct limiter *l);
/*
 * Report the limit events that are due, one per limit holding attempts
 * back: logged, kept, and written to out[0..*n) for the loop to send to
 * followers. Returns ms until it should be called again, or -1.
 */
int limiter_report(struct limiter *l, struct ho_ctl_event_row *out, size_t max, size_t *n);
/*
 * --slot-timeout: attempts half-open longer give their slots back, while
 * someone waits for one. Returns ms until it has something to do, or -1.
 */
int limiter_expire(struct limiter *l);
/* ms until a contained attempt may be released, or -1. */
int limiter_paced_wait(struct limiter *l);
/* Units of probation due back (contain_units_due): ms until the next, or -1. */
int limiter_units_due(struct limiter *l);
/* The raw SYN events since the last call, for followers; how many. */
size_t limiter_raw_events(struct limiter *l, const struct ho_ctl_event_row **rows);

#endif
