// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopend: limit the outbound TCP connection attempts of this network
 * namespace that are half-open at once, and queue the rest.
 *
 * Start-up reads as a list: bind the control socket (one daemon per
 * namespace), clean up what a dead daemon left, load BPF, bind NFQUEUE,
 * install the rules, attach. Then one epoll loop; SIGTERM undoes it all.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/magic.h>
#include "daemon.h"
#include "log.h"
#include "parse.h"
#include "rules.h"

#define HO_VERSION "0.1.0"
#define BPFFS	   "/sys/fs/bpf"
#define EV_RINGBUF 1
#define EV_NFQ	   2
#define EV_CTL	   3
#define EV_SIGNAL  4
#define EV_TIMER   5

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: halfopend [OPTIONS]\n"
		"Limit the outbound TCP connection attempts of this network namespace that are\n"
		"half-open at once; queue the rest (their SYN is held and released in order).\n"
		"\n"
		"  -l, --limit N|unlimited   attempts half-open at once (default %u)\n"
		"  -Q, --queue-max N         SYNs held at most (default 65536)\n"
		"  -T, --tracked-max N       attempts tracked in the kernel (default 131072)\n"
		"      --queue-num N         NFQUEUE number (default 4226)\n"
		"      --event-interval SEC  seconds between limit events (default 60)\n"
		"      --stats-ttl SEC       keep counters of a gone process this long (default "
		"300)\n"
		"      --cleanup             remove what a killed daemon left behind, and exit\n"
		"  -v, --verbose             more messages (-vv: libbpf's too)\n"
		"  -h, --help                this help\n"
		"  -V, --version             the version\n",
		HO_LIMIT_DEFAULT);
}

static int parse_args(int argc, char **argv, struct daemon_opts *o, bool *cleanup)
{
	static const struct option opts[] = {
		{"limit", required_argument, NULL, 'l'},
		{"queue-max", required_argument, NULL, 'Q'},
		{"tracked-max", required_argument, NULL, 'T'},
		{"queue-num", required_argument, NULL, 'q'},
		{"event-interval", required_argument, NULL, 'e'},
		{"stats-ttl", required_argument, NULL, 's'},
		{"cleanup", no_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	int c, err = 0;

	*o = (struct daemon_opts){.limit = HO_LIMIT_DEFAULT,
				  .queue_max = 65536,
				  .tracked_max = 131072,
				  .queue_num = 4226,
				  .event_interval = 60,
				  .stats_ttl = 300};
	while ((c = getopt_long(argc, argv, "l:Q:T:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			err = parse_limit(optarg, &o->limit);
			break;
		case 'Q':
			err = parse_u32(optarg, 1, 1 << 20, &o->queue_max);
			break;
		case 'T':
			err = parse_u32(optarg, 64, 1 << 22, &o->tracked_max);
			break;
		case 'q':
			err = parse_u32(optarg, 0, 65535, &o->queue_num);
			break;
		case 'e':
			err = parse_u32(optarg, 1, 86400, &o->event_interval);
			break;
		case 's':
			err = parse_u32(optarg, 1, 86400, &o->stats_ttl);
			break;
		case 'c':
			*cleanup = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("halfopend " HO_VERSION "\n");
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (err) {
			fprintf(stderr, "halfopend: invalid value for --%s: '%s'\n",
				c == 'l'   ? "limit (1..1000000, default or unlimited)"
				: c == 'Q' ? "queue-max (1..1048576)"
				: c == 'T' ? "tracked-max (64..4194304)"
				: c == 'q' ? "queue-num (0..65535)"
				: c == 's' ? "stats-ttl (1..86400)"
					   : "event-interval (1..86400)",
				optarg);
			return err;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "halfopend: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int ensure_bpffs(void)
{
	struct statfs fs;

	if (statfs(BPFFS, &fs) == 0 && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		pr_err("bpffs is not mounted at " BPFFS " and mounting it failed: %s",
		       strerror(errno));
		return -errno;
	}
	pr_info("mounted bpffs at " BPFFS);
	return 0;
}

/* Per namespace, so that daemons of several namespaces never collide. */
static void pin_path(char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	snprintf(buf, len, BPFFS "/halfopen-%lu-held_syn", (unsigned long)st.st_ino);
}

static int epoll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_loop(struct daemon *d)
{
	struct itimerspec tick = {.it_interval = {1, 0}, .it_value = {1, 0}};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0 ||
	    timerfd_settime(d->timerfd, 0, &tick, NULL) ||
	    epoll_add(d->epfd, ring_buffer__epoll_fd(d->k.rb), EV_RINGBUF) ||
	    epoll_add(d->epfd, nfqueue_fd(&d->nfq), EV_NFQ) ||
	    epoll_add(d->epfd, d->ctl_fd, EV_CTL) || epoll_add(d->epfd, d->sigfd, EV_SIGNAL) ||
	    epoll_add(d->epfd, d->timerfd, EV_TIMER))
		return pr_err("cannot set up the event loop: %s", strerror(errno)), -errno;
	return 0;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			pr_info("SIGHUP: nothing to reload (no configuration file yet)");
			continue;
		}
		pr_info("%s from pid %u: releasing held attempts and stopping",
			strsignal((int)si.ssi_signo), si.ssi_pid);
		d->stopping = true;
	}
}

static int run_loop(struct daemon *d)
{
	struct epoll_event evs[16];
	uint64_t ticks;
	int n, i, timeout = -1;

	while (!d->stopping) {
		n = epoll_wait(d->epfd, evs, 16, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pr_err("epoll_wait: %s", strerror(errno)), -errno;
		}
		for (i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case EV_RINGBUF:
				ring_buffer__consume(d->k.rb);
				break;
			case EV_NFQ:
				/* events first: a held SYN's attempt is announced before it */
				ring_buffer__consume(d->k.rb);
				nfqueue_receive(&d->nfq, limiter_on_packet, d);
				break;
			case EV_CTL:
				ctl_accept(d);
				break;
			case EV_SIGNAL:
				on_signal(d);
				break;
			case EV_TIMER:
				if (read(d->timerfd, &ticks, sizeof(ticks)) > 0)
					limiter_housekeeping(d);
				break;
			default:
				ctl_event(d, (int)(evs[i].data.u64 & ~EV_CLIENT), evs[i].events);
				break;
			}
		}
		timeout = limiter_report(d);
		limiter_release(d);
	}
	return 0;
}

/* Let everything held go, and leave the namespace as we found it. */
static void shutdown_all(struct daemon *d, const char *pin)
{
	if (d->k.skel) {
		kern_set_limit(&d->k, 0); /* nothing new is held from now on */
		kern_detach(&d->k);
		if (d->nfq.nl) {
			limiter_release_all(d);
			nfqueue_receive(&d->nfq, limiter_on_packet, d);
		}
	}
	rules_remove();
	unlink(pin);
	if (d->nfq.nl) {
		/* SYNs that reached the queue while the rules went away */
		nfqueue_receive(&d->nfq, limiter_on_packet, d);
		nfqueue_close(&d->nfq);
	}
	kern_close(&d->k);
	ctl_close_all(d);
	hq_free(&d->q);
}

/* static: the event log and client table are too big for the stack */
static struct daemon d = {.epfd = -1, .sigfd = -1, .timerfd = -1, .ctl_fd = -1};

int main(int argc, char **argv)
{
	bool cleanup = false;
	char pin[128], lim[16];
	int err;

	if (parse_args(argc, argv, &d.o, &cleanup))
		return 2;
	log_init("halfopend", d.o.verbose ? HO_LOG_DEBUG : HO_LOG_INFO);
	kern_set_verbosity(d.o.verbose);
	if (geteuid() != 0) {
		pr_err("must run as root (it loads BPF programs and changes netfilter rules)");
		return 1;
	}
	/* one daemon per network namespace: the abstract socket name is the lock */
	if (ctl_listen(&d))
		return 1;
	pin_path(pin, sizeof(pin));
	/* a daemon killed with SIGKILL left rules (they fail open); remove them */
	rules_remove();
	unlink(pin);
	if (cleanup) {
		pr_info("removed rules and pins left by an earlier daemon");
		ctl_close_all(&d);
		return 0;
	}
	err = kern_check();
	if (!err)
		err = rules_check();
	if (!err)
		err = ensure_bpffs();
	if (!err)
		err = hq_init(&d.q);
	if (err)
		goto out;
	limit_event_init(&d.ev, (uint64_t)d.o.event_interval * 1000000000ull);

	err = kern_open(&d.k, d.o.limit, d.o.tracked_max, limiter_on_event, &d);
	if (err)
		goto out;
	/* a listener before the rules, so no SYN meets an empty queue */
	err = nfqueue_open(&d.nfq, (uint16_t)d.o.queue_num, d.o.queue_max + 1024);
	if (err)
		goto out;
	/* iptables takes its own reference to the filter: the pin is only for it */
	err = kern_pin_filter(&d.k, pin);
	if (err) {
		pr_err("cannot pin the packet filter at %s: %s", pin, strerror(-err));
		goto out;
	}
	err = rules_install(pin, (uint16_t)d.o.queue_num);
	unlink(pin);
	if (err)
		goto out;
	err = kern_attach(&d.k);
	if (err)
		goto out;
	err = setup_loop(&d);
	if (err)
		goto out;
	d.started = time(NULL);
	pr_info("halfopend " HO_VERSION " started: limit %s, queue %u, tracked %u, NFQUEUE %u, "
		"netns net:[%u]",
		format_limit(d.o.limit, lim, sizeof(lim)), d.o.queue_max, d.o.tracked_max,
		d.o.queue_num, d.k.netns_ino);
	err = run_loop(&d);
out:
	shutdown_all(&d, pin);
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.timerfd >= 0)
		close(d.timerfd);
	if (!err)
		pr_info("stopped: %lu attempts released, rules removed", (unsigned long)d.released);
	return err ? 1 : 0;
}
