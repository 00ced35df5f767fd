/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the control socket and the metrics endpoint read (snapshot.c): built
 * from the engine's state, the kernel's counts and the surfaces' counters;
 * nothing here changes any of them.
 */
#ifndef HO_SNAPSHOT_H
#define HO_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "ctl_proto.h"
#include "halfopen.h"

struct limiter;
struct ho_config;
struct scope_entry;

/* Connections a surface (control socket, metrics endpoint) refused or dropped: it counts them. */
struct conn_counts {
	uint64_t refused; /* a bound was reached */
	uint64_t dropped; /* idle, too slow, not reading */
};

/* Where the snapshots come from: set up once by main. */
struct snapshot_src {
	struct limiter *l;	   /* queue, kernel, policies, counters */
	const struct ho_config *c; /* the settings in force */
	const struct conn_counts *ctl, *http;
	time_t started;
};

void fill_status(const struct snapshot_src *s, struct ho_ctl_status *st);
/* Counters per process or cgroup, for lists and metrics; *rows is malloc'd. */
int collect_stats(const struct snapshot_src *s, bool cgroups, struct ho_ctl_stats_row **rows,
		  size_t *n);
/* The policies as rows; how many were written. */
size_t policy_rows(const struct snapshot_src *s, struct ho_ctl_policy_row *out, size_t max);
/* One policy as a row. */
void policy_row(const struct snapshot_src *s, const struct scope_entry *e,
		struct ho_ctl_policy_row *r);

#endif
