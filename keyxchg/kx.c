// SPDX-License-Identifier: MIT
/* Library-wide: sodium_init, the warning hook. */
#include <stdarg.h>
#include <stdio.h>

#include <sodium.h>

#include "kx/kx.h"

static kx_warn_fn warn_fn;
static void *warn_ud;

void kx_set_warn_handler(kx_warn_fn fn, void *ud)
{
	warn_fn = fn;
	warn_ud = ud;
}

void kx_warn(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (warn_fn)
		warn_fn(msg, warn_ud);
	else
		fprintf(stderr, "keyxchg: %s\n", msg);
}

int kx_init(void)
{
	/* 0: initialized now, 1: already; -1: no usable randomness. */
	return sodium_init() < 0 ? -EIO : 0;
}
