/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names for what the kernel reports as numbers: cgroup paths, user names. */
#ifndef HO_PROCINFO_H
#define HO_PROCINFO_H

#include <stddef.h>
#include <stdint.h>

/* The cgroup v2 path of a process ("/system.slice/x.service"), or "cgroup:ID". */
const char *proc_cgroup(uint32_t tgid, uint64_t cgid, char *buf, size_t len);
/* The user's name, or the number. */
const char *user_name(uint32_t uid, char *buf, size_t len);

#endif
