// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "log.h"
#include "text.h"

static const char *log_ident = "halfopen";
static int log_level = HO_LOG_INFO;
static bool log_prefix;

void log_init(const char *ident, int max_level)
{
	log_ident = ident;
	log_level = max_level;
	log_prefix = getenv("JOURNAL_STREAM") || !isatty(STDERR_FILENO);
}

int log_max_level(void)
{
	return log_level;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const names[] = {
		[HO_LOG_ERR] = "error: ", [HO_LOG_WARNING] = "warning: ", [HO_LOG_NOTICE] = "",
		[HO_LOG_INFO] = "",	  [HO_LOG_DEBUG] = "debug: ",
	};
	char line[1024], safe[TEXT_PLAIN_MAX(sizeof(line))];
	int saved = errno;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* names in it are anyone's bytes: one line, nothing for journald or a terminal */
	text_plain(safe, sizeof(safe), line);
	/* one write per line so that lines of concurrent writers never mix */
	if (log_prefix)
		fprintf(stderr, "<%d>%s\n", level, safe);
	else
		fprintf(stderr, "%s: %s%s\n", log_ident, names[level], safe);
	errno = saved;
}
