/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read the tuple of a held SYN, exactly as bpf/halfopen.bpf.c's held_syn does. */
#ifndef HO_PACKET_H
#define HO_PACKET_H

#include <stddef.h>
#include "halfopen.h"

/* 0, or -EINVAL if pkt is not a whole IPv4/IPv6 header followed by TCP ports. */
int packet_tuple(const void *pkt, size_t len, struct ho_tuple *t);

#endif
