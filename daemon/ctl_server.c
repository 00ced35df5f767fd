// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's end of the control socket: see ctl_proto.h for the protocol.
 *
 * Privilege is decided once, at accept, from the peer's credentials: root's
 * clients may send anything, others only what the request table of
 * ctl_dispatch.c allows anyone (it denies by default). Root is always served:
 * unprivileged clients get a bounded share of the connection slots and of
 * the reply memory, one request in flight each, and are dropped when idle or
 * not reading (numbers in ctl_server.h, stated in halfopend(8)). Replies are
 * queued per client and sent as the socket takes them, so a slow or stuck
 * client never blocks the event loop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "ctl_proto.h"
#include "ctl_dispatch.h"
#include "ctl_server.h"
#include "ev_tags.h"
#include "log.h"
#include "clock.h"

#define CTL_BACKLOG	  128
#define USER_TIMEOUT_NS	  ((uint64_t)HO_USER_TIMEOUT_S * 1000000000ull)
#define DROP_LOGS_PER_SEC 10
#define STR_(x)		  #x
#define STR(x)		  STR_(x)

/* HO_RUN_DIR, made if missing; refused unless it is a directory only root can write. */
static int run_dir(void)
{
	struct stat st;

	if (mkdir(HO_RUN_DIR, 0755) == 0)
		(void)chmod(HO_RUN_DIR, 0755); /* whatever the umask: anyone may reach the socket */
	else if (errno != EEXIST)
		return pr_err_ret(-errno, "cannot make " HO_RUN_DIR ": %s", strerror(errno));
	if (lstat(HO_RUN_DIR, &st))
		return pr_err_ret(-errno, "cannot read " HO_RUN_DIR ": %s", strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return pr_err_ret(-EPERM,
				  HO_RUN_DIR
				  " is not a directory that only root can write "
				  "(%s, owner uid %u, mode %04o): not putting the control socket "
				  "there",
				  S_ISLNK(st.st_mode)	? "a symbolic link"
				  : S_ISDIR(st.st_mode) ? "a directory"
							: "not a directory",
				  st.st_uid, st.st_mode & 07777);
	return 0;
}

/* The pid a daemon wrote in the lock file, or 0. */
static unsigned int lock_pid(int fd)
{
	char buf[16] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	unsigned int pid;

	return n > 0 && sscanf(buf, "%u", &pid) == 1 ? pid : 0;
}

/* 1 if pid is a live process named halfopend. */
static int is_halfopend(unsigned int pid)
{
	char path[32], comm[32] = "";
	FILE *f;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strcmp(comm, "halfopend\n");
}

/* Say who holds the lock: its pid is in the file; check that it is a halfopend. */
static void say_locked(int fd, const char *path)
{
	unsigned int pid = lock_pid(fd);

	if (is_halfopend(pid))
		pr_err("another halfopend (pid %u) is running in this network namespace (it holds "
		       "%s)",
		       pid, path);
	else if (pid)
		pr_err("%s is locked, but the halfopend that wrote its pid %u in it is gone (pid "
		       "%u is %s): a process of root holds it (see /proc/locks)",
		       path, pid, pid,
		       kill((pid_t)pid, 0) && errno == ESRCH ? "not running" : "not halfopend");
	else
		pr_err("%s is locked, and no pid is written in it: another halfopend is starting, "
		       "or a process of root holds it (see /proc/locks)",
		       path);
}

/*
 * flock, waiting 200 ms at most: another daemon's sweep() holds a lock of a
 * namespace whose daemon is gone for a moment. 0, or -1 with errno.
 */
static int lock_soon(int fd)
{
	const struct timespec step = {0, 10000000};

	for (int i = 0; i < 20; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		nanosleep(&step, NULL);
	}
	return -1;
}

/*
 * A lock file only root can open: flock works on a descriptor opened for
 * reading, so a lock file anyone can read is one anyone can hold.
 */
static int lock_safe(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_uid == 0 && !(st->st_mode & 077);
}

/* Unlink a lock file left with other permissions (by an older daemon) and close fd. */
static void replace_lock(int fd, const char *path, const struct stat *st, const char *why)
{
	pr_warn("%s has mode %04o, owner uid %u, %s: replacing it", path, st->st_mode & 07777,
		st->st_uid, why);
	(void)unlink(path);
	close(fd);
}

/*
 * The single-instance lock: an flock on the lock file (0600, owner root),
 * which then holds our pid. A daemon that stops removes the file it held, so what we locked must
 * still be the file at that path, or another daemon could lock a new one.
 */
static int take_lock(struct ctl_server *s)
{
	struct stat a, b;
	int fd, err;

	for (int tries = 0; tries < 3; tries++) {
		fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return pr_err_ret(-errno, "cannot open %s: %s", s->lock_path,
					  strerror(errno));
		if (fstat(fd, &a)) {
			err = -errno;
			close(fd);
			return pr_err_ret(err, "cannot read %s: %s", s->lock_path, strerror(-err));
		}
		if (lock_soon(fd)) {
			err = -errno;
			if (err == -EWOULDBLOCK && !lock_safe(&a) && !is_halfopend(lock_pid(fd))) {
				replace_lock(fd, s->lock_path, &a,
					     "held by a process that is not halfopend");
				continue;
			}
			if (err == -EWOULDBLOCK)
				say_locked(fd, s->lock_path);
			else
				pr_err("cannot lock %s: %s", s->lock_path, strerror(-err));
			close(fd);
			return err == -EWOULDBLOCK ? -EEXIST : err;
		}
		if (!lock_safe(&a)) {
			/* no one holds it, but anyone may have it open, to lock it once we die */
			replace_lock(fd, s->lock_path, &a, "anyone may have opened it");
			continue;
		}
		if (stat(s->lock_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			if (ftruncate(fd, 0) || dprintf(fd, "%d\n", (int)getpid()) < 0)
				pr_warn("cannot write our pid to %s: %s", s->lock_path,
					strerror(errno));
			s->lock_fd = fd;
			return 0;
		}
		close(fd);
	}
	return pr_err_ret(-EAGAIN, "cannot lock %s: it keeps being replaced", s->lock_path);
}

/*
 * Remove the files of daemons that are gone (killed, in a namespace since
 * deleted): a lock no one holds. What a daemon starting meanwhile opened
 * is then no longer at its path, which its take_lock() sees.
 */
static void sweep(struct ctl_server *s)
{
	char lock[sizeof(s->lock_path)], sock[sizeof(s->path)];
	DIR *dir = opendir(HO_RUN_DIR);
	struct dirent *e;
	size_t len;
	int fd, n = 0;

	if (!dir)
		return;
	while ((e = readdir(dir)) && n++ < 4096) {
		len = strlen(e->d_name);
		if (strncmp(e->d_name, "net-", 4) || len < 10 ||
		    strcmp(e->d_name + len - 5, ".lock"))
			continue;
		snprintf(lock, sizeof(lock), HO_RUN_DIR "/%s", e->d_name);
		if (!strcmp(lock, s->lock_path))
			continue;
		fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			snprintf(sock, sizeof(sock), HO_RUN_DIR "/%.*s.sock", (int)len - 5,
				 e->d_name);
			(void)unlink(sock);
			(void)unlink(lock);
			pr_debug("removed %s and its socket: its daemon is gone", lock);
		}
		close(fd);
	}
	closedir(dir);
}

static void unlock(struct ctl_server *s)
{
	if (s->lock_fd < 0)
		return;
	(void)unlink(s->lock_path); /* still ours: we hold the lock */
	close(s->lock_fd);
	s->lock_fd = -1;
}

int ctl_listen(struct ctl_server *s)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t mask;
	int fd, err;

	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		s->clients[i] = (struct ctl_client){.fd = -1};
	s->lock_fd = -1;
	err = ho_ctl_path(s->path, sizeof(s->path), "sock");
	if (!err)
		err = ho_ctl_path(s->lock_path, sizeof(s->lock_path), "lock");
	if (err)
		return pr_err_ret(err, "cannot name the control socket: %s", strerror(-err));
	err = run_dir();
	if (!err)
		err = take_lock(s);
	if (err)
		return err;
	/* the lock is ours: a socket file there was left by a daemon killed with SIGKILL */
	(void)unlink(s->path);
	sweep(s);
	memcpy(sun.sun_path, s->path, sizeof(s->path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = pr_err_ret(-errno, "cannot create the control socket: %s", strerror(errno));
		unlock(s);
		return err;
	}
	/* 0666: anyone may connect; what each may ask is decided at accept */
	mask = umask(0111);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(mask);
	if (!err && listen(fd, CTL_BACKLOG))
		err = -errno;
	if (err) {
		pr_err("cannot listen on %s: %s", s->path, strerror(-err));
		close(fd);
		(void)unlink(s->path);
		unlock(s);
		return err;
	}
	s->fd = fd;
	return 0;
}

static struct ctl_client *client_of(struct ctl_server *s, int fd)
{
	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		if (s->clients[i].fd == fd)
			return &s->clients[i];
	return NULL;
}

/* NULL if a client of uid may have one more connection, or why not. */
static const char *admit(const struct ctl_server *s, uint32_t uid, char *why, size_t len)
{
	int used = 0, users = 0, same = 0;

	for (int i = 0; i < HO_MAX_CLIENTS; i++) {
		const struct ctl_client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		used++;
		users += c->restricted;
		same += c->restricted && c->uid == uid;
	}
	if (used >= HO_MAX_CLIENTS)
		snprintf(why, len, "too many control connections (%d): try again later",
			 HO_MAX_CLIENTS);
	else if (uid != 0 && same >= HO_CLIENTS_PER_UID)
		snprintf(why, len, "too many control connections of uid %u (%d): try again later",
			 uid, HO_CLIENTS_PER_UID);
	else if (uid != 0 && users >= HO_CLIENTS_USERS)
		snprintf(why, len,
			 "too many control connections of unprivileged users (%d): try again later",
			 HO_CLIENTS_USERS);
	else
		return NULL;
	return why;
}

void ctl_accept(struct ctl_server *s)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct ucred cred;
	socklen_t clen;
	char why[96];
	int fd, n = 0;

	/* a backlog's worth a turn: a storm of connects does not hold the loop */
	while (n++ < CTL_BACKLOG &&
	       (fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/* privilege is decided here, once: the credentials of connect() */
		clen = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
			close(fd);
			continue;
		}
		if (admit(s, cred.uid, why, sizeof(why))) {
			pr_debug("refusing a control connection of pid %d uid %u: %s", cred.pid,
				 cred.uid, why);
			(void)ho_ctl_send_err(fd, EUSERS, "%s", why);
			close(fd);
			s->counts.refused++;
			continue;
		}
		ev.data.u64 = EV_CLIENT | (uint64_t)fd;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		*client_of(s, -1) = (struct ctl_client){.fd = fd,
							.uid = cred.uid,
							.pid = cred.pid,
							.restricted = cred.uid != 0,
							.events = EPOLLIN,
							.active_ns = now_ns(),
							.budget = &s->budget};
	}
}

/* Close a client's connection; nothing is counted (it left, or it is over). */
static void ctl_drop(struct ctl_server *s, struct ctl_client *c)
{
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	(void)ctl_client_resize(c, 0);
	*c = (struct ctl_client){.fd = -1};
}

/* Close a client's connection because of what it did: counted, and logged within reason. */
static void ctl_kick(struct ctl_server *s, struct ctl_client *c, const char *why)
{
	uint64_t now = now_ns();

	if (now - s->log_ns > 1000000000ull) {
		s->log_ns = now;
		s->logged = 0;
	}
	if (s->logged++ < DROP_LOGS_PER_SEC)
		pr_info("dropping control client pid %d uid %u: %s", c->pid, c->uid, why);
	s->counts.dropped++;
	ctl_drop(s, c);
}

/*
 * Wait for what the client's state calls for: the socket taking more of a
 * reply (and no request meanwhile: one in flight), or its next request,
 * unless it was told to wait.
 */
static void set_events(struct ctl_server *s, struct ctl_client *c)
{
	uint32_t want = c->len > c->off ? EPOLLOUT : c->paused ? 0 : EPOLLIN;
	struct epoll_event ev = {.events = want, .data.u64 = EV_CLIENT | (uint64_t)c->fd};

	if (c->events != want && epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

void ctl_expire(struct ctl_server *s)
{
	uint64_t now = now_ns();

	for (int i = 0; i < HO_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd >= 0 && c->paused) {
			c->paused = false;
			set_events(s, c);
		}
		if (c->fd < 0 || !c->restricted || now - c->active_ns <= USER_TIMEOUT_NS)
			continue;
		if (c->len > c->off)
			ctl_kick(s, c, "not reading its replies for " STR(HO_USER_TIMEOUT_S) " s");
		else if (!c->follow)
			ctl_kick(s, c, "idle for " STR(HO_USER_TIMEOUT_S) " s");
	}
}

void ctl_close_all(struct ctl_server *s)
{
	for (int i = 0; i < HO_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			ctl_drop(s, &s->clients[i]);
	if (s->fd >= 0) {
		close(s->fd);
		(void)unlink(s->path);
	}
	s->fd = -1;
	unlock(s);
}

static void ctl_flush(struct ctl_server *s, struct ctl_client *c)
{
	uint32_t size;
	ssize_t n;

	while (c->off < c->len) {
		memcpy(&size, c->out + c->off, sizeof(size));
		n = send(c->fd, c->out + c->off + sizeof(size), size, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_events(s, c);
			return;
		}
		if (n != (ssize_t)size) {
			ctl_drop(s, c);
			return;
		}
		c->off += sizeof(size) + size;
		c->active_ns = now_ns();
	}
	c->off = c->len = 0;
	c->list = false;
	/* a big reply leaves a big buffer: give it back */
	if (c->cap > 65536)
		(void)ctl_client_resize(c, 0);
	set_events(s, c);
}

/* Unprivileged lists being sent now: the gate counts nothing else. */
static int lists_busy(const struct ctl_server *s)
{
	int n = 0;

	for (int i = 0; i < HO_MAX_CLIENTS; i++) {
		const struct ctl_client *c = &s->clients[i];

		n += c->fd >= 0 && c->restricted && c->list && c->len > c->off;
	}
	return n;
}

void ctl_broadcast_event(struct ctl_server *s, const struct ho_ctl_event_row *r)
{
	for (int i = 0; i < HO_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd < 0 || !c->follow)
			continue;
		if (c->len - c->off > HO_FOLLOW_MAX ||
		    ctl_put(c, HO_CTL_EVENT_ROW, r, sizeof(*r))) {
			ctl_kick(s, c, "an events follower not reading");
			continue;
		}
		ctl_flush(s, c);
	}
}

/*
 * What the event loop spends on unprivileged clients (building a ps walks
 * the attempt table; sending it is a system call a row) is owed, and paid
 * off at 1/HO_USERS_SHARE of the time that passes. Over 100 ms owed, their
 * lists wait; root never does.
 */
static bool users_may_work(struct ctl_server *s)
{
	uint64_t now = now_ns(), paid = (now - s->users_work_at) / HO_USERS_SHARE;

	s->users_work_ns = s->users_work_ns > paid ? s->users_work_ns - paid : 0;
	s->users_work_at = now;
	return s->users_work_ns < 100000000ull;
}

static void handle(struct ctl_server *s, struct ctl_client *c)
{
	char buf[HO_CTL_MAX_MSG];
	const struct ctl_request *r;
	struct ho_ctl_hdr hdr;
	const void *payload;
	int err;

	err = ho_ctl_recv(c->fd, buf, sizeof(buf), &hdr, &payload);
	if (err == -EAGAIN)
		return;
	if (err == -ECONNRESET) {
		ctl_drop(s, c);
		return;
	}
	if (err) {
		/* one clear answer, then the connection is closed */
		pr_debug("bad control message: %s", strerror(-err));
		(void)ho_ctl_send_err(c->fd, -err, "bad request: %s", strerror(-err));
		ctl_drop(s, c);
		return;
	}
	c->active_ns = now_ns();
	r = ctl_request_of(hdr.type);
	if (!r) {
		ctl_err(c, EOPNOTSUPP, "not a request");
	} else if (c->restricted && !(r->flags & CTL_ANYONE)) {
		ctl_err(c, EPERM, r->denied ? r->denied : "only root may do that");
	} else if (c->restricted && (r->flags & CTL_LIST) && lists_busy(s) >= HO_MAX_LISTS) {
		ctl_err(c, EBUSY, "busy sending other lists: try again");
		c->paused = true;
	} else if (c->restricted && (r->flags & CTL_LIST) && !users_may_work(s)) {
		ctl_err(c, EBUSY, "busy with other users' lists: try again");
		c->paused = true;
	} else {
		c->list = r->flags & CTL_LIST;
		r->fn(s->state, c, payload);
	}
	if (c->failed) {
		ctl_kick(s, c, "out of memory for its reply");
		return;
	}
	ctl_flush(s, c);
}

void ctl_event(struct ctl_server *s, int fd, uint32_t events)
{
	struct ctl_client *c = client_of(s, fd);
	uint64_t t0 = now_ns();
	bool restricted;

	if (!c)
		return;
	restricted = c->restricted;
	/* a reply on its way: the next request waits until it is sent */
	if (c->len > c->off)
		ctl_flush(s, c);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		handle(s, c);
	if (restricted)
		s->users_work_ns += now_ns() - t0;
}
