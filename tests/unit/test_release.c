// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The release engine (daemon/release.c) against a pretend kernel: the shared
 * counts are plain memory here, and the release callback takes slots the way
 * the release BPF program does (the namespace's and each scope's, all or
 * none; an exempt scope takes none of the namespace).
 */
#include <linux/netfilter.h>
#include <string.h>
#include "release.h"
#include "unit.h"

#define MAX_LOG 64

struct fake {
	struct hqueue q;
	struct ho_kstate ks;
	struct ho_scope scopes[HO_SCOPES_MAX];
	uint32_t policy_of[8]; /* cgroup id -> scope index (0: none) */
	uint64_t gone;	       /* this cookie has left SYN_SENT */
	uint64_t out[MAX_LOG]; /* cookies in the order they left the queue */
	uint32_t verdict[MAX_LOG];
	int nout, calls;
	struct release_engine r;
};

static void fake_scopes_of(void *ctx, struct hq_entry *e, struct ho_scope_set *set)
{
	struct fake *f = ctx;
	uint32_t idx = f->policy_of[e->info.cgid];

	memset(set, 0, sizeof(*set));
	if (idx)
		set->s[0] = (struct ho_scope_ref){.idx = (uint16_t)idx,
						  .gen = (uint16_t)f->scopes[idx].gen};
}

static int fake_release(void *ctx, uint64_t cookie, uint32_t gen, bool force,
			const struct ho_scope_set *set)
{
	struct fake *f = ctx;
	struct ho_scope *k = set->s[0].idx ? &f->scopes[set->s[0].idx] : NULL;
	bool exempt = k && (k->flags & HO_SCOPE_F_EXEMPT);

	(void)gen; /* the kernel's check; the engine passes the entry's (info.gen) */
	f->calls++;
	if (cookie == f->gone)
		return HO_REL_GONE;
	if (!force && k && !exempt && k->limit && k->in_flight >= (int32_t)k->limit)
		return HO_REL_SCOPE_FULL;
	if (!force && !exempt && f->ks.limit && f->ks.in_flight >= f->ks.limit)
		return HO_REL_NO_SLOT;
	if (k)
		k->in_flight++;
	if (exempt)
		f->ks.exempt_in_flight++;
	else
		f->ks.in_flight++;
	return HO_REL_RELEASED;
}

static void fake_leave(void *ctx, struct hq_entry *e, uint32_t verdict)
{
	struct fake *f = ctx;

	if (f->nout < MAX_LOG) {
		f->out[f->nout] = e->cookie;
		f->verdict[f->nout++] = verdict;
	}
	hq_remove(&f->q, e);
}

static const struct release_ops fake_ops = {
	.scopes_of = fake_scopes_of,
	.release = fake_release,
	.leave = fake_leave,
};

static void setup(struct fake *f, uint32_t limit)
{
	memset(f, 0, sizeof(*f));
	CHECK(hq_init(&f->q) == 0);
	f->ks.limit = limit;
	f->r = (struct release_engine){
		.q = &f->q, .ks = &f->ks, .scopes = f->scopes, .ops = &fake_ops, .ctx = f};
}

/* Queue cookie from cgroup cgid, in arrival order. */
static void push(struct fake *f, uint64_t cookie, uint64_t cgid)
{
	struct ho_attempt a = {.start_ns = cookie, .tgid = (uint32_t)cgid, .cgid = cgid};

	CHECK(hq_push(&f->q, cookie, &a, NULL) == 0);
}

/* Queue cookies 1..n, in this order, from the cgroups cgid[0..n-1]. */
#define PUSH_ALL(f, ...)                                                                           \
	push_all(f, (const uint64_t[]){__VA_ARGS__},                                               \
		 sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))
static void push_all(struct fake *f, const uint64_t *cgid, size_t n)
{
	for (size_t i = 0; i < n; i++)
		push(f, i + 1, cgid[i]);
}

static bool order_is(const struct fake *f, const uint64_t *want, int n)
{
	if (f->nout != n)
		return false;
	for (int i = 0; i < n; i++)
		if (f->out[i] != want[i])
			return false;
	return true;
}

static void test_fifo_order(void)
{
	static struct fake f;
	const uint64_t want[] = {1, 2, 3};

	setup(&f, 3);
	PUSH_ALL(&f, 1, 1, 2, 2);
	release_run(&f.r, true, false, UINT32_MAX);
	CHECK(order_is(&f, want, 3));
	CHECK(f.verdict[0] == NF_REPEAT);
	CHECK(f.r.released == 3 && f.q.count == 1);
	CHECK(f.ks.global_wait == 1); /* 4 waits for a slot of the namespace */
	CHECK(f.calls == 3);	      /* the full namespace is seen without a call */
	/* a slot frees: the last one goes, nobody waits any more */
	f.ks.in_flight--;
	release_run(&f.r, true, false, UINT32_MAX);
	CHECK(f.nout == 4 && f.out[3] == 4 && f.q.count == 0);
	CHECK(f.ks.global_wait == 0);
	hq_free(&f.q);
}

static void test_fair_order(void)
{
	static struct fake f;
	const uint64_t want[] = {1, 4, 6, 2, 5, 3};

	setup(&f, 0);
	/* cgroup 1 queued three, then cgroups 2 and 3: they take turns */
	PUSH_ALL(&f, 1, 1, 1, 2, 2, 3);
	release_run(&f.r, false, false, UINT32_MAX);
	CHECK(order_is(&f, want, 6));
	CHECK(f.ks.in_flight == 6 && f.q.count == 0 && f.q.nsubs == 0);
	CHECK(f.ks.global_wait == 0);
	hq_free(&f.q);
}

/* rate:R is fair order with a budget per tick; the turn carries over. */
static void test_rate_budget(void)
{
	static struct fake f;
	const uint64_t want[] = {1, 3, 2, 4};

	setup(&f, 0);
	PUSH_ALL(&f, 1, 1, 2, 2);
	release_run(&f.r, false, false, 1);
	CHECK(f.nout == 1 && f.out[0] == 1);
	CHECK(f.ks.global_wait == 1); /* still queued: new attempts do not overtake */
	release_run(&f.r, false, false, 1);
	CHECK(f.nout == 2 && f.out[1] == 3);
	release_run(&f.r, false, false, 2);
	CHECK(order_is(&f, want, 4));
	release_run(&f.r, false, false, 0); /* an empty queue with no budget: nothing waits */
	CHECK(f.ks.global_wait == 0);
	hq_free(&f.q);
}

/* A cgroup whose own scope is full sits the pass out; the others go on. */
static void test_full_scope(void)
{
	static struct fake f;
	const uint64_t want[] = {3, 4};

	for (int fifo = 0; fifo < 2; fifo++) {
		setup(&f, 10);
		f.policy_of[1] = 7;
		f.scopes[7] = (struct ho_scope){.limit = 1, .in_flight = 1, .gen = 3};
		PUSH_ALL(&f, 1, 1, 2, 2);
		release_run(&f.r, fifo, false, UINT32_MAX);
		CHECK(order_is(&f, want, 2));
		CHECK(f.q.count == 2);
		/* what is left is held back by its own scope, not by the namespace */
		CHECK(f.ks.global_wait == 0);
		CHECK(f.calls == 2); /* the full scope is seen without a call */
		hq_free(&f.q);
	}
}

/* A policy changed while attempts are queued applies at the next pass. */
static void test_policy_change(void)
{
	static struct fake f;
	const uint64_t want[] = {1, 2};

	setup(&f, 1);
	f.ks.in_flight = 1; /* the namespace is full */
	f.policy_of[1] = 5;
	f.scopes[5] = (struct ho_scope){.limit = 1, .in_flight = 1, .gen = 1};
	PUSH_ALL(&f, 1, 1);
	release_run(&f.r, false, false, UINT32_MAX);
	CHECK(f.nout == 0 && f.calls == 0);
	/* the policy becomes exempt: its attempts take no slot of the namespace */
	f.scopes[5].limit = 0;
	f.scopes[5].flags = HO_SCOPE_F_EXEMPT;
	release_run(&f.r, false, false, UINT32_MAX);
	CHECK(order_is(&f, want, 2));
	CHECK(f.ks.in_flight == 1 && f.ks.exempt_in_flight == 2);
	/* the policy is deleted: the namespace's limit applies again */
	push(&f, 3, 1);
	f.policy_of[1] = 0;
	f.scopes[5].gen++;
	release_run(&f.r, false, false, UINT32_MAX);
	CHECK(f.nout == 2 && f.q.count == 1 && f.ks.global_wait == 1);
	hq_free(&f.q);
}

/* An attempt whose socket left SYN_SENT leaves with its SYN dropped. */
static void test_gone_and_force(void)
{
	static struct fake f;
	const uint64_t want[] = {1, 2, 3};

	setup(&f, 1);
	f.ks.in_flight = 1;
	f.gone = 2;
	PUSH_ALL(&f, 1, 2, 1);
	/* shutdown: everything goes, over the limit */
	release_run(&f.r, false, true, UINT32_MAX);
	CHECK(f.nout == 3);
	CHECK(f.out[0] == 1 && f.out[1] == 2 && f.out[2] == 3);
	CHECK(order_is(&f, want, 3));
	CHECK(f.verdict[0] == NF_REPEAT && f.verdict[1] == NF_DROP && f.verdict[2] == NF_REPEAT);
	CHECK(f.r.released == 2 && f.ks.in_flight == 3);
	hq_free(&f.q);
}

/*
 * A contained attempt (its process flagged) goes at its scope's pace, from
 * its own sub-queue: one per turn however many slots free, while the rest
 * of its cgroup and everyone else go as before.
 */
static uint64_t next_turn; /* the pretend contain module: one scope */

static uint64_t fake_gate(void *ctx, const struct ho_attempt *a, uint64_t now)
{
	(void)ctx;
	(void)a;
	return next_turn > now ? next_turn - now : 0;
}

static void fake_gated(void *ctx, const struct ho_attempt *a, uint64_t now)
{
	(void)ctx;
	(void)a;
	next_turn = now + 1000000000ull;
}

static void test_contained_paced(void)
{
	static struct fake f;
	static struct release_ops ops;
	struct ho_attempt a = {.tgid = 7, .cgid = 1, .flags = HO_AT_FIRST_P | HO_AT_CONT_P};
	const uint64_t first[] = {10, 1, 2};
	const uint64_t later[] = {10, 1, 2, 11};

	setup(&f, 0);
	ops = fake_ops;
	ops.gate = fake_gate;
	ops.gated = fake_gated;
	f.r.ops = &ops;
	next_turn = 0;
	for (uint64_t c = 10; c < 15; c++) {
		a.start_ns = c;
		CHECK(hq_push(&f.q, c, &a, NULL) == 0);
	}
	push(&f, 1, 1); /* the same cgroup, not contained */
	push(&f, 2, 2);
	CHECK(f.q.nsubs == 3); /* the flagged process has its own sub-queue */
	f.r.now = 5000000000ull;
	release_run(&f.r, false, false, UINT32_MAX);
	CHECK(order_is(&f, first, 3));
	CHECK(f.r.wake_ns == 6000000000ull);
	/* slots free (a batch of closes): nothing more of it goes before its turn */
	for (int i = 0; i < 5; i++)
		release_run(&f.r, false, false, UINT32_MAX);
	CHECK(f.nout == 3 && f.q.count == 4);
	f.r.now = 6000000000ull;
	release_run(&f.r, true, false, UINT32_MAX); /* fifo: the same pace */
	CHECK(order_is(&f, later, 4));
	/* unflagged (no turn to wait for): the rest goes at once */
	next_turn = 0;
	ops.gated = NULL;
	release_run(&f.r, false, false, UINT32_MAX);
	CHECK(f.q.count == 0 && f.r.wake_ns == 0);
	hq_free(&f.q);
}

int main(void)
{
	test_contained_paced();
	test_fifo_order();
	test_fair_order();
	test_rate_budget();
	test_full_scope();
	test_policy_change();
	test_gone_and_force();
	return unit_done("test_release");
}
