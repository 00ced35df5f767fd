// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hodelay: a slow handshake for the containment benchmark (bench/contain.sh).
 * Every packet iptables sends to NFQUEUE QUEUE_NUM (in the peer namespace:
 * the SYNs arriving for a live host) is held MS milliseconds, then accepted;
 * the peer answers it then. netem is not in every kernel; this is. Uses the
 * daemon's own NFQUEUE code (daemon/nfq.c). Runs until SIGTERM.
 */
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "log.h"
#include "nfq.h"

#define RING 65536 /* held at once; a constant delay keeps them in order */

struct held {
	uint32_t id;
	uint64_t due_ns;
};

struct delay {
	struct nfqueue q;
	uint64_t delay_ns;
	struct held ring[RING];
	uint32_t head, count;
	uint64_t passed, overflow;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hold(void *ctx, uint32_t id, const void *pkt, size_t len)
{
	struct delay *d = ctx;

	(void)pkt;
	(void)len;
	if (d->count == RING) { /* never expected: let it through rather than lose it */
		d->overflow++;
		nfqueue_verdict(&d->q, id, NF_ACCEPT);
		return;
	}
	d->ring[(d->head + d->count++) % RING] = (struct held){id, now_ns() + d->delay_ns};
}

/* Accept every held packet whose time has come; ns until the next one, or -1. */
static int64_t release_due(struct delay *d)
{
	uint64_t now = now_ns();

	while (d->count) {
		struct held *h = &d->ring[d->head];

		if (h->due_ns > now)
			return (int64_t)(h->due_ns - now);
		nfqueue_verdict(&d->q, h->id, NF_ACCEPT);
		d->head = (d->head + 1) % RING;
		d->count--;
		d->passed++;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static struct delay d;
	int ms;

	if (argc != 3 || (ms = atoi(argv[2])) < 0 || ms > 10000)
		return fprintf(stderr, "usage: hodelay QUEUE_NUM MS (0..10000)\n"), 2;
	log_init("hodelay", HO_LOG_INFO);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	d.delay_ns = (uint64_t)ms * 1000000ull;
	if (nfqueue_open(&d.q, (uint16_t)atoi(argv[1]), RING))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p = {.fd = nfqueue_fd(&d.q), .events = POLLIN};
		int64_t next = release_due(&d);
		struct timespec ts = {0, 200000000};

		if (next >= 0)
			ts = (struct timespec){(time_t)(next / 1000000000),
					       (long)(next % 1000000000)};
		if (ppoll(&p, 1, &ts, NULL) > 0)
			nfqueue_receive(&d.q, hold, &d);
	}
	/* what is still held goes through: nothing is left queued in the kernel */
	while (d.count) {
		nfqueue_verdict(&d.q, d.ring[d.head].id, NF_ACCEPT);
		d.head = (d.head + 1) % RING;
		d.count--;
	}
	printf("passed %llu overflow %llu\n", (unsigned long long)d.passed,
	       (unsigned long long)d.overflow);
	nfqueue_close(&d.q);
	return 0;
}
