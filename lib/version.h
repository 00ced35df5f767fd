/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The version of both programs. */
#ifndef HO_VERSION_H
#define HO_VERSION_H

#define HO_VERSION "0.2.0"

#endif
