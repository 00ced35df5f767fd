/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growable array of u64 (keys, cookies) for the daemon's map walks. */
#ifndef HO_U64VEC_H
#define HO_U64VEC_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "vec.h"

struct u64vec {
	uint64_t *v;
	size_t n, cap;
};

/* 0, or -ENOMEM with the array unchanged (a caller's next round gets it). */
static inline int u64vec_push(struct u64vec *x, uint64_t val)
{
	if (vec_reserve(&x->v, &x->cap, x->n, sizeof(*x->v), 256))
		return -ENOMEM;
	x->v[x->n++] = val;
	return 0;
}

static inline void u64vec_free(struct u64vec *x)
{
	free(x->v);
	*x = (struct u64vec){0};
}

#endif
