/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control requests (ctl_dispatch.c): every request, who may send it,
 * and its handler. The transport (ctl_server.c) looks a request up here,
 * applies who may send it and the bounds, and calls the handler.
 */
#ifndef HO_CTL_DISPATCH_H
#define HO_CTL_DISPATCH_H

#include <stdint.h>

struct ctl_state;
struct ctl_client;

#define CTL_ANYONE 1u /* unprivileged clients may send it: it only reads */
#define CTL_LIST   2u /* the reply is a list: gated for unprivileged clients */

struct ctl_request {
	uint16_t type;
	uint16_t flags;
	void (*fn)(struct ctl_state *s, struct ctl_client *c, const void *req);
	const char *denied; /* what an unprivileged client is told */
};

/* The request of this type, or NULL: not a request. */
const struct ctl_request *ctl_request_of(uint16_t type);

#endif
