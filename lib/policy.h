/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A policy: the limit of one scope, a cgroup v2 path (and what is below it)
 * or a user, or "exempt". Written the same way on the command line and in
 * halfopen.conf: "cgroup PATH limit N", "user NAME exempt". Pure logic, but
 * for the user database.
 */
#ifndef HO_POLICY_H
#define HO_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "halfopen.h"

#define HO_POLICIES_MAX	   (HO_SCOPES_MAX / 2) /* room to reuse scope entries late */
#define HO_POLICY_NAME_LEN 192

#define HO_UID_BY_NAME UINT32_MAX /* the user is gone: a scope to delete, matched by name */

struct ho_policy {
	uint32_t kind;		       /* HO_SCOPE_CGROUP or HO_SCOPE_USER */
	uint32_t uid;		       /* for HO_SCOPE_USER */
	uint32_t limit;		       /* 1..HO_LIMIT_MAX; 0 when exempt or "raw deny" alone */
	uint32_t flags;		       /* HO_SCOPE_F_EXEMPT, HO_SCOPE_F_RAW_DENY */
	char name[HO_POLICY_NAME_LEN]; /* cgroup path from the cgroup2 root, or the user as given */
};

/*
 * "cgroup PATH limit N|exempt" or "user NAME limit N|exempt" (with_rule),
 * either followed by "raw deny" or with "raw deny" alone as the rule, or
 * only the scope ("cgroup PATH", "user NAME"; a user that no longer exists
 * gets uid HO_UID_BY_NAME). 0, or -EINVAL with the reason in err and the index
 * of the offending word in *bad (argc: one is missing); *p untouched on error.
 */
int policy_parse(int argc, char *const argv[], bool with_rule, struct ho_policy *p, int *bad,
		 char *err, size_t errlen);
/*
 * A cgroup path as policies take it: absolute, canonical, not the root, and
 * one word the settings file holds as it is (no blank, control character or
 * '#'), so that every policy can be persisted and read back the same.
 */
int policy_check_path(const char *path, char *err, size_t errlen);
/*
 * The cgroups of halfopen run: /halfopen.run/NAME, one level below. Only they
 * may carry a transient policy, whose cgroup halfopend removes when its owner
 * is gone.
 */
#define HO_RUN_PARENT "/halfopen.run"
bool policy_is_run_cgroup(const char *path);
/* "cgroup PATH limit N", "user NAME exempt"; only the scope with with_rule false. */
const char *policy_format(const struct ho_policy *p, bool with_rule, char *buf, size_t len);
/* The rule alone: "exempt", "limit N", either followed by "raw deny", or "raw deny". */
const char *policy_rule(const struct ho_policy *p, char *buf, size_t len);
bool policy_same_scope(const struct ho_policy *a, const struct ho_policy *b);

#endif
