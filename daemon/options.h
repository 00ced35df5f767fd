/* SPDX-License-Identifier: GPL-2.0-or-later */
/* halfopend's command line and how it combines with the settings file. */
#ifndef HO_OPTIONS_H
#define HO_OPTIONS_H

#include <stdio.h>

struct daemon_opts;
struct ho_config;

enum options_mode { OPT_RUN, OPT_CHECK, OPT_CLEANUP, OPT_HELP, OPT_VERSION };

void options_usage(FILE *f);
/* 0, or -EINVAL after one message on stderr. */
int options_parse(int argc, char **argv, struct daemon_opts *o, enum options_mode *mode);
/* Defaults, then the file, then the command line; err says why not. */
int options_load(const struct daemon_opts *o, struct ho_config *out, char *err, size_t errlen);

#endif
