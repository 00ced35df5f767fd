/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging to stderr. Under systemd (or whenever stderr is not a terminal)
 * each line carries an sd-daemon "<N>" level prefix, which journald reads.
 */
#ifndef HO_LOG_H
#define HO_LOG_H

#include <stdbool.h>

enum ho_log_level {
	HO_LOG_ERR = 3,
	HO_LOG_WARNING = 4,
	HO_LOG_NOTICE = 5,
	HO_LOG_INFO = 6,
	HO_LOG_DEBUG = 7,
};

void log_init(const char *ident, int max_level);
int log_max_level(void);
/* One line at level; errno is left as it was. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)    log_msg(HO_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)   log_msg(HO_LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) log_msg(HO_LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)   log_msg(HO_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  log_msg(HO_LOG_DEBUG, __VA_ARGS__)

/*
 * Log an error and evaluate to err, a negative errno: the one way to log and
 * return, `return pr_err_ret(-errno, "cannot ...: %s", strerror(errno));`.
 * log_msg() keeps errno, so -errno read after it is the caller's.
 */
#define pr_err_ret(err, ...) (log_msg(HO_LOG_ERR, __VA_ARGS__), (err))

#endif
