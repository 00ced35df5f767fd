// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_mapwalk: the table walk visits every entry while entries are deleted.
 * Needs root (it creates a BPF hash map like the attempt table). Fills it,
 * then walks it while entries end, as a storm's attempts do: every seventh
 * entry ends just after the walk read it (the key the walk stands on is
 * gone), and every third visit a few entries not yet visited end. Every
 * entry that did not end before its turn must be visited exactly once.
 * Prints "mapwalk: ok ..." or "mapwalk: FAILED ...".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "mapwalk.h"

#define N 100000

struct val {
	uint64_t pad[16]; /* about the size of struct ho_attempt */
};

struct ctx {
	int fd;
	uint8_t *visits;  /* per key */
	uint8_t *deleted; /* per key, deleted before it was visited */
	uint32_t calls;
};

static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static void visit(void *c_, const void *key, const void *val)
{
	struct ctx *c = c_;
	uint64_t k;

	(void)val;
	memcpy(&k, key, sizeof(k));
	if (k >= N)
		return;
	c->visits[k]++;
	if (++c->calls % 7 == 0)
		bpf_map_delete_elem(c->fd, &k);
	if (c->calls % 3 == 0)
		for (int i = 0; i < 3; i++) {
			uint64_t o = rnd() % N;

			if (!c->visits[o] && !bpf_map_delete_elem(c->fd, &o))
				c->deleted[o] = 1;
		}
}

int main(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	struct ctx c = {0};
	struct val v = {0};
	uint32_t missed = 0, twice = 0, seen = 0;
	int err;

	c.fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mapwalk_test", sizeof(uint64_t), sizeof(v), 2 * N,
			      &opts);
	if (c.fd < 0) {
		fprintf(stderr, "mapwalk: cannot create a BPF map: %s\n", strerror(errno));
		return 77;
	}
	c.visits = calloc(N, 1);
	c.deleted = calloc(N, 1);
	if (!c.visits || !c.deleted)
		return 1;
	for (uint64_t k = 0; k < N; k++) {
		v.pad[0] = k;
		if (bpf_map_update_elem(c.fd, &k, &v, BPF_NOEXIST)) {
			fprintf(stderr, "mapwalk: fill: %s\n", strerror(errno));
			return 1;
		}
	}
	err = mapwalk(c.fd, sizeof(uint64_t), sizeof(v), 2 * N, visit, &c);
	if (err) {
		fprintf(stderr, "mapwalk: walk: %s\n", strerror(-err));
		return 1;
	}
	for (uint32_t k = 0; k < N; k++) {
		if (c.visits[k] > 1)
			twice++;
		if (c.visits[k])
			seen++;
		else if (!c.deleted[k])
			missed++;
	}
	printf("mapwalk: %s: %u entries, %u visited, %u deleted ahead, %u missed, %u twice\n",
	       missed || twice ? "FAILED" : "ok", N, seen, N - seen, missed, twice);
	return missed || twice ? 1 : 0;
}
