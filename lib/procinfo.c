// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A cgroup v2 id is the inode number of its directory in the cgroup2 file
 * system. We read the path from /proc/PID/cgroup when the process is still
 * there (and check the inode), else we search the hierarchy for the inode.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <mntent.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctl_proto.h"
#include "parse.h"
#include "procinfo.h"

#define CG_CACHE    1024 /* direct-mapped: a miss costs one /proc read */
#define CG_WALK_MAX 100000

static char cg_root[256];
static struct {
	uint64_t id;
	char path[HO_CGROUP_LEN];
} cg_cache[CG_CACHE];

const char *cgroup2_root(void)
{
	struct mntent *m;
	FILE *f;

	if (cg_root[0])
		return cg_root;
	f = setmntent("/proc/mounts", "re");
	if (!f)
		return NULL;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(cg_root, sizeof(cg_root), "%s", m->mnt_dir);
			break;
		}
	endmntent(f);
	return cg_root[0] ? cg_root : NULL;
}

uint64_t cgroup_id_of(const char *path)
{
	char full[512];
	struct stat st;

	if (!cgroup2_root())
		return 0;
	snprintf(full, sizeof(full), "%s%s", cg_root, path);
	if (stat(full, &st) || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(full, sizeof(full), "%s%s/cgroup.procs", cg_root, path);
	return access(full, F_OK) ? 0 : (uint64_t)st.st_ino;
}

bool cgroup_populated(const char *path)
{
	char full[512], line[64];
	bool populated = false;
	FILE *f;

	if (!cgroup2_root())
		return false;
	snprintf(full, sizeof(full), "%s%s/cgroup.events", cg_root, path);
	f = fopen(full, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "populated ", 10))
			populated = line[10] == '1';
	fclose(f);
	return populated;
}

static bool inode_is(const char *rel, uint64_t cgid)
{
	char full[512];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", cgroup2_root(), rel);
	return stat(full, &st) == 0 && (uint64_t)st.st_ino == cgid;
}

static bool from_proc(uint32_t tgid, uint64_t cgid, char *out, size_t len)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", tgid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		found = inode_is(line + 3, cgid);
		if (found)
			snprintf(out, len, "%s", line + 3);
		break;
	}
	fclose(f);
	return found;
}

static uint64_t walk_id;
static char walk_found[512];
static int walk_count;

static int walk_fn(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (++walk_count > CG_WALK_MAX)
		return 1;
	if ((uint64_t)st->st_ino == walk_id) {
		snprintf(walk_found, sizeof(walk_found), "%s", path + strlen(cg_root));
		if (!walk_found[0])
			strcpy(walk_found, "/");
		return 1;
	}
	return 0;
}

static bool from_walk(uint64_t cgid, char *out, size_t len)
{
	if (!cgroup2_root())
		return false;
	walk_id = cgid;
	walk_found[0] = '\0';
	walk_count = 0;
	nftw(cg_root, walk_fn, 16, FTW_PHYS | FTW_MOUNT);
	if (!walk_found[0])
		return false;
	snprintf(out, len, "%s", walk_found);
	return true;
}

static uint64_t *ids_out;
static size_t ids_n, ids_max;

static int ids_fn(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (ids_n >= ids_max || ++walk_count > CG_WALK_MAX)
		return 1; /* incomplete: the caller learns it from the count */
	ids_out[ids_n++] = (uint64_t)st->st_ino;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

ssize_t cgroup_ids(uint64_t *out, size_t max)
{
	if (!cgroup2_root())
		return -ENOENT;
	ids_out = out;
	ids_n = 0;
	ids_max = max;
	walk_count = 0;
	if (nftw(cg_root, ids_fn, 16, FTW_PHYS | FTW_MOUNT) != 0 || walk_count > CG_WALK_MAX)
		return -E2BIG;
	qsort(out, ids_n, sizeof(*out), cmp_u64);
	return (ssize_t)ids_n;
}

bool cgroup_id_in(const uint64_t *ids, size_t n, uint64_t cgid)
{
	return bsearch(&cgid, ids, n, sizeof(*ids), cmp_u64) != NULL;
}

const char *cgroup_path(uint64_t cgid, uint32_t tgid, char *buf, size_t len)
{
	unsigned int slot = (unsigned int)(cgid % CG_CACHE);

	if (cg_cache[slot].id == cgid) {
		snprintf(buf, len, "%s", cg_cache[slot].path);
		return buf;
	}
	if (cgroup2_root() && (from_proc(tgid, cgid, buf, len) || from_walk(cgid, buf, len))) {
		cg_cache[slot].id = cgid;
		snprintf(cg_cache[slot].path, sizeof(cg_cache[slot].path), "%s", buf);
		return buf;
	}
	snprintf(buf, len, "cgroup:%" PRIu64, cgid);
	return buf;
}

bool cgroup_exists(uint64_t cgid)
{
	char path[HO_CGROUP_LEN];
	unsigned int slot = (unsigned int)(cgid % CG_CACHE);

	if (cg_cache[slot].id == cgid && inode_is(cg_cache[slot].path, cgid))
		return true;
	if (cg_cache[slot].id == cgid)
		cg_cache[slot].id = 0;
	return from_walk(cgid, path, sizeof(path));
}

const char *user_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "%u", uid);
	return buf;
}

int parse_user(const char *s, uint32_t *uid)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (parse_u32(s, 0, UINT32_MAX - 1, uid) == 0)
		return 0;
	if (getpwnam_r(s, &pw, tmp, sizeof(tmp), &res) || !res)
		return -ENOENT;
	*uid = res->pw_uid;
	return 0;
}

bool proc_alive(uint32_t tgid)
{
	return tgid && (kill((pid_t)tgid, 0) == 0 || errno != ESRCH);
}

bool cgroup_below(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!strcmp(prefix, "/"))
		return true;
	while (n > 1 && prefix[n - 1] == '/')
		n--; /* "/a/" is "/a" */
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

bool is_root(void)
{
	return geteuid() == 0;
}
