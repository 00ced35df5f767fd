/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Slots: the namespace's (st.in_flight under st.limit) and those of the
 * cgroup and user scopes (scopes[]), their storage and their arithmetic:
 * taken all or none and given back. Stands alone (the build compiles it by
 * itself); included by halfopen.bpf.c, the one program object.
 *
 * The rule for what is shared through the mapped .bss (st, scopes): every
 * counter is changed with an atomic read-modify-write on both sides
 * (__sync_* here, __atomic_* in the daemon) and read with one aligned load;
 * the daemon alone writes limit, flags and gen, the kernel side alone the
 * counts it takes and gives.
 */
#ifndef HALFOPEN_SLOTS_BPF_H
#define HALFOPEN_SLOTS_BPF_H

#include <stdbool.h>
#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include "halfopen.h"

#define SLOT_CAS_TRIES 32 /* compare-and-swap retries before giving up */

_Static_assert((HO_SCOPES_MAX & (HO_SCOPES_MAX - 1)) == 0, "scope indexes are masked");

/* Limit, slot counts and counters; mapped into the daemon (skel->bss). */
struct ho_kstate st;

/* Cgroup and user scopes (policies), written by the daemon through the mapping. */
struct ho_scope scopes[HO_SCOPES_MAX];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HO_SCOPES_MAX);
	__type(key, struct ho_scope_key);
	__type(value, __u32); /* index in scopes[] */
} scope_index SEC(".maps");

/* One slot under a limit (0: none), by compare-and-swap. */
static __always_inline bool take_under(__u32 *count, __u32 lim)
{
	for (int i = 0; i < SLOT_CAS_TRIES; i++) {
		__u32 cur = *count;

		if (lim && cur >= lim)
			return false;
		if (__sync_val_compare_and_swap(count, cur, cur + 1) == cur)
			return true;
	}
	return false;
}

static __always_inline bool take_slot(void)
{
	return take_under(&st.in_flight, st.limit);
}

/* The scope a reference names, or NULL if none or its policy is gone. */
static __always_inline struct ho_scope *scope_of(struct ho_scope_ref r)
{
	/* a mask, not a comparison: the verifier keeps the bound of a masked value */
	__u32 i = r.idx & (HO_SCOPES_MAX - 1);

	if (!i || i != r.idx)
		return NULL;
	if ((__u16)scopes[i].gen != r.gen)
		return NULL;
	return &scopes[i];
}

/*
 * A slot of a scope. Signed: should a count ever dip below zero (a leave
 * racing with the daemon handing the entry to a new policy), the scope lets
 * one attempt too many through instead of holding everyone forever.
 */
static __always_inline bool take_scope_slot(struct ho_scope *s)
{
	for (int i = 0; i < SLOT_CAS_TRIES; i++) {
		__s32 cur = s->in_flight;

		if (s->limit && cur >= (__s32)s->limit)
			return false;
		if (__sync_val_compare_and_swap(&s->in_flight, cur, cur + 1) == cur)
			return true;
	}
	return false;
}

static __always_inline bool set_exempt(const struct ho_scope_set *set)
{
	if (!set->s[0].idx)
		return false; /* no scope: the common case */
	for (int i = 0; i < HO_ATTEMPT_SCOPES; i++) {
		struct ho_scope *s = scope_of(set->s[i]);

		if (s && (s->flags & HO_SCOPE_F_EXEMPT))
			return true;
	}
	return false;
}

/* Anyone queued in one of these scopes? FIFO inside a scope: do not overtake. */
static __always_inline bool set_waiting(const struct ho_scope_set *set)
{
	if (!set->s[0].idx)
		return false;
	for (int i = 0; i < HO_ATTEMPT_SCOPES; i++) {
		struct ho_scope *s = scope_of(set->s[i]);

		if (s && s->queued > 0)
			return true;
	}
	return false;
}

/* Add d to one counter of every scope of the set: 0 in_flight, 1 queued. */
static __always_inline void set_add(const struct ho_scope_set *set, int which, int d)
{
	if (!set->s[0].idx)
		return;
	for (int i = 0; i < HO_ATTEMPT_SCOPES; i++) {
		struct ho_scope *s = scope_of(set->s[i]);

		if (!s)
			continue;
		if (which)
			__sync_fetch_and_add(&s->queued, d);
		else
			__sync_fetch_and_add(&s->in_flight, d);
	}
}

/* A slot in every scope of the set, or none: false if one is full. */
static __always_inline bool set_take(const struct ho_scope_set *set)
{
	__u32 taken = 0;

	if (!set->s[0].idx)
		return true;
	for (int i = 0; i < HO_ATTEMPT_SCOPES; i++) {
		struct ho_scope *s = scope_of(set->s[i]);

		if (!s)
			continue;
		if (!take_scope_slot(s))
			goto undo;
		taken |= 1u << i;
	}
	return true;
undo:
	for (int i = 0; i < HO_ATTEMPT_SCOPES; i++) {
		struct ho_scope *s = scope_of(set->s[i]);

		if (s && (taken & (1u << i)))
			__sync_fetch_and_add(&s->in_flight, -1);
	}
	return false;
}

enum take_result { TAKEN, SCOPE_FULL, NS_FULL, CONTAINED };

/*
 * Slots for an attempt: in every scope of the set and in the namespace, or
 * none. Exempt attempts take no slot of the namespace and ignore limits.
 */
static __always_inline enum take_result take_all(const struct ho_scope_set *set, bool exempt,
						 bool force)
{
	if (exempt || force) {
		set_add(set, 0, 1);
		__sync_fetch_and_add(exempt ? &st.exempt_in_flight : &st.in_flight, 1);
		return TAKEN;
	}
	if (!set_take(set))
		return SCOPE_FULL;
	if (!take_slot()) {
		set_add(set, 0, -1);
		return NS_FULL;
	}
	return TAKEN;
}

/* Give back what take_all() took. */
static __always_inline void give_all(const struct ho_scope_set *set, bool exempt)
{
	set_add(set, 0, -1);
	__sync_fetch_and_add(exempt ? &st.exempt_in_flight : &st.in_flight, -1);
}

static __always_inline void set_put(struct ho_scope_set *set, __u32 *n, __u32 kind, __u64 id)
{
	struct ho_scope_key k = {.kind = kind, .id = id};
	struct ho_scope_ref r;
	__u32 *idx, i;

	if (*n >= HO_ATTEMPT_SCOPES)
		return;
	idx = bpf_map_lookup_elem(&scope_index, &k);
	if (!idx)
		return;
	i = *idx & (HO_SCOPES_MAX - 1);
	if (!i || i != *idx)
		return;
	r.idx = (__u16)i;
	r.gen = (__u16)scopes[i].gen;
	/* constant indexes only: the verifier checks each store */
	if (*n == 0)
		set->s[0] = r;
	else if (*n == 1)
		set->s[1] = r;
	else if (*n == 2)
		set->s[2] = r;
	else
		set->s[3] = r;
	(*n)++;
}

/*
 * The scopes of the connecting task: its user, then its cgroup and every
 * cgroup above it that has a policy, outermost first.
 */
static __always_inline void find_scopes(const struct ho_attempt *a, struct ho_scope_set *set)
{
	__u32 n = 0;

	if (st.user_scopes)
		set_put(set, &n, HO_SCOPE_USER, a->uid);
	if (!st.cgroup_scopes)
		return;
	for (int level = 1; level <= HO_CGROUP_DEPTH; level++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(level);

		if (!id || n >= HO_ATTEMPT_SCOPES)
			break;
		set_put(set, &n, HO_SCOPE_CGROUP, id);
		if (id == a->cgid)
			break;
	}
}

#endif /* HALFOPEN_SLOTS_BPF_H */
