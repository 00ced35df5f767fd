// SPDX-License-Identifier: GPL-2.0-or-later
/* halfopen limit|policy ... --persist: the settings file rewritten for a client. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "ctl_proto.h"
#include "daemon.h"
#include "log.h"

/*
 * Edit the settings file, atomically, keeping the rest of it: edit() returns
 * the new text (malloc'd), which must still parse. On failure the client is
 * told why and nothing changes.
 */
int ctl_persist(struct daemon *d, struct ctl_client *c, const char *what,
		char *(*edit)(const char *text, const void *arg), const void *arg)
{
	struct ho_config *check;
	char err[512], msg[sizeof(((struct ho_ctl_err *)0)->msg)], *text, *out;
	size_t n = 0;
	FILE *f;

	text = calloc(1, HO_CONFIG_MAX + 1);
	check = malloc(sizeof(*check));
	if (!text || !check) {
		free(text);
		free(check);
		return ctl_err(c, ENOMEM, "out of memory"), -ENOMEM;
	}
	f = fopen(d->o.config, "re");
	if (f) {
		n = fread(text, 1, HO_CONFIG_MAX, f);
		fclose(f);
	}
	text[n] = '\0';
	out = edit(text, arg);
	free(text);
	config_defaults(check);
	if (!out || config_parse(out, strlen(out), d->o.config, check, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "cannot persist: %.100s", out ? err : "out of memory");
		free(out);
		free(check);
		return ctl_err(c, EINVAL, msg), -EINVAL;
	}
	free(check);
	snprintf(err, sizeof(err), "%s", d->o.config);
	mkdir(dirname(err), 0755); /* /etc/halfopen on a first --persist */
	if (config_write_atomic(d->o.config, out, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "cannot persist: %.100s", err);
		free(out);
		return ctl_err(c, EIO, msg), -EIO;
	}
	free(out);
	pr_notice("%s written to %s", what, d->o.config);
	return 0;
}
