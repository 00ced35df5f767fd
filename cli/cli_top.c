// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopen top: a live view, refreshed every second. Totals and a one-minute
 * graph of in-flight and queued attempts on top, then the policies (the
 * busiest few); below, processes by what they hold now. Keys: q quits, s changes the sort. Plain text (no escapes, no
 * keys) with -b or when stdout is not a terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "parse.h"
#include "procinfo.h"

#define TOP_POLICIES 3 /* policy lines shown at most */

enum top_sort { SORT_ACTIVE, SORT_RATE, SORT_FAIL, SORT_WAIT, SORT_N };
static const char *const sort_names[] = {"active", "attempts/s", "failure", "oldest wait"};

struct top_row {
	struct ho_ctl_stats_row r;
	double rate; /* attempts/s over the last interval */
	double fail; /* failed / completed, since start; -1 if none completed */
};

struct top {
	enum top_sort sort;
	bool batch, utf8;
	unsigned int width, height;
	struct ho_ctl_status st, prev_st;
	bool have_prev;
	double dt; /* seconds since the previous sample */
	struct ho_ctl_history hist;
	struct top_row *rows, *prev;
	size_t n, cap, nprev, pcap;
	struct ho_ctl_policy_row pol[TOP_POLICIES]; /* the busiest, by in flight + queued */
	size_t npol, npol_all;
};

static volatile sig_atomic_t top_stop;

static void on_stop(int sig)
{
	(void)sig;
	top_stop = 1;
}

static int collect(void *ctx, const void *p)
{
	struct top *t = ctx;
	struct top_row *row;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct top_row *np = realloc(t->rows, cap * sizeof(*np));

		if (!np)
			return 1;
		t->rows = np;
		t->cap = cap;
	}
	row = &t->rows[t->n++];
	memset(row, 0, sizeof(*row));
	memcpy(&row->r, p, sizeof(row->r));
	return 0;
}

/* Keep the TOP_POLICIES busiest policies. */
static int collect_policy(void *ctx, const void *p)
{
	const struct ho_ctl_policy_row *r = p;
	struct top *t = ctx;
	size_t i = t->npol;

	t->npol_all++;
	if (i == TOP_POLICIES) {
		const struct ho_ctl_policy_row *last = &t->pol[i - 1];

		if (r->in_flight + r->queued <= last->in_flight + last->queued)
			return 0;
		i--;
	} else {
		t->npol++;
	}
	for (; i > 0 && t->pol[i - 1].in_flight + t->pol[i - 1].queued < r->in_flight + r->queued;
	     i--)
		t->pol[i] = t->pol[i - 1];
	t->pol[i] = *r;
	return 0;
}

static const struct top_row *find_prev(const struct top *t, uint64_t key)
{
	for (size_t i = 0; i < t->nprev; i++)
		if (t->prev[i].r.key == key)
			return &t->prev[i];
	return NULL;
}

static int active(const struct top_row *r)
{
	return (r->r.s.in_flight > 0 ? r->r.s.in_flight : 0) +
	       (r->r.s.queued_now > 0 ? r->r.s.queued_now : 0);
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct top_row *x = a, *y = b;
	double dx, dy;

	switch (*(const enum top_sort *)arg) {
	case SORT_RATE:
		dx = x->rate, dy = y->rate;
		break;
	case SORT_FAIL:
		dx = x->fail, dy = y->fail;
		break;
	case SORT_WAIT:
		dx = (double)x->r.oldest_wait_ns, dy = (double)y->r.oldest_wait_ns;
		break;
	default:
		dx = active(x), dy = active(y);
		break;
	}
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return x->r.key < y->r.key ? -1 : x->r.key > y->r.key;
}

static void sort_rows(struct top *t)
{
	qsort_r(t->rows, t->n, sizeof(*t->rows), cmp_rows, &t->sort);
}

/* One round of requests; 0, or 1 if the daemon could not be asked. */
static int sample(struct top *t)
{
	struct top_row *swap;
	size_t swap_cap;
	struct ho_ctl_stats_req req = {.kind = HO_STATS_PROCS};

	t->prev_st = t->st;
	if (cli_status_call(HO_CTL_STATUS, NULL, 0, &t->st) ||
	    cli_call(HO_CTL_HISTORY, NULL, 0, HO_CTL_HISTORY_REP, &t->hist, sizeof(t->hist)))
		return 1;
	/* the rows of the previous round become prev */
	swap = t->prev;
	swap_cap = t->pcap;
	t->prev = t->rows;
	t->pcap = t->cap;
	t->nprev = t->n;
	t->rows = swap;
	t->cap = swap_cap;
	t->n = 0;
	if (cli_list(HO_CTL_STATS, &req, sizeof(req), HO_CTL_STATS_ROW, collect, t, false, NULL))
		return 1;
	t->npol = t->npol_all = 0;
	if (t->st.policies && cli_list(HO_CTL_POLICY_LIST, NULL, 0, HO_CTL_POLICY_ROW,
				       collect_policy, t, false, NULL))
		return 1;
	for (size_t i = 0; i < t->n; i++) {
		struct top_row *r = &t->rows[i];
		const struct top_row *p = find_prev(t, r->r.key);
		uint64_t done = r->r.s.established + r->r.s.failed;

		r->fail = done ? (double)r->r.s.failed / (double)done : -1;
		if (t->have_prev && t->dt > 0)
			r->rate = (double)(r->r.s.attempts - (p ? p->r.s.attempts : 0)) / t->dt;
	}
	sort_rows(t);
	return 0;
}

static void spark(const struct top *t, const uint32_t *v, char *out, size_t len)
{
	static const char *const blocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char ascii[] = " .:-=+*#@";
	uint32_t max = 1;
	size_t o = 0;

	for (int i = 0; i < HO_HISTORY_LEN; i++)
		if (v[i] > max)
			max = v[i];
	for (int i = 0; i < HO_HISTORY_LEN && o + 4 < len; i++) {
		/* samples older than the daemon are blank */
		unsigned int lvl = i < HO_HISTORY_LEN - (int)t->hist.n
					   ? 0
					   : (unsigned int)((v[i] * 8 + max - 1) / max);

		if (t->utf8) {
			memcpy(out + o, blocks[lvl], strlen(blocks[lvl]));
			o += strlen(blocks[lvl]);
		} else {
			out[o++] = ascii[lvl];
		}
	}
	out[o] = '\0';
}

static void line(const struct top *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(const struct top *t, const char *fmt, ...)
{
	char raw[512], buf[TEXT_PLAIN_MAX(sizeof(raw))];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* names in it are anyone's bytes: nothing that moves the cursor or starts a line */
	text_plain(buf, sizeof(buf), raw);
	/* graph lines hold multi-byte characters: they are built to fit */
	if (!strstr(buf, "\xe2\x96") && strlen(buf) > t->width)
		buf[t->width] = '\0';
	fputs(buf, stdout);
	fputs(t->batch ? "\n" : "\033[K\n", stdout);
}

static double per_sec(uint64_t now, uint64_t before, double dt)
{
	return dt > 0 && now >= before ? (double)(now - before) / dt : 0;
}

static void draw(struct top *t)
{
	const struct ho_ctl_status *s = &t->st, *p = &t->prev_st;
	char lim[16], clock[16], g[HO_HISTORY_LEN * 3 + 1], ratio[16], user[64], wait[16], rel[24];
	uint64_t est = s->established - p->established;
	uint64_t fail = (s->refused + s->failed) - (p->refused + p->failed);
	time_t now = time(NULL);
	struct tm tm;
	unsigned int shown = 0, room = t->height > 7 ? t->height - 7 : 1, extra;

	if (!t->batch)
		fputs("\033[H", stdout);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &tm));
	line(t, "halfopen top  %s   limit %s   in flight %u   queued %u (held %u)   %s", clock,
	     format_limit(s->limit, lim, sizeof(lim)), s->in_flight, s->queued, s->held,
	     format_release(s->release, rel, sizeof(rel)));
	if (t->have_prev && est + fail)
		snprintf(ratio, sizeof(ratio), "%.0f%%",
			 100.0 * (double)est / (double)(est + fail));
	else
		snprintf(ratio, sizeof(ratio), "-");
	line(t, "attempts/s %.1f   releases/s %.1f   success %s   sort: %s%s",
	     t->have_prev ? per_sec(s->attempts, p->attempts, t->dt) : 0.0,
	     t->have_prev ? per_sec(s->released, p->released, t->dt) : 0.0, ratio,
	     sort_names[t->sort], t->batch ? "" : " (s)  q: quit");
	spark(t, t->hist.in_flight, g, sizeof(g));
	line(t, "in flight [%s] %u", g, t->hist.n ? t->hist.in_flight[HO_HISTORY_LEN - 1] : 0);
	spark(t, t->hist.queued, g, sizeof(g));
	line(t, "queued    [%s] %u", g, t->hist.n ? t->hist.queued[HO_HISTORY_LEN - 1] : 0);
	for (size_t i = 0; i < t->npol; i++) {
		const struct ho_ctl_policy_row *r = &t->pol[i];
		char rule[24];

		policy_rule(&r->p, rule, sizeof(rule));
		line(t, "policy %-6s %-12s in flight %-5d queued %-6d %s",
		     r->p.kind == HO_SCOPE_USER ? "user" : "cgroup", rule, r->in_flight, r->queued,
		     r->p.name);
	}
	if (t->npol_all > t->npol)
		line(t, "policy ... %zu more: halfopen policy list", t->npol_all - t->npol);
	extra = (unsigned int)t->npol + (t->npol_all > t->npol);
	room = room > extra ? room - extra : 1;
	line(t, "%s", "");
	line(t, "%7s %-15s %-9s %5s %6s %7s %6s %8s %-7s %5s", "PID", "COMM", "USER", "INFL",
	     "QUEUED", "ATT/S", "FAIL%", "OLDEST", "VERDICT", "SCORE");
	for (size_t i = 0; i < t->n && shown < room; i++) {
		const struct top_row *r = &t->rows[i];

		if (!r->r.alive && !active(r))
			continue;
		if (r->fail >= 0)
			snprintf(ratio, sizeof(ratio), "%.0f", 100 * r->fail);
		else
			snprintf(ratio, sizeof(ratio), "-");
		line(t, "%7lu %-15s %-9.9s %5d %6d %7.1f %6s %8s %-7s %5.1f",
		     (unsigned long)r->r.key, r->r.s.comm,
		     user_name(r->r.s.uid, user, sizeof(user)),
		     r->r.s.in_flight > 0 ? r->r.s.in_flight : 0,
		     r->r.s.queued_now > 0 ? r->r.s.queued_now : 0, r->rate, ratio,
		     r->r.oldest_wait_ns ? fmt_age(r->r.oldest_wait_ns, wait, sizeof(wait)) : "-",
		     verdict_name(r->r.verdict), r->r.score / 1000.0);
		shown++;
	}
	if (!t->batch)
		fputs("\033[J", stdout);
	fflush(stdout);
}

static void term_size(struct top *t)
{
	struct winsize ws;

	t->width = 80;
	t->height = 24;
	if (!t->batch && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		t->width = ws.ws_col;
		t->height = ws.ws_row;
	}
}

/* Wait up to ms for a key; 'q' or a signal ends the loop. Returns false to stop. */
static bool keys(struct top *t, int ms)
{
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	char c;

	if (t->batch) {
		while (nanosleep(&ts, &ts) && errno == EINTR && !top_stop)
			;
		return !top_stop;
	}
	for (;;) {
		if (top_stop)
			return false;
		if (poll(&pfd, 1, ms) <= 0)
			return !top_stop;
		if (read(STDIN_FILENO, &c, 1) != 1)
			return false;
		if (c == 'q' || c == 'Q')
			return false;
		if (c == 's' || c == 'S') {
			t->sort = (t->sort + 1) % SORT_N;
			sort_rows(t);
			draw(t);
		}
	}
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {{"batch", no_argument, NULL, 'b'},
					     {"iterations", required_argument, NULL, 'n'},
					     {0}};
	struct top t = {0};
	struct termios saved, raw;
	struct timespec a, b;
	uint32_t iters = 0;
	bool tty;
	int c, err = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc + 1, argv - 1, ":bn:", opts, NULL)) != -1) {
		if (c == 'b')
			t.batch = true;
		else if (c != 'n')
			return cli_bad_option("top", c, argv - 1);
		else if (parse_u32(optarg, 1, 1000000, &iters))
			return cli_fail("invalid iteration count '%s'", optarg), 2;
	}
	if (optind <= argc)
		return cli_fail("top: unexpected argument '%s'", argv[optind - 1]), 2;
	if (cli_json)
		return cli_fail("top has no JSON output: use status -j, ps -j or stats -j"), 2;
	setlocale(LC_CTYPE, "");
	t.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (!isatty(STDOUT_FILENO))
		t.batch = true;
	tty = !t.batch && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	if (tty) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		fputs("\033[?1049h\033[?25l\033[2J", stdout); /* own screen, no cursor */
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint32_t i = 0; !iters || i < iters; i++) {
		term_size(&t);
		err = sample(&t);
		if (err)
			break;
		clock_gettime(CLOCK_MONOTONIC, &b);
		t.dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		a = b;
		if (t.batch && i)
			printf("\n");
		draw(&t);
		t.have_prev = true;
		if ((iters && i + 1 == iters) || !keys(&t, 1000))
			break;
	}
	if (tty) {
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	}
	free(t.rows);
	free(t.prev);
	return err;
}
