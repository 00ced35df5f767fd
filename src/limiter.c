// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The queue engine: attempts queued by the kernel, their held SYNs from
 * NFQUEUE, and their release in FIFO order as slots free.
 *
 * The kernel owns the slot count; an attempt moves from queued to in flight
 * only through the "release" BPF program, atomically with taking a slot, so
 * the daemon and the kernel never disagree on who holds a slot. The daemon
 * owns the order and the held packets.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <string.h>
#include "daemon.h"
#include "log.h"
#include "packet.h"
#include "parse.h"
#include "procinfo.h"

static void drop_entry(struct daemon *d, struct hq_entry *e, uint32_t verdict)
{
	if (e->has_pkt)
		nfqueue_verdict(&d->nfq, e->pkt_id, verdict);
	hq_remove(&d->q, e);
}

int limiter_on_event(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	const struct ho_event *ev = data;
	struct hq_entry *e;

	if (len < sizeof(*ev))
		return 0;
	switch (ev->type) {
	case HO_EV_QUEUED:
		/* -EEXIST: adopted already from a packet that came first */
		if (hq_push(&d->q, ev->cookie, &ev->a, NULL) == -ENOMEM)
			pr_err("out of memory queueing an attempt of pid %u", ev->a.tgid);
		if (!d->limit_hit_ns)
			d->limit_hit_ns = now_ns();
		d->last_queued = ev->a;
		break;
	case HO_EV_CANCELLED:
		e = hq_find(&d->q, ev->cookie);
		if (e)
			drop_entry(d, e, NF_DROP); /* its socket is closed: never send it */
		break;
	case HO_EV_SLOT_FREED:
		break; /* limiter_release() runs after every batch */
	}
	return 0;
}

/* A SYN the kernel held for us; find its attempt by the packet's tuple. */
void limiter_on_packet(void *ctx, uint32_t id, const void *pkt, size_t len)
{
	struct daemon *d = ctx;
	struct ho_attempt a;
	struct ho_tuple t;
	struct hq_entry *e;
	uint64_t cookie;

	if (packet_tuple(pkt, len, &t) || kern_take_held(&d->k, &t, &cookie)) {
		nfqueue_verdict(&d->nfq, id, NF_ACCEPT); /* not one of ours: fail open */
		return;
	}
	e = hq_find(&d->q, cookie);
	if (!e) {
		/* the QUEUED event is written before the SYN is built: read it now */
		ring_buffer__consume(d->k.rb);
		e = hq_find(&d->q, cookie);
	}
	if (!e) {
		if (kern_lookup(&d->k, cookie, &a) || a.state == HO_ST_GONE) {
			nfqueue_verdict(&d->nfq, id, NF_DROP);
			return;
		}
		if (a.state == HO_ST_INFLIGHT) {
			nfqueue_verdict(&d->nfq, id, NF_ACCEPT); /* released meanwhile */
			return;
		}
		/* queued, but its event was lost (ring buffer full): adopt it */
		if (hq_insert_ordered(&d->q, cookie, &a, &e)) {
			nfqueue_verdict(&d->nfq, id, NF_DROP);
			return;
		}
		d->adopted++;
	}
	if (e->has_pkt) {
		/* a retransmission while held: one packet per attempt is enough */
		d->duplicates++;
		nfqueue_verdict(&d->nfq, id, NF_DROP);
	} else if (d->q.held >= d->o.queue_max) {
		/* the attempt keeps its place; TCP sends its SYN again later */
		d->dropped++;
		nfqueue_verdict(&d->nfq, id, NF_DROP);
	} else {
		hq_hold(&d->q, e, id);
	}
}

static void release_head(struct daemon *d, bool force)
{
	struct hq_entry *e;
	int r;

	while ((e = hq_head(&d->q))) {
		r = kern_release(&d->k, e->cookie, force);
		if (r == HO_REL_NO_SLOT)
			return;
		if (r < 0) {
			pr_err("releasing an attempt: %s", strerror(-r));
			return; /* the timer tries again */
		}
		if (r == HO_REL_RELEASED) {
			d->released++;
			drop_entry(d, e, NF_ACCEPT);
		} else {
			drop_entry(d, e, NF_DROP); /* gone: its socket left SYN_SENT */
		}
	}
}

void limiter_release(struct daemon *d)
{
	release_head(d, false);
}

/* Shutdown: everything queued goes now, over the limit if need be. */
void limiter_release_all(struct daemon *d)
{
	ring_buffer__consume(d->k.rb);
	release_head(d, true);
}

static void adopt(void *ctx, uint64_t cookie, const struct ho_attempt *a)
{
	struct daemon *d = ctx;

	if (a->state == HO_ST_QUEUED && hq_insert_ordered(&d->q, cookie, a, NULL) == 0)
		d->adopted++;
}

/* Once a second: catch up with what the kernel could not tell us. */
void limiter_housekeeping(struct daemon *d)
{
	struct ho_kstate *ks = kern_state(&d->k);
	uint64_t lost = __atomic_load_n(&ks->lost_events, __ATOMIC_RELAXED);
	uint64_t untracked = __atomic_load_n(&ks->untracked, __ATOMIC_RELAXED);

	if (lost != d->seen_lost_events) {
		pr_warn("%" PRIu64 " kernel events were lost (ring buffer full); rescanning "
			"the attempt table",
			lost - d->seen_lost_events);
		d->seen_lost_events = lost;
		ring_buffer__consume(d->k.rb);
		kern_for_each(&d->k, adopt, d);
	}
	if (untracked != d->seen_untracked) {
		pr_warn("attempt table full (%u): %" PRIu64 " attempts were let through "
			"untracked; raise --tracked-max",
			d->o.tracked_max, untracked - d->seen_untracked);
		d->seen_untracked = untracked;
	}
	limiter_release(d);
}

/* halfopen's Event 4226: first time the limit is reached, then once per interval. */
int limiter_report(struct daemon *d)
{
	struct top_proc top;
	char lim[16], cg[256], user[64];
	uint64_t now = now_ns(), gather = HO_REPORT_GATHER_MS * 1000000ull;

	if (!d->limit_hit_ns)
		return -1;
	if (now - d->limit_hit_ns < gather)
		return (int)((gather - (now - d->limit_hit_ns)) / 1000000) + 1;
	d->limit_hit_ns = 0;
	if (!limit_event_due(&d->ev, now))
		return -1;
	if (queue_top_process(&d->q, &top)) {
		/* released within the same batch: name the last one queued */
		top = (struct top_proc){.tgid = d->last_queued.tgid,
					.uid = d->last_queued.uid,
					.cgid = d->last_queued.cgid,
					.queued = 1};
		memcpy(top.comm, d->last_queued.comm, sizeof(top.comm));
		top.comm[sizeof(top.comm) - 1] = '\0';
	}
	pr_warn("event=" HO_EVENT_ID " limit on concurrent outbound connection attempts (%s) "
		"reached, further attempts are being queued: %zu queued; most by pid %u (%s) "
		"uid %u (%s) cgroup %s with %u queued",
		format_limit(kern_state(&d->k)->limit, lim, sizeof(lim)), d->q.count, top.tgid,
		top.comm, top.uid, user_name(top.uid, user, sizeof(user)),
		proc_cgroup(top.tgid, top.cgid, cg, sizeof(cg)), top.queued);
	return -1;
}
