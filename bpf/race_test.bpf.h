/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Test builds only (make builds build/halfopen_race.bpf.o with -DHO_RACE_TEST
 * for tests/tools/test_reuse.c): opens, on request, the window between a
 * program's lookup of an attempt and its use of the entry, and does there
 * what another CPU may do: end the attempt (its entry deleted) and start
 * another one, which the allocator gives the same memory (it reuses the
 * last freed element of this CPU first); or, for an attempt in a cell, free
 * the cell and give it to an attempt of another cookie of that cell. Never
 * in the daemon's object.
 */
#ifndef HALFOPEN_RACE_TEST_BPF_H
#define HALFOPEN_RACE_TEST_BPF_H

#include "race_test.h"

struct ho_race race;

/* held_syn's test: the attempt of the packet's socket (a test run makes a new one each time). */
static __always_inline void race_setup(__u64 cookie)
{
	if (!race.setup)
		return;
	race.setup = 0;
	race.x_cookie = cookie;
	race.x.cookie = cookie;
	if (race.site == RACE_FIND) {
		struct ho_attempt *c = cell_of(cookie);

		/*
		 * x in the hash; its cell shows our cookie, stale, while
		 * another cookie's attempt fills it (WRITING, generation 300)
		 */
		bpf_map_update_elem(&attempts, &cookie, &race.x, BPF_ANY);
		race.y_cookie = cookie + ((__u64)HO_CELLS << 12);
		if (c) {
			c->cookie = cookie;
			c->sw = ((__u64)300 << 32) | HO_ST_WRITING;
		}
		return;
	}
	if (race.cell) {
		struct ho_attempt *c = cell_of(cookie);

		/* y will take x's cell: a cookie of the same cell */
		race.y_cookie = cookie + ((__u64)HO_CELLS << 12);
		race.y.cookie = race.y_cookie;
		if (c)
			*c = race.x;
		return;
	}
	bpf_map_update_elem(&attempts, &cookie, &race.x, BPF_ANY);
}

/* The attempt of cookie ends (deleted) and y starts, in the entry a if the allocator says so. */
static __always_inline void race_window(__u32 site, struct ho_attempt *a, __u64 cookie)
{
	if (race.site != site)
		return;
	race.site = 0;
	race.opened = 1;
	if (race.end) {
		/* what leave() does to an entry held by a release (TAKING): a tomb */
		a->state = HO_ST_GONE;
		__sync_fetch_and_or(&a->flags, HO_AT_TOMB);
		return;
	}
	if (race.cell) {
		/* x's cell freed and taken by y, as attempt_drop() and attempt_insert() do */
		*a = race.y;
		race.reused = 1;
		return;
	}
	bpf_map_delete_elem(&attempts, &cookie);
	if (bpf_map_update_elem(&attempts, &race.y_cookie, &race.y, BPF_NOEXIST))
		return;
	race.reused = bpf_map_lookup_elem(&attempts, &race.y_cookie) == a;
}

/* Inside attempt_find(), after its first read: the cell's filler writes its cookie and state. */
static __always_inline void race_find(struct ho_attempt *c)
{
	if (race.site != RACE_FIND)
		return;
	race.site = 0;
	race.opened = 1;
	c->cookie = race.y_cookie;
	c->sw = ((__u64)300 << 32) | HO_ST_INFLIGHT;
}

#define RACE_SETUP(cookie)	     race_setup(cookie)
#define RACE_WINDOW(site, a, cookie) race_window(site, a, cookie)
#define RACE_FIND(c)		     race_find(c)

#endif /* HALFOPEN_RACE_TEST_BPF_H */
