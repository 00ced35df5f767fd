/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's side of the rule for what the kernel shares through the mapped
 * .bss (struct ho_kstate st, struct ho_scope scopes[]; see bpf/slots.bpf.h):
 * every read and write of a field goes through these, never a plain access.
 * The daemon alone writes limit, flags and gen; counts it adjusts (a scope's
 * in_flight for attempts it adopts) change by atomic read-modify-write.
 */
#ifndef HO_SHARED_H
#define HO_SHARED_H

#include "halfopen.h"

/* One aligned load of a shared field (a snapshot: it may change at once). */
#define shared_get(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)
/* A store the kernel side sees before anything the daemon does next. */
#define shared_set(field, val) __atomic_store_n(&(field), (val), __ATOMIC_SEQ_CST)
#define shared_add(field, val) __atomic_add_fetch(&(field), (val), __ATOMIC_SEQ_CST)
#define shared_sub(field, val) __atomic_sub_fetch(&(field), (val), __ATOMIC_SEQ_CST)

/* Is a kernel scope entry at its limit (by the counts it shares with us)? */
static inline bool scope_full(const struct ho_scope *k)
{
	uint32_t lim = shared_get(k->limit);

	return lim && shared_get(k->in_flight) >= (int32_t)lim;
}

#endif
