/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Repair of attempt ends that went unreported (see reconcile.c). */
#ifndef HO_RECONCILE_H
#define HO_RECONCILE_H

#include <stdbool.h>

struct hqueue;
struct kern;
struct nfqueue;

/*
 * Attempts that ended are forgotten by the kernel side (k) and leave the
 * queue (q), their held SYN dropped (nfq). full: every tracked attempt, against a dump of the SYN_SENT sockets; else
 * only the attempts that hold a slot (the queue stalled). 0 or -errno.
 */
int reconcile(struct kern *k, struct hqueue *q, struct nfqueue *nfq, bool full);

#endif
