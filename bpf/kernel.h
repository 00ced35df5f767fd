/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's types as the BPF programs see them, with no vmlinux.h: the
 * UAPI headers (linux-libc-dev) for what is ABI (the program contexts, the
 * helpers' flags, IP headers), and for the one kernel-internal field read,
 * a CO-RE declaration whose offset libbpf relocates against the running
 * kernel's BTF at load time. So the build needs neither the build machine's
 * BTF nor a checked-in dump of one architecture's kernel; it stands alone.
 */
#ifndef HALFOPEN_KERNEL_H
#define HALFOPEN_KERNEL_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

/* struct tcp_sock begins with a struct sock: read sk_err through it */
struct sock {
	int sk_err;
} __attribute__((preserve_access_index));

struct tcp_sock;

#endif /* HALFOPEN_KERNEL_H */
