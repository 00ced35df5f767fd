/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counters and per-cgroup gauges in the Prometheus text exposition format
 * (version 0.0.4), for `halfopen metrics` and halfopend's HTTP endpoint.
 */
#ifndef HO_METRICS_H
#define HO_METRICS_H

#include <stddef.h>
#include "ctl_proto.h"

/* The whole text into a malloc'd *out; 0 or -ENOMEM. */
struct metrics_in {
	const struct ho_ctl_status *s;
	const struct ho_ctl_stats_row *cgroups;
	size_t n;
	const struct ho_ctl_stats_row *procs; /* processes: those flagged are named */
	size_t nprocs;
	const struct ho_ctl_policy_row *pol;
	size_t npol;
};

/* The whole text into a malloc'd *out; 0 or -ENOMEM. */
int metrics_format(char **out, size_t *len, const struct metrics_in *in);

#endif
