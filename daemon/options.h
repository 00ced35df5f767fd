/* SPDX-License-Identifier: GPL-2.0-or-later */
/* halfopend's command line and how it combines with the settings file. */
#ifndef HO_OPTIONS_H
#define HO_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include "config.h"

struct daemon_opts {
	struct ho_config c;   /* in force: defaults, then the file, then the command line */
	struct ho_config cli; /* what the command line set: it wins over the file */
	const char *config;   /* the file */
	bool config_given;    /* -f: the file must exist */
	int verbose;
};

enum options_mode { OPT_RUN, OPT_CHECK, OPT_CLEANUP, OPT_HELP, OPT_VERSION };

void options_usage(FILE *f);
/* 0, or -EINVAL after one message on stderr. */
int options_parse(int argc, char **argv, struct daemon_opts *o, enum options_mode *mode);
/* Defaults, then the file, then the command line; err says why not. */
int options_load(const struct daemon_opts *o, struct ho_config *out, char *err, size_t errlen);

#endif
