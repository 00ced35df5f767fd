/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growable array of u64 (keys, cookies) for the daemon's map walks. */
#ifndef HO_U64VEC_H
#define HO_U64VEC_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct u64vec {
	uint64_t *v;
	size_t n, cap;
};

/* 0, or -ENOMEM with the array unchanged (a caller's next round gets it). */
static inline int u64vec_push(struct u64vec *x, uint64_t val)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;
		uint64_t *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n++] = val;
	return 0;
}

static inline void u64vec_free(struct u64vec *x)
{
	free(x->v);
	*x = (struct u64vec){0};
}

#endif
