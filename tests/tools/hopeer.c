// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hopeer: the accepting test peer. Listens on [::]:PORT (IPv4 and IPv6) for
 * each PORT given, accepts and closes every connection, until killed.
 * Prints "ready" once listening. Test use only, inside a test namespace.
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 8

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_PORTS];
	int n = 0, one = 1, zero = 0;

	if (argc < 2 || argc > MAX_PORTS + 1) {
		fprintf(stderr, "usage: hopeer PORT [PORT...]\n");
		return 2;
	}
	for (int i = 1; i < argc; i++, n++) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6,
					 .sin6_port = htons((uint16_t)atoi(argv[i])),
					 .sin6_addr = IN6ADDR_ANY_INIT};
		int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
			perror("hopeer: listen");
			return 1;
		}
		pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0)
			return 1;
		for (int i = 0; i < n; i++) {
			int c;

			while ((c = accept(pfd[i].fd, NULL, NULL)) >= 0)
				close(c);
		}
	}
}
