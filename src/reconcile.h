/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Repair slots after the kernel skipped our tracepoint (see reconcile.c). */
#ifndef HO_RECONCILE_H
#define HO_RECONCILE_H

struct daemon;

int reconcile(struct daemon *d);

#endif
