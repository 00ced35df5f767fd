// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopend's command line: the settings of config.h's table as long options
 * (the command line wins over the file), and the daemon's own flags.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"

#define OPT_FLAG_BASE 256 /* getopt values of table options without a short name */

void options_usage(FILE *f)
{
	char left[48];

	fprintf(f,
		"Usage: halfopend [OPTIONS]\n"
		"Limit the outbound TCP connection attempts of this network namespace that are\n"
		"half-open at once; queue the rest (their SYN is held and released in order).\n\n");
	for (size_t i = 0; i < cfg_noptions; i++) {
		const struct cfg_option *o = &cfg_options[i];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s %s", o->short_name, o->name,
				 o->arg);
		else
			snprintf(left, sizeof(left), "    --%s %s", o->name, o->arg);
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fprintf(f, "  %-28s %s\n", "-f, --config FILE",
		"settings file (default " HO_CONFIG_DEFAULT ", if it exists)");
	fprintf(f, "  %-28s %s\n", "-n, --check", "check the settings file and exit (0 if good)");
	fprintf(f, "  %-28s %s\n", "    --cleanup",
		"remove what a killed daemon left behind, and exit");
	fprintf(f, "  %-28s %s\n", "-v, --verbose", "more messages (-vv: libbpf's too)");
	fprintf(f, "  %-28s %s\n", "-h, --help", "this help");
	fprintf(f, "  %-28s %s\n", "-V, --version", "the version");
	fprintf(f, "\nSignals: SIGHUP reloads the file; SIGTERM and SIGINT release every held\n"
		   "attempt, remove the rules and exit. See halfopend(8), halfopen.conf(5).\n");
}

int options_parse(int argc, char **argv, struct daemon_opts *o, enum options_mode *mode)
{
	struct option opts[32];
	char shorts[64] = "f:nvhV";
	size_t n = 0, i;
	int c;

	*o = (struct daemon_opts){.config = HO_CONFIG_DEFAULT};
	config_defaults(&o->c);
	config_defaults(&o->cli);
	o->cli.set = o->c.set = 0;
	*mode = OPT_RUN;
	for (i = 0; i < cfg_noptions; i++) {
		const struct cfg_option *co = &cfg_options[i];

		opts[n++] =
			(struct option){co->name, required_argument, NULL,
					co->short_name ? co->short_name : OPT_FLAG_BASE + (int)i};
		if (co->short_name) {
			size_t l = strlen(shorts);

			shorts[l] = co->short_name;
			shorts[l + 1] = ':';
			shorts[l + 2] = '\0';
		}
	}
	opts[n++] = (struct option){"config", required_argument, NULL, 'f'};
	opts[n++] = (struct option){"check", no_argument, NULL, 'n'};
	opts[n++] = (struct option){"cleanup", no_argument, NULL, 'c'};
	opts[n++] = (struct option){"verbose", no_argument, NULL, 'v'};
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[n++] = (struct option){"version", no_argument, NULL, 'V'};
	opts[n] = (struct option){0};

	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		const struct cfg_option *co = NULL;
		char range[64];

		if (c >= OPT_FLAG_BASE)
			co = &cfg_options[c - OPT_FLAG_BASE];
		for (i = 0; !co && i < cfg_noptions; i++)
			if (cfg_options[i].short_name == c)
				co = &cfg_options[i];
		if (co) {
			if (config_set(&o->cli, co, optarg)) {
				fprintf(stderr,
					"halfopend: invalid value for --%s: '%s' (give %s)\n",
					co->name, optarg, config_range(co, range, sizeof(range)));
				return -EINVAL;
			}
			continue;
		}
		switch (c) {
		case 'f':
			o->config = optarg;
			o->config_given = true;
			break;
		case 'n':
			*mode = OPT_CHECK;
			break;
		case 'c':
			*mode = OPT_CLEANUP;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			*mode = OPT_HELP;
			return 0;
		case 'V':
			*mode = OPT_VERSION;
			return 0;
		default:
			fprintf(stderr, "halfopend: see halfopend --help\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "halfopend: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int options_load(const struct daemon_opts *o, struct ho_config *out, char *err, size_t errlen)
{
	struct ho_config c;
	int rc;

	config_defaults(&c);
	c.set = 0;
	rc = config_load(o->config, &c, err, errlen);
	/* the default file is optional; one named with -f is not */
	if (rc == -ENOENT && !o->config_given) {
		err[0] = '\0';
		rc = 0;
	}
	if (rc)
		return rc;
	config_overlay(&c, &o->cli);
	rc = config_finish(&c, err, errlen);
	if (rc)
		return rc;
	*out = c;
	return 0;
}
