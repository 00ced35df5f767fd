/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The optional metrics endpoint on 127.0.0.1 (see http.c). */
#ifndef HO_HTTP_H
#define HO_HTTP_H

#include <stdint.h>

struct daemon;

int http_listen(struct daemon *d);
void http_accept(struct daemon *d);
void http_event(struct daemon *d, int fd, uint32_t events);
/* Close connections older than the time bound; from the 1 s timer. */
void http_expire(struct daemon *d);
void http_close_all(struct daemon *d);

#endif
