/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --persist (persist.c): the settings file rewritten for a control client. */
#ifndef HO_PERSIST_H
#define HO_PERSIST_H

struct ctl_client;

/* Rewrite the settings file at path with edit(); on failure tells the client, -errno. */
int ctl_persist(const char *path, struct ctl_client *c, const char *what,
		char *(*edit)(const char *text, const void *arg), const void *arg);

#endif
