/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The epoll tags of the event loop (halfopend.c), all of them: one list, so none collide. */
#ifndef HO_EV_TAGS_H
#define HO_EV_TAGS_H

enum ev_tag {
	EV_RINGBUF = 1,
	EV_NFQ,
	EV_CTL,
	EV_SIGNAL,
	EV_TIMER,
	EV_HTTP_LISTEN,
	EV_RATE,
};
#define EV_CLIENT (1ull << 32) /* a control client: EV_CLIENT | fd */
#define EV_HTTP	  (1ull << 33) /* a metrics connection: EV_HTTP | fd */

#endif
