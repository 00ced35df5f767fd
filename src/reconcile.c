// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Repair after the kernel skipped our tracepoint. A tracing program that
 * fires while it already runs on the same CPU is not run (the kernel counts
 * it in recursion_misses): a timer softirq that closes a socket in the middle
 * of a connect() on that CPU loses that socket's leave, and with it a slot.
 * When the count goes up, we list the sockets of this namespace still in
 * SYN_SENT (sock_diag) and forget the tracked attempts that are not among
 * them, with the same accounting as a leave.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include "daemon.h"
#include "log.h"
#include "reconcile.h"
#include "u64vec.h"

#define TCPF_SYN_SENT (1u << 2)
#define GRACE_NS      1000000000ull /* newer attempts may not be hashed yet */

struct cookies {
	struct u64vec c;
	bool oom;
};

static int on_sock(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct cookies *c = data;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	if (u64vec_push(&c->c, (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0])) {
		c->oom = true;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Cookies of this namespace's TCP sockets in SYN_SENT, both families. */
static int dump_syn_sent(struct cookies *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	int families[] = {AF_INET, AF_INET6}, err = 0;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	for (int f = 0; f < 2 && !err; f++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		unsigned int seq = (unsigned int)time(NULL) + (unsigned int)f;
		ssize_t n;

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = seq;
		r->sdiag_family = (uint8_t)families[f];
		r->sdiag_protocol = IPPROTO_TCP;
		r->idiag_states = TCPF_SYN_SENT;
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
			err = -errno;
			break;
		}
		while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
			int rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), on_sock,
					    c);

			if (rc == MNL_CB_STOP)
				break;
			if (rc < 0) {
				err = c->oom ? -ENOMEM : -errno;
				break;
			}
		}
		if (n < 0)
			err = -errno;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct stale {
	const struct u64vec *alive; /* sorted */
	uint64_t now;
	struct u64vec found;
};

static void find_stale(void *ctx, uint64_t cookie, const void *val)
{
	const struct ho_attempt *a = val;
	struct stale *s = ctx;

	if (s->now - a->start_ns < GRACE_NS ||
	    bsearch(&cookie, s->alive->v, s->alive->n, sizeof(uint64_t), cmp_u64))
		return;
	u64vec_push(&s->found, cookie); /* on ENOMEM, the next round gets it */
}

int reconcile(struct daemon *d)
{
	struct cookies alive = {0};
	struct stale st = {.alive = &alive.c};
	struct hq_entry *e;
	size_t forgotten = 0;
	int err;

	err = dump_syn_sent(&alive);
	if (err) {
		u64vec_free(&alive.c);
		pr_warn("cannot list sockets to repair missed events: %s", strerror(-err));
		return err;
	}
	qsort(alive.c.v, alive.c.n, sizeof(uint64_t), cmp_u64);
	/* after the dump: an attempt older than the grace was in it if alive */
	st.now = now_ns();
	kern_walk(&d->k, KM_ATTEMPTS, find_stale, &st);
	for (size_t i = 0; i < st.found.n; i++) {
		if (kern_forget(&d->k, st.found.v[i]) == 1)
			forgotten++;
		e = hq_find(&d->q, st.found.v[i]);
		if (e) {
			if (e->has_pkt)
				nfqueue_verdict(&d->nfq, e->pkt_id, NF_DROP);
			hq_remove(&d->q, e);
		}
	}
	if (forgotten)
		pr_notice("repaired %zu attempts whose end the kernel did not report", forgotten);
	u64vec_free(&alive.c);
	u64vec_free(&st.found);
	return 0;
}
