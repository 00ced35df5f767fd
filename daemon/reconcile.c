// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Repair of attempt ends that went unreported. The kernel reports every end
 * through sock_ops STATE_CB, so this is a safety net, not the mechanism; it
 * must never make things worse by forgetting an attempt whose socket still
 * connects (its slot would be freed and its next SYN would go out uncounted).
 *
 * So: the time is read before the dump of this namespace's SYN_SENT sockets;
 * an attempt is judged only if it started well before that (repair.c); and
 * one the dump did not list is looked up once more, alone, by its 4-tuple and
 * cookie, and forgotten only if that says its socket no longer connects.
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
#include "clock.h"
#include "kern.h"
#include "log.h"
#include "nfq.h"
#include "reconcile.h"
#include "repair.h"
#include "u64vec.h"

#define TCPF_SYN_SENT (1u << 2)
#define TCP_SYN_SENT_ 2

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
static int dump_syn_sent(struct mnl_socket *nl, struct cookies *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int families[] = {AF_INET, AF_INET6}, err = 0;

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
	return err;
}

static int on_one(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY && mnl_nlmsg_get_payload_len(nlh) >= sizeof(*m))
		*(int *)data = m->idiag_state == TCP_SYN_SENT_;
	return MNL_CB_OK;
}

/*
 * Is the attempt's socket still connecting? Looked up alone by 4-tuple and
 * cookie: 1 yes, 0 no (gone, or in another state), negative errno if unsure.
 */
static int still_connecting(struct mnl_socket *nl, uint64_t cookie, const struct ho_attempt *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	unsigned int seq = (unsigned int)time(NULL);
	int alive = 0, rc;
	ssize_t n;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	r->sdiag_family = (uint8_t)a->family;
	r->sdiag_protocol = IPPROTO_TCP;
	r->idiag_states = ~0u;
	r->id.idiag_sport = htons(a->sport);
	r->id.idiag_dport = htons(a->dport);
	memcpy(r->id.idiag_src, a->saddr, sizeof(r->id.idiag_src));
	memcpy(r->id.idiag_dst, a->daddr, sizeof(r->id.idiag_dst));
	r->id.idiag_cookie[0] = (uint32_t)cookie;
	r->id.idiag_cookie[1] = (uint32_t)(cookie >> 32);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), on_one, &alive);
	if (rc < 0)
		return errno == ENOENT ? 0 : -errno; /* ENOENT: no such socket */
	return alive;
}

struct judged {
	struct repair_view v;
	struct u64vec check, del;
};

static void judge_one(void *ctx, uint64_t cookie, const void *val)
{
	struct judged *j = ctx;

	/* on ENOMEM the next round gets it */
	switch (repair_judge(&j->v, cookie, val)) {
	case REPAIR_CHECK:
		(void)u64vec_push(&j->check, cookie);
		break;
	case REPAIR_DELETE:
		(void)u64vec_push(&j->del, cookie);
		break;
	case REPAIR_KEEP:
		break;
	}
}

/* The daemon's side of an attempt that has ended: its place and its held SYN. */
static void drop_queued(struct hqueue *q, struct nfqueue *nfq, uint64_t cookie)
{
	struct hq_entry *e = hq_find(q, cookie);

	if (e)
		nfqueue_forget(nfq, q, e, NF_DROP);
}

int reconcile(struct kern *k, struct hqueue *q, struct nfqueue *nfq, bool full)
{
	static const uint64_t none;
	struct cookies alive = {0};
	struct judged j = {0};
	struct ho_attempt a;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	size_t forgotten = 0, deleted = 0;
	int err = 0;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	/* before the dump: whatever starts from here on is too young to judge */
	j.v.now = now_ns();
	if (full) {
		err = dump_syn_sent(nl, &alive);
		if (err)
			goto out;
		repair_sort(alive.c.v, alive.c.n);
		j.v.alive = alive.c.n ? alive.c.v : &none;
		j.v.nalive = alive.c.n;
	}
	(void)kern_walk(k, KM_ATTEMPTS, judge_one, &j);
	for (size_t i = 0; i < j.check.n; i++) {
		uint64_t cookie = j.check.v[i];

		if (kern_lookup(k, cookie, &a) || a.state == HO_ST_GONE)
			continue; /* ended meanwhile, as it should */
		if (still_connecting(nl, cookie, &a) != 0)
			continue; /* alive, or we cannot tell: keep it */
		/* the attempt judged, by its generation: not one that took the entry since */
		if (kern_forget(k, cookie, a.gen) == 1) {
			forgotten++;
			drop_queued(q, nfq, cookie);
		}
	}
	for (size_t i = 0; i < j.del.n; i++) {
		/* a tomb: only we delete those, so the key is still its entry's */
		if (kern_lookup(k, j.del.v[i], &a) || a.state != HO_ST_GONE ||
		    !(a.flags & HO_AT_TOMB))
			continue;
		drop_queued(q, nfq, j.del.v[i]);
		if (!kern_delete(k, KM_ATTEMPTS, j.del.v[i]))
			deleted++;
	}
	if (forgotten)
		pr_notice("repaired %zu attempts whose end the kernel did not report", forgotten);
	if (deleted)
		pr_debug("deleted %zu entries of attempts that had ended", deleted);
out:
	if (err)
		pr_warn("cannot list sockets to repair missed ends: %s", strerror(-err));
	if (nl)
		mnl_socket_close(nl);
	u64vec_free(&alive.c);
	u64vec_free(&j.check);
	u64vec_free(&j.del);
	return err;
}
