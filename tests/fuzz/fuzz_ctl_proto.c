// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control codec on any bytes, as halfopend and halfopen receive them: a
 * message it takes is encoded again to the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_hdr hdr;
	const void *payload;
	int n;

	if (ho_ctl_decode(data, size, &hdr, &payload))
		return 0;
	if ((const uint8_t *)payload < data || (const uint8_t *)payload + hdr.len > data + size)
		abort();
	n = ho_ctl_encode(buf, sizeof(buf), hdr.type, payload, hdr.len);
	if (size <= sizeof(buf) && (n != (int)size || memcmp(buf, data, size)))
		abort();
	return 0;
}
