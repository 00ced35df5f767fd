// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control requests about policies: halfopen policy set|del|list, and the
 * transient policies of halfopen run. Changes are root's only (the request
 * table of ctl_server.c), checked again here whatever the CLI checked, and
 * take effect on what is queued at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_client.h"
#include "ctl_policy.h"
#include "contain.h"
#include "ctl_state.h"
#include "options.h"
#include "persist.h"
#include "scopes.h"
#include "log.h"
#include "parse.h"
#include "snapshot.h"
#include "procinfo.h"

void policy_list(struct ctl_state *s, struct ctl_client *c, const void *req)
{
	struct ho_ctl_policy_row *rows = calloc(HO_POLICIES_MAX, sizeof(*rows));
	struct ho_ctl_end end = {.truncated = !rows};
	size_t n;

	(void)req;
	n = rows ? policy_rows(s->snap, rows, HO_POLICIES_MAX) : 0;
	for (; end.rows < n; end.rows++)
		if (ctl_put(c, HO_CTL_POLICY_ROW, &rows[end.rows], sizeof(rows[0]))) {
			end.truncated = 1;
			break;
		}
	(void)ctl_put(c, HO_CTL_END, &end, sizeof(end));
	free(rows);
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
	    : p->limit			   ? p->limit > HO_LIMIT_MAX
					   : !(p->flags & HO_SCOPE_F_RAW_DENY))
		return ctl_err(c, ERANGE, "give a limit of 1..1000000, exempt, or raw deny"),
		       -ERANGE;
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

static void policy_change(struct ctl_state *s, struct ctl_client *c, bool set,
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
		rc = scopes_check(s->sc, &p, err, sizeof(err));
	} else if (!scopes_find(s->sc, &p)) {
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
		if (ctl_persist(s->o->config, c, what, edit_policy, &a))
			return; /* not written: nothing changed */
	}
	rc = set ? scopes_set(s->sc, &p, owner, err, sizeof(err))
		 : scopes_del(s->sc, &p, err, sizeof(err));
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
	/* what is queued is looked at again by the loop, at the end of this turn */
	if (set) {
		policy_row(s->snap, scopes_find(s->sc, &p), &row);
		(void)ctl_put(c, HO_CTL_POLICY_ROW, &row, sizeof(row));
	} else {
		struct ho_ctl_end end = {0};

		(void)ctl_put(c, HO_CTL_END, &end, sizeof(end));
	}
}

void policy_set(struct ctl_state *s, struct ctl_client *c, const void *req)
{
	policy_change(s, c, true, req);
}

void policy_del(struct ctl_state *s, struct ctl_client *c, const void *req)
{
	policy_change(s, c, false, req);
}

/* halfopen pardon pid PID | cgroup PATH | user UID: the scanner test starts afresh for it. */
void pardon(struct ctl_state *s, struct ctl_client *c, const void *req)
{
	const struct ho_ctl_pardon *r = req;
	struct ho_ctl_end end = {0};
	char err[256];
	uint64_t id = r->pid;

	if (r->kind == HO_SCOPE_CGROUP) {
		if (policy_check_path(r->cgroup, err, sizeof(err)))
			return ctl_err(c, EINVAL, err);
		id = cgroup_id_of(r->cgroup);
		if (!id) {
			snprintf(err, sizeof(err), "no cgroup %.150s", r->cgroup);
			return ctl_err(c, ENOENT, err);
		}
	}
	if (r->kind == HO_SCOPE_PROC)
		snprintf(err, sizeof(err), "pid %u", r->pid);
	else if (r->kind == HO_SCOPE_USER)
		snprintf(err, sizeof(err), "user %u", r->pid);
	else
		snprintf(err, sizeof(err), "cgroup %.150s", r->cgroup);
	if (contain_pardon(s->cn, r->kind, id)) {
		strcat(err, ": no first contact of it was judged");
		return ctl_err(c, ENOENT, err);
	}
	pr_notice("%s pardoned by pid %d uid %u", err, c->pid, c->uid);
	/* what it queued goes at the normal pace: the loop releases at the end of this turn */
	(void)ctl_put(c, HO_CTL_END, &end, sizeof(end));
}
