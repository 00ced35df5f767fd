// SPDX-License-Identifier: GPL-2.0-or-later
/* The control protocol codec and transport: see ctl_proto.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "ctl_proto.h"

/* Every message and the size of its payload: what is not here is not a message. */
static const struct {
	uint16_t type;
	uint32_t size;
} payloads[] = {
	{HO_CTL_STATUS, 0},
	{HO_CTL_SET_LIMIT, sizeof(struct ho_ctl_limit)},
	{HO_CTL_PS, sizeof(struct ho_ctl_ps_req)},
	{HO_CTL_STATS, sizeof(struct ho_ctl_stats_req)},
	{HO_CTL_EVENTS, sizeof(struct ho_ctl_events_req)},
	{HO_CTL_HISTORY, 0},
	{HO_CTL_POLICY_SET, sizeof(struct ho_ctl_policy)},
	{HO_CTL_POLICY_DEL, sizeof(struct ho_ctl_policy)},
	{HO_CTL_POLICY_LIST, 0},
	{HO_CTL_STATUS_REP, sizeof(struct ho_ctl_status)},
	{HO_CTL_ERR, sizeof(struct ho_ctl_err)},
	{HO_CTL_PS_ROW, sizeof(struct ho_ctl_ps_row)},
	{HO_CTL_STATS_ROW, sizeof(struct ho_ctl_stats_row)},
	{HO_CTL_EVENT_ROW, sizeof(struct ho_ctl_event_row)},
	{HO_CTL_END, sizeof(struct ho_ctl_end)},
	{HO_CTL_HISTORY_REP, sizeof(struct ho_ctl_history)},
	{HO_CTL_POLICY_ROW, sizeof(struct ho_ctl_policy_row)},
	{HO_CTL_PARDON, sizeof(struct ho_ctl_pardon)},
};

int ho_ctl_payload_size(uint16_t type)
{
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
		if (payloads[i].type == type)
			return (int)payloads[i].size;
	return -1;
}

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

/* What the fixed size cannot say: strings end, flags and kinds are known. */
static bool payload_valid(uint16_t type, const void *p)
{
	switch (type) {
	case HO_CTL_ERR:
		return TERMINATED(((const struct ho_ctl_err *)p)->msg);
	case HO_CTL_SET_LIMIT:
		return (((const struct ho_ctl_limit *)p)->flags & ~HO_LIMIT_F_PERSIST) == 0;
	case HO_CTL_PS: {
		const struct ho_ctl_ps_req *r = p;

		return !(r->flags & ~HO_PS_F_ALL) && TERMINATED(r->cgroup) &&
		       (r->flags & (HO_PS_F_INFLIGHT | HO_PS_F_QUEUED)) !=
			       (HO_PS_F_INFLIGHT | HO_PS_F_QUEUED);
	}
	case HO_CTL_STATS:
		return ((const struct ho_ctl_stats_req *)p)->kind <= HO_STATS_CGROUPS;
	case HO_CTL_EVENTS:
		return ((const struct ho_ctl_events_req *)p)->follow <= 1;
	case HO_CTL_PS_ROW:
		return TERMINATED(((const struct ho_ctl_ps_row *)p)->cgroup);
	case HO_CTL_STATS_ROW:
		return TERMINATED(((const struct ho_ctl_stats_row *)p)->cgroup);
	case HO_CTL_EVENT_ROW:
		return TERMINATED(((const struct ho_ctl_event_row *)p)->top_cgroup) &&
		       TERMINATED(((const struct ho_ctl_event_row *)p)->scope);
	case HO_CTL_HISTORY_REP:
		return ((const struct ho_ctl_history *)p)->n <= HO_HISTORY_LEN;
	case HO_CTL_POLICY_SET:
	case HO_CTL_POLICY_DEL: {
		const struct ho_ctl_policy *r = p;

		return TERMINATED(r->p.name) &&
		       (r->p.kind == HO_SCOPE_CGROUP || r->p.kind == HO_SCOPE_USER) &&
		       !(r->p.flags & ~(HO_SCOPE_F_EXEMPT | HO_SCOPE_F_RAW_DENY)) &&
		       !(r->flags & ~(HO_POLICY_F_PERSIST | HO_POLICY_F_TRANSIENT));
	}
	case HO_CTL_POLICY_ROW:
		return TERMINATED(((const struct ho_ctl_policy_row *)p)->p.name);
	case HO_CTL_PARDON: {
		const struct ho_ctl_pardon *r = p;

		return TERMINATED(r->cgroup) &&
		       (r->kind == HO_SCOPE_PROC || r->kind == HO_SCOPE_CGROUP ||
			r->kind == HO_SCOPE_USER);
	}
	default:
		return true;
	}
}

int ho_ctl_encode(void *buf, size_t size, uint16_t type, const void *payload, uint32_t len)
{
	struct ho_ctl_hdr hdr = {.version = HO_CTL_VERSION, .type = type, .len = len};

	if (ho_ctl_payload_size(type) != (int)len || (len && !payload))
		return -EINVAL;
	if (sizeof(hdr) + len > size)
		return -ENOSPC;
	memcpy(buf, &hdr, sizeof(hdr));
	if (len)
		memcpy((char *)buf + sizeof(hdr), payload, len);
	return (int)(sizeof(hdr) + len);
}

int ho_ctl_decode(const void *buf, size_t n, struct ho_ctl_hdr *hdr, const void **payload)
{
	struct ho_ctl_hdr h;
	const void *p;

	if (n < sizeof(h))
		return -EBADMSG;
	memcpy(&h, buf, sizeof(h));
	if (h.version != HO_CTL_VERSION)
		return -EPROTO;
	if (ho_ctl_payload_size(h.type) < 0 || (size_t)ho_ctl_payload_size(h.type) != h.len ||
	    n - sizeof(h) != h.len)
		return -EBADMSG;
	p = (const char *)buf + sizeof(h);
	if (!payload_valid(h.type, p))
		return -EBADMSG;
	*hdr = h;
	*payload = p;
	return 0;
}

int ho_ctl_send(int fd, uint16_t type, const void *payload, uint32_t len)
{
	char buf[HO_CTL_MAX_MSG];
	int n = ho_ctl_encode(buf, sizeof(buf), type, payload, len);

	if (n < 0)
		return n;
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
		return -errno;
	return 0;
}

int ho_ctl_send_err(int fd, int err, const char *fmt, ...)
{
	struct ho_ctl_err e = {.err = err};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	return ho_ctl_send(fd, HO_CTL_ERR, &e, sizeof(e));
}

int ho_ctl_recv(int fd, void *buf, size_t size, struct ho_ctl_hdr *hdr, const void **payload)
{
	ssize_t n = recv(fd, buf, size, MSG_TRUNC);

	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n > size)
		return -EMSGSIZE;
	return ho_ctl_decode(buf, (size_t)n, hdr, payload);
}

int ho_ctl_path(char *buf, size_t len, const char *suffix)
{
	struct stat st;
	int n;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	n = snprintf(buf, len, HO_RUN_DIR "/net-%lu.%s", (unsigned long)st.st_ino, suffix);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ho_ctl_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t clen;
	struct ucred cred;
	int fd, err;

	err = ho_ctl_path(sun.sun_path, sizeof(sun.sun_path), "sock");
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = -errno;
		close(fd);
		return err;
	}
	/* only root can bind there; still, only talk to a daemon run by root */
	clen = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || cred.uid != 0) {
		close(fd);
		return -EPERM;
	}
	return fd;
}
