// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoconn: the connecting test client, driven by the namespace tests.
 *
 *   hoconn ADDR PORT COUNT
 *	Start COUNT non-blocking connects to ADDR:PORT in order; print
 *	"conn I SPORT" for each, then "ready". Then read commands on stdin:
 *	  close I           close socket I                    -> "closed I"
 *	  wait I MS         wait for socket I to finish       -> "result I STATE MS"
 *	  waitall MS        wait for all open sockets         -> "results connected=N
 *	                                                          refused=N failed=N pending=N"
 *	  quit
 *	STATE is connected, refused, failed or pending (still connecting).
 *
 *   hoconn -s ADDR PORT COUNT
 *	COUNT sequential blocking connect+close; prints "ok N failed M".
 *
 * Every wait is bounded by its MS. Test use only, toward test namespaces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 200000

struct conn {
	int fd;
	int state; /* 0 pending, 1 connected, 2 refused, 3 failed, 4 closed */
};

static const char *const names[] = {"pending", "connected", "refused", "failed", "closed"};
static struct conn *conns;
static int nconns;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_addr(const char *host, const char *port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(port));
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)atoi(port));
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static void settle(struct conn *c, short revents)
{
	int err = 0;
	socklen_t l = sizeof(err);

	if (c->state != 0 || !(revents & (POLLOUT | POLLERR | POLLHUP)))
		return;
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
	c->state = err == 0 ? 1 : err == ECONNREFUSED ? 2 : 3;
}

/* Wait until the sockets in [from, to) are settled or ms pass. */
static void wait_range(int from, int to, long ms)
{
	long end = now_ms() + ms;
	struct pollfd *p = calloc((size_t)(to - from), sizeof(*p));
	int n, i, *idx = calloc((size_t)(to - from), sizeof(*idx));

	if (!p || !idx)
		exit(1);
	for (;;) {
		n = 0;
		for (i = from; i < to; i++)
			if (conns[i].state == 0) {
				p[n] = (struct pollfd){.fd = conns[i].fd, .events = POLLOUT};
				idx[n++] = i;
			}
		if (n == 0 || now_ms() >= end)
			break;
		if (poll(p, (nfds_t)n, (int)(end - now_ms())) <= 0)
			continue;
		for (i = 0; i < n; i++)
			settle(&conns[idx[i]], p[i].revents);
	}
	free(p);
	free(idx);
}

static int sequential(const struct sockaddr_storage *ss, socklen_t len, int count)
{
	int ok = 0, failed = 0;

	for (int i = 0; i < count; i++) {
		int fd = socket(ss->ss_family, SOCK_STREAM, 0);

		if (fd >= 0 && connect(fd, (const struct sockaddr *)ss, len) == 0)
			ok++;
		else
			failed++;
		if (fd >= 0)
			close(fd);
	}
	printf("ok %d failed %d\n", ok, failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char line[256];
	bool seq = argc > 1 && !strcmp(argv[1], "-s");
	int count;

	if (seq) {
		argv++;
		argc--;
	}
	if (argc != 4 || parse_addr(argv[1], argv[2], &ss, &len) || (count = atoi(argv[3])) < 1 ||
	    count > MAX_CONNS) {
		fprintf(stderr, "usage: hoconn [-s] ADDR PORT COUNT (COUNT 1..%d)\n", MAX_CONNS);
		return 2;
	}
	if (seq)
		return sequential(&ss, len, count);
	conns = calloc((size_t)count, sizeof(*conns));
	if (!conns)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (nconns = 0; nconns < count; nconns++) {
		struct conn *c = &conns[nconns];
		struct sockaddr_storage local;
		socklen_t ll = sizeof(local);

		c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (c->fd < 0) {
			perror("hoconn: socket");
			return 1;
		}
		if (connect(c->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
			c->state = errno == ECONNREFUSED ? 2 : 3;
		getsockname(c->fd, (struct sockaddr *)&local, &ll);
		printf("conn %d %u\n", nconns,
		       ntohs(local.ss_family == AF_INET6
				     ? ((struct sockaddr_in6 *)&local)->sin6_port
				     : ((struct sockaddr_in *)&local)->sin_port));
	}
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		int i = -1;
		long ms = 0;

		if (sscanf(line, "close %d", &i) == 1 && i >= 0 && i < nconns) {
			if (conns[i].fd >= 0)
				close(conns[i].fd);
			conns[i].fd = -1;
			conns[i].state = 4;
			printf("closed %d\n", i);
		} else if (sscanf(line, "wait %d %ld", &i, &ms) == 2 && i >= 0 && i < nconns) {
			long t0 = now_ms();

			wait_range(i, i + 1, ms);
			printf("result %d %s %ld\n", i, names[conns[i].state], now_ms() - t0);
		} else if (sscanf(line, "waitall %ld", &ms) == 1) {
			int n[5] = {0};

			wait_range(0, nconns, ms);
			for (i = 0; i < nconns; i++)
				n[conns[i].state]++;
			printf("results connected=%d refused=%d failed=%d pending=%d\n", n[1], n[2],
			       n[3], n[0]);
		} else if (!strncmp(line, "quit", 4)) {
			break;
		} else {
			printf("error unknown command\n");
		}
	}
	return 0;
}
