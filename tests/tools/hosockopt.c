// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hosockopt: the socket interface (include/halfopen.h) driven by the
 * namespace tests (tests/net/test_sockopt.sh).
 *
 *   hosockopt ADDR PORT
 *	Prints "ready", then reads commands on stdin, one reply line each:
 *	  open I [noqueue]   a TCP socket I (non-blocking), optionally with
 *	                     HALFOPEN_NOQUEUE set            -> "opened I RC ERRNO"
 *	  connect I          non-blocking connect()          -> "connect I RC ERRNO MS"
 *	  bconnect I         blocking connect() of socket I in a thread of its
 *	                     own; its end is reported later  -> "bconnect I started",
 *	                                                        "bconnected I RC ERRNO"
 *	  info I [LEN]       getsockopt(HALFOPEN_INFO), LEN bytes (default all)
 *	                     -> "info I rc=.. errno=.. len=.. size=.. version=..
 *	                         state=.. flags=.. position=.. outcome=.. waited_ms=..
 *	                         age_ms=.. scope=.. limit=.. in_flight=.. queued=.. scope_id=.."
 *	  get I LEVEL NAME LEN  raw getsockopt: "get I rc=.. errno=.. len=.. hex=.."
 *	  set I LEVEL NAME VAL LEN  raw setsockopt of an int: "set I rc=.. errno=.."
 *	  wait I MS          until socket I is writable (connected or failed)
 *	                     -> "waited I SO_ERROR" or "waited I timeout"
 *	  close I            -> "closed I"
 *	  quit
 *	ERRNO is a name (ENOBUFS, EINPROGRESS, ...) or 0. Every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "../../include/halfopen.h"

#define MAX_SOCKS 64

static int fds[MAX_SOCKS];
static struct sockaddr_storage peer;
static socklen_t peer_len;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static const char *ename(int rc, int err)
{
	static __thread char buf[32];

	if (rc == 0)
		return "0";
	switch (err) {
	case ENOBUFS:
		return "ENOBUFS";
	case EINPROGRESS:
		return "EINPROGRESS";
	case ENOPROTOOPT:
		return "ENOPROTOOPT";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EINVAL:
		return "EINVAL";
	case EPERM:
		return "EPERM";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EFAULT:
		return "EFAULT";
	default:
		snprintf(buf, sizeof(buf), "errno%d", err);
		return buf;
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_addr(const char *host, const char *port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&peer;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&peer;

	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(port));
		peer_len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)atoi(port));
		peer_len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static void do_info(int i, int len)
{
	struct halfopen_info hi;
	socklen_t l = len > 0 && len < (int)sizeof(hi) ? (socklen_t)len : sizeof(hi);
	int rc;

	memset(&hi, 0xee, sizeof(hi));
	rc = getsockopt(fds[i], SOL_HALFOPEN, HALFOPEN_INFO, &hi, &l);
	say("info %d rc=%d errno=%s len=%u size=%u version=%u state=%u flags=%u position=%u "
	    "outcome=%u waited_ms=%llu age_ms=%llu scope=%u limit=%u in_flight=%u queued=%u "
	    "scope_id=%llu",
	    i, rc, ename(rc, errno), l, hi.hi_size, hi.hi_version, hi.hi_state, hi.hi_flags,
	    hi.hi_position, hi.hi_outcome, (unsigned long long)hi.hi_waited_ns / 1000000,
	    (unsigned long long)hi.hi_age_ns / 1000000, hi.hi_scope, hi.hi_limit, hi.hi_in_flight,
	    hi.hi_queued, (unsigned long long)hi.hi_scope_id);
}

static void do_get(int i, int level, int name, int len)
{
	unsigned char buf[512];
	char hex[2 * sizeof(buf) + 1] = "";
	socklen_t l = len >= 0 && len <= (int)sizeof(buf) ? (socklen_t)len : sizeof(buf);
	int rc;

	memset(buf, 0xee, sizeof(buf));
	rc = getsockopt(fds[i], level, name, buf, &l);
	for (socklen_t n = 0; rc == 0 && n < l && n < sizeof(buf); n++)
		sprintf(hex + 2 * n, "%02x", buf[n]);
	say("get %d rc=%d errno=%s len=%u hex=%s", i, rc, ename(rc, errno), l, hex);
}

static void *blocking_connect(void *arg)
{
	int i = (int)(long)arg, rc;

	rc = connect(fds[i], (struct sockaddr *)&peer, peer_len);
	say("bconnected %d %d %s", i, rc, ename(rc, errno));
	return NULL;
}

static void do_wait(int i, long ms)
{
	struct pollfd p = {.fd = fds[i], .events = POLLOUT};
	int err = 0;
	socklen_t l = sizeof(err);

	if (poll(&p, 1, (int)ms) != 1) {
		say("waited %d timeout", i);
		return;
	}
	getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &l);
	say("waited %d %s", i, ename(err != 0, err));
}

static int open_sock(int i, int noqueue)
{
	int one = 1, rc = 0;

	fds[i] = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fds[i] < 0)
		return -1;
	if (noqueue)
		rc = setsockopt(fds[i], SOL_HALFOPEN, HALFOPEN_NOQUEUE, &one, sizeof(one));
	return rc;
}

int main(int argc, char **argv)
{
	char line[256], word[16];
	int i, a, b, c, d, rc;
	long t0, ms;
	pthread_t th;

	if (argc != 3 || parse_addr(argv[1], argv[2])) {
		fprintf(stderr, "usage: hosockopt ADDR PORT\n");
		return 2;
	}
	for (i = 0; i < MAX_SOCKS; i++)
		fds[i] = -1;
	say("ready");
	while (fgets(line, sizeof(line), stdin)) {
		i = -1;
		if (sscanf(line, "%15s %d", word, &i) < 1)
			continue;
		if (!strcmp(word, "quit"))
			break;
		if (i < 0 || i >= MAX_SOCKS) {
			say("error bad socket number");
			continue;
		}
		if (!strcmp(word, "open")) {
			rc = open_sock(i, strstr(line, "noqueue") != NULL);
			say("opened %d %d %s", i, rc, ename(rc, errno));
		} else if (fds[i] < 0) {
			say("error socket %d is not open", i);
		} else if (!strcmp(word, "connect")) {
			t0 = now_ms();
			rc = connect(fds[i], (struct sockaddr *)&peer, peer_len);
			say("connect %d %d %s %ld", i, rc, ename(rc, errno), now_ms() - t0);
		} else if (!strcmp(word, "bconnect")) {
			/* blocking from here on */
			fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) & ~O_NONBLOCK);
			if (pthread_create(&th, NULL, blocking_connect, (void *)(long)i)) {
				say("error cannot start a thread");
				continue;
			}
			pthread_detach(th);
			say("bconnect %d started", i);
		} else if (!strcmp(word, "info")) {
			a = 0;
			sscanf(line, "%*s %*d %d", &a);
			do_info(i, a);
		} else if (!strcmp(word, "get") &&
			   sscanf(line, "%*s %*d %d %d %d", &a, &b, &c) == 3) {
			do_get(i, a, b, c);
		} else if (!strcmp(word, "set") &&
			   sscanf(line, "%*s %*d %d %d %d %d", &a, &b, &c, &d) == 4) {
			rc = setsockopt(fds[i], a, b, &c, (socklen_t)d);
			say("set %d rc=%d errno=%s", i, rc, ename(rc, errno));
		} else if (!strcmp(word, "wait") && sscanf(line, "%*s %*d %ld", &ms) == 1) {
			do_wait(i, ms);
		} else if (!strcmp(word, "close")) {
			close(fds[i]);
			fds[i] = -1;
			say("closed %d", i);
		} else {
			say("error unknown command");
		}
	}
	return 0;
}
