/* SPDX-License-Identifier: GPL-2.0-or-later */
/* halfopen policy and halfopen run (ctl_policy.c); req: struct ho_ctl_policy. */
#ifndef HO_CTL_POLICY_H
#define HO_CTL_POLICY_H

struct ctl_state;
struct ctl_client;

void policy_set(struct ctl_state *s, struct ctl_client *c, const void *req);
void policy_del(struct ctl_state *s, struct ctl_client *c, const void *req);
void policy_list(struct ctl_state *s, struct ctl_client *c, const void *req);
/* halfopen pardon (req: struct ho_ctl_pardon): the scanner test starts afresh. */
void pardon(struct ctl_state *s, struct ctl_client *c, const void *req);

#endif
