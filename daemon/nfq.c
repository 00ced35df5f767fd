// SPDX-License-Identifier: GPL-2.0-or-later
/* NFQUEUE through libmnl and libnetfilter_queue's netlink helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include "log.h"
#include "nfq.h"

#define NFQ_COPY_RANGE 128 /* IPv6 + TCP headers with options */
#define NFQ_RCVBUF     (32 << 20)
#define NFQ_MAX_GAP    65536 /* larger gaps are not ours to repair */

/* Send one config message and wait for its ack. */
static int nfqueue_config(struct nfqueue *q, struct nlmsghdr *nlh)
{
	char ack[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)rand();
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(q->nl, ack, sizeof(ack));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(ack, (size_t)n, nlh->nlmsg_seq, q->portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

int nfqueue_open(struct nfqueue *q, uint16_t num, uint32_t maxlen)
{
	struct nlmsghdr *nlh;
	int one = 1, rcvbuf = NFQ_RCVBUF, err;

	*q = (struct nfqueue){.queue_num = num};
	q->bufsize = 0xffff + (MNL_SOCKET_BUFFER_SIZE / 2);
	q->buf = malloc(q->bufsize);
	if (!q->buf)
		return pr_err_ret(-ENOMEM, "cannot bind NFQUEUE %u: out of memory", num);
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pr_err("cannot open a netfilter netlink socket: %s", strerror(-err));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);

	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	err = nfqueue_config(q, nlh);
	if (err) {
		if (err == -EBUSY)
			pr_err("NFQUEUE %u is used by another program: choose one with --queue-num",
			       num);
		else
			pr_err("cannot bind NFQUEUE %u: %s", num, strerror(-err));
		goto fail;
	}
	/* copy just the headers: we only read the tuple */
	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, NFQ_COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	err = nfqueue_config(q, nlh);
	if (err) {
		pr_err("cannot configure NFQUEUE %u: %s", num, strerror(-err));
		goto fail;
	}
	/* a burst of held SYNs must not overrun the socket; gaps are repaired anyway */
	if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		pr_debug("SO_RCVBUFFORCE: %s, ignoring", strerror(errno));
	(void)setsockopt(mnl_socket_get_fd(q->nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
			 sizeof(one));
	q->next_id = 1; /* the kernel numbers a new queue's packets from 1 */
	return 0;
fail:
	nfqueue_close(q);
	return err;
}

void nfqueue_close(struct nfqueue *q)
{
	if (q->nl)
		mnl_socket_close(q->nl); /* the kernel drops what is still held */
	free(q->buf);
	*q = (struct nfqueue){0};
}

int nfqueue_fd(const struct nfqueue *q)
{
	return mnl_socket_get_fd(q->nl);
}

int nfqueue_verdict(struct nfqueue *q, uint32_t id, uint32_t verdict)
{
	char buf[MNL_SOCKET_BUFFER_SIZE / 4];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, q->queue_num);

	nfq_nlmsg_verdict_put(nlh, (int)id, (int)verdict);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

struct nfqueue_cb_ctx {
	struct nfqueue *q;
	nfqueue_packet_fn fn;
	void *ctx;
};

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nfqueue_cb_ctx *c = data;
	struct nlattr *attr[NFQA_MAX + 1] = {0};
	struct nfqnl_msg_packet_hdr *ph;
	uint32_t id;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	if ((int32_t)(id - c->q->next_id) < 0)
		return MNL_CB_OK; /* a late message: its packet was dropped by nfqueue_repair */
	/*
	 * Ids are sequential. A gap means the socket overran and those packets'
	 * messages are lost: drop them so that TCP sends them again, instead of
	 * leaving them held forever.
	 */
	if (id - c->q->next_id < NFQ_MAX_GAP) {
		for (uint32_t lost = c->q->next_id; lost != id; lost++) {
			(void)nfqueue_verdict(c->q, lost, NF_DROP);
			c->q->lost++;
		}
	}
	c->q->next_id = id + 1;
	if (!attr[NFQA_PAYLOAD]) {
		(void)nfqueue_verdict(c->q, id, NF_ACCEPT);
		return MNL_CB_OK;
	}
	c->fn(c->ctx, id, mnl_attr_get_payload(attr[NFQA_PAYLOAD]),
	      mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]));
	return MNL_CB_OK;
}

int nfqueue_receive(struct nfqueue *q, nfqueue_packet_fn fn, void *ctx)
{
	struct nfqueue_cb_ctx c = {.q = q, .fn = fn, .ctx = ctx};
	ssize_t n;

	for (;;) {
		n = recv(mnl_socket_get_fd(q->nl), q->buf, q->bufsize, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (mnl_cb_run(q->buf, (size_t)n, 0, q->portid, on_msg, &c) < 0 && errno != EINTR)
			pr_debug("NFQUEUE message: %s, ignoring", strerror(errno));
	}
}

int nfqueue_repair(struct nfqueue *q)
{
	unsigned int num, portid, total, mode, range, dropped, udropped, seq, one;
	uint32_t lost = 0;
	char line[256];
	FILE *f;

	/* the caller drained the socket: ids the kernel gave out since are lost */
	f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %u %u %u %u %u %u %u %u", &num, &portid, &total, &mode, &range,
			   &dropped, &udropped, &seq, &one) != 9 ||
		    num != q->queue_num)
			continue;
		q->kernel_dropped = dropped; /* queue full; udropped are our lost */
		/*
		 * Ids given out by the last check that still have not come are
		 * lost (a message in transit takes far less than a check's period).
		 */
		if (q->repair_mark && (int32_t)(q->repair_mark + 1 - q->next_id) > 0 &&
		    q->repair_mark + 1 - q->next_id < NFQ_MAX_GAP) {
			for (uint32_t id = q->next_id; id != q->repair_mark + 1; id++, lost++)
				(void)nfqueue_verdict(q, id, NF_DROP);
			q->next_id = q->repair_mark + 1;
			q->lost += lost;
		}
		q->repair_mark = seq;
	}
	fclose(f);
	if (lost)
		pr_warn("%u held SYNs never reached us (socket overrun): dropped, TCP sends them "
			"again",
			lost);
	return (int)lost;
}
