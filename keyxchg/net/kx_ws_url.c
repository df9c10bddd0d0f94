// SPDX-License-Identifier: MIT
/* The meeting service's address, wss://host[:port][/path] (kx_ws_url.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kx_ws_url.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int fail(const char **why, const char *text)
{
	*why = text;
	return -EINVAL;
}

/* Dotted decimal, four parts 0..255 without leading zeros. */
static bool ipv4(const char *h, size_t n)
{
	unsigned int parts = 0, v = 0, digits = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (!digits || v > 255)
				return false;
			parts++;
			v = digits = 0;
			continue;
		}
		if (!is_digit(h[i]) || (digits == 1 && v == 0) || ++digits > 3)
			return false;
		v = v * 10 + (unsigned int)(h[i] - '0');
	}
	return parts == 4;
}

static int host_ok(const char *h, size_t n, const char **why)
{
	size_t label = 0, last = 0;
	bool digits = true, final_digits = false; /* the label so far, the last label */

	if (!n)
		return fail(why, "the address names no host");
	if (n > KX_WS_HOST_MAX)
		return fail(why, "the host name is longer than 253 bytes");
	for (size_t i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (!label)
				return fail(why, "the host name has an empty label");
			if (h[i - 1] == '-' || h[last] == '-')
				return fail(why, "a host name label starts or ends with '-'");
			if (label > 63)
				return fail(why, "a host name label is longer than 63 bytes");
			final_digits = digits;
			label = 0;
			last = i + 1;
			digits = true;
			continue;
		}
		if (!is_alnum(h[i]) && h[i] != '-')
			return fail(why, "a host is letters, digits, '-' and '.' (no IPv6, no user)");
		digits &= is_digit(h[i]);
		label++;
	}
	if (final_digits && !ipv4(h, n))
		return fail(why, "a numeric host must be an IPv4 address a.b.c.d");
	return 0;
}

static int path_ok(const char *p, size_t n, const char **why)
{
	size_t seg = 0, start = 1;

	for (size_t i = 1; i <= n; i++) {
		if (i == n || p[i] == '/') {
			if (!seg)
				return fail(why, "the path has an empty segment (or ends with '/')");
			if ((seg == 1 && p[start] == '.') ||
			    (seg == 2 && p[start] == '.' && p[start + 1] == '.'))
				return fail(why, "the path has a '.' or '..' segment");
			seg = 0;
			start = i + 1;
			continue;
		}
		if (!is_alnum(p[i]) && !strchr("-._~", p[i]))
			return fail(why, "a path is letters, digits and - . _ ~ between '/' "
					 "(no query, fragment or escape)");
		seg++;
	}
	return 0;
}

int kx_ws_url_parse(const char *s, size_t len, struct kx_ws_url *out, const char **why)
{
	static const char scheme[] = "wss://";
	const size_t sl = sizeof(scheme) - 1;
	size_t h, hn, i;
	int ret;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!s || !len)
		return fail(why, "the address is empty");
	if (len > KX_WS_URL_MAX)
		return fail(why, "the address is longer than 128 bytes");
	if (memchr(s, '\0', len))
		return fail(why, "the address holds a NUL byte");
	if (len < sl || memcmp(s, scheme, sl))
		return fail(why, "the address must start with wss://");
	h = sl;
	for (i = h; i < len && s[i] != ':' && s[i] != '/'; i++)
		;
	hn = i - h;
	ret = host_ok(s + h, hn, why);
	if (ret)
		return ret;
	memcpy(out->host, s + h, hn);
	out->port = 443;
	if (i < len && s[i] == ':') {
		unsigned long v = 0;
		size_t d = ++i;

		for (; i < len && is_digit(s[i]); i++)
			if (i - d < 5)
				v = v * 10 + (unsigned long)(s[i] - '0');
		if (i == d || i - d > 5 || s[d] == '0' || v > 65535)
			return fail(why, "the port is a number 1..65535");
		if (i < len && s[i] != '/')
			return fail(why, "the port is a number 1..65535");
		out->port = (uint16_t)v;
	}
	if (i < len) {
		/* "/" alone is no path. */
		if (len - i > 1) {
			ret = path_ok(s + i, len - i, why);
			if (ret) {
				memset(out, 0, sizeof(*out));
				return ret;
			}
			memcpy(out->path, s + i, len - i);
		}
	}
	return 0;
}
