// SPDX-License-Identifier: GPL-2.0-or-later
/* halfopen events: the limit events the daemon keeps, and -f for new ones. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "parse.h"
#include "procinfo.h"

/* The event's process, after "comm": its comm, then "uid", "user", "cgroup". */
static void json_who(const struct ho_ctl_event_row *r, const char *user)
{
	json_str(stdout, r->top_comm);
	printf(",\"uid\":%u,\"user\":", r->top_uid);
	json_str(stdout, user);
	printf(",\"cgroup\":");
	json_str(stdout, r->top_cgroup);
}

static const char *dest(const struct ho_ctl_dest *d, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	(void)inet_ntop(d->family == AF_INET6 ? AF_INET6 : AF_INET, d->addr, ip, sizeof(ip));
	snprintf(buf, len, d->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, d->port);
	return buf;
}

/* A process or cgroup flagged as a scanner. */
static void flagged_row(const struct ho_ctl_event_row *r, const char *when, const char *user)
{
	char comm[TEXT_PLAIN_MAX(sizeof(r->top_comm))], un[TEXT_PLAIN_MAX(64)];
	char cg[TEXT_PLAIN_MAX(sizeof(r->top_cgroup))], scope[TEXT_PLAIN_MAX(sizeof(r->scope))];
	char d[64];

	if (cli_json) {
		printf("{\"time\":%" PRIu64 ".%03" PRIu64 ",\"kind\":\"flagged\",\"scope\":",
		       (uint64_t)(r->time_ns / 1000000000u),
		       (uint64_t)(r->time_ns / 1000000u % 1000u));
		json_str(stdout, r->scope);
		printf(",\"pid\":%u,\"comm\":", r->top_tgid);
		json_who(r, user);
		printf(",\"first_ok\":%u,\"first_failed\":%u,\"rate\":%u,\"samples\":[",
		       r->first_ok, r->first_failed, r->limit);
		for (int i = 0; i < HO_EVENT_SAMPLES && r->samples[i].family; i++)
			printf("%s\"%s\"", i ? "," : "", dest(&r->samples[i], d, sizeof(d)));
		printf("]}\n");
		return;
	}
	printf("%s scanner: %s flagged: %u of %u first contacts succeeded; pid %u (%s) uid %u "
	       "(%s) cgroup %s; e.g.",
	       when, text_plain(scope, sizeof(scope), r->scope), r->first_ok,
	       r->first_ok + r->first_failed, r->top_tgid,
	       text_plain(comm, sizeof(comm), r->top_comm), r->top_uid,
	       text_plain(un, sizeof(un), user), text_plain(cg, sizeof(cg), r->top_cgroup));
	for (int i = 0; i < HO_EVENT_SAMPLES && r->samples[i].family; i++)
		printf(" %s", dest(&r->samples[i], d, sizeof(d)));
	printf("\n");
}

static const char *const raw_kinds[] = {
	[HO_EVENT_RAW_DROPPED] = "raw_dropped",	      [HO_EVENT_RAW_REFUSED] = "raw_refused",
	[HO_EVENT_RAW_FRAMES] = "raw_frames_dropped", [HO_EVENT_RAW_BYPASS] = "raw_bypass_refused",
	[HO_EVENT_RAW_PACED] = "raw_paced",
};
static const char *const raw_text[] = {
	[HO_EVENT_RAW_DROPPED] = "raw SYNs dropped over the limit",
	[HO_EVENT_RAW_REFUSED] = "raw socket refused (raw deny)",
	[HO_EVENT_RAW_FRAMES] = "packet socket frames dropped (raw deny)",
	[HO_EVENT_RAW_BYPASS] = "PACKET_QDISC_BYPASS refused (it would skip the count)",
	[HO_EVENT_RAW_PACED] = "raw SYNs to new addresses dropped over a flagged scope's pace",
};

/* A raw SYN event: the process, no queue. */
static int raw_row(const struct ho_ctl_event_row *r)
{
	time_t t = (time_t)(r->time_ns / 1000000000ull);
	char when[32], user[64], comm[TEXT_PLAIN_MAX(sizeof(r->top_comm))];
	char un[TEXT_PLAIN_MAX(sizeof(user))], cg[TEXT_PLAIN_MAX(sizeof(r->top_cgroup))];
	uint32_t k = r->kind <= HO_EVENT_RAW_PACED ? r->kind : HO_EVENT_RAW_DROPPED;
	struct tm tm;

	user_name(r->top_uid, user, sizeof(user));
	if (cli_json) {
		printf("{\"time\":%" PRIu64 ".%03" PRIu64 ",\"kind\":\"%s\",\"pid\":%u,\"comm\":",
		       (uint64_t)(r->time_ns / 1000000000u),
		       (uint64_t)(r->time_ns / 1000000u % 1000u), raw_kinds[k], r->top_tgid);
		json_who(r, user);
		printf(",\"family\":%u,\"type\":%u}\n", r->raw_family, r->raw_type);
	} else {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		printf("%s %s: pid %u (%s) uid %u (%s) cgroup %s\n", when, raw_text[k], r->top_tgid,
		       text_plain(comm, sizeof(comm), r->top_comm), r->top_uid,
		       text_plain(un, sizeof(un), user), text_plain(cg, sizeof(cg), r->top_cgroup));
	}
	fflush(stdout);
	return 0;
}

static int event_row(void *ctx, const void *p)
{
	const struct ho_ctl_event_row *r = p;
	time_t t = (time_t)(r->time_ns / 1000000000ull);
	char when[32], lim[16], user[64], comm[TEXT_PLAIN_MAX(sizeof(r->top_comm))];
	char un[TEXT_PLAIN_MAX(sizeof(user))], cg[TEXT_PLAIN_MAX(sizeof(r->top_cgroup))];
	char scope[TEXT_PLAIN_MAX(sizeof(r->scope))];
	struct tm tm;
	char ff[48] = "";

	(void)ctx;
	if (r->kind >= HO_EVENT_RAW_DROPPED)
		return raw_row(r);
	format_limit(r->limit, lim, sizeof(lim));
	user_name(r->top_uid, user, sizeof(user));
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	if (r->kind == HO_EVENT_FLAGGED) {
		flagged_row(r, when, user);
	} else if (cli_json) {
		printf("{\"time\":%" PRIu64 ".%03" PRIu64
		       ",\"kind\":\"limit\",\"limit\":%s%s%s,\"in_flight\":%u,"
		       "\"queued\":%u,\"top\":{\"pid\":%u,\"comm\":",
		       (uint64_t)(r->time_ns / 1000000000u),
		       (uint64_t)(r->time_ns / 1000000u % 1000u), r->limit ? "" : "\"", lim,
		       r->limit ? "" : "\"", r->in_flight, r->queued, r->top_tgid);
		json_who(r, user);
		printf(",\"queued\":%u},\"failfast\":%u,\"scope\":", r->top_queued, r->failfast);
		if (r->scope[0])
			json_str(stdout, r->scope);
		else
			printf("null");
		printf("}\n");
	} else {
		if (r->failfast)
			snprintf(ff, sizeof(ff), ", %u refused at once (noqueue)", r->failfast);
		printf("%s limit %s%s%s reached: %u queued, %u in flight%s; most by pid %u (%s) "
		       "uid "
		       "%u (%s) cgroup %s with %u queued\n",
		       when, lim, r->scope[0] ? " of " : "",
		       text_plain(scope, sizeof(scope), r->scope), r->queued, r->in_flight, ff,
		       r->top_tgid, text_plain(comm, sizeof(comm), r->top_comm), r->top_uid,
		       text_plain(un, sizeof(un), user), text_plain(cg, sizeof(cg), r->top_cgroup),
		       r->top_queued);
	}
	fflush(stdout);
	return 0;
}

int cmd_events(int argc, char **argv)
{
	struct ho_ctl_events_req req = {0};

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
			req.follow = 1;
		else
			return cli_fail("events: unexpected argument '%s'", argv[i]), 2;
	}
	return cli_list(HO_CTL_EVENTS, &req, sizeof(req), HO_CTL_EVENT_ROW, event_row, NULL,
			req.follow, NULL);
}
