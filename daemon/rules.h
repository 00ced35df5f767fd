/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The iptables/ip6tables rules (nf_tables backend) that send held SYNs to
 * NFQUEUE: one chain HALFOPEN in the raw table, jumped to first from OUTPUT.
 */
#ifndef HO_RULES_H
#define HO_RULES_H

#include <stdint.h>

#define HO_CHAIN "HALFOPEN"

/* iptables and ip6tables with the nf_tables backend are there; logs if not. */
int rules_check(void);
/* Install both families atomically (iptables-restore); logs its errors. */
int rules_install(const char *pinned_filter, uint16_t queue_num);
/* Remove what rules_install (of this or a dead daemon) left; quiet if absent. */
int rules_remove(void);

#endif
