/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control protocol between halfopen (CLI) and halfopend.
 *
 * Transport: a SOCK_SEQPACKET unix socket bound to an abstract name. Abstract
 * names belong to a network namespace, so the CLI reaches the daemon of its
 * own namespace with no flag, a second daemon in the same namespace cannot
 * bind, and nothing is left on disk when the daemon dies.
 *
 * Each message is one packet: a header and a fixed-size payload whose length
 * must match its type exactly; anything else is refused. Changing requests
 * are allowed to root only (SO_PEERCRED); the CLI in turn only trusts a
 * daemon running as root.
 */
#ifndef HO_CTL_PROTO_H
#define HO_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HO_CTL_NAME    "halfopen/ctl" /* abstract: "\0halfopen/ctl" */
#define HO_CTL_VERSION 1
#define HO_CTL_MAX_MSG 512

enum ho_ctl_type {
	/* requests */
	HO_CTL_STATUS = 1,    /* no payload; reply STATUS_REP */
	HO_CTL_SET_LIMIT = 2, /* ho_ctl_limit; reply STATUS_REP or ERR */
	/* replies */
	HO_CTL_STATUS_REP = 64, /* ho_ctl_status */
	HO_CTL_ERR = 65,	/* ho_ctl_err */
};

struct ho_ctl_hdr {
	uint16_t version;
	uint16_t type;
	uint32_t len; /* payload bytes after the header */
};

struct ho_ctl_limit {
	uint32_t limit; /* 0: unlimited */
	uint32_t flags; /* none defined; must be 0 */
};

struct ho_ctl_status {
	uint32_t limit; /* 0: unlimited */
	uint32_t in_flight;
	uint32_t queued;
	uint32_t held; /* queued attempts whose SYN is held right now */
	uint32_t queue_max;
	uint32_t tracked_max;
	uint32_t pid;
	uint32_t queue_num;
	uint64_t started; /* unix time */
	uint64_t attempts;
	uint64_t queued_total;
	uint64_t released;
	uint64_t cancelled;
	uint64_t established;
	uint64_t refused;
	uint64_t failed;    /* timed out or other error */
	uint64_t closed;    /* in flight, closed by the application */
	uint64_t dropped;   /* SYN dropped, queue full */
	uint64_t untracked; /* attempt table full, let through */
};

struct ho_ctl_err {
	int32_t err;   /* positive errno */
	char msg[124]; /* NUL-terminated */
};

/* Build a message into buf; returns its size or -ENOSPC/-EINVAL. */
int ho_ctl_encode(void *buf, size_t size, uint16_t type, const void *payload, uint32_t len);
/*
 * Check a received message: version, known type, exact payload size, string
 * termination. Returns 0 and sets *hdr and *payload, or -EPROTO/-EBADMSG.
 */
int ho_ctl_decode(const void *buf, size_t n, struct ho_ctl_hdr *hdr, const void **payload);
/* Expected payload size of a type, or -1 for an unknown type. */
int ho_ctl_payload_size(uint16_t type);

int ho_ctl_send(int fd, uint16_t type, const void *payload, uint32_t len);
int ho_ctl_send_err(int fd, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Receive one message into buf (HO_CTL_MAX_MSG); -EMSGSIZE if truncated. */
int ho_ctl_recv(int fd, void *buf, size_t size, struct ho_ctl_hdr *hdr, const void **payload);

/* Fill a sockaddr_un for the abstract name; returns its length. */
socklen_t ho_ctl_addr(void *sun);
/* Connect to the daemon of this network namespace; fd or negative errno. */
int ho_ctl_connect(void);

#endif
