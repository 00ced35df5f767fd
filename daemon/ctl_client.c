// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A control client's reply buffer: records (uint32_t size, then the message)
 * queued until the transport (ctl_server.c) sends them, within the bounds of
 * reply memory (ctl_client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_client.h"
#include "ctl_proto.h"

int ctl_client_resize(struct ctl_client *c, size_t cap)
{
	char *p = NULL;

	if (cap) {
		p = realloc(c->out, cap);
		if (!p)
			return -ENOMEM;
	} else {
		free(c->out);
	}
	c->budget->all = c->budget->all - c->cap + cap;
	if (c->restricted)
		c->budget->users = c->budget->users - c->cap + cap;
	c->out = p;
	c->cap = cap;
	return 0;
}

static bool is_row(uint16_t type)
{
	return type == HO_CTL_PS_ROW || type == HO_CTL_STATS_ROW || type == HO_CTL_EVENT_ROW ||
	       type == HO_CTL_POLICY_ROW;
}

/* Would a reply buffer of cap bytes for c go over a bound? */
static bool over_budget(const struct ctl_client *c, size_t cap)
{
	size_t all = c->budget->all - c->cap + cap, users = c->budget->users - c->cap + cap;

	if (cap > (c->restricted ? HO_OUT_MAX_USER : HO_OUT_MAX_ROOT) || all > HO_OUT_TOTAL)
		return true;
	return c->restricted && users > HO_OUT_USERS;
}

int ctl_put(struct ctl_client *c, uint16_t type, const void *payload, uint32_t len)
{
	char msg[HO_CTL_MAX_MSG];
	int n = ho_ctl_encode(msg, sizeof(msg), type, payload, len);
	uint32_t size;
	size_t need, cap;

	if (n < 0)
		return n;
	if (c->off && c->off == c->len)
		c->off = c->len = 0;
	need = c->len + sizeof(size) + (size_t)n;
	if (need > c->cap) {
		for (cap = c->cap ? c->cap * 2 : 4096; cap < need;)
			cap *= 2;
		/*
		 * Rows stop at the bounds (the list says it was cut); a single
		 * reply or an END always goes, to the byte: one request in
		 * flight a client keeps those small.
		 */
		if (over_budget(c, cap)) {
			if (is_row(type))
				return -ENOBUFS;
			cap = need;
		}
		if (ctl_client_resize(c, cap)) {
			c->failed = true;
			return -ENOMEM;
		}
	}
	size = (uint32_t)n;
	memcpy(c->out + c->len, &size, sizeof(size));
	memcpy(c->out + c->len + sizeof(size), msg, (size_t)n);
	c->len += sizeof(size) + (size_t)n;
	return 0;
}

void ctl_err(struct ctl_client *c, int err, const char *msg)
{
	struct ho_ctl_err e = {.err = err};

	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	(void)ctl_put(c, HO_CTL_ERR, &e, sizeof(e));
}
