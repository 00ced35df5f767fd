// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The queue engine: attempts queued by the kernel, their held SYNs from
 * NFQUEUE, and their release as slots free: round robin over cgroups (fair,
 * the default), one FIFO (fifo), or at a fixed rate (rate:R, fair order).
 *
 * The kernel owns the slot count; an attempt moves from queued to in flight
 * only through the "release" BPF program, atomically with taking a slot, so
 * the daemon and the kernel never disagree on who holds a slot. The daemon
 * owns the order and the held packets.
 *
 * A released SYN is given back with NF_REPEAT, not NF_ACCEPT: the kernel runs
 * it through the rules again, and held_syn lets it out only if its socket is
 * still connecting. A socket closed between the release and the verdict thus
 * never puts its SYN on the wire (it comes back here and is dropped).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "log.h"
#include "shared.h"
#include "packet.h"
#include "parse.h"
#include "procinfo.h"
#include "reconcile.h"
#include "release.h"
#include "scopes.h"
#include "u64vec.h"

/* A raw SYN dropped, a raw socket refused: logged, kept, sent to followers. */
static void limiter_raw_event(struct daemon *d, const struct ho_event *ev)
{
	static const char *const what[] = {
		[HO_EVK_RAW_DROPPED] = "raw SYNs dropped over the limit",
		[HO_EVK_RAW_REFUSED] = "raw socket refused (raw deny)",
		[HO_EVK_RAW_FRAMES] = "packet socket frames dropped (raw deny)",
		[HO_EVK_RAW_BYPASS] = "PACKET_QDISC_BYPASS refused (it would skip the count)",
	};
	struct ho_ctl_event_row r;
	char user[64], lim[16];
	uint64_t now = now_ns();

	if (!raw_event_row(ev, &r))
		return;
	/* refusals come one per socket(): at most 10 logged a second */
	if (now - d->raw_log_ns >= 1000000000ull) {
		d->raw_log_ns = now;
		d->raw_logged = 0;
	}
	if (++d->raw_logged > 10)
		return;
	r.limit = shared_get(kern_state(&d->k)->limit);
	r.in_flight = shared_get(kern_state(&d->k)->in_flight);
	cgroup_path(ev->a.cgid, r.top_tgid, r.top_cgroup, sizeof(r.top_cgroup));
	event_log_add(&d->events, &r);
	pr_warn("event=" HO_EVENT_ID " %s (limit %s): pid %u (%s) uid %u (%s) cgroup %s, family %u "
		"type %u",
		what[r.kind], format_limit(r.limit, lim, sizeof(lim)), r.top_tgid, r.top_comm,
		r.top_uid, user_name(r.top_uid, user, sizeof(user)), r.top_cgroup, r.raw_family,
		r.raw_type);
	ctl_broadcast_event(d, &r);
}

int limiter_on_event(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	const struct ho_event *ev = data;
	struct hq_entry *e;

	if (len < sizeof(*ev))
		return 0;
	switch (ev->type) {
	case HO_EV_QUEUED:
		/* -EEXIST: adopted already from a packet that came first */
		if (hq_push(&d->q, ev->cookie, &ev->a, NULL) == -ENOMEM)
			pr_err("out of memory queueing an attempt of pid %u", ev->a.tgid);
		if (!d->limit_hit_ns)
			d->limit_hit_ns = now_ns();
		d->last_queued = ev->a;
		break;
	case HO_EV_CANCELLED:
		e = hq_find(&d->q, ev->cookie);
		if (e)
			nfqueue_forget(&d->nfq, &d->q, e,
				       NF_DROP); /* its socket is closed: never send it */
		break;
	case HO_EV_SLOT_FREED:
		break; /* limiter_release() runs after every batch */
	case HO_EV_RAW_DENIED:
	case HO_EV_RAW_DROPPED:
		limiter_raw_event(d, ev);
		break;
	}
	return 0;
}

/* A SYN the kernel held for us; find its attempt by the packet's tuple. */
void limiter_on_packet(void *ctx, uint32_t id, const void *pkt, size_t len)
{
	struct daemon *d = ctx;
	struct ho_attempt a;
	struct ho_tuple t;
	struct hq_entry *e;
	uint64_t cookie;

	if (packet_tuple(pkt, len, &t) || kern_take_held(&d->k, &t, &cookie)) {
		nfqueue_verdict(&d->nfq, id, NF_ACCEPT); /* not one of ours: fail open */
		return;
	}
	e = hq_find(&d->q, cookie);
	if (!e) {
		/* the QUEUED event is written before the SYN is built: read it now */
		ring_buffer__consume(d->k.rb);
		e = hq_find(&d->q, cookie);
	}
	if (!e) {
		bool unknown = kern_lookup(&d->k, cookie, &a) != 0;

		if (unknown || a.state == HO_ST_GONE) {
			/* its socket no longer connects: the SYN must not go out */
			nfqueue_verdict(&d->nfq, id, NF_DROP);
			if (!unknown && (a.flags & HO_AT_TOMB))
				(void)kern_delete(&d->k, KM_ATTEMPTS, cookie);
			return;
		}
		if (ho_state_in_flight(a.state)) {
			/* released meanwhile: held_syn has the last word */
			nfqueue_verdict(&d->nfq, id, NF_REPEAT);
			return;
		}
		/* queued, but its event was lost (ring buffer full): adopt it */
		if (hq_insert_ordered(&d->q, cookie, &a, &e)) {
			nfqueue_verdict(&d->nfq, id, NF_DROP);
			return;
		}
		d->adopted++;
	}
	if (e->has_pkt) {
		/* a retransmission while held: one packet per attempt is enough */
		d->duplicates++;
		nfqueue_verdict(&d->nfq, id, NF_DROP);
	} else if (d->q.held >= d->o.c.queue_max) {
		/* the attempt keeps its place; TCP sends its SYN again later */
		d->dropped++;
		nfqueue_verdict(&d->nfq, id, NF_DROP);
	} else {
		hq_hold(&d->q, e, id);
	}
}

static void engine_scopes_of(void *ctx, struct hq_entry *e, struct ho_scope_set *set)
{
	struct daemon *d = ctx;

	scopes_of(&d->sc, e, set);
}

static int engine_release(void *ctx, uint64_t cookie, bool force, const struct ho_scope_set *set)
{
	struct daemon *d = ctx;

	return kern_release(&d->k, cookie, force, set);
}

static void engine_leave(void *ctx, struct hq_entry *e, uint32_t verdict)
{
	struct daemon *d = ctx;

	nfqueue_forget(&d->nfq, &d->q, e, verdict);
}

static const struct release_ops engine_ops = {
	.scopes_of = engine_scopes_of,
	.release = engine_release,
	.leave = engine_leave,
};

void limiter_init(struct daemon *d)
{
	d->sc.k = &d->k;
	d->rel = (struct release_engine){.q = &d->q,
					 .ks = kern_state(&d->k),
					 .scopes = kern_scopes(&d->k),
					 .ops = &engine_ops,
					 .ctx = d};
}

static void release(struct daemon *d, bool force, uint32_t budget)
{
	release_run(&d->rel, release_mode(d->o.c.release) == HO_RELEASE_FIFO, force, budget);
}

void limiter_release(struct daemon *d)
{
	/* in rate mode only the rate timer releases */
	if (release_mode(d->o.c.release) != HO_RELEASE_RATE)
		release(d, false, UINT32_MAX);
}

void limiter_release_some(struct daemon *d, uint32_t n)
{
	release(d, false, n);
}

/* Shutdown: everything queued goes now, over the limit if need be. */
void limiter_release_all(struct daemon *d)
{
	ring_buffer__consume(d->k.rb);
	release(d, true, UINT32_MAX);
}

static void adopt(void *ctx, uint64_t cookie, const void *val)
{
	struct daemon *d = ctx;
	const struct ho_attempt *a = val;

	if (a->state == HO_ST_QUEUED && hq_insert_ordered(&d->q, cookie, a, NULL) == 0)
		d->adopted++;
}

struct age_ctx {
	struct daemon *d;
	uint64_t now, ttl;
	struct u64vec keys; /* deleted after the walk */
};

/* Counters of processes gone and idle for stats_ttl go; their cgroup keeps their counts. */
static void age_one(void *ctx, uint64_t key, const void *val)
{
	struct age_ctx *x = ctx;
	const struct ho_stats *s = val;

	if (s->in_flight > 0 || s->queued_now > 0 || s->last_ns + x->ttl > x->now)
		return;
	if (proc_alive((uint32_t)key))
		return;
	if (u64vec_push(&x->keys, key) == 0)
		stats_retire(&x->d->retired, s);
}

static void age_stats(struct daemon *d)
{
	struct age_ctx x = {
		.d = d, .now = now_ns(), .ttl = (uint64_t)d->o.c.stats_ttl * 1000000000ull};

	kern_walk(&d->k, KM_PROC_STATS, age_one, &x);
	for (size_t i = 0; i < x.keys.n; i++)
		(void)kern_delete(&d->k, KM_PROC_STATS, x.keys.v[i]);
	u64vec_free(&x.keys);
	stats_retired_age(&d->retired, x.now, x.ttl);
}

/* Once a second: catch up with what the kernel could not tell us. */
void limiter_housekeeping(struct daemon *d)
{
	struct history *h = &d->hist;
	struct ho_kstate *ks = kern_state(&d->k);
	uint64_t lost = shared_get(ks->lost_events);
	uint64_t untracked = shared_get(ks->untracked);

	if (lost != d->seen_lost_events) {
		pr_warn("%" PRIu64 " kernel events were lost (ring buffer full); rescanning "
			"the attempt table",
			lost - d->seen_lost_events);
		d->seen_lost_events = lost;
		ring_buffer__consume(d->k.rb);
		kern_walk(&d->k, KM_ATTEMPTS, adopt, d);
	}
	/* drain, then find what the socket lost on the way */
	ring_buffer__consume(d->k.rb);
	nfqueue_receive(&d->nfq, limiter_on_packet, d);
	nfqueue_repair(&d->nfq);
	/* one sample a second for halfopen top */
	h->in_flight[h->next] = shared_get(ks->in_flight);
	h->queued[h->next] = shared_get(ks->queued);
	h->next = (h->next + 1) % HO_HISTORY_LEN;
	if (h->n < HO_HISTORY_LEN)
		h->n++;
	if (++d->ticks % 5 == 0) {
		age_stats(d);
		/* big replies and storms leave free heap behind: give it back */
		malloc_trim(0);
	}
	/*
	 * The kernel reports every end; should one go unreported all the same,
	 * a stalled queue is looked at within a second (the attempts that hold
	 * slots), and the whole table every HO_RECONCILE_S while anything is
	 * tracked.
	 */
	if (d->ticks % HO_RECONCILE_S == 0 &&
	    (shared_get(ks->in_flight) || shared_get(ks->queued) || d->q.count))
		reconcile(&d->k, &d->q, &d->nfq, true);
	else if (d->q.count && d->rel.released == d->released_seen)
		reconcile(&d->k, &d->q, &d->nfq, false);
	d->released_seen = d->rel.released;
	if (untracked != d->seen_untracked) {
		pr_warn("attempt table full (%u): %" PRIu64 " attempts were let through "
			"untracked; raise --tracked-max",
			d->o.c.tracked_max, untracked - d->seen_untracked);
		d->seen_untracked = untracked;
	}
	scopes_tick(&d->sc);
	limiter_release(d);
}

/*
 * Which limit holds the top process back: the namespace's when it is full,
 * else the first full scope of one of its queued attempts.
 */
static void full_scope(struct daemon *d, uint32_t tgid, struct ho_ctl_event_row *r)
{
	struct ho_kstate *ks = kern_state(&d->k);
	struct ho_scope_set set;
	struct hq_entry *e;

	r->limit = shared_get(ks->limit);
	if (!d->sc.n || (r->limit && shared_get(ks->in_flight) >= r->limit))
		return;
	for (e = hq_head(&d->q); e && e->info.tgid != tgid; e = e->next)
		;
	if (!e)
		return;
	scopes_of(&d->sc, e, &set);
	for (int i = 0; i < HO_ATTEMPT_SCOPES && set.s[i].idx; i++) {
		const struct ho_scope *k = &kern_scopes(&d->k)[set.s[i].idx];
		const struct scope_entry *se = scopes_at(&d->sc, set.s[i].idx);

		if (se && scope_full(k)) {
			r->limit = shared_get(k->limit);
			policy_format(&se->p, false, r->scope, sizeof(r->scope));
			return;
		}
	}
}

/* halfopen's Event 4226: first time the limit is reached, then once per interval. */
int limiter_report(struct daemon *d, struct ho_ctl_event_row *out)
{
	struct ho_ctl_event_row r = {0};
	struct top_proc top;
	struct timespec ts;
	char lim[16], user[64];
	uint64_t now = now_ns(), gather = HO_REPORT_GATHER_MS * 1000000ull;

	if (!d->limit_hit_ns)
		return -1;
	if (now - d->limit_hit_ns < gather)
		return (int)((gather - (now - d->limit_hit_ns)) / 1000000) + 1;
	d->limit_hit_ns = 0;
	if (!limit_event_due(&d->ev, now))
		return -1;
	if (queue_top_process(&d->q, &top)) {
		/* released within the gathering time: name the last one queued */
		top = (struct top_proc){.tgid = d->last_queued.tgid,
					.uid = d->last_queued.uid,
					.cgid = d->last_queued.cgid,
					.queued = 1};
		memcpy(top.comm, d->last_queued.comm, sizeof(top.comm));
		top.comm[sizeof(top.comm) - 1] = '\0';
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	full_scope(d, top.tgid, &r);
	r.in_flight = shared_get(kern_state(&d->k)->in_flight);
	r.queued = (uint32_t)d->q.count;
	r.top_tgid = top.tgid;
	r.top_uid = top.uid;
	r.top_queued = top.queued;
	memcpy(r.top_comm, top.comm, sizeof(r.top_comm));
	cgroup_path(top.cgid, top.tgid, r.top_cgroup, sizeof(r.top_cgroup));
	event_log_add(&d->events, &r);
	pr_warn("event=" HO_EVENT_ID " limit on concurrent outbound connection attempts%s%s (%s) "
		"reached, further attempts are being queued: %u queued; most by pid %u (%s) "
		"uid %u (%s) cgroup %s with %u queued",
		r.scope[0] ? " of " : "", r.scope, format_limit(r.limit, lim, sizeof(lim)),
		r.queued, r.top_tgid, r.top_comm, r.top_uid,
		user_name(r.top_uid, user, sizeof(user)), r.top_cgroup, r.top_queued);
	*out = r;
	return -1;
}
