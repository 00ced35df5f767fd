/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Repair of attempt ends that went unreported (see reconcile.c). */
#ifndef HO_RECONCILE_H
#define HO_RECONCILE_H

#include <stdbool.h>

struct daemon;

/*
 * full: every tracked attempt, against a dump of the SYN_SENT sockets; else
 * only the attempts that hold a slot (the queue stalled). 0 or -errno.
 */
int reconcile(struct daemon *d, bool full);

#endif
