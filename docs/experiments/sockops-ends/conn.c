// Traffic generator. Modes:
//  conn burst  N DST PORT SYNCNT START_EPOCH_MS MAXSECS [CLOSE_AFTER_MS]
//     N non-blocking connects (TCP_SYNCNT), wait (epoll) for each to finish, classify SO_ERROR.
//     If CLOSE_AFTER_MS>0: close() all sockets after that many ms instead of waiting.
//  conn seq    N DST PORT MAXSECS      sequential blocking connect+close, prints rate
//  conn listen PORT MAXSECS            accept+close loop
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "listen")) {
		int port = atoi(argv[2]), maxs = atoi(argv[3]);
		int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
		if (bind(s, (void *)&a, sizeof a) || listen(s, 4096)) {
			perror("listen");
			return 1;
		}
		struct timeval tv = {1, 0};
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		double end = now() + maxs;
		long n = 0;
		while (now() < end) {
			int c = accept(s, NULL, NULL);
			if (c >= 0) {
				close(c);
				n++;
			}
		}
		printf("listener accepted=%ld\n", n);
		return 0;
	}
	if (!strcmp(argv[1], "seq")) {
		long n = atol(argv[2]);
		const char *dst = argv[3];
		int port = atoi(argv[4]), maxs = atoi(argv[5]);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
		inet_pton(AF_INET, dst, &a.sin_addr);
		double t0 = now(), end = t0 + maxs;
		long ok = 0, err = 0, i;
		for (i = 0; i < n && now() < end; i++) {
			int s = socket(AF_INET, SOCK_STREAM, 0);
			struct linger lg = {1,
					    0}; /* RST on close: avoid TIME_WAIT/port exhaustion */
			setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			if (connect(s, (void *)&a, sizeof a) == 0)
				ok++;
			else
				err++;
			close(s);
		}
		double dt = now() - t0;
		printf("seq n=%ld ok=%ld err=%ld secs=%.3f rate=%.0f/s\n", i, ok, err, dt, i / dt);
		return 0;
	}
	/* burst */
	long n = atol(argv[2]);
	const char *dst = argv[3];
	int port = atoi(argv[4]), syncnt = atoi(argv[5]);
	double start = atof(argv[6]) / 1000.0;
	int maxs = atoi(argv[7]);
	int close_after = argc > 8 ? atoi(argv[8]) : 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, dst, &a.sin_addr);
	int *fds = calloc(n, sizeof(int));
	int ep = epoll_create1(0);
	while (now() < start)
		usleep(1000);
	double t0 = now();
	long started = 0, immediate_err = 0;
	for (long i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (s < 0) {
			perror("socket");
			break;
		}
		setsockopt(s, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof syncnt);
		int r = connect(s, (void *)&a, sizeof a);
		if (r < 0 && errno != EINPROGRESS) {
			immediate_err++;
			close(s);
			fds[i] = -1;
			continue;
		}
		fds[i] = s;
		started++;
		struct epoll_event ev = {.events = EPOLLOUT | EPOLLONESHOT, .data.u64 = i};
		epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	}
	double t1 = now();
	long res[256] = {0}, done = 0;
	double first = 0, last = 0;
	if (close_after > 0) {
		usleep(close_after * 1000);
		for (long i = 0; i < n; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		printf("pid=%d uid=%d started=%ld immediate_err=%ld connect_secs=%.3f "
		       "closed_after_ms=%d\n",
		       getpid(), getuid(), started, immediate_err, t1 - t0, close_after);
		return 0;
	}
	double end = now() + maxs;
	struct epoll_event evs[1024];
	while (done < started && now() < end) {
		int k = epoll_wait(ep, evs, 1024, 500);
		for (int j = 0; j < k; j++) {
			int s = fds[evs[j].data.u64], e = 0;
			socklen_t el = sizeof e;
			getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el);
			res[e & 255]++;
			done++;
			double t = now();
			if (!first)
				first = t;
			last = t;
		}
	}
	printf("pid=%d uid=%d started=%ld immediate_err=%ld connect_secs=%.3f done=%ld pending=%ld",
	       getpid(), getuid(), started, immediate_err, t1 - t0, done, started - done);
	for (int e = 0; e < 256; e++)
		if (res[e])
			printf(" %s=%ld", e ? strerrorname_np(e) : "OK", res[e]);
	printf(" first_done=%.3f last_done=%.3f spread_ms=%.1f\n", first, last,
	       (last - first) * 1000);
	for (long i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}
