// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hobench: the measuring half of bench/run.sh. Runs in the client namespace;
 * for what arrives on the wire it opens a packet socket in the peer namespace
 * (setns there and back: a socket stays in the namespace it was made in), so
 * SYNs are timestamped by the peer's kernel as they arrive.
 *
 *   hobench rate ADDR PORT SECONDS CLIENTS [PEER_NETNS]
 *	CLIENTS processes connect+close (RST, no TIME_WAIT) as fast as they
 *	can. Prints "rate CONN_PER_S" and "cpu_us N" (the CPU time the
 *	clients used, softirq work done in their context included); with
 *	PEER_NETNS also "certain_max N".
 *   hobench release ADDR PORT LIMIT COUNT PEER_NETNS CSV
 *	LIMIT+COUNT attempts to a dropping port; then COUNT times: close the
 *	oldest in-flight one and time until the next SYN arrives in the peer.
 *	Samples (us) to CSV; prints "p50 p99 max" and "certain_max".
 *   hobench storm ADDR PORT1 PORTS COUNT PEER_NETNS SECONDS [RATE]
 *	COUNT non-blocking attempts over PORTS ports from PORT1 (TCP_SYNCNT 3:
 *	each gives up 15 s after its connect, or 19 s with the 4 linear retries
 *	of net.ipv4.tcp_syn_linear_timeouts), RATE a second (default 0: all at
 *	once), from as many processes as the file limit needs; the sockets stay
 *	open until they end. Prints the time to start them, then waits up to
 *	SECONDS for them to end, and prints how they ended, "certain_max_storm"
 *	(to the storm's ports) and "certain_max" (to any port of the peer).
 *
 * certain_max is the most sockets certainly half-open at once on the wire: a
 * lower bound of the true figure, so a value over the limit proves that the
 * limit was exceeded (see wire_max). Also printed: "syns" (sockets seen),
 * "wire_drops" (packets the capture missed) and "wire_full" (sockets not
 * remembered), which only make the bound lower, and for storm
 * "answers_unconfirmed" (answers to sockets the client saw time out: a SYN
 * let out after its socket died; not counted). With HOBENCH_WIRE=FILE, every
 * socket seen is written to FILE as CSV.
 *
 *   hobench sockopt ADDR PORT SECONDS
 *	getsockopt(TCP_INFO) in a loop on one connection to ADDR:PORT.
 *	Prints "rate CALLS_PER_S".
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
 * What the peer saw, per socket: a socket is its 4-tuple (one client address,
 * one peer address: client port and peer port) and its initial sequence
 * number, which every retransmission of its SYN repeats and the peer's answer
 * acknowledges. The times are the peer kernel's (SO_TIMESTAMPNS) or, for a
 * close, the client's own clock read just before close(): both CLOCK_REALTIME.
 *
 * A SYN the daemon lets out after its socket died (released from the queue as
 * the socket timed out) is answered all the same: where the client reports
 * how its sockets ended (the storm's ports), an answer counts only for a
 * socket the client saw connected or refused: one the answer found in SYN_SENT.
 */
struct sock_rec {
	double first_syn, last_syn; /* SYNs seen arriving in the peer */
	double answer;		    /* the peer's SYN-ACK or RST to it, 0: none */
	double close;		    /* the client's own close of it, 0: none */
	uint32_t isn;
	uint16_t cport, pport;
	uint32_t syns;	/* SYNs seen: the first and its retransmissions */
	int32_t next;	/* older socket in the same bucket, -1: none */
	bool confirmed; /* the client saw it connected or refused */
};

/*
 * What the client did or saw, matched to its socket when the wire is summed
 * up: a close (T read just before close()), or an answer (T after it).
 */
struct client_ev {
	double t;
	uint16_t cport, pport;
	bool answered;
};

#define WIRE_BUCKETS (1u << 20)
#define WIRE_MAX     (4u << 20) /* sockets remembered at most: bounded memory */

struct wire {
	int fd;
	int32_t *head; /* per bucket of (client port, peer port): newest socket */
	struct sock_rec *s;
	size_t n, cap;
	struct client_ev *cl;
	size_t ncl, capcl;
	unsigned int seen, full;
	unsigned int confirm_lo, confirm_hi; /* peer ports whose answers the client confirms */
};

static size_t bucket(unsigned int cport, unsigned int pport)
{
	return ((cport * 2654435761u) ^ (pport * 40503u)) & (WIRE_BUCKETS - 1);
}

static struct wire *wire_new(void)
{
	struct wire *w = calloc(1, sizeof(*w));

	if (!w || !(w->head = malloc(WIRE_BUCKETS * sizeof(int32_t))))
		die("hobench: malloc");
	memset(w->head, 0xff, WIRE_BUCKETS * sizeof(int32_t));
	return w;
}

/* The newest socket of a 4-tuple (with the ISN if want_isn), or NULL. */
static struct sock_rec *wire_find(const struct wire *w, unsigned int cport, unsigned int pport,
				  bool want_isn, uint32_t isn)
{
	for (int32_t i = w->head[bucket(cport, pport)]; i >= 0; i = w->s[i].next) {
		struct sock_rec *r = &w->s[i];

		if (r->cport == cport && r->pport == pport && (!want_isn || r->isn == isn))
			return r;
	}
	return NULL;
}

static struct sock_rec *wire_add(struct wire *w, unsigned int cport, unsigned int pport,
				 uint32_t isn)
{
	size_t b = bucket(cport, pport);

	if (w->n == w->cap) {
		if (w->cap >= WIRE_MAX) {
			w->full++;
			return NULL;
		}
		w->cap = w->cap ? w->cap * 2 : 65536;
		w->s = realloc(w->s, w->cap * sizeof(*w->s));
		if (!w->s)
			die("hobench: realloc");
	}
	w->s[w->n] = (struct sock_rec){
		.isn = isn, .cport = (uint16_t)cport, .pport = (uint16_t)pport, .next = w->head[b]};
	w->head[b] = (int32_t)w->n;
	w->seen++;
	return &w->s[w->n++];
}

/* The client closed the socket of this 4-tuple, or saw it answered. */
static void wire_client(struct wire *w, unsigned int cport, unsigned int pport, double t,
			bool answered)
{
	if (w->ncl == w->capcl) {
		w->capcl = w->capcl ? w->capcl * 2 : 4096;
		w->cl = realloc(w->cl, w->capcl * sizeof(*w->cl));
		if (!w->cl)
			die("hobench: realloc");
	}
	w->cl[w->ncl++] = (struct client_ev){t, (uint16_t)cport, (uint16_t)pport, answered};
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

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read what arrived; returns the number of new sockets seen. */
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
		const unsigned char *tcp;
		unsigned int ihl, flags, sport, dport;
		struct sock_rec *r;

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
		tcp = pkt + 14 + ihl;
		sport = (unsigned int)tcp[0] << 8 | tcp[1];
		dport = (unsigned int)tcp[2] << 8 | tcp[3];
		flags = tcp[13];
		if (from.sll_pkttype != PACKET_OUTGOING) {
			if ((flags & 0x12) != 0x02)
				continue; /* not a client's SYN */
			r = wire_find(w, sport, dport, true, be32(tcp + 4));
			if (!r) {
				r = wire_add(w, sport, dport, be32(tcp + 4));
				if (!r)
					continue;
				r->first_syn = t;
				news++;
			}
			r->last_syn = t;
			r->syns++;
		} else if (flags & 0x10) {
			/* SYN-ACK, or RST+ACK: the peer answers the SYN whose ISN it acks */
			r = wire_find(w, dport, sport, true, be32(tcp + 8) - 1);
			if (r && !r->answer)
				r->answer = t;
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
	return y->d - x->d; /* closed intervals: starts before ends at the same instant */
}

/* Give what the client did or saw to the newest socket of its 4-tuple seen before. */
static void wire_settle(struct wire *w)
{
	for (size_t i = 0; i < w->ncl; i++) {
		const struct client_ev *e = &w->cl[i];

		for (int32_t j = w->head[bucket(e->cport, e->pport)]; j >= 0; j = w->s[j].next) {
			struct sock_rec *r = &w->s[j];

			if (r->cport != e->cport || r->pport != e->pport || r->first_syn > e->t)
				continue;
			if (e->answered)
				r->confirmed = true;
			else if (!r->close || e->t < r->close)
				r->close = e->t;
			break;
		}
	}
	w->ncl = 0;
}

/*
 * The certain lower bound of the most sockets half-open at once, among those
 * to peer ports LO..HI. A socket is certainly half-open from its first SYN
 * seen in the peer until the latest of its last SYN seen and the moment it
 * left SYN_SENT at the earliest: the peer's answer (see sock_rec) or the
 * client's own close, whichever came first. A socket that timed out counts
 * until its last SYN only; packets the capture missed only shorten intervals:
 * still a lower bound.
 */
static int wire_max(struct wire *w, unsigned int lo, unsigned int hi)
{
	struct ev *v = malloc(sizeof(*v) * 2 * (w->n + 1));
	size_t n = 0;
	int cur = 0, max = 0;

	if (!v)
		die("malloc");
	wire_settle(w);
	for (size_t i = 0; i < w->n; i++) {
		const struct sock_rec *r = &w->s[i];
		double end = r->last_syn, left = r->answer;

		if (r->pport < lo || r->pport > hi)
			continue;
		if (r->pport >= w->confirm_lo && r->pport <= w->confirm_hi && !r->confirmed)
			left = 0;
		if (r->close && (!left || r->close < left))
			left = r->close;
		if (left > end)
			end = left;
		v[n++] = (struct ev){r->first_syn, +1};
		v[n++] = (struct ev){end, -1};
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

/*
 * Sockets seen, and what the capture missed (its count is reset by reading it).
 * With HOBENCH_WIRE=FILE set, every socket seen is also written there as CSV.
 */
static void wire_print(struct wire *w)
{
	struct tpacket_stats st = {0};
	socklen_t sl = sizeof(st);
	const char *path = getenv("HOBENCH_WIRE");
	FILE *f;

	unsigned int stale = 0;

	wire_settle(w);
	for (size_t i = 0; i < w->n; i++)
		stale += w->s[i].pport >= w->confirm_lo && w->s[i].pport <= w->confirm_hi &&
			 w->s[i].answer && !w->s[i].confirmed;
	getsockopt(w->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	printf("syns %u\nwire_drops %u\nwire_full %u\n", w->seen, st.tp_drops, w->full);
	if (w->confirm_hi)
		printf("answers_unconfirmed %u\n", stale);
	if (!path || !*path)
		return;
	f = fopen(path, "w");
	if (!f)
		die("hobench: HOBENCH_WIRE");
	fprintf(f, "client_port,peer_port,isn,syns,first_syn,last_syn,answer,close,confirmed\n");
	for (size_t i = 0; i < w->n; i++) {
		const struct sock_rec *r = &w->s[i];

		fprintf(f, "%u,%u,%u,%u,%.6f,%.6f,%.6f,%.6f,%d\n", r->cport, r->pport, r->isn,
			r->syns, r->first_syn, r->last_syn, r->answer, r->close, r->confirmed);
	}
	fclose(f);
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

/* CPU time of the waited-for children, user and system (softirqs run in them included). */
static double children_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru))
		die("getrusage");
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec;
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
		w = wire_new();
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
	printf("cpu_us %.0f\n", children_cpu_us());
	if (w) {
		wire_read(w);
		printf("certain_max %d\n", wire_max(w, 0, 65535));
		wire_print(w);
	}
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
	int port = atoi(argv[1]), limit = atoi(argv[2]), count = atoi(argv[3]), total, *fds, *ports;
	double *lat;
	struct wire *w = wire_new();
	FILE *csv;

	(void)argc;
	addr_of(argv[0], port, &a);
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
		unsigned int next = (unsigned int)ports[limit + i];
		const struct sock_rec *r;
		double t0 = now_rt();

		/* read before close(): the socket was still half-open then */
		wire_client(w, (unsigned int)ports[i], (unsigned int)port, t0, false);
		close(fds[i]);
		/* bounded: a release that takes a second counts as one */
		while (!(r = wire_find(w, next, (unsigned int)port, false, 0)) &&
		       now_rt() - t0 < 1.0) {
			struct pollfd p = {.fd = w->fd, .events = POLLIN};

			poll(&p, 1, 10);
			wire_read(w);
		}
		lat[i] = r ? (r->first_syn - t0) * 1e6 : 1e6;
		fprintf(csv, "%d,%.1f\n", i, lat[i]);
	}
	fclose(csv);
	qsort(lat, (size_t)count, sizeof(double), cmp_dbl);
	printf("p50 %.1f\np99 %.1f\nmax %.1f\n", lat[count / 2], lat[(count * 99) / 100],
	       lat[count - 1]);
	for (double t = now_rt(); now_rt() - t < 0.2;)
		wire_read(w);
	printf("certain_max %d\n", wire_max(w, 0, 65535));
	wire_print(w);
	return 0;
}

/* What a storm child tells the parent, one write each (atomic in a pipe). */
struct storm_rec {
	uint32_t kind; /* 0: all started, 1: one ended */
	int32_t err;
	double t;
	uint16_t cport, pport; /* the socket that ended; cport 0: unknown */
};

/*
 * One storm process: its share [from, to) of the attempts, RATE a second
 * (0: all at once), each kept open until it ends or SECS have passed.
 */
static void storm_child(int wfd, const char *addr, int port1, int nports, int from, int to,
			double secs, double rate)
{
	struct storm_rec rec;
	struct epoll_event ev, evs[256];
	struct sockaddr_in a;
	int n = to - from, made = 0, ended = 0, ep = epoll_create1(0), syncnt = 3;
	int *fds = calloc((size_t)n, sizeof(int));
	double t0 = now_rt();
	bool told = false;

	if (!fds || ep < 0)
		die("hobench storm child");
	while ((made < n || ended < made) && now_rt() - t0 < secs) {
		int due = rate > 0 ? (int)((now_rt() - t0) * rate) + 1 : n, k;

		for (; made < n && made < due; made++) {
			int i = made;

			addr_of(addr, port1 + (from + i) % nports, &a);
			fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (fds[i] < 0)
				die("hobench: socket");
			/* 3 SYN retries: the storm's attempts give up after 15 s (or 19), not 127 s */
			setsockopt(fds[i], IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof(syncnt));
			if (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) &&
			    errno != EINPROGRESS)
				die("hobench: connect");
			ev = (struct epoll_event){.events = EPOLLOUT | EPOLLONESHOT,
						  .data.u32 = (uint32_t)i};
			epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
		}
		if (made == n && !told) {
			told = true;
			rec = (struct storm_rec){.kind = 0, .t = now_rt()};
			if (write(wfd, &rec, sizeof(rec)) != sizeof(rec))
				_exit(1);
		}
		k = epoll_wait(ep, evs, 256, made < n ? 1 : 50);
		for (int i = 0; i < k; i++) {
			int j = (int)evs[i].data.u32, err = 0, port = local_port(fds[j]);
			socklen_t l = sizeof(err);

			getsockopt(fds[j], SOL_SOCKET, SO_ERROR, &err, &l);
			rec = (struct storm_rec){.kind = 1,
						 .err = err,
						 .t = now_rt(),
						 .cport = (uint16_t)(port > 0 ? port : 0),
						 .pport = (uint16_t)(port1 + (from + j) % nports)};
			if (write(wfd, &rec, sizeof(rec)) != sizeof(rec))
				_exit(1);
			ended++;
		}
	}
	_exit(0);
}

/*
 * Prints the start, how the attempts ended (as the client saw them), and the
 * certain most half-open at once on the wire: to the storm's ports, and to
 * any port of the peer (the storm and whatever else connects meanwhile).
 */
static int cmd_storm(int argc, char **argv)
{
	int port1 = atoi(argv[1]), nports = atoi(argv[2]), count = atoi(argv[3]);
	int out[4] = {0}, started = 0, ended = 0, procs, per, pfd[2];
	double secs = atof(argv[5]), rate = argc > 6 ? atof(argv[6]) : 0, t0;
	struct rlimit rl;
	struct storm_rec rec;
	struct wire *w;

	if (count < 1 || count > 200000 || nports < 1 || nports > 16 || secs <= 0 || secs > 600 ||
	    rate < 0 || rate > 1e6)
		return fprintf(stderr, "hobench storm: COUNT 1..200000, PORTS 1..16, "
				       "SECONDS 1..600, RATE 0..1000000\n"),
		       2;
	/* as many sockets as one process may hold; more processes if need be */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	per = (int)rl.rlim_cur - 256;
	if (per < 1000)
		return fprintf(stderr, "hobench storm: file limit too low\n"), 1;
	procs = (count + per - 1) / per;
	per = (count + procs - 1) / procs;
	w = wire_new();
	/* the children report how each socket to the storm's ports ended */
	w->confirm_lo = (unsigned int)port1;
	w->confirm_hi = (unsigned int)(port1 + nports - 1);
	wire_open(w, argv[4]);
	if (pipe(pfd))
		die("pipe");
	t0 = now_rt();
	for (int p = 0; p < procs; p++) {
		int from = p * per, to = from + per < count ? from + per : count;

		if (fork() == 0) {
			close(pfd[0]);
			storm_child(pfd[1], argv[0], port1, nports, from, to, secs,
				    rate * (to - from) / count);
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
					printf("started %d in %.3f s by %d processes\n", count,
					       rec.t - t0, procs);
					fflush(stdout);
				}
				continue;
			}
			if ((rec.err == 0 || rec.err == ECONNREFUSED) && rec.cport)
				wire_client(w, rec.cport, rec.pport, rec.t, true);
			out[rec.err == 0	      ? 0
			    : rec.err == ECONNREFUSED ? 1
			    : rec.err == ETIMEDOUT    ? 2
						      : 3]++;
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
	printf("certain_max_storm %d\n",
	       wire_max(w, (unsigned int)port1, (unsigned int)(port1 + nports - 1)));
	printf("certain_max %d\n", wire_max(w, 0, 65535));
	wire_print(w);
	return 0;
}

/*
 * getsockopt(TCP_INFO) on one established connection, as fast as it goes:
 * every call runs the cgroup/getsockopt programs attached (halfopen(7)).
 */
static int cmd_sockopt(char **argv)
{
	struct sockaddr_in a;
	double secs = atof(argv[2]), t0, t;
	struct tcp_info ti;
	long calls = 0;
	int fd;

	addr_of(argv[0], atoi(argv[1]), &a);
	if (secs <= 0 || secs > 60)
		return fprintf(stderr, "hobench sockopt: 0 < SECONDS <= 60\n"), 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	t0 = now_rt();
	do {
		for (int i = 0; i < 4096; i++) {
			socklen_t len = sizeof(ti);

			if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
				die("getsockopt");
		}
		calls += 4096;
		t = now_rt();
	} while (t - t0 < secs);
	close(fd);
	printf("rate %.0f\n", calls / (t - t0));
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 6 && !strcmp(argv[1], "rate"))
		return cmd_rate(argc - 2, argv + 2);
	if (argc == 8 && !strcmp(argv[1], "release"))
		return cmd_release(argc - 2, argv + 2);
	if ((argc == 8 || argc == 9) && !strcmp(argv[1], "storm"))
		return cmd_storm(argc - 2, argv + 2);
	if (argc == 5 && !strcmp(argv[1], "sockopt"))
		return cmd_sockopt(argv + 2);
	fprintf(stderr, "usage: hobench rate ADDR PORT SECONDS CLIENTS [PEER_NETNS]\n"
			"       hobench release ADDR PORT LIMIT COUNT PEER_NETNS CSV\n"
			"       hobench storm ADDR PORT1 PORTS COUNT PEER_NETNS SECONDS [RATE]\n"
			"       hobench sockopt ADDR PORT SECONDS\n");
	return 2;
}
