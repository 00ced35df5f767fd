// SPDX-License-Identifier: GPL-2.0-or-later
/* Load, attach and drive the BPF programs of bpf/halfopen.bpf.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "halfopen.h"
#include "halfopen.skel.h"
#include "kern.h"
#include "log.h"

static int libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	if (level == LIBBPF_DEBUG && libbpf_verbose < 3)
		return 0;
	if (libbpf_verbose < 2)
		return 0; /* our own messages say what failed, once */
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	log_msg(HO_LOG_DEBUG, "libbpf: %s", line);
	return 0;
}

void kern_set_verbosity(int verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

int kern_check(void)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
	    (major < 5 || (major == 5 && minor < 14))) {
		pr_err("kernel %s is too old: halfopend needs Linux 5.14 or later", u.release);
		return -ENOTSUP;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		pr_err("kernel has no BTF (/sys/kernel/btf/vmlinux): it needs "
		       "CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	return 0;
}

int kern_open(struct kern *k, uint32_t limit, uint32_t tracked_max, ring_buffer_sample_fn fn,
	      void *ctx)
{
	struct stat ns;
	int err;

	*k = (struct kern){.attempts_fd = -1, .held_fd = -1, .release_fd = -1};
	if (stat("/proc/self/ns/net", &ns))
		return pr_err("cannot read /proc/self/ns/net: %s", strerror(errno)), -errno;
	k->netns_ino = (uint32_t)ns.st_ino;

	/* open: parse the object, nothing in the kernel yet */
	k->skel = halfopen_bpf__open();
	if (!k->skel)
		return pr_err("cannot open the BPF object: %s", strerror(errno)), -errno;
	/* set what the programs only read, and the table sizes */
	k->skel->rodata->netns_ino = k->netns_ino;
	bpf_map__set_max_entries(k->skel->maps.attempts, tracked_max);
	bpf_map__set_max_entries(k->skel->maps.held, tracked_max);
	/* load: the verifier checks the programs */
	err = halfopen_bpf__load(k->skel);
	if (err) {
		pr_err("cannot load the BPF programs: %s (run with -vv for libbpf's log)",
		       strerror(-err));
		goto fail;
	}
	k->skel->bss->st.limit = limit;
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.events), fn, ctx, NULL);
	if (!k->rb) {
		err = -errno;
		pr_err("cannot open the BPF ring buffer: %s", strerror(-err));
		goto fail;
	}
	k->attempts_fd = bpf_map__fd(k->skel->maps.attempts);
	k->held_fd = bpf_map__fd(k->skel->maps.held);
	k->release_fd = bpf_program__fd(k->skel->progs.release);
	return 0;
fail:
	kern_close(k);
	return err;
}

int kern_attach(struct kern *k)
{
	/* from here on every connect() in this namespace is counted */
	k->link = bpf_program__attach(k->skel->progs.on_state);
	if (!k->link) {
		pr_err("cannot attach to tracepoint inet_sock_set_state: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void kern_detach(struct kern *k)
{
	bpf_link__destroy(k->link);
	k->link = NULL;
}

void kern_close(struct kern *k)
{
	ring_buffer__free(k->rb);
	bpf_link__destroy(k->link);
	halfopen_bpf__destroy(k->skel);
	*k = (struct kern){.attempts_fd = -1, .held_fd = -1, .release_fd = -1};
}

struct ho_kstate *kern_state(struct kern *k)
{
	return &k->skel->bss->st;
}

void kern_set_limit(struct kern *k, uint32_t limit)
{
	__atomic_store_n(&k->skel->bss->st.limit, limit, __ATOMIC_SEQ_CST);
}

int kern_pin_filter(struct kern *k, const char *path)
{
	return bpf_program__pin(k->skel->progs.held_syn, path);
}

int kern_release(struct kern *k, uint64_t cookie, bool force, const struct ho_scope_set *set)
{
	struct ho_release_args args = {.cookie = cookie, .force = force, .scopes = *set};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));
	int err = bpf_prog_test_run_opts(k->release_fd, &opts);

	if (err)
		return -errno;
	return (int)args.result;
}

struct ho_scope *kern_scopes(struct kern *k)
{
	return k->skel->bss->scopes;
}

int kern_scope_key(struct kern *k, uint32_t kind, uint64_t id, uint32_t idx)
{
	struct ho_scope_key key = {.kind = kind, .id = id};
	int fd = bpf_map__fd(k->skel->maps.scope_index);

	if (!idx)
		return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, &key, &idx, BPF_ANY) ? -errno : 0;
}

int kern_forget(struct kern *k, uint64_t cookie)
{
	struct ho_forget_args args = {.cookie = cookie};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(k->skel->progs.forget), &opts))
		return -errno;
	return (int)args.result;
}

uint64_t kern_missed(struct kern *k)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(k->skel->progs.on_state), &info, &len))
		return 0;
	return info.recursion_misses;
}

int kern_lookup(struct kern *k, uint64_t cookie, struct ho_attempt *out)
{
	return bpf_map_lookup_elem(k->attempts_fd, &cookie, out) ? -errno : 0;
}

int kern_take_held(struct kern *k, const struct ho_tuple *t, uint64_t *cookie)
{
	return bpf_map_lookup_and_delete_elem(k->held_fd, t, cookie) ? -errno : 0;
}

static struct bpf_map *kern_map_of(struct kern *k, enum kern_map m)
{
	switch (m) {
	case KM_PROC_STATS:
		return k->skel->maps.proc_stats;
	case KM_CGROUP_STATS:
		return k->skel->maps.cgroup_stats;
	default:
		return k->skel->maps.attempts;
	}
}

int kern_walk(struct kern *k, enum kern_map m, void (*fn)(void *ctx, uint64_t key, const void *val),
	      void *ctx)
{
	struct bpf_map *map = kern_map_of(k, m);
	int fd = bpf_map__fd(map);
	uint32_t n = 0, max = bpf_map__max_entries(map);
	uint64_t key, next;
	union {
		struct ho_attempt a;
		struct ho_stats s;
	} val;
	void *prev = NULL;

	/* entries come and go while we walk: a restart from the first key is fine */
	while (n++ < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val) == 0)
			fn(ctx, key, &val);
	}
	return 0;
}

int kern_delete(struct kern *k, enum kern_map m, uint64_t key)
{
	return bpf_map_delete_elem(bpf_map__fd(kern_map_of(k, m)), &key) ? -errno : 0;
}
