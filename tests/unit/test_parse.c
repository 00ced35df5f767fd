// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include "parse.h"
#include "unit.h"

static void test_limits(void)
{
	static const char *const bad[] = {
		"0",	   "1000001",	 "-1", "+5",   "10x",
		"",	   " 5",	 "5 ", "0x10", "99999999999999999999",
		"Default", "unlimitedx", "1e3"};
	uint32_t v = 1234;

	CHECK(parse_limit("1", &v) == 0 && v == 1);
	CHECK(parse_limit("1000000", &v) == 0 && v == 1000000);
	CHECK(parse_limit("default", &v) == 0 && v == HO_LIMIT_DEFAULT);
	CHECK(parse_limit("unlimited", &v) == 0 && v == 0);
	CHECK(parse_limit("007", &v) == 0 && v == 7);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 1234;
		CHECK(parse_limit(bad[i], &v) < 0);
		CHECK(v == 1234); /* untouched on error */
	}
	CHECK(parse_limit(NULL, &v) == -EINVAL);
}

static void test_u32(void)
{
	uint32_t v = 0;

	CHECK(parse_u32("4294967295", 0, UINT32_MAX, &v) == 0 && v == UINT32_MAX);
	CHECK(parse_u32("4294967296", 0, UINT32_MAX, &v) == -ERANGE);
	CHECK(parse_u32("5", 6, 10, &v) == -ERANGE);
	CHECK(parse_u32("11", 6, 10, &v) == -ERANGE);
	CHECK(parse_u32("a", 0, 10, &v) == -EINVAL);
}

static void test_format(void)
{
	char buf[16];

	CHECK(!strcmp(format_limit(0, buf, sizeof(buf)), "unlimited"));
	CHECK(!strcmp(format_limit(10, buf, sizeof(buf)), "10"));
}

int main(void)
{
	test_limits();
	test_u32();
	test_format();
	return unit_done("test_parse");
}
