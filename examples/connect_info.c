// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * connect_info: connect to ADDR PORT and say what halfopen does with the
 * attempt, the way a P2P client would ask (halfopen(7)).
 *
 *   connect_info [-n] ADDR PORT
 *
 * -n asks not to be queued (HALFOPEN_NOQUEUE): if the attempt would have
 * waited, connect() fails at once with ENOBUFS and the program says so.
 * Otherwise it prints the attempt's state after connect(), then once more
 * after at most 5 seconds or when the connection is made or has failed.
 * With no halfopend in this network namespace the kernel answers
 * getsockopt(SOL_HALFOPEN) with an error, which the program reports too.
 *
 * Build: cc -o connect_info connect_info.c   (needs halfopen.h: -I/usr/local/include)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <halfopen.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const states[] = {"untracked", "in flight", "queued", "released", "ended"};
static const char *const scopes[] = {"none", "namespace", "cgroup", "user"};
static const char *const outcomes[] = {"unknown", "established", "refused", "failed", "closed"};

static const char *name(const char *const *names, unsigned int n, unsigned int v)
{
	return v < n ? names[v] : "?";
}

static void show(int fd)
{
	struct halfopen_info hi;
	socklen_t len = sizeof(hi);

	memset(&hi, 0, sizeof(hi));
	if (getsockopt(fd, SOL_HALFOPEN, HALFOPEN_INFO, &hi, &len)) {
		printf("halfopen: no answer (%s): no halfopend manages this namespace\n",
		       strerror(errno));
		return;
	}
	/* a newer kernel side may fill more than we know, an older one less */
	if (len < offsetof(struct halfopen_info, hi_scope_id)) {
		printf("halfopen: short answer (%u bytes)\n", len);
		return;
	}
	printf("halfopen: %s", name(states, 5, hi.hi_state));
	if (hi.hi_state == HALFOPEN_QUEUED)
		printf(", position %u, held back by the %s limit %u (%u in flight, %u queued)",
		       hi.hi_position, name(scopes, 4, hi.hi_scope), hi.hi_limit, hi.hi_in_flight,
		       hi.hi_queued);
	if (hi.hi_state == HALFOPEN_ENDED)
		printf(", %s", name(outcomes, 5, hi.hi_outcome));
	printf(", waited %llu ms%s%s\n", (unsigned long long)(hi.hi_waited_ns / 1000000),
	       hi.hi_flags & HALFOPEN_F_NOQUEUE ? ", noqueue" : "",
	       hi.hi_flags & HALFOPEN_F_WAS_QUEUED ? ", was queued" : "");
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	int noqueue = argc > 1 && !strcmp(argv[1], "-n"), one = 1, fd;
	struct pollfd p;
	socklen_t sl;

	if (argc != 3 + noqueue) {
		fprintf(stderr, "usage: connect_info [-n] ADDR PORT\n");
		return 2;
	}
	argv += noqueue;
	setvbuf(stdout, NULL, _IOLBF, 0); /* a line as soon as it is known */
	if (inet_pton(AF_INET, argv[1], &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)atoi(argv[2]));
		sl = sizeof(*in);
	} else if (inet_pton(AF_INET6, argv[1], &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)atoi(argv[2]));
		sl = sizeof(*in6);
	} else {
		fprintf(stderr, "connect_info: '%s' is not an address\n", argv[1]);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return perror("socket"), 1;
	if (noqueue && setsockopt(fd, SOL_HALFOPEN, HALFOPEN_NOQUEUE, &one, sizeof(one)))
		printf("halfopen: cannot ask not to be queued (%s)\n", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0) {
		printf("connect: connected\n");
	} else if (errno == EINPROGRESS) {
		printf("connect: in progress\n");
	} else if (errno == HALFOPEN_NOQUEUE_ERRNO) {
		/* the limit is full: try another peer, or this one later */
		printf("connect: refused at once, it would have been queued (%s)\n",
		       strerror(errno));
		close(fd);
		return 3;
	} else {
		printf("connect: %s\n", strerror(errno));
		return 1;
	}
	show(fd);
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, 5000) == 1)
		printf("connect: done\n");
	show(fd);
	close(fd);
	return 0;
}
