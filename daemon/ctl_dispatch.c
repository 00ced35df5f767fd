// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control requests: the table of every request, who may send it and
 * its handler, and the handlers of status and limit. Handlers read
 * snapshots, change the limit or the policies, and queue their reply on the
 * client; the release that a new limit allows is the loop's, at the end of
 * the same turn. The transport (ctl_server.c) decides who is privileged.
 */
#include <errno.h>
#include <stdio.h>
#include "config.h"
#include "ctl_client.h"
#include "ctl_dispatch.h"
#include "ctl_lists.h"
#include "ctl_policy.h"
#include "ctl_state.h"
#include "kern.h"
#include "log.h"
#include "options.h"
#include "parse.h"
#include "persist.h"
#include "shared.h"
#include "snapshot.h"

static void put_status(struct ctl_state *s, struct ctl_client *c, const void *req)
{
	struct ho_ctl_status st;

	(void)req;
	fill_status(s->snap, &st);
	(void)ctl_put(c, HO_CTL_STATUS_REP, &st, sizeof(st));
}

static char *edit_limit(const char *text, const void *arg)
{
	char val[16];

	return config_rewrite(text, "limit",
			      format_limit(*(const uint32_t *)arg, val, sizeof(val)));
}

static void set_limit(struct ctl_state *s, struct ctl_client *c, const void *payload)
{
	const struct ho_ctl_limit *req = payload;
	char old[16], new[32];
	uint32_t prev;

	if (req->limit > HO_LIMIT_MAX) {
		ctl_err(c, ERANGE, "the limit must be 1..1000000 or unlimited");
		return;
	}
	snprintf(new, sizeof(new), "limit %s", format_limit(req->limit, old, sizeof(old)));
	if ((req->flags & HO_LIMIT_F_PERSIST) &&
	    ctl_persist(s->o->config, c, new, edit_limit, &req->limit))
		return; /* not written: nothing changed */
	if ((req->flags & HO_LIMIT_F_PERSIST) &&
	    (s->o->cli.set & (1u << (config_option("limit") - cfg_options))))
		pr_warn("limit is also given on the command line, which wins at the next start");
	prev = shared_get(kern_state(s->k)->limit);
	kern_set_limit(s->k, req->limit);
	s->o->c.limit = req->limit;
	if (prev != req->limit)
		pr_notice("limit changed from %s to %s by pid %d uid %u",
			  format_limit(prev, old, sizeof(old)),
			  format_limit(req->limit, new, sizeof(new)), c->pid, c->uid);
	/* raising it releases queued attempts: the loop does, at the end of this turn */
	put_status(s, c, NULL);
}

/*
 * Every request, and who may send it. What is not here is not a request;
 * what is here without CTL_ANYONE is root's: deny by default.
 */
static const struct ctl_request requests[] = {
	{HO_CTL_STATUS, CTL_ANYONE, put_status, NULL},
	{HO_CTL_SET_LIMIT, 0, set_limit, "only root may change the limit"},
	{HO_CTL_PS, CTL_ANYONE | CTL_LIST, list_ps, NULL},
	{HO_CTL_STATS, CTL_ANYONE | CTL_LIST, list_stats, NULL},
	{HO_CTL_EVENTS, CTL_ANYONE | CTL_LIST, list_events, NULL},
	{HO_CTL_HISTORY, CTL_ANYONE, send_history, NULL},
	{HO_CTL_POLICY_SET, 0, policy_set, "only root may change policies"},
	{HO_CTL_POLICY_DEL, 0, policy_del, "only root may change policies"},
	{HO_CTL_POLICY_LIST, CTL_ANYONE | CTL_LIST, policy_list, NULL},
	{HO_CTL_PARDON, 0, pardon, "only root may pardon"},
};

const struct ctl_request *ctl_request_of(uint16_t type)
{
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (requests[i].type == type)
			return &requests[i];
	return NULL;
}
