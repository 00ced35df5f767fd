/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict parsing of numbers and limit words from the command line. */
#ifndef HO_PARSE_H
#define HO_PARSE_H

#include <stdint.h>

#define HO_LIMIT_DEFAULT 10	 /* the value Windows XP SP2 hard-coded */
#define HO_LIMIT_MAX	 1000000 /* 0 means unlimited in the protocol */

/* Decimal digits only, no sign, no spaces, within [min, max]. 0 or -EINVAL/-ERANGE. */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/*
 * A limit as the administrator types it: 1..HO_LIMIT_MAX, "default" (10) or
 * "unlimited" (stored as 0). 0 or -EINVAL/-ERANGE; *out untouched on error.
 */
int parse_limit(const char *s, uint32_t *out);

/* "10", "unlimited": the inverse of parse_limit, into buf. */
const char *format_limit(uint32_t limit, char *buf, unsigned int len);

/*
 * The release order: "fair" (round robin over cgroups, FIFO inside each),
 * "fifo" (one global order, as the original) or "rate:R" (fair order, R
 * attempts a second at most). Stored as mode | R << 2.
 */
enum ho_release_mode {
	HO_RELEASE_FAIR = 0,
	HO_RELEASE_FIFO = 1,
	HO_RELEASE_RATE = 2,
};
#define HO_RATE_MAX 100000

static inline uint32_t release_mode(uint32_t v)
{
	return v & 3;
}

static inline uint32_t release_rate(uint32_t v)
{
	return v >> 2;
}

int parse_release(const char *s, uint32_t *out);
const char *format_release(uint32_t v, char *buf, unsigned int len);

#endif
