/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the control requests (ctl_dispatch.c, ctl_policy.c, ctl_lists.c) work
 * on, set up once by main. They read snapshots and the engine's state, change
 * the limit and the policies, and never call the engine: the loop releases
 * what the new limits allow at the end of the same turn (run_loop).
 */
#ifndef HO_CTL_STATE_H
#define HO_CTL_STATE_H

struct daemon_opts;
struct kern;
struct scopes;
struct limiter;
struct snapshot_src;
struct contain;

struct ctl_state {
	struct daemon_opts *o;		 /* the settings in force, the file --persist rewrites */
	struct kern *k;			 /* the limit is set here */
	struct scopes *sc;		 /* the policies */
	const struct limiter *l;	 /* read: the queue, the events, the history */
	const struct snapshot_src *snap; /* status, stats and policy rows */
	struct contain *cn;		 /* the scanner test: halfopen pardon */
};

#endif
