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
#include <time.h>
#include "clock.h"
#include "limiter.h"
#include "log.h"
#include "shared.h"
#include "packet.h"
#include "parse.h"
#include "procinfo.h"
#include "rawsyn.h"
#include "reconcile.h"
#include "release.h"
#include "scopes.h"
#include "u64vec.h"

/* A raw SYN dropped, a raw socket refused: logged, kept, sent to followers. */
static void limiter_raw_event(struct limiter *l, const struct ho_event *ev)
{
	static const char *const what[] = {
		[HO_EVENT_RAW_DROPPED] = "raw SYNs dropped over the limit",
		[HO_EVENT_RAW_REFUSED] = "raw socket refused (raw deny)",
		[HO_EVENT_RAW_FRAMES] = "packet socket frames dropped (raw deny)",
		[HO_EVENT_RAW_BYPASS] = "PACKET_QDISC_BYPASS refused (it would skip the count)",
		[HO_EVENT_RAW_PACED] =
			"raw SYNs to new addresses dropped over a flagged scope's pace",
	};
	struct ho_ctl_event_row r;
	char user[64], lim[16];
	uint64_t now = now_ns();

	if (!raw_event_row(ev, &r))
		return;
	/* refusals come one per socket(): at most 10 logged a second */
	if (now - l->raw_log_ns >= 1000000000ull) {
		l->raw_log_ns = now;
		l->raw_logged = 0;
	}
	if (++l->raw_logged > 10)
		return;
	r.limit = shared_get(kern_state(l->k)->limit);
	r.in_flight = shared_get(kern_state(l->k)->in_flight);
	cgroup_path(ev->a.cgid, r.top_tgid, r.top_cgroup, sizeof(r.top_cgroup));
	event_log_add(&l->events, &r);
	pr_warn("event=" HO_EVENT_ID " %s (limit %s): pid %u (%s) uid %u (%s) cgroup %s, family %u "
		"type %u",
		what[r.kind], format_limit(r.limit, lim, sizeof(lim)), r.top_tgid, r.top_comm,
		r.top_uid, user_name(r.top_uid, user, sizeof(user)), r.top_cgroup, r.raw_family,
		r.raw_type);
	/* for followers, taken by the loop this turn (limiter_raw_events) */
	if (l->raw_npending < HO_RAW_EVENTS_PENDING)
		l->raw_pending[l->raw_npending++] = r;
}

size_t limiter_raw_events(struct limiter *l, const struct ho_ctl_event_row **rows)
{
	size_t n = l->raw_npending;

	*rows = l->raw_pending;
	l->raw_npending = 0;
	return n;
}

int limiter_on_event(void *ctx, void *data, size_t len)
{
	struct limiter *l = ctx;
	const struct ho_event *ev = data;
	struct hq_entry *e;

	if (len < sizeof(*ev))
		return 0;
	switch (ev->type) {
	case HO_EV_QUEUED:
		/* -EEXIST: adopted already from a packet that came first */
		if (hq_push(&l->q, ev->cookie, &ev->a, NULL) == -ENOMEM)
			pr_err("out of memory queueing an attempt of pid %u", ev->a.tgid);
		if (ev->a.flags & HO_AT_APART)
			break; /* held by containment, not by a limit: its alarm is the flag */
		if (!l->limit_hit_ns)
			l->limit_hit_ns = now_ns();
		l->last_queued = ev->a;
		break;
	case HO_EV_CANCELLED:
		e = hq_find(&l->q, ev->cookie);
		if (e)
			nfqueue_forget(l->nfq, &l->q, e,
				       NF_DROP); /* its socket is closed: never send it */
		break;
	case HO_EV_FIRST_END:
		contain_on_end(&l->cn, &ev->a, ev->outcome, ev->end_ns);
		break; /* and limiter_release() runs after every batch */
	case HO_EV_RAW_FIRST_END:
		contain_raw_end(&l->cn, &ev->a, ev->outcome);
		break; /* scored in the order the SYNs left: contain_raw_due() */
	case HO_EV_SLOT_FREED:
		break; /* limiter_release() runs after every batch */
	case HO_EV_FAILFAST:
		if (ev->a.flags & HO_AT_APART)
			break; /* containment's, not a limit's: its alarm is the flag */
		/* refused at once, counted by the kernel: the limit was reached all the same */
		if (!l->limit_hit_ns)
			l->limit_hit_ns = now_ns();
		l->failfast_pending++;
		l->last_queued = ev->a;
		break;
	case HO_EV_RAW_DENIED:
	case HO_EV_RAW_DROPPED:
		limiter_raw_event(l, ev);
		break;
	}
	return 0;
}

/* A SYN the kernel held for us; find its attempt by the packet's tuple. */
void limiter_on_packet(void *ctx, uint32_t id, const void *pkt, size_t len)
{
	struct limiter *l = ctx;
	struct ho_attempt a;
	struct ho_tuple t;
	struct hq_entry *e;
	uint64_t cookie;

	if (packet_tuple(pkt, len, &t) || kern_take_held(l->k, &t, &cookie)) {
		(void)nfqueue_verdict(l->nfq, id, NF_ACCEPT); /* not one of ours: fail open */
		return;
	}
	e = hq_find(&l->q, cookie);
	if (!e) {
		/* the QUEUED event is written before the SYN is built: read it now */
		(void)ring_buffer__consume(l->k->rb);
		e = hq_find(&l->q, cookie);
	}
	if (!e) {
		int err = kern_lookup(l->k, cookie, &a);
		bool unknown = err != 0;

		if (err == -EAGAIN) {
			/* cannot tell now: held_syn looks again */
			(void)nfqueue_verdict(l->nfq, id, NF_REPEAT);
			return;
		}
		if (unknown || a.state == HO_ST_GONE) {
			/* its socket no longer connects: the SYN must not go out */
			(void)nfqueue_verdict(l->nfq, id, NF_DROP);
			if (!unknown && (a.flags & HO_AT_TOMB))
				(void)kern_delete(l->k, KM_ATTEMPTS, cookie);
			return;
		}
		if (ho_state_in_flight(a.state)) {
			/* released meanwhile: held_syn has the last word */
			(void)nfqueue_verdict(l->nfq, id, NF_REPEAT);
			return;
		}
		/* queued, but its event was lost (ring buffer full): adopt it */
		if (hq_insert_ordered(&l->q, cookie, &a, &e)) {
			(void)nfqueue_verdict(l->nfq, id, NF_DROP);
			return;
		}
		l->adopted++;
	}
	if (e->has_pkt) {
		/* a retransmission while held: one packet per attempt is enough */
		l->duplicates++;
		(void)nfqueue_verdict(l->nfq, id, NF_DROP);
	} else if (l->q.held >= l->c->queue_max) {
		/* the attempt keeps its place; TCP sends its SYN again later */
		l->dropped++;
		(void)nfqueue_verdict(l->nfq, id, NF_DROP);
	} else {
		hq_hold(&l->q, e, id);
	}
}

static void engine_scopes_of(void *ctx, struct hq_entry *e, struct ho_scope_set *set)
{
	struct limiter *l = ctx;

	scopes_of(l->sc, e, set);
}

static int engine_release(void *ctx, uint64_t cookie, uint32_t gen, bool force,
			  const struct ho_scope_set *set)
{
	struct limiter *l = ctx;

	return kern_release(l->k, cookie, gen, force, set);
}

static void engine_leave(void *ctx, struct hq_entry *e, uint32_t verdict)
{
	struct limiter *l = ctx;

	nfqueue_forget(l->nfq, &l->q, e, verdict);
}

static uint64_t engine_gate(void *ctx, const struct ho_attempt *a, uint64_t now)
{
	struct limiter *l = ctx;

	return contain_gate(&l->cn, a, now);
}

static void engine_gated(void *ctx, const struct ho_attempt *a, uint64_t now)
{
	struct limiter *l = ctx;

	contain_released(&l->cn, a, now);
}

static const struct release_ops engine_ops = {
	.scopes_of = engine_scopes_of,
	.release = engine_release,
	.leave = engine_leave,
	.gate = engine_gate,
	.gated = engine_gated,
};

void limiter_init(struct limiter *l)
{
	l->rel = (struct release_engine){.q = &l->q,
					 .ks = kern_state(l->k),
					 .scopes = kern_scopes(l->k),
					 .ops = &engine_ops,
					 .ctx = l};
}

static void release(struct limiter *l, bool force, uint32_t budget)
{
	l->rel.now = now_ns();
	release_run(&l->rel, release_mode(l->c->release) == HO_RELEASE_FIFO, force, budget);
}

void limiter_release(struct limiter *l)
{
	const struct hq_entry *head;

	/* in rate mode only the rate timer releases */
	if (release_mode(l->c->release) != HO_RELEASE_RATE)
		release(l, false, UINT32_MAX);
	/*
	 * The oldest still queued, or the next to be: getsockopt(HALFOPEN_INFO)
	 * counts positions from it.
	 */
	head = hq_head(&l->q);
	shared_set(kern_state(l->k)->head_seq,
		   head ? head->info.qseq : shared_get(kern_state(l->k)->enq_seq) + 1);
}

void limiter_release_some(struct limiter *l, uint32_t n)
{
	release(l, false, n);
}

/* Shutdown: everything queued goes now, over the limit if need be. */
void limiter_release_all(struct limiter *l)
{
	(void)ring_buffer__consume(l->k->rb);
	release(l, true, UINT32_MAX);
}

static void adopt(void *ctx, uint64_t cookie, const void *val)
{
	struct limiter *l = ctx;
	const struct ho_attempt *a = val;

	if (a->state == HO_ST_QUEUED && hq_insert_ordered(&l->q, cookie, a, NULL) == 0)
		l->adopted++;
}

struct age_ctx {
	struct limiter *l;
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
		stats_retire(&x->l->retired, s);
}

static void age_stats(struct limiter *l)
{
	struct age_ctx x = {
		.l = l, .now = now_ns(), .ttl = (uint64_t)l->c->stats_ttl * 1000000000ull};

	(void)kern_walk(l->k, KM_PROC_STATS, age_one, &x);
	for (size_t i = 0; i < x.keys.n; i++)
		(void)kern_delete(l->k, KM_PROC_STATS, x.keys.v[i]);
	u64vec_free(&x.keys);
	stats_retired_age(&l->retired, x.now, x.ttl);
}

/* Once a second: catch up with what the kernel could not tell us. */
void limiter_housekeeping(struct limiter *l)
{
	struct history *h = &l->hist;
	struct ho_kstate *ks = kern_state(l->k);
	uint64_t lost = shared_get(ks->lost_events);
	uint64_t untracked = shared_get(ks->untracked);

	if (lost != l->seen_lost_events) {
		pr_warn("%" PRIu64 " kernel events were lost (ring buffer full); rescanning "
			"the attempt table",
			lost - l->seen_lost_events);
		l->seen_lost_events = lost;
		(void)ring_buffer__consume(l->k->rb);
		(void)kern_walk(l->k, KM_ATTEMPTS, adopt, l);
	}
	/* drain, then find what the socket lost on the way */
	(void)ring_buffer__consume(l->k->rb);
	nfqueue_receive(l->nfq, limiter_on_packet, l);
	nfqueue_repair(l->nfq);
	/* one sample a second for halfopen top */
	h->in_flight[h->next] = shared_get(ks->in_flight);
	h->queued[h->next] = shared_get(ks->queued);
	h->next = (h->next + 1) % HO_HISTORY_LEN;
	if (h->n < HO_HISTORY_LEN)
		h->n++;
	if (++l->ticks % 5 == 0) {
		age_stats(l);
		/* big replies and storms leave free heap behind: give it back */
		malloc_trim(0);
	}
	/*
	 * The kernel reports every end; should one go unreported all the same,
	 * a stalled queue is looked at within a second (the attempts that hold
	 * slots), and the whole table every HO_RECONCILE_S while anything is
	 * tracked.
	 */
	if (l->ticks % HO_RECONCILE_S == 0 &&
	    (shared_get(ks->in_flight) || shared_get(ks->queued) || l->q.count))
		reconcile(l->k, &l->q, l->nfq, true);
	else if (l->q.count && l->rel.released == l->released_seen)
		reconcile(l->k, &l->q, l->nfq, false);
	l->released_seen = l->rel.released;
	if (untracked != l->seen_untracked) {
		pr_warn("attempt table full (%u): %" PRIu64 " attempts were let through "
			"untracked; raise --tracked-max",
			l->c->tracked_max, untracked - l->seen_untracked);
		l->seen_untracked = untracked;
	}
	scopes_tick(l->sc);
	(void)contain_tick(&l->cn, now_ns()); /* an unflagged scope's queue goes below */
	limiter_release(l);
}

static int ms_until(uint64_t at, uint64_t now)
{
	return at <= now ? 0 : (int)((at - now + 999999) / 1000000);
}

int limiter_units_due(struct limiter *l)
{
	uint64_t now = now_ns(), next = contain_units_due(&l->cn, now);

	return next ? ms_until(next, now) : -1;
}

int limiter_paced_wait(struct limiter *l)
{
	return l->rel.wake_ns && l->q.count ? ms_until(l->rel.wake_ns, now_ns()) : -1;
}

struct expire_ctx {
	uint64_t now, timeout, next;
	struct u64vec due;
	struct ho_attempt *a; /* first contacts among them, as walked, for their score */
	size_t na, capa;
};

/* The attempt as walked: 0, or -ENOMEM (the next walk gets it). */
static int expire_keep(struct expire_ctx *x, const struct ho_attempt *a)
{
	if (x->na == x->capa) {
		size_t cap = x->capa ? x->capa * 2 : 64;
		void *v = realloc(x->a, cap * sizeof(*x->a));

		if (!v)
			return -ENOMEM;
		x->a = v;
		x->capa = cap;
	}
	x->a[x->na++] = *a;
	return 0;
}

static void expire_one(void *ctx, uint64_t cookie, const void *val)
{
	struct expire_ctx *x = ctx;
	const struct ho_attempt *a = val;

	if (a->state != HO_ST_INFLIGHT || !a->out_ns)
		return;
	if (a->out_ns + x->timeout <= x->now) {
		/* on ENOMEM the next walk gets it */
		if (expire_keep(x, a) == 0 && u64vec_push(&x->due, cookie))
			x->na--;
	} else if (a->out_ns + x->timeout < x->next)
		x->next = a->out_ns + x->timeout;
}

int limiter_expire(struct limiter *l)
{
	struct expire_ctx x = {.now = now_ns(), .timeout = l->c->slot_timeout * 1000000000ull};
	size_t n = 0;

	/*
	 * A slot held by a long-dead attempt matters only to those waiting for
	 * one, and so does a unit of probation (contain mode).
	 */
	if (!x.timeout || !l->q.count ||
	    (!shared_get(kern_state(l->k)->limit) && !l->sc->n && !l->cn.probe))
		return -1;
	if (x.now < l->expire_next_ns)
		return ms_until(l->expire_next_ns, x.now);
	/* what is admitted from now on cannot expire before now + timeout */
	x.next = x.now + x.timeout;
	kern_walk(l->k, KM_ATTEMPTS, expire_one, &x);
	for (size_t i = 0; i < x.due.n; i++) {
		uint32_t probe = 0;

		/* the attempt walked, by its generation: not one that took its entry since */
		if (kern_expire(l->k, x.due.v[i], x.a[i].gen, &probe) != 1)
			continue;
		n++;
		/* unanswered that long is a failed first contact; its units come back */
		contain_on_expired(&l->cn, &x.a[i], probe, x.now);
	}
	u64vec_free(&x.due);
	free(x.a);
	if (n)
		pr_debug("slot-timeout: %zu attempts no longer count against the limits", n);
	/* a walk at most every 100 ms: a slot is free at most that late */
	if (x.next < x.now + 100000000ull)
		x.next = x.now + 100000000ull;
	l->expire_next_ns = x.next;
	return ms_until(x.next, x.now);
}

/* The processes held back by one limit, for its event. */
#define TALLY_PROCS 16 /* distinct processes counted per scope; the rest are not named */
struct tally {
	uint32_t queued;
	uint32_t nprocs;
	struct {
		struct ho_attempt a;
		uint32_t queued;
	} p[TALLY_PROCS];
};

/*
 * The limit that holds a queued attempt back now: the kernel index of the
 * first full scope of its own (its policy), else 0 for the namespace's.
 */
static uint32_t holding_limit(struct limiter *l, struct hq_entry *e)
{
	struct ho_scope_set set;

	if (!l->sc->n)
		return 0;
	scopes_of(l->sc, e, &set);
	for (int i = 0; i < HO_ATTEMPT_SCOPES && set.s[i].idx; i++)
		if (scopes_at(l->sc, set.s[i].idx) && scope_full(&kern_scopes(l->k)[set.s[i].idx]))
			return set.s[i].idx;
	return 0;
}

static void tally_add(struct tally *t, const struct ho_attempt *a)
{
	uint32_t i;

	t->queued++;
	for (i = 0; i < t->nprocs && t->p[i].a.tgid != a->tgid; i++)
		;
	if (i == t->nprocs) {
		if (i == TALLY_PROCS)
			return;
		t->p[t->nprocs++].a = *a;
	}
	t->p[i].queued++;
}

/* One limit event: logged, kept, and into out for followers. */
static void report_one(struct limiter *l, uint32_t idx, const struct tally *t,
		       struct ho_ctl_event_row *out)
{
	struct ho_ctl_event_row r = {.kind = HO_EVENT_LIMIT};
	const struct ho_attempt *top = &t->p[0].a;
	uint32_t top_queued = t->p[0].queued;
	struct timespec ts;
	char lim[16], user[64], ff[64] = "";

	for (uint32_t i = 1; i < t->nprocs; i++)
		if (t->p[i].queued > top_queued) {
			top = &t->p[i].a;
			top_queued = t->p[i].queued;
		}
	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (idx) {
		const struct ho_scope *k = &kern_scopes(l->k)[idx];

		r.limit = shared_get(k->limit);
		r.in_flight =
			(uint32_t)(shared_get(k->in_flight) > 0 ? shared_get(k->in_flight) : 0);
		policy_format(&scopes_at(l->sc, idx)->p, false, r.scope, sizeof(r.scope));
	} else {
		r.limit = shared_get(kern_state(l->k)->limit);
		r.in_flight = shared_get(kern_state(l->k)->in_flight);
		/* HALFOPEN_NOQUEUE connect()s refused at once met the namespace's limit */
		r.failfast = l->failfast_pending;
		l->failfast_pending = 0;
		if (r.failfast)
			snprintf(ff, sizeof(ff), ", %u refused at once (HALFOPEN_NOQUEUE)",
				 r.failfast);
	}
	r.queued = t->queued;
	r.top_tgid = top->tgid;
	r.top_uid = top->uid;
	r.top_queued = top_queued;
	memcpy(r.top_comm, top->comm, sizeof(r.top_comm));
	r.top_comm[sizeof(r.top_comm) - 1] = '\0';
	cgroup_path(top->cgid, top->tgid, r.top_cgroup, sizeof(r.top_cgroup));
	event_log_add(&l->events, &r);
	pr_warn("event=" HO_EVENT_ID " limit on concurrent outbound connection attempts%s%s (%s) "
		"reached, further attempts are being queued: %u queued%s; most by pid %u (%s) "
		"uid %u (%s) cgroup %s with %u queued",
		r.scope[0] ? " of " : "", r.scope, format_limit(r.limit, lim, sizeof(lim)),
		r.queued, ff, r.top_tgid, r.top_comm, r.top_uid,
		user_name(r.top_uid, user, sizeof(user)), r.top_cgroup, r.top_queued);
	*out = r;
}

/*
 * halfopen's Event 4226, one per limit that holds attempts back (the
 * namespace's, a policy's): the first time, then once per interval each, so
 * that a scanner's event never hides that the host's limit held others back.
 */
int limiter_report(struct limiter *l, struct ho_ctl_event_row *out, size_t max, size_t *n)
{
	uint64_t now = now_ns(), gather = HO_REPORT_GATHER_MS * 1000000ull;
	struct tally *t;
	uint32_t nt;
	bool any = false;

	*n = 0;
	if (!l->limit_hit_ns)
		return -1;
	if (now - l->limit_hit_ns < gather)
		return (int)((gather - (now - l->limit_hit_ns)) / 1000000) + 1;
	l->limit_hit_ns = 0;
	/* one tally per limit: the namespace's, and each policy's if there are any */
	nt = l->sc->n ? HO_SCOPES_MAX : 1;
	t = calloc(nt, sizeof(*t));
	if (!t)
		return -1; /* the next attempt queued tries again */
	for (struct hq_entry *e = hq_head(&l->q); e; e = e->next)
		if (!(e->info.flags & HO_AT_APART)) {
			tally_add(&t[holding_limit(l, e)], &e->info);
			any = true;
		}
	if (!any) /* released within the gathering time: name the last one queued */
		tally_add(&t[0], &l->last_queued);
	for (uint32_t idx = 0; idx < nt && *n < max; idx++) {
		struct limit_event *ev = idx ? &l->scope_ev[idx] : &l->ev;

		if (!t[idx].queued)
			continue;
		ev->interval_ns = l->ev.interval_ns;
		if (limit_event_due(ev, now))
			report_one(l, idx, &t[idx], &out[(*n)++]);
	}
	free(t);
	return -1;
}
