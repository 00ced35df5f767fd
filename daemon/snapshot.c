// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the control socket and the metrics endpoint read: the status, the
 * counters per process or cgroup, the policies with what each has in flight
 * and queued. Built from the daemon's state and the counts the kernel
 * shares; nothing here changes either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "clock.h"
#include "limiter.h"
#include "procinfo.h"
#include "rawsyn.h"
#include "snapshot.h"
#include "vec.h"

void fill_status(const struct snapshot_src *s, struct ho_ctl_status *st)
{
	const struct limiter *l = s->l;
	struct ho_kstate *ks = kern_state(l->k);
	struct ho_raw_state *rs = raw_state(s->raw);

	*st = (struct ho_ctl_status){
		.limit = shared_get(ks->limit),
		.release = s->c->release,
		.exempt_in_flight = shared_get(ks->exempt_in_flight),
		.policies = l->sc->n,
		.in_flight = shared_get(ks->in_flight),
		.queued = shared_get(ks->queued),
		.held = (uint32_t)l->q.held,
		.queue_max = s->c->queue_max,
		.tracked_max = s->c->tracked_max,
		.pid = (uint32_t)getpid(),
		.queue_num = s->c->queue_num,
		.started = (uint64_t)s->started,
		.attempts = shared_get(ks->attempts),
		.queued_total = shared_get(ks->queued_total),
		.released = l->rel.released,
		.cancelled = shared_get(ks->cancelled),
		.established = shared_get(ks->established),
		.refused = shared_get(ks->refused),
		.failed = shared_get(ks->failed),
		.closed = shared_get(ks->closed),
		.dropped = l->dropped + l->nfq->lost + l->nfq->kernel_dropped,
		.untracked = shared_get(ks->untracked),
		.late_syns = shared_get(ks->tombs),
		.repaired = shared_get(ks->repaired),
		.control_refused = s->ctl->refused,
		.control_dropped = s->ctl->dropped,
		.http_refused = s->http->refused,
		.http_dropped = s->http->dropped,
		.failfast = shared_get(ks->failfast),
		.noqueue_lost = shared_get(ks->noqueue_lost),
		.mode = s->c->mode,
		.slot_timeout = s->c->slot_timeout,
		.flagged = l->cn.flagged,
		.contain_rate = s->c->contain_rate,
		.flagged_total = l->cn.flagged_total,
		.contained = shared_get(ks->contained),
		.probation = shared_get(ks->probation),
		.expired = shared_get(ks->expired),
		.abandoned = shared_get(ks->abandoned),
		.raw_in_flight = (uint32_t)shared_get(rs->in_flight),
		.raw_hooks = (s->raw->nifs ? HO_RAW_HOOK_TC : 0) |
			     (s->raw->lsm_fds[0] >= 0 ? HO_RAW_HOOK_LSM : 0),
		.raw_attempts = shared_get(rs->attempts),
		.raw_answered = shared_get(rs->synack) + shared_get(rs->rst),
		.raw_timed_out = shared_get(rs->timed_out),
		.raw_dropped = shared_get(rs->dropped),
		.raw_untracked = shared_get(rs->untracked),
		.raw_denied = shared_get(rs->denied),
		.raw_denied_frames = shared_get(rs->denied_frames),
		.raw_bypass_refused = shared_get(rs->bypass_refused),
		.raw_judged = shared_get(rs->judged),
		.raw_paced = shared_get(rs->paced),
	};
}

struct stats_ctx {
	struct ho_stats *v; /* cgroups: the processes' counters, added up later */
	size_t n, cap;
	struct ho_ctl_stats_row *rows;
	size_t nrows, rcap;
	bool oom;
	const struct contain *cn; /* the scanner test's verdicts */
};

static void stats_take(void *ctx, uint64_t key, const void *val)
{
	struct stats_ctx *x = ctx;

	(void)key;
	if (vec_reserve(&x->v, &x->cap, x->n, sizeof(*x->v), 64)) {
		x->oom = true;
		return;
	}
	x->v[x->n++] = *(const struct ho_stats *)val;
}

static int cmp_cgid(const void *a, const void *b)
{
	uint64_t x = ((const struct ho_stats *)a)->cgid, y = ((const struct ho_stats *)b)->cgid;

	return x < y ? -1 : x > y;
}

static void stats_row(struct stats_ctx *x, bool cgroups, const struct ho_stats *s,
		      const struct hq_group *groups, size_t ngroups, uint64_t now)
{
	uint64_t key = cgroups ? s->cgid : s->tgid;
	const struct hq_group *g;
	struct ho_ctl_stats_row *row;

	if (vec_reserve(&x->rows, &x->rcap, x->nrows, sizeof(*x->rows), 64)) {
		x->oom = true;
		return;
	}
	row = &x->rows[x->nrows++];
	memset(row, 0, sizeof(*row));
	row->key = key;
	row->s = *s;
	g = hq_group_find(groups, ngroups, key);
	if (g && now > g->oldest->info.start_ns)
		row->oldest_wait_ns = now - g->oldest->info.start_ns;
	cgroup_path(s->cgid, s->tgid, row->cgroup, sizeof(row->cgroup));
	row->alive = cgroups ? strncmp(row->cgroup, "cgroup:", 7) != 0 : proc_alive(s->tgid);
	contain_verdict(x->cn, cgroups ? HO_SCOPE_CGROUP : HO_SCOPE_PROC, key, &row->verdict,
			&row->score, &row->first_ok, &row->first_failed);
}

/*
 * Per process: the kernel's entries. Per cgroup: the processes added up by
 * the cgroup of their first connect(), with the counts of those aged out.
 */
int collect_stats(const struct snapshot_src *s, bool cgroups, struct ho_ctl_stats_row **rows,
		  size_t *n)
{
	const struct limiter *l = s->l;
	struct stats_ctx x = {.cn = &l->cn};
	struct hq_group *groups = NULL;
	size_t ngroups = 0, i, j;
	uint64_t now = now_ns();

	(void)hq_group_by(&l->q, cgroups, &groups, &ngroups);
	(void)kern_walk(l->k, KM_PROC_STATS, stats_take, &x);
	for (i = 0; cgroups && i < l->retired.n; i++) {
		if (vec_reserve(&x.v, &x.cap, x.n, sizeof(*x.v), 64)) {
			x.oom = true;
			break;
		}
		x.v[x.n++] = l->retired.v[i];
	}
	if (cgroups && x.n)
		qsort(x.v, x.n, sizeof(*x.v), cmp_cgid);
	for (i = 0; i < x.n; i = j) {
		struct ho_stats sum = x.v[i];

		for (j = i + 1; cgroups && j < x.n && x.v[j].cgid == sum.cgid; j++)
			stats_sum(&sum, &x.v[j]);
		if (!cgroups)
			j = i + 1;
		stats_row(&x, cgroups, &sum, groups, ngroups, now);
	}
	free(groups);
	free(x.v);
	*rows = x.rows;
	*n = x.nrows;
	return x.oom ? -ENOMEM : 0;
}

/*
 * Queued attempts per scope entry as the policies are now: the kernel's gauge
 * only knows those queued after a policy came, the queue knows them all.
 */
static void queued_per_scope(const struct limiter *l, uint32_t *counts)
{
	struct ho_scope_set set;

	memset(counts, 0, HO_SCOPES_MAX * sizeof(*counts));
	if (!l->sc->n)
		return;
	for (struct hq_entry *e = hq_head(&l->q); e; e = e->next) {
		scopes_of(l->sc, e, &set);
		for (int i = 0; i < HO_ATTEMPT_SCOPES && set.s[i].idx; i++)
			counts[set.s[i].idx]++;
	}
}

static void fill_row(const struct limiter *l, const struct scope_entry *e, const uint32_t *queued,
		     struct ho_ctl_policy_row *r)
{
	const struct ho_scope *ks = &kern_scopes(l->k)[e->idx];

	*r = (struct ho_ctl_policy_row){.p = e->p, .id = e->id, .transient = e->owner};
	r->in_flight = shared_get(ks->in_flight);
	r->queued = (int32_t)queued[e->idx];
	r->attempts = shared_get(ks->attempts);
	r->queued_total = shared_get(ks->queued_total);
	if (r->in_flight < 0)
		r->in_flight = 0;
}

size_t policy_rows(const struct snapshot_src *s, struct ho_ctl_policy_row *out, size_t max)
{
	const struct limiter *l = s->l;
	uint32_t queued[HO_SCOPES_MAX];
	size_t n = 0;

	queued_per_scope(l, queued);
	for (uint32_t i = 0; i < HO_POLICIES_MAX && n < max; i++)
		if (l->sc->e[i].used)
			fill_row(l, &l->sc->e[i], queued, &out[n++]);
	return n;
}

void policy_row(const struct snapshot_src *s, const struct scope_entry *e,
		struct ho_ctl_policy_row *r)
{
	const struct limiter *l = s->l;
	uint32_t queued[HO_SCOPES_MAX];

	queued_per_scope(l, queued);
	fill_row(l, e, queued, r);
}
