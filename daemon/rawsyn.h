/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Raw SYNs (bpf/raw.bpf.h) as the daemon drives them: the tc programs on
 * every interface of the namespace, those that appear later included, the
 * socket-creation hooks, and the timeout of unanswered raw SYNs.
 */
#ifndef HO_RAWSYN_H
#define HO_RAWSYN_H

#include <stdbool.h>
#include <stdint.h>
#include "ctl_proto.h"
#include "kern.h"
#include "raw.h"

#define HO_RAW_IFACES_MAX 1024 /* interfaces of the namespace watched at once */
#define HO_RAW_SWEEP_MS	  250  /* how often unanswered raw SYNs are looked at */
/* after raw-timeout, a raw SYN has surely ended: the sweep's period and a margin */
#define HO_RAW_SETTLE_NS ((HO_RAW_SWEEP_MS + 100) * 1000000ull)

struct raw_iface {
	int ifindex;
	int egress_fd, ingress_fd; /* tcx links: gone with the descriptors */
};

struct raw {
	struct kern *k;
	struct mnl_socket *nl; /* link events (RTMGRP_LINK) */
	int sock_create_fd;    /* cgroup/sock_create link */
	int setsockopt_fd;     /* cgroup/setsockopt link: no PACKET_QDISC_BYPASS */
	int lsm_fds[2];	       /* BPF LSM links, or -1 */
	int timer_fd;	       /* the sweep of unanswered raw SYNs */
	bool tcx;	       /* tc links work on this kernel */
	int tcx_err;
	struct raw_iface ifs[HO_RAW_IFACES_MAX];
	uint32_t nifs;
	uint64_t iface_full;	  /* interfaces not watched: the table was full */
	uint64_t armed_ns;	  /* when the drop events were last armed */
	struct ho_raw_state none; /* read before the kernel side is there: all zero */
	struct {
		uint64_t now, timeout;
		uint64_t oldest;	  /* the oldest raw first contact in the table, or now */
		struct ho_tuple old[512]; /* a pass ends at most this many; the next the rest */
		uint32_t n;
	} sweep;
};

/* Attach everything and watch for new interfaces; logs one line of what the kernel supports. */
int raw_open(struct raw *r, struct kern *k);
/* The settings raw-timeout (ms) and contain-rate (a flagged scope's raw SYNs a second); live. */
void raw_configure(struct raw *r, uint32_t timeout_ms, uint32_t contain_rate);
/* Descriptors for the loop: link events, sweep timer. */
int raw_nl_fd(const struct raw *r);
void raw_on_netlink(struct raw *r);
void raw_on_timer(struct raw *r);
/*
 * When the oldest raw first contact still in the table left (as of the last
 * sweep; now if there is none): every one sent before it has ended.
 */
uint64_t raw_oldest_first(const struct raw *r);
struct ho_raw_state *raw_state(struct raw *r);
/* Ask the kernel for one more event of each kind (drops, denied frames). */
void raw_arm_events(struct raw *r);
void raw_close(struct raw *r);
/* Arm the next drop and denied-frame events once interval_ns has passed since the last arming. */
void raw_rearm(struct raw *r, uint64_t now_ns, uint64_t interval_ns);
/* Every raw SYN in flight as an attempt (state HO_ST_INFLIGHT); bounded by the table. */
int raw_walk(struct raw *r, void (*fn)(void *ctx, const struct ho_attempt *a), void *ctx);
/* A ring buffer event of raw.bpf.h as an event row (time, kind, process); false if not one. */
bool raw_event_row(const struct ho_event *ev, struct ho_ctl_event_row *r);

#endif
