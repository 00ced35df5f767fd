// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include "packet.h"

int packet_tuple(const void *pkt, size_t len, struct ho_tuple *t)
{
	const unsigned char *p = pkt;
	size_t l4;

	memset(t, 0, sizeof(*t));
	if (len < 1)
		return -EINVAL;
	if ((p[0] >> 4) == 4) {
		struct iphdr ip;

		if (len < sizeof(ip))
			return -EINVAL;
		memcpy(&ip, p, sizeof(ip));
		if (ip.protocol != IPPROTO_TCP || ip.ihl < 5)
			return -EINVAL;
		t->family = AF_INET;
		memcpy(t->saddr, &ip.saddr, 4);
		memcpy(t->daddr, &ip.daddr, 4);
		l4 = (size_t)ip.ihl * 4;
	} else if ((p[0] >> 4) == 6) {
		struct ip6_hdr ip6;

		if (len < sizeof(ip6))
			return -EINVAL;
		memcpy(&ip6, p, sizeof(ip6));
		if (ip6.ip6_nxt != IPPROTO_TCP)
			return -EINVAL;
		t->family = AF_INET6;
		memcpy(t->saddr, &ip6.ip6_src, 16);
		memcpy(t->daddr, &ip6.ip6_dst, 16);
		l4 = sizeof(ip6);
	} else {
		return -EINVAL;
	}
	if (len < l4 + 4)
		return -EINVAL;
	memcpy(&t->sport, p + l4, 2);
	memcpy(&t->dport, p + l4 + 2, 2);
	return 0;
}
