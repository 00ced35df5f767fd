/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counters of processes aged out (gone, idle for --stats-ttl), added up per
 * cgroup, so that a cgroup's row keeps them (retired.c). At most
 * HO_RETIRED_MAX cgroups.
 */
#ifndef HO_RETIRED_H
#define HO_RETIRED_H

#include <stddef.h>
#include <stdint.h>
#include "halfopen.h"

#define HO_RETIRED_MAX 4096
struct stats_retired {
	struct ho_stats *v; /* one per cgroup; v[i].cgid is the key */
	size_t n, cap;
};
void stats_retire(struct stats_retired *r, const struct ho_stats *s);
/* Forget cgroups that are gone and idle for ttl. */
void stats_retired_age(struct stats_retired *r, uint64_t now, uint64_t ttl);
void stats_retired_free(struct stats_retired *r);
/* Add one process's counters to its cgroup's. */
void stats_sum(struct ho_stats *sum, const struct ho_stats *s);

#endif
