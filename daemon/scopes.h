/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policies in force and their scope entries in the kernel: what `halfopen
 * policy`, `halfopen run` and the settings file set, and which scopes apply
 * to a queued attempt when it is released.
 */
#ifndef HO_SCOPES_H
#define HO_SCOPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "policy.h"
#include "shared.h"
#include "u64vec.h"

struct scope_entry {
	struct ho_policy p;
	bool used;
	uint32_t owner; /* transient: pid of the halfopen run that made it, else 0 */
	uint64_t id;	/* key in the kernel: uid, or cgroup id (0: cgroup not there now) */
	bool keyed;	/* the key is in the kernel */
	uint32_t idx;	/* entry in the kernel's scopes[] */
	/*
	 * Attempts already in flight when the policy came (or its cgroup was
	 * made): the kernel did not count them in the scope, so we do, until
	 * each of them ends (checked every second).
	 */
	struct u64vec before;
};

struct scopes {
	struct kern *k; /* the kernel's scope entries and keys */
	struct scope_entry e[HO_POLICIES_MAX];
	uint32_t n;	   /* used entries */
	uint32_t next_idx; /* kernel entries are handed out round robin */
	uint64_t gen;	   /* changes with every policy change: cached scope sets go stale */
	uint32_t keys[3];  /* keys in the kernel per kind */
};

struct kern;
struct hq_entry;
struct ho_config;

/* Could p be set? A cgroup must exist, a new policy needs room. 0 or -errno, err set. */
int scopes_check(struct scopes *sc, const struct ho_policy *p, char *err, size_t errlen);
/* Set a policy (new or changed): 0, or -errno with a reason in err and nothing changed. */
int scopes_set(struct scopes *sc, const struct ho_policy *p, uint32_t owner, char *err,
	       size_t errlen);
/* Remove the policy of p's scope; -ENOENT if there is none. */
int scopes_del(struct scopes *sc, const struct ho_policy *p, char *err, size_t errlen);
struct scope_entry *scopes_find(struct scopes *sc, const struct ho_policy *p);
/* The settings file's policies replace all but transient ones (start, SIGHUP). */
void scopes_load(struct scopes *sc, const struct ho_config *c);
/* Once a second: follow cgroups that came, went or were made again; end
 * transient policies whose halfopen run is gone and whose cgroup is empty. */
void scopes_tick(struct scopes *sc);
/* The policy of kernel scope entry idx, or NULL. */
const struct scope_entry *scopes_at(struct scopes *sc, uint32_t idx);

/* The scopes that apply to a queued attempt now (user first, then cgroups outermost first). */
void scopes_of(struct scopes *sc, struct hq_entry *e, struct ho_scope_set *set);

#endif
