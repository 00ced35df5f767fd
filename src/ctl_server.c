// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's end of the control socket: see ctl_proto.h for the protocol. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
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
	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		d->clients[i] = -1;
	return 0;
}

void ctl_accept(struct daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int fd, i;

	while ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < HO_MAX_CLIENTS && d->clients[i] >= 0; i++)
			;
		if (i == HO_MAX_CLIENTS) {
			pr_debug("too many control clients (%d), refusing one", HO_MAX_CLIENTS);
			close(fd);
			continue;
		}
		ev.data.u64 = EV_CLIENT | (uint64_t)fd;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		d->clients[i] = fd;
	}
}

static void ctl_drop(struct daemon *d, int fd)
{
	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		if (d->clients[i] == fd)
			d->clients[i] = -1;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

void ctl_close_all(struct daemon *d)
{
	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		if (d->clients[i] >= 0)
			ctl_drop(d, d->clients[i]);
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	d->ctl_fd = -1;
}

static void fill_status(struct daemon *d, struct ho_ctl_status *s)
{
	struct ho_kstate *ks = kern_state(&d->k);

	*s = (struct ho_ctl_status){
		.limit = __atomic_load_n(&ks->limit, __ATOMIC_RELAXED),
		.in_flight = __atomic_load_n(&ks->in_flight, __ATOMIC_RELAXED),
		.queued = __atomic_load_n(&ks->queued, __ATOMIC_RELAXED),
		.held = (uint32_t)d->q.held,
		.queue_max = d->o.queue_max,
		.tracked_max = d->o.tracked_max,
		.pid = (uint32_t)getpid(),
		.queue_num = d->o.queue_num,
		.started = (uint64_t)d->started,
		.attempts = ks->attempts,
		.queued_total = ks->queued_total,
		.released = d->released,
		.cancelled = ks->cancelled,
		.established = ks->established,
		.refused = ks->refused,
		.failed = ks->failed,
		.closed = ks->closed,
		.dropped = d->dropped + d->nfq.lost,
		.untracked = ks->untracked,
	};
}

static void set_limit(struct daemon *d, int fd, const struct ho_ctl_limit *req)
{
	struct ho_ctl_status s;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char old[16], new[16];
	uint32_t prev;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || cred.uid != 0) {
		ho_ctl_send_err(fd, EPERM, "only root may change the limit");
		return;
	}
	if (req->limit > HO_LIMIT_MAX) {
		ho_ctl_send_err(fd, ERANGE, "limit must be 1..%u or unlimited", HO_LIMIT_MAX);
		return;
	}
	prev = kern_state(&d->k)->limit;
	kern_set_limit(&d->k, req->limit);
	d->o.limit = req->limit;
	if (prev != req->limit)
		pr_notice("limit changed from %s to %s by pid %d uid %u",
			  format_limit(prev, old, sizeof(old)),
			  format_limit(req->limit, new, sizeof(new)), cred.pid, cred.uid);
	/* raising it releases queued attempts at once */
	limiter_release(d);
	fill_status(d, &s);
	ho_ctl_send(fd, HO_CTL_STATUS_REP, &s, sizeof(s));
}

void ctl_handle(struct daemon *d, int fd)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_hdr hdr;
	struct ho_ctl_status s;
	const void *payload;
	int err;

	err = ho_ctl_recv(fd, buf, sizeof(buf), &hdr, &payload);
	if (err == -EAGAIN)
		return;
	if (err) {
		if (err != -ECONNRESET) {
			pr_debug("bad control message: %s", strerror(-err));
			ho_ctl_send_err(fd, -err, "bad request: %s", strerror(-err));
		}
		ctl_drop(d, fd);
		return;
	}
	switch (hdr.type) {
	case HO_CTL_STATUS:
		fill_status(d, &s);
		ho_ctl_send(fd, HO_CTL_STATUS_REP, &s, sizeof(s));
		break;
	case HO_CTL_SET_LIMIT:
		set_limit(d, fd, payload);
		break;
	default:
		ho_ctl_send_err(fd, EOPNOTSUPP, "not a request");
		break;
	}
}
