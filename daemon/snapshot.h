/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the control socket and the metrics endpoint read (see snapshot.c). */
#ifndef HO_SNAPSHOT_H
#define HO_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include "ctl_proto.h"

struct daemon;
struct scope_entry;

void fill_status(struct daemon *d, struct ho_ctl_status *s);
/* Counters per process or cgroup, for lists and metrics; *rows is malloc'd. */
int collect_stats(struct daemon *d, bool cgroups, struct ho_ctl_stats_row **rows, size_t *n);
/* The policies as rows; how many were written. */
size_t policy_rows(struct daemon *d, struct ho_ctl_policy_row *out, size_t max);
/* One policy as a row. */
void policy_row(struct daemon *d, const struct scope_entry *e, struct ho_ctl_policy_row *r);

#endif
