/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The release engine: which queued attempt goes next, in fair, fifo (or, for
 * rate:R, fair order with a budget) order. It works on the queue, the counts
 * the kernel shares (read only, except global_wait) and three callbacks, so
 * that tests/unit/test_release.c runs it without root and without a kernel.
 */
#ifndef HO_RELEASE_H
#define HO_RELEASE_H

#include <stdbool.h>
#include <stdint.h>
#include "halfopen.h"
#include "queue.h"

struct release_ops {
	/* The scopes that apply to a queued attempt now (the policies in force). */
	void (*scopes_of)(void *ctx, struct hq_entry *e, struct ho_scope_set *set);
	/*
	 * Ask the kernel to release attempt gen (its ho_attempt.gen) of this
	 * cookie: enum ho_release_result, or negative errno.
	 */
	int (*release)(void *ctx, uint64_t cookie, uint32_t gen, bool force,
		       const struct ho_scope_set *set);
	/* It leaves the queue: its held SYN (if any) gets verdict, e is removed and freed. */
	void (*leave)(void *ctx, struct hq_entry *e, uint32_t verdict);
	/*
	 * The pace of a contained attempt (HO_AT_CONT_*, its scope flagged as
	 * a scanner): 0 if it may go at now, else how long until it may; and
	 * the turn taken once it went. NULL: no pacing.
	 */
	uint64_t (*gate)(void *ctx, const struct ho_attempt *a, uint64_t now);
	void (*gated)(void *ctx, const struct ho_attempt *a, uint64_t now);
};

struct release_engine {
	struct hqueue *q;
	struct ho_kstate *ks;	 /* shared: limit, in_flight read, global_wait written */
	struct ho_scope *scopes; /* shared: HO_SCOPES_MAX entries, read */
	const struct release_ops *ops;
	void *ctx;
	uint64_t pass;	   /* the current pass: scopes found full sit it out */
	uint64_t released; /* attempts released since start */
	uint64_t now;	   /* set by the caller before a pass (CLOCK_MONOTONIC ns) */
	uint64_t wake_ns;  /* after a pass: when a paced attempt may go next, 0: none */
};

/*
 * One pass: release at most budget attempts, in fifo order or fair (cgroups
 * take turns, FIFO inside each); force releases over every limit (shutdown).
 */
void release_run(struct release_engine *r, bool fifo, bool force, uint32_t budget);

#endif
