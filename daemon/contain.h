/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Containment: the scanner test (lib/trw.c) run on the first contacts of
 * every process and cgroup, their working sets, the flags the kernel reads
 * (bpf "flagged", "reached"), and the pace at which a flagged scope's first
 * contacts are released. See docs/design.md, "Containment".
 */
#ifndef HO_CONTAIN_H
#define HO_CONTAIN_H

#include <stdbool.h>
#include <stdint.h>
#include "ctl_proto.h"
#include "halfopen.h"
#include "trw.h"

struct kern;
struct ho_config;

#define HO_CONTAIN_SCOPES  8192 /* processes and cgroups judged at once */
#define HO_FAILED_LATELY   64	/* failed destinations remembered per scope: one counts once */
#define HO_CONTAIN_BUCKETS 1024
#define HO_ALARMS_PENDING  16
#define HO_UNITS_LATE	   4096 /* units of probation held back, a second at most */

struct cscope {
	uint32_t kind; /* HO_SCOPE_PROC, HO_SCOPE_CGROUP or HO_SCOPE_USER (ho_group_kind) */
	uint64_t id;   /* tgid or cgroup id */
	struct trw_state t;
	uint32_t ok, failed;	  /* first contacts judged */
	uint64_t last_ns;	  /* last first contact judged */
	uint64_t last_fail_ns;	  /* last failed one */
	uint64_t next_release_ns; /* flagged: the next first contact may go at */
	uint32_t tgid, uid;	  /* the last process seen */
	uint64_t cgid;
	char comm[HO_COMM_LEN];
	uint32_t budget; /* of probation, as the kernel has it (budget_set) */
	bool budget_set;
	struct ho_ctl_dest samples[HO_EVENT_SAMPLES]; /* the last failed first contacts */
	uint32_t nsamples;
	uint8_t failed_lately[HO_FAILED_LATELY][16];
	uint32_t nfailed_lately;
	uint8_t (*ws)[16]; /* the working set we keep bounded (the kernel holds it) */
	uint32_t nws, capws;
	struct cscope *hnext;
};

/* A unit of probation that comes back at due_ns (contain_units_due). */
struct late_unit {
	uint32_t kind;
	uint64_t id;
	uint64_t due_ns;
};

struct contain {
	struct kern *k;
	bool on;
	struct trw_params p;
	uint32_t working_set; /* bound per scope */
	uint64_t interval_ns; /* between two releases of a flagged scope */
	uint64_t quiet_ns;    /* no failed first contact that long: unflagged */
	struct cscope *b[HO_CONTAIN_BUCKETS];
	uint32_t n;
	uint32_t flagged;	/* scopes flagged now */
	uint64_t flagged_total; /* flags since start */
	uint64_t unjudged;	/* first contacts not judged: no room for their scope */
	uint32_t probe;		/* probation of a new scope (flag-after); 0: off */
	uint64_t probe_errors;	/* budgets the kernel could not be told */
	struct late_unit late[HO_UNITS_LATE];
	uint32_t nlate;
	uint64_t late_next_ns;				   /* the earliest due_ns, while nlate */
	uint64_t sweeps;				   /* of probations (contain_tick) */
	struct ho_ctl_event_row alarms[HO_ALARMS_PENDING]; /* for the loop to send */
	uint32_t nalarms;
	struct craw_end *raw; /* raw first contacts' ends, a heap by the time their SYN left */
	uint32_t nraw, capraw;
};

/* Settings (start and reload); on: contain mode. */
void contain_configure(struct contain *c, struct kern *k, const struct ho_config *cfg);
/*
 * A raw SYN that was a first contact ended (HO_EV_RAW_FIRST_END): kept, and
 * scored by contain_raw_due() in the order the SYNs left, once every SYN
 * sent before it has had its answer or its timeout: it left before oldest_ns
 * (the oldest raw first contact still in flight), or settle_ns ago.
 */
#define HO_RAW_ENDS_MAX 65536 /* kept at once (HO_RAW_MAX); over it: scored at once */
void contain_raw_end(struct contain *c, const struct ho_attempt *a, uint32_t outcome);
void contain_raw_due(struct contain *c, uint64_t oldest_ns, uint64_t now, uint64_t settle_ns);
void contain_raw_free(struct contain *c);
/*
 * A first contact in flight ended (HO_EV_FIRST_END): scored, and the units
 * of probation it held given back with the budget its scopes have now.
 */
void contain_on_end(struct contain *c, const struct ho_attempt *a, uint32_t outcome,
		    uint64_t end_ns);
/*
 * A first contact closed by its program before its SYN was out
 * HO_ABANDON_NS is no evidence, and its units come back only then: a
 * program on probation that abandons its attempts at once still has no
 * more than its budget of first contacts out in any second. Those due by
 * now come back; the time of the next (0: none).
 */
uint64_t contain_units_due(struct contain *c, uint64_t now);
/* One went past --slot-timeout (kern_expire): scored failed, its units (probe) given back. */
void contain_on_expired(struct contain *c, const struct ho_attempt *a, uint32_t probe,
			uint64_t now);
/*
 * Release pacing of an attempt held apart (HO_AT_APART: its scope flagged,
 * or its probation full): 0 if it may go at now, else how long until it
 * may. contain_released() takes the turn. One held on probation whose scope
 * is not flagged may always try: the release program takes its units.
 */
uint64_t contain_gate(struct contain *c, const struct ho_attempt *a, uint64_t now);
void contain_released(struct contain *c, const struct ho_attempt *a, uint64_t now);
/* Once a second: quiet periods, scopes that are gone. Returns true if one was unflagged. */
bool contain_tick(struct contain *c, uint64_t now);
/* Start a scope afresh; -ENOENT if it is not judged. */
int contain_pardon(struct contain *c, uint32_t kind, uint64_t id);
const struct cscope *contain_find(const struct contain *c, uint32_t kind, uint64_t id);
/* The verdict of a scope, for rows. */
void contain_verdict(const struct contain *c, uint32_t kind, uint64_t id, uint32_t *verdict,
		     int32_t *score, uint32_t *ok, uint32_t *failed);
/* An alarm raised since the last call: true and *out filled. */
bool contain_alarm(struct contain *c, struct ho_ctl_event_row *out);
void contain_free(struct contain *c);

#endif
