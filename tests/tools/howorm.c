// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * howorm: many destinations, a few at a time, for the containment tests.
 *
 *   howorm PORT CONC GIVEUP_MS SECONDS RANGE...
 *	RANGE is A.B.C.D+N: N consecutive IPv4 addresses from A.B.C.D.
 *	Connects (non-blocking) to each address once, taking the ranges in
 *	turn (one from each, then the next from each: a P2P client's mix of
 *	reachable and unreachable peers), keeping at most CONC attempts open
 *	and closing each that has not connected after GIVEUP_MS, as a worm or
 *	a client with its own connect timeout does. Stops after SECONDS or
 *	when every address was tried and answered or given up. Prints one line
 *	per attempt ended ("end ADDR connected|refused|failed|abandoned MS")
 *	and, at the end, "done attempts=N connected=N refused=N failed=N
 *	abandoned=N".
 *
 * Bounded in count (65536 addresses), time and concurrency (1..1000). Test
 * use only, toward test namespaces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ADDRS  65536
#define MAX_CONC   1000
#define MAX_RANGES 16

struct slot {
	int fd;
	uint32_t addr; /* host order */
	long start_ms;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ended(struct slot *s, const char *how, long now, long counts[4], int which)
{
	struct in_addr a = {.s_addr = htonl(s->addr)};

	printf("end %s %s %ld\n", inet_ntoa(a), how, now - s->start_ms);
	fflush(stdout);
	counts[which]++;
	close(s->fd);
	s->fd = -1;
}

int main(int argc, char **argv)
{
	static uint32_t addrs[MAX_ADDRS];
	static struct slot slots[MAX_CONC];
	static struct pollfd pfd[MAX_CONC];
	uint32_t base[MAX_RANGES], len[MAX_RANGES], n = 0, next = 0;
	long conc, giveup, seconds, start, counts[4] = {0}, port;
	int nr = argc - 5;

	if (argc < 6 || nr > MAX_RANGES || (port = atol(argv[1])) < 1 || port > 65535 ||
	    (conc = atol(argv[2])) < 1 || conc > MAX_CONC || (giveup = atol(argv[3])) < 1 ||
	    giveup > 600000 || (seconds = atol(argv[4])) < 1 || seconds > 600) {
		fprintf(stderr,
			"usage: howorm PORT CONC(1..%d) GIVEUP_MS SECONDS(1..600) "
			"A.B.C.D+N...\n",
			MAX_CONC);
		return 2;
	}
	for (int i = 0; i < nr; i++) {
		char buf[64], *plus;
		struct in_addr a;

		snprintf(buf, sizeof(buf), "%s", argv[5 + i]);
		plus = strchr(buf, '+');
		if (!plus || (*plus = '\0', inet_pton(AF_INET, buf, &a) != 1) ||
		    atol(plus + 1) < 1 || atol(plus + 1) > MAX_ADDRS) {
			fprintf(stderr, "howorm: bad range %s\n", argv[5 + i]);
			return 2;
		}
		base[i] = ntohl(a.s_addr);
		len[i] = (uint32_t)atol(plus + 1);
	}
	/* one from each range in turn */
	for (uint32_t k = 0; n < MAX_ADDRS; k++) {
		uint32_t added = 0;

		for (int i = 0; i < nr && n < MAX_ADDRS; i++)
			if (k < len[i]) {
				addrs[n++] = base[i] + k;
				added++;
			}
		if (!added)
			break;
	}
	for (int i = 0; i < conc; i++)
		slots[i].fd = -1;
	start = now_ms();
	for (;;) {
		long now = now_ms();
		int open = 0;

		for (int i = 0; i < conc; i++) {
			struct slot *s = &slots[i];

			if (s->fd < 0 && next < n && now - start < seconds * 1000) {
				struct sockaddr_in in = {.sin_family = AF_INET,
							 .sin_port = htons((uint16_t)port),
							 .sin_addr.s_addr = htonl(addrs[next])};

				s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
				if (s->fd < 0) {
					perror("howorm: socket");
					return 1;
				}
				s->addr = addrs[next++];
				s->start_ms = now;
				if (connect(s->fd, (struct sockaddr *)&in, sizeof(in)) &&
				    errno != EINPROGRESS)
					ended(s, "failed", now, counts, 2);
			}
			if (s->fd >= 0 && now - s->start_ms >= giveup)
				ended(s, "abandoned", now, counts, 3);
			pfd[i] = (struct pollfd){.fd = s->fd, .events = POLLOUT};
			open += s->fd >= 0;
		}
		if (!open && (next >= n || now - start >= seconds * 1000))
			break;
		if (poll(pfd, (nfds_t)conc, 20) < 0 && errno != EINTR) {
			perror("howorm: poll");
			return 1;
		}
		now = now_ms();
		for (int i = 0; i < conc; i++) {
			struct slot *s = &slots[i];
			int err = 0;
			socklen_t l = sizeof(err);

			if (s->fd < 0 || !(pfd[i].revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			(void)getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (!err)
				ended(s, "connected", now, counts, 0);
			else if (err == ECONNREFUSED)
				ended(s, "refused", now, counts, 1);
			else
				ended(s, "failed", now, counts, 2);
		}
	}
	printf("done attempts=%u connected=%ld refused=%ld failed=%ld abandoned=%ld\n", next,
	       counts[0], counts[1], counts[2], counts[3]);
	return 0;
}
