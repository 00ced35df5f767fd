// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <string.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include "packet.h"
#include "unit.h"

static void test_ipv4(void)
{
	unsigned char pkt[60] = {0};
	struct iphdr ip = {.version = 4, .ihl = 6, .protocol = IPPROTO_TCP};
	struct ho_tuple t;
	uint16_t ports[2] = {htons(40000), htons(8082)};

	ip.saddr = htonl(0x0a2a0001);
	ip.daddr = htonl(0x0a2a0002);
	memcpy(pkt, &ip, sizeof(ip));
	memcpy(pkt + 24, ports, 4); /* after 4 bytes of IP options */
	CHECK(packet_tuple(pkt, 28, &t) == 0);
	CHECK(t.family == AF_INET && t.sport == htons(40000) && t.dport == htons(8082));
	CHECK(!memcmp(t.saddr, &ip.saddr, 4) && !memcmp(t.daddr, &ip.daddr, 4));
	CHECK(packet_tuple(pkt, 27, &t) < 0); /* ports cut off */
	pkt[9] = IPPROTO_UDP;
	CHECK(packet_tuple(pkt, 28, &t) < 0);
}

static void test_ipv6(void)
{
	unsigned char pkt[60] = {0};
	struct ip6_hdr ip6 = {0};
	struct ho_tuple t;
	uint16_t ports[2] = {htons(1), htons(2)};

	ip6.ip6_vfc = 6 << 4;
	ip6.ip6_nxt = IPPROTO_TCP;
	inet_pton(AF_INET6, "fd42::1", &ip6.ip6_src);
	inet_pton(AF_INET6, "fd42::2", &ip6.ip6_dst);
	memcpy(pkt, &ip6, sizeof(ip6));
	memcpy(pkt + 40, ports, 4);
	CHECK(packet_tuple(pkt, 44, &t) == 0);
	CHECK(t.family == AF_INET6 && t.sport == htons(1) && t.dport == htons(2));
	CHECK(!memcmp(t.daddr, &ip6.ip6_dst, 16));
	CHECK(packet_tuple(pkt, 43, &t) < 0);
	CHECK(packet_tuple(pkt, 0, &t) < 0);
	pkt[0] = 5 << 4;
	CHECK(packet_tuple(pkt, 44, &t) < 0);
}

int main(void)
{
	test_ipv4();
	test_ipv6();
	return unit_done("test_packet");
}
