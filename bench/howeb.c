// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * howeb: the live hosts' web server for the containment benchmark
 * (bench/contain.sh). Listens on 0.0.0.0:PORT for each PORT given; in the
 * peer namespace, where a whole /16 is a local route, that is every address
 * of the /16 the firewall lets through. Answers each request (whatever it
 * asks, once its header has ended) with "200 OK" and a 1 KiB body, then
 * closes; a connection that closes without asking is just closed. Prints
 * "ready" once listening; runs until killed. Benchmark use only, inside a
 * namespace of its own.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 8
#define MAX_FD	  65536
#define BODY	  1024

/* per connection: how much of "\r\n\r\n" the request has matched so far */
static unsigned char matched[MAX_FD];
static char reply[256 + BODY];
static int reply_len;

static void serve(int ep, int fd)
{
	static const char end[] = "\r\n\r\n";
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == end[matched[fd]])
				matched[fd]++;
			else
				matched[fd] = buf[i] == '\r';
			if (matched[fd] == 4) {
				/* small enough for the socket buffer: one write */
				if (write(fd, reply, (size_t)reply_len) < 0) {
					/* the client has gone: nothing to answer */
				}
				goto done;
			}
		}
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
done:
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

int main(int argc, char **argv)
{
	int ep, one = 1, lfd[MAX_PORTS], nl = 0;
	char body[BODY];

	if (argc < 2 || argc > MAX_PORTS + 1) {
		fprintf(stderr, "usage: howeb PORT [PORT...]\n");
		return 2;
	}
	memset(body, 'x', sizeof(body));
	reply_len = snprintf(reply, sizeof(reply),
			     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
			     "Content-Length: %d\r\nConnection: close\r\n\r\n",
			     BODY);
	memcpy(reply + reply_len, body, BODY);
	reply_len += BODY;
	ep = epoll_create1(0);
	if (ep < 0)
		return perror("howeb: epoll"), 1;
	for (int i = 1; i < argc; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons((uint16_t)atoi(argv[i])),
					.sin_addr.s_addr = htonl(INADDR_ANY)};
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)nl};
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			perror("howeb: listen");
			return 1;
		}
		lfd[nl++] = fd;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);

		if (n < 0 && errno != EINTR)
			return perror("howeb: epoll_wait"), 1;
		for (int i = 0; i < n; i++) {
			uint32_t u = evs[i].data.u32;
			int c;

			if (u >= MAX_PORTS) {
				serve(ep, (int)(u - MAX_PORTS));
				continue;
			}
			while ((c = accept4(lfd[u], NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				struct epoll_event ev = {.events = EPOLLIN,
							 .data.u32 = (uint32_t)c + MAX_PORTS};

				if (c >= MAX_FD - MAX_PORTS ||
				    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev)) {
					close(c);
					continue;
				}
				matched[c] = 0;
			}
		}
	}
}
