/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The limit event, halfopen's Event 4226: when to report that the limit was
 * reached, and which process to name. Pure logic.
 */
#ifndef HO_LIMIT_EVENT_H
#define HO_LIMIT_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include "ctl_proto.h"
#include "queue.h"

#define HO_EVENT_ID "4226" /* the Windows event this one replaces; a stable tag */

struct limit_event {
	uint64_t interval_ns; /* at most one report per interval */
	uint64_t last_ns;
	bool reported;
	uint64_t reports;
	uint64_t suppressed; /* times reached while a report was not due */
};

void limit_event_init(struct limit_event *ev, uint64_t interval_ns);
/* The limit was reached at now_ns (an attempt was queued): report it now? */
bool limit_event_due(struct limit_event *ev, uint64_t now_ns);

/* The process with the most queued attempts. */
struct top_proc {
	uint32_t tgid;
	uint32_t uid;
	uint64_t cgid;
	char comm[HO_COMM_LEN];
	uint32_t queued;
};

/* 0 and *out filled, -ENOENT if the queue is empty, -ENOMEM. */
int queue_top_process(const struct hqueue *q, struct top_proc *out);

/* The last limit events, for `halfopen events`. */
#define HO_EVENT_LOG_LEN 1000

struct event_log {
	struct ho_ctl_event_row rows[HO_EVENT_LOG_LEN];
	uint32_t next; /* where the next one goes */
	uint32_t count;
};

void event_log_add(struct event_log *l, const struct ho_ctl_event_row *r);
/* The i-th oldest event kept, i < l->count. */
const struct ho_ctl_event_row *event_log_get(const struct event_log *l, uint32_t i);

#endif
