// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

bool cli_json;

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("halfopen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_bad_option(const char *cmd, int c, char *const *argv)
{
	const char *arg = argv[optind - 1];
	int len = (int)strcspn(arg, "=");
	char opt[3] = {'-', (char)optopt, '\0'};

	/* a long option by its name, a short one by its letter (even in "-bx") */
	if (strncmp(arg, "--", 2) && optopt)
		arg = opt, len = 2;
	if (c == ':')
		return cli_fail("%s: option '%.*s' needs a value", cmd, len, arg), 2;
	return cli_fail("%s: unknown option '%.*s' (try: halfopen --help)", cmd, len, arg), 2;
}

int cli_connect(void)
{
	int fd = ho_ctl_connect();

	if (fd == -ECONNREFUSED || fd == -ENOENT)
		return cli_fail("no halfopend is running in this network namespace"), -1;
	if (fd == -EPERM)
		return cli_fail("the control socket is not served by root: refusing to trust it"),
		       -1;
	if (fd < 0)
		return cli_fail("cannot reach halfopend: %s", strerror(-fd)), -1;
	return fd;
}

/* Receive one message; an ERR reply is reported. 0, or 1. */
static int recv_one(int fd, char *buf, struct ho_ctl_hdr *hdr, const void **payload)
{
	int err = ho_ctl_recv(fd, buf, HO_CTL_MAX_MSG, hdr, payload);

	if (err == -ECONNRESET)
		return cli_fail("halfopend closed the connection");
	if (err)
		return cli_fail("talking to halfopend: %s", strerror(-err));
	if (hdr->type == HO_CTL_ERR)
		return cli_fail("%s", ((const struct ho_ctl_err *)*payload)->msg);
	return 0;
}

/* Connect and send a request: the fd, or -1 after saying why. */
static int open_request(uint16_t type, const void *req, uint32_t len)
{
	int fd = cli_connect(), err;

	if (fd < 0)
		return -1;
	err = ho_ctl_send(fd, type, req, len);
	if (err) {
		char buf[HO_CTL_MAX_MSG];
		struct ho_ctl_hdr hdr;
		const void *payload;

		/* refused at accept (too many connections): the daemon said why first */
		if (ho_ctl_recv(fd, buf, sizeof(buf), &hdr, &payload) == 0 &&
		    hdr.type == HO_CTL_ERR)
			cli_fail("%s", ((const struct ho_ctl_err *)payload)->msg);
		else
			cli_fail("talking to halfopend: %s", strerror(-err));
		close(fd);
		return -1;
	}
	return fd;
}

int cli_call(uint16_t type, const void *req, uint32_t len, uint16_t want, void *out, uint32_t olen)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_hdr hdr;
	const void *payload;
	int fd = open_request(type, req, len), err;

	if (fd < 0)
		return 1;
	err = recv_one(fd, buf, &hdr, &payload);
	close(fd);
	if (err)
		return 1;
	if (hdr.type != want || hdr.len != olen)
		return cli_fail("unexpected reply from halfopend");
	memcpy(out, payload, olen);
	return 0;
}

int cli_status_call(uint16_t type, const void *req, uint32_t len, struct ho_ctl_status *out)
{
	return cli_call(type, req, len, HO_CTL_STATUS_REP, out, sizeof(*out));
}

int cli_list(uint16_t type, const void *req, uint32_t len, uint16_t row_type, cli_row_fn fn,
	     void *ctx, bool follow, struct ho_ctl_end *end)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_hdr hdr;
	const void *payload;
	bool ended = false;
	int fd = open_request(type, req, len), err = 0;

	if (fd < 0)
		return 1;
	while (!err) {
		err = recv_one(fd, buf, &hdr, &payload);
		if (err)
			break;
		if (hdr.type == HO_CTL_END && !ended) {
			if (end)
				memcpy(end, payload, sizeof(*end));
			ended = true;
			if (!follow)
				break;
		} else if (hdr.type == row_type) {
			if (fn(ctx, payload))
				break;
		} else {
			err = cli_fail("unexpected reply from halfopend");
		}
	}
	close(fd);
	return err;
}

const char *fmt_addr(const struct ho_attempt *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->daddr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *fmt_dest(const struct ho_attempt *a, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	fmt_addr(a, addr, sizeof(addr));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", addr, a->dport);
	else
		snprintf(buf, len, "%s:%u", addr, a->dport);
	return buf;
}

const char *fmt_age(uint64_t ns, char *buf, size_t len)
{
	uint64_t ms = ns / 1000000;

	if (ms < 10000)
		snprintf(buf, len, "%.2fs", (double)ms / 1000);
	else if (ms < 600000)
		snprintf(buf, len, "%lus", (unsigned long)(ms / 1000));
	else if (ms < 36000000)
		snprintf(buf, len, "%lum", (unsigned long)(ms / 60000));
	else
		snprintf(buf, len, "%luh", (unsigned long)(ms / 3600000));
	return buf;
}
