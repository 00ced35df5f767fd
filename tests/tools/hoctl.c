// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoctl: one control request the halfopen command would never send, for the
 * tests of what halfopend itself accepts.
 *
 *   hoctl policy-set PATH LIMIT [transient]   a cgroup policy, as sent
 *
 * Prints "ok" or "error: MESSAGE"; exit 0, 1 (refused) or 2 (usage, socket).
 * Test use only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl_proto.h"

int main(int argc, char **argv)
{
	struct ho_ctl_policy req = {0};
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_hdr hdr;
	const void *payload;
	int fd, err;

	if (argc < 4 || argc > 5 || strcmp(argv[1], "policy-set") ||
	    (argc == 5 && strcmp(argv[4], "transient"))) {
		fprintf(stderr, "usage: hoctl policy-set PATH LIMIT [transient]\n");
		return 2;
	}
	req.p.kind = HO_SCOPE_CGROUP;
	req.p.limit = (uint32_t)strtoul(argv[3], NULL, 10);
	snprintf(req.p.name, sizeof(req.p.name), "%s", argv[2]);
	req.flags = argc == 5 ? HO_POLICY_F_TRANSIENT : 0;
	fd = ho_ctl_connect();
	if (fd < 0 || ho_ctl_send(fd, HO_CTL_POLICY_SET, &req, sizeof(req)) ||
	    (err = ho_ctl_recv(fd, buf, sizeof(buf), &hdr, &payload))) {
		fprintf(stderr, "hoctl: cannot talk to halfopend\n");
		return 2;
	}
	close(fd);
	if (hdr.type == HO_CTL_ERR) {
		printf("error: %s\n", ((const struct ho_ctl_err *)payload)->msg);
		return 1;
	}
	printf("ok\n");
	return 0;
}
