/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The optional metrics endpoint on 127.0.0.1 (http.c): its socket, its
 * connections and their bounds; it reads snapshots only.
 */
#ifndef HO_HTTP_H
#define HO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "snapshot.h"

/* Bounds of the metrics endpoint (stated in halfopend(8)). */
#define HO_MAX_HTTP	    64 /* connections at once */
#define HO_HTTP_PER_UID	    8  /* of them, from sockets of one uid at most (root: no bound) */
#define HO_HTTP_ROOT	    8  /* of them, only root's */
#define HO_HTTP_REQUEST_MAX 4096

struct ho_config;
struct http_text; /* a rendered metrics text, shared by the replies that send it */

struct http_conn {
	int fd;		   /* -1: free */
	uint32_t uid;	   /* owner of the connecting socket, or HTTP_UID_UNKNOWN */
	bool closing;	   /* reply sent, our side shut: reading what is left */
	uint64_t start_ns; /* accepted; then, when closing: since */
	char in[HO_HTTP_REQUEST_MAX];
	size_t inlen;
	char *out;		/* the reply; of a 200, only its header */
	struct http_text *text; /* a 200's body, shared */
	size_t len, off;	/* off counts the header, then the body */
};

struct http_server {
	const struct ho_config *c;	 /* metrics_port, metrics_uid */
	const struct snapshot_src *snap; /* what a scrape reads */
	int fd;				 /* listening; -1: off */
	int epfd;			 /* the loop's: connections are EV_HTTP | fd */
	int diag_fd;			 /* sock_diag: who owns a metrics connection */
	uint32_t diag_seq;
	struct http_conn conns[HO_MAX_HTTP];
	struct conn_counts counts;
	struct http_text *text; /* the latest metrics text, while it may be shared */
};

/* Listen if --metrics-port is set; s->c, s->snap and s->epfd are set by the caller. */
int http_listen(struct http_server *s);
void http_accept(struct http_server *s);
void http_event(struct http_server *s, int fd, uint32_t events);
/* Close connections older than the time bound; from the 1 s timer. */
void http_expire(struct http_server *s);
void http_close_all(struct http_server *s);

#endif
