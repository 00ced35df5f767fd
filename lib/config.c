// SPDX-License-Identifier: GPL-2.0-or-later
/* Settings from the command line and halfopen.conf: see config.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "parse.h"
#include "procinfo.h"
#include "trw.h"

#define OPT(n, s, field, lo, hi, k, lv, a, h)                                                      \
	{                                                                                          \
		.name = n, .short_name = s, .off = offsetof(struct ho_config, field), .min = lo,   \
		.max = hi, .kind = k, .live = lv, .arg = a, .help = h                              \
	}

const struct cfg_option cfg_options[] = {
	OPT("limit", 'l', limit, 1, HO_LIMIT_MAX, CFG_LIMIT, true, "N|unlimited",
	    "attempts half-open at once (default 10)"),
	OPT("queue-max", 'Q', queue_max, 1, 1 << 20, CFG_NUM, true, "N",
	    "SYNs held at most (default 65536)"),
	OPT("tracked-max", 'T', tracked_max, 64, 1 << 22, CFG_NUM, false, "N",
	    "attempts tracked in the kernel (default 131072)"),
	OPT("queue-num", 0, queue_num, 0, 65535, CFG_NUM, false, "N",
	    "NFQUEUE number (default 4226)"),
	OPT("event-interval", 0, event_interval, 1, 86400, CFG_NUM, true, "SEC",
	    "seconds between limit events (default 60)"),
	OPT("stats-ttl", 0, stats_ttl, 1, 86400, CFG_NUM, true, "SEC",
	    "keep counters of a gone process this long (default 300)"),
	OPT("metrics-uid", 0, metrics_uid, 0, 4294967294u, CFG_NUM, true, "UID",
	    "a scraper's uid: it shares root's reserved metrics slots (default 0: none)"),
	OPT("metrics-port", 0, metrics_port, 0, 65535, CFG_NUM, false, "PORT",
	    "serve Prometheus metrics on 127.0.0.1:PORT (default 0: off)"),
	OPT("release", 0, release, 1, HO_RATE_MAX, CFG_RELEASE, true, "fair|fifo|rate:R",
	    "order of release (default fair: round robin over cgroups)"),
	OPT("rt-priority", 0, rt_priority, 0, 99, CFG_NUM, false, "N",
	    "SCHED_FIFO priority of the release path (default 10; 0: off)"),
	OPT("socket-interface", 0, socket_iface, 0, 1, CFG_NUM, false, "0|1",
	    "answer SOL_HALFOPEN and HALFOPEN_NOQUEUE, halfopen(7) (default 1; 0: off)"),
	OPT("mode", 0, mode, 0, 1, CFG_MODE, false, "contain|original",
	    "contain (default): judge outcomes, throttle scanners; original: flat limit 10 only"),
	OPT("slot-timeout", 0, slot_timeout, 0, 3600, CFG_NUM, true, "SEC",
	    "a half-open attempt stops counting after SEC (default 3; original: 0, never)"),
	OPT("flag-after", 0, flag_after, 1, 1000, CFG_NUM, true, "N",
	    "failed first contacts in a row that flag a new program (default 10)"),
	OPT("benign-success", 0, benign_success, 2, 99, CFG_NUM, true, "PCT",
	    "first contacts of a benign program succeed this often at least (default 40)"),
	OPT("scanner-success", 0, scanner_success, 1, 98, CFG_NUM, true, "PCT",
	    "first contacts of a scanner succeed this often at most (default 5)"),
	OPT("contain-rate", 0, contain_rate, 1, 100000, CFG_NUM, true, "R",
	    "first contacts a second of a flagged program or cgroup (default 1)"),
	OPT("working-set", 0, working_set, 1, 4096, CFG_NUM, true, "N",
	    "destinations reached lately kept per program or cgroup (default 64)"),
	OPT("quiet", 0, quiet, 1, 86400, CFG_NUM, true, "SEC",
	    "a flagged scope with no failed first contact for SEC is unflagged (default 60)"),
};
const size_t cfg_noptions = sizeof(cfg_options) / sizeof(cfg_options[0]);

void config_defaults(struct ho_config *c)
{
	*c = (struct ho_config){.limit = HO_LIMIT_DEFAULT,
				.queue_max = 65536,
				.tracked_max = 131072,
				.queue_num = 4226,
				.event_interval = 60,
				.stats_ttl = 300,
				.rt_priority = 10,
				.socket_iface = 1,
				.slot_timeout = HO_SLOT_TIMEOUT_DEFAULT,
				.flag_after = TRW_FLAG_DEFAULT,
				.benign_success = TRW_BENIGN_DEFAULT,
				.scanner_success = TRW_SCANNER_DEFAULT,
				.contain_rate = 1,
				.working_set = 64,
				.quiet = 60};
}

const struct cfg_option *config_option(const char *name)
{
	for (size_t i = 0; i < cfg_noptions; i++)
		if (!strcmp(cfg_options[i].name, name))
			return &cfg_options[i];
	return NULL;
}

static uint32_t *field(struct ho_config *c, const struct cfg_option *o)
{
	return (uint32_t *)((char *)c + o->off);
}

uint32_t config_get(const struct ho_config *c, const struct cfg_option *o)
{
	return *field((struct ho_config *)c, o);
}

void config_put(struct ho_config *c, const struct cfg_option *o, uint32_t v)
{
	*field(c, o) = v;
}

static int parse_mode(const char *s, uint32_t *out)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "contain"))
		*out = HO_MODE_CONTAIN;
	else if (!strcmp(s, "original"))
		*out = HO_MODE_ORIGINAL;
	else
		return -EINVAL;
	return 0;
}

int config_set(struct ho_config *c, const struct cfg_option *o, const char *value)
{
	uint32_t v;
	int err = o->kind == CFG_LIMIT	   ? parse_limit(value, &v)
		  : o->kind == CFG_RELEASE ? parse_release(value, &v)
		  : o->kind == CFG_MODE	   ? parse_mode(value, &v)
					   : parse_u32(value, o->min, o->max, &v);

	if (err)
		return err;
	*field(c, o) = v;
	c->set |= 1u << (o - cfg_options);
	return 0;
}

const char *config_range(const struct cfg_option *o, char *buf, size_t len)
{
	if (o->kind == CFG_RELEASE)
		snprintf(buf, len, "fair, fifo or rate:%u..%u", o->min, o->max);
	else if (o->kind == CFG_MODE)
		snprintf(buf, len, "contain or original");
	else
		snprintf(buf, len, "%u..%u%s", o->min, o->max,
			 o->kind == CFG_LIMIT ? ", default or unlimited" : "");
	return buf;
}

const char *config_format(const struct cfg_option *o, uint32_t v, char *buf, size_t len)
{
	if (o->kind == CFG_LIMIT)
		return format_limit(v, buf, (unsigned int)len);
	if (o->kind == CFG_RELEASE)
		return format_release(v, buf, (unsigned int)len);
	if (o->kind == CFG_MODE) {
		snprintf(buf, len, "%s", v == HO_MODE_ORIGINAL ? "original" : "contain");
		return buf;
	}
	snprintf(buf, len, "%u", v);
	return buf;
}

void config_overlay(struct ho_config *c, const struct ho_config *over)
{
	for (size_t i = 0; i < cfg_noptions; i++)
		if (over->set & (1u << i)) {
			*field(c, &cfg_options[i]) = config_get(over, &cfg_options[i]);
			c->set |= 1u << i;
		}
}

bool config_is_set(const struct ho_config *c, const char *name)
{
	const struct cfg_option *o = config_option(name);

	return o && (c->set & (1u << (o - cfg_options)));
}

int config_finish(struct ho_config *c, char *err, size_t errlen)
{
	struct trw_params p;

	if (c->mode == HO_MODE_ORIGINAL) {
		/* Windows XP SP2 exactly, but for what is set explicitly */
		if (!config_is_set(c, "limit"))
			c->limit = HO_LIMIT_DEFAULT;
		if (!config_is_set(c, "slot-timeout"))
			c->slot_timeout = 0;
	} else if (!config_is_set(c, "limit")) {
		c->limit = 0; /* what succeeds is never held back: no flat limit */
	}
	if (trw_params_init(&p, c->benign_success, c->scanner_success, c->flag_after,
			    TRW_CREDIT_DEFAULT)) {
		snprintf(err, errlen, "scanner-success (%u%%) must be below benign-success (%u%%)",
			 c->scanner_success, c->benign_success);
		return -EINVAL;
	}
	return 0;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

#define POLICY_WORDS 6
#define POLICY_NEEDS                                                                               \
	"'policy' needs a scope and a rule: policy cgroup PATH|user NAME limit N|exempt"

/* Split at blanks up to a comment; the number of words, at most max. */
static int split_words(char *p, char *words[], int max)
{
	int n = 0;

	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p || *p == '#' || n == max)
			return n;
		words[n++] = p;
		while (*p && !is_space(*p) && *p != '#')
			p++;
		if (!*p)
			return n;
		if (*p == '#') {
			*p = '\0';
			return n;
		}
		*p++ = '\0';
	}
}

/* One line (NUL-terminated, no newline) into c; 0 or -EINVAL with err. */
static int parse_line(char *line, unsigned int lineno, const char *fname, struct ho_config *c,
		      unsigned int first_seen[], unsigned int pol_line[], char *err, size_t errlen)
{
	char *p = line, *name, *value, range[64];
	const struct cfg_option *o;
	size_t col;

#define FAIL(pos, ...)                                                                             \
	do {                                                                                       \
		int n_ = snprintf(err, errlen, "%s:%u:%zu: ", fname, lineno,                       \
				  (size_t)((pos)-line) + 1);                                       \
		if (n_ > 0 && (size_t)n_ < errlen)                                                 \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);                      \
		return -EINVAL;                                                                    \
	} while (0)

	for (char *q = line; *q; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t')
			FAIL(q, "control character in the file");
	while (is_space(*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	name = p;
	while (*p && !is_space(*p) && *p != '#')
		p++;
	col = (size_t)(p - line);
	if (!*p || *p == '#') {
		line[col] = '\0';
		o = config_option(name);
		if (!strcmp(name, "policy"))
			FAIL(name, POLICY_NEEDS);
		FAIL(name, o ? "'%s' needs a value" : "unknown setting '%s'", name);
	}
	*p++ = '\0';
	if (!strcmp(name, "policy")) {
		char *words[POLICY_WORDS], perr[256];
		int n = split_words(p, words, POLICY_WORDS), bad = 0;
		struct ho_policy pol;

		if (!n)
			FAIL(name, POLICY_NEEDS);
		if (policy_parse(n, words, true, &pol, &bad, perr, sizeof(perr)))
			FAIL(bad < n ? words[bad]
			     : n     ? words[n - 1] + strlen(words[n - 1])
				     : p,
			     "policy: %s", perr);
		for (uint32_t i = 0; i < c->npol; i++)
			if (policy_same_scope(&c->pol[i], &pol))
				FAIL(words[1], "a policy for %s %s is set twice (first on line %u)",
				     words[0], words[1], pol_line[i]);
		if (c->npol == HO_POLICIES_MAX)
			FAIL(name, "more than %d policies", HO_POLICIES_MAX);
		pol_line[c->npol] = lineno;
		c->pol[c->npol++] = pol;
		return 0;
	}
	o = config_option(name);
	if (!o)
		FAIL(name, "unknown setting '%s'", name);
	while (is_space(*p))
		p++;
	value = p;
	if (!*value || *value == '#')
		FAIL(value, "'%s' needs a value", name);
	while (*p && !is_space(*p) && *p != '#')
		p++;
	if (*p) {
		char *end = p;

		while (is_space(*p))
			p++;
		if (*p && *p != '#')
			FAIL(p, "unexpected '%s' after the value of '%s'", p, name);
		*end = '\0';
	}
	if (first_seen[o - cfg_options])
		FAIL(name, "'%s' is set twice (first on line %u)", name,
		     first_seen[o - cfg_options]);
	if (config_set(c, o, value))
		FAIL(value, "invalid %s '%s': give %s", name, value,
		     config_range(o, range, sizeof(range)));
	first_seen[o - cfg_options] = lineno;
	return 0;
#undef FAIL
}

/* The two rates of the scanner test, checked together at the later of their lines. */
static int scanner_vs_benign(const struct ho_config *c, const char *fname,
			     const unsigned int first_seen[], char *err, size_t errlen)
{
	unsigned int a = first_seen[config_option("benign-success") - cfg_options];
	unsigned int b = first_seen[config_option("scanner-success") - cfg_options];

	if ((!a && !b) || c->scanner_success < c->benign_success)
		return 0;
	snprintf(err, errlen, "%s:%u:1: scanner-success (%u%%) must be below benign-success (%u%%)",
		 fname, a > b ? a : b, c->scanner_success, c->benign_success);
	return -EINVAL;
}

int config_parse(const char *text, size_t len, const char *fname, struct ho_config *c, char *err,
		 size_t errlen)
{
	unsigned int first_seen[32] = {0}, pol_line[HO_POLICIES_MAX], lineno = 0;
	struct ho_config tmp = *c;
	char line[HO_CONFIG_LINE + 1];
	size_t i = 0;

	if (len > HO_CONFIG_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", fname, HO_CONFIG_MAX);
		return -EINVAL;
	}
	while (i < len) {
		size_t n = 0;

		lineno++;
		while (i < len && text[i] != '\n') {
			if (n == HO_CONFIG_LINE) {
				snprintf(err, errlen, "%s:%u:%u: line longer than %u characters",
					 fname, lineno, HO_CONFIG_LINE + 1, HO_CONFIG_LINE);
				return -EINVAL;
			}
			if (text[i] == '\0') {
				snprintf(err, errlen, "%s:%u:%zu: NUL byte in the file", fname,
					 lineno, n + 1);
				return -EINVAL;
			}
			line[n++] = text[i++];
		}
		i++; /* the newline */
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (parse_line(line, lineno, fname, &tmp, first_seen, pol_line, err, errlen))
			return -EINVAL;
	}
	if (scanner_vs_benign(&tmp, fname, first_seen, err, errlen))
		return -EINVAL;
	*c = tmp;
	return 0;
}

static const char *file_kind(mode_t mode)
{
	return S_ISLNK(mode)	? "a symbolic link"
	       : S_ISDIR(mode)	? "a directory"
	       : S_ISFIFO(mode) ? "a FIFO"
	       : S_ISSOCK(mode) ? "a socket"
				: "a device";
}

int config_read(const char *path, char **text, size_t *len, struct stat *st, char *err,
		size_t errlen)
{
	struct stat lst;
	size_t n = 0;
	ssize_t r;
	char *buf;
	int fd, rc;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP && !lstat(path, &lst) && S_ISLNK(lst.st_mode))
			snprintf(err, errlen,
				 "%s: is a symbolic link: only a regular file is read or written "
				 "(name the target itself)",
				 path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: is %s, not a regular file", path,
			 file_kind(st->st_mode));
		close(fd);
		return -EINVAL;
	}
	buf = malloc(HO_CONFIG_MAX + 2);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* one byte over the bound tells a file that is too large */
	while (n <= HO_CONFIG_MAX && (r = read(fd, buf + n, HO_CONFIG_MAX + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return rc;
		}
		n += (size_t)r;
	}
	close(fd);
	if (n > HO_CONFIG_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, HO_CONFIG_MAX);
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int config_load(const char *path, struct ho_config *c, char *err, size_t errlen)
{
	struct stat st;
	char *text;
	size_t n;
	int rc = config_read(path, &text, &n, &st, err, errlen);

	if (rc)
		return rc;
	rc = config_parse(text, n, path, c, err, errlen);
	free(text);
	return rc;
}

char *config_rewrite(const char *text, const char *name, const char *value)
{
	size_t nlen = strlen(name), tlen = strlen(text), vlen = strlen(value);
	const char *p = text, *line;
	char *out;

	for (line = text; *line; line = p) {
		const char *s = line, *e;

		p = strchr(line, '\n');
		p = p ? p + 1 : line + strlen(line);
		while (is_space(*s))
			s++;
		if (strncmp(s, name, nlen) || !is_space(s[nlen]))
			continue;
		/* name, spaces, old value: replace the value, keep the rest */
		s += nlen;
		while (is_space(*s))
			s++;
		for (e = s; e < p && *e != '\n' && !is_space(*e) && *e != '#'; e++)
			;
		out = malloc(tlen - (size_t)(e - s) + vlen + 1);
		if (!out)
			return NULL;
		memcpy(out, text, (size_t)(s - text));
		memcpy(out + (s - text), value, vlen);
		strcpy(out + (s - text) + vlen, e);
		return out;
	}
	out = malloc(tlen + nlen + vlen + 4); /* newline, space, newline, NUL */
	if (!out)
		return NULL;
	sprintf(out, "%s%s%s %s\n", text, tlen && text[tlen - 1] != '\n' ? "\n" : "", name, value);
	return out;
}

/* Does this line hold the policy of p's scope? */
static bool is_policy_line(const char *line, size_t len, const struct ho_policy *p)
{
	char buf[HO_CONFIG_LINE + 1], *words[POLICY_WORDS];
	uint32_t uid;
	int n;

	if (len > HO_CONFIG_LINE)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	n = split_words(buf, words, POLICY_WORDS);
	if (n < 3 || strcmp(words[0], "policy"))
		return false;
	if (strcmp(words[1], p->kind == HO_SCOPE_USER ? "user" : "cgroup"))
		return false;
	if (p->kind == HO_SCOPE_USER)
		return !strcmp(words[2], p->name) || (!parse_user(words[2], &uid) && uid == p->uid);
	return !strcmp(words[2], p->name);
}

char *config_rewrite_policy(const char *text, const struct ho_policy *p, bool remove)
{
	size_t tlen = strlen(text);
	char rule[HO_POLICY_NAME_LEN + 64], *out;
	const char *line, *end;
	int n;

	snprintf(rule, sizeof(rule), "policy ");
	policy_format(p, true, rule + 7, sizeof(rule) - 7);
	out = malloc(tlen + strlen(rule) + 3);
	if (!out)
		return NULL;
	for (line = text; *line; line = end) {
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		if (!is_policy_line(line, (size_t)(end - line) - (end[-1] == '\n'), p))
			continue;
		memcpy(out, text, (size_t)(line - text));
		n = remove ? 0 : sprintf(out + (line - text), "%s\n", rule);
		strcpy(out + (line - text) + n, end);
		return out;
	}
	if (remove)
		strcpy(out, text);
	else
		sprintf(out, "%s%s%s\n", text, tlen && text[tlen - 1] != '\n' ? "\n" : "", rule);
	return out;
}

int config_write_atomic(const char *path, const char *text, const struct stat *was, char *err,
			size_t errlen)
{
	char tmp[4096], dir[4096];
	size_t len = strlen(text);
	struct stat now;
	int fd, dfd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return snprintf(err, errlen, "%s: path too long", path), -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return rc;
	}
	/*
	 * The file keeps its owner and mode; a new one is root's, 0644. The
	 * group first, then the mode, then the owner: the mode is set while
	 * the file is still ours (once it is another user's that needs
	 * CAP_FOWNER, which the service does not have), and at no moment does a
	 * group hold rights the file will not give it.
	 */
	if ((was && fchown(fd, (uid_t)-1, was->st_gid)) ||
	    fchmod(fd, was ? was->st_mode & 07777 : 0644) ||
	    (was && fchown(fd, was->st_uid, (gid_t)-1)) || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd)) {
		rc = errno ? -errno : -EIO;
		snprintf(err, errlen, "%s: %s", tmp, strerror(-rc));
		goto fail;
	}
	/* what was read is what is replaced: not a link or file put there since */
	if (was ? lstat(path, &now) || now.st_dev != was->st_dev || now.st_ino != was->st_ino
		: !lstat(path, &now) || errno != ENOENT) {
		rc = -EAGAIN;
		snprintf(err, errlen, "%s: changed while being rewritten", path);
		goto fail;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	return rc;
}
