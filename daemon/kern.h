/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF side as the daemon sees it: load, attach, shared state, release. */
#ifndef HO_KERN_H
#define HO_KERN_H

#include <stdbool.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "halfopen.h"

struct halfopen_bpf;

#define KERN_APP_PROGS 4 /* getsockopt, setsockopt, connect4, connect6 */

struct kern {
	struct halfopen_bpf *skel;
	struct bpf_link *link;
	struct bpf_link *app_links[KERN_APP_PROGS]; /* the socket interface (halfopen(7)) */
	bool app;				    /* its programs are loaded */
	struct ring_buffer *rb;
	int attempts_fd;
	struct ho_attempt *cells; /* the kernel's cells, mapped */
	uint32_t ncells;	  /* in use: a power of two, HO_CELLS at most */
	int held_fd;
	int release_fd;
	int cgroup_fd; /* the cgroup v2 root the sock_ops program is attached to */
	uint32_t netns_ino;
	uint64_t netns_cookie;
	bool lsm;    /* the BPF LSM programs of raw.bpf.h loaded */
	int lsm_err; /* why they did not: -errno */
};

/* Check the kernel can run us; one clear message and -errno if not. */
int kern_check(void);
/*
 * Load (not attach); events go to fn(ctx, ...); app: the socket interface
 * too, if the kernel can run it. Logs its own errors.
 */
int kern_open(struct kern *k, uint32_t limit, uint32_t tracked_max, bool app,
	      ring_buffer_sample_fn fn, void *ctx);
/* Start counting connect()s: only once the rules can hold their SYNs. */
int kern_attach(struct kern *k);
void kern_detach(struct kern *k);
/* The socket interface (halfopen(7)), after kern_attach; kern_detach detaches both. */
int kern_attach_app(struct kern *k);
void kern_detach_app(struct kern *k);
void kern_close(struct kern *k);
/* Route libbpf's messages into our log, at debug level unless verbose >= 2. */
void kern_set_verbosity(int verbose);

struct ho_kstate *kern_state(struct kern *k);
void kern_set_limit(struct kern *k, uint32_t limit);
int kern_pin_filter(struct kern *k, const char *path);
/* enum ho_release_result, or negative errno; set: the scopes that apply now */
int kern_release(struct kern *k, uint64_t cookie, uint32_t gen, bool force,
		 const struct ho_scope_set *set);
/* The kernel's scope entries (HO_SCOPES_MAX), mapped: limit, flags and gen are ours. */
struct ho_scope *kern_scopes(struct kern *k);
/* Point a cgroup id or uid at scope entry idx; idx 0 removes the key. */
int kern_scope_key(struct kern *k, uint32_t kind, uint64_t id, uint32_t idx);
/*
 * A copy of the attempt of cookie: 0, -ENOENT if none, -EAGAIN if its cell
 * kept changing while it was read (then it may or may not be there).
 */
int kern_lookup(struct kern *k, uint64_t cookie, struct ho_attempt *out);
/*
 * The attempt meant is named by its cookie and its generation (ho_attempt.gen
 * as read): another attempt that has the cookie's entry now is left alone.
 */
/* Free what an attempt whose socket is gone holds; 1 if it did. */
int kern_forget(struct kern *k, uint64_t cookie, uint32_t gen);
/*
 * --slot-timeout: an attempt in flight gives its slots back, stays tracked;
 * 1 if it did, and *probe the units of probation that are now the daemon's.
 */
int kern_expire(struct kern *k, uint64_t cookie, uint32_t gen, uint32_t *probe);
/* Scanner detection: tell first contacts (contain mode) or not. */
void kern_set_detect(struct kern *k, bool on);
/* Probation (halfopen.h): the budget of a scope the kernel does not know yet; 0: none. */
void kern_set_probation(struct kern *k, uint32_t budget);
/*
 * A scope's probation: its new budget, and `resolve` units given back.
 * 1 if the scope has one, 0 if not, -errno. del: the scope is gone.
 */
int kern_probe_set(struct kern *k, uint32_t kind, uint64_t id, uint32_t budget, uint32_t resolve);
int kern_probe_del(struct kern *k, uint32_t kind, uint64_t id);
/* The scopes of a kind with a probation, for fn (which must not delete them). */
void kern_probe_scopes(struct kern *k, uint32_t kind, void (*fn)(void *ctx, uint64_t id),
		       void *ctx);
/* A process (HO_SCOPE_PROC) or cgroup flagged as a scanner, or no longer. */
int kern_flag(struct kern *k, uint32_t kind, uint64_t id, bool on);
/* A working-set entry: its last use (lookup), or removed (del). 0 or -errno. */
int kern_reached(struct kern *k, uint32_t kind, uint64_t id, const uint8_t addr[16],
		 uint64_t *last_ns, bool del);
/* The cookie of the socket whose SYN with this tuple was just held; consumed. */
int kern_take_held(struct kern *k, const struct ho_tuple *t, uint64_t *cookie);
/* The maps keyed by a u64 that the daemon walks. */
enum kern_map {
	KM_ATTEMPTS,   /* cookie -> struct ho_attempt */
	KM_PROC_STATS, /* tgid -> struct ho_stats */
};

/* Call fn for every entry of a map (bounded by its size); val is of the map's type. */
int kern_walk(struct kern *k, enum kern_map m, void (*fn)(void *ctx, uint64_t key, const void *val),
	      void *ctx);
int kern_delete(struct kern *k, enum kern_map m, uint64_t key);

#endif
