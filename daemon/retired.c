// SPDX-License-Identifier: GPL-2.0-or-later
/* Counters of processes aged out, kept per cgroup (see retired.h). */
#include <stdlib.h>
#include <string.h>
#include "procinfo.h"
#include "retired.h"
#include "vec.h"

/* Add one process's counters to its cgroup's. */
void stats_sum(struct ho_stats *sum, const struct ho_stats *s)
{
	sum->attempts += s->attempts;
	sum->established += s->established;
	sum->failed += s->failed;
	sum->queued += s->queued;
	sum->cancelled += s->cancelled;
	sum->released += s->released;
	sum->failfast += s->failfast;
	sum->in_flight += s->in_flight;
	sum->queued_now += s->queued_now;
	if (s->max_wait_ns > sum->max_wait_ns)
		sum->max_wait_ns = s->max_wait_ns;
	if (s->last_ns >= sum->last_ns) {
		/* the cgroup's row names its latest process */
		sum->last_ns = s->last_ns;
		sum->uid = s->uid;
		sum->tgid = s->tgid;
		memcpy(sum->comm, s->comm, sizeof(sum->comm));
	}
}

void stats_retire(struct stats_retired *r, const struct ho_stats *s)
{
	size_t i, oldest = 0;

	for (i = 0; i < r->n && r->v[i].cgid != s->cgid; i++)
		if (r->v[i].last_ns < r->v[oldest].last_ns)
			oldest = i;
	if (i == r->n) {
		if (r->n == HO_RETIRED_MAX) {
			i = oldest; /* bounded: the cgroup idle the longest goes */
		} else if (vec_reserve(&r->v, &r->cap, r->n, sizeof(*r->v), 64)) {
			return; /* out of memory: those counts are lost */
		} else {
			r->n++;
		}
		memset(&r->v[i], 0, sizeof(r->v[i]));
		r->v[i].cgid = s->cgid;
	}
	stats_sum(&r->v[i], s);
	r->v[i].in_flight = r->v[i].queued_now = 0; /* retired only when it holds nothing */
}

void stats_retired_age(struct stats_retired *r, uint64_t now, uint64_t ttl)
{
	size_t kept = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].last_ns + ttl > now || cgroup_exists(r->v[i].cgid))
			r->v[kept++] = r->v[i];
	r->n = kept;
}

void stats_retired_free(struct stats_retired *r)
{
	free(r->v);
	*r = (struct stats_retired){0};
}
