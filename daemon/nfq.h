/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NFQUEUE side: bind a queue, receive held SYNs, give verdicts. */
#ifndef HO_NFQ_H
#define HO_NFQ_H

#include <stddef.h>
#include <stdint.h>
#include "queue.h"

struct mnl_socket;

struct nfqueue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t queue_num;
	uint32_t next_id;	 /* the id we expect next: a gap means lost messages */
	uint64_t lost;		 /* packets whose message we never got (socket overrun) */
	uint32_t repair_mark;	 /* the kernel's last id at the previous check */
	uint64_t kernel_dropped; /* dropped by the kernel: its queue was full */
	char *buf;
	size_t bufsize;
};

/* Called for each queued packet: payload starts at the IP header. */
typedef void (*nfqueue_packet_fn)(void *ctx, uint32_t id, const void *payload, size_t len);

/* Bind queue num with room for maxlen packets; logs its own errors. */
int nfqueue_open(struct nfqueue *q, uint16_t num, uint32_t maxlen);
void nfqueue_close(struct nfqueue *q);
int nfqueue_fd(const struct nfqueue *q);
/* Read every pending message without blocking; 0 or negative errno. */
int nfqueue_receive(struct nfqueue *q, nfqueue_packet_fn fn, void *ctx);
/*
 * After a drain: drop the packets the kernel queued whose messages never
 * reached us, so that they are not held forever. Number dropped, or -errno.
 */
int nfqueue_repair(struct nfqueue *q);
/* NF_ACCEPT, NF_DROP or NF_REPEAT for one packet. */
int nfqueue_verdict(struct nfqueue *q, uint32_t id, uint32_t verdict);

/* An attempt leaves the queue: its held SYN, if any, gets verdict; e is freed. */
static inline void nfqueue_forget(struct nfqueue *nfq, struct hqueue *q, struct hq_entry *e,
				  uint32_t verdict)
{
	if (e->has_pkt)
		(void)nfqueue_verdict(nfq, e->pkt_id, verdict);
	hq_remove(q, e);
}

#endif
