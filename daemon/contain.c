// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Containment (see contain.h): the kernel tells first contacts and queues
 * those of flagged scopes; this file judges their outcomes, keeps each
 * scope's working set bounded, flags and unflags, and paces the release of
 * what a flagged scope queued.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "config.h"
#include "contain.h"
#include "kern.h"
#include "log.h"
#include "procinfo.h"
#include "shared.h"

static size_t bucket(uint32_t kind, uint64_t id)
{
	id ^= (uint64_t)kind << 60;
	id *= 0x9e3779b97f4a7c15ull;
	return (size_t)(id >> 54) & (HO_CONTAIN_BUCKETS - 1);
}

static struct cscope **slot_of(const struct contain *c, uint32_t kind, uint64_t id)
{
	struct cscope **pp = (struct cscope **)&c->b[bucket(kind, id)];

	while (*pp && ((*pp)->kind != kind || (*pp)->id != id))
		pp = &(*pp)->hnext;
	return pp;
}

const struct cscope *contain_find(const struct contain *c, uint32_t kind, uint64_t id)
{
	return *slot_of(c, kind, id);
}

static void publish(struct contain *c)
{
	shared_set(kern_state(c->k)->flagged_scopes, c->flagged);
}

static const char *scope_name(const struct cscope *s, char *buf, size_t len)
{
	char path[HO_CGROUP_LEN];

	char user[64];

	if (s->kind == HO_SCOPE_PROC)
		snprintf(buf, len, "pid %u (%s)", s->tgid, s->comm);
	else if (s->kind == HO_SCOPE_USER)
		snprintf(buf, len, "user %u (%s)", (uint32_t)s->id,
			 user_name((uint32_t)s->id, user, sizeof(user)));
	else
		snprintf(buf, len, "cgroup %s", cgroup_path(s->cgid, s->tgid, path, sizeof(path)));
	return buf;
}

/*
 * Probation (halfopen.h): the first contacts a scope may have out unscored:
 * as many as it takes to flag it if they all fail, so that it reaches the
 * threshold and no further; none counted once TRW would call it benign
 * (score at ln eta0 = -flag or below).
 */
static uint32_t budget_of(const struct contain *c, const struct cscope *s)
{
	int32_t score = s ? s->t.score : 0;

	/* the floor may be above -flag (--flag-after over TRW_CREDIT_DEFAULT) */
	if (!c->probe || score <= -c->p.flag || score <= c->p.floor)
		return HO_PROBE_FREE;
	if ((s && s->t.flagged) || score >= c->p.flag)
		return 0; /* its first contacts go at the pace, without units */
	/* the failures it takes to flag it: never 0 while it is not flagged */
	return (uint32_t)((c->p.flag - score + c->p.fail - 1) / c->p.fail);
}

/* Tell the kernel the budget of a scope, giving back `resolve` units it scored. */
static void probe_sync(struct contain *c, uint32_t kind, uint64_t id, uint32_t resolve)
{
	struct cscope *s = *slot_of(c, kind, id);
	uint32_t b = budget_of(c, s);
	int rc;

	if (!resolve && (!c->probe || (s && s->budget_set && s->budget == b)))
		return; /* nothing the kernel does not know */
	rc = kern_probe_set(c->k, kind, id, b, resolve);
	if (rc < 0)
		c->probe_errors++;
	if (s) { /* what the kernel has: none if it has no entry (made with the default) */
		s->budget = b;
		s->budget_set = rc == 1;
	}
}

static void unflag(struct contain *c, struct cscope *s, const char *why)
{
	char name[HO_CGROUP_LEN + 32];

	s->t.flagged = false;
	(void)kern_flag(c->k, s->kind, s->id, false);
	c->flagged--;
	publish(c);
	probe_sync(c, s->kind, s->id, 0);
	pr_notice("%s is no longer flagged as a scanner: %s", scope_name(s, name, sizeof(name)),
		  why);
}

/* The scope goes: its working set leaves the kernel, its flag too. */
static void drop(struct contain *c, struct cscope *s)
{
	struct cscope **pp = slot_of(c, s->kind, s->id);

	if (s->t.flagged)
		unflag(c, s, "it is gone");
	for (uint32_t i = 0; i < s->nws; i++)
		(void)kern_reached(c->k, s->kind, s->id, s->ws[i], NULL, true);
	/*
	 * Its probation stays in the kernel (units may be out): the sweep
	 * removes it once the process or cgroup is gone.
	 */
	*pp = s->hnext;
	free(s->ws);
	free(s);
	c->n--;
}

/* Room for one more: the unflagged scope judged longest ago goes. */
static bool make_room(struct contain *c)
{
	struct cscope *old = NULL;

	for (size_t b = 0; b < HO_CONTAIN_BUCKETS; b++)
		for (struct cscope *s = c->b[b]; s; s = s->hnext)
			if (!s->t.flagged && (!old || s->last_ns < old->last_ns))
				old = s;
	if (!old)
		return false;
	drop(c, old);
	return true;
}

static struct cscope *get(struct contain *c, uint32_t kind, uint64_t id)
{
	struct cscope **pp = slot_of(c, kind, id), *s;

	if (*pp)
		return *pp;
	if (c->n >= HO_CONTAIN_SCOPES && !make_room(c))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->kind = kind;
	s->id = id;
	pp = slot_of(c, kind, id); /* make_room may have changed the chain */
	*pp = s;
	c->n++;
	return s;
}

void contain_configure(struct contain *c, struct kern *k, const struct ho_config *cfg)
{
	c->k = k;
	c->on = cfg->mode == HO_MODE_CONTAIN;
	/* config_finish checked them */
	(void)trw_params_init(&c->p, cfg->benign_success, cfg->scanner_success, cfg->flag_after,
			      TRW_CREDIT_DEFAULT);
	c->working_set = cfg->working_set;
	c->interval_ns = 1000000000ull / cfg->contain_rate;
	c->quiet_ns = (uint64_t)cfg->quiet * 1000000000ull;
	/* what it takes to flag a new scope if everything it has out fails */
	c->probe = c->on ? cfg->flag_after : 0;
	kern_set_detect(k, c->on);
	kern_set_probation(k, c->probe);
}

static bool addr_in(const uint8_t (*v)[16], uint32_t n, const uint8_t addr[16])
{
	for (uint32_t i = 0; i < n; i++)
		if (!memcmp(v[i], addr, 16))
			return true;
	return false;
}

/*
 * A destination the kernel put in the scope's working set: kept, and the
 * least recently used one given up when the set is full.
 */
static void ws_add(struct contain *c, struct cscope *s, const uint8_t addr[16])
{
	uint64_t oldest = UINT64_MAX, last;
	uint32_t victim = 0;

	if (addr_in((const uint8_t(*)[16])s->ws, s->nws, addr))
		return;
	if (s->nws < c->working_set) {
		if (s->nws == s->capws) {
			uint32_t cap = s->capws ? s->capws * 2 : 8;
			void *v = realloc(s->ws, (size_t)cap * 16);

			if (!v)
				return;
			s->ws = v;
			s->capws = cap;
		}
		memcpy(s->ws[s->nws++], addr, 16);
		return;
	}
	for (uint32_t i = 0; i < s->nws; i++) {
		if (kern_reached(c->k, s->kind, s->id, s->ws[i], &last, false))
			last = 0; /* the kernel's own bound took it already */
		if (last < oldest) {
			oldest = last;
			victim = i;
		}
	}
	(void)kern_reached(c->k, s->kind, s->id, s->ws[victim], NULL, true);
	memcpy(s->ws[victim], addr, 16);
}

/* Did this destination fail lately for the scope (one of its last HO_FAILED_LATELY)? */
static bool failed_lately(const struct cscope *s, const uint8_t addr[16])
{
	uint32_t n = s->nfailed_lately < HO_FAILED_LATELY ? s->nfailed_lately : HO_FAILED_LATELY;

	return addr_in((const uint8_t(*)[16])s->failed_lately, n, addr);
}

static void forget_failed(struct cscope *s, const uint8_t addr[16])
{
	uint32_t n = s->nfailed_lately < HO_FAILED_LATELY ? s->nfailed_lately : HO_FAILED_LATELY;

	for (uint32_t i = 0; i < n; i++)
		if (!memcmp(s->failed_lately[i], addr, 16))
			memset(s->failed_lately[i], 0, 16);
}

/* A failed destination: false if it failed lately already (it counts once). */
static bool remember_failed(struct cscope *s, const struct ho_attempt *a)
{
	if (failed_lately(s, a->daddr))
		return false;
	memcpy(s->failed_lately[s->nfailed_lately++ % HO_FAILED_LATELY], a->daddr, 16);
	s->samples[s->nsamples++ % HO_EVENT_SAMPLES] =
		(struct ho_ctl_dest){.family = a->family, .port = a->dport};
	memcpy(s->samples[(s->nsamples - 1) % HO_EVENT_SAMPLES].addr, a->daddr, 16);
	return true;
}

static const char *dest_str(const struct ho_ctl_dest *d, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	(void)inet_ntop(d->family == AF_INET6 ? AF_INET6 : AF_INET, d->addr, ip, sizeof(ip));
	snprintf(buf, len, d->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, d->port);
	return buf;
}

/* `halfopen pardon KIND ...` by enum ho_scope_kind */
static const char *const pardon_kind[4] = {"?", "cgroup", "user", "pid"};

/* The alarm: one warning in the log, one event for `halfopen events` and followers. */
static void alarm_flagged(struct contain *c, struct cscope *s)
{
	struct ho_ctl_event_row r = {.kind = HO_EVENT_FLAGGED};
	char name[HO_CGROUP_LEN + 32], user[64], ex[4][64] = {""};
	struct timespec ts;
	uint32_t n = s->nsamples < HO_EVENT_SAMPLES ? s->nsamples : HO_EVENT_SAMPLES;

	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	r.scope_kind = s->kind;
	r.limit = (uint32_t)(1000000000ull / c->interval_ns);
	r.top_tgid = s->tgid;
	r.top_uid = s->uid;
	memcpy(r.top_comm, s->comm, sizeof(r.top_comm));
	cgroup_path(s->cgid, s->tgid, r.top_cgroup, sizeof(r.top_cgroup));
	r.first_ok = s->ok;
	r.first_failed = s->failed;
	for (uint32_t i = 0; i < n; i++) {
		/* the most recent first */
		r.samples[i] = s->samples[(s->nsamples - 1 - i) % HO_EVENT_SAMPLES];
		dest_str(&r.samples[i], ex[i], sizeof(ex[i]));
	}
	if (s->kind == HO_SCOPE_PROC)
		snprintf(r.scope, sizeof(r.scope), "process %u", s->tgid);
	else if (s->kind == HO_SCOPE_USER)
		snprintf(r.scope, sizeof(r.scope), "user %u", (uint32_t)s->id);
	else
		snprintf(r.scope, sizeof(r.scope), "cgroup %.190s", r.top_cgroup);
	pr_warn("event=scanner %s flagged as a scanner: %u of %u first contacts succeeded, %u "
		"failed (e.g. %s%s%s%s%s%s%s); pid %u (%s) uid %u (%s) cgroup %s; its new first "
		"contacts are released at %u a second (halfopen pardon %s %s)",
		scope_name(s, name, sizeof(name)), s->ok, s->ok + s->failed, s->failed, ex[0],
		ex[1][0] ? ", " : "", ex[1], ex[2][0] ? ", " : "", ex[2], ex[3][0] ? ", " : "",
		ex[3], s->tgid, s->comm, s->uid, user_name(s->uid, user, sizeof(user)),
		r.top_cgroup, r.limit, pardon_kind[s->kind % 4],
		s->kind == HO_SCOPE_PROC   ? r.scope + 8
		: s->kind == HO_SCOPE_USER ? r.scope + 5
					   : r.top_cgroup);
	if (c->nalarms < HO_ALARMS_PENDING)
		c->alarms[c->nalarms++] = r;
}

static void judge(struct contain *c, uint32_t kind, uint64_t id, const struct ho_attempt *a,
		  enum trw_outcome o, uint64_t now)
{
	bool provisional;
	struct cscope *s = get(c, kind, id);
	int r;

	if (!s) {
		c->unjudged++;
		return;
	}
	s->tgid = a->tgid;
	s->uid = a->uid;
	s->cgid = a->cgid;
	memcpy(s->comm, a->comm, sizeof(s->comm));
	s->last_ns = now;
	if (o == TRW_OK) {
		s->ok++;
		/* it went past slot-timeout and was scored failed then: that is undone */
		provisional = (a->flags & HO_AT_EXPIRED) && failed_lately(s, a->daddr);
		if (provisional && s->failed) {
			s->failed--;
			s->t.score -= c->p.fail;
		}
		forget_failed(s, a->daddr);
		ws_add(c, s, a->daddr);
	} else {
		if (!remember_failed(s, a))
			return; /* one destination is one piece of evidence */
		s->failed++;
		s->last_fail_ns = now;
	}
	r = trw_observe(&c->p, &s->t, o);
	if (r > 0) {
		(void)kern_flag(c->k, s->kind, s->id, true);
		c->flagged++;
		c->flagged_total++;
		publish(c);
		s->next_release_ns = 0;
		alarm_flagged(c, s);
	} else if (r < 0) {
		s->t.flagged = true; /* unflag() says so itself */
		unflag(c, s, "its first contacts succeed again");
	}
}

/* A unit that comes back at due, or now if there is no room to remember it. */
static void unit_later(struct contain *c, uint32_t kind, uint64_t id, uint64_t due)
{
	if (c->nlate >= HO_UNITS_LATE) {
		probe_sync(c, kind, id, 1);
		return;
	}
	c->late[c->nlate++] = (struct late_unit){.kind = kind, .id = id, .due_ns = due};
	if (c->nlate == 1 || due < c->late_next_ns)
		c->late_next_ns = due;
}

uint64_t contain_units_due(struct contain *c, uint64_t now)
{
	uint64_t next = 0;

	if (!c->nlate || now < c->late_next_ns)
		return c->nlate ? c->late_next_ns : 0;
	for (uint32_t i = 0; i < c->nlate;) {
		struct late_unit *u = &c->late[i];

		if (u->due_ns <= now) {
			probe_sync(c, u->kind, u->id, 1);
			*u = c->late[--c->nlate];
			continue;
		}
		if (!next || u->due_ns < next)
			next = u->due_ns;
		i++;
	}
	c->late_next_ns = next;
	return next;
}

/*
 * Scores a first contact's outcome for its process and its cgroup, then
 * gives back its units (at due if that is later than now).
 */
static void score(struct contain *c, const struct ho_attempt *a, enum trw_outcome o, uint32_t units,
		  uint64_t now, uint64_t due)
{
	/* its group: its cgroup, or its user in the root cgroup (the whole host) */
	bool cg = a->flags & HO_AT_FIRST_C;
	uint32_t gk = ho_group_kind(a->cgid);
	uint64_t gid = ho_group_id(a->cgid, a->uid);

	if (c->on && !(a->flags & HO_AT_EXEMPT) && o != TRW_NONE) {
		if (a->flags & HO_AT_FIRST_P)
			judge(c, HO_SCOPE_PROC, a->tgid, a, o, now);
		if (cg)
			judge(c, gk, gid, a, o, now);
	}
	if (due > now) {
		if (units & HO_AT_PROBE_P)
			unit_later(c, HO_SCOPE_PROC, a->tgid, due);
		if (units & HO_AT_PROBE_C)
			unit_later(c, gk, gid, due);
		units = 0;
	}
	/* the budget the new score gives, in the same step as the units come back */
	if (a->flags & HO_AT_FIRST_P)
		probe_sync(c, HO_SCOPE_PROC, a->tgid, !!(units & HO_AT_PROBE_P));
	if (cg)
		probe_sync(c, gk, gid, !!(units & HO_AT_PROBE_C));
}

void contain_on_end(struct contain *c, const struct ho_attempt *a, uint32_t outcome,
		    uint64_t end_ns)
{
	enum trw_outcome o = TRW_NONE;
	uint64_t due = 0;

	if (outcome == HO_OUT_ESTABLISHED)
		o = TRW_OK;
	else if (outcome == HO_OUT_REFUSED || outcome == HO_OUT_FAILED)
		o = TRW_FAIL;
	else if (outcome == HO_OUT_CLOSED && a->out_ns && end_ns - a->out_ns >= HO_ABANDON_NS)
		o = TRW_FAIL; /* abandoned after its SYN was out a while */
	else if (outcome == HO_OUT_CLOSED && a->out_ns)
		due = a->out_ns + HO_ABANDON_NS; /* closed at once: no evidence, units later */
	if (o == TRW_FAIL && (a->flags & HO_AT_EXPIRED))
		o = TRW_NONE; /* scored failed at slot-timeout already */
	/* else its end went unreported: no evidence either way */
	score(c, a, o, a->flags & HO_AT_PROBE, end_ns, due);
}

void contain_on_expired(struct contain *c, const struct ho_attempt *a, uint32_t probe, uint64_t now)
{
	/* unanswered for slot-timeout (3 s; a live host answers within 1 s): failed */
	score(c, a, (a->flags & HO_AT_FIRST) ? TRW_FAIL : TRW_NONE, probe, now, 0);
}

/*
 * Raw SYNs: the answer to one comes within microseconds, its failure only at
 * raw-timeout. Scored as they end, a fast sweep's successes would all come
 * before its failures, and with the floor (TRW_CREDIT_DEFAULT) any 40 failures
 * in a row flag: a sweep with 40 dead addresses among 200 live ones would
 * be flagged. So ends are scored in the order their SYNs left (a min-heap by
 * start time), once nothing sent before can still end (the oldest raw first
 * contact in flight left after it, as of the last sweep): the sequence the
 * test assumes. A process gone by then is not judged (its cgroup is): no
 * alarm for a pid that no longer exists.
 */
struct craw_end {
	struct ho_attempt a;
	uint32_t outcome;
};

static void raw_swap(struct craw_end *x, struct craw_end *y)
{
	struct craw_end t = *x;

	*x = *y;
	*y = t;
}

static void raw_score(struct contain *c, struct ho_attempt *a, uint32_t outcome)
{
	if ((a->flags & HO_AT_FIRST_P) && !proc_alive(a->tgid))
		a->flags &= ~HO_AT_FIRST_P;
	contain_on_end(c, a, outcome, now_ns());
}

void contain_raw_end(struct contain *c, const struct ho_attempt *a, uint32_t outcome)
{
	struct ho_attempt now_a = *a;
	size_t i;

	if (!c->on)
		return;
	if (c->nraw == c->capraw) {
		uint32_t cap = c->capraw ? c->capraw * 2 : 256;
		void *v = cap <= HO_RAW_ENDS_MAX ? realloc(c->raw, cap * sizeof(*c->raw)) : NULL;

		if (!v) {
			raw_score(c, &now_a, outcome); /* no room to wait: scored as it comes */
			return;
		}
		c->raw = v;
		c->capraw = cap;
	}
	i = c->nraw++;
	c->raw[i] = (struct craw_end){.a = *a, .outcome = outcome};
	for (; i && c->raw[(i - 1) / 2].a.start_ns > c->raw[i].a.start_ns; i = (i - 1) / 2)
		raw_swap(&c->raw[i], &c->raw[(i - 1) / 2]);
}

void contain_raw_due(struct contain *c, uint64_t oldest_ns, uint64_t now, uint64_t settle_ns)
{
	while (c->nraw &&
	       (c->raw[0].a.start_ns < oldest_ns || c->raw[0].a.start_ns + settle_ns <= now)) {
		struct craw_end e = c->raw[0];
		size_t i = 0;

		c->raw[0] = c->raw[--c->nraw];
		for (;;) {
			size_t l = 2 * i + 1, m = i;

			if (l < c->nraw && c->raw[l].a.start_ns < c->raw[m].a.start_ns)
				m = l;
			if (l + 1 < c->nraw && c->raw[l + 1].a.start_ns < c->raw[m].a.start_ns)
				m = l + 1;
			if (m == i)
				break;
			raw_swap(&c->raw[i], &c->raw[m]);
			i = m;
		}
		raw_score(c, &e.a, e.outcome);
	}
}

void contain_raw_free(struct contain *c)
{
	free(c->raw);
	c->raw = NULL;
	c->nraw = c->capraw = 0;
}

/* The flagged scopes a contained attempt is paced by. */
static uint32_t pacers(struct contain *c, const struct ho_attempt *a, struct cscope *out[2])
{
	uint32_t n = 0;

	/* any first contact queued (on probation, or by a limit) of a scope flagged since */
	bool p = a->flags & HO_AT_FIRST_P;
	bool cg = a->flags & HO_AT_FIRST_C;

	if (p)
		out[n] = *slot_of(c, HO_SCOPE_PROC, a->tgid);
	n += p && out[n] && out[n]->t.flagged;
	if (cg)
		out[n] = *slot_of(c, ho_group_kind(a->cgid), ho_group_id(a->cgid, a->uid));
	n += cg && out[n] && out[n]->t.flagged;
	return n;
}

uint64_t contain_gate(struct contain *c, const struct ho_attempt *a, uint64_t now)
{
	struct cscope *s[2];
	uint32_t n = pacers(c, a, s);
	uint64_t wait = 0;

	for (uint32_t i = 0; i < n; i++)
		if (s[i]->next_release_ns > now && s[i]->next_release_ns - now > wait)
			wait = s[i]->next_release_ns - now;
	return wait;
}

void contain_released(struct contain *c, const struct ho_attempt *a, uint64_t now)
{
	struct cscope *s[2];
	uint32_t n = pacers(c, a, s);

	for (uint32_t i = 0; i < n; i++)
		s[i]->next_release_ns = now + c->interval_ns;
}

#define HO_PROBE_SWEEP 1024  /* probations of scopes that are gone, removed a sweep */
#define HO_CGROUPS_MAX 65536 /* cgroups looked at by one walk of the tree */

struct gone {
	uint64_t id[HO_PROBE_SWEEP];
	uint32_t n;
	const uint64_t *live; /* cgroups: the ids of those that exist, sorted */
	size_t nlive;
};

static void gone_proc(void *ctx, uint64_t id)
{
	struct gone *g = ctx;

	if (g->n < HO_PROBE_SWEEP && !proc_alive((uint32_t)id))
		g->id[g->n++] = id;
}

static void gone_cgroup(void *ctx, uint64_t id)
{
	struct gone *g = ctx;

	if (g->n < HO_PROBE_SWEEP && !cgroup_id_in(g->live, g->nlive, id))
		g->id[g->n++] = id;
}

/*
 * The kernel makes a probation for every process and cgroup with a first
 * contact; those of processes that are gone are removed every second, those
 * of cgroups removed every minute against one walk of the cgroup tree (a
 * host makes a cgroup per session and per job: they would fill the map).
 * Users stay: there are few.
 */
static void probe_sweep(struct contain *c)
{
	static struct gone g;
	static uint64_t live[HO_CGROUPS_MAX];
	ssize_t n;

	g.n = 0;
	kern_probe_scopes(c->k, HO_SCOPE_PROC, gone_proc, &g);
	for (uint32_t i = 0; i < g.n; i++)
		(void)kern_probe_del(c->k, HO_SCOPE_PROC, g.id[i]);
	if (c->sweeps++ % 60)
		return;
	n = cgroup_ids(live, HO_CGROUPS_MAX);
	if (n <= 0)
		return; /* no tree, or more than we can tell: remove nothing */
	g.n = 0;
	g.live = live;
	g.nlive = (size_t)n;
	kern_probe_scopes(c->k, HO_SCOPE_CGROUP, gone_cgroup, &g);
	for (uint32_t i = 0; i < g.n; i++)
		(void)kern_probe_del(c->k, HO_SCOPE_CGROUP, g.id[i]);
}

bool contain_tick(struct contain *c, uint64_t now)
{
	bool freed = false;

	if (c->probe)
		probe_sweep(c);

	for (size_t b = 0; b < HO_CONTAIN_BUCKETS; b++) {
		struct cscope *s = c->b[b], *next;

		for (; s; s = next) {
			next = s->hnext;
			if (s->kind == HO_SCOPE_PROC && !proc_alive((uint32_t)s->id)) {
				freed |= s->t.flagged;
				drop(c, s);
			} else if (s->t.flagged && now - s->last_fail_ns >= c->quiet_ns) {
				trw_reset(&s->t);
				s->t.flagged = true;
				unflag(c, s, "no failed first contact for the quiet period");
				freed = true;
			}
		}
	}
	return freed;
}

int contain_pardon(struct contain *c, uint32_t kind, uint64_t id)
{
	struct cscope *s = *slot_of(c, kind, id);
	bool was;

	if (!s)
		return -ENOENT;
	was = s->t.flagged;
	trw_reset(&s->t);
	s->nfailed_lately = 0;
	if (was) {
		s->t.flagged = true;
		unflag(c, s, "pardoned by root");
	} else {
		probe_sync(c, kind, id, 0);
	}
	return 0;
}

void contain_verdict(const struct contain *c, uint32_t kind, uint64_t id, uint32_t *verdict,
		     int32_t *score, uint32_t *ok, uint32_t *failed)
{
	const struct cscope *s = contain_find(c, kind, id);

	*verdict = !s ? HO_VERDICT_NONE : s->t.flagged ? HO_VERDICT_FLAGGED : HO_VERDICT_OK;
	*score = s ? s->t.score : 0;
	*ok = s ? s->ok : 0;
	*failed = s ? s->failed : 0;
}

bool contain_alarm(struct contain *c, struct ho_ctl_event_row *out)
{
	if (!c->nalarms)
		return false;
	*out = c->alarms[0];
	memmove(c->alarms, c->alarms + 1, --c->nalarms * sizeof(c->alarms[0]));
	return true;
}

void contain_free(struct contain *c)
{
	for (size_t b = 0; b < HO_CONTAIN_BUCKETS; b++) {
		struct cscope *s = c->b[b], *next;

		for (; s; s = next) {
			next = s->hnext;
			free(s->ws);
			free(s);
		}
		c->b[b] = NULL;
	}
	c->n = 0;
}
