// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_reuse: the attempt table's entries are reused at once after a delete
 * (docs/design.md, "The attempt's state"). Each case runs one of the real
 * programs (release, expire, forget, held_syn) by BPF_PROG_TEST_RUN, built
 * with -DHO_RACE_TEST (bpf/race_test.bpf.h): between the program's lookup
 * of attempt X and its use of the entry, X is deleted and attempt Y
 * inserted, which the allocator puts in X's memory; or, for attempts in cells
 * (HO_CELLS), X's cell is freed and taken by Y, another cookie of that cell.
 * The program must leave Y alone: same state and generation, same slots,
 * nothing counted. Every case runs in both homes.
 *
 * Needs root (it loads BPF programs); touches no network and no cgroup
 * (nothing is attached). Prints one line per case; exit 1 if one fails.
 * Built with -DOLD_ABI against the code before the generation (see
 * docs/experiments/reuse-race/), the same cases show the race.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "halfopen.h"
#include "raw.h"
#include "race_test.h"
#include "halfopen_race.skel.h"

#define X_COOKIE 0x7e57000000000011ull
#define TRIES	 20 /* runs until the allocator gives Y the entry of X */

static struct halfopen_race_bpf *skel;
static int afd, cfd, failures;
/*
 * Where X and Y live: the hash (Y another cookie), or a cell (Y a cookie of
 * X's cell). Every case runs in both.
 */
static bool in_cell;
static uint64_t Y_COOKIE = 0x7e57000000000022ull;

/* An attempt of cookie k from its home; non-zero if it has none. */
static int get(uint64_t k, struct ho_attempt *out)
{
	uint32_t i = ho_cell_index(k, HO_CELLS - 1);

	if (!in_cell)
		return bpf_map_lookup_elem(afd, &k, out);
	if (bpf_map_lookup_elem(cfd, &i, out) || out->cookie != k || !ho_state_real(out->state))
		return -1;
	return 0;
}

static void put_cell(uint64_t k, const struct ho_attempt *a)
{
	uint32_t i = ho_cell_index(k, HO_CELLS - 1);

	(void)bpf_map_update_elem(cfd, &i, a, BPF_ANY);
}

static struct ho_attempt attempt(uint64_t cookie, uint32_t gen, uint32_t state)
{
	struct ho_attempt a = {.state = state, .family = 2, .tgid = 4242};

#ifndef OLD_ABI
	a.gen = gen;
	a.cookie = cookie;
#else
	(void)gen;
	(void)cookie;
#endif
	return a;
}

static void clear(void)
{
	uint64_t k = X_COOKIE;

	struct ho_attempt none = {0};

	bpf_map_delete_elem(afd, &k);
	put_cell(k, &none);
	k = Y_COOKIE;
	bpf_map_delete_elem(afd, &k);
	put_cell(k, &none);
	if (skel->bss->race.x_cookie) {
		k = skel->bss->race.x_cookie;
		bpf_map_delete_elem(afd, &k);
		put_cell(k, &none);
	}
	if (skel->bss->race.y_cookie) {
		k = skel->bss->race.y_cookie;
		bpf_map_delete_elem(afd, &k);
		put_cell(k, &none);
	}
	memset(&skel->bss->race, 0, sizeof(skel->bss->race));
	memset(&skel->bss->st, 0, sizeof(skel->bss->st));
	skel->bss->st.limit = 10;
	/* the programs look in the hash only while it counts entries */
	skel->bss->st.hashed = in_cell ? 0 : 1;
	skel->bss->race.cell = in_cell;
}

/* Arm the window: at site, X goes and y takes (if the allocator will) its entry. */
static void arm(uint32_t site, const struct ho_attempt *y)
{
	skel->bss->race.site = site;
	skel->bss->race.y = *y;
	skel->bss->race.y_cookie = Y_COOKIE;
}

static int run(struct bpf_program *p, void *args, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args, .ctx_size_in = (uint32_t)len);

	return bpf_prog_test_run_opts(bpf_program__fd(p), &o) ? -errno : 0;
}

static bool y_is(const struct ho_attempt *want, const char **why)
{
	struct ho_attempt now;
	uint64_t k = skel->bss->race.y_cookie ? skel->bss->race.y_cookie : Y_COOKIE;

	if (get(k, &now)) {
		*why = "Y is no longer in the table";
		return false;
	}
#ifndef OLD_ABI
	if (now.gen != want->gen) {
		*why = "Y's generation changed";
		return false;
	}
#endif
	if (now.state != want->state) {
		static char buf[64];

		snprintf(buf, sizeof(buf), "Y's state changed from %u to %u", want->state,
			 now.state);
		*why = buf;
		return false;
	}
	if (memcmp(&now.holds, &want->holds, sizeof(now.holds))) {
		*why = "Y's slots were overwritten";
		return false;
	}
	return true;
}

static void verdict(const char *name, bool ok, const char *why, int tries)
{
	printf("%s %s: %s (entry reused after %d run%s)%s%s\n", ok ? "ok  " : "FAIL",
	       in_cell ? "cell" : "hash", name, tries, tries == 1 ? "" : "s", ok ? "" : ": ",
	       ok ? "" : why);
	if (!ok)
		failures++;
}

/* Run case c until the window opened with Y in X's entry; the number of runs, 0 if never. */
#define UNTIL_REUSED(setup, body)                                                                  \
	({                                                                                         \
		int n_ = 0;                                                                        \
		for (int t_ = 1; t_ <= TRIES && !n_; t_++) {                                       \
			clear();                                                                   \
			setup;                                                                     \
			body;                                                                      \
			if (skel->bss->race.opened && skel->bss->race.reused)                      \
				n_ = t_;                                                           \
		}                                                                                  \
		n_;                                                                                \
	})

static int put_x(const struct ho_attempt *x)
{
	uint64_t k = X_COOKIE;

	if (in_cell) {
		put_cell(k, x);
		return 0;
	}
	return bpf_map_update_elem(afd, &k, x, BPF_NOEXIST);
}

/* release of X (queued), whose entry went to Y, queued too: Y must not be released. */
static void case_release_queued(void)
{
	struct ho_attempt x = attempt(X_COOKIE, 100, HO_ST_QUEUED);
	struct ho_attempt y = attempt(Y_COOKIE, 200, HO_ST_QUEUED);
	struct ho_release_args args = {.cookie = X_COOKIE};
	const char *why = "";
	int n;
	bool ok;

#ifndef OLD_ABI
	args.gen = 100;
#endif
	n = UNTIL_REUSED(put_x(&x), {
		arm(RACE_RELEASE, &y);
		args.result = 0;
		(void)run(skel->progs.release, &args, sizeof(args));
	});
	ok = n && y_is(&y, &why);
	if (ok && args.result != HO_REL_GONE)
		ok = false, why = "release did not answer GONE";
	if (ok && skel->bss->st.in_flight != 0)
		ok = false, why = "a slot was taken for Y";
	verdict("release: a queued attempt in the entry of the one meant stays queued", ok,
		n ? why : "the entry was never reused", n);
}

/* release of X, whose entry went to Y in flight: Y's slots must not be overwritten. */
static void case_release_inflight(void)
{
	struct ho_attempt x = attempt(X_COOKIE, 100, HO_ST_QUEUED);
	struct ho_attempt y = attempt(Y_COOKIE, 200, HO_ST_INFLIGHT);
	struct ho_release_args args = {.cookie = X_COOKIE};
	const char *why = "";
	int n;
	bool ok;

#ifndef OLD_ABI
	args.gen = 100;
#endif
	y.holds.s[0].idx = 3;
	y.holds.s[0].gen = 7;
	n = UNTIL_REUSED(put_x(&x), {
		arm(RACE_RELEASE, &y);
		(void)run(skel->progs.release, &args, sizeof(args));
	});
	ok = n && y_is(&y, &why);
	verdict("release: an attempt in flight in the entry keeps what it holds", ok,
		n ? why : "the entry was never reused", n);
}

/* expire (or forget) of X in flight, whose entry went to Y in flight: Y keeps its slot. */
static void case_inflight(const char *name, struct bpf_program *p, uint32_t site)
{
	struct ho_attempt x = attempt(X_COOKIE, 100, HO_ST_INFLIGHT);
	struct ho_attempt y = attempt(Y_COOKIE, 200, HO_ST_INFLIGHT);
	struct ho_forget_args args = {.cookie = X_COOKIE};
	const char *why = "";
	int n;
	bool ok;

#ifndef OLD_ABI
	args.gen = 100;
#endif
	n = UNTIL_REUSED(
		{
			put_x(&x);
			skel->bss->st.in_flight = 2; /* X's slot and Y's */
		},
		{
			arm(site, &y);
			args.result = 0;
			(void)run(p, &args, sizeof(args));
		});
	ok = n && y_is(&y, &why);
	if (ok && args.result != 0)
		ok = false, why = "it says it did it";
	if (ok && skel->bss->st.in_flight != 2)
		ok = false, why = "Y's slot was given back";
	verdict(name, ok, n ? why : "the entry was never reused", n);
}

/* IPv4 TCP SYN behind an Ethernet header: 10.0.0.1:40000 -> 10.0.0.2:80 */
static const unsigned char pkt[14 + 20 + 20] = {
	[12] = 0x08, [13] = 0x00,				      /* ETH_P_IP */
	[14] = 0x45, [16] = 0,	  [17] = 40,   [22] = 64,   [23] = 6, /* TCP */
	[26] = 10,   [29] = 1,	  [30] = 10,   [33] = 2,    [34] = 0x9c,
	[35] = 0x40, [37] = 80,	  [46] = 0x50, [47] = 0x02,
};

/* held_syn: a released SYN of X comes back; X's entry went to Y, released too. */
static void case_held_syn(void)
{
	struct ho_attempt x = attempt(0, 100, HO_ST_RELEASING);
	struct ho_attempt y = attempt(Y_COOKIE, 200, HO_ST_RELEASING);
	const char *why = "";
	int n;
	bool ok;

	n = UNTIL_REUSED(
		{
			skel->bss->race.setup = 1; /* X under the test packet's own cookie */
			skel->bss->race.x = x;
		},
		{
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
				    .data_size_in = sizeof(pkt));

			arm(RACE_HELD, &y);
			(void)bpf_prog_test_run_opts(bpf_program__fd(skel->progs.held_syn), &o);
		});
	ok = n && y_is(&y, &why);
	verdict("held_syn: a released attempt in the entry stays released until its own SYN", ok,
		n ? why : "the entry was never reused", n);
}

/*
 * held_syn finds a queued attempt in the hash while its cell shows its cookie,
 * stale, and another cookie fills the cell: written between the lookup's reads
 * of the cell, that one must not hide ours (its SYN is held).
 */
static void case_stale_cookie_in_cell(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt));
	bool ok;

	in_cell = false;
	clear();
	skel->bss->race.setup = 1;
	skel->bss->race.x = attempt(0, 100, HO_ST_QUEUED);
	skel->bss->race.site = RACE_FIND;
	ok = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.held_syn), &o) == 0 &&
	     skel->bss->race.opened && o.retval == 1;
	printf("%s held_syn: a stale cookie in a cell another fills does not hide the attempt in "
	       "the hash\n",
	       ok ? "ok  " : "FAIL");
	failures += !ok;
}

/* Without a window: the programs still do their work (the cases above cannot pass idle). */
static void case_no_race(void)
{
	struct ho_attempt x = attempt(X_COOKIE, 100, HO_ST_QUEUED);
	struct ho_release_args r = {.cookie = X_COOKIE};
	struct ho_forget_args f = {.cookie = X_COOKIE};
	struct ho_attempt now;
	uint64_t k = X_COOKIE;
	bool ok;

#ifndef OLD_ABI
	r.gen = 100;
	f.gen = 100;
#endif
	clear();
	ok = put_x(&x) == 0 && run(skel->progs.release, &r, sizeof(r)) == 0 &&
	     r.result == HO_REL_RELEASED && get(k, &now) == 0 && now.state == HO_ST_RELEASING &&
	     skel->bss->st.in_flight == 1;
	clear();
	x.state = HO_ST_INFLIGHT;
	skel->bss->st.in_flight = 1;
	ok = ok && put_x(&x) == 0 && run(skel->progs.expire, &f, sizeof(f)) == 0 && f.result == 1 &&
	     skel->bss->st.in_flight == 0;
	clear();
	skel->bss->st.in_flight = 1;
	ok = ok && put_x(&x) == 0 && run(skel->progs.forget, &f, sizeof(f)) == 0 && f.result == 1 &&
	     skel->bss->st.in_flight == 0 && get(k, &now) != 0 && skel->bss->st.hashed == 0;
	printf("%s %s: without a window, release, expire and forget do their work\n",
	       ok ? "ok  " : "FAIL", in_cell ? "cell" : "hash");
	failures += !ok;
}

#ifndef OLD_ABI
/* An end while a release holds the entry (TAKING) leaves a tomb; the release gives its slots back. */
static void case_end_while_taking(void)
{
	struct ho_attempt x = attempt(X_COOKIE, 100, HO_ST_QUEUED), now;
	struct ho_release_args r = {.cookie = X_COOKIE, .gen = 100};
	struct ho_forget_args f = {.cookie = X_COOKIE, .gen = 100};
	uint64_t k = X_COOKIE;
	bool ok;

	/* the end, as leave() leaves it, in the window after QUEUED -> TAKING */
	clear();
	skel->bss->st.queued = 1;
	skel->bss->race.end = 1;
	skel->bss->race.site = RACE_TAKEN;
	ok = put_x(&x) == 0 && run(skel->progs.release, &r, sizeof(r)) == 0 &&
	     skel->bss->race.opened && r.result == HO_REL_GONE && skel->bss->st.in_flight == 0 &&
	     get(k, &now) == 0 && now.state == HO_ST_GONE;
	printf("%s %s: release: an attempt that ends while its slots are taken gets none\n",
	       ok ? "ok  " : "FAIL", in_cell ? "cell" : "hash");
	failures += !ok;
	/* the real end (forget runs leave()) of an attempt in TAKING: a tomb, counted as queued */
	clear();
	x.state = HO_ST_TAKING;
	skel->bss->st.queued = 1;
	ok = put_x(&x) == 0 && run(skel->progs.forget, &f, sizeof(f)) == 0 && f.result == 1 &&
	     skel->bss->st.queued == 0 && get(k, &now) == 0 && now.state == HO_ST_GONE &&
	     (now.flags & HO_AT_TOMB);
	printf("%s %s: the end of an attempt a release holds leaves its entry, a tomb\n",
	       ok ? "ok  " : "FAIL", in_cell ? "cell" : "hash");
	failures += !ok;
}
#endif

int main(void)
{
	int err;

	if (geteuid() != 0) {
		printf("test_reuse: skipped, needs root (it loads BPF programs)\n");
		return 0;
	}
	skel = halfopen_race_bpf__open();
	if (!skel) {
		fprintf(stderr, "test_reuse: open: %s\n", strerror(errno));
		return 1;
	}
	/* the raw socket LSM programs are not needed here */
	bpf_program__set_autoload(skel->progs.raw_socket_create, false);
	bpf_program__set_autoload(skel->progs.raw_socket_post_create, false);
	err = halfopen_race_bpf__load(skel);
	if (err) {
		fprintf(stderr, "test_reuse: load: %s\n", strerror(-err));
		return 1;
	}
	afd = bpf_map__fd(skel->maps.attempts);
	cfd = bpf_map__fd(skel->maps.cells);
	for (int home = 0; home < 2; home++) {
		in_cell = home == 1;
		/* in a cell, Y is a cookie of the same cell (ho_cell_index) */
		Y_COOKIE = in_cell ? X_COOKIE + ((uint64_t)HO_CELLS << 12) : 0x7e57000000000022ull;
		case_no_race();
		case_release_queued();
		case_release_inflight();
		case_inflight("expire: an attempt in flight in the entry keeps its slot",
			      skel->progs.expire, RACE_EXPIRE);
		case_inflight("forget: an attempt in flight in the entry is not forgotten",
			      skel->progs.forget, RACE_FORGET);
		case_held_syn();
#ifndef OLD_ABI
		case_end_while_taking();
#endif
	}
#ifndef OLD_ABI
	case_stale_cookie_in_cell();
#endif
	halfopen_race_bpf__destroy(skel);
	return failures ? 1 : 0;
}
