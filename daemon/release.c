// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The release engine (see release.h). The kernel owns the slot count: an
 * attempt moves from queued to in flight only through the release callback
 * (the "release" BPF program), atomically with taking its slots. This file
 * owns the order, and skips the system call when the counts the kernel shares
 * already say no.
 */
#include <errno.h>
#include <linux/netfilter.h>
#include <string.h>
#include "log.h"
#include "release.h"
#include "shared.h"

/* Tell the kernel whether queued attempts wait for a slot of the namespace. */
static void set_wait(struct release_engine *r, uint32_t wait)
{
	shared_set(r->ks->global_wait, wait);
}

/*
 * Full by the counts the kernel shares with us: HO_REL_SCOPE_FULL,
 * HO_REL_NO_SLOT, or 0 when the release program has to decide. Only ever
 * early: a slot that frees after this look wakes us again (SLOT_FREED).
 */
static int precheck(const struct release_engine *r, const struct ho_scope_set *set)
{
	uint32_t lim = shared_get(r->ks->limit);
	int rc = 0;

	for (int i = 0; i < HO_ATTEMPT_SCOPES && set->s[i].idx; i++) {
		const struct ho_scope *k = &r->scopes[set->s[i].idx];

		if ((uint16_t)shared_get(k->gen) != set->s[i].gen)
			continue;
		if (shared_get(k->flags) & HO_SCOPE_F_EXEMPT)
			return 0;
		if (scope_full(k))
			rc = HO_REL_SCOPE_FULL;
	}
	if (!rc && lim && shared_get(r->ks->in_flight) >= lim)
		rc = HO_REL_NO_SLOT;
	return rc;
}

#define HO_REL_PACED 100 /* a contained attempt whose scope's turn has not come */

/* A contained attempt goes at its scope's pace: its turn, or when it comes. */
static bool paced(struct release_engine *r, struct hq_entry *e, bool force)
{
	uint64_t wait;

	if (force || !(e->info.flags & (HO_AT_APART | HO_AT_FIRST)) || !r->ops->gate)
		return false;
	wait = r->ops->gate(r->ctx, &e->info, r->now);
	if (!wait)
		return false;
	if (!r->wake_ns || r->now + wait < r->wake_ns)
		r->wake_ns = r->now + wait;
	return true;
}

/*
 * Release one attempt with the scopes that apply to it now: enum
 * ho_release_result, HO_REL_PACED or negative errno. Released and gone
 * attempts leave the queue (e is freed).
 */
static int try_release(struct release_engine *r, struct hq_entry *e, bool force)
{
	struct ho_scope_set set;
	int rc;

	if (paced(r, e, force))
		return HO_REL_PACED;
	r->ops->scopes_of(r->ctx, e, &set);
	/* what the mapped counts already say needs no system call */
	rc = force ? 0 : precheck(r, &set);
	if (!rc)
		rc = r->ops->release(r->ctx, e->cookie, e->info.gen, force, &set);
	if (rc == HO_REL_RELEASED) {
		r->released++;
		if ((e->info.flags & (HO_AT_APART | HO_AT_FIRST)) && r->ops->gated)
			r->ops->gated(r->ctx, &e->info, r->now);
		r->ops->leave(r->ctx, e, NF_REPEAT);
	} else if (rc == HO_REL_GONE) {
		r->ops->leave(r->ctx, e, NF_DROP); /* its socket left SYN_SENT */
	} else if (rc < 0) {
		pr_err("releasing an attempt: %s", strerror(-rc)); /* the timer tries again */
	}
	return rc;
}

/*
 * Fair: the cgroups with queued attempts take turns, FIFO inside each. A
 * cgroup whose own scope is full sits this pass out; a full namespace ends it.
 */
static void release_fair(struct release_engine *r, bool force, uint32_t budget)
{
	size_t blocked = 0;
	struct hq_sub *s;

	while ((s = hq_turn(r->q)) && blocked < r->q->nsubs) {
		bool last = s->count == 1;
		int rc;

		if (s->blocked_pass == r->pass) {
			hq_next_turn(r->q);
			continue;
		}
		if (!budget) {
			set_wait(r, 1);
			return;
		}
		rc = try_release(r, s->head, force);
		if (rc == HO_REL_RELEASED) {
			budget--;
			if (!last) /* else its sub-queue went, and the turn with it */
				hq_next_turn(r->q);
		} else if (rc == HO_REL_SCOPE_FULL || rc == HO_REL_PROBE_FULL ||
			   rc == HO_REL_PACED) {
			s->blocked_pass = r->pass;
			blocked++;
			hq_next_turn(r->q);
		} else if (rc != HO_REL_GONE) {
			set_wait(r, 1); /* the namespace is full (or an error) */
			return;
		}
	}
	set_wait(r, 0);
}

/* FIFO: one order for all, as the original; attempts whose own scope is full wait. */
static void release_fifo(struct release_engine *r, bool force, uint32_t budget)
{
	struct hq_entry *e, *next;

	for (e = hq_head(r->q); e; e = next) {
		struct hq_sub *s = e->sub;
		int rc;

		next = e->next;
		if (s->blocked_pass == r->pass)
			continue;
		if (!budget) {
			set_wait(r, 1);
			return;
		}
		rc = try_release(r, e, force);
		if (rc == HO_REL_RELEASED) {
			budget--;
		} else if (rc == HO_REL_SCOPE_FULL || rc == HO_REL_PROBE_FULL ||
			   rc == HO_REL_PACED) {
			s->blocked_pass = r->pass;
		} else if (rc != HO_REL_GONE) {
			set_wait(r, 1); /* the namespace is full (or an error) */
			return;
		}
	}
	set_wait(r, 0);
}

void release_run(struct release_engine *r, bool fifo, bool force, uint32_t budget)
{
	r->pass++;
	r->wake_ns = 0;
	if (fifo)
		release_fifo(r, force, budget);
	else
		release_fair(r, force, budget);
}
