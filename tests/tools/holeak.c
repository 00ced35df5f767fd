// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * holeak: make halfopend lose the end of an attempt, for the test of the
 * repair. The kernel reports every end (sock_ops STATE_CB), so a lost one
 * cannot be caused from outside; this tool forges its trace instead: an
 * entry in the daemon's attempt table for a socket that does not exist, in
 * flight since SECONDS ago, holding one slot of the namespace. It goes in
 * the hash (bpf/halfopen.h, HO_CELLS), as an attempt whose cell was taken.
 *
 *   holeak ATTEMPTS_MAP_ID BSS_MAP_ID SADDR SPORT DADDR DPORT SECONDS
 *
 * Test use only: run by tests/net/test_exact.sh on a daemon it started.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "halfopen.h"
#include "raw.h"
#include "halfopen.skel.h"

int main(int argc, char **argv)
{
	struct ho_attempt a = {0};
	struct halfopen_bpf__bss *bss;
	uint64_t cookie = 0x7e57000000000001ull;
	struct timespec ts;
	int afd, bfd;

	if (argc != 8) {
		fprintf(stderr, "usage: holeak ATTEMPTS_MAP_ID BSS_MAP_ID SADDR SPORT DADDR DPORT "
				"SECONDS\n");
		return 2;
	}
	afd = bpf_map_get_fd_by_id((uint32_t)atoi(argv[1]));
	bfd = bpf_map_get_fd_by_id((uint32_t)atoi(argv[2]));
	if (afd < 0 || bfd < 0) {
		fprintf(stderr, "holeak: maps: %s\n", strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	a.state = HO_ST_INFLIGHT;
	a.family = AF_INET;
	a.sport = (uint16_t)atoi(argv[4]);
	a.dport = (uint16_t)atoi(argv[6]);
	if (inet_pton(AF_INET, argv[3], a.saddr) != 1 ||
	    inet_pton(AF_INET, argv[5], a.daddr) != 1) {
		fprintf(stderr, "holeak: bad address\n");
		return 2;
	}
	a.start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec -
		     (uint64_t)atoi(argv[7]) * 1000000000ull;
	memcpy(a.comm, "holeak", 7);
	bss = mmap(NULL, sizeof(*bss), PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	if (bss == MAP_FAILED) {
		fprintf(stderr, "holeak: mmap .bss: %s\n", strerror(errno));
		return 1;
	}
	/* the slot first: an entry in flight always holds one; counted in the hash before it is there */
	__atomic_add_fetch(&bss->st.in_flight, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&bss->st.hashed, 1, __ATOMIC_SEQ_CST);
	if (bpf_map_update_elem(afd, &cookie, &a, BPF_NOEXIST)) {
		__atomic_sub_fetch(&bss->st.hashed, 1, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&bss->st.in_flight, 1, __ATOMIC_SEQ_CST);
		fprintf(stderr, "holeak: insert: %s\n", strerror(errno));
		return 1;
	}
	printf("leaked one slot: cookie %llx\n", (unsigned long long)cookie);
	return 0;
}
