// SPDX-License-Identifier: GPL-2.0-or-later
/* Rules through the iptables programs themselves: no hand-written netlink. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log.h"
#include "rules.h"

extern char **environ;

/*
 * Run argv with input on stdin; its stdout and stderr land in out (first
 * bytes, NUL-terminated). Returns the exit status, or negative errno.
 */
static int run(char *const argv[], const char *input, char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	int in[2] = {-1, -1}, res[2] = {-1, -1}, status, err;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(res, O_CLOEXEC)) {
		err = -errno;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, res[1], 1);
	posix_spawn_file_actions_adddup2(&fa, res[1], 2);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	if (err) {
		err = -err;
		goto out;
	}
	if (input) {
		/* rule sets are small: one write fits in the pipe */
		signal(SIGPIPE, SIG_IGN);
		if (write(in[1], input, strlen(input)) < 0)
			pr_debug("writing to %s: %s", argv[0], strerror(errno));
	}
	close(in[1]);
	in[1] = -1;
	while (got + 1 < outlen && (n = read(res[0], out + got, outlen - got - 1)) > 0)
		got += (size_t)n;
	if (outlen)
		out[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			err = -errno;
			goto out;
		}
	err = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	return err;
}

static void first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

int rules_check(void)
{
	static const char *const tools[] = {"iptables", "ip6tables"};
	char out[256];

	for (size_t i = 0; i < 2; i++) {
		char *argv[] = {(char *)tools[i], "-V", NULL};
		int rc = run(argv, NULL, out, sizeof(out));

		if (rc == -ENOENT)
			return pr_err_ret(-ENOENT,
					  "%s not found: install it (apt-get install iptables)",
					  tools[i]);
		if (rc != 0 || !strstr(out, "nf_tables")) {
			first_line(out);
			pr_err("%s must use the nf_tables backend (found: %s); see "
			       "update-alternatives --config %s",
			       tools[i], out, tools[i]);
			return -ENOTSUP;
		}
	}
	return 0;
}

int rules_install(const char *pinned_filter, uint16_t queue_num)
{
	static const char *const restore[] = {"iptables-restore", "ip6tables-restore"};
	char rules[1024], out[1024];

	/*
	 * --syn (SYN set, ACK/RST/FIN clear) on the jump itself: every other
	 * packet of the host costs one native match, not a jump and a return.
	 * Only held sockets match the filter.
	 */
	snprintf(rules, sizeof(rules),
		 "*raw\n"
		 ":" HO_CHAIN " - [0:0]\n"
		 "-A " HO_CHAIN " -m bpf --object-pinned %s"
		 " -j NFQUEUE --queue-num %u --queue-bypass\n"
		 "-I OUTPUT 1 -p tcp --syn -j " HO_CHAIN "\n"
		 "COMMIT\n",
		 pinned_filter, queue_num);
	for (size_t i = 0; i < 2; i++) {
		char *argv[] = {(char *)restore[i], "-w", "--noflush", NULL};
		int rc = run(argv, rules, out, sizeof(out));

		if (rc != 0) {
			first_line(out);
			pr_err("%s failed: %s", restore[i], rc < 0 ? strerror(-rc) : out);
			(void)rules_remove();
			return -EIO;
		}
	}
	return 0;
}

int rules_remove(void)
{
	static const char *const tools[] = {"iptables", "ip6tables"};
	char out[256];

	for (size_t i = 0; i < 2; i++) {
		char *del[] = {(char *)tools[i], "-w", "-t",	 "raw", "-D", "OUTPUT", "-p", "tcp",
			       "--syn",		 "-j", HO_CHAIN, NULL};
		/* the jump as daemons before 0.2 wrote it */
		char *del_old[] = {(char *)tools[i], "-w", "-t",     "raw", "-D",
				   "OUTPUT",	     "-j", HO_CHAIN, NULL};
		char *flush[] = {(char *)tools[i], "-w", "-t", "raw", "-F", HO_CHAIN, NULL};
		char *xdel[] = {(char *)tools[i], "-w", "-t", "raw", "-X", HO_CHAIN, NULL};

		/* bounded: a dead daemon leaves at most a few jumps behind */
		for (int n = 0; n < 16 && run(del, NULL, out, sizeof(out)) == 0; n++)
			;
		for (int n = 0; n < 16 && run(del_old, NULL, out, sizeof(out)) == 0; n++)
			;
		run(flush, NULL, out, sizeof(out));
		run(xdel, NULL, out, sizeof(out));
	}
	return 0;
}
