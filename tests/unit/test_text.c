// SPDX-License-Identifier: GPL-2.0-or-later
/* Names as JSON strings and Prometheus labels: always valid UTF-8. */
#include <stdlib.h>
#include <string.h>
#include "text.h"
#include "unit.h"

static char *out(void (*fn)(FILE *, const char *), const char *s)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	fn(f, s);
	fclose(f);
	return buf;
}

static void test_utf8_len(void)
{
	CHECK(utf8_len("a") == 1 && utf8_len("") == 0);
	CHECK(utf8_len("\xc3\xa9") == 2);	  /* é */
	CHECK(utf8_len("\xe2\x82\xac") == 3);	  /* € */
	CHECK(utf8_len("\xf0\x9f\x98\x80") == 4); /* an emoji */
	CHECK(utf8_len("\xff") == 0 && utf8_len("\x80") == 0);
	CHECK(utf8_len("\xc0\xaf") == 0);	  /* overlong '/' */
	CHECK(utf8_len("\xe0\x80\xaf") == 0);	  /* overlong */
	CHECK(utf8_len("\xed\xa0\x80") == 0);	  /* a surrogate */
	CHECK(utf8_len("\xf4\x90\x80\x80") == 0); /* over U+10FFFF */
	CHECK(utf8_len("\xc3") == 0);		  /* cut at the end */
	CHECK(utf8_len("\xe2\x82") == 0);	  /* cut at the end */
}

static void test_plain(void)
{
	char b[TEXT_PLAIN_MAX(16)], small[8];

	CHECK(!strcmp(text_plain(b, sizeof(b), "/a/b caf\xc3\xa9"), "/a/b caf\xc3\xa9"));
	CHECK(!strcmp(text_plain(b, sizeof(b), "x\n<0>FORGED"), "x\\n<0>FORGED"));
	CHECK(!strcmp(text_plain(b, sizeof(b), "\x1b[2J\t\r\x07\x7f"), "\\x1b[2J\\t\\r\\x07\\x7f"));
	CHECK(!strcmp(text_plain(b, sizeof(b), "c1 \xc2\x9b bad \xff"), "c1 \\xc2\\x9b bad \\xff"));
	CHECK(!strcmp(text_plain(b, sizeof(b), "/cut\xe2\x82"), "/cut\\xe2\\x82"));
	/* cut at a whole escape or character */
	CHECK(!strcmp(text_plain(small, sizeof(small), "ab\ncd"), "ab\\ncd"));
	CHECK(!strcmp(text_plain(small, sizeof(small), "abcdef\n"), "abcdef"));
	CHECK(!strcmp(text_plain(small, sizeof(small), "abcde\xc3\xa9"), "abcde\xc3\xa9"));
	CHECK(!strcmp(text_plain(small, sizeof(small), "abcdef\xc3\xa9"), "abcdef"));
}

/* What json_str and prom_label write for a name. */
static const struct {
	void (*fn)(FILE *, const char *);
	const char *in, *want;
} escapes[] = {
	{json_str, "/a/b", "\"/a/b\""},
	{json_str, "q\"b\\\n\x1b", "\"q\\\"b\\\\\\u000a\\u001b\""},
	{json_str, "caf\xc3\xa9", "\"caf\xc3\xa9\""},
	/* each bad byte is one U+FFFD; what follows is kept */
	{json_str, "/\xff\xfe/x", "\"/\xef\xbf\xbd\xef\xbf\xbd/x\""},
	{json_str, "/cut\xe2\x82", "\"/cut\xef\xbf\xbd\xef\xbf\xbd\""},
	{prom_label, "/a\"b\\c\nd", "/a\\\"b\\\\c\\nd"},
	{prom_label, "/\xff", "/\xef\xbf\xbd"},
	{prom_label, "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
	/* read at terminals: controls (C0, DEL, C1) become U+FFFD, never raw */
	{prom_label, "a\x1b[2Jb\x07", "a\xef\xbf\xbd[2Jb\xef\xbf\xbd"},
	{prom_label, "\x7f\xc2\x9b", "\xef\xbf\xbd\xef\xbf\xbd"},
	{prom_label, "\xc2\xa0", "\xc2\xa0"}, /* U+00A0 is no control */
};

static void test_escapes(void)
{
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++)
		CHECK(!strcmp(out(escapes[i].fn, escapes[i].in), escapes[i].want));
}

int main(void)
{
	test_utf8_len();
	test_escapes();
	test_plain();
	return unit_done("test_text");
}
