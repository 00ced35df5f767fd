// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctl_proto.h"
#include "unit.h"

static void test_roundtrip(void)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_limit l = {.limit = 42};
	struct ho_ctl_hdr hdr;
	const void *p;
	int n;

	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_SET_LIMIT, &l, sizeof(l));
	CHECK(n == (int)(sizeof(hdr) + sizeof(l)));
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == 0);
	CHECK(hdr.type == HO_CTL_SET_LIMIT && ((const struct ho_ctl_limit *)p)->limit == 42);
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_STATUS, NULL, 0);
	CHECK(n == (int)sizeof(hdr));
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == 0 && hdr.type == HO_CTL_STATUS);
}

static void test_refused(void)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_limit l = {.limit = 1};
	struct ho_ctl_err e;
	struct ho_ctl_hdr hdr, h2 = {.version = 99, .type = HO_CTL_STATUS};
	const void *p = NULL;
	int n;

	/* encoder: wrong size for the type, unknown type, no room */
	CHECK(ho_ctl_encode(buf, sizeof(buf), HO_CTL_SET_LIMIT, &l, 4) == -EINVAL);
	CHECK(ho_ctl_encode(buf, sizeof(buf), 999, &l, sizeof(l)) == -EINVAL);
	CHECK(ho_ctl_encode(buf, 4, HO_CTL_SET_LIMIT, &l, sizeof(l)) == -ENOSPC);

	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_SET_LIMIT, &l, sizeof(l));
	/* truncated, padded, short header */
	CHECK(ho_ctl_decode(buf, (size_t)n - 1, &hdr, &p) == -EBADMSG);
	CHECK(ho_ctl_decode(buf, (size_t)n + 1, &hdr, &p) == -EBADMSG);
	CHECK(ho_ctl_decode(buf, 3, &hdr, &p) == -EBADMSG);
	/* unknown flags are refused */
	l.flags = 2;
	memcpy(buf + sizeof(hdr), &l, sizeof(l));
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	/* other version */
	memcpy(buf, &h2, sizeof(h2));
	CHECK(ho_ctl_decode(buf, sizeof(h2), &hdr, &p) == -EPROTO);
	/* header length lies about the payload */
	h2 = (struct ho_ctl_hdr){.version = HO_CTL_VERSION, .type = HO_CTL_STATUS, .len = 8};
	memcpy(buf, &h2, sizeof(h2));
	CHECK(ho_ctl_decode(buf, sizeof(h2) + 8, &hdr, &p) == -EBADMSG);
	/* error text without its terminator */
	memset(&e, 'x', sizeof(e));
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_ERR, &e, sizeof(e));
	CHECK(n > 0 && ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	CHECK(p == NULL); /* outputs untouched on failure */
}

static void test_lists(void)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_ps_req ps = {.flags = HO_PS_F_UID, .uid = 65534};
	struct ho_ctl_stats_req st = {.kind = 7};
	struct ho_ctl_ps_row row;
	struct ho_ctl_hdr hdr;
	const void *p;
	int n;

	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_PS, &ps, sizeof(ps));
	CHECK(n > 0 && ho_ctl_decode(buf, (size_t)n, &hdr, &p) == 0);
	/* in flight and queued only at once: a contradiction */
	ps.flags = HO_PS_F_INFLIGHT | HO_PS_F_QUEUED;
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_PS, &ps, sizeof(ps));
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	ps.flags = 1u << 20; /* unknown flag */
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_PS, &ps, sizeof(ps));
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	ps.flags = HO_PS_F_CGROUP;
	memset(ps.cgroup, 'a', sizeof(ps.cgroup)); /* no terminator */
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_PS, &ps, sizeof(ps));
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_STATS, &st, sizeof(st));
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	memset(&row, 'x', sizeof(row));
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_PS_ROW, &row, sizeof(row));
	CHECK(n > 0 && ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	row.cgroup[0] = '\0';
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_PS_ROW, &row, sizeof(row));
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == 0 && hdr.type == HO_CTL_PS_ROW);
}

static int encode_policy(char *buf, const struct ho_ctl_policy *r)
{
	return ho_ctl_encode(buf, HO_CTL_MAX_MSG, HO_CTL_POLICY_SET, r, sizeof(*r));
}

/* Policy requests: kinds, flags and the name are checked before the daemon looks. */
static void test_policy(void)
{
	char buf[HO_CTL_MAX_MSG];
	struct ho_ctl_policy r = {.p = {.kind = HO_SCOPE_CGROUP, .limit = 5, .name = "/a"}};
	struct ho_ctl_hdr hdr;
	const void *p;
	int n;

	n = encode_policy(buf, &r);
	CHECK(n > 0 && ho_ctl_decode(buf, (size_t)n, &hdr, &p) == 0);
	r.p.kind = 3;
	n = encode_policy(buf, &r);
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	r.p.kind = HO_SCOPE_USER;
	r.p.flags = HO_SCOPE_F_RAW_DENY | HO_SCOPE_F_EXEMPT;
	n = encode_policy(buf, &r);
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == 0);
	r.p.flags = 4; /* unknown */
	n = encode_policy(buf, &r);
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	r.p.flags = HO_SCOPE_F_EXEMPT;
	r.flags = 4;
	n = encode_policy(buf, &r);
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	r.flags = HO_POLICY_F_PERSIST;
	memset(r.p.name, 'u', sizeof(r.p.name));
	n = encode_policy(buf, &r);
	CHECK(ho_ctl_decode(buf, (size_t)n, &hdr, &p) == -EBADMSG);
	/* the list request has no payload; a byte more is refused */
	n = ho_ctl_encode(buf, sizeof(buf), HO_CTL_POLICY_LIST, &r, 1);
	CHECK(n < 0 || ho_ctl_decode(buf, (size_t)n, &hdr, &p) != 0);
}

static void test_transport(void)
{
	char buf[HO_CTL_MAX_MSG], big[HO_CTL_MAX_MSG * 2] = {0};
	struct ho_ctl_hdr hdr;
	const void *p;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	CHECK(ho_ctl_send_err(sv[0], EPERM, "only %s", "root") == 0);
	CHECK(ho_ctl_recv(sv[1], buf, sizeof(buf), &hdr, &p) == 0);
	CHECK(hdr.type == HO_CTL_ERR && !strcmp(((const struct ho_ctl_err *)p)->msg, "only root"));
	/* an oversized packet is refused, not read in part */
	CHECK(send(sv[0], big, sizeof(big), 0) == (ssize_t)sizeof(big));
	CHECK(ho_ctl_recv(sv[1], buf, sizeof(buf), &hdr, &p) == -EMSGSIZE);
	close(sv[0]);
	CHECK(ho_ctl_recv(sv[1], buf, sizeof(buf), &hdr, &p) == -ECONNRESET);
	close(sv[1]);
}

/* The socket and lock of this network namespace, named by its inode. */
static void test_path(void)
{
	char buf[108], want[108], tiny[20];
	struct stat st;

	CHECK(stat("/proc/self/ns/net", &st) == 0);
	snprintf(want, sizeof(want), "/run/halfopen/net-%lu.sock", (unsigned long)st.st_ino);
	CHECK(ho_ctl_path(buf, sizeof(buf), "sock") == 0 && !strcmp(buf, want));
	CHECK(ho_ctl_path(tiny, sizeof(tiny), "lock") == -ENAMETOOLONG);
}

int main(void)
{
	test_policy();
	test_roundtrip();
	test_refused();
	test_lists();
	test_transport();
	test_path();
	return unit_done("test_ctl_proto");
}
