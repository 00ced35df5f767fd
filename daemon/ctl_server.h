/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's transport (ctl_server.c): the lock and the socket,
 * accept with the peer's credentials (privilege decided once), reading
 * requests, the bounds of connections and reply memory, sending replies.
 * What a request does is the dispatcher's (ctl_dispatch.h).
 */
#ifndef HO_CTL_SERVER_H
#define HO_CTL_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include "ctl_client.h"
#include "ctl_proto.h"
#include "snapshot.h"

/*
 * Bounds of the control socket (stated in halfopend(8)). Root is always
 * served: unprivileged clients can never take the last HO_MAX_CLIENTS -
 * HO_CLIENTS_USERS slots, nor more than their share of reply memory, and
 * they are dropped when idle or not reading. Every client has one request in
 * flight at most: the next is not read before the reply to the last is sent.
 */
#define HO_MAX_CLIENTS	   128	     /* control connections at once */
#define HO_CLIENTS_USERS   96	     /* of them, unprivileged at most */
#define HO_CLIENTS_PER_UID 16	     /* of them, one unprivileged uid at most */
#define HO_MAX_LISTS	   4	     /* unprivileged list replies being sent at once */
#define HO_USERS_SHARE	   5	     /* their clients take 1/5 of the daemon's time at most */
#define HO_FOLLOW_MAX	   (1 << 20) /* an events follower this far behind is dropped */
#define HO_USER_TIMEOUT_S  5	     /* an unprivileged client idle or not reading is dropped */

struct ctl_state;

struct ctl_server {
	int fd;			 /* the listening socket */
	int epfd;		 /* the loop's: clients are added as EV_CLIENT | fd */
	int lock_fd;		 /* flock of HO_RUN_DIR/net-INODE.lock: one daemon a namespace */
	char path[108];		 /* the control socket, removed at exit */
	char lock_path[108];	 /* the lock file, removed at exit */
	struct ctl_state *state; /* what the handlers are given */
	struct ctl_client clients[HO_MAX_CLIENTS];
	struct ctl_budget budget; /* reply buffers of the clients */
	struct conn_counts counts;
	uint64_t users_work_ns; /* time owed for building unprivileged lists */
	uint64_t users_work_at; /* when it was last paid off */
	uint64_t log_ns;	/* drops logged in the second that began here */
	uint32_t logged;
};

/* Take the lock and listen; s->state and s->epfd are set by the caller. */
int ctl_listen(struct ctl_server *s);
void ctl_accept(struct ctl_server *s);
void ctl_event(struct ctl_server *s, int fd, uint32_t events);
/* Drop unprivileged clients idle or not reading; from the 1 s timer. */
void ctl_expire(struct ctl_server *s);
void ctl_close_all(struct ctl_server *s);
/* Send a limit event the engine reported to every follower. */
void ctl_broadcast_event(struct ctl_server *s, const struct ho_ctl_event_row *r);

#endif
