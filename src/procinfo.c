// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include "procinfo.h"

const char *proc_cgroup(uint32_t tgid, uint64_t cgid, char *buf, size_t len)
{
	char path[64], line[512];
	FILE *f;

	snprintf(buf, len, "cgroup:%" PRIu64, cgid);
	snprintf(path, sizeof(path), "/proc/%u/cgroup", tgid);
	f = fopen(path, "re");
	if (!f)
		return buf; /* the process is gone */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, len, "%s", line + 3);
		break;
	}
	fclose(f);
	return buf;
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
