// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include "queue.h"
#include "unit.h"

static struct ho_attempt at(uint64_t start, uint32_t tgid)
{
	return (struct ho_attempt){.start_ns = start, .tgid = tgid, .state = HO_ST_QUEUED};
}

static void test_fifo(void)
{
	struct hqueue q;
	struct hq_entry *e;
	struct ho_attempt a = at(1, 1);

	CHECK(hq_init(&q) == 0);
	CHECK(hq_head(&q) == NULL);
	for (uint64_t c = 100; c < 110; c++)
		CHECK(hq_push(&q, c, &a, NULL) == 0);
	CHECK(hq_push(&q, 105, &a, NULL) == -EEXIST);
	CHECK(q.count == 10);
	/* remove from the middle: order of the rest unchanged */
	e = hq_find(&q, 105);
	CHECK(e && e->cookie == 105);
	CHECK(hq_position(&q, e) == 6);
	hq_remove(&q, e);
	CHECK(hq_find(&q, 105) == NULL);
	for (uint64_t c = 100; c < 110; c++) {
		if (c == 105)
			continue;
		e = hq_head(&q);
		CHECK(e && e->cookie == c);
		hq_remove(&q, e);
	}
	CHECK(q.count == 0 && q.head == NULL && q.tail == NULL);
	hq_free(&q);
}

static void test_hold(void)
{
	struct hqueue q;
	struct hq_entry *e;
	struct ho_attempt a = at(1, 1);

	CHECK(hq_init(&q) == 0);
	CHECK(hq_push(&q, 1, &a, &e) == 0);
	CHECK(hq_hold(&q, e, 77));
	CHECK(!hq_hold(&q, e, 78)); /* one packet per attempt */
	CHECK(e->pkt_id == 77 && q.held == 1);
	hq_remove(&q, e);
	CHECK(q.held == 0);
	hq_free(&q);
}

static void test_ordered_insert(void)
{
	struct hqueue q;
	struct ho_attempt a;
	uint64_t expect[] = {1, 2, 3, 4, 5};

	CHECK(hq_init(&q) == 0);
	a = at(10, 1);
	hq_push(&q, 1, &a, NULL);
	a = at(30, 1);
	hq_push(&q, 3, &a, NULL);
	a = at(50, 1);
	hq_push(&q, 5, &a, NULL);
	a = at(20, 1);
	CHECK(hq_insert_ordered(&q, 2, &a, NULL) == 0);
	a = at(40, 1);
	CHECK(hq_insert_ordered(&q, 4, &a, NULL) == 0);
	a = at(5, 1);
	CHECK(hq_insert_ordered(&q, 0, &a, NULL) == 0);
	CHECK(hq_head(&q)->cookie == 0);
	hq_remove(&q, hq_head(&q));
	for (int i = 0; i < 5; i++) {
		CHECK(hq_head(&q)->cookie == expect[i]);
		hq_remove(&q, hq_head(&q));
	}
	hq_free(&q);
}

/* Many entries: the index grows and shrinks and every entry stays findable. */
static void test_many(void)
{
	struct hqueue q;
	struct ho_attempt a = at(1, 1);
	const uint64_t n = 100000;
	int missing = 0;

	CHECK(hq_init(&q) == 0);
	for (uint64_t c = 0; c < n; c++)
		hq_push(&q, c * 4096 + 7, &a, NULL);
	CHECK(q.count == n);
	CHECK(q.nbuckets >= n / 2);
	for (uint64_t c = 0; c < n; c++)
		missing += hq_find(&q, c * 4096 + 7) == NULL;
	CHECK(missing == 0);
	for (uint64_t c = 0; c < n - 10; c++)
		hq_remove(&q, hq_head(&q));
	CHECK(q.count == 10);
	CHECK(hq_find(&q, (n - 1) * 4096 + 7) != NULL);
	hq_free(&q);
	hq_free(&q); /* twice is harmless */
}

static void test_group_by(void)
{
	struct hqueue q;
	struct ho_attempt a = at(0, 0);
	struct hq_group *g;
	const struct hq_group *f;
	const uint32_t tgids[] = {7, 3, 7, 9, 3, 7};
	size_t n;

	CHECK(hq_init(&q) == 0);
	CHECK(hq_group_by(&q, false, &g, &n) == 0 && n == 0 && g == NULL);
	for (size_t i = 0; i < sizeof(tgids) / sizeof(tgids[0]); i++) {
		a = at(100 + i, tgids[i]);
		a.cgid = tgids[i] == 9 ? 2 : 1;
		hq_push(&q, i + 1, &a, NULL);
	}
	CHECK(hq_group_by(&q, false, &g, &n) == 0 && n == 3);
	f = hq_group_find(g, n, 7);
	CHECK(f && f->count == 3 && f->oldest->cookie == 1);
	f = hq_group_find(g, n, 3);
	CHECK(f && f->count == 2 && f->oldest->cookie == 2);
	CHECK(hq_group_find(g, n, 8) == NULL);
	free(g);
	CHECK(hq_group_by(&q, true, &g, &n) == 0 && n == 2);
	f = hq_group_find(g, n, 1);
	CHECK(f && f->count == 5 && f->oldest->cookie == 1);
	free(g);
	hq_free(&q);
}

static void push_cg(struct hqueue *q, uint64_t cookie, uint64_t cgid)
{
	struct ho_attempt a = {.cgid = cgid, .start_ns = cookie};

	CHECK(hq_push(q, cookie, &a, NULL) == 0);
}

/* Round robin over cgroups: a newcomer goes within one round. */
static void test_turns(void)
{
	struct hqueue q;
	struct hq_sub *s;
	uint64_t order[8];
	int n = 0;

	CHECK(hq_init(&q) == 0);
	CHECK(hq_turn(&q) == NULL);
	for (uint64_t c = 1; c <= 4; c++)
		push_cg(&q, c, 100); /* the scanner */
	push_cg(&q, 5, 200);	     /* someone else */
	CHECK(q.nsubs == 2);
	/* release heads turn by turn, as the daemon's fair pass does */
	while ((s = hq_turn(&q)) && n < 8) {
		struct hq_entry *e = s->head;
		bool last = s->count == 1;

		order[n++] = e->cookie;
		hq_remove(&q, e);
		if (!last)
			hq_next_turn(&q);
	}
	CHECK(n == 5 && q.count == 0 && q.nsubs == 0 && hq_turn(&q) == NULL);
	CHECK(order[0] == 1 && order[1] == 5 && order[2] == 2 && order[3] == 3 && order[4] == 4);
	/* FIFO inside a cgroup, by connect() time, also for late arrivals */
	push_cg(&q, 30, 7);
	push_cg(&q, 10, 7);
	s = hq_turn(&q);
	CHECK(s && s->count == 2 && s->head->cookie == 10 && s->tail->cookie == 30);
	hq_free(&q);
}

int main(void)
{
	test_turns();
	test_group_by();
	test_fifo();
	test_hold();
	test_ordered_insert();
	test_many();
	return unit_done("test_queue");
}
