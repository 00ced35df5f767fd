// SPDX-License-Identifier: GPL-2.0-or-later
/* Load, attach and drive the BPF programs of bpf/halfopen.bpf.c. */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "halfopen.h"
#include "raw.h"
#include "halfopen.skel.h"
#include "kern.h"
#include "log.h"
#include "shared.h"
#include "mapwalk.h"

static int libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *text, *line, *save = NULL;

	if (level == LIBBPF_DEBUG && libbpf_verbose < 3)
		return 0;
	if (libbpf_verbose < 2)
		return 0; /* our own messages say what failed, once */
	/* one message can be a whole verifier log: one log line per line */
	if (vasprintf(&text, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_msg(HO_LOG_DEBUG, "libbpf: %s", line);
	free(text);
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
	    (major < 5 || (major == 5 && minor < 15)))
		return pr_err_ret(-ENOTSUP,
				  "kernel %s is too old: halfopend needs Linux 5.15 or later",
				  u.release);
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return pr_err_ret(-ENOTSUP, "kernel has no BTF (/sys/kernel/btf/vmlinux): it needs "
					    "CONFIG_DEBUG_INFO_BTF=y");
	return 0;
}

/* The cookie of this network namespace, as bpf_get_netns_cookie() gives it. */
static int netns_cookie(uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		err = -errno;
	close(fd);
	return err;
}

/*
 * The root of the cgroup v2 hierarchy, where the sock_ops program sees every
 * socket: where it is mounted, or mounted by us if nowhere.
 */
static int cgroup2_root(void)
{
	const char *own = "/run/halfopen/cgroup2";
	struct mntent *m;
	char path[4096] = "";
	FILE *f = setmntent("/proc/self/mounts", "re");

	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(path, sizeof(path), "%s", m->mnt_dir);
			break;
		}
	if (f)
		endmntent(f);
	if (!path[0]) {
		(void)mkdir("/run/halfopen", 0755);
		(void)mkdir(own, 0700);
		if (mount("cgroup2", own, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) &&
		    errno != EBUSY)
			return pr_err_ret(
				-errno,
				"no cgroup v2 file system is mounted and mounting one at %s "
				"failed: %s",
				own, strerror(errno));
		pr_info("mounted the cgroup v2 hierarchy at %s", own);
		snprintf(path, sizeof(path), "%s", own);
	}
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The interface's programs, in the order of kern->app_links. */
static void app_progs(struct kern *k, struct bpf_program *progs[KERN_APP_PROGS])
{
	progs[0] = k->skel->progs.ho_getsockopt;
	progs[1] = k->skel->progs.ho_setsockopt;
	progs[2] = k->skel->progs.ho_connect4;
	progs[3] = k->skel->progs.ho_connect6;
}

/*
 * Load the socket interface's programs only if wanted and the kernel can run
 * them: the fail-fast connect needs bpf_set_retval (Linux 5.18); without it
 * the rest of halfopen works as before.
 */
static void app_choose(struct kern *k, bool want)
{
	struct bpf_program *progs[KERN_APP_PROGS];

	k->app = want;
	if (want && libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_FUNC_set_retval,
					    NULL) != 1) {
		pr_notice("this kernel has no bpf_set_retval for connect() programs (Linux 5.18): "
			  "the socket interface (halfopen(7)) is off");
		k->app = false;
	}
	app_progs(k, progs);
	for (int i = 0; i < KERN_APP_PROGS; i++)
		bpf_program__set_autoload(progs[i], k->app);
}

/* Can an LSM program be loaded here (BPF LSM on, trampolines)? 0 or -errno. */
static int lsm_probe(void)
{
	const struct bpf_insn prog[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int id = libbpf_find_vmlinux_btf_id("socket_create", BPF_LSM_MAC), fd;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC);

	if (id < 0)
		return id;
	opts.attach_btf_id = (__u32)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, NULL, "GPL", prog, 2, &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int kern_open(struct kern *k, uint32_t limit, uint32_t tracked_max, bool app,
	      ring_buffer_sample_fn fn, void *ctx)
{
	struct stat ns;
	int err;

	*k = (struct kern){.attempts_fd = -1, .held_fd = -1, .release_fd = -1, .cgroup_fd = -1};
	if (stat("/proc/self/ns/net", &ns))
		return pr_err_ret(-errno, "cannot read /proc/self/ns/net: %s", strerror(errno));
	k->netns_ino = (uint32_t)ns.st_ino;
	err = netns_cookie(&k->netns_cookie);
	if (err)
		return pr_err_ret(
			err, "cannot read this network namespace's cookie (SO_NETNS_COOKIE): %s",
			strerror(-err));
	k->cgroup_fd = cgroup2_root();
	if (k->cgroup_fd < 0)
		return pr_err_ret(-errno, "cannot open the cgroup v2 root: %s", strerror(errno));

	/*
	 * open: parse the object, nothing in the kernel yet. The BPF LSM
	 * programs of raw.bpf.h are tried first; a kernel that refuses them
	 * (no BPF LSM, or no trampolines) gets the object without them. A
	 * two-instruction LSM program tells first, so that such a kernel does
	 * not verify the whole object twice (it doubled the start).
	 */
	err = lsm_probe();
	for (int with_lsm = err ? 0 : 1; with_lsm >= 0; with_lsm--) {
		if (!with_lsm && !k->lsm_err)
			k->lsm_err = err;
		k->skel = halfopen_bpf__open();
		if (!k->skel)
			return pr_err_ret(-errno, "cannot open the BPF object: %s",
					  strerror(errno));
		/* set what the programs only read, and the table sizes */
		k->skel->rodata->netns_cookie = k->netns_cookie;
		/*
		 * --tracked-max in all: the largest power of two not above half
		 * of it (HO_CELLS at most) in cells, the rest in the hash
		 */
		k->ncells = HO_CELLS;
		while (k->ncells > tracked_max / 2)
			k->ncells /= 2;
		k->skel->rodata->cell_mask = k->ncells - 1;
		bpf_map__set_max_entries(k->skel->maps.cells, k->ncells);
		bpf_map__set_max_entries(k->skel->maps.attempts, tracked_max - k->ncells);
		bpf_map__set_max_entries(k->skel->maps.held, tracked_max);
		app_choose(k, app);
		bpf_program__set_autoload(k->skel->progs.raw_socket_create, with_lsm);
		bpf_program__set_autoload(k->skel->progs.raw_socket_post_create, with_lsm);
		/* load: the verifier checks the programs */
		err = halfopen_bpf__load(k->skel);
		if (!err) {
			k->lsm = with_lsm;
			break;
		}
		if (with_lsm) {
			k->lsm_err = err;
			halfopen_bpf__destroy(k->skel);
			k->skel = NULL;
		}
	}
	if (err) {
		pr_err("cannot load the BPF programs: %s (run with -vv for libbpf's log)",
		       strerror(-err));
		goto fail;
	}
	shared_set(k->skel->bss->st.limit, limit);
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.events), fn, ctx, NULL);
	if (!k->rb) {
		err = -errno;
		pr_err("cannot open the BPF ring buffer: %s", strerror(-err));
		goto fail;
	}
	k->attempts_fd = bpf_map__fd(k->skel->maps.attempts);
	k->cells = mmap(NULL, k->ncells * sizeof(*k->cells), PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(k->skel->maps.cells), 0);
	if (k->cells == MAP_FAILED) {
		err = -errno;
		k->cells = NULL;
		pr_err("cannot map the attempt cells: %s", strerror(-err));
		goto fail;
	}
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
	k->link = bpf_program__attach_cgroup(k->skel->progs.on_sockops, k->cgroup_fd);
	if (!k->link)
		return pr_err_ret(-errno,
				  "cannot attach the sock_ops program to the cgroup v2 root: %s",
				  strerror(errno));
	return 0;
}

/*
 * The socket interface for applications (bpf/sockopt.bpf.h): SOL_HALFOPEN
 * answered in getsockopt/setsockopt, HALFOPEN_NOQUEUE enforced in connect().
 * Attached after on_sockops (if loaded: see app_choose), detached before it.
 */
int kern_attach_app(struct kern *k)
{
	struct bpf_program *progs[KERN_APP_PROGS];

	if (!k->app)
		return 0;
	app_progs(k, progs);
	for (int i = 0; i < KERN_APP_PROGS; i++) {
		k->app_links[i] = bpf_program__attach_cgroup(progs[i], k->cgroup_fd);
		if (!k->app_links[i]) {
			int err = -errno;

			pr_err("cannot attach the %s program to the cgroup v2 root: %s",
			       bpf_program__name(progs[i]), strerror(-err));
			kern_detach_app(k);
			return err;
		}
	}
	return 0;
}

void kern_detach_app(struct kern *k)
{
	for (int i = 0; i < KERN_APP_PROGS; i++) {
		bpf_link__destroy(k->app_links[i]);
		k->app_links[i] = NULL;
	}
}

void kern_detach(struct kern *k)
{
	kern_detach_app(k);
	bpf_link__destroy(k->link);
	k->link = NULL;
}

void kern_close(struct kern *k)
{
	if (k->cells)
		(void)munmap(k->cells, k->ncells * sizeof(*k->cells));
	ring_buffer__free(k->rb);
	kern_detach_app(k);
	bpf_link__destroy(k->link);
	halfopen_bpf__destroy(k->skel);
	if (k->cgroup_fd >= 0)
		close(k->cgroup_fd);
	*k = (struct kern){.attempts_fd = -1, .held_fd = -1, .release_fd = -1, .cgroup_fd = -1};
}

struct ho_kstate *kern_state(struct kern *k)
{
	return &k->skel->bss->st;
}

void kern_set_limit(struct kern *k, uint32_t limit)
{
	shared_set(k->skel->bss->st.limit, limit);
}

int kern_pin_filter(struct kern *k, const char *path)
{
	return bpf_program__pin(k->skel->progs.held_syn, path);
}

int kern_release(struct kern *k, uint64_t cookie, uint32_t gen, bool force,
		 const struct ho_scope_set *set)
{
	struct ho_release_args args = {
		.cookie = cookie, .gen = gen, .force = force, .scopes = *set};
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

/* Run a syscall program that takes one attempt's cookie: its result, or -errno. */
static int run_on_cookie(struct bpf_program *prog, uint64_t cookie, uint32_t gen, uint32_t *probe)
{
	struct ho_forget_args args = {.cookie = cookie, .gen = gen};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return -errno;
	if (probe)
		*probe = args.probe;
	return (int)args.result;
}

int kern_forget(struct kern *k, uint64_t cookie, uint32_t gen)
{
	return run_on_cookie(k->skel->progs.forget, cookie, gen, NULL);
}

int kern_expire(struct kern *k, uint64_t cookie, uint32_t gen, uint32_t *probe)
{
	return run_on_cookie(k->skel->progs.expire, cookie, gen, probe);
}

void kern_set_detect(struct kern *k, bool on)
{
	shared_set(k->skel->bss->st.detect, on ? 1u : 0u);
}

void kern_set_probation(struct kern *k, uint32_t budget)
{
	shared_set(k->skel->bss->st.probe_budget, budget);
}

int kern_probe_set(struct kern *k, uint32_t kind, uint64_t id, uint32_t budget, uint32_t resolve)
{
	struct ho_probe_args args = {
		.key = {.kind = kind, .id = id}, .budget = budget, .resolve = resolve};
	/* a syscall program writes its results back into ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(k->skel->progs.probe_set), &opts))
		return -errno;
	return (int)args.result;
}

int kern_probe_del(struct kern *k, uint32_t kind, uint64_t id)
{
	struct ho_scope_key key = {.kind = kind, .id = id};
	int fd = bpf_map__fd(k->skel->maps.probation);

	return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
}

void kern_probe_scopes(struct kern *k, uint32_t kind, void (*fn)(void *ctx, uint64_t id), void *ctx)
{
	int fd = bpf_map__fd(k->skel->maps.probation);
	struct ho_scope_key key, next;
	void *prev = NULL;

	/* bounded by the map's size; fn must not delete (the caller does after) */
	for (int i = 0; i < HO_PROBE_SCOPES && !bpf_map_get_next_key(fd, prev, &next); i++) {
		key = next;
		prev = &key;
		if (key.kind == kind)
			fn(ctx, key.id);
	}
}

int kern_flag(struct kern *k, uint32_t kind, uint64_t id, bool on)
{
	struct ho_scope_key key = {.kind = kind, .id = id};
	int fd = bpf_map__fd(k->skel->maps.flagged);
	uint32_t one = 1;

	if (!on)
		return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, &key, &one, BPF_ANY) ? -errno : 0;
}

int kern_reached(struct kern *k, uint32_t kind, uint64_t id, const uint8_t addr[16],
		 uint64_t *last_ns, bool del)
{
	struct ho_reach_key key = {.kind = kind, .id = id};
	int fd = bpf_map__fd(k->skel->maps.reached);

	memcpy(key.addr, addr, sizeof(key.addr));
	if (del)
		return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
	return bpf_map_lookup_elem(fd, &key, last_ns) ? -errno : 0;
}

/*
 * A copy of a cell as it was at one moment: its state word the same before
 * and after the copy (fields written without a change of state, flags and
 * what a release writes before its state, may still be mid-change, as in a
 * copy of a hash entry). False if it kept changing.
 */
static bool cell_read(const struct ho_attempt *c, struct ho_attempt *out)
{
	for (int i = 0; i < 64; i++) {
		uint64_t sw = __atomic_load_n(&c->sw, __ATOMIC_ACQUIRE);

		memcpy(out, c, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&c->sw, __ATOMIC_RELAXED) == sw) {
			out->sw = sw;
			return true;
		}
	}
	return false;
}

static struct ho_attempt *cell_of(struct kern *k, uint64_t cookie)
{
	return &k->cells[ho_cell_index(cookie, k->ncells - 1)];
}

int kern_lookup(struct kern *k, uint64_t cookie, struct ho_attempt *out)
{
	/* its cell if it has it (bpf/halfopen.bpf.c, attempt_find), else the hash */
	if (!cell_read(cell_of(k, cookie), out))
		return -EAGAIN; /* the cell kept changing: cannot tell */
	if (out->cookie == cookie && ho_state_real(out->state))
		return 0;
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
	default:
		return k->skel->maps.attempts;
	}
}

struct walk_ctx {
	void (*fn)(void *ctx, uint64_t key, const void *val);
	void *ctx;
};

static void walk_one(void *ctx, const void *key, const void *val)
{
	struct walk_ctx *w = ctx;
	uint64_t k;

	memcpy(&k, key, sizeof(k));
	w->fn(w->ctx, k, val);
}

int kern_walk(struct kern *k, enum kern_map m, void (*fn)(void *ctx, uint64_t key, const void *val),
	      void *ctx)
{
	struct bpf_map *map = kern_map_of(k, m);
	struct walk_ctx w = {.fn = fn, .ctx = ctx};

	/* the attempts: the cells, then the hash (an attempt never moves from one to the other) */
	for (uint32_t i = 0; m == KM_ATTEMPTS && i < k->ncells; i++) {
		struct ho_attempt a;

		if (cell_read(&k->cells[i], &a) && ho_state_real(a.state))
			fn(ctx, a.cookie, &a);
	}
	return mapwalk(bpf_map__fd(map), sizeof(uint64_t), bpf_map__value_size(map),
		       bpf_map__max_entries(map), walk_one, &w);
}

int kern_delete(struct kern *k, enum kern_map m, uint64_t key)
{
	if (m == KM_ATTEMPTS) {
		struct ho_attempt *c = cell_of(k, key);
		struct ho_attempt a;

		/* a tomb in its cell: freed as the kernel frees one (GONE -> FREE, generation 0) */
		if (cell_read(c, &a) && a.cookie == key && ho_state_real(a.state)) {
			union ho_sw gone = {.f = {.state = HO_ST_GONE, .gen = a.gen}};
			union ho_sw freed = {.f = {.state = HO_ST_FREE}};

			if (a.state != HO_ST_GONE)
				return -EBUSY;
			return __atomic_compare_exchange_n(&c->sw, &gone.sw, freed.sw, false,
							   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
				       ? 0
				       : -EBUSY;
		}
		if (bpf_map_delete_elem(k->attempts_fd, &key))
			return -errno;
		/* the kernel skips the hash while it counts none in it */
		shared_sub(k->skel->bss->st.hashed, 1);
		return 0;
	}
	return bpf_map_delete_elem(bpf_map__fd(kern_map_of(k, m)), &key) ? -errno : 0;
}
