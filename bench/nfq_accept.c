// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nfq_accept: the design halfopen rejected, as a baseline: every SYN takes a
 * round trip through NFQUEUE to userspace and is accepted there. Uses the
 * daemon's own NFQUEUE code (src/nfq.c). Runs until SIGTERM.
 */
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include "log.h"
#include "nfq.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void accept_it(void *ctx, uint32_t id, const void *pkt, size_t len)
{
	(void)pkt;
	(void)len;
	nfqueue_verdict(ctx, id, NF_ACCEPT);
}

int main(int argc, char **argv)
{
	struct nfqueue q;

	if (argc != 2)
		return fprintf(stderr, "usage: nfq_accept QUEUE_NUM\n"), 2;
	log_init("nfq_accept", HO_LOG_INFO);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (nfqueue_open(&q, (uint16_t)atoi(argv[1]), 4096))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p = {.fd = nfqueue_fd(&q), .events = POLLIN};

		if (poll(&p, 1, 200) > 0)
			nfqueue_receive(&q, accept_it, &q);
	}
	nfqueue_close(&q);
	return 0;
}
