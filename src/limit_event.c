// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "limit_event.h"

void limit_event_init(struct limit_event *ev, uint64_t interval_ns)
{
	*ev = (struct limit_event){.interval_ns = interval_ns};
}

bool limit_event_due(struct limit_event *ev, uint64_t now_ns)
{
	if (ev->reported && now_ns - ev->last_ns < ev->interval_ns) {
		ev->suppressed++;
		return false;
	}
	ev->reported = true;
	ev->last_ns = now_ns;
	ev->reports++;
	return true;
}

static int cmp_entry_tgid(const void *a, const void *b)
{
	const struct hq_entry *x = *(const struct hq_entry *const *)a;
	const struct hq_entry *y = *(const struct hq_entry *const *)b;

	if (x->info.tgid != y->info.tgid)
		return x->info.tgid < y->info.tgid ? -1 : 1;
	/* stable on FIFO position is not needed: any entry describes the process */
	return 0;
}

int queue_top_process(const struct hqueue *q, struct top_proc *out)
{
	const struct hq_entry **v;
	const struct hq_entry *e, *best = NULL;
	size_t n = 0, i, run, best_run = 0;

	if (!q->count)
		return -ENOENT;
	v = malloc(q->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (e = q->head; e; e = e->next)
		v[n++] = e;
	qsort(v, n, sizeof(*v), cmp_entry_tgid);
	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && v[i + run]->info.tgid == v[i]->info.tgid; run++)
			;
		if (run > best_run) {
			best_run = run;
			best = v[i];
		}
	}
	out->tgid = best->info.tgid;
	out->uid = best->info.uid;
	out->cgid = best->info.cgid;
	memcpy(out->comm, best->info.comm, sizeof(out->comm));
	out->comm[sizeof(out->comm) - 1] = '\0';
	out->queued = (uint32_t)best_run;
	free(v);
	return 0;
}
