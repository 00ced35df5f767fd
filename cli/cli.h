/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the halfopen commands share: talking to the daemon, printing. */
#ifndef HO_CLI_H
#define HO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ctl_proto.h"
#include "text.h"

extern bool cli_json;

/* "halfopen: ..." on stderr; returns 1 (the exit status of a failure). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * What getopt found wrong (c is ':' or '?', with opterr 0 and optstring
 * starting with ':'), said as "halfopen: CMD: ..."; argv is getopt's.
 * Returns 2, the exit status of bad usage.
 */
int cli_bad_option(const char *cmd, int c, char *const *argv);

/* Connect to the daemon; fd, or -1 after saying why. */
int cli_connect(void);
/* One request, one STATUS_REP reply. 0, or 1 after saying why. */
int cli_status_call(uint16_t type, const void *req, uint32_t len, struct ho_ctl_status *out);
/* One request, one reply of type want into out (size len). 0, or 1. */
int cli_call(uint16_t type, const void *req, uint32_t len, uint16_t want, void *out, uint32_t olen);

/*
 * A request whose reply is rows of type row_type then END. fn sees every row;
 * with follow, rows after the END keep coming until fn returns non-zero or
 * the daemon goes. 0, or 1 after saying why.
 */
typedef int (*cli_row_fn)(void *ctx, const void *row);
int cli_list(uint16_t type, const void *req, uint32_t len, uint16_t row_type, cli_row_fn fn,
	     void *ctx, bool follow, struct ho_ctl_end *end);

/* Printing helpers; json_str is in text.h. */
const char *fmt_dest(const struct ho_attempt *a, char *buf, size_t len);
const char *fmt_addr(const struct ho_attempt *a, char *buf, size_t len);
const char *fmt_age(uint64_t ns, char *buf, size_t len);
/* "flagged", "ok" or "-" (enum ho_verdict). */
const char *verdict_name(uint32_t v);

/* The commands, each main-like: argv[0] is the first argument. */
int cmd_ps(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_pardon(int argc, char **argv);

#endif
