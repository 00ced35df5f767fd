/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names as JSON strings and Prometheus label values. Cgroup paths, commands
 * and user names are bytes, not always UTF-8 (and a cut path may end inside a
 * character); both formats must be valid UTF-8. Each byte that does not
 * belong to a well-formed UTF-8 character is written as U+FFFD, the
 * replacement character: the output is always valid, and the exact name is
 * still reachable by the ids beside it (cgroup_id, pid, uid). Plain text
 * (log lines, the CLI's tables) gets the same names with control characters
 * and bad bytes escaped, so that a name can neither start a line of its own
 * nor drive a terminal. Pure logic.
 */
#ifndef HO_TEXT_H
#define HO_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Bytes of the well-formed UTF-8 character at s (1..4), 0 if there is none. */
int utf8_len(const char *s);
/* s as a JSON string, quotes included: ", \ and controls escaped. */
void json_str(FILE *f, const char *s);
/* s as a Prometheus label value, without the quotes: \, " and newline escaped. */
void prom_label(FILE *f, const char *s);
/*
 * s as plain text in buf (size n > 0, cut at a whole character or escape):
 * newline, tab and CR as \n, \t, \r, other control characters (C0, DEL,
 * C1) and bytes outside well-formed UTF-8 as \xNN, as procps and systemd
 * do. Returns buf. TEXT_PLAIN_MAX(len): room for any string of len bytes.
 */
const char *text_plain(char *buf, size_t n, const char *s);
#define TEXT_PLAIN_MAX(len) ((len)*4 + 1)

#endif
