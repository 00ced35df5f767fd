// SPDX-License-Identifier: GPL-2.0-or-later
/* The repair's judgement: never forget an attempt on a guess. */
#include "repair.h"
#include "unit.h"

#define S 1000000000ull

static struct ho_attempt at(uint64_t start_ns, uint32_t state)
{
	return (struct ho_attempt){.start_ns = start_ns, .state = state};
}

/*
 * The dump ran at now = 100 s (time read before it). Attempts that started
 * during the dump or during the walk that follows (start > now) are not in
 * the dump, yet alive: they must be kept, even far past now (a walk over a
 * big table takes most of a second).
 */
static void test_attempts_started_during_dump_and_walk_are_kept(void)
{
	uint64_t alive[] = {7, 3, 5};
	struct repair_view v = {.now = 100 * S, .alive = alive, .nalive = 3};
	struct ho_attempt during_dump = at(100 * S + 1000, HO_ST_INFLIGHT);
	struct ho_attempt during_walk = at(100 * S + 800000000ull, HO_ST_QUEUED);
	struct ho_attempt just_before = at(100 * S - REPAIR_GRACE_NS + 1, HO_ST_RELEASING);

	repair_sort(alive, 3);
	CHECK(repair_judge(&v, 11, &during_dump) == REPAIR_KEEP);
	CHECK(repair_judge(&v, 12, &during_walk) == REPAIR_KEEP);
	CHECK(repair_judge(&v, 13, &just_before) == REPAIR_KEEP);
}

/* Old attempts: listed ones are kept; the others are looked up, never forgotten outright. */
static void test_old_attempts(void)
{
	uint64_t alive[] = {9, 2, 4};
	struct repair_view v = {.now = 50 * S, .alive = alive, .nalive = 3};
	struct ho_attempt inflight = at(10 * S, HO_ST_INFLIGHT);
	struct ho_attempt queued = at(10 * S, HO_ST_QUEUED);
	struct ho_attempt releasing = at(10 * S, HO_ST_RELEASING);
	struct ho_attempt gone = at(10 * S, HO_ST_GONE);
	struct ho_attempt tomb = at(10 * S, HO_ST_GONE);

	tomb.flags = HO_AT_TOMB;
	repair_sort(alive, 3);
	CHECK(repair_judge(&v, 2, &inflight) == REPAIR_KEEP);
	CHECK(repair_judge(&v, 4, &queued) == REPAIR_KEEP);
	CHECK(repair_judge(&v, 9, &releasing) == REPAIR_KEEP);
	CHECK(repair_judge(&v, 3, &inflight) == REPAIR_CHECK);
	CHECK(repair_judge(&v, 5, &queued) == REPAIR_CHECK);
	CHECK(repair_judge(&v, 6, &releasing) == REPAIR_CHECK);
	/* a tomb (its end left the entry to the daemon): deleted, whatever the dump says */
	CHECK(repair_judge(&v, 7, &tomb) == REPAIR_DELETE);
	CHECK(repair_judge(&v, 2, &tomb) == REPAIR_DELETE);
	/*
	 * ended, not a tomb: its leave still uses the entry and deletes it;
	 * deleted under it, the memory could go to another attempt
	 */
	CHECK(repair_judge(&v, 7, &gone) == REPAIR_KEEP);
}

/* A young GONE entry may be a leave in progress: left alone. */
static void test_young_gone_is_left_alone(void)
{
	struct repair_view v = {.now = 50 * S};
	struct ho_attempt gone = at(50 * S - 1000, HO_ST_GONE);

	CHECK(repair_judge(&v, 1, &gone) == REPAIR_KEEP);
}

/* Without a dump (the queue stalled): only what holds a slot is looked up. */
static void test_stall_check_without_dump(void)
{
	struct repair_view v = {.now = 50 * S};
	struct ho_attempt inflight = at(1 * S, HO_ST_INFLIGHT);
	struct ho_attempt releasing = at(1 * S, HO_ST_RELEASING);
	struct ho_attempt queued = at(1 * S, HO_ST_QUEUED);

	CHECK(repair_judge(&v, 1, &inflight) == REPAIR_CHECK);
	CHECK(repair_judge(&v, 2, &releasing) == REPAIR_CHECK);
	CHECK(repair_judge(&v, 3, &queued) == REPAIR_KEEP);
}

/* An empty dump: everything old is looked up. */
static void test_empty_dump(void)
{
	uint64_t none[1];
	struct repair_view v = {.now = 50 * S, .alive = none, .nalive = 0};
	struct ho_attempt inflight = at(1 * S, HO_ST_INFLIGHT);

	CHECK(repair_judge(&v, 1, &inflight) == REPAIR_CHECK);
}

int main(void)
{
	test_attempts_started_during_dump_and_walk_are_kept();
	test_old_attempts();
	test_young_gone_is_left_alone();
	test_stall_check_without_dump();
	test_empty_dump();
	return unit_done("repair");
}
