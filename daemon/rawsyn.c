// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Raw SYNs: attach the programs of bpf/raw.bpf.h and keep them attached.
 *
 * tc: one tcx egress and one tcx ingress link per interface of the
 * namespace (not loopback), made with BPF_LINK_CREATE, owned by the
 * daemon's descriptors: they go away with the daemon, however it ends.
 * Interfaces that appear later (RTM_NEWLINK on a netlink socket subscribed
 * before the first dump, so none is missed) get them too.
 *
 * The sweep: every HO_RAW_SWEEP_MS, raw SYNs unanswered for
 * raw-timeout are ended by the raw_expire program, which frees their
 * slot exactly once (whoever deletes the entry frees it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <bpf/bpf.h>
#include "raw.h"
#include "halfopen.skel.h"
#include "clock.h"
#include "log.h"
#include "mapwalk.h"
#include "rawsyn.h"
#include "shared.h"

/* The kernel's numbers; the UAPI headers of Debian 12 predate tcx (6.6). */
#define HO_BPF_TCX_INGRESS 46
#define HO_BPF_TCX_EGRESS  47

static struct raw_iface *iface_find(struct raw *r, int ifindex)
{
	for (uint32_t i = 0; i < r->nifs; i++)
		if (r->ifs[i].ifindex == ifindex)
			return &r->ifs[i];
	return NULL;
}

static void iface_attach(struct raw *r, int ifindex)
{
	struct halfopen_bpf *s = r->k->skel;
	struct raw_iface *f;
	char name[IF_NAMESIZE] = "?";

	if (!r->tcx || iface_find(r, ifindex))
		return;
	if (r->nifs == HO_RAW_IFACES_MAX) {
		r->iface_full++;
		pr_warn("raw: %u interfaces watched already: raw SYNs on interface %d are not seen",
			HO_RAW_IFACES_MAX, ifindex);
		return;
	}
	f = &r->ifs[r->nifs];
	f->ifindex = ifindex;
	f->egress_fd = bpf_link_create(bpf_program__fd(s->progs.raw_egress), ifindex,
				       HO_BPF_TCX_EGRESS, NULL);
	f->ingress_fd = bpf_link_create(bpf_program__fd(s->progs.raw_ingress), ifindex,
					HO_BPF_TCX_INGRESS, NULL);
	if (f->egress_fd < 0 || f->ingress_fd < 0) {
		int err = f->egress_fd < 0 ? f->egress_fd : f->ingress_fd;

		if (f->egress_fd >= 0)
			close(f->egress_fd);
		if (f->ingress_fd >= 0)
			close(f->ingress_fd);
		/* ENODEV: gone meanwhile; anything else on the first: no tcx */
		if (err != -ENODEV)
			pr_warn("raw: cannot attach to interface %s (%d): %s",
				if_indextoname((unsigned)ifindex, name) ? name : "?", ifindex,
				strerror(-err));
		if (!r->nifs && err != -ENODEV) {
			r->tcx = false;
			r->tcx_err = err;
		}
		return;
	}
	r->nifs++;
	pr_debug("raw: watching interface %s (%d)",
		 if_indextoname((unsigned)ifindex, name) ? name : "?", ifindex);
}

static void iface_detach(struct raw *r, int ifindex)
{
	struct raw_iface *f = iface_find(r, ifindex);

	if (!f)
		return;
	close(f->egress_fd);
	close(f->ingress_fd);
	*f = r->ifs[--r->nifs];
}

static int link_msg(const struct nlmsghdr *nlh, void *data)
{
	struct raw *r = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) || (ifi->ifi_flags & IFF_LOOPBACK))
		return MNL_CB_OK;
	if (nlh->nlmsg_type == RTM_NEWLINK)
		iface_attach(r, ifi->ifi_index);
	else if (nlh->nlmsg_type == RTM_DELLINK)
		iface_detach(r, ifi->ifi_index);
	return MNL_CB_OK;
}

/* Every interface there now: one RTM_GETLINK dump on a socket of its own. */
static int dump_links(struct raw *r)
{
	char buf[32768]; /* MNL_SOCKET_DUMP_SIZE of newer libmnl */
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	unsigned int seq = (unsigned int)time(NULL), port;
	int ret = -1;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	port = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_PACKET;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	/* bounded: a dump ends with NLMSG_DONE (MNL_CB_STOP) */
	for (int i = 0; i < 100000; i++) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n <= 0)
			break;
		ret = mnl_cb_run(buf, (size_t)n, seq, port, link_msg, r);
		if (ret <= MNL_CB_STOP)
			break;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	return ret < 0 ? -errno : 0;
}

void raw_on_netlink(struct raw *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	/* bounded: what is queued now */
	for (int i = 0; i < 64; i++) {
		ssize_t n = mnl_socket_recvfrom(r->nl, buf, sizeof(buf));

		if (n < 0 && errno == ENOBUFS) {
			/* events were lost: the dump catches up */
			(void)dump_links(r);
			continue;
		}
		if (n <= 0)
			break;
		(void)mnl_cb_run(buf, (size_t)n, 0, 0, link_msg, r);
	}
}

int raw_nl_fd(const struct raw *r)
{
	return r->nl ? mnl_socket_get_fd(r->nl) : -1;
}

static void sweep_one(void *ctx, const void *key, const void *val)
{
	struct raw *r = ctx;
	const struct ho_raw_attempt *a = val;

	if ((a->flags & HO_AT_FIRST) && a->start_ns < r->sweep.oldest)
		r->sweep.oldest = a->start_ns;
	if (r->sweep.n < sizeof(r->sweep.old) / sizeof(r->sweep.old[0]) &&
	    a->start_ns + r->sweep.timeout <= r->sweep.now)
		memcpy(&r->sweep.old[r->sweep.n++], key, sizeof(struct ho_tuple));
}

void raw_on_timer(struct raw *r)
{
	struct halfopen_bpf *s = r->k->skel;
	uint64_t ticks;

	r->sweep.oldest = now_ns();
	if (read(r->timer_fd, &ticks, sizeof(ticks)) <= 0 ||
	    shared_get(s->bss->raw_st.in_flight) <= 0)
		return;
	r->sweep.n = 0;
	r->sweep.timeout = shared_get(s->bss->raw_st.timeout_ns);
	r->sweep.now = r->sweep.oldest;
	(void)mapwalk(bpf_map__fd(s->maps.raw_attempts), sizeof(struct ho_tuple),
		      sizeof(struct ho_raw_attempt), HO_RAW_MAX, sweep_one, r);
	for (uint32_t i = 0; i < r->sweep.n; i++) {
		struct ho_raw_expire_args args = {.t = r->sweep.old[i]};
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));

		(void)bpf_prog_test_run_opts(bpf_program__fd(s->progs.raw_expire), &opts);
	}
}

uint64_t raw_oldest_first(const struct raw *r)
{
	return r->sweep.oldest;
}

struct ho_raw_state *raw_state(struct raw *r)
{
	return r->k ? &r->k->skel->bss->raw_st : &r->none;
}

void raw_arm_events(struct raw *r)
{
	shared_set(r->k->skel->bss->raw_st.drop_armed, 1);
	shared_set(r->k->skel->bss->raw_st.deny_armed, 1);
	shared_set(r->k->skel->bss->raw_st.pace_armed, 1);
}

struct raw_walk_ctx {
	void (*fn)(void *ctx, const struct ho_attempt *a);
	void *ctx;
};

static void walk_one(void *ctx, const void *key, const void *val)
{
	const struct raw_walk_ctx *w = ctx;
	const struct ho_raw_attempt *r = val;
	struct ho_tuple t;
	struct ho_attempt a = {.state = HO_ST_INFLIGHT};

	memcpy(&t, key, sizeof(t));
	a.pid = a.tgid = r->tgid;
	a.uid = r->uid;
	a.cgid = r->cgid;
	a.start_ns = r->start_ns;
	a.family = t.family;
	a.sport = ntohs(t.sport);
	a.dport = ntohs(t.dport);
	memcpy(a.saddr, t.saddr, sizeof(a.saddr));
	memcpy(a.daddr, t.daddr, sizeof(a.daddr));
	memcpy(a.comm, r->comm, sizeof(a.comm));
	w->fn(w->ctx, &a);
}

int raw_walk(struct raw *r, void (*fn)(void *ctx, const struct ho_attempt *a), void *ctx)
{
	struct raw_walk_ctx w = {.fn = fn, .ctx = ctx};

	if (!r->k)
		return 0;
	return mapwalk(bpf_map__fd(r->k->skel->maps.raw_attempts), sizeof(struct ho_tuple),
		       sizeof(struct ho_raw_attempt), HO_RAW_MAX, walk_one, &w);
}

void raw_configure(struct raw *r, uint32_t timeout_ms, uint32_t contain_rate)
{
	shared_set(raw_state(r)->timeout_ns, (uint64_t)timeout_ms * 1000000ull);
	shared_set(raw_state(r)->pace_ns, 1000000000ull / (contain_rate ? contain_rate : 1));
}

void raw_rearm(struct raw *r, uint64_t now_ns, uint64_t interval_ns)
{
	if (r->k && now_ns - r->armed_ns >= interval_ns) {
		r->armed_ns = now_ns;
		raw_arm_events(r);
	}
}

bool raw_event_row(const struct ho_event *ev, struct ho_ctl_event_row *r)
{
	struct timespec ts;

	if (ev->type != HO_EV_RAW_DENIED && ev->type != HO_EV_RAW_DROPPED)
		return false;
	*r = (struct ho_ctl_event_row){0};
	clock_gettime(CLOCK_REALTIME, &ts);
	r->time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	r->kind = ev->type == HO_EV_RAW_DROPPED
			  ? (ev->outcome ? HO_EVENT_RAW_PACED : HO_EVENT_RAW_DROPPED)
		  : ev->outcome == 2 ? HO_EVENT_RAW_BYPASS
		  : ev->outcome	     ? HO_EVENT_RAW_FRAMES
				     : HO_EVENT_RAW_REFUSED;
	r->top_tgid = ev->a.tgid;
	r->top_uid = ev->a.uid;
	memcpy(r->top_comm, ev->a.comm, sizeof(r->top_comm));
	r->top_comm[sizeof(r->top_comm) - 1] = '\0';
	r->raw_family = ev->a.family;
	r->raw_type = ev->a.sport;
	return true;
}

static int attach_lsm(struct raw *r)
{
	struct halfopen_bpf *s = r->k->skel;
	struct bpf_program *p[2] = {s->progs.raw_socket_create, s->progs.raw_socket_post_create};

	for (int i = 0; i < 2; i++) {
		r->lsm_fds[i] = bpf_link_create(bpf_program__fd(p[i]), 0, BPF_LSM_MAC, NULL);
		if (r->lsm_fds[i] < 0)
			return r->lsm_fds[i];
	}
	return 0;
}

/* A link of prog at the cgroup v2 root, or -errno (logged). */
static int attach_root(struct kern *k, struct bpf_program *prog, enum bpf_attach_type type)
{
	int fd = bpf_link_create(bpf_program__fd(prog), k->cgroup_fd, type, NULL);

	if (fd < 0)
		pr_err("raw: cannot attach %s to the cgroup v2 root: %s", bpf_program__name(prog),
		       strerror(-fd));
	return fd;
}

int raw_open(struct raw *r, struct kern *k)
{
	struct itimerspec t = {.it_interval = {0, HO_RAW_SWEEP_MS * 1000000L},
			       .it_value = {0, HO_RAW_SWEEP_MS * 1000000L}};
	int lsm_err = k->lsm_err, err;

	*r = (struct raw){.k = k,
			  .sock_create_fd = -1,
			  .setsockopt_fd = -1,
			  .lsm_fds = {-1, -1},
			  .tcx = true};
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->timer_fd < 0 || timerfd_settime(r->timer_fd, 0, &t, NULL))
		return pr_err_ret(-errno, "raw: cannot make the sweep timer: %s", strerror(errno));
	r->setsockopt_fd = attach_root(k, k->skel->progs.raw_setsockopt, BPF_CGROUP_SETSOCKOPT);
	if (r->setsockopt_fd < 0)
		return r->setsockopt_fd;
	if (k->lsm) {
		lsm_err = attach_lsm(r);
		if (lsm_err)
			for (int i = 0; i < 2; i++)
				if (r->lsm_fds[i] >= 0) {
					close(r->lsm_fds[i]);
					r->lsm_fds[i] = -1;
				}
	}
	/*
	 * The LSM programs refuse and attribute raw IP sockets too: the cgroup
	 * hook, which every inet socket of the host would pay for, only without them.
	 */
	if (lsm_err) {
		r->sock_create_fd =
			attach_root(k, k->skel->progs.raw_sock_create, BPF_CGROUP_INET_SOCK_CREATE);
		if (r->sock_create_fd < 0)
			return r->sock_create_fd;
	}
	/* subscribe first, then dump: an interface made in between is seen twice, not never */
	r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!r->nl || mnl_socket_bind(r->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		return pr_err_ret(-errno, "raw: cannot watch network interfaces: %s",
				  strerror(errno));
	err = dump_links(r);
	if (err)
		return pr_err_ret(err, "raw: cannot list network interfaces: %s", strerror(-err));
	raw_arm_events(r);
	r->armed_ns = now_ns();
	/* one line: what this kernel lets us see and refuse */
	pr_info("raw SYNs: tc egress/ingress (tcx) %s%s%s, %u interfaces; raw deny: BPF LSM "
		"%s%s%s, raw IP sockets refused at socket() (%s)%s; "
		"PACKET_QDISC_BYPASS refused",
		r->tcx ? "yes" : "no (", r->tcx ? "" : strerror(-r->tcx_err), r->tcx ? "" : ")",
		r->nifs, lsm_err ? "no (" : "yes", lsm_err ? strerror(-lsm_err) : "",
		lsm_err ? ")" : "", lsm_err ? "cgroup/sock_create" : "LSM",
		lsm_err ? ", packet sockets' frames dropped at tc egress"
			: ", packet sockets refused at socket() (LSM)");
	return 0;
}

void raw_close(struct raw *r)
{
	if (!r->k)
		return;
	while (r->nifs)
		iface_detach(r, r->ifs[0].ifindex);
	for (int i = 0; i < 2; i++)
		if (r->lsm_fds[i] >= 0)
			close(r->lsm_fds[i]);
	if (r->sock_create_fd >= 0)
		close(r->sock_create_fd);
	if (r->setsockopt_fd >= 0)
		close(r->setsockopt_fd);
	if (r->timer_fd >= 0)
		close(r->timer_fd);
	if (r->nl)
		mnl_socket_close(r->nl);
	*r = (struct raw){0};
}
