// SPDX-License-Identifier: MIT
/* The image test's screen checkers' shared helpers (screen-check.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "screen-check.h"

int sc_failures;

void sc_expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("# %s: ", ok ? "ok" : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	sc_failures += !ok;
}

uint32_t sc_px(const struct drv_display_image *img, uint32_t x, uint32_t y)
{
	return ((const uint32_t *)(img->data + (size_t)y * img->stride))[x];
}

int sc_chdiff(uint32_t a, uint32_t b)
{
	int worst = 0;

	for (int sh = 0; sh <= 16; sh += 8) {
		int d = abs((int)((a >> sh) & 0xff) - (int)((b >> sh) & 0xff));

		worst = d > worst ? d : worst;
	}
	return worst;
}
