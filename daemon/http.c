// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The optional metrics endpoint: GET or HEAD /metrics, HTTP/1.0 or 1.1, on
 * 127.0.0.1 only, off unless --metrics-port is set. One request per
 * connection; replies go out as the socket takes them.
 *
 * A local user cannot keep scrapes out. Every peer is 127.0.0.1, so the
 * address says nothing: connections are bounded per uid, the owner of the
 * connecting socket (asked of sock_diag at accept), some slots are root's,
 * and a full endpoint makes room by closing a connection of another user
 * that holds more or has been stuck for 100 ms (see evict()). A request must be whole
 * within 2 s and its reply read within 5 s. After a reply the connection is
 * shut for writing and what the client still sends is read and thrown away
 * until it closes (at most 1 s), so that a client that sent too much gets its
 * answer instead of a reset. Answers: 200, 400, 404, 405, 414, 431, 505.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "clock.h"
#include "config.h"
#include "ev_tags.h"
#include "http.h"
#include "log.h"
#include "snapshot.h"
#include "metrics.h"

#define SEC_NS		 1000000000ull
#define REQUEST_NS	 (2 * SEC_NS)  /* a request is whole this long after accept */
#define REPLY_NS	 (5 * SEC_NS)  /* and its reply read this long after accept */
#define EVICT_AFTER_NS	 (SEC_NS / 10) /* a connection this old and not done may yield its slot */
#define LINGER_NS	 (1 * SEC_NS)  /* after the reply, the client has this long to close */
#define LINGER_MAX	 (1 << 20)     /* bytes read and thrown away after the reply, at most */
#define HTTP_UID_UNKNOWN UINT32_MAX
#define BACKLOG		 64 /* what one turn of the loop accepts at most */
/*
 * The kernel's queue of connections not yet accepted: deep enough that a
 * crowd of users connecting at once (each bounded once accepted) does not
 * make the kernel drop a scraper's SYN, which would cost it a second.
 */
#define LISTEN_BACKLOG 1024
#define SHARE_NS       (1 * SEC_NS) /* scrapes this close share one rendered text */

/*
 * One metrics text can be megabytes (many cgroups): scrapes within SHARE_NS
 * of its rendering send the same one, so that at most one text a second is
 * made and, with replies read within REPLY_NS, at most 6 are held at once.
 */
struct http_text {
	unsigned int refs; /* replies sending it, and the server's text */
	uint64_t made_ns;
	size_t len;
	char body[];
};

static void text_put(struct http_text *t)
{
	if (t && !--t->refs)
		free(t);
}

int http_listen(struct http_server *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)s->c->metrics_port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_HTTP_LISTEN};
	int one = 1, fd;

	if (!s->c->metrics_port)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, LISTEN_BACKLOG) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		pr_err("cannot serve metrics on 127.0.0.1:%u: %s", s->c->metrics_port,
		       strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	s->fd = fd;
	s->diag_fd =
		socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (s->diag_fd < 0)
		pr_warn("no sock_diag (%s): metrics connections are bounded as if from one user",
			strerror(errno));
	pr_info("serving metrics on http://127.0.0.1:%u/metrics", s->c->metrics_port);
	return 0;
}

/*
 * The uid that owns the connecting socket, peer -> local, or HTTP_UID_UNKNOWN.
 * The kernel answers within the send: nothing here waits.
 */
static uint32_t peer_uid(struct http_server *s, const struct sockaddr_in *peer,
			 const struct sockaddr_in *local)
{
	uint32_t seq = ++s->diag_seq;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = seq},
		.r = {.sdiag_family = AF_INET,
		      .sdiag_protocol = IPPROTO_TCP,
		      .idiag_states = ~0u,
		      .id = {.idiag_sport = peer->sin_port,
			     .idiag_dport = local->sin_port,
			     .idiag_src = {peer->sin_addr.s_addr},
			     .idiag_dst = {local->sin_addr.s_addr},
			     .idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
	};
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} rep;
	ssize_t n;

	if (s->diag_fd < 0 || send(s->diag_fd, &req, sizeof(req), 0) < 0)
		return HTTP_UID_UNKNOWN;
	/* one answer per request; skip any left from an earlier one */
	for (int i = 0; i < 4; i++) {
		n = recv(s->diag_fd, &rep, sizeof(rep), MSG_DONTWAIT);
		if (n < 0)
			return HTTP_UID_UNKNOWN;
		if (rep.nlh.nlmsg_seq != seq)
			continue;
		if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct inet_diag_msg)) ||
		    rep.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY)
			return HTTP_UID_UNKNOWN;
		return ((const struct inet_diag_msg *)NLMSG_DATA(&rep.nlh))->idiag_uid;
	}
	return HTTP_UID_UNKNOWN;
}

static void http_drop(struct http_server *s, struct http_conn *h)
{
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	close(h->fd);
	free(h->out);
	text_put(h->text);
	*h = (struct http_conn){.fd = -1};
}

void http_close_all(struct http_server *s)
{
	for (int i = 0; i < HO_MAX_HTTP; i++)
		if (s->conns[i].fd >= 0)
			http_drop(s, &s->conns[i]);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->diag_fd >= 0)
		close(s->diag_fd);
	s->diag_fd = -1;
	text_put(s->text);
	s->text = NULL;
}

/* How many connections uid holds. */
static int held_by(const struct http_server *s, uint32_t uid)
{
	int n = 0;

	for (int i = 0; i < HO_MAX_HTTP; i++)
		n += s->conns[i].fd >= 0 && s->conns[i].uid == uid;
	return n;
}

/* Root, and the scraper named by --metrics-uid: reserved slots, never evicted. */
static bool privileged(const struct http_server *s, uint32_t uid)
{
	return uid == 0 || (s->c->metrics_uid && uid == s->c->metrics_uid);
}

/*
 * The endpoint is full for uid, which holds `same`: close a connection of
 * another user (never root's) to make room. One may go if its user holds
 * more than uid would with one more (so one user's many connections yield to
 * another's first), or if it has been stuck for EVICT_AFTER_NS: a request not
 * finished, a reply not read (a real scrape is done in a few ms). A
 * connection younger than that, of a user holding no more than uid would, is
 * kept: a newcomer never takes a scraper's slot from under its request,
 * however many uids it comes from. Among the candidates: the user holding
 * the most, then the oldest. Its slot, or NULL (the newcomer gets 503).
 */
static struct http_conn *evict(struct http_server *s, uint32_t uid, int same)
{
	struct http_conn *victim = NULL;
	uint64_t now = now_ns();
	int most = 0, k;

	for (int i = 0; i < HO_MAX_HTTP; i++) {
		struct http_conn *h = &s->conns[i];

		if (h->fd < 0 || privileged(s, h->uid) || h->uid == uid)
			continue;
		k = held_by(s, h->uid);
		if (!privileged(s, uid) && k <= same + 1 && h->start_ns + EVICT_AFTER_NS > now)
			continue;
		if (!victim || k > most || (k == most && h->start_ns < victim->start_ns)) {
			most = k;
			victim = h;
		}
	}
	if (!victim)
		return NULL;
	s->counts.dropped++;
	http_drop(s, victim);
	return victim;
}

/*
 * A free slot for a connection of uid, or NULL if it may not have one more:
 * HO_HTTP_ROOT slots are root's, and other users hold HO_HTTP_PER_UID each.
 */
static struct http_conn *admit(struct http_server *s, uint32_t uid)
{
	struct http_conn *free_slot = NULL;
	int same = 0, users = 0;

	for (int i = 0; i < HO_MAX_HTTP; i++) {
		if (s->conns[i].fd < 0)
			free_slot = free_slot ? free_slot : &s->conns[i];
		else {
			same += s->conns[i].uid == uid;
			users += !privileged(s, s->conns[i].uid);
		}
	}
	if (uid != 0 && same >= HO_HTTP_PER_UID)
		return NULL;
	if (free_slot && (privileged(s, uid) || users < HO_MAX_HTTP - HO_HTTP_ROOT))
		return free_slot;
	return evict(s, uid, same);
}

void http_accept(struct http_server *s)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				   "Retry-After: 1\r\nConnection: close\r\n\r\n";
	struct epoll_event ev = {.events = EPOLLIN};
	struct sockaddr_in peer, local;
	socklen_t plen = sizeof(peer), llen = sizeof(local);
	struct http_conn *h;
	uint32_t uid;
	int fd, n = 0;

	while (n++ < BACKLOG && (fd = accept4(s->fd, (struct sockaddr *)&peer, &plen,
					      SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		uid = getsockname(fd, (struct sockaddr *)&local, &llen) == 0
			      ? peer_uid(s, &peer, &local)
			      : HTTP_UID_UNKNOWN;
		h = admit(s, uid);
		ev.data.u64 = EV_HTTP | (uint64_t)fd;
		if (!h || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			/* best effort: the request has most likely not come yet */
			(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			s->counts.refused++;
		} else {
			*h = (struct http_conn){.fd = fd, .uid = uid, .start_ns = now_ns()};
		}
		plen = sizeof(peer);
		llen = sizeof(local);
	}
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

static void respond(struct http_conn *h, int status, const char *type, const char *body, size_t len,
		    bool head)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "%sConnection: close\r\n\r\n",
			 status, reason(status), type, len,
			 status == 405 ? "Allow: GET, HEAD\r\n" : "");

	if (head)
		len = 0;
	h->out = malloc((size_t)n + len);
	if (!h->out)
		return;
	memcpy(h->out, hdr, (size_t)n);
	memcpy(h->out + n, body, len);
	h->len = (size_t)n + len;
}

static bool token_char(char c)
{
	return c >= 'A' && c <= 'Z';
}

/*
 * The status to answer the request read so far with, or 0 while it is not
 * whole. The request line is judged as soon as it is there: a client that
 * sent no HTTP version (HTTP/0.9) sends no headers either.
 */
static int parse(const struct http_conn *h, bool *head)
{
	const char *p = h->in, *end = h->in + h->inlen, *nl = memchr(p, '\n', h->inlen);
	const char *sp1, *sp2, *v;
	size_t n, tlen;

	if (!nl)
		return h->inlen == sizeof(h->in) ? 414 : 0;
	n = (size_t)(nl - p);
	if (n && p[n - 1] == '\r')
		n--;
	/* METHOD SP TARGET SP HTTP/1.x */
	sp1 = memchr(p, ' ', n);
	if (!sp1 || sp1 == p)
		return 400;
	for (const char *c = p; c < sp1; c++)
		if (!token_char(*c))
			return 400;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p));
	if (!sp2)
		return 400;
	v = sp2 + 1;
	if (p + n - v != 8 || memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	*head = sp1 - p == 4 && !memcmp(p, "HEAD", 4);
	if (!*head && !(sp1 - p == 3 && !memcmp(p, "GET", 3)))
		return 405;
	/* the headers end with an empty line */
	if (!memmem(nl, (size_t)(end - nl), "\n\r\n", 3) &&
	    !memmem(nl, (size_t)(end - nl), "\n\n", 2))
		return h->inlen == sizeof(h->in) ? 431 : 0;
	tlen = (size_t)(sp2 - sp1 - 1);
	return tlen >= 8 && !memcmp(sp1 + 1, "/metrics", 8) && (tlen == 8 || sp1[9] == '?') ? 200
											    : 404;
}

/* The metrics text rendered less than SHARE_NS ago, or a new one; a reference for the caller. */
static struct http_text *metrics_text(struct http_server *s)
{
	struct ho_ctl_stats_row *rows = NULL, *procs = NULL;
	struct ho_ctl_policy_row *pol;
	struct http_text *t = s->text;
	struct ho_ctl_status st;
	uint64_t now = now_ns();
	size_t n = 0, nprocs = 0, len, npol;
	char *text = NULL;

	if (t && t->made_ns + SHARE_NS > now) {
		t->refs++;
		return t;
	}
	pol = calloc(HO_POLICIES_MAX, sizeof(*pol));
	if (!pol)
		return NULL; /* no reply: the connection is closed */
	fill_status(s->snap, &st);
	(void)collect_stats(s->snap, true, &rows, &n); /* what fits in memory is reported */
	if (st.flagged) /* the processes, only to name those flagged */
		(void)collect_stats(s->snap, false, &procs, &nprocs);
	npol = policy_rows(s->snap, pol, HO_POLICIES_MAX);
	t = NULL;
	if (metrics_format(&text, &len,
			   &(struct metrics_in){.s = &st,
						.cgroups = rows,
						.n = n,
						.procs = procs,
						.nprocs = nprocs,
						.pol = pol,
						.npol = npol}) == 0)
		t = malloc(sizeof(*t) + len);
	if (t) {
		*t = (struct http_text){.refs = 2, .made_ns = now, .len = len};
		memcpy(t->body, text, len);
		text_put(s->text);
		s->text = t;
	}
	free(text);
	free(rows);
	free(procs);
	free(pol);
	return t;
}

static void answer(struct http_server *s, struct http_conn *h, int status, bool head)
{
	static const char nf[] = "not found: try /metrics\n";
	struct http_text *t;
	char msg[64];

	if (status != 200) {
		if (status == 404)
			snprintf(msg, sizeof(msg), "%s", nf);
		else
			snprintf(msg, sizeof(msg), "%s\n", reason(status));
		respond(h, status, "text/plain", msg, strlen(msg), head);
		return;
	}
	t = metrics_text(s);
	if (!t)
		return;
	/* the header here; the body is sent from the shared text */
	respond(h, 200, "text/plain; version=0.0.4; charset=utf-8", "", t->len, true);
	if (h->out && !head)
		h->text = t;
	else
		text_put(t);
}

/* After the reply: read and throw away what the client still sends, until it closes. */
static void linger(struct http_server *s, struct http_conn *h)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		h->inlen += (size_t)n;
		if (h->inlen > LINGER_MAX)
			break;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	http_drop(s, h);
}

static void flush(struct http_server *s, struct http_conn *h)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = EV_HTTP | (uint64_t)h->fd};
	size_t end = h->len + (h->text ? h->text->len : 0);
	ssize_t n;

	while (h->off < end) {
		if (h->off < h->len)
			n = send(h->fd, h->out + h->off, h->len - h->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT | (end > h->len ? MSG_MORE : 0));
		else
			n = send(h->fd, h->text->body + (h->off - h->len), end - h->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, h->fd, &ev);
			return;
		}
		if (n <= 0) {
			http_drop(s, h);
			return;
		}
		h->off += (size_t)n;
	}
	/* all sent: a FIN, then the client's close */
	(void)shutdown(h->fd, SHUT_WR);
	ev.events = EPOLLIN;
	(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, h->fd, &ev);
	h->closing = true;
	h->start_ns = now_ns();
	h->inlen = 0;
	linger(s, h);
}

void http_event(struct http_server *s, int fd, uint32_t events)
{
	struct http_conn *h = NULL;
	bool head = false;
	ssize_t n;
	int status;

	for (int i = 0; i < HO_MAX_HTTP; i++)
		if (s->conns[i].fd == fd)
			h = &s->conns[i];
	if (!h)
		return;
	if (h->closing) {
		linger(s, h);
		return;
	}
	if (h->out) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			flush(s, h);
		return;
	}
	n = recv(fd, h->in + h->inlen, sizeof(h->in) - h->inlen, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			http_drop(s, h);
		return;
	}
	h->inlen += (size_t)n;
	status = parse(h, &head);
	if (!status)
		return;
	answer(s, h, status, head);
	if (!h->out) {
		http_drop(s, h);
		return;
	}
	flush(s, h);
}

void http_expire(struct http_server *s)
{
	uint64_t now = now_ns();

	if (s->text && now - s->text->made_ns >= SHARE_NS) {
		text_put(s->text); /* replies still sending it keep it */
		s->text = NULL;
	}
	for (int i = 0; i < HO_MAX_HTTP; i++) {
		struct http_conn *h = &s->conns[i];
		uint64_t age = now - h->start_ns;

		if (h->fd < 0)
			continue;
		if (h->closing) {
			if (age > LINGER_NS)
				http_drop(s, h);
		} else if (age > (h->out ? REPLY_NS : REQUEST_NS)) {
			s->counts.dropped++;
			http_drop(s, h);
		}
	}
}
