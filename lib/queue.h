/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The queue of held attempts: FIFO order plus an index by socket cookie, and
 * one sub-queue per cgroup, in a ring, for fair (round-robin) release.
 * Pure logic, no kernel: the daemon feeds it events and packets.
 */
#ifndef HO_QUEUE_H
#define HO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "halfopen.h"

struct hq_sub;

struct hq_entry {
	uint64_t cookie;
	struct ho_attempt info; /* as the kernel recorded it at connect() */
	uint32_t pkt_id;	/* NFQUEUE packet id of the held SYN */
	bool has_pkt;		/* a SYN of this attempt is held */
	struct hq_entry *prev;	/* FIFO */
	struct hq_entry *next;
	struct hq_entry *hnext; /* cookie hash chain */
	struct hq_sub *sub;	/* the queue of its cgroup */
	struct hq_entry *sprev; /* FIFO inside the cgroup */
	struct hq_entry *snext;
};

/*
 * The sub-queue an attempt joins: its cgroup's, but a first contact queued
 * because its process alone is flagged as a scanner, or held on probation,
 * has its process's own (HQ_KEY_PROC | tgid), so that it never holds up the
 * rest of its cgroup.
 */
#define HQ_KEY_PROC (1ull << 63) /* cgroup ids are inode numbers, never this high */
#define HQ_KEY_USER (1ull << 62) /* a flagged user of the root cgroup (ho_group_kind) */
static inline uint64_t hq_key(const struct ho_attempt *a)
{
	if ((a->flags & HO_AT_CONT) == HO_AT_CONT_P || (a->flags & HO_AT_PROBE_Q))
		return HQ_KEY_PROC | a->tgid;
	/* held for a flagged user: not in front of the root cgroup's other users */
	if ((a->flags & HO_AT_CONT_C) && ho_group_kind(a->cgid) == HO_SCOPE_USER)
		return HQ_KEY_USER | a->uid;
	return a->cgid;
}

/* The queued attempts of one cgroup (or of a flagged process); exists while it holds one. */
struct hq_sub {
	uint64_t cgid; /* hq_key() */
	struct hq_entry *head, *tail;
	size_t count;
	struct hq_sub *rprev, *rnext; /* the ring of cgroups with queued attempts */
	struct hq_sub *hnext;	      /* hash chain by cgid */
	/* for the daemon: */
	uint64_t blocked_pass; /* release pass that found its scopes full */
	uint64_t scopes_gen;   /* policy generation scopes was computed for, 0 never */
	struct ho_scope_set scopes;
	uint32_t nscopes;
};

#define HQ_SUB_BUCKETS 256

struct hqueue {
	struct hq_entry *head;
	struct hq_entry *tail;
	struct hq_entry **buckets;
	size_t nbuckets; /* power of two */
	size_t count;	 /* entries */
	size_t held;	 /* entries with has_pkt */
	struct hq_sub *subs[HQ_SUB_BUCKETS];
	struct hq_sub *rr; /* the cgroup whose turn it is, NULL when empty */
	size_t nsubs;
};

int hq_init(struct hqueue *q);
void hq_free(struct hqueue *q);

/* Append an attempt; -EEXIST if the cookie is queued already, -ENOMEM. */
int hq_push(struct hqueue *q, uint64_t cookie, const struct ho_attempt *info,
	    struct hq_entry **out);
/* Insert keeping FIFO order by info->start_ns (adopting attempts found late). */
int hq_insert_ordered(struct hqueue *q, uint64_t cookie, const struct ho_attempt *info,
		      struct hq_entry **out);
struct hq_entry *hq_find(const struct hqueue *q, uint64_t cookie);
/* Unlink and free; the caller gives a verdict on e->pkt_id first. */
void hq_remove(struct hqueue *q, struct hq_entry *e);

/* Record the held packet of an attempt; false if one is held already. */
bool hq_hold(struct hqueue *q, struct hq_entry *e, uint32_t pkt_id);

static inline struct hq_entry *hq_head(const struct hqueue *q)
{
	return q->head;
}

/*
 * Round robin over cgroups: the cgroup whose turn it is (NULL if the queue is
 * empty), and passing the turn on. A cgroup that starts queueing joins the
 * ring just before the one whose turn it is: it goes within one round.
 */
static inline struct hq_sub *hq_turn(const struct hqueue *q)
{
	return q->rr;
}

static inline void hq_next_turn(struct hqueue *q)
{
	if (q->rr)
		q->rr = q->rr->rnext;
}

/* Per process or per cgroup: how many are queued, and the oldest of them. */
struct hq_group {
	uint64_t key; /* tgid or cgroup id */
	uint32_t count;
	const struct hq_entry *oldest;
};

/*
 * Group the queue by process (by_cgroup false) or cgroup; *out is sorted by
 * key and freed by the caller. 0, or -ENOMEM.
 */
int hq_group_by(const struct hqueue *q, bool by_cgroup, struct hq_group **out, size_t *n);
const struct hq_group *hq_group_find(const struct hq_group *v, size_t n, uint64_t key);

/* Position (1-based) of the entry in FIFO order, O(n). */
size_t hq_position(const struct hqueue *q, const struct hq_entry *e);

#endif
