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

int utf8_len(const char *p)
{
	const unsigned char *s = (const unsigned char *)p;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	/* RFC 3629: no overlong forms, no surrogates, nothing over U+10FFFF */
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return cont(s, 2);
	if (s[0] == 0xe0)
		return s[1] >= 0xa0 && s[1] <= 0xbf ? cont(s, 3) : 0;
	if (s[0] == 0xed)
		return s[1] >= 0x80 && s[1] <= 0x9f ? cont(s, 3) : 0;
	if (s[0] >= 0xe1 && s[0] <= 0xef)
		return cont(s, 3);
	if (s[0] == 0xf0)
		return s[1] >= 0x90 && s[1] <= 0xbf ? cont(s, 4) : 0;
	if (s[0] == 0xf4)
		return s[1] >= 0x80 && s[1] <= 0x8f ? cont(s, 4) : 0;
	if (s[0] >= 0xf1 && s[0] <= 0xf3)
		return cont(s, 4);
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
