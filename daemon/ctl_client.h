/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A control client and its reply buffer (ctl_client.c): what the handlers
 * write replies into, and the bounds of reply memory. The socket itself is
 * the transport's (ctl_server.c).
 */
#ifndef HO_CTL_CLIENT_H
#define HO_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds of reply memory (stated in halfopend(8)). */
#define HO_OUT_MAX_ROOT (64u << 20)  /* reply bytes queued for one root client */
#define HO_OUT_MAX_USER (4u << 20)   /* ... for one unprivileged client */
#define HO_OUT_USERS	(32u << 20)  /* ... for all unprivileged clients together */
#define HO_OUT_TOTAL	(128u << 20) /* ... for all clients together */

/* Reply memory of the control clients: buffers allocated, in bytes. */
struct ctl_budget {
	size_t all;
	size_t users; /* of unprivileged clients */
};

/* A control client and what is still to be sent to it. */
struct ctl_client {
	int fd;	      /* -1: free */
	uint32_t uid; /* the peer's credentials, taken once at accept */
	int32_t pid;
	bool restricted;    /* not root: only what the request table allows anyone */
	bool follow;	    /* halfopen events -f */
	bool list;	    /* the reply being sent is a list */
	bool paused;	    /* told "busy": its next request waits for the next tick */
	uint32_t events;    /* what epoll waits for on it now */
	bool failed;	    /* a reply could not be queued (out of memory) */
	uint64_t active_ns; /* accepted, last request, or last reply bytes taken */
	char *out;	    /* records: uint32_t size, then the message */
	size_t len, off, cap;
	struct ctl_budget *budget; /* the server's, that cap counts in */
};

/*
 * Queue a message for a client. Rows of lists are bounded (-ENOBUFS past the
 * client's or the daemon's reply memory); a single reply or END always goes.
 */
int ctl_put(struct ctl_client *c, uint16_t type, const void *payload, uint32_t len);
/* Queue an error reply (ctl_put's result is in c->failed). */
void ctl_err(struct ctl_client *c, int err, const char *msg);
/* The reply buffer of c becomes cap bytes (or is freed, cap 0); the budget follows. */
int ctl_client_resize(struct ctl_client *c, size_t cap);

#endif
