// SPDX-License-Identifier: GPL-2.0-or-later
/* The queue of held attempts: see queue.h. */
#include <errno.h>
#include <stdlib.h>
#include "queue.h"

#define HQ_MIN_BUCKETS 1024

static size_t bucket_of(const struct hqueue *q, uint64_t cookie)
{
	/* cookies are sequential: mix them so chains stay short */
	cookie ^= cookie >> 33;
	cookie *= 0xff51afd7ed558ccdULL;
	cookie ^= cookie >> 33;
	return cookie & (q->nbuckets - 1);
}

int hq_init(struct hqueue *q)
{
	*q = (struct hqueue){0};
	q->buckets = calloc(HQ_MIN_BUCKETS, sizeof(*q->buckets));
	if (!q->buckets)
		return -ENOMEM;
	q->nbuckets = HQ_MIN_BUCKETS;
	return 0;
}

void hq_free(struct hqueue *q)
{
	struct hq_entry *e, *next;
	struct hq_sub *s, *snext;

	if (!q->buckets)
		return;
	for (e = q->head; e; e = next) {
		next = e->next;
		free(e);
	}
	for (size_t b = 0; b < HQ_SUB_BUCKETS; b++)
		for (s = q->subs[b]; s; s = snext) {
			snext = s->hnext;
			free(s);
		}
	free(q->buckets);
	*q = (struct hqueue){0};
}

static void resize(struct hqueue *q, size_t nbuckets)
{
	struct hq_entry **nb = calloc(nbuckets, sizeof(*nb));
	struct hq_entry *e;

	if (!nb)
		return; /* keep the old table: slower, still correct */
	free(q->buckets);
	q->buckets = nb;
	q->nbuckets = nbuckets;
	for (e = q->head; e; e = e->next) {
		size_t b = bucket_of(q, e->cookie);

		e->hnext = nb[b];
		nb[b] = e;
	}
}

struct hq_entry *hq_find(const struct hqueue *q, uint64_t cookie)
{
	struct hq_entry *e;

	for (e = q->buckets[bucket_of(q, cookie)]; e; e = e->hnext)
		if (e->cookie == cookie)
			return e;
	return NULL;
}

static size_t sub_bucket(uint64_t cgid)
{
	return (cgid ^ (cgid >> 8) ^ (cgid >> 16)) & (HQ_SUB_BUCKETS - 1);
}

/* The sub-queue of a cgroup, created (and put in the ring) if need be. */
static struct hq_sub *sub_get(struct hqueue *q, uint64_t cgid)
{
	struct hq_sub **head = &q->subs[sub_bucket(cgid)], *s;

	for (s = *head; s; s = s->hnext)
		if (s->cgid == cgid)
			return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cgid = cgid;
	s->hnext = *head;
	*head = s;
	if (q->rr) {
		s->rnext = q->rr;
		s->rprev = q->rr->rprev;
		s->rprev->rnext = s;
		q->rr->rprev = s;
	} else {
		s->rnext = s->rprev = s;
		q->rr = s;
	}
	q->nsubs++;
	return s;
}

static void sub_put(struct hqueue *q, struct hq_sub *s)
{
	struct hq_sub **pp = &q->subs[sub_bucket(s->cgid)];

	if (s->count)
		return;
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	if (s->rnext == s) {
		q->rr = NULL;
	} else {
		s->rprev->rnext = s->rnext;
		s->rnext->rprev = s->rprev;
		if (q->rr == s)
			q->rr = s->rnext;
	}
	q->nsubs--;
	free(s);
}

/*
 * An entry is on two doubly linked lists: the FIFO (prev/next, q->head/tail)
 * and its cgroup's (sprev/snext, sub->head/tail). One pair of functions
 * serves both, given where the list's links are.
 */
struct links {
	size_t prev, next; /* offsets in struct hq_entry */
};

static const struct links fifo = {offsetof(struct hq_entry, prev), offsetof(struct hq_entry, next)};
static const struct links in_sub = {offsetof(struct hq_entry, sprev),
				    offsetof(struct hq_entry, snext)};

static struct hq_entry **link_at(struct hq_entry *e, size_t off)
{
	return (struct hq_entry **)((char *)e + off);
}

/* Put e after pos (NULL: at the front). */
static void list_insert(struct hq_entry **head, struct hq_entry **tail, const struct links *l,
			struct hq_entry *pos, struct hq_entry *e)
{
	struct hq_entry *next = pos ? *link_at(pos, l->next) : *head;

	*link_at(e, l->prev) = pos;
	*link_at(e, l->next) = next;
	if (next)
		*link_at(next, l->prev) = e;
	else
		*tail = e;
	if (pos)
		*link_at(pos, l->next) = e;
	else
		*head = e;
}

static void list_unlink(struct hq_entry **head, struct hq_entry **tail, const struct links *l,
			struct hq_entry *e)
{
	struct hq_entry *prev = *link_at(e, l->prev), *next = *link_at(e, l->next);

	if (prev)
		*link_at(prev, l->next) = next;
	else
		*head = next;
	if (next)
		*link_at(next, l->prev) = prev;
	else
		*tail = prev;
}

static int new_entry(struct hqueue *q, uint64_t cookie, const struct ho_attempt *info,
		     struct hq_entry **out)
{
	struct hq_entry *e, *pos;
	struct hq_sub *s;
	size_t b;

	if (hq_find(q, cookie))
		return -EEXIST;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cookie = cookie;
	if (info)
		e->info = *info;
	s = sub_get(q, hq_key(&e->info));
	if (!s) {
		free(e);
		return -ENOMEM;
	}
	/* FIFO by connect() time inside the cgroup; late arrivals are rare */
	for (pos = s->tail; pos && pos->info.start_ns > e->info.start_ns; pos = pos->sprev)
		;
	list_insert(&s->head, &s->tail, &in_sub, pos, e);
	e->sub = s;
	s->count++;
	b = bucket_of(q, cookie);
	e->hnext = q->buckets[b];
	q->buckets[b] = e;
	q->count++;
	*out = e;
	return 0;
}

static void grow_if_needed(struct hqueue *q)
{
	if (q->count > q->nbuckets * 2)
		resize(q, q->nbuckets * 4);
}

int hq_push(struct hqueue *q, uint64_t cookie, const struct ho_attempt *info, struct hq_entry **out)
{
	struct hq_entry *e;
	int err = new_entry(q, cookie, info, &e);

	if (err)
		return err;
	list_insert(&q->head, &q->tail, &fifo, q->tail, e);
	grow_if_needed(q);
	if (out)
		*out = e;
	return 0;
}

int hq_insert_ordered(struct hqueue *q, uint64_t cookie, const struct ho_attempt *info,
		      struct hq_entry **out)
{
	struct hq_entry *e, *pos;
	int err = new_entry(q, cookie, info, &e);

	if (err)
		return err;
	/* late arrivals are rare and usually recent: search from the tail */
	for (pos = q->tail; pos && pos->info.start_ns > e->info.start_ns; pos = pos->prev)
		;
	list_insert(&q->head, &q->tail, &fifo, pos, e);
	grow_if_needed(q);
	if (out)
		*out = e;
	return 0;
}

void hq_remove(struct hqueue *q, struct hq_entry *e)
{
	struct hq_entry **pp = &q->buckets[bucket_of(q, e->cookie)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	list_unlink(&q->head, &q->tail, &fifo, e);
	if (e->has_pkt)
		q->held--;
	q->count--;
	list_unlink(&e->sub->head, &e->sub->tail, &in_sub, e);
	e->sub->count--;
	sub_put(q, e->sub);
	free(e);
	if (q->nbuckets > HQ_MIN_BUCKETS && q->count < q->nbuckets / 8)
		resize(q, q->nbuckets / 4);
}

bool hq_hold(struct hqueue *q, struct hq_entry *e, uint32_t pkt_id)
{
	if (e->has_pkt)
		return false;
	e->has_pkt = true;
	e->pkt_id = pkt_id;
	q->held++;
	return true;
}

size_t hq_position(const struct hqueue *q, const struct hq_entry *e)
{
	const struct hq_entry *p;
	size_t n = 1;

	for (p = q->head; p && p != e; p = p->next)
		n++;
	return p ? n : 0;
}

static int cmp_group(const void *a, const void *b)
{
	const struct hq_group *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	/* same key: FIFO order, so that the first of a run is the oldest */
	return x->count < y->count ? -1 : x->count > y->count;
}

int hq_group_by(const struct hqueue *q, bool by_cgroup, struct hq_group **out, size_t *n)
{
	struct hq_group *v;
	const struct hq_entry *e;
	size_t i = 0, j, k = 0;

	*out = NULL;
	*n = 0;
	if (!q->count)
		return 0;
	v = malloc(q->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* count holds the FIFO position while sorting */
	for (e = q->head; e; e = e->next, i++)
		v[i] = (struct hq_group){.key = by_cgroup ? e->info.cgid : e->info.tgid,
					 .count = (uint32_t)i,
					 .oldest = e};
	qsort(v, i, sizeof(*v), cmp_group);
	for (j = 0; j < i; k++) {
		size_t run = 1;

		while (j + run < i && v[j + run].key == v[j].key)
			run++;
		v[k] = v[j];
		v[k].count = (uint32_t)run;
		j += run;
	}
	*out = v;
	*n = k;
	return 0;
}

const struct hq_group *hq_group_find(const struct hq_group *v, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].key == key)
			return &v[mid];
		if (v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
