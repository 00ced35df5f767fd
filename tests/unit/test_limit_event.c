// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>
#include "limit_event.h"
#include "unit.h"

#define SEC 1000000000ull

static void test_rate(void)
{
	struct limit_event ev;

	limit_event_init(&ev, 60 * SEC);
	CHECK(limit_event_due(&ev, 5 * SEC)); /* the first time */
	CHECK(!limit_event_due(&ev, 6 * SEC));
	CHECK(!limit_event_due(&ev, 64 * SEC));
	CHECK(limit_event_due(&ev, 65 * SEC)); /* a minute later */
	CHECK(!limit_event_due(&ev, 100 * SEC));
	CHECK(limit_event_due(&ev, 1000 * SEC));
	CHECK(ev.reports == 3 && ev.suppressed == 3);
}

static void test_top(void)
{
	struct hqueue q;
	struct top_proc top;
	struct ho_attempt a = {0};
	uint64_t c = 1;
	const uint32_t tgids[] = {10, 20, 20, 30, 20, 10, 30, 30, 30};

	CHECK(hq_init(&q) == 0);
	CHECK(queue_top_process(&q, &top) < 0);
	for (size_t i = 0; i < sizeof(tgids) / sizeof(tgids[0]); i++) {
		a.tgid = tgids[i];
		a.uid = tgids[i] + 1000;
		strcpy(a.comm, tgids[i] == 30 ? "worm" : "browser");
		hq_push(&q, c++, &a, NULL);
	}
	CHECK(queue_top_process(&q, &top) == 0);
	CHECK(top.tgid == 30 && top.queued == 4 && top.uid == 1030 && !strcmp(top.comm, "worm"));
	hq_free(&q);
}

static void test_event_log(void)
{
	static struct event_log l;
	struct ho_ctl_event_row r = {0};

	CHECK(l.count == 0);
	for (uint32_t i = 0; i < HO_EVENT_LOG_LEN + 5; i++) {
		r.queued = i;
		event_log_add(&l, &r);
	}
	CHECK(l.count == HO_EVENT_LOG_LEN);
	CHECK(event_log_get(&l, 0)->queued == 5); /* the oldest 5 went */
	CHECK(event_log_get(&l, HO_EVENT_LOG_LEN - 1)->queued == HO_EVENT_LOG_LEN + 4);
}

int main(void)
{
	test_rate();
	test_top();
	test_event_log();
	return unit_done("test_limit_event");
}
