// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopen run [--limit N | --exempt] [--] CMD [ARGS...]
 *
 * Run a command in a fresh cgroup with a policy of its own: the way to try a
 * program under the original conditions (--limit 10, the default). The
 * command keeps our stdin/stdout/stderr; signals sent to us go to it; its
 * exit status is ours (128+N if killed by signal N). Afterwards whatever it
 * left running in the cgroup is killed, the policy deleted and the cgroup
 * removed. If we are killed ourselves, halfopend does the last two once the
 * cgroup is empty (the policy is marked as ours). Every other way out removes
 * what was made too: halfopend refusing or unreachable, a signal before the
 * command starts (exit 128+N).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "parse.h"
#include "procinfo.h"

#define KILL_WAIT_S 5

static volatile sig_atomic_t child_pid, stop_sig;

/*
 * Pass on what was sent to us; the terminal's own ^C already reaches the
 * child. Before there is a child, a signal stops the set-up (what it made
 * is removed).
 */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGALRM)
		return;
	if (child_pid <= 0) {
		stop_sig = sig;
		alarm(1); /* it came before a wait for halfopend began: cut that short too */
	} else if (si->si_code == SI_USER || si->si_code == SI_QUEUE ||
		   (sig != SIGINT && sig != SIGQUIT))
		kill(child_pid, sig);
}

static const int forwarded[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Everything left in the cgroup goes; true once it is empty. */
static bool empty_cgroup(const char *full, const char *rel)
{
	char path[600], pid[32];
	struct timespec tenth = {0, 100000000};
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.kill", full);
	for (int i = 0; i < KILL_WAIT_S * 10 && cgroup_populated(rel); i++) {
		if (write_file(path, "1")) {
			/* kernels before 5.14: one by one */
			snprintf(path, sizeof(path), "%s/cgroup.procs", full);
			f = fopen(path, "re");
			while (f && fgets(pid, sizeof(pid), f))
				kill((pid_t)atoi(pid), SIGKILL);
			if (f)
				fclose(f);
			snprintf(path, sizeof(path), "%s/cgroup.kill", full);
		}
		nanosleep(&tenth, NULL);
	}
	return !cgroup_populated(rel);
}

static int policy_call(uint16_t type, const char *rel, uint32_t limit, bool exempt)
{
	struct ho_ctl_policy req = {.flags = HO_POLICY_F_TRANSIENT};
	struct ho_ctl_policy_row row;
	struct ho_ctl_end end;

	req.p.kind = HO_SCOPE_CGROUP;
	req.p.limit = exempt ? 0 : limit;
	req.p.flags = exempt ? HO_SCOPE_F_EXEMPT : 0;
	snprintf(req.p.name, sizeof(req.p.name), "%s", rel);
	if (type == HO_CTL_POLICY_SET)
		return cli_call(type, &req, sizeof(req), HO_CTL_POLICY_ROW, &row, sizeof(row));
	return cli_call(type, &req, sizeof(req), HO_CTL_END, &end, sizeof(end));
}

static int usage_error(const char *msg, const char *arg)
{
	cli_fail("run: %s%s%s (usage: halfopen run [--limit N | --exempt] -- CMD [ARGS...])", msg,
		 arg ? " " : "", arg ? arg : "");
	return 2;
}

/* What run made, so that every way out removes it. */
struct run {
	char rel[64], full[512], parent[512];
	bool made, policy;
};

/* The cgroup: /halfopen.run/PID, made fresh (the parent may go meanwhile). */
static int make_cgroup(struct run *r)
{
	snprintf(r->parent, sizeof(r->parent), "%s" HO_RUN_PARENT, cgroup2_root());
	snprintf(r->rel, sizeof(r->rel), HO_RUN_PARENT "/%d", (int)getpid());
	snprintf(r->full, sizeof(r->full), "%s%s", cgroup2_root(), r->rel);
	for (int tries = 0;; tries++) {
		if (mkdir(r->parent, 0755) && errno != EEXIST)
			return cli_fail("run: cannot make %s: %s", r->parent, strerror(errno));
		if (!mkdir(r->full, 0755))
			break;
		if (errno != ENOENT || tries == 3)
			return cli_fail("run: cannot make cgroup %s: %s", r->full, strerror(errno));
	}
	r->made = true;
	return 0;
}

/*
 * Clean up: what the command left running, the policy, the cgroup, and
 * /halfopen.run if ours was the last. A failure is said, but the command's
 * status stays ours. Signals wait until it is done.
 */
static void cleanup(struct run *r)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	for (size_t s = 0; s < sizeof(forwarded) / sizeof(forwarded[0]); s++)
		sigaddset(&sigs, forwarded[s]);
	sigaddset(&sigs, SIGALRM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	alarm(0);
	if (r->made && !empty_cgroup(r->full, r->rel))
		cli_fail("run: processes left in %s would not die", r->full);
	if (r->policy)
		policy_call(HO_CTL_POLICY_DEL, r->rel, 0, false);
	if (r->made && rmdir(r->full) && errno != ENOENT)
		cli_fail("run: cannot remove cgroup %s: %s", r->full, strerror(errno));
	if (r->parent[0])
		rmdir(r->parent); /* others' cgroups keep it */
}

int cmd_run(int argc, char **argv)
{
	uint32_t limit = HO_LIMIT_DEFAULT;
	bool exempt = false, limit_given = false, ran = false;
	char procs[600];
	struct run r = {0};
	struct sigaction sa = {0};
	sigset_t all, old;
	int i, status = 1 << 8, rc;
	pid_t pid;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--exempt")) {
			exempt = true;
		} else if (!strcmp(argv[i], "--limit") || !strcmp(argv[i], "-l")) {
			if (i + 1 == argc || parse_u32(argv[i + 1], 1, HO_LIMIT_MAX, &limit))
				return usage_error("--limit needs 1..1000000, got",
						   i + 1 < argc ? argv[i + 1] : "nothing");
			limit_given = true;
			i++;
		} else {
			return usage_error("unknown option", argv[i]);
		}
	}
	if (exempt && limit_given)
		return usage_error("give --limit or --exempt, not both", NULL);
	if (i == argc)
		return usage_error("no command given", NULL);
	if (!is_root())
		return cli_fail("run needs root: it makes a cgroup and sets its policy"), 1;
	if (!cgroup2_root())
		return cli_fail("run: no cgroup2 file system is mounted"), 1;

	/* from here on a signal is caught, so that what is made is removed */
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: a wait for halfopend is cut short */
	sigemptyset(&sa.sa_mask);
	for (size_t s = 0; s < sizeof(forwarded) / sizeof(forwarded[0]); s++)
		sigaction(forwarded[s], &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (make_cgroup(&r) || stop_sig)
		goto out;
	r.policy = !policy_call(HO_CTL_POLICY_SET, r.rel, limit, exempt);
	if (!r.policy || stop_sig)
		goto out;

	/* signals wait until the child exists, then go to it */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (stop_sig) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", r.full);
		rc = write_file(procs, "0");
		if (rc) {
			fprintf(stderr, "halfopen: run: cannot enter cgroup %s: %s\n", r.full,
				strerror(-rc));
			_exit(127);
		}
		execvp(argv[i], argv + i);
		fprintf(stderr, "halfopen: run: %s: %s\n", argv[i], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (pid > 0)
		child_pid = pid;
	ran = pid > 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		cli_fail("run: fork: %s", strerror(errno));
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	child_pid = 0;
out:
	cleanup(&r);
	if (!ran && stop_sig)
		return 128 + stop_sig; /* stopped before the command ran */
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
