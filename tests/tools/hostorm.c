// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostorm: a storm of connection attempts for the namespace tests, paced.
 *
 *   hostorm ADDR PORT COUNT RATE ABANDON_MS
 *	Start COUNT non-blocking connects to ADDR:PORT, RATE a second, and
 *	close each ABANDON_MS after it started (a scanner giving up), whatever
 *	its state. Prints "started N in MS" and "done" when the last is closed.
 *
 * Bounded: it ends COUNT / RATE + ABANDON_MS after it started, give or take
 * a few ms. Test use only, toward test namespaces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 19000 /* below the 20,000 files a process may have here */

struct sock {
	int fd;
	long start_us;
};

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	struct sock *s;
	long count, rate, abandon_us, t0, now;
	long started = 0, closed = 0;

	if (argc != 6 || (count = atol(argv[3])) < 1 || count > MAX_COUNT ||
	    (rate = atol(argv[4])) < 1 || rate > 1000000 || atol(argv[5]) < 0 ||
	    atol(argv[5]) > 600000) {
		fprintf(stderr, "usage: hostorm ADDR PORT COUNT(1..%d) RATE ABANDON_MS\n",
			MAX_COUNT);
		return 2;
	}
	abandon_us = atol(argv[5]) * 1000;
	if (inet_pton(AF_INET, argv[1], &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(argv[2]));
		len = sizeof(*in);
	} else if (inet_pton(AF_INET6, argv[1], &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)atoi(argv[2]));
		len = sizeof(*in6);
	} else {
		fprintf(stderr, "hostorm: bad address %s\n", argv[1]);
		return 2;
	}
	s = calloc((size_t)count, sizeof(*s));
	if (!s)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = now_us();
	while (closed < count) {
		struct timespec nap = {0, 200000};

		now = now_us();
		/* start what is due by now */
		while (started < count && started * 1000000L / rate <= now - t0) {
			struct sock *x = &s[started];

			x->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (x->fd < 0) {
				perror("hostorm: socket");
				return 1;
			}
			x->start_us = now_us();
			if (connect(x->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS &&
			    errno != ECONNREFUSED) {
				perror("hostorm: connect");
				return 1;
			}
			if (++started == count)
				printf("started %ld in %ld ms\n", count, (now_us() - t0) / 1000);
		}
		/* abandon, oldest first */
		while (closed < started && s[closed].start_us + abandon_us <= now) {
			close(s[closed].fd);
			closed++;
		}
		nanosleep(&nap, NULL);
	}
	printf("done\n");
	free(s);
	return 0;
}
