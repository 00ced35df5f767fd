/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control replies that are lists (ctl_lists.c); req is the request's checked payload. */
#ifndef HO_CTL_LISTS_H
#define HO_CTL_LISTS_H

struct ctl_state;
struct ctl_client;

void list_ps(struct ctl_state *s, struct ctl_client *c, const void *req);
void list_stats(struct ctl_state *s, struct ctl_client *c, const void *req);
void list_events(struct ctl_state *s, struct ctl_client *c, const void *req);
void send_history(struct ctl_state *s, struct ctl_client *c, const void *req);

#endif
