/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Probation: the first contacts a process or cgroup not judged benign yet may
 * have out (struct ho_probe in halfopen.h, docs/design.md "Probation"). The
 * daemon sets each scope's budget from its score so that, if everything out
 * fails, the scope reaches the scanner threshold and no further: a new worm
 * puts 10 first contacts on the wire, not the 100 it opens at once. Included
 * by halfopen.bpf.c before the connect path; the units are given back only by
 * the daemon (probe_set), once it has scored the attempt that held them, so a
 * batch of ends can never let a burst out before the verdict.
 */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HO_PROBE_SCOPES);
	__type(key, struct ho_scope_key);
	__type(value, struct ho_probe);
} probation SEC(".maps");

/* The scope's probation, made with the default budget; NULL if there is no room. */
static __always_inline struct ho_probe *probe_of(__u32 kind, __u64 id)
{
	struct ho_scope_key k = {.kind = kind, .id = id};
	struct ho_probe *p = bpf_map_lookup_elem(&probation, &k), n;

	if (p)
		return p;
	n.w = (__u64)st.probe_budget << 32;
	/* -EEXIST: another CPU made it first */
	(void)bpf_map_update_elem(&probation, &k, &n, BPF_NOEXIST);
	p = bpf_map_lookup_elem(&probation, &k);
	if (!p)
		__sync_fetch_and_add(&st.probe_full, 1);
	return p;
}

/*
 * One unit: 1 taken, 0 nothing to take (judged benign, or p NULL), -1 the
 * budget is out. Global functions, verified once and not at every call:
 * their compare-and-swap loops cost the verifier a million instructions
 * inline.
 */
__noinline int probe_take1(struct ho_probe *p)
{
	if (!p)
		return 0;
	for (int i = 0; i < SLOT_CAS_TRIES; i++) {
		__u64 w = p->w;

		if ((__u32)(w >> 32) == HO_PROBE_FREE)
			return 0;
		if ((__u32)w >= (__u32)(w >> 32))
			return -1;
		/* budget and count in one word: a budget lowered meanwhile fails the swap */
		if (__sync_val_compare_and_swap(&p->w, w, w + 1) == w)
			return 1;
	}
	return -1;
}

__noinline int probe_give1(struct ho_probe *p, __u32 n)
{
	if (!p)
		return 0;
	for (int i = 0; i < SLOT_CAS_TRIES; i++) {
		__u64 w = p->w;
		__u32 out = (__u32)w;

		out = out > n ? out - n : 0;
		if (__sync_val_compare_and_swap(&p->w, w, (w & ~0xffffffffull) | out) == w)
			return 1;
	}
	return 0;
}

/*
 * A first contact about to go out (connect(), or a release), of flags
 * HO_AT_FIRST_*: a unit of its process's probation and of its group's (its
 * cgroup, or its user in the root cgroup: ho_group_kind). The units taken
 * (HO_AT_PROBE_*), or -1 with nothing taken. Scalars in and out of a global
 * function: the callers' paths do not multiply with its own.
 */
__noinline int probe_take(__u32 flags, __u32 tgid, __u64 cgid, __u32 uid)
{
	struct ho_probe *pp = NULL;
	int units = 0, r;

	if (flags & HO_AT_FIRST_P) {
		pp = probe_of(HO_SCOPE_PROC, tgid);
		r = probe_take1(pp);
		if (r < 0)
			return -1;
		if (r > 0)
			units |= HO_AT_PROBE_P;
	}
	if (flags & HO_AT_FIRST_C) {
		r = probe_take1(probe_of(ho_group_kind(cgid), ho_group_id(cgid, uid)));
		if (r < 0) {
			if (units)
				(void)probe_give1(pp, 1);
			return -1;
		}
		if (r > 0)
			units |= HO_AT_PROBE_C;
	}
	return units;
}

/* Give back units (HO_AT_PROBE_*) of an attempt that did not go out after all. */
__noinline int probe_return(__u32 units, __u32 tgid, __u64 cgid, __u32 uid)
{
	struct ho_scope_key k = {.kind = HO_SCOPE_PROC, .id = tgid};

	if (units & HO_AT_PROBE_P)
		(void)probe_give1(bpf_map_lookup_elem(&probation, &k), 1);
	if (units & HO_AT_PROBE_C) {
		k.kind = ho_group_kind(cgid);
		k.id = ho_group_id(cgid, uid);
		(void)probe_give1(bpf_map_lookup_elem(&probation, &k), 1);
	}
	return 0;
}

/*
 * Is the process (HO_AT_FIRST_P in flags) or the group (HO_AT_FIRST_C) of
 * an attempt flagged as a scanner now? A first contact of it goes at the
 * pace, without units.
 */
static __always_inline bool scope_flagged(__u32 flags, __u32 tgid, __u64 cgid, __u32 uid)
{
	struct ho_scope_key f = {.kind = HO_SCOPE_PROC, .id = tgid};

	if (!st.flagged_scopes)
		return false;
	if ((flags & HO_AT_FIRST_P) && bpf_map_lookup_elem(&flagged, &f))
		return true;
	f.kind = ho_group_kind(cgid);
	f.id = ho_group_id(cgid, uid);
	return (flags & HO_AT_FIRST_C) && bpf_map_lookup_elem(&flagged, &f);
}

/*
 * Is there room for a first contact (1: room, or its scope flagged: it
 * needs none), or is the probation of its process or group full (0)? Looks
 * only: probe_release takes.
 */
__noinline int probe_room(__u32 flags, __u32 tgid, __u64 cgid, __u32 uid)
{
	struct ho_scope_key k = {.kind = HO_SCOPE_PROC, .id = tgid};
	struct ho_probe *p;
	__u64 w;

	if (scope_flagged(flags, tgid, cgid, uid))
		return 1;

	if (flags & HO_AT_FIRST_P) {
		p = bpf_map_lookup_elem(&probation, &k);
		w = p ? p->w : 0;
		if (p && (__u32)(w >> 32) != HO_PROBE_FREE && (__u32)w >= (__u32)(w >> 32))
			return 0;
	}
	if (flags & HO_AT_FIRST_C) {
		k.kind = ho_group_kind(cgid);
		k.id = ho_group_id(cgid, uid);
		p = bpf_map_lookup_elem(&probation, &k);
		w = p ? p->w : 0;
		if (p && (__u32)(w >> 32) != HO_PROBE_FREE && (__u32)w >= (__u32)(w >> 32))
			return 0;
	}
	return 1;
}

/*
 * A first contact held on probation, released: its units, unless its process
 * or cgroup was flagged since (it goes at the pace the daemon keeps, with
 * none: 0). As probe_take.
 */
__noinline int probe_release(__u32 flags, __u32 tgid, __u64 cgid, __u32 uid)
{
	if (scope_flagged(flags, tgid, cgid, uid))
		return 0;
	return probe_take(flags, tgid, cgid, uid);
}

/*
 * The daemon scored `resolve` attempts of the scope and sets its budget from
 * the new score: the budget first, in the same word, so that no connect()
 * sees the units back before the budget the failures lowered.
 */
SEC("syscall")
int probe_set(struct ho_probe_args *args)
{
	struct ho_scope_key k = args->key;
	struct ho_probe *p = bpf_map_lookup_elem(&probation, &k);

	args->result = 0;
	if (!p)
		return 0;
	for (int i = 0; i < SLOT_CAS_TRIES; i++) {
		__u64 w = p->w;
		__u32 out = (__u32)w;

		out = out > args->resolve ? out - args->resolve : 0;
		if (__sync_val_compare_and_swap(&p->w, w, (__u64)args->budget << 32 | out) == w) {
			args->result = 1;
			return 0;
		}
	}
	return 0;
}
