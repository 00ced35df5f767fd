// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "metrics.h"
#include "text.h"

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void scalar(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	head(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/* A counter of the control socket and of the metrics endpoint. */
static void per_endpoint(FILE *f, const char *name, const char *help, uint64_t control,
			 uint64_t http)
{
	head(f, name, "counter", help);
	fprintf(f, "%s{endpoint=\"control\"} %" PRIu64 "\n", name, control);
	fprintf(f, "%s{endpoint=\"metrics\"} %" PRIu64 "\n", name, http);
}

/* One metric with a line per cgroup; field picks the value from a row. */
static void per_cgroup(FILE *f, const char *name, const char *type, const char *help,
		       const struct ho_ctl_stats_row *rows, size_t n,
		       uint64_t (*field)(const struct ho_stats *s))
{
	head(f, name, type, help);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s{cgroup=\"", name);
		prom_label(f, rows[i].cgroup);
		fprintf(f, "\"} %" PRIu64 "\n", field(&rows[i].s));
	}
}

static uint64_t cg_in_flight(const struct ho_stats *s)
{
	return s->in_flight > 0 ? (uint64_t)s->in_flight : 0;
}
static uint64_t cg_queued(const struct ho_stats *s)
{
	return s->queued_now > 0 ? (uint64_t)s->queued_now : 0;
}
static uint64_t cg_attempts(const struct ho_stats *s)
{
	return s->attempts;
}
static uint64_t cg_established(const struct ho_stats *s)
{
	return s->established;
}
static uint64_t cg_failed(const struct ho_stats *s)
{
	return s->failed;
}
static uint64_t cg_failfast(const struct ho_stats *s)
{
	return s->failfast;
}
static uint64_t cg_queued_total(const struct ho_stats *s)
{
	return s->queued;
}

/* One metric with a line per policy; which: 0 limit, 1 in flight, 2 queued, 3 queued total. */
static void per_policy(FILE *f, const char *name, const char *type, const char *help,
		       const struct ho_ctl_policy_row *pol, size_t n, int which)
{
	head(f, name, type, help);
	for (size_t i = 0; i < n; i++) {
		const struct ho_ctl_policy_row *r = &pol[i];
		uint64_t v = which == 0	  ? r->p.limit
			     : which == 1 ? (uint64_t)(r->in_flight > 0 ? r->in_flight : 0)
			     : which == 2 ? (uint64_t)(r->queued > 0 ? r->queued : 0)
					  : r->queued_total;

		fprintf(f, "%s{scope=\"%s\",name=\"", name,
			r->p.kind == HO_SCOPE_USER ? "user" : "cgroup");
		prom_label(f, r->p.name);
		fprintf(f, "\"} %" PRIu64 "\n", v);
	}
}

/* The processes flagged as scanners now, named, with their first contacts. */
static void scanners(FILE *f, const struct ho_ctl_stats_row *procs, size_t n)
{
	head(f, "halfopen_scanner_first_contacts", "gauge",
	     "First contacts of a process flagged as a scanner now, by outcome.");
	for (size_t i = 0; i < n; i++) {
		const struct ho_ctl_stats_row *r = &procs[i];

		if (r->verdict != HO_VERDICT_FLAGGED)
			continue;
		for (int ok = 1; ok >= 0; ok--) {
			fprintf(f, "halfopen_scanner_first_contacts{pid=\"%llu\",comm=\"",
				(unsigned long long)r->key);
			prom_label(f, r->s.comm);
			fprintf(f, "\",uid=\"%u\",cgroup=\"", r->s.uid);
			prom_label(f, r->cgroup);
			fprintf(f, "\",outcome=\"%s\"} %u\n", ok ? "ok" : "failed",
				ok ? r->first_ok : r->first_failed);
		}
	}
}

int metrics_format(char **out, size_t *len, const struct metrics_in *in)
{
	const struct ho_ctl_status *s = in->s;
	const struct ho_ctl_stats_row *cg = in->cgroups;
	const struct ho_ctl_policy_row *pol = in->pol;
	size_t n = in->n, npol = in->npol;
	FILE *f = open_memstream(out, len);

	if (!f)
		return -ENOMEM;
	scalar(f, "halfopen_limit", "gauge",
	       "Outbound TCP connection attempts allowed half-open at once (0: unlimited).",
	       s->limit);
	scalar(f, "halfopen_in_flight", "gauge", "Attempts half-open now.", s->in_flight);
	scalar(f, "halfopen_queued", "gauge", "Attempts queued now.", s->queued);
	scalar(f, "halfopen_exempt_in_flight", "gauge",
	       "Attempts half-open now in exempt scopes (no slot of the namespace).",
	       s->exempt_in_flight);
	scalar(f, "halfopen_held_syns", "gauge", "Queued attempts whose SYN is held now.", s->held);
	scalar(f, "halfopen_queue_max", "gauge", "SYNs held at most.", s->queue_max);
	scalar(f, "halfopen_start_time_seconds", "gauge", "When halfopend started (unix time).",
	       s->started);
	scalar(f, "halfopen_attempts_total", "counter", "Attempts tracked.", s->attempts);
	scalar(f, "halfopen_queued_total", "counter", "Attempts that had to queue.",
	       s->queued_total);
	scalar(f, "halfopen_released_total", "counter", "Queued attempts released.", s->released);
	scalar(f, "halfopen_cancelled_total", "counter",
	       "Queued attempts closed by the application.", s->cancelled);
	scalar(f, "halfopen_established_total", "counter", "Attempts that were answered (SYN-ACK).",
	       s->established);
	head(f, "halfopen_failed_total", "counter", "Attempts that failed, by reason.");
	fprintf(f, "halfopen_failed_total{reason=\"refused\"} %" PRIu64 "\n", s->refused);
	fprintf(f, "halfopen_failed_total{reason=\"timeout\"} %" PRIu64 "\n", s->failed);
	scalar(f, "halfopen_closed_total", "counter",
	       "Attempts in flight closed by the application.", s->closed);
	scalar(f, "halfopen_dropped_total", "counter", "SYNs dropped because the queue was full.",
	       s->dropped);
	scalar(f, "halfopen_untracked_total", "counter",
	       "Attempts let through untracked because the table was full.", s->untracked);
	scalar(f, "halfopen_late_syns_total", "counter",
	       "Released SYNs dropped because their socket had ended first.", s->late_syns);
	scalar(f, "halfopen_repaired_total", "counter",
	       "Attempts forgotten because their end went unreported.", s->repaired);
	scalar(f, "halfopen_failfast_total", "counter",
	       "connect()s that asked not to be queued (HALFOPEN_NOQUEUE) refused at once.",
	       s->failfast);
	scalar(f, "halfopen_noqueue_lost_total", "counter",
	       "Attempts that asked not to be queued, queued: the last slot went first.",
	       s->noqueue_lost);
	scalar(f, "halfopen_abandoned_total", "counter",
	       "Attempts closed by the application after their SYN was out 1 s (failed).",
	       s->abandoned);
	scalar(f, "halfopen_expired_total", "counter",
	       "Attempts that stopped counting against the limits at slot-timeout.", s->expired);
	scalar(f, "halfopen_flagged", "gauge", "Processes and cgroups flagged as scanners now.",
	       s->flagged);
	scalar(f, "halfopen_flagged_total", "counter",
	       "Times a process or cgroup was flagged as a scanner.", s->flagged_total);
	scalar(f, "halfopen_contained_total", "counter",
	       "First contacts queued because their process or cgroup is flagged.", s->contained);
	scalar(f, "halfopen_probation_total", "counter",
	       "First contacts queued because their process or cgroup, not judged yet, had as "
	       "many out as its probation allows.",
	       s->probation);
	scalar(f, "halfopen_raw_in_flight", "gauge",
	       "Raw SYNs (raw IP or packet sockets) half-open now.", s->raw_in_flight);
	scalar(f, "halfopen_raw_attempts_total", "counter", "Raw SYNs that took a slot.",
	       s->raw_attempts);
	head(f, "halfopen_raw_ended_total", "counter", "Raw SYNs ended, by how.");
	fprintf(f, "halfopen_raw_ended_total{how=\"answered\"} %" PRIu64 "\n", s->raw_answered);
	fprintf(f, "halfopen_raw_ended_total{how=\"timeout\"} %" PRIu64 "\n", s->raw_timed_out);
	scalar(f, "halfopen_raw_dropped_total", "counter", "Raw SYNs dropped over a limit.",
	       s->raw_dropped);
	scalar(f, "halfopen_raw_untracked_total", "counter",
	       "Raw SYNs let through untracked because the table was full.", s->raw_untracked);
	scalar(f, "halfopen_raw_denied_total", "counter",
	       "Raw IP and packet sockets refused by a raw deny policy.", s->raw_denied);
	scalar(f, "halfopen_raw_denied_frames_total", "counter",
	       "Frames of packet sockets dropped by a raw deny policy.", s->raw_denied_frames);
	scalar(f, "halfopen_raw_bypass_refused_total", "counter",
	       "setsockopt(PACKET_QDISC_BYPASS) refused: its frames would skip the count.",
	       s->raw_bypass_refused);
	scalar(f, "halfopen_raw_judged_total", "counter",
	       "Raw SYNs to new addresses whose end was scored by the scanner test.",
	       s->raw_judged);
	scalar(f, "halfopen_raw_paced_total", "counter",
	       "Raw SYNs of a flagged process or cgroup dropped over its contain-rate.",
	       s->raw_paced);
	per_endpoint(f, "halfopen_clients_refused_total",
		     "Connections refused because a bound was reached, by endpoint.",
		     s->control_refused, s->http_refused);
	per_endpoint(f, "halfopen_clients_dropped_total",
		     "Connections closed because they were idle, too slow or did not read, by "
		     "endpoint.",
		     s->control_dropped, s->http_dropped);
	per_cgroup(f, "halfopen_cgroup_in_flight", "gauge", "Attempts half-open now, by cgroup.",
		   cg, n, cg_in_flight);
	per_cgroup(f, "halfopen_cgroup_queued", "gauge", "Attempts queued now, by cgroup.", cg, n,
		   cg_queued);
	per_cgroup(f, "halfopen_cgroup_attempts_total", "counter", "Attempts, by cgroup.", cg, n,
		   cg_attempts);
	per_cgroup(f, "halfopen_cgroup_queued_total", "counter",
		   "Attempts that had to queue, by cgroup.", cg, n, cg_queued_total);
	per_cgroup(f, "halfopen_cgroup_established_total", "counter",
		   "Attempts answered, by cgroup.", cg, n, cg_established);
	per_cgroup(f, "halfopen_cgroup_failed_total", "counter", "Attempts failed, by cgroup.", cg,
		   n, cg_failed);
	per_cgroup(f, "halfopen_cgroup_failfast_total", "counter",
		   "HALFOPEN_NOQUEUE connect()s refused at once, by cgroup.", cg, n, cg_failfast);
	head(f, "halfopen_cgroup_flagged", "gauge",
	     "1 if the cgroup is flagged as a scanner now, by cgroup.");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "halfopen_cgroup_flagged{cgroup=\"");
		prom_label(f, cg[i].cgroup);
		fprintf(f, "\"} %d\n", cg[i].verdict == HO_VERDICT_FLAGGED);
	}
	scanners(f, in->procs, in->nprocs);
	per_policy(f, "halfopen_policy_limit", "gauge", "Limit of a policy (0: exempt).", pol, npol,
		   0);
	per_policy(f, "halfopen_policy_in_flight", "gauge", "Attempts half-open now, by policy.",
		   pol, npol, 1);
	per_policy(f, "halfopen_policy_queued", "gauge", "Attempts queued now, by policy.", pol,
		   npol, 2);
	per_policy(f, "halfopen_policy_queued_total", "counter",
		   "Attempts that had to queue, by policy.", pol, npol, 3);
	if (fclose(f))
		return -ENOMEM;
	return 0;
}
