// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Policies in force: see scopes.h. The kernel finds a connecting task's
 * scopes itself (bpf/halfopen.bpf.c: find_scopes); for a queued attempt the
 * daemon names them at release, from the policies as they are then, so that
 * a change applies to what is queued at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "ctl_proto.h"
#include "kern.h"
#include "log.h"
#include "shared.h"
#include "procinfo.h"
#include "queue.h"
#include "scopes.h"

#define BEFORE_MAX 65536 /* attempts counted for a new scope at most */

static struct ho_scope *kscope(struct scopes *sc, const struct scope_entry *e)
{
	return &kern_scopes(sc->k)[e->idx];
}

static void publish_counts(struct scopes *sc)
{
	struct ho_kstate *ks = kern_state(sc->k);

	shared_set(ks->cgroup_scopes, sc->keys[HO_SCOPE_CGROUP]);
	shared_set(ks->user_scopes, sc->keys[HO_SCOPE_USER]);
}

struct adopt {
	struct scopes *sc;
	struct scope_entry *e;
	uint16_t gen;
	int32_t added;
};

/* An attempt in flight that belongs to the scope but is not counted there. */
static void adopt_one(void *ctx, uint64_t cookie, const void *val)
{
	struct adopt *x = ctx;
	const struct ho_attempt *a = val;
	const struct scope_entry *e = x->e;
	char path[HO_CGROUP_LEN];

	if (!ho_state_in_flight(a->state) || x->e->before.n >= BEFORE_MAX)
		return;
	for (int i = 0; i < HO_ATTEMPT_SCOPES; i++)
		if (a->holds.s[i].idx == e->idx && a->holds.s[i].gen == x->gen)
			return; /* admitted after the key went in: the kernel counts it */
	if (e->p.kind == HO_SCOPE_USER
		    ? a->uid != e->p.uid
		    : !cgroup_below(cgroup_path(a->cgid, a->tgid, path, sizeof(path)), e->p.name))
		return;
	if (!u64vec_push(&x->e->before, cookie))
		x->added++;
}

/* Count what the scope already has in flight (after its key is in the kernel). */
static void adopt_in_flight(struct scopes *sc, struct scope_entry *e)
{
	struct ho_scope *ks = kscope(sc, e);
	struct adopt x = {.sc = sc, .e = e, .gen = (uint16_t)shared_get(ks->gen)};

	(void)kern_walk(sc->k, KM_ATTEMPTS, adopt_one, &x);
	if (x.added)
		shared_add(ks->in_flight, x.added);
}

/* Those counted by adopt_in_flight that have ended no longer count. */
static void settle_before(struct scopes *sc, struct scope_entry *e)
{
	struct ho_scope *ks = kscope(sc, e);
	struct ho_attempt a;
	size_t kept = 0;

	for (size_t i = 0; i < e->before.n; i++) {
		int err = kern_lookup(sc->k, e->before.v[i], &a);

		/* one that cannot be read now still counts: never under the policy's limit */
		if (err == -EAGAIN || (!err && ho_state_in_flight(a.state)))
			e->before.v[kept++] = e->before.v[i];
		else
			shared_sub(ks->in_flight, 1);
	}
	e->before.n = kept;
}

/* Point the kernel's key {kind, id} at the entry (present) or take it away. */
static void set_key(struct scopes *sc, struct scope_entry *e, bool present, uint64_t id)
{
	if (e->keyed == present && (!present || e->id == id))
		return;
	if (e->keyed) {
		kern_scope_key(sc->k, e->p.kind, e->id, 0);
		sc->keys[e->p.kind]--;
		e->keyed = false;
	}
	e->id = id;
	/* named by getsockopt(HALFOPEN_INFO) as what holds an attempt back */
	shared_set(kscope(sc, e)->kind, e->p.kind);
	shared_set(kscope(sc, e)->id, id);
	if (present) {
		if (kern_scope_key(sc->k, e->p.kind, id, e->idx)) {
			pr_err("cannot add scope %s to the kernel: %s", e->p.name, strerror(errno));
		} else {
			e->keyed = true;
			sc->keys[e->p.kind]++;
			publish_counts(sc);
			adopt_in_flight(sc, e);
		}
	}
	publish_counts(sc);
	sc->gen++;
}

const struct scope_entry *scopes_at(struct scopes *sc, uint32_t idx)
{
	for (uint32_t i = 0; i < HO_POLICIES_MAX; i++)
		if (sc->e[i].used && sc->e[i].idx == idx)
			return &sc->e[i];
	return NULL;
}

/* A kernel entry nobody uses, the least recently handed out, reset. */
static uint32_t alloc_idx(struct scopes *sc)
{
	struct ho_scope *ks;
	uint32_t idx;

	do {
		sc->next_idx = sc->next_idx % (HO_SCOPES_MAX - 1) + 1;
		idx = sc->next_idx;
	} while (scopes_at(sc, idx));
	ks = &kern_scopes(sc->k)[idx];
	/* references to its last owner go stale first, then the counts restart */
	shared_add(ks->gen, 1);
	shared_set(ks->in_flight, 0);
	shared_set(ks->queued, 0);
	shared_set(ks->attempts, 0);
	shared_set(ks->queued_total, 0);
	return idx;
}

struct scope_entry *scopes_find(struct scopes *sc, const struct ho_policy *p)
{
	for (uint32_t i = 0; i < HO_POLICIES_MAX; i++)
		if (sc->e[i].used && policy_same_scope(&sc->e[i].p, p))
			return &sc->e[i];
	return NULL;
}

static void apply_rule(struct scopes *sc, struct scope_entry *e)
{
	struct ho_scope *ks = kscope(sc, e);

	shared_set(ks->limit, e->p.limit);
	shared_set(ks->flags, e->p.flags);
	sc->gen++;
}

/* Add or change; id 0: a cgroup that is not there (yet). */
static int put(struct scopes *sc, const struct ho_policy *p, uint32_t owner, uint64_t id)
{
	struct scope_entry *e = scopes_find(sc, p);

	if (!e) {
		for (uint32_t i = 0; i < HO_POLICIES_MAX && !e; i++)
			if (!sc->e[i].used)
				e = &sc->e[i];
		if (!e)
			return -ENOSPC;
		*e = (struct scope_entry){.p = *p, .used = true, .idx = alloc_idx(sc)};
		sc->n++;
	}
	e->p = *p;
	e->owner = owner;
	apply_rule(sc, e);
	/* a user is always there (uid 0 included); a cgroup when it has an id */
	set_key(sc, e, p->kind == HO_SCOPE_USER || id, id);
	return 0;
}

static void drop(struct scopes *sc, struct scope_entry *e)
{
	struct ho_scope *ks = kscope(sc, e);

	set_key(sc, e, false, 0);
	shared_set(ks->limit, 0);
	shared_set(ks->flags, 0);
	/* attempts still holding a slot in it no longer count there */
	shared_add(ks->gen, 1);
	u64vec_free(&e->before);
	e->used = false;
	sc->n--;
	sc->gen++;
}

static uint64_t id_of(const struct ho_policy *p)
{
	return p->kind == HO_SCOPE_USER ? p->uid : cgroup_id_of(p->name);
}

int scopes_check(struct scopes *sc, const struct ho_policy *p, char *err, size_t errlen)
{
	if (p->kind == HO_SCOPE_CGROUP && !id_of(p)) {
		snprintf(err, errlen, "no cgroup %s under %s", p->name,
			 cgroup2_root() ? cgroup2_root() : "(no cgroup2 file system)");
		return -ENOENT;
	}
	if (!scopes_find(sc, p) && sc->n == HO_POLICIES_MAX) {
		snprintf(err, errlen, "too many policies (%d)", HO_POLICIES_MAX);
		return -ENOSPC;
	}
	return 0;
}

int scopes_set(struct scopes *sc, const struct ho_policy *p, uint32_t owner, char *err,
	       size_t errlen)
{
	int rc = scopes_check(sc, p, err, errlen);

	return rc ? rc : put(sc, p, owner, id_of(p));
}

int scopes_del(struct scopes *sc, const struct ho_policy *p, char *err, size_t errlen)
{
	struct scope_entry *e = scopes_find(sc, p);
	char what[HO_POLICY_NAME_LEN + 16];

	if (!e) {
		snprintf(err, errlen, "no policy for %.150s",
			 policy_format(p, false, what, sizeof(what)));
		return -ENOENT;
	}
	drop(sc, e);
	return 0;
}

void scopes_load(struct scopes *sc, const struct ho_config *c)
{
	char what[HO_POLICY_NAME_LEN + 32];

	if (!sc->gen)
		sc->gen = 1; /* 0 is "never computed" in the queue's caches */
	/* what the file no longer has goes, transient ones stay */
	for (uint32_t i = 0; i < HO_POLICIES_MAX; i++) {
		struct scope_entry *e = &sc->e[i];
		bool keep = !e->used || e->owner;

		for (uint32_t j = 0; !keep && j < c->npol; j++)
			keep = policy_same_scope(&e->p, &c->pol[j]);
		if (!keep) {
			pr_notice("policy %s removed",
				  policy_format(&e->p, true, what, sizeof(what)));
			drop(sc, e);
		}
	}
	for (uint32_t j = 0; j < c->npol; j++) {
		const struct ho_policy *p = &c->pol[j];
		struct scope_entry *e = scopes_find(sc, p);
		uint64_t id = id_of(p);

		if (e && !memcmp(&e->p, p, sizeof(*p)) && !e->owner)
			continue;
		if (put(sc, p, 0, id)) {
			pr_err("policy %s: too many policies",
			       policy_format(p, true, what, sizeof(what)));
			continue;
		}
		pr_info("policy %s%s", policy_format(p, true, what, sizeof(what)),
			id ? "" : " (the cgroup is not there: applies when it is made)");
	}
}

void scopes_tick(struct scopes *sc)
{
	char what[HO_POLICY_NAME_LEN + 32], full[512];
	uint64_t id;

	for (uint32_t i = 0; i < HO_POLICIES_MAX; i++) {
		struct scope_entry *e = &sc->e[i];

		if (e->used)
			settle_before(sc, e);
		if (!e->used || e->p.kind != HO_SCOPE_CGROUP)
			continue;
		if (e->owner && !proc_alive(e->owner) && !cgroup_populated(e->p.name)) {
			/* halfopen run was killed: clean up after it, in its cgroups only */
			snprintf(full, sizeof(full), "%s%s", cgroup2_root() ? cgroup2_root() : "",
				 e->p.name);
			if (policy_is_run_cgroup(e->p.name) && cgroup2_root()) {
				if (rmdir(full) && errno != ENOENT)
					pr_warn("cannot remove cgroup %s: %s", full,
						strerror(errno));
				/* and /halfopen.run, if it was the last one */
				*strrchr(full, '/') = '\0';
				(void)rmdir(full); /* not empty: other runs */
			}
			pr_notice("policy %s ended: its halfopen run (pid %u) is gone",
				  policy_format(&e->p, true, what, sizeof(what)), e->owner);
			drop(sc, e);
			continue;
		}
		id = cgroup_id_of(e->p.name);
		set_key(sc, e, id != 0, id);
	}
}

static void add_ref(struct scopes *sc, struct ho_scope_set *set, uint32_t *n,
		    const struct scope_entry *e)
{
	if (*n >= HO_ATTEMPT_SCOPES)
		return;
	set->s[*n].idx = (uint16_t)e->idx;
	set->s[*n].gen = (uint16_t)shared_get(kscope(sc, e)->gen);
	(*n)++;
}

/* The cgroup scopes of a cgroup, outermost first; cached in its sub-queue. */
static void cgroup_scopes(struct scopes *sc, struct hq_entry *qe)
{
	struct hq_sub *s = qe->sub;
	const struct scope_entry *match[HO_ATTEMPT_SCOPES];
	char path[HO_CGROUP_LEN];
	uint32_t m = 0;

	if (s->scopes_gen == sc->gen)
		return;
	s->scopes_gen = sc->gen;
	s->nscopes = 0;
	memset(&s->scopes, 0, sizeof(s->scopes));
	if (!sc->keys[HO_SCOPE_CGROUP])
		return;
	cgroup_path(qe->info.cgid, qe->info.tgid, path, sizeof(path));
	if (path[0] != '/')
		return; /* gone */
	for (uint32_t i = 0; i < HO_POLICIES_MAX; i++) {
		const struct scope_entry *e = &sc->e[i];
		uint32_t j;

		if (!e->used || e->p.kind != HO_SCOPE_CGROUP || !e->keyed ||
		    !cgroup_below(path, e->p.name))
			continue;
		/* insertion by depth: ancestors have shorter paths */
		for (j = m; j > 0 && strlen(match[j - 1]->p.name) > strlen(e->p.name); j--)
			if (j < HO_ATTEMPT_SCOPES)
				match[j] = match[j - 1];
		if (j < HO_ATTEMPT_SCOPES)
			match[j] = e;
		if (m < HO_ATTEMPT_SCOPES)
			m++;
	}
	for (uint32_t j = 0; j < m; j++)
		add_ref(sc, &s->scopes, &s->nscopes, match[j]);
}

void scopes_of(struct scopes *sc, struct hq_entry *qe, struct ho_scope_set *set)
{
	uint32_t n = 0;

	memset(set, 0, sizeof(*set));
	if (!sc->n)
		return;
	if (sc->keys[HO_SCOPE_USER])
		for (uint32_t i = 0; i < HO_POLICIES_MAX; i++) {
			const struct scope_entry *e = &sc->e[i];

			if (e->used && e->p.kind == HO_SCOPE_USER && e->p.uid == qe->info.uid) {
				add_ref(sc, set, &n, e);
				break;
			}
		}
	cgroup_scopes(sc, qe);
	for (uint32_t j = 0; j < qe->sub->nscopes && n < HO_ATTEMPT_SCOPES; j++)
		set->s[n++] = qe->sub->scopes.s[j];
}
