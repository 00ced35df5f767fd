// SPDX-License-Identifier: GPL-2.0-or-later
/* Policies as written by administrators: see policy.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "parse.h"
#include "policy.h"
#include "procinfo.h"

#define FAIL(i, ...)                                                                               \
	do {                                                                                       \
		*bad = (i);                                                                        \
		snprintf(err, errlen, __VA_ARGS__);                                                \
		return -EINVAL;                                                                    \
	} while (0)

int policy_check_path(const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);
	const char *p;

	if (path[0] != '/')
		return snprintf(err, errlen, "cgroup path '%s' must start with '/'", path), -EINVAL;
	if (len >= HO_POLICY_NAME_LEN)
		return snprintf(err, errlen, "cgroup path longer than %d characters",
				HO_POLICY_NAME_LEN - 1),
		       -EINVAL;
	if (len == 1)
		return snprintf(err, errlen, "the root cgroup is the namespace: use 'limit'"),
		       -EINVAL;
	/* what the settings file cannot hold in a word: blanks, controls, a comment */
	for (p = path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '#')
			return snprintf(err, errlen,
					"cgroup path with a space, '#' or control character "
					"(the settings file cannot hold it)"),
			       -EINVAL;
	for (p = path; p; p = strchr(p + 1, '/')) {
		size_t n = strcspn(p + 1, "/");

		if (n == 0 || (n == 1 && p[1] == '.') || (n == 2 && !strncmp(p + 1, "..", 2)))
			return snprintf(err, errlen,
					"cgroup path '%s' is not canonical (empty, '.' or '..' "
					"part, "
					"or a trailing '/')",
					path),
			       -EINVAL;
	}
	return 0;
}

int policy_parse(int argc, char *const argv[], bool with_rule, struct ho_policy *p, int *bad,
		 char *err, size_t errlen)
{
	struct ho_policy n = {0}; /* *p is only written on success */
	int want;

	if (argc < 1)
		FAIL(0, "give a scope: cgroup PATH or user NAME");
	if (!strcmp(argv[0], "cgroup"))
		n.kind = HO_SCOPE_CGROUP;
	else if (!strcmp(argv[0], "user"))
		n.kind = HO_SCOPE_USER;
	else
		FAIL(0, "unknown scope '%s': give cgroup PATH or user NAME", argv[0]);
	if (argc < 2)
		FAIL(1, "%s needs a %s", argv[0], n.kind == HO_SCOPE_USER ? "user name" : "path");
	if (strlen(argv[1]) >= sizeof(n.name))
		FAIL(1, "%s name longer than %zu characters", argv[0], sizeof(n.name) - 1);
	if (n.kind == HO_SCOPE_CGROUP) {
		if (policy_check_path(argv[1], err, errlen)) {
			*bad = 1;
			return -EINVAL;
		}
	} else if (parse_user(argv[1], &n.uid)) {
		/* a policy can still be removed by the name it was set with */
		if (with_rule)
			FAIL(1, "unknown user '%s'", argv[1]);
		n.uid = HO_UID_BY_NAME;
	}
	snprintf(n.name, sizeof(n.name), "%s", argv[1]);
	if (!with_rule) {
		if (argc > 2)
			FAIL(2, "unexpected '%s' after the scope", argv[2]);
		*p = n;
		return 0;
	}
	if (argc < 3)
		FAIL(2, "give 'limit N', 'exempt' or 'raw deny' after the scope");
	if (!strcmp(argv[2], "raw")) {
		want = 2; /* only "raw deny", below */
	} else if (!strcmp(argv[2], "exempt")) {
		n.flags = HO_SCOPE_F_EXEMPT;
		want = 3;
	} else if (!strcmp(argv[2], "limit")) {
		if (argc < 4)
			FAIL(3, "'limit' needs a number (1..%u)", HO_LIMIT_MAX);
		if (parse_u32(argv[3], 1, HO_LIMIT_MAX, &n.limit))
			FAIL(3, "invalid limit '%s': give 1..%u", argv[3], HO_LIMIT_MAX);
		want = 4;
	} else {
		FAIL(2, "unknown rule '%s': give 'limit N', 'exempt' or 'raw deny'", argv[2]);
	}
	/* "raw deny" after the rule, or alone: no raw IP or packet socket */
	if (argc > want && !strcmp(argv[want], "raw")) {
		if (argc < want + 2 || strcmp(argv[want + 1], "deny"))
			FAIL(want + 1, "'raw' takes 'deny'");
		n.flags |= HO_SCOPE_F_RAW_DENY;
		want += 2;
	}
	if (want == 2)
		FAIL(2, "give 'limit N', 'exempt' or 'raw deny' after the scope");
	if (argc > want)
		FAIL(want, "unexpected '%s' after the rule", argv[want]);
	*p = n;
	return 0;
}

bool policy_is_run_cgroup(const char *path)
{
	size_t n = strlen(HO_RUN_PARENT);

	return !strncmp(path, HO_RUN_PARENT "/", n + 1) && path[n + 1] &&
	       !strchr(path + n + 1, '/') && !policy_check_path(path, NULL, 0);
}

const char *policy_rule(const struct ho_policy *p, char *buf, size_t len)
{
	const char *raw = (p->flags & HO_SCOPE_F_RAW_DENY) ? "raw deny" : "";

	if (p->flags & HO_SCOPE_F_EXEMPT)
		snprintf(buf, len, "exempt%s%s", *raw ? " " : "", raw);
	else if (p->limit)
		snprintf(buf, len, "limit %u%s%s", p->limit, *raw ? " " : "", raw);
	else
		snprintf(buf, len, "%s", raw);
	return buf;
}

const char *policy_format(const struct ho_policy *p, bool with_rule, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %s", p->kind == HO_SCOPE_USER ? "user" : "cgroup", p->name);

	if (with_rule && n > 0 && (size_t)n + 1 < len) {
		buf[n] = ' ';
		policy_rule(p, buf + n + 1, len - (size_t)n - 1);
	}
	return buf;
}

bool policy_same_scope(const struct ho_policy *a, const struct ho_policy *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == HO_SCOPE_USER && a->uid != HO_UID_BY_NAME && b->uid != HO_UID_BY_NAME)
		return a->uid == b->uid;
	return !strcmp(a->name, b->name);
}
