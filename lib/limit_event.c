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

int queue_top_process(const struct hqueue *q, struct top_proc *out)
{
	const struct hq_group *best = NULL;
	struct hq_group *v;
	size_t n, i;

	if (hq_group_by(q, false, &v, &n))
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!best || v[i].count > best->count)
			best = &v[i];
	if (!best) {
		free(v);
		return -ENOENT;
	}
	out->tgid = best->oldest->info.tgid;
	out->uid = best->oldest->info.uid;
	out->cgid = best->oldest->info.cgid;
	memcpy(out->comm, best->oldest->info.comm, sizeof(out->comm));
	out->comm[sizeof(out->comm) - 1] = '\0';
	out->queued = best->count;
	free(v);
	return 0;
}

void event_log_add(struct event_log *l, const struct ho_ctl_event_row *r)
{
	l->rows[l->next] = *r;
	l->next = (l->next + 1) % HO_EVENT_LOG_LEN;
	if (l->count < HO_EVENT_LOG_LEN)
		l->count++;
}

const struct ho_ctl_event_row *event_log_get(const struct event_log *l, uint32_t i)
{
	uint32_t first = (l->next + HO_EVENT_LOG_LEN - l->count) % HO_EVENT_LOG_LEN;

	return &l->rows[(first + i) % HO_EVENT_LOG_LEN];
}
