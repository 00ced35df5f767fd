// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The containment module (daemon/contain.c) against a pretend kernel: the
 * flagged and reached maps are recorded here. First contacts' ends flag a
 * scope after 10 distinct failures, a repeated failure counts once, a close
 * before 1 s is no evidence and after it a failure, the root cgroup is not
 * judged as a group (its user is), the working set is kept to its bound
 * least recently used out, a flagged scope's releases are paced, and quiet
 * periods, successes and pardons unflag; probation budgets follow the score.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "contain.h"
#include "kern.h"
#include "log.h"
#include "procinfo.h"
#include "unit.h"

static struct ho_kstate kst;
static int flagged_calls, unflag_calls, detect;
static uint8_t deleted[16];
static int ndeleted;
static uint64_t last_use[256]; /* by the address's last byte: what the kernel recorded */

struct ho_kstate *kern_state(struct kern *k)
{
	(void)k;
	return &kst;
}

void kern_set_detect(struct kern *k, bool on)
{
	(void)k;
	detect = on;
}

int kern_flag(struct kern *k, uint32_t kind, uint64_t id, bool on)
{
	(void)k;
	(void)kind;
	(void)id;
	if (on)
		flagged_calls++;
	else
		unflag_calls++;
	return 0;
}

int kern_reached(struct kern *k, uint32_t kind, uint64_t id, const uint8_t addr[16],
		 uint64_t *last_ns, bool del)
{
	(void)k;
	(void)kind;
	(void)id;
	if (del) {
		memcpy(deleted, addr, 16);
		ndeleted++;
		return 0;
	}
	*last_ns = last_use[addr[3]];
	return 0;
}

/* The kernel's probation of the process under test (kind PROC), as the daemon sets it. */
static uint32_t probe_budget = 12345, probe_resolved, probe_default;
static int probe_dels;

void kern_set_probation(struct kern *k, uint32_t budget)
{
	(void)k;
	probe_default = budget;
}

int kern_probe_set(struct kern *k, uint32_t kind, uint64_t id, uint32_t budget, uint32_t resolve)
{
	(void)k;
	(void)id;
	if (kind == HO_SCOPE_PROC) {
		probe_budget = budget;
		probe_resolved += resolve;
	}
	return 1;
}

int kern_probe_del(struct kern *k, uint32_t kind, uint64_t id)
{
	(void)k;
	(void)kind;
	(void)id;
	probe_dels++;
	return 0;
}

void kern_probe_scopes(struct kern *k, uint32_t kind, void (*fn)(void *ctx, uint64_t id), void *ctx)
{
	(void)k;
	if (kind == HO_SCOPE_PROC) {
		fn(ctx, 0x7ffffffe); /* no such process: its probation goes */
		fn(ctx, (uint32_t)getpid());
	} else {
		fn(ctx, 0x7ffffffffffeull); /* no such cgroup */
		fn(ctx, HO_CGROUP_ROOT_ID);
	}
}

#define S 1000000000ull

static struct ho_attempt attempt(uint32_t tgid, uint64_t cgid, uint8_t last, uint32_t flags)
{
	struct ho_attempt a = {.tgid = tgid,
			       .uid = 1000,
			       .cgid = cgid,
			       .family = 2,
			       .dport = 445,
			       .flags = flags,
			       .out_ns = 100 * S};

	a.daddr[0] = 10;
	a.daddr[1] = 43;
	a.daddr[3] = last;
	memcpy(a.comm, "worm", 5);
	return a;
}

static void setup(struct contain *c, struct ho_config *cfg)
{
	config_defaults(cfg);
	cfg->working_set = 4;
	cfg->quiet = 60;
	memset(c, 0, sizeof(*c));
	memset(&kst, 0, sizeof(kst));
	flagged_calls = unflag_calls = ndeleted = 0;
	contain_configure(c, NULL, cfg);
}

static void test_flag_after_ten_distinct_failures(void)
{
	static struct contain c;
	struct ho_config cfg;
	struct ho_ctl_event_row r;
	uint32_t me = (uint32_t)getpid(), v, ok, failed;
	struct ho_attempt a;
	int32_t score;

	setup(&c, &cfg);
	CHECK(detect);
	for (uint8_t i = 1; i <= 9; i++) {
		a = attempt(me, 77, i, HO_AT_FIRST_P | HO_AT_FIRST_C);
		contain_on_end(&c, &a, HO_OUT_FAILED, 101 * S);
		/* the same address again: one piece of evidence */
		contain_on_end(&c, &a, HO_OUT_REFUSED, 101 * S);
	}
	CHECK(!c.flagged && !flagged_calls);
	a = attempt(me, 77, 10, HO_AT_FIRST_P | HO_AT_FIRST_C);
	/* closed 0.5 s after its SYN went out: nothing; 1 s: failed (abandoned) */
	contain_on_end(&c, &a, HO_OUT_CLOSED, a.out_ns + S / 2);
	CHECK(!c.flagged);
	contain_on_end(&c, &a, HO_OUT_CLOSED, a.out_ns + S);
	CHECK(c.flagged == 2 && flagged_calls == 2 && kst.flagged_scopes == 2);
	contain_verdict(&c, HO_SCOPE_PROC, me, &v, &score, &ok, &failed);
	CHECK(v == HO_VERDICT_FLAGGED && ok == 0 && failed == 10 && score == 4600);
	/* the alarms: the process's, then its cgroup's, naming it and samples */
	CHECK(contain_alarm(&c, &r));
	CHECK(r.kind == HO_EVENT_FLAGGED && r.scope_kind == HO_SCOPE_PROC && r.top_tgid == me);
	CHECK(r.first_failed == 10 && r.first_ok == 0 && !strcmp(r.top_comm, "worm"));
	CHECK(r.samples[0].family == 2 && r.samples[0].port == 445 && r.samples[0].addr[3] == 10);
	CHECK(r.samples[3].addr[3] == 7 && r.limit == 1);
	CHECK(contain_alarm(&c, &r) && r.scope_kind == HO_SCOPE_CGROUP);
	CHECK(!contain_alarm(&c, &r));
	contain_free(&c);
}

static void test_root_cgroup_by_user_exempt_not_judged(void)
{
	static struct contain c;
	struct ho_config cfg;
	struct ho_attempt a;

	setup(&c, &cfg);
	for (uint8_t i = 1; i <= 20; i++) {
		a = attempt((uint32_t)getpid(), 5, i, HO_AT_FIRST_P | HO_AT_FIRST_C | HO_AT_EXEMPT);
		contain_on_end(&c, &a, HO_OUT_FAILED, 101 * S);
	}
	CHECK(!c.flagged && !c.n);
	/* in the root cgroup (the whole host), the group judged is the user */
	for (uint8_t i = 1; i <= 10; i++) {
		a = attempt((uint32_t)getpid() + i, HO_CGROUP_ROOT_ID, i, HO_AT_FIRST_C);
		contain_on_end(&c, &a, HO_OUT_FAILED, 101 * S);
	}
	CHECK(c.flagged == 1 && c.n == 1);
	CHECK(contain_find(&c, HO_SCOPE_USER, 1000) && !contain_find(&c, HO_SCOPE_CGROUP, 1));
	contain_free(&c);
}

/* Pacing: one release a second; unflagged by successes, then paced no more. */
static void test_pacing_and_unflag_by_successes(void)
{
	static struct contain c;
	struct ho_config cfg;
	struct ho_attempt a, q;
	uint32_t me = (uint32_t)getpid();

	setup(&c, &cfg);
	for (uint8_t i = 1; i <= 10; i++) {
		a = attempt(me, 9, i, HO_AT_FIRST_P);
		contain_on_end(&c, &a, HO_OUT_FAILED, 101 * S);
	}
	CHECK(c.flagged == 1);
	q = attempt(me, 9, 200, HO_AT_FIRST_P | HO_AT_CONT_P);
	CHECK(contain_gate(&c, &q, 200 * S) == 0);
	contain_released(&c, &q, 200 * S);
	CHECK(contain_gate(&c, &q, 200 * S + 1) == S - 1);
	CHECK(contain_gate(&c, &q, 201 * S) == 0);
	/* three successes: back to 0, unflagged; no pace any more */
	for (uint8_t i = 101; i <= 103; i++) {
		a = attempt(me, 9, i, HO_AT_FIRST_P);
		contain_on_end(&c, &a, HO_OUT_ESTABLISHED, 202 * S);
	}
	CHECK(c.flagged == 0 && unflag_calls == 1 && kst.flagged_scopes == 0);
	contain_released(&c, &q, 203 * S);
	CHECK(contain_gate(&c, &q, 203 * S) == 0);
	contain_free(&c);
}

/* The working set: kept to its bound, the least recently used one given up. */
static void test_working_set_bound(void)
{
	static struct contain c;
	struct ho_config cfg;
	struct ho_attempt a;
	const struct cscope *s;

	setup(&c, &cfg);
	for (uint8_t i = 1; i <= 4; i++) {
		last_use[i] = 1000 + i;
		a = attempt((uint32_t)getpid(), 9, i, HO_AT_FIRST_P);
		contain_on_end(&c, &a, HO_OUT_ESTABLISHED, 101 * S);
	}
	s = contain_find(&c, HO_SCOPE_PROC, (uint32_t)getpid());
	CHECK(s && s->nws == 4 && !ndeleted);
	last_use[1] = 5000; /* used again since: 2 is now the least recently used */
	a = attempt((uint32_t)getpid(), 9, 5, HO_AT_FIRST_P);
	contain_on_end(&c, &a, HO_OUT_ESTABLISHED, 101 * S);
	CHECK(s->nws == 4 && ndeleted == 1 && deleted[3] == 2);
	contain_free(&c);
}

static void test_quiet_and_pardon(void)
{
	static struct contain c;
	struct ho_config cfg;
	struct ho_attempt a;
	uint32_t me = (uint32_t)getpid();

	setup(&c, &cfg);
	for (uint8_t i = 1; i <= 10; i++) {
		a = attempt(me, 9, i, HO_AT_FIRST_P | HO_AT_FIRST_C);
		contain_on_end(&c, &a, HO_OUT_FAILED, 100 * S);
	}
	CHECK(c.flagged == 2);
	CHECK(!contain_tick(&c, 159 * S) && c.flagged == 2);
	CHECK(contain_tick(&c, 160 * S) && c.flagged == 0);
	CHECK(contain_find(&c, HO_SCOPE_PROC, me)->t.score == 0);
	/* flagged again, then pardoned */
	for (uint8_t i = 11; i <= 20; i++) {
		a = attempt(me, 9, i, HO_AT_FIRST_P);
		contain_on_end(&c, &a, HO_OUT_FAILED, 170 * S);
	}
	CHECK(c.flagged == 1);
	CHECK(contain_pardon(&c, HO_SCOPE_PROC, me) == 0 && c.flagged == 0);
	CHECK(contain_pardon(&c, HO_SCOPE_PROC, 1u << 30) == -ENOENT);
	contain_free(&c);
}

/*
 * Raw SYNs: a sweep's answers come at once, its failures at raw-timeout.
 * 200 live and 50 dead addresses, one dead in five, sent interleaved: scored
 * as they end (every success, then every failure), the 50 failures in a row
 * flag; scored in the order the SYNs left, they do not. Nothing is scored
 * before it settles, and a process gone by then is not judged (its cgroup is).
 */
static void test_raw_ends_in_send_order(void)
{
	static struct contain c, d;
	struct ho_config cfg;
	struct ho_attempt a[250];
	uint32_t me = (uint32_t)getpid(), v, ok, failed;
	int32_t score;

	for (int i = 0; i < 250; i++) {
		a[i] = attempt(me, 77, (uint8_t)i, HO_AT_FIRST_P | HO_AT_FIRST_C);
		a[i].daddr[2] = 1;
		a[i].start_ns = 100 * S + (uint64_t)i * (S / 100);
	}
	/* as they end: the TCP path's order */
	setup(&d, &cfg);
	for (int i = 0; i < 250; i++)
		if (i % 5)
			contain_on_end(&d, &a[i], HO_OUT_ESTABLISHED, a[i].start_ns);
	for (int i = 0; i < 250; i += 5)
		contain_on_end(&d, &a[i], HO_OUT_FAILED, a[i].start_ns + 3 * S);
	CHECK(d.flagged == 2);
	contain_free(&d);
	/* in the order they left */
	setup(&c, &cfg);
	for (int i = 0; i < 250; i++)
		if (i % 5)
			contain_raw_end(&c, &a[i], HO_OUT_ESTABLISHED);
	for (int i = 245; i >= 0; i -= 5) /* the sweep's order is the table's */
		contain_raw_end(&c, &a[i], HO_OUT_FAILED);
	CHECK(c.nraw == 250);
	/* the oldest in flight left with a[0]: nothing settled yet */
	contain_raw_due(&c, a[0].start_ns, a[0].start_ns + 3 * S, 4 * S);
	CHECK(c.nraw == 250 && !contain_find(&c, HO_SCOPE_PROC, me));
	/* one still in flight, sent with a[100]: those sent before are scored */
	contain_raw_due(&c, a[100].start_ns, a[100].start_ns + S, 4 * S);
	CHECK(c.nraw == 150 && !c.flagged);
	/* settled: the rest */
	contain_raw_due(&c, a[100].start_ns, a[249].start_ns + 4 * S, 4 * S);
	CHECK(c.nraw == 0 && !c.flagged);
	contain_verdict(&c, HO_SCOPE_CGROUP, 77, &v, &score, &ok, &failed);
	CHECK(v == HO_VERDICT_OK && ok == 200 && failed == 50 && score < 0);
	/* 10 dead addresses of a process that is gone: its cgroup only */
	for (int i = 0; i < 10; i++) {
		a[i] = attempt(1u << 30, 78, (uint8_t)i, HO_AT_FIRST_P | HO_AT_FIRST_C);
		a[i].start_ns = 200 * S;
		contain_raw_end(&c, &a[i], HO_OUT_FAILED);
	}
	contain_raw_due(&c, 205 * S, 205 * S, 4 * S);
	CHECK(!contain_find(&c, HO_SCOPE_PROC, 1u << 30));
	contain_verdict(&c, HO_SCOPE_CGROUP, 78, &v, &score, &ok, &failed);
	CHECK(v == HO_VERDICT_FLAGGED && failed == 10);
	contain_free(&c);
	contain_raw_free(&c);
}

/*
 * Probation: a new scope may have 10 first contacts out (flag-after); each
 * failure scored lowers the budget as its unit comes back, so that the
 * scope is flagged at the 10th and never had more out; a success raises
 * it (ceil((4.600 + 2.079) / 0.460) = 15), three free the scope; a close at
 * once is no evidence and gives the unit back 1 s after its SYN went out;
 * slot-timeout scores a failure that a late success undoes.
 */
static void test_probation_budget(void)
{
	static struct contain c;
	struct ho_config cfg;
	uint32_t me = (uint32_t)getpid(), v, ok, failed;
	struct ho_attempt a;
	int32_t score;

	setup(&c, &cfg);
	CHECK(probe_default == 10);
	probe_resolved = 0;
	for (uint8_t i = 1; i <= 9; i++) {
		a = attempt(me, 77, i, HO_AT_FIRST_P | HO_AT_PROBE_P);
		contain_on_end(&c, &a, HO_OUT_FAILED, 101 * S);
		CHECK(probe_budget == 10u - i && probe_resolved == i);
	}
	/* closed at once: no evidence, the unit comes back 1 s after its SYN went out */
	a = attempt(me, 77, 50, HO_AT_FIRST_P | HO_AT_PROBE_P);
	contain_on_end(&c, &a, HO_OUT_CLOSED, a.out_ns + S / 10);
	CHECK(probe_resolved == 9 && contain_units_due(&c, a.out_ns + S / 2) == a.out_ns + S);
	CHECK(probe_resolved == 9 && contain_units_due(&c, a.out_ns + S) == 0);
	CHECK(probe_budget == 1 && probe_resolved == 10 && !c.flagged);
	/* an end the kernel could not tell (outcome 0) the same */
	contain_on_end(&c, &a, 0, a.out_ns + 5 * S);
	CHECK(probe_budget == 1 && probe_resolved == 11 && !c.flagged);
	a = attempt(me, 77, 10, HO_AT_FIRST_P | HO_AT_PROBE_P);
	contain_on_end(&c, &a, HO_OUT_FAILED, 101 * S);
	CHECK(c.flagged == 1 && probe_budget == 0 && probe_resolved == 12);
	contain_free(&c);

	/* a success from a new scope: 15; three: free */
	setup(&c, &cfg);
	a = attempt(me, 78, 1, HO_AT_FIRST_P | HO_AT_PROBE_P);
	contain_on_end(&c, &a, HO_OUT_ESTABLISHED, 101 * S);
	CHECK(probe_budget == 15);
	for (uint8_t i = 2; i <= 3; i++) {
		a = attempt(me, 78, i, HO_AT_FIRST_P | HO_AT_PROBE_P);
		contain_on_end(&c, &a, HO_OUT_ESTABLISHED, 101 * S);
	}
	CHECK(probe_budget == HO_PROBE_FREE);
	contain_free(&c);

	/* slot-timeout: scored failed, its unit back; a late success undoes the failure */
	setup(&c, &cfg);
	probe_resolved = 0;
	a = attempt(me, 79, 1, HO_AT_FIRST_P);
	contain_on_expired(&c, &a, HO_AT_PROBE_P, 104 * S);
	CHECK(probe_budget == 9 && probe_resolved == 1);
	contain_verdict(&c, HO_SCOPE_PROC, me, &v, &score, &ok, &failed);
	CHECK(failed == 1 && score == 460);
	a.flags |= HO_AT_EXPIRED; /* its units went with the expiry: none at the end */
	contain_on_end(&c, &a, HO_OUT_ESTABLISHED, 105 * S);
	contain_verdict(&c, HO_SCOPE_PROC, me, &v, &score, &ok, &failed);
	CHECK(failed == 0 && ok == 1 && score == -2079 && probe_resolved == 1);
	CHECK(probe_budget == 15);
	/* the original mode has none */
	cfg.mode = HO_MODE_ORIGINAL;
	contain_configure(&c, NULL, &cfg);
	CHECK(probe_default == 0);
	/* probations of processes (every tick) and cgroups (every minute) that are gone go */
	probe_dels = 0;
	cfg.mode = HO_MODE_CONTAIN;
	contain_configure(&c, NULL, &cfg);
	(void)contain_tick(&c, 106 * S);
	/* no cgroup2 tree where the unit tests run: no cgroup's is removed */
	CHECK(probe_dels == (cgroup2_root() ? 2 : 1));
	(void)contain_tick(&c, 107 * S);
	CHECK(probe_dels == (cgroup2_root() ? 3 : 2));
	contain_free(&c);
}

int main(void)
{
	log_init("test_contain", HO_LOG_ERR); /* its warnings are the subject, not noise */
	test_flag_after_ten_distinct_failures();
	test_root_cgroup_by_user_exempt_not_judged();
	test_pacing_and_unflag_by_successes();
	test_working_set_bound();
	test_quiet_and_pardon();
	test_raw_ends_in_send_order();
	test_probation_budget();
	return unit_done("test_contain");
}
