// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's end of the control socket: see ctl_proto.h for the protocol.
 * Replies are queued per client and sent as the socket takes them, so a slow
 * or stuck client never blocks the event loop; every queue is bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "ctl_proto.h"
#include "daemon.h"
#include "log.h"
#include "parse.h"

int ctl_listen(struct daemon *d)
{
	struct sockaddr_un sun;
	socklen_t len = ho_ctl_addr(&sun);
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd, other;

	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		d->clients[i] = (struct ctl_client){.fd = -1};
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pr_err("cannot create the control socket: %s", strerror(errno)), -errno;
	if (bind(fd, (struct sockaddr *)&sun, len)) {
		int err = -errno;

		close(fd);
		if (err != -EADDRINUSE)
			return pr_err("cannot bind the control socket: %s", strerror(-err)), err;
		/* name the other daemon if we can */
		other = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (other >= 0 && connect(other, (struct sockaddr *)&sun, len) == 0 &&
		    getsockopt(other, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
			pr_err("another halfopend (pid %d) is running in this network namespace",
			       cred.pid);
		else
			pr_err("another halfopend is running in this network namespace");
		if (other >= 0)
			close(other);
		return err;
	}
	if (listen(fd, 16)) {
		close(fd);
		return pr_err("cannot listen on the control socket: %s", strerror(errno)), -errno;
	}
	d->ctl_fd = fd;
	return 0;
}

static struct ctl_client *client_of(struct daemon *d, int fd)
{
	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		if (d->clients[i].fd == fd)
			return &d->clients[i];
	return NULL;
}

void ctl_accept(struct daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct ctl_client *c;
	int fd;

	while ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		c = client_of(d, -1);
		if (!c) {
			pr_debug("too many control clients (%d), refusing one", HO_MAX_CLIENTS);
			close(fd);
			continue;
		}
		ev.data.u64 = EV_CLIENT | (uint64_t)fd;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		*c = (struct ctl_client){.fd = fd};
	}
}

static void ctl_drop(struct daemon *d, struct ctl_client *c)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	*c = (struct ctl_client){.fd = -1};
}

void ctl_close_all(struct daemon *d)
{
	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		if (d->clients[i].fd >= 0)
			ctl_drop(d, &d->clients[i]);
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	d->ctl_fd = -1;
}

int ctl_put(struct ctl_client *c, uint16_t type, const void *payload, uint32_t len)
{
	char msg[HO_CTL_MAX_MSG];
	int n = ho_ctl_encode(msg, sizeof(msg), type, payload, len);
	uint32_t size;

	if (n < 0)
		return n;
	if (c->off && c->off == c->len)
		c->off = c->len = 0;
	if (c->len + sizeof(size) + (size_t)n > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		char *p;

		while (cap < c->len + sizeof(size) + (size_t)n)
			cap *= 2;
		if (cap > HO_OUT_MAX)
			return -ENOBUFS;
		p = realloc(c->out, cap);
		if (!p)
			return -ENOMEM;
		c->out = p;
		c->cap = cap;
	}
	size = (uint32_t)n;
	memcpy(c->out + c->len, &size, sizeof(size));
	memcpy(c->out + c->len + sizeof(size), msg, (size_t)n);
	c->len += sizeof(size) + (size_t)n;
	return 0;
}

static void want_out(struct daemon *d, struct ctl_client *c, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0),
				 .data.u64 = EV_CLIENT | (uint64_t)c->fd};

	if (c->want_out != on && epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = on;
}

void ctl_flush(struct daemon *d, struct ctl_client *c)
{
	uint32_t size;
	ssize_t n;

	while (c->off < c->len) {
		memcpy(&size, c->out + c->off, sizeof(size));
		n = send(c->fd, c->out + c->off + sizeof(size), size, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want_out(d, c, true);
			return;
		}
		if (n != (ssize_t)size) {
			ctl_drop(d, c);
			return;
		}
		c->off += sizeof(size) + size;
	}
	c->off = c->len = 0;
	/* a big reply leaves a big buffer: give it back */
	if (c->cap > 65536) {
		free(c->out);
		c->out = NULL;
		c->cap = 0;
	}
	want_out(d, c, false);
}

int ctl_lists_busy(const struct daemon *d)
{
	int n = 0;

	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		if (d->clients[i].fd >= 0 && d->clients[i].len > d->clients[i].off)
			n++;
	return n;
}

void ctl_broadcast_event(struct daemon *d, const struct ho_ctl_event_row *r)
{
	for (int i = 0; i < HO_MAX_CLIENTS; i++) {
		struct ctl_client *c = &d->clients[i];

		if (c->fd < 0 || !c->follow)
			continue;
		if (c->len - c->off > HO_FOLLOW_MAX ||
		    ctl_put(c, HO_CTL_EVENT_ROW, r, sizeof(*r))) {
			pr_debug("dropping an events follower that does not read");
			ctl_drop(d, c);
			continue;
		}
		ctl_flush(d, c);
	}
}

void fill_status(struct daemon *d, struct ho_ctl_status *s)
{
	struct ho_kstate *ks = kern_state(&d->k);

	*s = (struct ho_ctl_status){
		.limit = __atomic_load_n(&ks->limit, __ATOMIC_RELAXED),
		.release = d->o.c.release,
		.exempt_in_flight = __atomic_load_n(&ks->exempt_in_flight, __ATOMIC_RELAXED),
		.policies = d->sc.n,
		.in_flight = __atomic_load_n(&ks->in_flight, __ATOMIC_RELAXED),
		.queued = __atomic_load_n(&ks->queued, __ATOMIC_RELAXED),
		.held = (uint32_t)d->q.held,
		.queue_max = d->o.c.queue_max,
		.tracked_max = d->o.c.tracked_max,
		.pid = (uint32_t)getpid(),
		.queue_num = d->o.c.queue_num,
		.started = (uint64_t)d->started,
		.attempts = ks->attempts,
		.queued_total = ks->queued_total,
		.released = d->released,
		.cancelled = ks->cancelled,
		.established = ks->established,
		.refused = ks->refused,
		.failed = ks->failed,
		.closed = ks->closed,
		.dropped = d->dropped + d->nfq.lost + d->nfq.kernel_dropped,
		.untracked = ks->untracked,
		.late_syns = ks->tombs,
		.repaired = ks->repaired,
	};
}

void ctl_err(struct ctl_client *c, int err, const char *msg)
{
	struct ho_ctl_err e = {.err = err};

	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	ctl_put(c, HO_CTL_ERR, &e, sizeof(e));
}

static void put_status(struct daemon *d, struct ctl_client *c)
{
	struct ho_ctl_status s;

	fill_status(d, &s);
	ctl_put(c, HO_CTL_STATUS_REP, &s, sizeof(s));
}

static char *edit_limit(const char *text, const void *arg)
{
	char val[16];

	return config_rewrite(text, "limit",
			      format_limit(*(const uint32_t *)arg, val, sizeof(val)));
}

static void set_limit(struct daemon *d, struct ctl_client *c, const struct ho_ctl_limit *req)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char old[16], new[32];
	uint32_t prev;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || cred.uid != 0) {
		ctl_err(c, EPERM, "only root may change the limit");
		return;
	}
	if (req->limit > HO_LIMIT_MAX) {
		ctl_err(c, ERANGE, "the limit must be 1..1000000 or unlimited");
		return;
	}
	snprintf(new, sizeof(new), "limit %s", format_limit(req->limit, old, sizeof(old)));
	if ((req->flags & HO_LIMIT_F_PERSIST) && ctl_persist(d, c, new, edit_limit, &req->limit))
		return; /* not written: nothing changed */
	if ((req->flags & HO_LIMIT_F_PERSIST) &&
	    (d->o.cli.set & (1u << (config_option("limit") - cfg_options))))
		pr_warn("limit is also given on the command line, which wins at the next start");
	prev = kern_state(&d->k)->limit;
	kern_set_limit(&d->k, req->limit);
	d->o.c.limit = req->limit;
	if (prev != req->limit)
		pr_notice("limit changed from %s to %s by pid %d uid %u",
			  format_limit(prev, old, sizeof(old)),
			  format_limit(req->limit, new, sizeof(new)), cred.pid, cred.uid);
	/* raising it releases queued attempts at once */
	limiter_release(d);
	put_status(d, c);
}

static void handle(struct daemon *d, struct ctl_client *c)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_hdr hdr;
	const void *payload;
	int err;

	err = ho_ctl_recv(c->fd, buf, sizeof(buf), &hdr, &payload);
	if (err == -EAGAIN)
		return;
	if (err == -ECONNRESET) {
		ctl_drop(d, c);
		return;
	}
	if (err) {
		/* one clear answer, then the connection is closed */
		pr_debug("bad control message: %s", strerror(-err));
		ho_ctl_send_err(c->fd, -err, "bad request: %s", strerror(-err));
		ctl_drop(d, c);
		return;
	}
	switch (hdr.type) {
	case HO_CTL_PS:
	case HO_CTL_STATS:
		if (ctl_lists_busy(d) >= HO_MAX_LISTS) {
			ctl_err(c, EBUSY, "busy sending other lists: try again");
			break;
		}
		if (hdr.type == HO_CTL_PS)
			list_ps(d, c, payload);
		else
			list_stats(d, c, payload);
		break;
	case HO_CTL_STATUS:
		put_status(d, c);
		break;
	case HO_CTL_SET_LIMIT:
		set_limit(d, c, payload);
		break;
	case HO_CTL_EVENTS:
		list_events(d, c, payload);
		break;
	case HO_CTL_HISTORY:
		send_history(d, c);
		break;
	case HO_CTL_POLICY_SET:
	case HO_CTL_POLICY_DEL:
		policy_request(d, c, hdr.type, payload);
		break;
	case HO_CTL_POLICY_LIST:
		policy_list(d, c);
		break;
	default:
		ctl_err(c, EOPNOTSUPP, "not a request");
		break;
	}
	ctl_flush(d, c);
}

void ctl_event(struct daemon *d, int fd, uint32_t events)
{
	struct ctl_client *c = client_of(d, fd);

	if (!c)
		return;
	if (events & EPOLLOUT)
		ctl_flush(d, c);
	if (c->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		handle(d, c);
}
