// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The settings parser on any bytes. A text it refuses leaves the settings
 * untouched and says why; a text it takes can have every setting and policy
 * rewritten (as --persist does) into a text that parses to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static struct ho_config c, before, again;

static void reparse(const char *text, struct ho_config *out)
{
	char err[512];

	config_defaults(out);
	CHECK(config_parse(text, strlen(text), "f", out, err, sizeof(err)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], val[32], *text, *out;

	config_defaults(&c);
	before = c;
	err[0] = '\0';
	if (config_parse((const char *)data, size, "f", &c, err, sizeof(err))) {
		CHECK(!memcmp(&c, &before, sizeof(c)) && err[0]);
		return 0;
	}
	text = strndup((const char *)data, size); /* it parsed: no NUL byte inside */
	CHECK(text && strlen(text) == size);
	for (size_t i = 0; i < cfg_noptions; i++) {
		const struct cfg_option *o = &cfg_options[i];

		out = config_rewrite(text, o->name, config_format(o, config_get(&c, o), val, 32));
		CHECK(out);
		reparse(out, &again);
		CHECK(config_get(&again, o) == config_get(&c, o));
		CHECK(again.npol == c.npol);
		free(out);
	}
	for (uint32_t i = 0; i < c.npol; i++) {
		out = config_rewrite_policy(text, &c.pol[i], false);
		CHECK(out);
		reparse(out, &again);
		CHECK(again.npol == c.npol && !memcmp(again.pol, c.pol, sizeof(c.pol)));
		free(out);
		out = config_rewrite_policy(text, &c.pol[i], true);
		CHECK(out);
		reparse(out, &again);
		CHECK(again.npol == c.npol - 1);
		free(out);
	}
	free(text);
	return 0;
}
