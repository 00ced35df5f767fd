// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Policy words on any bytes, with the write-and-reparse round trip: a policy
 * that parses is written as the settings file's line, read back the same,
 * and can be changed and removed in a file by --persist's rewrite.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "parse.h"
#include "policy.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)
#define WORDS 8

static struct ho_config c;

static int parse_text(const char *text)
{
	char err[512];

	config_defaults(&c);
	return config_parse(text, strlen(text), "f", &c, err, sizeof(err));
}

static bool same(const struct ho_policy *a, const struct ho_policy *b)
{
	return a->kind == b->kind && a->uid == b->uid && a->limit == b->limit &&
	       a->flags == b->flags && !strcmp(a->name, b->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[1024], line[HO_CONFIG_LINE + 64], text[2 * sizeof(line)], err[256], *argv[WORDS];
	struct ho_policy p, q;
	int argc = 0, bad;
	char *out;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *t = strtok(buf, " "); t && argc < WORDS; t = strtok(NULL, " "))
		argv[argc++] = t;
	bad = -1;
	if (policy_parse(argc, argv, false, &q, &bad, err, sizeof(err)))
		CHECK(bad >= 0 && bad <= argc);
	bad = -1;
	if (policy_parse(argc, argv, true, &p, &bad, err, sizeof(err))) {
		CHECK(bad >= 0 && bad <= argc);
		return 0;
	}
	/* written as the file's line, it reads back the same */
	snprintf(line, sizeof(line), "policy %s\n", policy_format(&p, true, err, sizeof(err)));
	CHECK(parse_text(line) == 0 && c.npol == 1 && same(&c.pol[0], &p));
	/* a file with it: --persist's rewrite changes it and removes it */
	snprintf(text, sizeof(text), "limit 5 # the namespace\n%s# end\n", line);
	q = p;
	q.flags = 0;
	q.limit = p.limit % HO_LIMIT_MAX + 1;
	out = config_rewrite_policy(text, &q, false);
	CHECK(out && parse_text(out) == 0 && c.npol == 1 && same(&c.pol[0], &q) && c.limit == 5);
	free(out);
	out = config_rewrite_policy(text, &p, true);
	CHECK(out && parse_text(out) == 0 && c.npol == 0 && c.limit == 5);
	free(out);
	return 0;
}
