// SPDX-License-Identifier: GPL-2.0-or-later
/* Names as valid JSON and Prometheus text: see text.h. */
#include <string.h>
#include "text.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

static int cont(const unsigned char *s, int n)
{
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * RFC 3629 (table 3-7 of Unicode): the lead bytes of a form, the range of
 * its second byte, its length. No overlong forms, no surrogates, nothing
 * over U+10FFFF; the other bytes are 0x80..0xbf.
 */
static const struct {
	unsigned char lo, hi, lo2, hi2;
	int len;
} forms[] = {
	{0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3}, {0xe1, 0xec, 0x80, 0xbf, 3},
	{0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3}, {0xf0, 0xf0, 0x90, 0xbf, 4},
	{0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
};

int utf8_len(const char *p)
{
	const unsigned char *s = (const unsigned char *)p;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (s[0] >= forms[i].lo && s[0] <= forms[i].hi)
			return s[1] >= forms[i].lo2 && s[1] <= forms[i].hi2 ? cont(s, forms[i].len)
									    : 0;
	return 0;
}

/*
 * s with ASCII through esc() and the rest as UTF-8, U+FFFD for a bad byte
 * (and for a C1 control, U+0080..U+009F, if no_c1).
 */
static void put_utf8(FILE *f, const char *s, void (*esc)(FILE *f, unsigned char c), int no_c1)
{
	while (*s) {
		int n = utf8_len(s);

		if (n == 1)
			esc(f, (unsigned char)*s);
		else if (n == 2 && no_c1 && (unsigned char)s[0] == 0xc2 &&
			 (unsigned char)s[1] < 0xa0)
			fputs(REPLACEMENT, f);
		else if (n)
			fwrite(s, 1, (size_t)n, f);
		else
			fputs(REPLACEMENT, f);
		s += n ? n : 1;
	}
}

static void json_char(FILE *f, unsigned char c)
{
	if (c == '"' || c == '\\')
		fprintf(f, "\\%c", c);
	else if (c < 0x20 || c == 0x7f)
		fprintf(f, "\\u%04x", c);
	else
		fputc(c, f);
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	put_utf8(f, s, json_char, 0);
	fputc('"', f);
}

/* Labels are read at terminals too: a control character becomes U+FFFD. */
static void label_char(FILE *f, unsigned char c)
{
	if (c == '\\' || c == '"')
		fprintf(f, "\\%c", c);
	else if (c == '\n')
		fputs("\\n", f);
	else if (c < 0x20 || c == 0x7f)
		fputs(REPLACEMENT, f);
	else
		fputc(c, f);
}

void prom_label(FILE *f, const char *s)
{
	put_utf8(f, s, label_char, 1);
}

const char *text_plain(char *buf, size_t n, const char *s)
{
	size_t o = 0, len;
	char esc[16];
	const char *p;

	for (int k; *s; s += k) {
		unsigned char c = (unsigned char)s[0], c1 = (unsigned char)s[1];

		k = utf8_len(s);
		p = esc;
		if (k == 1 && (c == '\n' || c == '\t' || c == '\r'))
			snprintf(esc, sizeof(esc), "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
		else if (k == 1 && (c < 0x20 || c == 0x7f))
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else if (k == 2 && c == 0xc2 && c1 < 0xa0) /* U+0080..U+009F, C1 */
			snprintf(esc, sizeof(esc), "\\x%02x\\x%02x", c, c1);
		else if (k)
			p = s;
		else
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		len = p == s ? (size_t)k : strlen(esc);
		k = k ? k : 1;
		if (o + len >= n)
			break;
		memcpy(buf + o, p, len);
		o += len;
	}
	buf[o] = '\0';
	return buf;
}
