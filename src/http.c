// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The optional metrics endpoint: HTTP/1.1 GET /metrics on 127.0.0.1 only,
 * off unless --metrics-port is set. One request per connection; requests,
 * connections and time are bounded; replies go out as the socket takes them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "daemon.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

#define HTTP_TIMEOUT_NS (5 * 1000000000ull)

int http_listen(struct daemon *d)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)d->o.c.metrics_port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_HTTP_LISTEN};
	int one = 1, fd;

	if (!d->o.c.metrics_port)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		pr_err("cannot serve metrics on 127.0.0.1:%u: %s", d->o.c.metrics_port,
		       strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	d->http_fd = fd;
	pr_info("serving metrics on http://127.0.0.1:%u/metrics", d->o.c.metrics_port);
	return 0;
}

static void http_drop(struct daemon *d, struct http_conn *h)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	close(h->fd);
	free(h->out);
	*h = (struct http_conn){.fd = -1};
}

void http_close_all(struct daemon *d)
{
	for (int i = 0; i < HO_MAX_HTTP; i++)
		if (d->http[i].fd >= 0)
			http_drop(d, &d->http[i]);
	if (d->http_fd >= 0)
		close(d->http_fd);
	d->http_fd = -1;
}

void http_accept(struct daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int fd, i;

	while ((fd = accept4(d->http_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < HO_MAX_HTTP && d->http[i].fd >= 0; i++)
			;
		ev.data.u64 = EV_HTTP | (uint64_t)fd;
		if (i == HO_MAX_HTTP || epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		d->http[i] = (struct http_conn){.fd = fd, .start_ns = now_ns()};
	}
}

static void respond(struct http_conn *h, const char *status, const char *type, const char *body,
		    size_t len)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);

	h->out = malloc((size_t)n + len);
	if (!h->out)
		return;
	memcpy(h->out, hdr, (size_t)n);
	memcpy(h->out + n, body, len);
	h->len = (size_t)n + len;
}

static void answer(struct daemon *d, struct http_conn *h)
{
	struct ho_ctl_status s;
	static struct ho_ctl_policy_row pol[HO_POLICIES_MAX];
	struct ho_ctl_stats_row *rows = NULL;
	char *text = NULL;
	size_t n = 0, len, npol;
	static const char nf[] = "not found: try /metrics\n";

	if (!strncmp(h->in, "GET /metrics ", 13) || !strncmp(h->in, "GET /metrics?", 13)) {
		fill_status(d, &s);
		collect_stats(d, true, &rows, &n);
		npol = policy_rows(d, pol, HO_POLICIES_MAX);
		if (metrics_format(&text, &len, &s, rows, n, pol, npol) == 0)
			respond(h, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, len);
		free(text);
		free(rows);
	} else if (strncmp(h->in, "GET ", 4) && strncmp(h->in, "HEAD ", 5)) {
		respond(h, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
	} else {
		respond(h, "404 Not Found", "text/plain", nf, sizeof(nf) - 1);
	}
}

static void flush(struct daemon *d, struct http_conn *h)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = EV_HTTP | (uint64_t)h->fd};
	ssize_t n;

	while (h->off < h->len) {
		n = send(h->fd, h->out + h->off, h->len - h->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			epoll_ctl(d->epfd, EPOLL_CTL_MOD, h->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		h->off += (size_t)n;
	}
	http_drop(d, h);
}

void http_event(struct daemon *d, int fd, uint32_t events)
{
	struct http_conn *h = NULL;
	ssize_t n;

	for (int i = 0; i < HO_MAX_HTTP; i++)
		if (d->http[i].fd == fd)
			h = &d->http[i];
	if (!h)
		return;
	if (h->out) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			flush(d, h);
		return;
	}
	n = recv(fd, h->in + h->inlen, sizeof(h->in) - 1 - h->inlen, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			http_drop(d, h);
		return;
	}
	h->inlen += (size_t)n;
	h->in[h->inlen] = '\0';
	if (!strstr(h->in, "\r\n\r\n") && !strstr(h->in, "\n\n")) {
		if (h->inlen == sizeof(h->in) - 1)
			http_drop(d, h); /* a request this long is not for us */
		return;
	}
	answer(d, h);
	if (!h->out) {
		http_drop(d, h);
		return;
	}
	flush(d, h);
}

void http_expire(struct daemon *d)
{
	uint64_t now = now_ns();

	for (int i = 0; i < HO_MAX_HTTP; i++)
		if (d->http[i].fd >= 0 && now - d->http[i].start_ns > HTTP_TIMEOUT_NS)
			http_drop(d, &d->http[i]);
}
