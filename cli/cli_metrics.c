// SPDX-License-Identifier: GPL-2.0-or-later
/* halfopen metrics: the Prometheus text format, for node_exporter's textfile collector. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "metrics.h"

/* Rows of one type, as they come. */
struct rows {
	void *v;
	size_t n, cap, size;
};

static int add_row(void *ctx, const void *p)
{
	struct rows *r = ctx;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		void *v = realloc(r->v, cap * r->size);

		if (!v)
			return cli_fail("out of memory");
		r->v = v;
		r->cap = cap;
	}
	memcpy((char *)r->v + r->n++ * r->size, p, r->size);
	return 0;
}

int cmd_metrics(int argc, char **argv)
{
	struct ho_ctl_stats_req req = {.kind = HO_STATS_CGROUPS};
	struct ho_ctl_status s;
	struct ho_ctl_stats_req preq = {.kind = HO_STATS_PROCS};
	struct rows r = {.size = sizeof(struct ho_ctl_stats_row)};
	struct rows procs = {.size = sizeof(struct ho_ctl_stats_row)};
	struct rows pol = {.size = sizeof(struct ho_ctl_policy_row)};
	char *text = NULL;
	size_t len;
	int err;

	if (argc > 0)
		return cli_fail("metrics: unexpected argument '%s'", argv[0]), 2;
	if (cli_json)
		return cli_fail(
			       "metrics are in the Prometheus text format: use status -j for JSON"),
		       2;
	err = cli_status_call(HO_CTL_STATUS, NULL, 0, &s);
	if (!err)
		err = cli_list(HO_CTL_STATS, &req, sizeof(req), HO_CTL_STATS_ROW, add_row, &r,
			       false, NULL);
	if (!err)
		err = cli_list(HO_CTL_POLICY_LIST, NULL, 0, HO_CTL_POLICY_ROW, add_row, &pol, false,
			       NULL);
	if (!err && s.flagged) /* the processes, only to name those flagged */
		err = cli_list(HO_CTL_STATS, &preq, sizeof(preq), HO_CTL_STATS_ROW, add_row, &procs,
			       false, NULL);
	if (!err && metrics_format(&text, &len,
				   &(struct metrics_in){.s = &s,
							.cgroups = r.v,
							.n = r.n,
							.procs = procs.v,
							.nprocs = procs.n,
							.pol = pol.v,
							.npol = pol.n}))
		err = cli_fail("out of memory");
	if (!err)
		fwrite(text, 1, len, stdout);
	free(text);
	free(r.v);
	free(procs.v);
	free(pol.v);
	return err;
}
