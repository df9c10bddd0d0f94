// SPDX-License-Identifier: MIT
/*
 * The board file parser and its value parsers on arbitrary bytes: no crash,
 * and a board that parses holds only keys that are shell names and values
 * with nothing sh would expand inside double quotes; each value goes through the caps and planes
 * parsers, which either fail with nothing left or give sane numbers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "board/board.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct board b;
	unsigned int line = 0;
	int ret;

	ret = board_parse((const char *)data, size, &b, &line);
	if (ret) {
		if ((ret != -EINVAL && ret != -E2BIG && ret != -EEXIST) || b.n_vars)
			abort();
		return 0;
	}
	if (b.n_vars > BOARD_MAX_VARS)
		abort();
	for (size_t i = 0; i < b.n_vars; i++) {
		const struct board_var *v = &b.vars[i];
		struct board_planes p;
		struct board_caps c;

		if (!v->key[0] || strspn(v->key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789") !=
				      strlen(v->key) ||
		    strpbrk(v->value, "$`\\\"\n\r"))
			abort();
		if (board_get(&b, v->key) != v->value && strcmp(board_get(&b, v->key), v->value))
			abort();
		if (board_parse_caps(v->value, &c) == 0) {
			if (!c.width || !c.height || !c.fps_num || !c.fps_den || c.width > 65535)
				abort();
		} else if (c.width || c.format[0]) {
			abort();
		}
		if (board_parse_planes(v->value, &p) == 0 && (p.primary > 1024 || p.overlay > 1024))
			abort();
	}
	return 0;
}
