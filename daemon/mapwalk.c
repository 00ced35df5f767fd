// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A walk with bpf_map_get_next_key() restarts from the first key whenever the
 * key it stands on was deleted, and may then stop at its bound with entries
 * never seen. The batch interface keeps its place by hash bucket instead, and
 * copies a bucket whole under the bucket's lock.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "mapwalk.h"

#define BATCH_FIRST 1024  /* entries asked for at a time */
#define BATCH_MAX   65536 /* a bucket with more entries than this is not walked */

int mapwalk(int fd, size_t key_size, size_t value_size, uint32_t max_entries, mapwalk_fn fn,
	    void *ctx)
{
	uint32_t batch = BATCH_FIRST, seen = 0;
	uint64_t in = 0, out = 0; /* the hash map's place: a bucket index */
	void *keys = NULL, *vals = NULL;
	bool first = true, done = false;
	int err = 0;

	while (!done && seen < max_entries) {
		__u32 count = batch;

		if (!keys) {
			keys = malloc((size_t)batch * key_size);
			vals = malloc((size_t)batch * value_size);
			if (!keys || !vals) {
				err = -ENOMEM;
				break;
			}
		}
		if (bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL)) {
			err = -errno;
			if (err == -ENOSPC && batch < BATCH_MAX) {
				/* one bucket holds more than a batch: larger buffers, same place */
				batch *= 4;
				free(keys);
				free(vals);
				keys = vals = NULL;
				err = 0;
				continue;
			}
			if (err != -ENOENT)
				break;
			err = 0;
			done = true; /* the last entries came with ENOENT */
		}
		for (__u32 i = 0; i < count && seen < max_entries; i++, seen++)
			fn(ctx, (char *)keys + i * key_size, (char *)vals + i * value_size);
		in = out;
		first = false;
	}
	free(keys);
	free(vals);
	return err;
}
