/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Walk a BPF hash map that the kernel changes while we read it. */
#ifndef HO_MAPWALK_H
#define HO_MAPWALK_H

#include <stddef.h>
#include <stdint.h>

/* Called for each entry: key of key_size bytes, val of value_size bytes. */
typedef void (*mapwalk_fn)(void *ctx, const void *key, const void *val);

/*
 * Every entry present from the start to the end of the walk is visited
 * exactly once, whatever is added or deleted meanwhile (entries come a hash
 * bucket at a time, BPF_MAP_LOOKUP_BATCH). At most max_entries are visited.
 * 0 or negative errno.
 */
int mapwalk(int fd, size_t key_size, size_t value_size, uint32_t max_entries, mapwalk_fn fn,
	    void *ctx);

#endif
