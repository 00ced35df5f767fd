/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the control socket and the metrics endpoint read (see snapshot.c). */
#ifndef HO_SNAPSHOT_H
#define HO_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctl_proto.h"
#include "halfopen.h"

struct daemon;
struct scope_entry;

/*
 * Counters of processes aged out (gone, idle for --stats-ttl), added up per
 * cgroup, so that a cgroup's row keeps them. At most HO_RETIRED_MAX cgroups.
 */
#define HO_RETIRED_MAX 4096
struct stats_retired {
	struct ho_stats *v; /* one per cgroup; v[i].cgid is the key */
	size_t n, cap;
};
void stats_retire(struct stats_retired *r, const struct ho_stats *s);
/* Forget cgroups that are gone and idle for ttl. */
void stats_retired_age(struct stats_retired *r, uint64_t now, uint64_t ttl);
void stats_retired_free(struct stats_retired *r);

void fill_status(struct daemon *d, struct ho_ctl_status *s);
/* Counters per process or cgroup, for lists and metrics; *rows is malloc'd. */
int collect_stats(struct daemon *d, bool cgroups, struct ho_ctl_stats_row **rows, size_t *n);
/* The policies as rows; how many were written. */
size_t policy_rows(struct daemon *d, struct ho_ctl_policy_row *out, size_t max);
/* One policy as a row. */
void policy_row(struct daemon *d, const struct scope_entry *e, struct ho_ctl_policy_row *r);

#endif
