// SPDX-License-Identifier: GPL-2.0-or-later
/* halfopen ps and halfopen stats: who is connecting where, now and since start. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "parse.h"
#include "procinfo.h"

#define U(x) ((unsigned long long)(x)) /* __u64 is not uint64_t: print both as %llu */

struct ps_out {
	unsigned int rows;
};

static int ps_row(void *ctx, const void *p)
{
	const struct ho_ctl_ps_row *r = p;
	struct ps_out *o = ctx;
	char dest[64], addr[64], age[16], user[64], comm[TEXT_PLAIN_MAX(sizeof(r->a.comm))];
	char un[TEXT_PLAIN_MAX(sizeof(user))], cg[TEXT_PLAIN_MAX(sizeof(r->cgroup))];
	const char *state = r->state == HO_PS_RAW	? "raw"
			    : r->state == HO_ST_QUEUED	? (r->a.flags & HO_AT_CONT	? "contained"
							   : r->a.flags & HO_AT_PROBE_Q ? "probation"
											: "queued")
			    : r->state == HO_ST_EXPIRED ? "expired"
							: "in-flight";
	/* asked not to be queued (HALFOPEN_NOQUEUE): queued only if it lost the race */
	bool noq = r->state != HO_PS_RAW && (r->a.flags & HO_AT_NOQUEUE);
	char st[24];

	user_name(r->a.uid, user, sizeof(user));
	if (cli_json) {
		printf("%s{\"state\":\"%s\",\"position\":%u,\"pid\":%u,\"tid\":%u,\"comm\":",
		       o->rows ? "," : "", state, r->position, r->a.tgid, r->a.pid);
		json_str(stdout, r->a.comm);
		printf(",\"uid\":%u,\"user\":", r->a.uid);
		json_str(stdout, user);
		printf(",\"cgroup\":");
		json_str(stdout, r->cgroup);
		printf(",\"cgroup_id\":%llu,\"family\":\"%s\",\"daddr\":\"%s\",\"dport\":%u,"
		       "\"age_ms\":%llu,\"noqueue\":%s,\"verdict\":\"%s\",\"score\":%.3f}\n",
		       (unsigned long long)r->a.cgid, r->a.family == 10 ? "ipv6" : "ipv4",
		       fmt_addr(&r->a, addr, sizeof(addr)), r->a.dport,
		       (unsigned long long)(r->age_ns / 1000000), noq ? "true" : "false",
		       r->verdict == HO_VERDICT_NONE ? "none" : verdict_name(r->verdict),
		       r->score / 1000.0);
	} else {
		if (!o->rows)
			printf("%-17s %6s %7s %-15s %-10s %-26s %7s %-7s %s\n", "STATE", "POS",
			       "PID", "COMM", "USER", "DESTINATION", "AGE", "VERDICT", "CGROUP");
		snprintf(st, sizeof(st), "%s%s", state, noq ? ",noqueue" : "");
		printf("%-17s %6s %7u %-15s %-10.10s %-26s %7s %-7s %s\n", st,
		       r->position ? (snprintf(addr, sizeof(addr), "%u", r->position), addr) : "-",
		       r->a.tgid, text_plain(comm, sizeof(comm), r->a.comm),
		       text_plain(un, sizeof(un), user), fmt_dest(&r->a, dest, sizeof(dest)),
		       fmt_age(r->age_ns, age, sizeof(age)), verdict_name(r->verdict),
		       text_plain(cg, sizeof(cg), r->cgroup));
	}
	o->rows++;
	return 0;
}

/* getopt over a command's own arguments: argv[-1] is the command name. */
#define CMD_GETOPT(argc, argv, short, long) getopt_long((argc) + 1, (argv)-1, short, long, NULL)

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pid", required_argument, NULL, 'p'},	  {"user", required_argument, NULL, 'u'},
		{"cgroup", required_argument, NULL, 'c'}, {"state", required_argument, NULL, 's'},
		{"rows", required_argument, NULL, 'n'},	  {0},
	};
	struct ho_ctl_ps_req req = {0};
	struct ho_ctl_end end = {0};
	struct ps_out o = {0};
	int c, err;

	optind = 1;
	opterr = 0;
	while ((c = CMD_GETOPT(argc, argv, ":p:u:c:s:n:", opts)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u32(optarg, 1, INT32_MAX, &req.pid))
				return cli_fail("invalid pid '%s'", optarg), 2;
			req.flags |= HO_PS_F_PID;
			break;
		case 'u':
			if (parse_user(optarg, &req.uid))
				return cli_fail("unknown user '%s'", optarg), 2;
			req.flags |= HO_PS_F_UID;
			break;
		case 'c':
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(req.cgroup))
				return cli_fail("invalid cgroup '%s': give a path like "
						"/system.slice/x.service",
						optarg),
				       2;
			strcpy(req.cgroup, optarg);
			req.flags |= HO_PS_F_CGROUP;
			break;
		case 's':
			if (!strcmp(optarg, "in-flight"))
				req.flags = (req.flags & ~HO_PS_F_QUEUED) | HO_PS_F_INFLIGHT;
			else if (!strcmp(optarg, "queued"))
				req.flags = (req.flags & ~HO_PS_F_INFLIGHT) | HO_PS_F_QUEUED;
			else
				return cli_fail("invalid state '%s': in-flight or queued", optarg),
				       2;
			break;
		case 'n':
			if (parse_u32(optarg, 1, 1000000, &req.max_rows))
				return cli_fail("invalid row count '%s' (1..1000000)", optarg), 2;
			break;
		default:
			return cli_bad_option("ps", c, argv - 1);
		}
	}
	if (optind <= argc)
		return cli_fail("ps: unexpected argument '%s'", argv[optind - 1]), 2;
	if (cli_json)
		printf("[");
	err = cli_list(HO_CTL_PS, &req, sizeof(req), HO_CTL_PS_ROW, ps_row, &o, false, &end);
	if (cli_json)
		printf("]\n");
	if (!err && end.truncated)
		fprintf(stderr, "halfopen: the list was cut at %u rows\n", end.rows);
	return err;
}

struct stats_out {
	bool cgroups;
	unsigned int rows;
};

/* The scanner test's verdict, as the tables and JSON write it. */
const char *verdict_name(uint32_t v)
{
	return v == HO_VERDICT_FLAGGED ? "flagged" : v == HO_VERDICT_OK ? "ok" : "-";
}

static void print_stats_json(const struct stats_out *o, const struct ho_ctl_stats_row *r)
{
	const struct ho_stats *s = &r->s;
	char user[64];

	printf("%s{", o->rows ? "," : "");
	if (o->cgroups) {
		printf("\"cgroup\":");
		json_str(stdout, r->cgroup);
		printf(",\"cgroup_id\":%llu,", (unsigned long long)r->key);
	} else {
		printf("\"pid\":%llu,\"comm\":", (unsigned long long)r->key);
		json_str(stdout, s->comm);
		printf(",\"uid\":%u,\"user\":", s->uid);
		json_str(stdout, user_name(s->uid, user, sizeof(user)));
		printf(",\"cgroup\":");
		json_str(stdout, r->cgroup);
		printf(",");
	}
	printf("\"alive\":%s,\"attempts\":%llu,\"established\":%llu"
	       ",\"failed\":%llu,\"queued\":%llu,\"cancelled\":%llu"
	       ",\"released\":%llu,\"in_flight_now\":%d,\"queued_now\":%d"
	       ",\"longest_wait_ms\":%llu,\"oldest_wait_ms\":%llu,\"failfast\":%llu"
	       ",\"raw\":%llu,\"raw_dropped\":%llu,\"verdict\":\"%s\""
	       ",\"score\":%.3f,\"first_ok\":%u,\"first_failed\":%u}\n",
	       r->alive ? "true" : "false", U(s->attempts), U(s->established), U(s->failed),
	       U(s->queued), U(s->cancelled), U(s->released), s->in_flight > 0 ? s->in_flight : 0,
	       s->queued_now > 0 ? s->queued_now : 0, U(s->max_wait_ns / 1000000),
	       U(r->oldest_wait_ns / 1000000), U(s->failfast), U(s->raw), U(s->raw_dropped),
	       r->verdict == HO_VERDICT_NONE ? "none" : verdict_name(r->verdict), r->score / 1000.0,
	       r->first_ok, r->first_failed);
}

static int stats_row(void *ctx, const void *p)
{
	const struct ho_ctl_stats_row *r = p;
	const struct ho_stats *s = &r->s;
	struct stats_out *o = ctx;
	char wait[16], user[64], who[64], comm[TEXT_PLAIN_MAX(sizeof(s->comm))];
	char text[TEXT_PLAIN_MAX(sizeof(r->cgroup) > sizeof(user) ? sizeof(r->cgroup)
								  : sizeof(user))];

	if (cli_json) {
		print_stats_json(o, r);
		o->rows++;
		return 0;
	}
	if (!o->rows)
		printf("%-22s %8s %8s %8s %8s %8s %5s %5s %8s %8s %8s %8s %-7s %6s %s\n",
		       o->cgroups ? "" : "PID COMM", "ATTEMPTS", "ESTABL", "FAILED", "QUEUED",
		       "CANCEL", "INFL", "QNOW", "LONGEST", "FAILFAST", "RAW", "RAWDROP", "VERDICT",
		       "SCORE", o->cgroups ? "CGROUP" : "USER");
	if (o->cgroups)
		who[0] = '\0';
	else
		snprintf(who, sizeof(who), "%llu %s%s", U(r->key),
			 text_plain(comm, sizeof(comm), s->comm), r->alive ? "" : "*");
	printf("%-22.22s %8llu %8llu %8llu %8llu %8llu %5d %5d %8s %8llu %8llu %8llu %-7s %6.1f "
	       "%s\n",
	       who, U(s->attempts), U(s->established), U(s->failed), U(s->queued), U(s->cancelled),
	       s->in_flight > 0 ? s->in_flight : 0, s->queued_now > 0 ? s->queued_now : 0,
	       fmt_age(s->max_wait_ns, wait, sizeof(wait)), U(s->failfast), U(s->raw),
	       U(s->raw_dropped), verdict_name(r->verdict), r->score / 1000.0,
	       text_plain(text, sizeof(text),
			  o->cgroups ? r->cgroup : user_name(s->uid, user, sizeof(user))));
	o->rows++;
	return 0;
}

static int list_stats(bool cgroups)
{
	struct ho_ctl_stats_req req = {.kind = cgroups ? HO_STATS_CGROUPS : HO_STATS_PROCS};
	struct stats_out o = {.cgroups = cgroups};

	return cli_list(HO_CTL_STATS, &req, sizeof(req), HO_CTL_STATS_ROW, stats_row, &o, false,
			NULL);
}

int cmd_stats(int argc, char **argv)
{
	bool procs = true, cgroups = true;
	int err = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--procs"))
			cgroups = false;
		else if (!strcmp(argv[i], "--cgroups"))
			procs = false;
		else
			return cli_fail("stats: unexpected argument '%s'", argv[i]), 2;
	}
	if (!procs && !cgroups)
		return cli_fail("stats: --procs and --cgroups exclude each other"), 2;
	if (cli_json) {
		printf("{");
		if (procs) {
			printf("\"processes\":[");
			err = list_stats(false);
			printf("]");
		}
		if (cgroups && !err) {
			printf("%s\"cgroups\":[", procs ? "," : "");
			err = list_stats(true);
			printf("]");
		}
		printf("}\n");
		return err;
	}
	if (procs)
		err = list_stats(false);
	if (procs && cgroups && !err)
		printf("\n");
	if (cgroups && !err)
		err = list_stats(true);
	if (procs && !err)
		printf("(* the process is gone; LONGEST is the longest wait in the queue)\n");
	return err;
}
