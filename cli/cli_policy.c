// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopen policy list|set|del: the limits of cgroups and users, beside the
 * namespace's own. See halfopen(8).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "parse.h"
#include "procinfo.h"

static void print_row(const struct ho_ctl_policy_row *r, bool first)
{
	const struct ho_policy *p = &r->p;
	char rule[32], note[48] = "", name[TEXT_PLAIN_MAX(sizeof(p->name))];

	if (cli_json) {
		printf("%s{\"scope\":\"%s\",\"name\":", first ? "" : ",",
		       p->kind == HO_SCOPE_USER ? "user" : "cgroup");
		json_str(stdout, p->name);
		if (p->flags & HO_SCOPE_F_EXEMPT)
			printf(",\"exempt\":true,\"limit\":null");
		else if (p->limit)
			printf(",\"exempt\":false,\"limit\":%u", p->limit);
		else
			printf(",\"exempt\":false,\"limit\":null");
		printf(",\"raw_deny\":%s", (p->flags & HO_SCOPE_F_RAW_DENY) ? "true" : "false");
		printf(",\"id\":%" PRIu64 ",\"active\":%s,\"transient_pid\":%u,\"in_flight\":%d,"
		       "\"queued\":%d,\"attempts\":%" PRIu64 ",\"queued_total\":%" PRIu64 "}",
		       r->id, r->id || p->kind == HO_SCOPE_USER ? "true" : "false", r->transient,
		       r->in_flight, r->queued, r->attempts, r->queued_total);
		return;
	}
	policy_rule(p, rule, sizeof(rule));
	if (p->kind == HO_SCOPE_CGROUP && !r->id)
		snprintf(note, sizeof(note), "  (no such cgroup now)");
	else if (r->transient)
		snprintf(note, sizeof(note), "  (halfopen run, pid %u)", r->transient);
	printf("%-6s %-40s %-12s %9d %7d %9" PRIu64 " %9" PRIu64 "%s\n",
	       p->kind == HO_SCOPE_USER ? "user" : "cgroup",
	       text_plain(name, sizeof(name), p->name), rule, r->in_flight, r->queued, r->attempts,
	       r->queued_total, note);
}

static void print_header(void)
{
	if (!cli_json)
		printf("%-6s %-40s %-12s %9s %7s %9s %9s\n", "SCOPE", "NAME", "RULE", "IN-FLIGHT",
		       "QUEUED", "ATTEMPTS", "EVER-QUEUED");
}

static int list_row(void *ctx, const void *row)
{
	bool *first = ctx;

	if (*first)
		print_header();
	print_row(row, *first);
	*first = false;
	return 0;
}

static int policy_list(int argc, char **argv)
{
	struct ho_ctl_end end;
	bool first = true;

	if (argc > 0)
		return cli_fail("policy list takes no argument (got '%s')", argv[0]), 2;
	if (cli_json)
		printf("[");
	if (cli_list(HO_CTL_POLICY_LIST, NULL, 0, HO_CTL_POLICY_ROW, list_row, &first, false, &end))
		return 1;
	if (cli_json)
		printf("]\n");
	else if (first)
		printf("no policies: only the namespace's limit applies\n");
	return 0;
}

/* set/del: SCOPE NAME [RULE] [--persist], checked here first for a clear message. */
static int policy_change(int argc, char **argv, bool set)
{
	struct ho_ctl_policy req = {0};
	struct ho_ctl_policy_row row;
	struct ho_ctl_end end;
	char err[256];
	int n = 0, bad;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--persist"))
			req.flags |= HO_POLICY_F_PERSIST;
		else
			argv[n++] = argv[i];
	}
	if (policy_parse(n, argv, set, &req.p, &bad, err, sizeof(err)))
		return cli_fail("policy %s: %s", set ? "set" : "del", err), 2;
	if (!set)
		return cli_call(HO_CTL_POLICY_DEL, &req, sizeof(req), HO_CTL_END, &end,
				sizeof(end));
	if (cli_call(HO_CTL_POLICY_SET, &req, sizeof(req), HO_CTL_POLICY_ROW, &row, sizeof(row)))
		return 1;
	print_header();
	print_row(&row, true);
	if (cli_json)
		printf("\n");
	return 0;
}

int cmd_policy(int argc, char **argv)
{
	if (argc < 1)
		return cli_fail("policy needs list, set or del (try: halfopen --help)"), 2;
	if (!strcmp(argv[0], "list"))
		return policy_list(argc - 1, argv + 1);
	if (!strcmp(argv[0], "set") || !strcmp(argv[0], "del"))
		return policy_change(argc - 1, argv + 1, argv[0][0] == 's');
	return cli_fail("unknown policy command '%s': give list, set or del", argv[0]), 2;
}

/* pardon pid PID | cgroup PATH | user USER: the scanner test starts afresh for it (root). */
int cmd_pardon(int argc, char **argv)
{
	struct ho_ctl_pardon req = {0};
	struct ho_ctl_end end;
	char err[256];

	if (argc != 2)
		return cli_fail("pardon needs pid PID, cgroup PATH or user USER"), 2;
	if (!strcmp(argv[0], "pid")) {
		req.kind = HO_SCOPE_PROC;
		if (parse_u32(argv[1], 1, INT32_MAX, &req.pid))
			return cli_fail("pardon: invalid pid '%s'", argv[1]), 2;
	} else if (!strcmp(argv[0], "cgroup")) {
		req.kind = HO_SCOPE_CGROUP;
		if (policy_check_path(argv[1], err, sizeof(err)))
			return cli_fail("pardon: %s", err), 2;
		snprintf(req.cgroup, sizeof(req.cgroup), "%s", argv[1]);
	} else if (!strcmp(argv[0], "user")) {
		req.kind = HO_SCOPE_USER;
		if (parse_user(argv[1], &req.pid))
			return cli_fail("pardon: no user '%s'", argv[1]), 2;
	} else {
		return cli_fail("pardon: give pid PID, cgroup PATH or user USER, not '%s'",
				argv[0]),
		       2;
	}
	return cli_call(HO_CTL_PARDON, &req, sizeof(req), HO_CTL_END, &end, sizeof(end));
}
