/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * halfopend's settings: one table of options, read from the command line and
 * from the configuration file (halfopen.conf(5)) alike. Pure logic.
 *
 * The file holds one "name value" per line, names as the long options, and
 * "policy SCOPE RULE" lines (policy.h); '#' starts a comment; blank lines are
 * ignored. Errors name file:line:column and a reason.
 */
#ifndef HO_CONFIG_H
#define HO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "policy.h"

#define HO_CONFIG_DEFAULT "/etc/halfopen/halfopen.conf"
#define HO_CONFIG_MAX	  (1 << 20) /* bytes */
#define HO_CONFIG_LINE	  1024

struct ho_config {
	uint32_t limit;		  /* 0: unlimited */
	uint32_t queue_max;	  /* SYNs held */
	uint32_t tracked_max;	  /* attempts in the kernel table */
	uint32_t queue_num;	  /* NFQUEUE number */
	uint32_t event_interval;  /* seconds between limit events */
	uint32_t stats_ttl;	  /* seconds before counters of a gone process go */
	uint32_t metrics_port;	  /* HTTP metrics on 127.0.0.1, 0: off */
	uint32_t metrics_uid;	  /* a scraper's uid, served as root is; 0: none */
	uint32_t release;	  /* parse.h: mode | rate << 2 */
	uint32_t rt_priority;	  /* SCHED_FIFO priority of the release path, 0: off */
	uint32_t socket_iface;	  /* 1: answer SOL_HALFOPEN (halfopen(7)); 0: off */
	uint32_t mode;		  /* HO_MODE_*: contain (default) or original */
	uint32_t slot_timeout;	  /* seconds before a half-open attempt stops counting, 0: never */
	uint32_t flag_after;	  /* failed first contacts in a row that flag a new scope */
	uint32_t benign_success;  /* theta0, percent */
	uint32_t scanner_success; /* theta1, percent */
	uint32_t contain_rate;	  /* first contacts a second of a flagged scope */
	uint32_t working_set;	  /* destinations a scope reached lately, kept at most */
	uint32_t quiet;		  /* seconds without a failed first contact that unflag */
	uint32_t set;		  /* bit i: option i was given */
	uint32_t npol;		  /* policies, from the file only */
	struct ho_policy pol[HO_POLICIES_MAX];
};

/*
 * contain: no flat limit unless one is set, scanners detected and throttled,
 * slot-timeout 3 s; original: Windows XP SP2's flat limit of 10 and nothing
 * else (no detection, no slot timeout), unless set otherwise.
 */
enum ho_mode {
	HO_MODE_CONTAIN = 0,
	HO_MODE_ORIGINAL = 1,
};
#define HO_SLOT_TIMEOUT_DEFAULT 3 /* seconds, in contain mode */

enum cfg_kind {
	CFG_NUM,     /* min..max */
	CFG_MODE,    /* contain or original */
	CFG_LIMIT,   /* also "default" and "unlimited" */
	CFG_RELEASE, /* fair, fifo or rate:R */
};

struct cfg_option {
	const char *name; /* long option and file key */
	char short_name;  /* 0: none */
	size_t off;	  /* of the uint32_t in struct ho_config */
	uint32_t min, max;
	enum cfg_kind kind;
	bool live; /* SIGHUP applies it without a restart */
	const char *arg, *help;
};

extern const struct cfg_option cfg_options[];
extern const size_t cfg_noptions;

void config_defaults(struct ho_config *c);
const struct cfg_option *config_option(const char *name);
/* Parse and check one value; 0 or -EINVAL/-ERANGE, c untouched on error. */
int config_set(struct ho_config *c, const struct cfg_option *o, const char *value);
/* What the option accepts, for messages: "1..1000000, default or unlimited". */
const char *config_range(const struct cfg_option *o, char *buf, size_t len);
uint32_t config_get(const struct ho_config *c, const struct cfg_option *o);
/* Store a value already checked (one of a loaded config's). */
void config_put(struct ho_config *c, const struct cfg_option *o, uint32_t v);
/* A value as the file writes it. */
const char *config_format(const struct cfg_option *o, uint32_t v, char *buf, size_t len);

/*
 * Parse a whole file's text over c. 0, or -EINVAL with "file:line:col: reason"
 * in err; c is untouched on error.
 */
int config_parse(const char *text, size_t len, const char *fname, struct ho_config *c, char *err,
		 size_t errlen);
/*
 * The text of the settings file as the loader and --persist see it: only a
 * regular file at path itself, never a symbolic link (not followed), a FIFO
 * or a device (opened without blocking, then refused), at most HO_CONFIG_MAX
 * bytes. *text is malloc'd and NUL-terminated (it may hold NUL bytes, which
 * config_parse refuses), *len its length, *st the file's. 0, or -errno with err
 * set: -ENOENT if there is no file, -EINVAL if it is not a regular file,
 * -ELOOP for a link, -EFBIG if it is too large.
 */
int config_read(const char *path, char **text, size_t *len, struct stat *st, char *err,
		size_t errlen);
/* Read (config_read) and parse a file; -ENOENT if it does not exist, err set. */
int config_load(const char *path, struct ho_config *c, char *err, size_t errlen);
/* c with every option whose bit is set in over->set taken from over. */
void config_overlay(struct ho_config *c, const struct ho_config *over);
/*
 * The mode's defaults for what was not set (limit, slot-timeout), and the
 * checks across settings. 0, or -EINVAL with the reason in err.
 */
int config_finish(struct ho_config *c, char *err, size_t errlen);
bool config_is_set(const struct ho_config *c, const char *name);

/*
 * The text with "name value" set: the first line of that name is rewritten
 * (its comment kept), or the line is appended. malloc'd, NULL on ENOMEM.
 */
char *config_rewrite(const char *text, const char *name, const char *value);
/*
 * The text with the policy line of p's scope replaced by p (or removed, with
 * remove), or p appended. malloc'd, NULL on ENOMEM.
 */
char *config_rewrite_policy(const char *text, const struct ho_policy *p, bool remove);
/*
 * Write text to path atomically: temporary file, fsync, rename, fsync of the
 * folder. The file replaced must still be the one was describes (config_read's
 * stat; NULL: there must be none) and keeps its owner and mode; a new file is
 * 0644. -EAGAIN if it changed meanwhile; nothing is written on error.
 */
int config_write_atomic(const char *path, const char *text, const struct stat *was, char *err,
			size_t errlen);

#endif
