/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The window of bpf/race_test.bpf.h as tests/tools/test_reuse.c drives it (test builds only). */
#ifndef HALFOPEN_RACE_TEST_H
#define HALFOPEN_RACE_TEST_H

#include "halfopen.h"

enum race_site { RACE_RELEASE = 1, RACE_EXPIRE, RACE_FORGET, RACE_HELD, RACE_TAKEN, RACE_FIND };

struct ho_race {
	__u32 site;	     /* the window to open once (enum race_site), 0: none */
	__u32 setup;	     /* held_syn: first insert x under the packet's cookie */
	__u32 opened;	     /* the window was opened */
	__u32 reused;	     /* y got the very entry the program holds */
	__u32 end;	     /* instead: the attempt ends there, as its end would leave it */
	__u32 cell;	     /* x and y live in one cell (HO_CELLS), not in the hash */
	__u64 x_cookie;	     /* held_syn: the packet's cookie, written by the setup */
	__u64 y_cookie;	     /* the attempt that takes the entry */
	struct ho_attempt x; /* held_syn: the attempt the lookup finds */
	struct ho_attempt y;
};

#endif /* HALFOPEN_RACE_TEST_H */
