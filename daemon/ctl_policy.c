// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control requests about policies: halfopen policy set|del|list, and the
 * transient policies of halfopen run. Changes are root's only (the request
 * table of ctl_server.c), checked again here whatever the CLI checked, and
 * take effect on what is queued at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "daemon.h"
#include "log.h"
#include "parse.h"
#include "procinfo.h"

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
		scopes_of(d, e, &set);
		for (int i = 0; i < HO_ATTEMPT_SCOPES && set.s[i].idx; i++)
			counts[set.s[i].idx]++;
	}
}

static void fill_row(struct daemon *d, const struct scope_entry *e, const uint32_t *queued,
		     struct ho_ctl_policy_row *r)
{
	const struct ho_scope *ks = &kern_scopes(&d->k)[e->idx];

	*r = (struct ho_ctl_policy_row){.p = e->p, .id = e->id, .transient = e->owner};
	r->in_flight = __atomic_load_n(&ks->in_flight, __ATOMIC_RELAXED);
	r->queued = (int32_t)queued[e->idx];
	r->attempts = __atomic_load_n(&ks->attempts, __ATOMIC_RELAXED);
	r->queued_total = __atomic_load_n(&ks->queued_total, __ATOMIC_RELAXED);
	if (r->in_flight < 0)
		r->in_flight = 0;
}

size_t policy_rows(struct daemon *d, struct ho_ctl_policy_row *out, size_t max)
{
	static uint32_t queued[HO_SCOPES_MAX];
	size_t n = 0;

	queued_per_scope(d, queued);
	for (uint32_t i = 0; i < HO_POLICIES_MAX && n < max; i++)
		if (d->sc.e[i].used)
			fill_row(d, &d->sc.e[i], queued, &out[n++]);
	return n;
}

void policy_list(struct daemon *d, struct ctl_client *c, const void *req)
{
	static struct ho_ctl_policy_row rows[HO_POLICIES_MAX];
	struct ho_ctl_end end = {0};
	size_t n;

	(void)req;
	n = policy_rows(d, rows, HO_POLICIES_MAX);
	for (; end.rows < n; end.rows++)
		if (ctl_put(c, HO_CTL_POLICY_ROW, &rows[end.rows], sizeof(rows[0]))) {
			end.truncated = 1;
			break;
		}
	ctl_put(c, HO_CTL_END, &end, sizeof(end));
}

/* What the CLI sent, checked as if nothing had been: 0 or an error sent. */
static int check(struct ctl_client *c, const struct ho_ctl_policy *req, bool with_rule,
		 struct ho_policy *p)
{
	char err[256];

	*p = req->p;
	if (p->kind == HO_SCOPE_CGROUP) {
		if (policy_check_path(p->name, err, sizeof(err)))
			return ctl_err(c, EINVAL, err), -EINVAL;
		p->uid = 0;
	} else if (parse_user(p->name, &p->uid)) {
		if (!with_rule) {
			p->uid = HO_UID_BY_NAME; /* gone from the user database: by name */
			return 0;
		}
		snprintf(err, sizeof(err), "unknown user '%.100s'", p->name);
		return ctl_err(c, ENOENT, err), -ENOENT;
	}
	if (!with_rule)
		return 0;
	if ((p->flags & HO_SCOPE_F_EXEMPT) ? p->limit != 0
					   : (p->limit < 1 || p->limit > HO_LIMIT_MAX))
		return ctl_err(c, ERANGE, "give a limit of 1..1000000, or exempt"), -ERANGE;
	/* its cgroup is removed when its owner is gone: only halfopen run's own */
	if ((req->flags & HO_POLICY_F_TRANSIENT) &&
	    (p->kind != HO_SCOPE_CGROUP || (req->flags & HO_POLICY_F_PERSIST) ||
	     !policy_is_run_cgroup(p->name)))
		return ctl_err(c, EINVAL,
			       "a transient policy is halfopen run's: a cgroup " HO_RUN_PARENT
			       "/NAME, not persisted"),
		       -EINVAL;
	return 0;
}

struct edit_arg {
	const struct ho_policy *p;
	bool remove;
};

static char *edit_policy(const char *text, const void *arg)
{
	const struct edit_arg *a = arg;

	return config_rewrite_policy(text, a->p, a->remove);
}

static void policy_change(struct daemon *d, struct ctl_client *c, bool set,
			  const struct ho_ctl_policy *req)
{
	char err[256], what[HO_POLICY_NAME_LEN + 64];
	struct ho_ctl_policy_row row;
	struct ho_policy p;
	uint32_t owner = 0;
	int rc;

	if (check(c, req, set, &p))
		return;
	if (req->flags & HO_POLICY_F_TRANSIENT)
		owner = (uint32_t)c->pid; /* the pid that connected */
	/* everything that can go wrong first: then the file, then the change */
	if (set) {
		rc = scopes_check(d, &p, err, sizeof(err));
	} else if (!scopes_find(d, &p)) {
		snprintf(err, sizeof(err), "no policy for %.150s",
			 policy_format(&p, false, what, sizeof(what)));
		rc = -ENOENT;
	} else {
		rc = 0;
	}
	if (rc) {
		ctl_err(c, -rc, err);
		return;
	}
	if (req->flags & HO_POLICY_F_PERSIST) {
		struct edit_arg a = {.p = &p, .remove = !set};

		snprintf(what, sizeof(what), "policy %s", policy_format(&p, set, err, sizeof(err)));
		if (ctl_persist(d, c, what, edit_policy, &a))
			return; /* not written: nothing changed */
	}
	rc = set ? scopes_set(d, &p, owner, err, sizeof(err)) : scopes_del(d, &p, err, sizeof(err));
	if (rc) {
		ctl_err(c, -rc, err);
		return;
	}
	policy_format(&p, true, what, sizeof(what));
	if (set)
		pr_notice("policy %s set by pid %d uid %u%s", what, c->pid, c->uid,
			  owner ? " (halfopen run)" : "");
	else
		pr_notice("policy %s removed by pid %d uid %u",
			  policy_format(&p, false, what, sizeof(what)), c->pid, c->uid);
	/* at once: what is queued is looked at again */
	limiter_release(d);
	if (set) {
		static uint32_t queued[HO_SCOPES_MAX];

		queued_per_scope(d, queued);
		fill_row(d, scopes_find(d, &p), queued, &row);
		ctl_put(c, HO_CTL_POLICY_ROW, &row, sizeof(row));
	} else {
		struct ho_ctl_end end = {0};

		ctl_put(c, HO_CTL_END, &end, sizeof(end));
	}
}

void policy_set(struct daemon *d, struct ctl_client *c, const void *req)
{
	policy_change(d, c, true, req);
}

void policy_del(struct daemon *d, struct ctl_client *c, const void *req)
{
	policy_change(d, c, false, req);
}
