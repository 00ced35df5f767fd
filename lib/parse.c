// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "parse.h"

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int parse_limit(const char *s, uint32_t *out)
{
	if (s && !strcmp(s, "default")) {
		*out = HO_LIMIT_DEFAULT;
		return 0;
	}
	if (s && !strcmp(s, "unlimited")) {
		*out = 0;
		return 0;
	}
	return parse_u32(s, 1, HO_LIMIT_MAX, out);
}

const char *format_limit(uint32_t limit, char *buf, unsigned int len)
{
	if (limit == 0)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%u", limit);
	return buf;
}

int parse_release(const char *s, uint32_t *out)
{
	uint32_t r;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "fair") || !strcmp(s, "fifo")) {
		*out = s[1] == 'a' ? HO_RELEASE_FAIR : HO_RELEASE_FIFO;
		return 0;
	}
	if (strncmp(s, "rate:", 5))
		return -EINVAL;
	if (parse_u32(s + 5, 1, HO_RATE_MAX, &r))
		return -ERANGE;
	*out = HO_RELEASE_RATE | r << 2;
	return 0;
}

const char *format_release(uint32_t v, char *buf, unsigned int len)
{
	if (release_mode(v) == HO_RELEASE_RATE)
		snprintf(buf, len, "rate:%u", release_rate(v));
	else
		snprintf(buf, len, "%s", release_mode(v) == HO_RELEASE_FIFO ? "fifo" : "fair");
	return buf;
}
