/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scanner detection: a sequential test on first contacts, in the spirit of
 * Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan, 2004). Pure
 * logic; the derivation of the parameters is in docs/design.md.
 *
 * A scope (a process or a cgroup) has a score, the log-likelihood ratio of
 * "scanner" (its first contacts succeed with probability theta1) against
 * "benign" (theta0), in thousandths of a nat. A successful first contact adds
 * ln(theta1/theta0) (negative), a failed one ln((1-theta1)/(1-theta0)). It is
 * flagged when the score reaches ln(eta1) = flag_after failed steps, and
 * unflagged when it falls back to 0. The score never goes below -credit
 * failed steps: a program's good history counts, but only so much.
 */
#ifndef HO_TRW_H
#define HO_TRW_H

#include <stdbool.h>
#include <stdint.h>

#define TRW_BENIGN_DEFAULT  40 /* theta0, percent: P2P networks have 50% firewalled peers */
#define TRW_SCANNER_DEFAULT 5  /* theta1, percent */
#define TRW_FLAG_DEFAULT    10 /* failed first contacts in a row that flag a new scope */
#define TRW_CREDIT_DEFAULT  30 /* the floor, in failed steps below 0 */

struct trw_params {
	int32_t ok;    /* step of a successful first contact, milli-nats (< 0) */
	int32_t fail;  /* step of a failed one (> 0) */
	int32_t flag;  /* flagged at or above this (ln eta1) */
	int32_t floor; /* the score never goes below this (< 0) */
};

/*
 * Steps and thresholds from theta0 and theta1 (percent, 0 < theta1 < theta0
 * < 100), flag_after >= 1 and credit >= 0. 0, or -EINVAL.
 */
int trw_params_init(struct trw_params *p, uint32_t benign_pct, uint32_t scanner_pct,
		    uint32_t flag_after, uint32_t credit);

enum trw_outcome {
	TRW_NONE = 0, /* no evidence: closed before its SYN was out a while, cancelled */
	TRW_OK = 1,
	TRW_FAIL = 2,
};

struct trw_state {
	int32_t score;
	bool flagged;
};

/*
 * One first contact's outcome: the new score. Returns +1 if it got flagged
 * by this one, -1 if unflagged, 0 otherwise.
 */
int trw_observe(const struct trw_params *p, struct trw_state *s, enum trw_outcome o);

/* A pardon or a quiet period: back where a new scope starts. */
void trw_reset(struct trw_state *s);

#endif
