// SPDX-License-Identifier: GPL-2.0-or-later
/* Scanner detection by a sequential test on first contacts: see trw.h. */
#include <errno.h>
#include <math.h>
#include "trw.h"

int trw_params_init(struct trw_params *p, uint32_t benign_pct, uint32_t scanner_pct,
		    uint32_t flag_after, uint32_t credit)
{
	double t0 = benign_pct / 100.0, t1 = scanner_pct / 100.0, ok, fail;

	if (!scanner_pct || scanner_pct >= benign_pct || benign_pct >= 100 || !flag_after ||
	    flag_after > 1000 || credit > 1000)
		return -EINVAL;
	ok = 1000.0 * log(t1 / t0);
	fail = 1000.0 * log((1.0 - t1) / (1.0 - t0));
	p->ok = (int32_t)lround(ok);
	p->fail = (int32_t)lround(fail);
	if (p->fail < 1)
		p->fail = 1;
	p->flag = p->fail * (int32_t)flag_after;
	p->floor = -p->fail * (int32_t)credit;
	return 0;
}

int trw_observe(const struct trw_params *p, struct trw_state *s, enum trw_outcome o)
{
	if (o == TRW_OK)
		s->score += p->ok;
	else if (o == TRW_FAIL)
		s->score += p->fail;
	if (s->score < p->floor)
		s->score = p->floor;
	if (s->score > 2 * p->flag)
		s->score = 2 * p->flag; /* a scanner's credit of failures is bounded too */
	if (!s->flagged && s->score >= p->flag) {
		s->flagged = true;
		return 1;
	}
	if (s->flagged && s->score <= 0) {
		s->flagged = false;
		return -1;
	}
	return 0;
}

void trw_reset(struct trw_state *s)
{
	*s = (struct trw_state){0};
}
