/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * halfopend's parts tied together, for the loop in halfopend.c only: every
 * module owns its state in its own struct (its own header) and is given the
 * narrowest others it needs; this struct only holds them side by side.
 */
#ifndef HO_DAEMON_H
#define HO_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "ctl_server.h"
#include "ctl_state.h"
#include "http.h"
#include "kern.h"
#include "limiter.h"
#include "nfq.h"
#include "options.h"
#include "scopes.h"
#include "snapshot.h"

struct daemon {
	struct daemon_opts o;
	struct kern k;
	struct nfqueue nfq;
	struct scopes sc;
	struct limiter lim;	 /* the engine: queue, release, limit events */
	struct ctl_server ctl;	 /* the control socket and its clients */
	struct ctl_state ctl_st; /* what control requests work on */
	struct http_server http; /* the metrics endpoint and its connections */
	struct snapshot_src snap;
	int epfd, sigfd, timerfd;
	int ratefd; /* --release rate:R: one tick per release, at most 1 kHz */
	uint32_t rate_per_tick;
	time_t started;
	char status_sent[128]; /* the last STATUS= told to systemd */
	bool stopping;
	bool rt; /* running at SCHED_FIFO now */
};

#endif
