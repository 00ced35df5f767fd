// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control replies that are lists: ps (attempts now), stats (counters per
 * process or cgroup), events (the limit events kept), and the history that
 * `halfopen top` draws. Rows are queued on the client (ctl_server.c) and end
 * with HO_CTL_END, which says whether a bound of reply memory cut the list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_proto.h"
#include "clock.h"
#include "contain.h"
#include "ctl_client.h"
#include "ctl_lists.h"
#include "ctl_state.h"
#include "limiter.h"
#include "log.h"
#include "snapshot.h"
#include "vec.h"
#include "procinfo.h"

#define PS_MAX_ROWS 200000

struct ps_ctx {
	const struct ho_ctl_ps_req *req;
	struct ho_ctl_ps_row *rows;
	size_t n, cap;
	uint64_t now;
	bool oom;
	const struct contain *cn; /* the verdicts of the processes */
};

static void ps_add(struct ps_ctx *x, const struct ho_attempt *a, uint32_t position)
{
	const struct ho_ctl_ps_req *r = x->req;
	struct ho_ctl_ps_row *row;
	uint32_t ok, failed;

	if ((r->flags & HO_PS_F_PID) && a->tgid != r->pid && a->pid != r->pid)
		return;
	if ((r->flags & HO_PS_F_UID) && a->uid != r->uid)
		return;
	if ((r->flags & HO_PS_F_INFLIGHT) && a->state != HO_ST_INFLIGHT &&
	    a->state != HO_ST_EXPIRED)
		return;
	if ((r->flags & HO_PS_F_QUEUED) && a->state != HO_ST_QUEUED)
		return;
	/* the bound is looked at when the array must grow */
	if ((x->n == x->cap && x->n >= PS_MAX_ROWS) ||
	    vec_reserve(&x->rows, &x->cap, x->n, sizeof(*x->rows), 256)) {
		x->oom = true;
		return;
	}
	row = &x->rows[x->n];
	memset(row, 0, sizeof(*row));
	row->state = a->state;
	row->position = position;
	row->age_ns = x->now > a->start_ns ? x->now - a->start_ns : 0;
	row->a = *a;
	cgroup_path(a->cgid, a->tgid, row->cgroup, sizeof(row->cgroup));
	if ((r->flags & HO_PS_F_CGROUP) && !cgroup_below(row->cgroup, r->cgroup))
		return;
	contain_verdict(x->cn, HO_SCOPE_PROC, a->tgid, &row->verdict, &row->score, &ok, &failed);
	x->n++;
}

static void ps_inflight(void *ctx, uint64_t key, const void *val)
{
	const struct ho_attempt *a = val;

	(void)key;
	if (ho_state_in_flight(a->state) || a->state == HO_ST_EXPIRED) {
		struct ho_attempt in = *a;

		if (in.state == HO_ST_RELEASING)
			in.state = HO_ST_INFLIGHT; /* released, its SYN on its way out */
		ps_add(ctx, &in, 0);
	}
}

static int cmp_age(const void *a, const void *b)
{
	const struct ho_ctl_ps_row *x = a, *y = b;

	/* oldest first; in the queue, by position */
	if (x->age_ns != y->age_ns)
		return x->age_ns > y->age_ns ? -1 : 1;
	return x->position < y->position ? -1 : x->position > y->position;
}

/* Send rows, then the end; what does not fit in the client's bound is cut. */
static void put_rows(struct ctl_client *c, uint16_t type, const void *rows, size_t size, size_t n,
		     bool truncated)
{
	struct ho_ctl_end end = {.truncated = truncated};
	size_t i;

	for (i = 0; i < n; i++)
		if (ctl_put(c, type, (const char *)rows + i * size, (uint32_t)size)) {
			end.truncated = 1;
			break;
		}
	end.rows = (uint32_t)i;
	(void)ctl_put(c, HO_CTL_END, &end, sizeof(end));
}

void list_ps(struct ctl_state *s, struct ctl_client *c, const void *payload)
{
	const struct ho_ctl_ps_req *req = payload;
	struct ps_ctx x = {.req = req, .now = now_ns(), .cn = s->cn};
	struct hq_entry *e;
	uint32_t pos = 1;
	size_t n;

	if (!(req->flags & HO_PS_F_QUEUED))
		(void)kern_walk(s->l->k, KM_ATTEMPTS, ps_inflight, &x);
	if (!(req->flags & HO_PS_F_INFLIGHT))
		for (e = s->l->q.head; e; e = e->next) {
			e->info.state = HO_ST_QUEUED;
			ps_add(&x, &e->info, pos++);
		}
	qsort(x.rows, x.n, sizeof(*x.rows), cmp_age);
	n = req->max_rows && req->max_rows < x.n ? req->max_rows : x.n;
	put_rows(c, HO_CTL_PS_ROW, x.rows, sizeof(*x.rows), n, x.oom);
	free(x.rows);
}

void list_stats(struct ctl_state *s, struct ctl_client *c, const void *payload)
{
	const struct ho_ctl_stats_req *req = payload;
	struct ho_ctl_stats_row *rows;
	size_t n;
	int err = collect_stats(s->snap, req->kind == HO_STATS_CGROUPS, &rows, &n);

	put_rows(c, HO_CTL_STATS_ROW, rows, sizeof(*rows), n, err != 0);
	free(rows);
}

void list_events(struct ctl_state *s, struct ctl_client *c, const void *payload)
{
	const struct ho_ctl_events_req *req = payload;
	struct ho_ctl_end end = {0};

	for (; end.rows < s->l->events.count; end.rows++)
		if (ctl_put(c, HO_CTL_EVENT_ROW, event_log_get(&s->l->events, end.rows),
			    sizeof(struct ho_ctl_event_row))) {
			end.truncated = 1;
			break;
		}
	(void)ctl_put(c, HO_CTL_END, &end, sizeof(end));
	c->follow = req->follow;
}

void send_history(struct ctl_state *s, struct ctl_client *c, const void *req)
{
	struct ho_ctl_history h = {.n = s->l->hist.n};

	(void)req;
	for (uint32_t i = 0; i < HO_HISTORY_LEN; i++) {
		uint32_t from = (s->l->hist.next + i) % HO_HISTORY_LEN;

		h.in_flight[i] = s->l->hist.in_flight[from];
		h.queued[i] = s->l->hist.queued[from];
	}
	(void)ctl_put(c, HO_CTL_HISTORY_REP, &h, sizeof(h));
}
