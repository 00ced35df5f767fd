/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which tracked attempts the repair looks at, and what it does with them:
 * pure logic, unit-tested (tests/unit/test_repair.c); the system calls are in
 * reconcile.c.
 */
#ifndef HO_REPAIR_H
#define HO_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "halfopen.h"

#define REPAIR_GRACE_NS 100000000ull /* an attempt this young is not judged */

enum repair_action {
	REPAIR_KEEP,   /* alive, too young to judge, or not this pass's business */
	REPAIR_CHECK,  /* look its socket up by 4-tuple and cookie before forgetting it */
	REPAIR_DELETE, /* a tomb (HO_AT_TOMB) of an attempt ended long ago: delete it */
};

struct repair_view {
	uint64_t now;	       /* CLOCK_MONOTONIC, read BEFORE the socket dump */
	const uint64_t *alive; /* cookies the dump listed in SYN_SENT, sorted; */
	size_t nalive;	       /* NULL: no dump (only attempts holding a slot are checked) */
};

/* Sort cookies for repair_view.alive. */
void repair_sort(uint64_t *cookies, size_t n);

/*
 * An attempt is judged only if it started at least REPAIR_GRACE_NS before
 * v->now: one that started during the dump or the walk may be missing from
 * the dump and still be alive. It is then checked one by one, never forgotten
 * on the dump's word alone: a dump that resumes across netlink messages can
 * skip a socket.
 */
enum repair_action repair_judge(const struct repair_view *v, uint64_t cookie,
				const struct ho_attempt *a);

#endif
