// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopen limit|policy ... --persist: the settings file rewritten for a
 * client, safely by construction. The file is read exactly as the loader
 * reads it (config_read: a regular file, never through a symbolic link,
 * bounded) and must load as it is; otherwise nothing is written and the
 * client is told why. The new text must load too. It replaces the file
 * atomically, with the file's own owner and mode.
 */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ctl_proto.h"
#include "config.h"
#include "ctl_client.h"
#include "persist.h"
#include "log.h"

#define MSG_LEN sizeof(((struct ho_ctl_err *)0)->msg)

static int refuse(struct ctl_client *c, int rc, const char *why)
{
	char msg[MSG_LEN];

	snprintf(msg, sizeof(msg), "cannot persist: %.107s", why);
	pr_warn("--persist refused: %s; nothing changed", why);
	ctl_err(c, -rc, msg);
	return rc;
}

int ctl_persist(const char *path, struct ctl_client *c, const char *what,
		char *(*edit)(const char *text, const void *arg), const void *arg)
{
	struct ho_config *check = malloc(sizeof(*check));
	char err[512], *text = NULL, *out = NULL;
	struct stat st;
	bool fresh;
	size_t len;
	int rc;

	if (!check)
		return refuse(c, -ENOMEM, "out of memory");
	rc = config_read(path, &text, &len, &st, err, sizeof(err));
	fresh = rc == -ENOENT;
	if (fresh) {
		text = strdup("");
		len = 0;
		rc = text ? 0 : -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	}
	if (rc)
		goto out;
	/* a file the loader would refuse is not rewritten: its rest would be lost */
	config_defaults(check);
	rc = config_parse(text, len, path, check, err, sizeof(err));
	if (rc)
		goto out;
	out = edit(text, arg);
	if (!out) {
		rc = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	config_defaults(check);
	rc = config_parse(out, strlen(out), path, check, err, sizeof(err));
	if (rc)
		goto out;
	if (fresh) {
		snprintf(err, sizeof(err), "%s", path);
		(void)mkdir(dirname(err), 0755); /* /etc/halfopen on a first --persist */
	}
	rc = config_write_atomic(path, out, fresh ? NULL : &st, err, sizeof(err));
out:
	free(check);
	free(text);
	free(out);
	if (rc)
		return refuse(c, rc, err);
	pr_notice("%s written to %s", what, path);
	return 0;
}
