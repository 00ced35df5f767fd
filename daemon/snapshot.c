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
#include "daemon.h"
#include "procinfo.h"
#include "snapshot.h"
#include "vec.h"

void fill_status(struct daemon *d, struct ho_ctl_status *s)
{
	struct ho_kstate *ks = kern_state(&d->k);

	*s = (struct ho_ctl_status){
		.limit = shared_get(ks->limit),
		.release = d->o.c.release,
		.exempt_in_flight = shared_get(ks->exempt_in_flight),
		.policies = d->sc.n,
		.in_flight = shared_get(ks->in_flight),
		.queued = shared_get(ks->queued),
		.held = (uint32_t)d->q.held,
		.queue_max = d->o.c.queue_max,
		.tracked_max = d->o.c.tracked_max,
		.pid = (uint32_t)getpid(),
		.queue_num = d->o.c.queue_num,
		.started = (uint64_t)d->started,
		.attempts = shared_get(ks->attempts),
		.queued_total = shared_get(ks->queued_total),
		.released = d->rel.released,
		.cancelled = shared_get(ks->cancelled),
		.established = shared_get(ks->established),
		.refused = shared_get(ks->refused),
		.failed = shared_get(ks->failed),
		.closed = shared_get(ks->closed),
		.dropped = d->dropped + d->nfq.lost + d->nfq.kernel_dropped,
		.untracked = shared_get(ks->untracked),
		.late_syns = shared_get(ks->tombs),
		.repaired = shared_get(ks->repaired),
		.control_refused = d->ctl_refused,
		.control_dropped = d->ctl_dropped,
		.http_refused = d->http_refused,
		.http_dropped = d->http_dropped,
	};
}

struct stats_ctx {
	struct daemon *d;
	bool cgroups;
	struct ho_ctl_stats_row *rows;
	size_t n, cap;
	struct hq_group *groups;
	size_t ngroups;
	uint64_t now;
	bool oom;
};

static void stats_add(void *ctx, uint64_t key, const void *val)
{
	struct stats_ctx *x = ctx;
	const struct ho_stats *s = val;
	const struct hq_group *g;
	struct ho_ctl_stats_row *row;

	if (vec_reserve(&x->rows, &x->cap, x->n, sizeof(*x->rows), 64)) {
		x->oom = true;
		return;
	}
	row = &x->rows[x->n++];
	memset(row, 0, sizeof(*row));
	row->key = key;
	row->s = *s;
	g = hq_group_find(x->groups, x->ngroups, key);
	if (g && x->now > g->oldest->info.start_ns)
		row->oldest_wait_ns = x->now - g->oldest->info.start_ns;
	cgroup_path(s->cgid, s->tgid, row->cgroup, sizeof(row->cgroup));
	row->alive = x->cgroups ? strncmp(row->cgroup, "cgroup:", 7) != 0 : proc_alive(s->tgid);
}

int collect_stats(struct daemon *d, bool cgroups, struct ho_ctl_stats_row **rows, size_t *n)
{
	struct stats_ctx x = {.d = d, .cgroups = cgroups, .now = now_ns()};

	hq_group_by(&d->q, x.cgroups, &x.groups, &x.ngroups);
	kern_walk(&d->k, x.cgroups ? KM_CGROUP_STATS : KM_PROC_STATS, stats_add, &x);
	free(x.groups);
	*rows = x.rows;
	*n = x.n;
	return x.oom ? -ENOMEM : 0;
}

/*
 * Queued attempts per scope entry as the policies are now: the kernel's gauge
 * only knows those queued after a policy came, the queue knows them all.
 */
static void queued_per_scope(struct daemon *d, uint32_t *counts)
{
	struct ho_scope_set set;

	memset(counts, 0, HO_SCOPES_MAX * sizeof(*counts));
	if (!d->sc.n)
		return;
	for (struct hq_entry *e = hq_head(&d->q); e; e = e->next) {
		scopes_of(&d->sc, e, &set);
		for (int i = 0; i < HO_ATTEMPT_SCOPES && set.s[i].idx; i++)
			counts[set.s[i].idx]++;
	}
}

static void fill_row(struct daemon *d, const struct scope_entry *e, const uint32_t *queued,
		     struct ho_ctl_policy_row *r)
{
	const struct ho_scope *ks = &kern_scopes(&d->k)[e->idx];

	*r = (struct ho_ctl_policy_row){.p = e->p, .id = e->id, .transient = e->owner};
	r->in_flight = shared_get(ks->in_flight);
	r->queued = (int32_t)queued[e->idx];
	r->attempts = shared_get(ks->attempts);
	r->queued_total = shared_get(ks->queued_total);
	if (r->in_flight < 0)
		r->in_flight = 0;
}

size_t policy_rows(struct daemon *d, struct ho_ctl_policy_row *out, size_t max)
{
	uint32_t queued[HO_SCOPES_MAX];
	size_t n = 0;

	queued_per_scope(d, queued);
	for (uint32_t i = 0; i < HO_POLICIES_MAX && n < max; i++)
		if (d->sc.e[i].used)
			fill_row(d, &d->sc.e[i], queued, &out[n++]);
	return n;
}

void policy_row(struct daemon *d, const struct scope_entry *e, struct ho_ctl_policy_row *r)
{
	uint32_t queued[HO_SCOPES_MAX];

	queued_per_scope(d, queued);
	fill_row(d, e, queued, r);
}
