// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "unit.h"

static int parse(const char *text, struct ho_config *c, char *err)
{
	return config_parse(text, strlen(text), "h.conf", c, err, 256);
}

static void test_good(void)
{
	struct ho_config c;
	char err[256] = "";

	config_defaults(&c);
	CHECK(parse("# comment\n\n  limit 20   # the old one was 10\n"
		    "queue-max 100\r\nevent-interval\t5\nstats-ttl 1",
		    &c, err) == 0);
	CHECK(c.limit == 20 && c.queue_max == 100 && c.event_interval == 5 && c.stats_ttl == 1);
	CHECK(c.tracked_max == 131072); /* untouched */
	CHECK(c.set == ((1u << 0) | (1u << 1) | (1u << 4) | (1u << 5)));
	CHECK(parse("limit unlimited\n", &c, err) == 0 && c.limit == 0);
	CHECK(parse("limit default\n", &c, err) == 0 && c.limit == 10);
	CHECK(parse("", &c, err) == 0);
}

static void expect_error(const char *text, const char *msg)
{
	struct ho_config c, before;
	char err[256] = "";

	config_defaults(&c);
	before = c;
	CHECK(parse(text, &c, err) == -EINVAL);
	CHECK(!memcmp(&c, &before, sizeof(c))); /* nothing applied */
	if (!strstr(err, msg)) {
		fprintf(stderr, "for %s: expected '%s', got '%s'\n", text, msg, err);
		CHECK(0);
	}
}

static void test_errors(void)
{
	expect_error("limit 20\nlimt 5\n", "h.conf:2:1: unknown setting 'limt'");
	expect_error("limit 0\n",
		     "h.conf:1:7: invalid limit '0': give 1..1000000, default or unlimited");
	expect_error("  queue-max 5x\n", "h.conf:1:13: invalid queue-max '5x'");
	expect_error("limit 5 6\n", "h.conf:1:9: unexpected '6' after the value of 'limit'");
	expect_error("limit\n", "h.conf:1:1: 'limit' needs a value");
	expect_error("policy\n", "h.conf:1:1: 'policy' needs a scope and a rule");
	expect_error("policy   # none\n", "h.conf:1:1: 'policy' needs a scope and a rule");
	expect_error("limit   # none\n", "h.conf:1:9: 'limit' needs a value");
	expect_error("limit 5\nlimit 6\n", "h.conf:2:1: 'limit' is set twice (first on line 1)");
	expect_error("limit 5\x01\n", "h.conf:1:8: control character");
	expect_error("event-interval 0\n",
		     "h.conf:1:16: invalid event-interval '0': give 1..86400");
}

static void test_long_line(void)
{
	struct ho_config c;
	char err[256], *text = malloc(3000);

	config_defaults(&c);
	memset(text, '#', 2999);
	text[2999] = '\0';
	CHECK(parse(text, &c, err) == -EINVAL && strstr(err, "h.conf:1:1025: line longer"));
	free(text);
}

/* A setting rewritten in the text: in place, or added at the end. */
static const struct {
	const char *text, *name, *value, *want;
} rewrites[] = {
	{"# x\nlimit 10  # why\nqueue-max 5\n", "limit", "25",
	 "# x\nlimit 25  # why\nqueue-max 5\n"},
	{"queue-max 5", "limit", "unlimited", "queue-max 5\nlimit unlimited\n"},
	{"", "limit", "3", "limit 3\n"},
	/* a longer name that starts the same is another setting */
	{"limits 4\n", "limit", "3", "limits 4\nlimit 3\n"},
};

static void test_rewrite(void)
{
	for (size_t i = 0; i < sizeof(rewrites) / sizeof(rewrites[0]); i++) {
		char *s = config_rewrite(rewrites[i].text, rewrites[i].name, rewrites[i].value);

		CHECK(s && !strcmp(s, rewrites[i].want));
		free(s);
	}
}

static void test_write_and_load(void)
{
	char dir[] = "/tmp/halfopen-unit.XXXXXX", path[128], err[256];
	struct ho_config c;
	struct stat st, after;
	size_t len;
	char *text;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/h.conf", dir);
	config_defaults(&c);
	CHECK(config_load(path, &c, err, sizeof(err)) == -ENOENT);
	CHECK(config_write_atomic(path, "limit 42\n", NULL, err, sizeof(err)) == 0);
	CHECK(config_load(path, &c, err, sizeof(err)) == 0 && c.limit == 42);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
	/* a new file where none was expected is not replaced */
	CHECK(config_write_atomic(path, "limit 1\n", NULL, err, sizeof(err)) == -EAGAIN);
	/* a rewrite keeps the mode */
	CHECK(chmod(path, 0600) == 0);
	CHECK(config_read(path, &text, &len, &st, err, sizeof(err)) == 0 && len == 9);
	free(text);
	CHECK(config_write_atomic(path, "limit 43\n", &st, err, sizeof(err)) == 0);
	CHECK(stat(path, &after) == 0 && (after.st_mode & 07777) == 0600);
	CHECK(config_load(path, &c, err, sizeof(err)) == 0 && c.limit == 43);
	/* ... and refuses to replace another file put there meanwhile */
	CHECK(config_write_atomic(path, "limit 44\n", &st, err, sizeof(err)) == -EAGAIN);
	CHECK(strstr(err, "changed while being rewritten") != NULL);
	CHECK(config_load(path, &c, err, sizeof(err)) == 0 && c.limit == 43);
	unlink(path);
	rmdir(dir);
}

/* Only a regular file is read, never through a link, never waiting on a FIFO. */
static void test_read_refuses(void)
{
	char dir[] = "/tmp/halfopen-unit.XXXXXX", path[128], target[128], err[256];
	struct ho_config c;
	struct stat st;
	size_t len;
	char *text, *big;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	config_defaults(&c);
	snprintf(target, sizeof(target), "%s/secret", dir);
	f = fopen(target, "w");
	CHECK(f && fputs("SECRET-CONTENT\n", f) >= 0 && fclose(f) == 0);
	snprintf(path, sizeof(path), "%s/link.conf", dir);
	CHECK(symlink(target, path) == 0);
	CHECK(config_load(path, &c, err, sizeof(err)) == -ELOOP);
	CHECK(strstr(err, "is a symbolic link") && !strstr(err, "SECRET"));
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(config_load(path, &c, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "is a FIFO, not a regular file") != NULL);
	CHECK(config_load(dir, &c, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "is a directory") != NULL);
	CHECK(config_load("/dev/null", &c, err, sizeof(err)) == -EINVAL);
	/* one byte over the bound */
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	big = malloc(HO_CONFIG_MAX + 1);
	memset(big, '\n', HO_CONFIG_MAX + 1);
	f = fopen(path, "w");
	CHECK(f && fwrite(big, 1, HO_CONFIG_MAX, f) == HO_CONFIG_MAX && fflush(f) == 0);
	CHECK(config_read(path, &text, &len, &st, err, sizeof(err)) == 0 && len == HO_CONFIG_MAX);
	free(text);
	CHECK(fputc('\n', f) == '\n' && fclose(f) == 0);
	CHECK(config_read(path, &text, &len, &st, err, sizeof(err)) == -EFBIG);
	CHECK(strstr(err, "larger than 1048576 bytes") != NULL);
	free(big);
	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	f = fopen(path, "w");
	CHECK(f && fwrite("limit 4\n\0limit 5\n", 1, 17, f) == 17 && fclose(f) == 0);
	CHECK(config_load(path, &c, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "nul.conf:2:1: NUL byte") != NULL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link.conf", dir);
	unlink(path);
	unlink(target);
	rmdir(dir);
}

static void test_overlay(void)
{
	struct ho_config file, cli;

	config_defaults(&file);
	config_defaults(&cli);
	cli.set = 0;
	config_set(&file, config_option("limit"), "50");
	config_set(&file, config_option("queue-max"), "7");
	config_set(&cli, config_option("limit"), "3");
	config_overlay(&file, &cli);
	CHECK(file.limit == 3 && file.queue_max == 7);
}

int main(void)
{
	test_good();
	test_errors();
	test_long_line();
	test_rewrite();
	test_write_and_load();
	test_read_refuses();
	test_overlay();
	return unit_done("test_config");
}
