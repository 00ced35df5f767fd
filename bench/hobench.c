// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hobench: the measuring half of bench/run.sh. Runs in the client namespace;
 * for what arrives on the wire it opens a packet socket in the peer namespace
 * (setns there and back: a socket stays in the namespace it was made in), so
 * SYNs are timestamped by the peer's kernel as they arrive.
 *
 *   hobench rate ADDR PORT SECONDS CLIENTS [PEER_NETNS]
 *	CLIENTS processes connect+close (RST, no TIME_WAIT) as fast as they
 *	can. Prints "rate CONN_PER_S"; with PEER_NETNS also "max_half_open N",
 *	the most attempts seen half-open on the wire (SYN in, no SYN-ACK/RST
 *	out yet).
 *   hobench release ADDR PORT LIMIT COUNT PEER_NETNS CSV
 *	LIMIT+COUNT attempts to a dropping port; then COUNT times: close the
 *	oldest in-flight one and time until the next SYN arrives in the peer.
 *	Samples (us) to CSV; prints "p50 p99 max" and "max_half_open".
 *   hobench storm ADDR PORT1 PORTS COUNT PEER_NETNS SECONDS
 *	COUNT non-blocking attempts over PORTS ports from PORT1 (TCP_SYNCNT 3:
 *	each gives up 15 s after its connect), from as many processes as the
 *	file limit needs; prints the time to start them, then waits up to
 *	SECONDS for them to end, and prints how they ended and "max_half_open".
 *
 * Test and benchmark use only, toward test namespaces. Everything is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 65536

static double now_rt(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/*
 * Per attempt (client port, and which of the peer's ports): first SYN seen in
 * the peer, and the end of half-open.
 */
struct wire {
	int fd;
	int base, nports; /* the peer's ports: base .. base+nports-1 */
	double *first_syn;
	double *end; /* SYN-ACK or RST out of the peer, or ended on our side */
	unsigned int seen;
};

static size_t slot(const struct wire *w, unsigned int client_port, unsigned int peer_port)
{
	unsigned int k = peer_port - (unsigned int)w->base;

	return (k < (unsigned int)w->nports ? k : 0) * MAX_PORTS + client_port;
}

static struct wire *wire_new(int base, int nports)
{
	struct wire *w = calloc(1, sizeof(*w));

	if (!w || !(w->first_syn = calloc((size_t)nports * MAX_PORTS, sizeof(double))) ||
	    !(w->end = calloc((size_t)nports * MAX_PORTS, sizeof(double))))
		die("hobench: calloc");
	w->base = base;
	w->nports = nports;
	return w;
}

/* cBPF: IPv4 TCP with SYN or RST set. */
static struct sock_filter syn_rst[] = {
	{0x28, 0, 0, 12},      {0x15, 0, 6, 0x0800}, {0x30, 0, 0, 23},	 {0x15, 0, 4, 6},
	{0xb1, 0, 0, 14},      {0x50, 0, 0, 27},     {0x45, 1, 0, 0x06}, {0x06, 0, 0, 0},
	{0x06, 0, 0, 0x40000}, {0x06, 0, 0, 0},
};

static void wire_open(struct wire *w, const char *netns)
{
	struct sock_fprog prog = {.len = sizeof(syn_rst) / sizeof(syn_rst[0]), .filter = syn_rst};
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), peer, one = 1, buf = 256 << 20;

	peer = open(netns, O_RDONLY | O_CLOEXEC);
	if (self < 0 || peer < 0 || setns(peer, CLONE_NEWNET))
		die("hobench: peer namespace");
	w->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	sll.sll_ifindex = (int)if_nametoindex("veth0");
	if (w->fd < 0 || !sll.sll_ifindex ||
	    setsockopt(w->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(w->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) ||
	    bind(w->fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("hobench: packet socket in the peer");
	if (setns(self, CLONE_NEWNET))
		die("hobench: back to our namespace");
	close(self);
	close(peer);
}

/* Read what arrived; returns the number of new first SYNs. */
static unsigned int wire_read(struct wire *w)
{
	unsigned char pkt[128];
	char cbuf[256];
	struct sockaddr_ll from;
	unsigned int news = 0;

	for (;;) {
		struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};
		struct msghdr m = {.msg_name = &from,
				   .msg_namelen = sizeof(from),
				   .msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = cbuf,
				   .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(w->fd, &m, 0);
		double t = now_rt();
		struct cmsghdr *c;
		unsigned int ihl, flags, sport, dport;

		if (n < 0)
			return news;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
			}
		if (n < 14 + 20 + 14)
			continue;
		ihl = (pkt[14] & 0xf) * 4u;
		if ((size_t)n < 14 + ihl + 14)
			continue;
		sport = (unsigned int)pkt[14 + ihl] << 8 | pkt[14 + ihl + 1];
		dport = (unsigned int)pkt[14 + ihl + 2] << 8 | pkt[14 + ihl + 3];
		flags = pkt[14 + ihl + 13];
		if (from.sll_pkttype != PACKET_OUTGOING && (flags & 0x12) == 0x02) {
			if (!w->first_syn[slot(w, sport, dport)]) {
				w->first_syn[slot(w, sport, dport)] = t;
				w->seen++;
				news++;
			}
		} else if (from.sll_pkttype == PACKET_OUTGOING && !w->end[slot(w, dport, sport)]) {
			w->end[slot(w, dport, sport)] = t; /* SYN-ACK or RST from the peer */
		}
	}
}

struct ev {
	double t;
	int d;
};

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->d - y->d; /* ends before starts at the same instant */
}

/* The most ports half-open at once on the wire; -1 if the sniffer lost packets. */
static int wire_max(const struct wire *w)
{
	struct tpacket_stats st;
	socklen_t sl = sizeof(st);

	if (getsockopt(w->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0 && st.tp_drops) {
		fprintf(stderr, "hobench: the packet socket dropped %u packets\n", st.tp_drops);
		return -1;
	}

	size_t all = (size_t)w->nports * MAX_PORTS, n = 0;
	struct ev *v = malloc(sizeof(*v) * 2 * all);
	int cur = 0, max = 0;

	if (!v)
		die("malloc");
	for (size_t p = 0; p < all; p++) {
		if (!w->first_syn[p])
			continue;
		v[n++] = (struct ev){w->first_syn[p], +1};
		if (w->end[p])
			v[n++] = (struct ev){w->end[p], -1};
	}
	qsort(v, n, sizeof(*v), cmp_ev);
	for (size_t i = 0; i < n; i++) {
		cur += v[i].d;
		if (cur > max)
			max = cur;
	}
	free(v);
	return max;
}

static void addr_of(const char *host, int port, struct sockaddr_in *a)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
		fprintf(stderr, "hobench: IPv4 address expected: %s\n", host);
		exit(2);
	}
}

static int local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	return getsockname(fd, (struct sockaddr *)&a, &l) ? -1 : ntohs(a.sin_port);
}

static int cmd_rate(int argc, char **argv)
{
	struct sockaddr_in a;
	double secs = atof(argv[2]), t0;
	int clients = atoi(argv[3]), pfd[2];
	long total = 0, n;
	struct wire *w = NULL;

	addr_of(argv[0], atoi(argv[1]), &a);
	if (secs <= 0 || secs > 60 || clients < 1 || clients > 16)
		return fprintf(stderr, "hobench rate: 0 < SECONDS <= 60, 1 <= CLIENTS <= 16\n"), 2;
	if (argc > 4) {
		w = wire_new(atoi(argv[1]), 1);
		wire_open(w, argv[4]);
	}
	if (pipe(pfd))
		die("pipe");
	t0 = now_rt();
	for (int c = 0; c < clients; c++) {
		if (fork() == 0) {
			struct linger lg = {.l_onoff = 1, .l_linger = 0};
			long done = 0;

			while (now_rt() - t0 < secs) {
				int fd = socket(AF_INET, SOCK_STREAM, 0);

				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
					done++;
				close(fd);
			}
			if (write(pfd[1], &done, sizeof(done)) != sizeof(done))
				_exit(1);
			_exit(0);
		}
	}
	close(pfd[1]);
	while (w && now_rt() - t0 < secs + 0.2) {
		struct pollfd p = {.fd = w->fd, .events = POLLIN};

		poll(&p, 1, 50);
		wire_read(w);
	}
	while (read(pfd[0], &n, sizeof(n)) == sizeof(n))
		total += n;
	while (wait(NULL) > 0)
		;
	printf("rate %.0f\n", (double)total / secs);
	if (w)
		printf("max_half_open %d\nsyns %u\n", wire_max(w), w->seen);
	return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_release(int argc, char **argv)
{
	struct sockaddr_in a;
	int limit = atoi(argv[2]), count = atoi(argv[3]), total, *fds, *ports;
	double *lat;
	struct wire *w = wire_new(atoi(argv[1]), 1);
	FILE *csv;

	(void)argc;
	addr_of(argv[0], atoi(argv[1]), &a);
	if (limit < 1 || limit > 1000 || count < 1 || count > 20000)
		return fprintf(stderr,
			       "hobench release: 1 <= LIMIT <= 1000, 1 <= COUNT <= 20000\n"),
		       2;
	total = limit + count;
	fds = calloc((size_t)total, sizeof(int));
	ports = calloc((size_t)total, sizeof(int));
	lat = calloc((size_t)count, sizeof(double));
	csv = fopen(argv[5], "w");
	if (!fds || !ports || !lat || !csv)
		die("hobench release");
	wire_open(w, argv[4]);
	for (int i = 0; i < total; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0 ||
		    (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS))
			die("hobench: connect");
		ports[i] = local_port(fds[i]);
	}
	/* wait for the first LIMIT SYNs, at most 5 s */
	for (double t = now_rt(); w->seen < (unsigned int)limit && now_rt() - t < 5;) {
		struct pollfd p = {.fd = w->fd, .events = POLLIN};

		poll(&p, 1, 100);
		wire_read(w);
	}
	fprintf(csv, "release,latency_us\n");
	for (int i = 0; i < count; i++) {
		size_t next = slot(w, (unsigned int)ports[limit + i], (unsigned int)w->base);
		double t0 = now_rt();

		w->end[slot(w, (unsigned int)ports[i], (unsigned int)w->base)] = t0;
		close(fds[i]);
		/* bounded: a release that takes a second counts as one */
		while (!w->first_syn[next] && now_rt() - t0 < 1.0) {
			struct pollfd p = {.fd = w->fd, .events = POLLIN};

			poll(&p, 1, 10);
			wire_read(w);
		}
		lat[i] = w->first_syn[next] ? (w->first_syn[next] - t0) * 1e6 : 1e6;
		fprintf(csv, "%d,%.1f\n", i, lat[i]);
	}
	fclose(csv);
	qsort(lat, (size_t)count, sizeof(double), cmp_dbl);
	printf("p50 %.1f\np99 %.1f\nmax %.1f\n", lat[count / 2], lat[(count * 99) / 100],
	       lat[count - 1]);
	for (double t = now_rt(); now_rt() - t < 0.2;)
		wire_read(w);
	printf("max_half_open %d\nsyns %u\n", wire_max(w), w->seen);
	return 0;
}

/* What a storm child tells the parent, one write each (atomic in a pipe). */
struct storm_rec {
	uint32_t kind; /* 0: all started, 1: one ended */
	int32_t err;
	uint64_t slot;
	double t;
};

/* One storm process: its share [from, to) of the attempts. */
static void storm_child(int wfd, const char *addr, int port1, int nports, int from, int to,
			double secs, const struct wire *w)
{
	struct storm_rec rec = {0};
	struct epoll_event ev, evs[256];
	struct sockaddr_in a;
	int n = to - from, ended = 0, ep = epoll_create1(0), syncnt = 3;
	int *fds = calloc((size_t)n, sizeof(int));
	double t0 = now_rt();

	if (!fds || ep < 0)
		die("hobench storm child");
	for (int i = 0; i < n; i++) {
		addr_of(addr, port1 + (from + i) % nports, &a);
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0)
			die("hobench: socket");
		/* 3 SYN retries: the storm's attempts give up after 15 s, not 127 s */
		setsockopt(fds[i], IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof(syncnt));
		if (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS)
			die("hobench: connect");
		ev = (struct epoll_event){.events = EPOLLOUT | EPOLLONESHOT,
					  .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	rec.t = now_rt();
	if (write(wfd, &rec, sizeof(rec)) != sizeof(rec))
		_exit(1);
	while (ended < n && now_rt() - t0 < secs) {
		int k = epoll_wait(ep, evs, 256, 50);

		for (int i = 0; i < k; i++) {
			int j = (int)evs[i].data.u32, err = 0, port = local_port(fds[j]);
			socklen_t l = sizeof(err);

			getsockopt(fds[j], SOL_SOCKET, SO_ERROR, &err, &l);
			rec = (struct storm_rec){.kind = 1, .err = err, .t = now_rt()};
			rec.slot = port > 0 ? slot(w, (unsigned int)port,
						   (unsigned int)(port1 + (from + j) % nports))
					    : (uint64_t)-1;
			if (write(wfd, &rec, sizeof(rec)) != sizeof(rec))
				_exit(1);
			ended++;
		}
	}
	_exit(0);
}

static int cmd_storm(int argc, char **argv)
{
	int port1 = atoi(argv[1]), nports = atoi(argv[2]), count = atoi(argv[3]);
	int out[4] = {0}, started = 0, ended = 0, procs, per, pfd[2];
	double secs = atof(argv[5]), t0, tstart = 0;
	struct rlimit rl;
	struct storm_rec rec;
	struct wire *w;

	(void)argc;
	if (count < 1 || count > 200000 || nports < 1 || nports > 16 || secs <= 0 || secs > 600)
		return fprintf(stderr, "hobench storm: COUNT 1..200000, PORTS 1..16\n"), 2;
	/* as many sockets as one process may hold; more processes if need be */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	per = (int)rl.rlim_cur - 256;
	if (per < 1000)
		return fprintf(stderr, "hobench storm: file limit too low\n"), 1;
	procs = (count + per - 1) / per;
	per = (count + procs - 1) / procs;
	w = wire_new(port1, nports);
	wire_open(w, argv[4]);
	if (pipe(pfd))
		die("pipe");
	t0 = now_rt();
	for (int p = 0; p < procs; p++) {
		int from = p * per, to = from + per < count ? from + per : count;

		if (fork() == 0) {
			close(pfd[0]);
			storm_child(pfd[1], argv[0], port1, nports, from, to, secs, w);
		}
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (bool open = true; open && now_rt() - t0 < secs + 5;) {
		struct pollfd p[2] = {{.fd = pfd[0], .events = POLLIN},
				      {.fd = w->fd, .events = POLLIN}};
		ssize_t n;

		poll(p, 2, 50);
		wire_read(w);
		while ((n = read(pfd[0], &rec, sizeof(rec))) == sizeof(rec)) {
			if (rec.kind == 0) {
				if (++started == procs) {
					tstart = rec.t;
					printf("started %d in %.3f s by %d processes\n", count,
					       tstart - t0, procs);
					fflush(stdout);
				}
				continue;
			}
			out[rec.err == 0	      ? 0
			    : rec.err == ECONNREFUSED ? 1
			    : rec.err == ETIMEDOUT    ? 2
						      : 3]++;
			if (rec.slot != (uint64_t)-1 && !w->end[rec.slot])
				w->end[rec.slot] = rec.t;
			ended++;
		}
		if (n == 0)
			open = false; /* every child is done */
	}
	while (wait(NULL) > 0)
		;
	wire_read(w);
	printf("ended %d: connected %d refused %d timed_out %d other %d pending %d\n", ended,
	       out[0], out[1], out[2], out[3], count - ended);
	printf("max_half_open %d\nsyns %u\n", wire_max(w), w->seen);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 6 && !strcmp(argv[1], "rate"))
		return cmd_rate(argc - 2, argv + 2);
	if (argc == 8 && !strcmp(argv[1], "release"))
		return cmd_release(argc - 2, argv + 2);
	if (argc == 8 && !strcmp(argv[1], "storm"))
		return cmd_storm(argc - 2, argv + 2);
	fprintf(stderr, "usage: hobench rate ADDR PORT SECONDS CLIENTS [PEER_NETNS]\n"
			"       hobench release ADDR PORT LIMIT COUNT PEER_NETNS CSV\n"
			"       hobench storm ADDR PORT1 PORTS COUNT PEER_NETNS SECONDS\n");
	return 2;
}
