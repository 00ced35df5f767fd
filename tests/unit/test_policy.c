// SPDX-License-Identifier: GPL-2.0-or-later
/* Policies: parsing, formatting, the settings file's policy and release lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "parse.h"
#include "policy.h"
#include "unit.h"

static int words(const char *line, char *buf, char **argv)
{
	int n = 0;

	strcpy(buf, line);
	for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
		argv[n++] = t;
	return n;
}

static int parse(const char *line, bool rule, struct ho_policy *p, int *bad, char *err)
{
	char buf[512], *argv[16];
	int n = words(line, buf, argv);

	return policy_parse(n, argv, rule, p, bad, err, 256);
}

static void test_parse(void)
{
	struct ho_policy p;
	char err[256], out[256];
	int bad = -1;

	CHECK(parse("cgroup /system.slice/x.service limit 200", true, &p, &bad, err) == 0);
	CHECK(p.kind == HO_SCOPE_CGROUP && p.limit == 200 && !p.flags);
	CHECK(!strcmp(p.name, "/system.slice/x.service"));
	CHECK(!strcmp(policy_format(&p, true, out, sizeof(out)),
		      "cgroup /system.slice/x.service limit 200"));
	CHECK(!strcmp(policy_format(&p, false, out, sizeof(out)),
		      "cgroup /system.slice/x.service"));
	CHECK(parse("user root exempt", true, &p, &bad, err) == 0);
	CHECK(p.kind == HO_SCOPE_USER && p.uid == 0 && p.flags == HO_SCOPE_F_EXEMPT && !p.limit);
	CHECK(!strcmp(policy_format(&p, true, out, sizeof(out)), "user root exempt"));
	CHECK(parse("user 0 limit 5", true, &p, &bad, err) == 0 && p.uid == 0 && p.limit == 5);
	/* raw deny: alone, or after the rule; written back the same */
	CHECK(parse("cgroup /a raw deny", true, &p, &bad, err) == 0);
	CHECK(p.flags == HO_SCOPE_F_RAW_DENY && !p.limit);
	CHECK(!strcmp(policy_format(&p, true, out, sizeof(out)), "cgroup /a raw deny"));
	CHECK(parse("cgroup /a limit 5 raw deny", true, &p, &bad, err) == 0);
	CHECK(p.flags == HO_SCOPE_F_RAW_DENY && p.limit == 5);
	CHECK(!strcmp(policy_format(&p, true, out, sizeof(out)), "cgroup /a limit 5 raw deny"));
	CHECK(parse("user root exempt raw deny", true, &p, &bad, err) == 0);
	CHECK(p.flags == (HO_SCOPE_F_RAW_DENY | HO_SCOPE_F_EXEMPT));
	CHECK(!strcmp(policy_format(&p, true, out, sizeof(out)), "user root exempt raw deny"));
	CHECK(parse("cgroup /a raw", true, &p, &bad, err) == -EINVAL && bad == 3);
	CHECK(parse("cgroup /a raw allow", true, &p, &bad, err) == -EINVAL && bad == 3);
	CHECK(parse("cgroup /a limit 5 raw", true, &p, &bad, err) == -EINVAL && bad == 5);
	CHECK(parse("cgroup /a raw deny raw deny", true, &p, &bad, err) == -EINVAL && bad == 4);
	CHECK(parse("cgroup /a raw deny limit 5", true, &p, &bad, err) == -EINVAL && bad == 4);
	CHECK(parse("user root", false, &p, &bad, err) == 0);
	/* a user gone from the database can still be named to delete its policy */
	CHECK(parse("user no-such-user-here", false, &p, &bad, err) == 0);
	CHECK(p.uid == HO_UID_BY_NAME && !strcmp(p.name, "no-such-user-here"));
	/* on error the output is untouched */
	p.limit = 77;
	CHECK(parse("cgroup /a limit x", true, &p, &bad, err) == -EINVAL && p.limit == 77);

	CHECK(parse("group /x limit 1", true, &p, &bad, err) == -EINVAL && bad == 0);
	CHECK(strstr(err, "unknown scope 'group'"));
	CHECK(parse("user no-such-user-here limit 1", true, &p, &bad, err) == -EINVAL && bad == 1);
	CHECK(strstr(err, "unknown user"));
	CHECK(parse("cgroup x limit 1", true, &p, &bad, err) == -EINVAL && bad == 1);
	CHECK(parse("cgroup / limit 1", true, &p, &bad, err) == -EINVAL && bad == 1);
	CHECK(parse("cgroup /a/../b limit 1", true, &p, &bad, err) == -EINVAL && bad == 1);
	CHECK(parse("cgroup /a/ limit 1", true, &p, &bad, err) == -EINVAL);
	CHECK(parse("cgroup /a//b limit 1", true, &p, &bad, err) == -EINVAL);
	CHECK(parse("cgroup /a limit 0", true, &p, &bad, err) == -EINVAL && bad == 3);
	CHECK(parse("cgroup /a limit 1000001", true, &p, &bad, err) == -EINVAL && bad == 3);
	CHECK(parse("cgroup /a limit", true, &p, &bad, err) == -EINVAL && bad == 3);
	CHECK(parse("cgroup /a", true, &p, &bad, err) == -EINVAL && bad == 2);
	CHECK(parse("cgroup /a stop", true, &p, &bad, err) == -EINVAL && bad == 2);
	CHECK(parse("cgroup /a exempt now", true, &p, &bad, err) == -EINVAL && bad == 3);
	CHECK(parse("cgroup /a limit 3 4", true, &p, &bad, err) == -EINVAL && bad == 4);
	CHECK(parse("cgroup /a limit 3", false, &p, &bad, err) == -EINVAL && bad == 2);
	/* what the settings file cannot hold is refused: a comment, a control */
	CHECK(parse("cgroup /a#b limit 1", true, &p, &bad, err) == -EINVAL && bad == 1);
	CHECK(strstr(err, "'#'") && strstr(err, "settings file cannot hold it"));
	CHECK(policy_check_path("/a\tb", err, sizeof(err)) == -EINVAL);
	CHECK(policy_check_path("/a\rb", err, sizeof(err)) == -EINVAL);
	/* other bytes are taken as they are, and round-trip */
	CHECK(parse("cgroup /caf\xc3\xa9/\xff:x@y\\x2d limit 4", true, &p, &bad, err) == 0);
}

/* Transient policies only on halfopen run's cgroups, one level below. */
static void test_run_cgroup(void)
{
	CHECK(policy_is_run_cgroup("/halfopen.run/123"));
	CHECK(policy_is_run_cgroup("/halfopen.run/x"));
	CHECK(!policy_is_run_cgroup("/halfopen.run"));
	CHECK(!policy_is_run_cgroup("/halfopen.run/"));
	CHECK(!policy_is_run_cgroup("/halfopen.run/1/2"));
	CHECK(!policy_is_run_cgroup("/halfopen.runner/1"));
	CHECK(!policy_is_run_cgroup("/system.slice/x.service"));
	CHECK(!policy_is_run_cgroup("/halfopen.run/.."));
	CHECK(!policy_is_run_cgroup("/halfopen.run/a#b"));
}

static void test_same_scope(void)
{
	struct ho_policy a, b;
	char err[256];
	int bad;

	CHECK(parse("user root limit 3", true, &a, &bad, err) == 0);
	CHECK(parse("user 0 exempt", true, &b, &bad, err) == 0);
	CHECK(policy_same_scope(&a, &b));
	CHECK(parse("cgroup /a limit 3", true, &a, &bad, err) == 0);
	CHECK(parse("cgroup /a/b limit 3", true, &b, &bad, err) == 0);
	CHECK(!policy_same_scope(&a, &b));
}

static void test_release(void)
{
	uint32_t v = 99;
	char buf[32];

	CHECK(parse_release("fair", &v) == 0 && release_mode(v) == HO_RELEASE_FAIR);
	CHECK(parse_release("fifo", &v) == 0 && release_mode(v) == HO_RELEASE_FIFO);
	CHECK(parse_release("rate:20", &v) == 0 && release_mode(v) == HO_RELEASE_RATE &&
	      release_rate(v) == 20);
	CHECK(!strcmp(format_release(v, buf, sizeof(buf)), "rate:20"));
	CHECK(parse_release("rate:100000", &v) == 0 && release_rate(v) == 100000);
	CHECK(parse_release("rate:0", &v) == -ERANGE);
	CHECK(parse_release("rate:100001", &v) == -ERANGE);
	CHECK(parse_release("rate:", &v) == -ERANGE);
	CHECK(parse_release("rate", &v) == -EINVAL);
	CHECK(parse_release("Fair", &v) == -EINVAL);
	CHECK(release_rate(v) == 100000); /* untouched on error */
}

static struct ho_config *cfg(void)
{
	static struct ho_config c;

	config_defaults(&c);
	return &c;
}

static void test_config_lines(void)
{
	struct ho_config *c = cfg();
	char err[256] = "";
	const char *good = "release rate:50\n"
			   "policy cgroup /system.slice/a.service limit 200 # torrent\n"
			   "  policy user root exempt\n";

	CHECK(config_parse(good, strlen(good), "h.conf", c, err, sizeof(err)) == 0);
	CHECK(c->npol == 2 && c->pol[0].limit == 200 && c->pol[1].flags == HO_SCOPE_F_EXEMPT);
	CHECK(release_mode(c->release) == HO_RELEASE_RATE && release_rate(c->release) == 50);

	/* raw deny in the file, alone and after a rule; raw-timeout */
	c = cfg();
	good = "raw-timeout 500\npolicy cgroup /scan raw deny\npolicy user root limit 3 raw deny\n";
	CHECK(config_parse(good, strlen(good), "h.conf", c, err, sizeof(err)) == 0);
	CHECK(c->npol == 2 && c->pol[0].flags == HO_SCOPE_F_RAW_DENY && !c->pol[0].limit);
	CHECK(c->pol[1].flags == HO_SCOPE_F_RAW_DENY && c->pol[1].limit == 3);
	CHECK(c->raw_timeout_ms == 500);
	c = cfg();
	CHECK(config_parse("policy cgroup /scan raw allow\n", 29, "h.conf", c, err, sizeof(err)) ==
	      -EINVAL);
	CHECK(strstr(err, "h.conf:1:") && strstr(err, "'raw' takes 'deny'") && c->npol == 0);
	CHECK(config_parse("raw-timeout 50\n", 15, "h.conf", c, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "invalid raw-timeout '50'") && c->raw_timeout_ms == 3000);

	c = cfg();
	CHECK(config_parse("limit 5\npolicy user nobody-at-all limit 2\n", 37, "h.conf", c, err,
			   sizeof(err)) == -EINVAL);
	CHECK(!strncmp(err, "h.conf:2:13: policy: unknown user", 33));
	CHECK(c->npol == 0 && c->limit == HO_LIMIT_DEFAULT); /* untouched */
	CHECK(config_parse("policy cgroup /a limit 2\npolicy cgroup /a exempt\n", 48, "h.conf", c,
			   err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "h.conf:2:15:") && strstr(err, "set twice (first on line 1)"));
	CHECK(config_parse("policy cgroup /a limit\n", 23, "h.conf", c, err, sizeof(err)) ==
	      -EINVAL);
	CHECK(strstr(err, "h.conf:1:23:") && strstr(err, "needs a number"));
	CHECK(config_parse("release sometimes\n", 18, "h.conf", c, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "h.conf:1:9: invalid release 'sometimes'"));
}

static void test_rewrite(void)
{
	struct ho_policy p;
	char err[256], *out;
	int bad;
	const char *text =
		"limit 5\npolicy cgroup /a limit 2 # keep me? no\npolicy user root exempt\n";

	CHECK(parse("cgroup /a limit 9", true, &p, &bad, err) == 0);
	out = config_rewrite_policy(text, &p, false);
	CHECK(out && !strcmp(out, "limit 5\npolicy cgroup /a limit 9\npolicy user root exempt\n"));
	free(out);
	out = config_rewrite_policy(text, &p, true);
	CHECK(out && !strcmp(out, "limit 5\npolicy user root exempt\n"));
	free(out);
	CHECK(parse("user 0 limit 3", true, &p, &bad, err) == 0);
	out = config_rewrite_policy(text, &p, false);
	CHECK(out && strstr(out, "policy user 0 limit 3\n") && !strstr(out, "root"));
	free(out);
	CHECK(parse("cgroup /b exempt", true, &p, &bad, err) == 0);
	out = config_rewrite_policy("limit 5", &p, false);
	CHECK(out && !strcmp(out, "limit 5\npolicy cgroup /b exempt\n"));
	free(out);
	out = config_rewrite_policy("limit 5\n", &p, true);
	CHECK(out && !strcmp(out, "limit 5\n"));
	free(out);
}

int main(void)
{
	test_parse();
	test_same_scope();
	test_release();
	test_config_lines();
	test_rewrite();
	test_run_cgroup();
	return unit_done("test_policy");
}
