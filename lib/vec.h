/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The growable array: room for one more element, by doubling. */
#ifndef HO_VEC_H
#define HO_VEC_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

/*
 * Make room for element n of *v (*cap elements of size bytes allocated; the
 * first allocation holds first). 0, or -ENOMEM with the array unchanged.
 */
static inline int vec_reserve(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	void **pv = v;
	size_t c = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*pv, c * size);
	if (!p)
		return -ENOMEM;
	*pv = p;
	*cap = c;
	return 0;
}

#endif
