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

#endif
