/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd's readiness protocol (sd_notify(3)): a datagram to $NOTIFY_SOCKET.
 * The protocol is documented as stable for reimplementation; a no-op when
 * not run by systemd.
 */
#ifndef HO_SDNOTIFY_H
#define HO_SDNOTIFY_H

int sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
