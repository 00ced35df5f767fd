/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names for what the kernel reports as numbers: cgroup paths, user names. */
#ifndef HO_PROCINFO_H
#define HO_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The cgroup v2 path ("/system.slice/x.service") of cgroup id cgid, which
 * process tgid was in; "cgroup:ID" when it no longer exists. Cached.
 */
const char *cgroup_path(uint64_t cgid, uint32_t tgid, char *buf, size_t len);
/* Does the cgroup still exist? (the cache is not trusted for this) */
bool cgroup_exists(uint64_t cgid);
/*
 * The ids of every cgroup now, sorted, from one walk of the tree: their
 * count, or -ENOENT (no cgroup2), -E2BIG (more than max, or than the walk's
 * bound: incomplete, not to be trusted). cgroup_id_in() looks one up.
 */
ssize_t cgroup_ids(uint64_t *out, size_t max);
bool cgroup_id_in(const uint64_t *ids, size_t n, uint64_t cgid);
/* Where the cgroup v2 file system is mounted, or NULL. */
const char *cgroup2_root(void);
/* Does this process run as root (what changing the kernel's settings takes)? */
bool is_root(void);
/* Is cgroup path at or below prefix ("/" holds all; "/a/" is "/a")? */
bool cgroup_below(const char *path, const char *prefix);
/* The cgroup id (inode) of a path from the cgroup2 root; 0 if it is not a cgroup. */
uint64_t cgroup_id_of(const char *path);
/* Does the cgroup (path from the root) hold a process, itself or below? */
bool cgroup_populated(const char *path);
/* The user's name, or the number. */
const char *user_name(uint32_t uid, char *buf, size_t len);
/* A user name or number to a uid; -ENOENT for an unknown name. */
int parse_user(const char *s, uint32_t *uid);
/* Does the process exist? */
bool proc_alive(uint32_t tgid);

#endif
