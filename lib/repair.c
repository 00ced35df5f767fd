// SPDX-License-Identifier: GPL-2.0-or-later
/* What the repair does with each tracked attempt (see repair.h). */
#include <stdlib.h>
#include "repair.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void repair_sort(uint64_t *cookies, size_t n)
{
	if (n)
		qsort(cookies, n, sizeof(*cookies), cmp_u64);
}

enum repair_action repair_judge(const struct repair_view *v, uint64_t cookie,
				const struct ho_attempt *a)
{
	/* written so that a start after now (during the dump or the walk) cannot wrap */
	if (a->start_ns + REPAIR_GRACE_NS > v->now)
		return REPAIR_KEEP;
	/*
	 * A tomb: a delete the kernel could not do, or an end between release
	 * and SYN. Only the daemon deletes those; a GONE entry that is not one
	 * is the kernel's to delete, still in use by its leave (halfopen.h).
	 */
	if (a->state == HO_ST_GONE)
		return a->flags & HO_AT_TOMB ? REPAIR_DELETE : REPAIR_KEEP;
	if (!v->alive)
		return ho_state_in_flight(a->state) ? REPAIR_CHECK : REPAIR_KEEP;
	if (v->nalive && bsearch(&cookie, v->alive, v->nalive, sizeof(cookie), cmp_u64))
		return REPAIR_KEEP;
	return REPAIR_CHECK;
}
