// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * halfopend: limit the outbound TCP connection attempts of this network
 * namespace that are half-open at once, and queue the rest.
 *
 * Start-up reads as a list: lock and bind the control socket (one daemon per
 * namespace), clean up what a dead daemon left, load BPF, bind NFQUEUE,
 * install the rules, attach. Then one epoll loop; SIGTERM undoes it all.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
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
#include "clock.h"
#include "daemon.h"
#include "ev_tags.h"
#include "log.h"
#include "shared.h"
#include "sdnotify.h"
#include "parse.h"
#include "procinfo.h"
#include "version.h"
#include "rules.h"

#define BPFFS "/sys/fs/bpf"

static int ensure_bpffs(void)
{
	struct statfs fs;

	if (statfs(BPFFS, &fs) == 0 && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
		return pr_err_ret(-errno,
				  "bpffs is not mounted at " BPFFS " and mounting it failed: %s",
				  strerror(errno));
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
	d->ratefd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->ctl.epfd = d->http.epfd = d->epfd;
	if (d->sigfd < 0 || d->timerfd < 0 || d->ratefd < 0 || d->epfd < 0 ||
	    timerfd_settime(d->timerfd, 0, &tick, NULL) ||
	    epoll_add(d->epfd, ring_buffer__epoll_fd(d->k.rb), EV_RINGBUF) ||
	    epoll_add(d->epfd, nfqueue_fd(&d->nfq), EV_NFQ) ||
	    epoll_add(d->epfd, d->ctl.fd, EV_CTL) || epoll_add(d->epfd, d->sigfd, EV_SIGNAL) ||
	    epoll_add(d->epfd, d->timerfd, EV_TIMER) || epoll_add(d->epfd, d->ratefd, EV_RATE))
		return pr_err_ret(-errno, "cannot set up the event loop: %s", strerror(errno));
	return 0;
}

/* --release rate:R: arm the rate timer (at most 1 kHz, several a tick above). */
static void set_rate(struct daemon *d)
{
	uint32_t r = release_rate(d->o.c.release);
	struct itimerspec t = {0};
	long ns;

	d->rate_per_tick = 0;
	if (release_mode(d->o.c.release) == HO_RELEASE_RATE && r) {
		ns = r <= 1000 ? 1000000000L / r : 1000000L;
		d->rate_per_tick = r <= 1000 ? 1 : r / 1000;
		t.it_interval = (struct timespec){ns / 1000000000L, ns % 1000000000L};
		t.it_value = t.it_interval;
	}
	(void)timerfd_settime(d->ratefd, 0, &t, NULL); /* cannot fail: a valid timerfd */
}

static void on_rate(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->ratefd, &ticks, sizeof(ticks)) != sizeof(ticks) || !d->rate_per_tick)
		return;
	/* late ticks do not pile up into a burst: at most 2 ticks' worth */
	limiter_release_some(&d->lim, d->rate_per_tick * (uint32_t)(ticks > 2 ? 2 : ticks));
}

/* SIGHUP: read the file again; a bad file changes nothing. */
static void reload(struct daemon *d)
{
	struct ho_config *c = malloc(sizeof(*c)); /* big: policies */
	char err[512], a[24], b[24];

	if (!c) {
		pr_err("reload: out of memory; keeping the running settings");
		return;
	}
	if (options_load(&d->o, c, err, sizeof(err))) {
		pr_err("reload: %s; keeping the running settings", err);
		free(c);
		return;
	}
	for (size_t i = 0; i < cfg_noptions; i++) {
		const struct cfg_option *o = &cfg_options[i];
		uint32_t old = config_get(&d->o.c, o), now = config_get(c, o);

		if (old == now)
			continue;
		if (!o->live) {
			pr_warn("reload: %s changed to %u: it takes effect at the next start",
				o->name, now);
			continue;
		}
		pr_notice("reload: %s %s -> %s", o->name, config_format(o, old, a, sizeof(a)),
			  config_format(o, now, b, sizeof(b)));
		config_put(&d->o.c, o, now);
	}
	kern_set_limit(&d->k, d->o.c.limit);
	set_rate(d);
	contain_configure(&d->lim.cn, &d->k, &d->o.c);
	raw_configure(&d->raw, d->o.c.raw_timeout_ms, d->o.c.contain_rate);
	scopes_load(&d->sc, c);
	free(c);
	d->lim.ev.interval_ns = (uint64_t)d->o.c.event_interval * 1000000000ull;
	limiter_release(&d->lim);
	pr_info("reloaded %s", d->o.config);
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
			continue;
		}
		pr_info("%s from pid %u: releasing held attempts and stopping",
			strsignal((int)si.ssi_signo), si.ssi_pid);
		d->stopping = true;
	}
}

/* STATUS= for systemctl status, when it changed. */
static void notify_status(struct daemon *d)
{
	struct ho_kstate *ks = kern_state(&d->k);
	char now[sizeof(d->status_sent)], lim[16];

	snprintf(now, sizeof(now), "limit %s, %u in flight, %u queued",
		 format_limit(shared_get(ks->limit), lim, sizeof(lim)), shared_get(ks->in_flight),
		 shared_get(ks->queued));
	if (strcmp(now, d->status_sent)) {
		(void)sd_notifyf("STATUS=%s", now);
		strcpy(d->status_sent, now);
	}
}

/*
 * The release path (kernel events, held SYNs, the rate timer) runs at
 * SCHED_FIFO --rt-priority, so that a slot freed on a busy machine is given
 * out at once; housekeeping and control requests (walks of big tables, lists)
 * run as an ordinary task, so they never hold a CPU at real-time priority.
 */
static void sched_as(struct daemon *d, bool rt)
{
	struct sched_param p = {.sched_priority = rt ? (int)d->o.c.rt_priority : 0};

	if (!d->o.c.rt_priority || d->rt == rt)
		return;
	/* children (iptables) start as ordinary tasks */
	if (sched_setscheduler(0, (rt ? SCHED_FIFO : SCHED_OTHER) | SCHED_RESET_ON_FORK, &p)) {
		pr_warn("cannot run the release path at real-time priority %u: %s; continuing "
			"as an ordinary task",
			d->o.c.rt_priority, strerror(errno));
		d->o.c.rt_priority = 0;
		return;
	}
	d->rt = rt;
}

/* The earlier of two epoll timeouts in ms (-1: none). */
static int min_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static int run_loop(struct daemon *d)
{
	struct epoll_event evs[16];
	struct ho_ctl_event_row ev;
	size_t nev;
	const struct ho_ctl_event_row *raw_ev;
	uint64_t ticks;
	int n, i, timeout = -1;

	sched_as(d, true); /* waiting for the next freed slot */
	while (!d->stopping) {
		n = epoll_wait(d->epfd, evs, 16, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pr_err_ret(-errno, "epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			sched_as(d, tag == EV_RINGBUF || tag == EV_NFQ || tag == EV_RATE);
			switch (tag) {
			case EV_RINGBUF:
				(void)ring_buffer__consume(d->k.rb);
				break;
			case EV_NFQ:
				/* events first: a held SYN's attempt is announced before it */
				(void)ring_buffer__consume(d->k.rb);
				nfqueue_receive(&d->nfq, limiter_on_packet, &d->lim);
				break;
			case EV_CTL:
				ctl_accept(&d->ctl);
				break;
			case EV_SIGNAL:
				on_signal(d);
				break;
			case EV_TIMER:
				if (read(d->timerfd, &ticks, sizeof(ticks)) > 0) {
					limiter_housekeeping(&d->lim);
					raw_rearm(&d->raw, now_ns(), d->lim.ev.interval_ns);
					http_expire(&d->http);
					ctl_expire(&d->ctl);
					notify_status(d);
				}
				break;
			case EV_HTTP_LISTEN:
				http_accept(&d->http);
				break;
			case EV_RATE:
				on_rate(d);
				break;
			case EV_RAW_LINK:
				raw_on_netlink(&d->raw);
				break;
			case EV_RAW_TIMER:
				raw_on_timer(&d->raw);
				/* raw first contacts, once all sent before them ended */
				contain_raw_due(&d->lim.cn, raw_oldest_first(&d->raw), now_ns(),
						shared_get(raw_state(&d->raw)->timeout_ns) +
							HO_RAW_SETTLE_NS);
				break;
			default:
				if (evs[i].data.u64 & EV_HTTP)
					http_event(&d->http, (int)(evs[i].data.u64 & ~EV_HTTP),
						   evs[i].events);
				else
					ctl_event(&d->ctl, (int)(evs[i].data.u64 & ~EV_CLIENT),
						  evs[i].events);
				break;
			}
		}
		timeout = limiter_report(&d->lim, d->evs_out, HO_REPORTS_MAX, &nev);
		for (size_t j = 0; j < nev; j++)
			ctl_broadcast_event(&d->ctl, &d->evs_out[j]);
		/* the scanner alarms: kept with the limit events, sent to followers */
		while (contain_alarm(&d->lim.cn, &ev)) {
			event_log_add(&d->lim.events, &ev);
			ctl_broadcast_event(&d->ctl, &ev);
		}
		n = (int)limiter_raw_events(&d->lim, &raw_ev);
		for (i = 0; i < n; i++)
			ctl_broadcast_event(&d->ctl, &raw_ev[i]);
		sched_as(d, true);
		timeout = min_timeout(timeout, limiter_expire(&d->lim));
		timeout = min_timeout(timeout, limiter_units_due(&d->lim));
		/*
		 * Every turn ends with a release: for slots freed, and for what
		 * control requests changed (a limit, a policy), which only change
		 * the state and leave releasing to here.
		 */
		limiter_release(&d->lim);
		timeout = min_timeout(timeout, limiter_paced_wait(&d->lim));
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
			limiter_release_all(&d->lim);
			nfqueue_receive(&d->nfq, limiter_on_packet, &d->lim);
		}
	}
	raw_close(&d->raw);
	(void)rules_remove();
	(void)unlink(pin);
	if (d->nfq.nl) {
		/* SYNs that reached the queue while the rules went away */
		nfqueue_receive(&d->nfq, limiter_on_packet, &d->lim);
		nfqueue_close(&d->nfq);
	}
	kern_close(&d->k);
	ctl_close_all(&d->ctl);
	http_close_all(&d->http);
	hq_free(&d->lim.q);
	contain_free(&d->lim.cn);
	contain_raw_free(&d->lim.cn);
	stats_retired_free(&d->lim.retired);
}

/* static: the event log and client table are too big for the stack */
static struct daemon d = {.epfd = -1,
			  .sigfd = -1,
			  .timerfd = -1,
			  .ratefd = -1,
			  .ctl = {.fd = -1, .epfd = -1, .lock_fd = -1},
			  .http = {.fd = -1, .epfd = -1, .diag_fd = -1}};

/* Each module is given the others it uses; only main knows them all. */
static void wire(struct daemon *dm)
{
	dm->sc.k = &dm->k;
	dm->lim.c = &dm->o.c;
	dm->lim.k = &dm->k;
	dm->lim.nfq = &dm->nfq;
	dm->lim.sc = &dm->sc;
	dm->snap = (struct snapshot_src){.l = &dm->lim,
					 .c = &dm->o.c,
					 .ctl = &dm->ctl.counts,
					 .http = &dm->http.counts,
					 .raw = &dm->raw};
	dm->ctl_st = (struct ctl_state){.o = &dm->o,
					.k = &dm->k,
					.sc = &dm->sc,
					.l = &dm->lim,
					.snap = &dm->snap,
					.cn = &dm->lim.cn,
					.raw = &dm->raw};
	dm->ctl.state = &dm->ctl_st;
	dm->http.c = &dm->o.c;
	dm->http.snap = &dm->snap;
	for (int i = 0; i < HO_MAX_HTTP; i++)
		dm->http.conns[i].fd = -1;
}

int main(int argc, char **argv)
{
	enum options_mode mode;
	char pin[128], lim[16], rel[24], cerr[512];
	int err;

	wire(&d);
	if (options_parse(argc, argv, &d.o, &mode))
		return 2;
	if (mode == OPT_HELP || mode == OPT_VERSION) {
		if (mode == OPT_HELP)
			options_usage(stdout);
		else
			printf("halfopend " HO_VERSION "\n");
		return 0;
	}
	log_init("halfopend", d.o.verbose ? HO_LOG_DEBUG : HO_LOG_INFO);
	if (options_load(&d.o, &d.o.c, cerr, sizeof(cerr))) {
		pr_err("%s", cerr);
		return 1;
	}
	if (mode == OPT_CHECK) {
		printf("halfopend: %s: %s\n", d.o.config,
		       access(d.o.config, F_OK) ? "not found, the defaults apply" : "good");
		return 0;
	}
	kern_set_verbosity(d.o.verbose);
	if (!is_root()) {
		pr_err("must run as root (it loads BPF programs and changes netfilter rules)");
		return 1;
	}
	/* one daemon per network namespace: the lock next to the control socket */
	if (ctl_listen(&d.ctl))
		return 1;
	pin_path(pin, sizeof(pin));
	/* a daemon killed with SIGKILL left rules (they fail open); remove them */
	(void)rules_remove();
	(void)unlink(pin); /* there only if a daemon was killed */
	if (mode == OPT_CLEANUP) {
		pr_info("removed rules and pins left by an earlier daemon");
		ctl_close_all(&d.ctl);
		return 0;
	}
	err = kern_check();
	if (!err)
		err = rules_check();
	if (!err)
		err = ensure_bpffs();
	if (!err) {
		err = hq_init(&d.lim.q);
		if (err)
			pr_err("cannot set up the queue: %s", strerror(-err));
	}
	if (err)
		goto out;
	limit_event_init(&d.lim.ev, (uint64_t)d.o.c.event_interval * 1000000000ull);

	err = kern_open(&d.k, d.o.c.limit, d.o.c.tracked_max, d.o.c.socket_iface, limiter_on_event,
			&d.lim);
	if (err)
		goto out;
	limiter_init(&d.lim);
	contain_configure(&d.lim.cn, &d.k, &d.o.c);
	/* a listener before the rules, so no SYN meets an empty queue */
	err = nfqueue_open(&d.nfq, (uint16_t)d.o.c.queue_num, d.o.c.queue_max + 1024);
	if (err)
		goto out;
	/* iptables takes its own reference to the filter: the pin is only for it */
	err = kern_pin_filter(&d.k, pin);
	if (err) {
		pr_err("cannot pin the packet filter at %s: %s", pin, strerror(-err));
		goto out;
	}
	err = rules_install(pin, (uint16_t)d.o.c.queue_num);
	(void)unlink(pin);
	if (err)
		goto out;
	err = kern_attach(&d.k);
	if (!err)
		err = kern_attach_app(&d.k);
	if (err)
		goto out;
	err = raw_open(&d.raw, &d.k);
	if (!err)
		raw_configure(&d.raw, d.o.c.raw_timeout_ms, d.o.c.contain_rate);
	if (!err)
		err = setup_loop(&d);
	if (!err)
		err = epoll_add(d.epfd, raw_nl_fd(&d.raw), EV_RAW_LINK);
	if (!err)
		err = epoll_add(d.epfd, d.raw.timer_fd, EV_RAW_TIMER);
	if (!err)
		err = http_listen(&d.http);
	if (err)
		goto out;
	set_rate(&d);
	scopes_load(&d.sc, &d.o.c);
	d.snap.started = time(NULL);
	pr_info("halfopend " HO_VERSION " started: mode %s, limit %s, slot-timeout %u s, queue %u, "
		"tracked %u, NFQUEUE %u, release %s, %u policies, netns net:[%u]",
		d.o.c.mode == HO_MODE_ORIGINAL ? "original" : "contain",
		format_limit(d.o.c.limit, lim, sizeof(lim)), d.o.c.slot_timeout, d.o.c.queue_max,
		d.o.c.tracked_max, d.o.c.queue_num, format_release(d.o.c.release, rel, sizeof(rel)),
		d.sc.n, d.k.netns_ino);
	(void)sd_notifyf("READY=1\nSTATUS=limit %s, 0 in flight, 0 queued", lim);
	err = run_loop(&d);
	(void)sd_notifyf("STOPPING=1\nSTATUS=releasing held attempts");
out:
	shutdown_all(&d, pin);
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.timerfd >= 0)
		close(d.timerfd);
	if (d.ratefd >= 0)
		close(d.ratefd);
	if (!err)
		pr_info("stopped: %lu attempts released, rules removed",
			(unsigned long)d.lim.rel.released);
	return err ? 1 : 0;
}
