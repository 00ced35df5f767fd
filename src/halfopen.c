// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopen: the administrator's command. Talks to the halfopend of its own
 * network namespace over the control socket (ctl_proto.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ctl_proto.h"
#include "parse.h"

#define HO_VERSION "0.1.0"

static bool json;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: halfopen [-j] COMMAND [ARGS]\n"
		"Read and change the limit of halfopend, the daemon of this network namespace.\n"
		"\n"
		"Commands:\n"
		"  status                       limit, attempts in flight and queued, counters\n"
		"  limit                        print the limit\n"
		"  limit N|default|unlimited    change it now (root): N is 1..1000000,\n"
		"                               default is 10, unlimited counts but never holds\n"
		"\n"
		"Options:\n"
		"  -j, --json       JSON output\n"
		"  -h, --help       this help\n"
		"  -V, --version    the version\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("halfopen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* One request, one reply. */
static int call(uint16_t type, const void *req, uint32_t len, struct ho_ctl_status *out)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_hdr hdr;
	const void *payload;
	int fd, err;

	fd = ho_ctl_connect();
	if (fd == -ECONNREFUSED || fd == -ENOENT)
		return fail("no halfopend is running in this network namespace");
	if (fd == -EPERM)
		return fail("the control socket is not served by root: refusing to trust it");
	if (fd < 0)
		return fail("cannot reach halfopend: %s", strerror(-fd));
	err = ho_ctl_send(fd, type, req, len);
	if (!err)
		err = ho_ctl_recv(fd, buf, sizeof(buf), &hdr, &payload);
	close(fd);
	if (err)
		return fail("talking to halfopend: %s", strerror(-err));
	if (hdr.type == HO_CTL_ERR)
		return fail("%s", ((const struct ho_ctl_err *)payload)->msg);
	if (hdr.type != HO_CTL_STATUS_REP)
		return fail("unexpected reply from halfopend");
	memcpy(out, payload, sizeof(*out));
	return 0;
}

static void print_limit(const struct ho_ctl_status *s)
{
	char lim[16];

	format_limit(s->limit, lim, sizeof(lim));
	if (json)
		printf(s->limit ? "{\"limit\":%s}\n" : "{\"limit\":\"%s\"}\n", lim);
	else
		printf("%s\n", lim);
}

static void print_status(const struct ho_ctl_status *s)
{
	char lim[16], since[32];
	time_t t = (time_t)s->started;
	struct tm tm;

	format_limit(s->limit, lim, sizeof(lim));
	if (json) {
		printf("{\"limit\":");
		printf(s->limit ? "%s" : "\"%s\"", lim);
		printf(",\"in_flight\":%u,\"queued\":%u,\"held\":%u,\"queue_max\":%u,"
		       "\"tracked_max\":%u,\"pid\":%u,\"queue_num\":%u,\"started\":%" PRIu64 ","
		       "\"attempts\":%" PRIu64 ",\"queued_total\":%" PRIu64 ",\"released\":%" PRIu64
		       ",\"cancelled\":%" PRIu64 ",\"established\":%" PRIu64 ",\"failed\":%" PRIu64
		       ",\"refused\":%" PRIu64 ",\"timed_out\":%" PRIu64 ",\"closed\":%" PRIu64
		       ",\"dropped\":%" PRIu64 ",\"untracked\":%" PRIu64 "}\n",
		       s->in_flight, s->queued, s->held, s->queue_max, s->tracked_max, s->pid,
		       s->queue_num, s->started, s->attempts, s->queued_total, s->released,
		       s->cancelled, s->established, s->refused + s->failed, s->refused, s->failed,
		       s->closed, s->dropped, s->untracked);
		return;
	}
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	printf("limit         %s\n"
	       "in flight     %u\n"
	       "queued        %u (%u SYNs held, at most %u)\n"
	       "daemon        pid %u since %s, NFQUEUE %u\n"
	       "since start:\n"
	       "  attempts    %" PRIu64 "\n"
	       "  queued      %" PRIu64 "\n"
	       "  released    %" PRIu64 "\n"
	       "  cancelled   %" PRIu64 "  (closed while queued)\n"
	       "  established %" PRIu64 "\n"
	       "  failed      %" PRIu64 "  (%" PRIu64 " refused, %" PRIu64 " timed out)\n"
	       "  closed      %" PRIu64 "  (closed in flight)\n"
	       "  dropped     %" PRIu64 "  (SYNs dropped, queue full)\n"
	       "  untracked   %" PRIu64 "  (table of %u full, let through)\n",
	       lim, s->in_flight, s->queued, s->held, s->queue_max, s->pid, since, s->queue_num,
	       s->attempts, s->queued_total, s->released, s->cancelled, s->established,
	       s->refused + s->failed, s->refused, s->failed, s->closed, s->dropped, s->untracked,
	       s->tracked_max);
}

/* Strip -j/--json wherever it stands among a command's arguments. */
static int take_flags(int argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json = true;
		else
			argv[n++] = argv[i];
	}
	return n;
}

static int cmd_status(int argc, char **argv)
{
	struct ho_ctl_status s;

	if (argc > 0)
		return fail("status takes no argument (got '%s')", argv[0]), 2;
	if (call(HO_CTL_STATUS, NULL, 0, &s))
		return 1;
	print_status(&s);
	return 0;
}

static int cmd_limit(int argc, char **argv)
{
	struct ho_ctl_limit req = {0};
	struct ho_ctl_status s;

	if (argc > 1)
		return fail("limit takes one value at most"), 2;
	if (argc == 0) {
		if (call(HO_CTL_STATUS, NULL, 0, &s))
			return 1;
		print_limit(&s);
		return 0;
	}
	if (parse_limit(argv[0], &req.limit))
		return fail("invalid limit '%s': give an integer 1..%u, 'default' (%u) or "
			    "'unlimited'",
			    argv[0], HO_LIMIT_MAX, HO_LIMIT_DEFAULT),
		       2;
	if (call(HO_CTL_SET_LIMIT, &req, sizeof(req), &s))
		return 1;
	print_limit(&s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{"status", cmd_status},
		{"limit", cmd_limit},
	};
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("halfopen " HO_VERSION "\n");
			return 0;
		} else {
			fail("unknown option '%s'", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[i], cmds[c].name))
			return cmds[c].fn(take_flags(argc - i - 1, argv + i + 1), argv + i + 1);
	fail("unknown command '%s' (try: halfopen --help)", argv[i]);
	return 2;
}
