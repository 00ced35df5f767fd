// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopen: the administrator's command. Talks to the halfopend of its own
 * network namespace over the control socket (ctl_proto.h). This file holds
 * main, status and limit; the other commands live in cli_*.c.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "config.h"
#include "parse.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: halfopen [-j] COMMAND [ARGS]\n"
		"Read and change the limit of halfopend, the daemon of this network namespace,\n"
		"and see who is connecting where.\n"
		"\n"
		"Commands:\n"
		"  status                       limit, attempts in flight and queued, counters\n"
		"  limit                        print the limit\n"
		"  limit N|default|unlimited    change it now (root): N is 1..1000000,\n"
		"                               default is 10, unlimited counts but never holds\n"
		"  ps [-p PID] [-u USER] [--cgroup PATH] [--state in-flight|queued] [-n N]\n"
		"                               attempts in flight and queued now, oldest first\n"
		"  stats [--procs|--cgroups]    counters per process and per cgroup since start\n"
		"  events [-f]                  the last events (limit, scanner, raw); -f follows\n"
		"  top [-b] [-n ITER]           live view; -b: batch (plain text) ITER times\n"
		"  policy list                  policies of cgroups and users, with their counts\n"
		"  policy set SCOPE RULE [--persist]\n"
		"                               SCOPE: cgroup PATH | user NAME; RULE: limit N |\n"
		"                               exempt (counted, never held); root only\n"
		"  policy del SCOPE [--persist] remove a policy\n"
		"  pardon pid PID | cgroup PATH | user USER\n"
		"                               a process, cgroup or user (of processes in the\n"
		"                               root cgroup) flagged as a scanner is unflagged\n"
		"                               and judged afresh; root only\n"
		"  run [--limit N | --exempt] -- CMD [ARGS...]\n"
		"                               run CMD in a new cgroup with its own limit\n"
		"                               (default 10), then remove both; root only\n"
		"\n"
		"Options:\n"
		"  -j, --json       JSON output (anywhere on the line)\n"
		"  -h, --help       this help\n"
		"  -V, --version    the version\n");
}

static void print_limit(const struct ho_ctl_status *s)
{
	char lim[16];

	format_limit(s->limit, lim, sizeof(lim));
	if (cli_json)
		printf(s->limit ? "{\"limit\":%s}\n" : "{\"limit\":\"%s\"}\n", lim);
	else
		printf("%s\n", lim);
}

static void print_status(const struct ho_ctl_status *s)
{
	char lim[16], since[32], rel[24];
	time_t t = (time_t)s->started;
	struct tm tm;

	format_limit(s->limit, lim, sizeof(lim));
	if (cli_json) {
		printf("{\"limit\":");
		printf(s->limit ? "%s" : "\"%s\"", lim);
		printf(",\"release\":\"%s\",\"policies\":%u,\"exempt_in_flight\":%u",
		       format_release(s->release, rel, sizeof(rel)), s->policies,
		       s->exempt_in_flight);
		printf(",\"in_flight\":%u,\"queued\":%u,\"held\":%u,\"queue_max\":%u,"
		       "\"tracked_max\":%u,\"pid\":%u,\"queue_num\":%u,\"started\":%" PRIu64 ","
		       "\"attempts\":%" PRIu64 ",\"queued_total\":%" PRIu64 ",\"released\":%" PRIu64
		       ",\"cancelled\":%" PRIu64 ",\"established\":%" PRIu64 ",\"failed\":%" PRIu64
		       ",\"refused\":%" PRIu64 ",\"timed_out\":%" PRIu64 ",\"closed\":%" PRIu64
		       ",\"dropped\":%" PRIu64 ",\"untracked\":%" PRIu64 ",\"late_syns\":%" PRIu64
		       ",\"repaired\":%" PRIu64 ",\"control_refused\":%" PRIu64
		       ",\"control_dropped\":%" PRIu64 ",\"http_refused\":%" PRIu64
		       ",\"http_dropped\":%" PRIu64 ",\"failfast\":%" PRIu64
		       ",\"noqueue_lost\":%" PRIu64 ",\"mode\":\"%s\",\"slot_timeout\":%u"
		       ",\"flagged\":%u,\"contain_rate\":%u,\"flagged_total\":%" PRIu64
		       ",\"contained\":%" PRIu64 ",\"probation\":%" PRIu64 ",\"expired\":%" PRIu64
		       ",\"abandoned\":%" PRIu64,
		       s->in_flight, s->queued, s->held, s->queue_max, s->tracked_max, s->pid,
		       s->queue_num, s->started, s->attempts, s->queued_total, s->released,
		       s->cancelled, s->established, s->refused + s->failed, s->refused, s->failed,
		       s->closed, s->dropped, s->untracked, s->late_syns, s->repaired,
		       s->control_refused, s->control_dropped, s->http_refused, s->http_dropped,
		       s->failfast, s->noqueue_lost,
		       s->mode == HO_MODE_ORIGINAL ? "original" : "contain", s->slot_timeout,
		       s->flagged, s->contain_rate, s->flagged_total, s->contained, s->probation,
		       s->expired, s->abandoned);
		/* flat, raw_ names: a key is never the same as one above (scripts match keys) */
		printf(",\"raw_in_flight\":%u,\"raw_attempts\":%" PRIu64
		       ",\"raw_answered\":%" PRIu64 ",\"raw_timed_out\":%" PRIu64
		       ",\"raw_dropped\":%" PRIu64 ",\"raw_untracked\":%" PRIu64
		       ",\"raw_denied\":%" PRIu64 ",\"raw_denied_frames\":%" PRIu64
		       ",\"raw_bypass_refused\":%" PRIu64 ",\"raw_judged\":%" PRIu64
		       ",\"raw_paced\":%" PRIu64 ",\"raw_seen\":%s,\"raw_lsm\":%s}\n",
		       s->raw_in_flight, s->raw_attempts, s->raw_answered, s->raw_timed_out,
		       s->raw_dropped, s->raw_untracked, s->raw_denied, s->raw_denied_frames,
		       s->raw_bypass_refused, s->raw_judged, s->raw_paced,
		       (s->raw_hooks & HO_RAW_HOOK_TC) ? "true" : "false",
		       (s->raw_hooks & HO_RAW_HOOK_LSM) ? "true" : "false");
		return;
	}
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	if (s->mode == HO_MODE_ORIGINAL)
		printf("mode          original (flat limit, no scanner detection)\n");
	else
		printf("mode          contain: %u flagged as scanners now, their first contacts "
		       "released at %u a second\n",
		       s->flagged, s->contain_rate);
	if (s->slot_timeout)
		printf("slot-timeout  %u s (an attempt half-open longer holds no slot)\n",
		       s->slot_timeout);
	printf("limit         %s (release %s, %u policies)\n"
	       "in flight     %u (and %u exempt)\n"
	       "queued        %u (%u SYNs held, at most %u)\n"
	       "daemon        pid %u since %s, NFQUEUE %u\n"
	       "since start:\n"
	       "  attempts    %" PRIu64 "\n"
	       "  queued      %" PRIu64 "\n"
	       "  released    %" PRIu64 "\n"
	       "  cancelled   %" PRIu64 "  (closed while queued)\n"
	       "  established %" PRIu64 "\n"
	       "  failed      %" PRIu64 "  (%" PRIu64 " refused, %" PRIu64 " timed out)\n"
	       "  closed      %" PRIu64 "  (closed in flight; %" PRIu64
	       " after their SYN was out 1 s: abandoned, failed)\n"
	       "  flagged     %" PRIu64 "  (processes and cgroups flagged as scanners)\n"
	       "  contained   %" PRIu64 "  (first contacts queued for a flagged scope)\n"
	       "  probation   %" PRIu64 "  (first contacts queued: as many out as a scope not "
	       "judged yet may have)\n"
	       "  expired     %" PRIu64 "  (attempts that stopped counting at slot-timeout)\n"
	       "  dropped     %" PRIu64 "  (SYNs dropped, queue full)\n"
	       "  untracked   %" PRIu64 "  (table of %u full, let through)\n"
	       "  late SYNs   %" PRIu64 "  (released, dropped: the socket had ended)\n"
	       "  repaired    %" PRIu64 "  (ends the kernel did not report)\n"
	       "  fail-fast   %" PRIu64 "  (HALFOPEN_NOQUEUE connects refused at once; %" PRIu64
	       " queued all the same)\n"
	       "  clients     %" PRIu64 " refused, %" PRIu64 " dropped (control socket); %" PRIu64
	       " refused, %" PRIu64 " dropped (metrics)\n",
	       lim, format_release(s->release, rel, sizeof(rel)), s->policies, s->in_flight,
	       s->exempt_in_flight, s->queued, s->held, s->queue_max, s->pid, since, s->queue_num,
	       s->attempts, s->queued_total, s->released, s->cancelled, s->established,
	       s->refused + s->failed, s->refused, s->failed, s->closed, s->abandoned,
	       s->flagged_total, s->contained, s->probation, s->expired, s->dropped, s->untracked,
	       s->tracked_max, s->late_syns, s->repaired, s->failfast, s->noqueue_lost,
	       s->control_refused, s->control_dropped, s->http_refused, s->http_dropped);
	printf("raw SYNs      %u in flight (raw IP and packet sockets%s)\n"
	       "  attempts    %" PRIu64 "  (%" PRIu64 " answered, %" PRIu64 " timed out)\n"
	       "  dropped     %" PRIu64 "  (over the limit: nothing retransmits them)\n"
	       "  judged      %" PRIu64 "  (to new addresses: scored by the scanner test)\n"
	       "  paced       %" PRIu64 "  (a flagged scope's, over its contain-rate: dropped)\n"
	       "  untracked   %" PRIu64 "  (table full, let through)\n"
	       "  denied      %" PRIu64 " sockets refused, %" PRIu64 " frames dropped (raw deny)\n"
	       "  bypass      %" PRIu64 " PACKET_QDISC_BYPASS refused\n",
	       s->raw_in_flight, (s->raw_hooks & HO_RAW_HOOK_TC) ? "" : "; not seen: no tc link",
	       s->raw_attempts, s->raw_answered, s->raw_timed_out, s->raw_dropped, s->raw_judged,
	       s->raw_paced, s->raw_untracked, s->raw_denied, s->raw_denied_frames,
	       s->raw_bypass_refused);
}

/* Strip -j/--json wherever it stands among a command's arguments. */
static int take_json(int argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			cli_json = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

static int cmd_status(int argc, char **argv)
{
	struct ho_ctl_status s;

	if (argc > 0)
		return cli_fail("status takes no argument (got '%s')", argv[0]), 2;
	if (cli_status_call(HO_CTL_STATUS, NULL, 0, &s))
		return 1;
	print_status(&s);
	return 0;
}

static int cmd_limit(int argc, char **argv)
{
	struct ho_ctl_limit req = {0};
	struct ho_ctl_status s;
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--persist"))
			req.flags |= HO_LIMIT_F_PERSIST;
		else if (argv[i][0] == '-' && !isdigit((unsigned char)argv[i][1]))
			return cli_fail("limit: unknown option '%s' (try: halfopen --help)",
					argv[i]),
			       2; /* "-1" is a value, and an invalid one */
		else
			argv[n++] = argv[i];
	}
	argc = n;
	if (argc > 1)
		return cli_fail("limit takes one value at most"), 2;
	if (argc == 0 && req.flags)
		return cli_fail("--persist goes with a new limit"), 2;
	if (argc == 0) {
		if (cli_status_call(HO_CTL_STATUS, NULL, 0, &s))
			return 1;
		print_limit(&s);
		return 0;
	}
	if (parse_limit(argv[0], &req.limit))
		return cli_fail("invalid limit '%s': give an integer 1..%u, 'default' (%u) or "
				"'unlimited'",
				argv[0], HO_LIMIT_MAX, HO_LIMIT_DEFAULT),
		       2;
	if (cli_status_call(HO_CTL_SET_LIMIT, &req, sizeof(req), &s))
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
		{"status", cmd_status},	  {"limit", cmd_limit},	  {"ps", cmd_ps},
		{"stats", cmd_stats},	  {"events", cmd_events}, {"top", cmd_top},
		{"metrics", cmd_metrics}, {"policy", cmd_policy}, {"run", cmd_run},
		{"pardon", cmd_pardon},
	};
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			cli_json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("halfopen " HO_VERSION "\n");
			return 0;
		} else {
			cli_fail("unknown option '%s' (try: halfopen --help)", argv[i]);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	/* the command line of run is the child's: its -j is not ours */
	if (!strcmp(argv[i], "run"))
		return cmd_run(argc - i - 1, argv + i + 1);
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[i], cmds[c].name))
			return cmds[c].fn(take_json(argc - i - 1, argv + i + 1), argv + i + 1);
	cli_fail("unknown command '%s' (try: halfopen --help)", argv[i]);
	return 2;
}
