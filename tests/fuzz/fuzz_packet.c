// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tuple parser of held SYNs on any bytes, as NFQUEUE hands them over: a
 * tuple it reads has the family of the IP version and the TCP ports right
 * after the IP header, all inside the packet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ho_tuple t;
	size_t l4;

	if (packet_tuple(data, size, &t))
		return 0;
	l4 = (data[0] >> 4) == 4 ? (size_t)(data[0] & 0xf) * 4 : 40;
	if (t.family != ((data[0] >> 4) == 4 ? AF_INET : AF_INET6) || size < l4 + 4 ||
	    memcmp(&t.sport, data + l4, 2) || memcmp(&t.dport, data + l4 + 2, 2))
		abort();
	return 0;
}
