// SPDX-License-Identifier: MIT
/* The relay's answer to the WebSocket upgrade, checked strictly (kx_ws_http.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "kx_ws_http.h"

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 9110 5.5 field-vchar / SP / HTAB (obs-text allowed, controls not). */
static bool is_value_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return n == strlen(want) && !strncasecmp(name, want, n);
}

/* Does the comma-separated token list v[0..n) contain tok (case-insensitive)? */
static bool list_has(const char *v, size_t n, const char *tok)
{
	size_t t = strlen(tok);

	while (n) {
		size_t i = 0, a, b;

		while (i < n && v[i] != ',')
			i++;
		for (a = 0; a < i && (v[a] == ' ' || v[a] == '\t'); a++)
			;
		for (b = i; b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'); b--)
			;
		if (b - a == t && !strncasecmp(v + a, tok, t))
			return true;
		if (i == n)
			break;
		v += i + 1;
		n -= i + 1;
	}
	return false;
}

static int fail(const char **detail, const char *why)
{
	*detail = why;
	return -EPROTO;
}

int kx_ws_check_upgrade_protocol(const char *head, size_t len, const char *accept,
				 size_t accept_len, const char *protocol, const char **detail)
{
	static const char status[] = "HTTP/1.1 101";
	const char *p = head, *end = head + len;
	unsigned int n_headers = 0, n_upgrade = 0, n_accept = 0, n_protocol = 0;
	bool connection_upgrade = false;

	if (len > KX_WS_HEAD_MAX)
		return fail(detail, "the relay's upgrade response is too large");
	if (len < 4 || memcmp(end - 4, "\r\n\r\n", 4))
		return fail(detail, "the relay's upgrade response is incomplete");
	if (memchr(head, '\0', len))
		return fail(detail, "the relay's upgrade response holds a NUL byte");

	/* Status line: exactly 101, then SP reason or nothing (RFC 9112 4). */
	if (len < sizeof(status) - 1 || memcmp(p, status, sizeof(status) - 1))
		return fail(detail, "the relay refused the WebSocket upgrade");
	p += sizeof(status) - 1;
	if (*p == ' ') {
		for (p++; p < end && *p != '\r' && *p != '\n'; p++)
			if (!is_value_char((unsigned char)*p))
				return fail(detail, "the relay's status line is malformed");
	}
	if (p + 1 >= end || p[0] != '\r' || p[1] != '\n')
		return fail(detail, "the relay refused the WebSocket upgrade");
	if ((size_t)(p - head) > KX_WS_LINE_MAX)
		return fail(detail, "the relay's status line is too long");
	p += 2;

	/* Header lines up to the blank one. */
	while (p < end) {
		const char *line = p, *colon = NULL, *eol, *v, *ve;
		size_t n;

		for (eol = p; eol < end && *eol != '\r' && *eol != '\n'; eol++)
			;
		if (eol + 1 >= end || eol[0] != '\r' || eol[1] != '\n')
			return fail(detail, "the relay's upgrade response has a bare line feed");
		if (eol == line)
			break; /* the blank line: end of the head */
		if ((size_t)(eol - line) > KX_WS_LINE_MAX)
			return fail(detail, "a header of the relay's upgrade response is too long");
		if (++n_headers > KX_WS_HEADERS_MAX)
			return fail(detail, "the relay's upgrade response has too many headers");
		for (const char *q = line; q < eol; q++) {
			if (*q == ':') {
				colon = q;
				break;
			}
			if (!is_tchar((unsigned char)*q))
				return fail(detail, "a header name of the relay is malformed");
		}
		if (!colon || colon == line)
			return fail(detail, "a header line of the relay is malformed");
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		for (const char *q = v; q < ve; q++)
			if (!is_value_char((unsigned char)*q))
				return fail(detail, "a header value of the relay is malformed");
		n = (size_t)(colon - line);

		if (name_is(line, n, "Upgrade")) {
			if (++n_upgrade > 1 || !name_is(v, (size_t)(ve - v), "websocket"))
				return fail(detail, "the relay did not upgrade to websocket");
		} else if (name_is(line, n, "Connection")) {
			connection_upgrade |= list_has(v, (size_t)(ve - v), "upgrade");
		} else if (name_is(line, n, "Sec-WebSocket-Accept")) {
			/* Not a secret: a plain compare. */
			if (++n_accept > 1 || (size_t)(ve - v) != accept_len ||
			    memcmp(v, accept, accept_len))
				return fail(detail, "the relay's Sec-WebSocket-Accept is wrong");
		} else if (name_is(line, n, "Sec-WebSocket-Extensions")) {
			return fail(detail, "the relay answered with an extension that was not offered");
		} else if (name_is(line, n, "Sec-WebSocket-Protocol")) {
			/* RFC 6455 4.1: one of those offered (here the one), exactly. */
			if (!protocol)
				return fail(detail, "the relay answered with a subprotocol that was not offered");
			if (++n_protocol > 1 || (size_t)(ve - v) != strlen(protocol) ||
			    memcmp(v, protocol, strlen(protocol)))
				return fail(detail, "the relay answered with another subprotocol");
		}
		p = eol + 2;
	}
	if (p + 2 != end)
		return fail(detail, "the relay's upgrade response is incomplete");
	if (!n_upgrade || !connection_upgrade)
		return fail(detail, "the relay did not upgrade to websocket");
	if (!n_accept)
		return fail(detail, "the relay's Sec-WebSocket-Accept is wrong");
	if (protocol && !n_protocol)
		return fail(detail, "the relay did not take the subprotocol");
	return 0;
}

int kx_ws_check_upgrade(const char *head, size_t len, const char *accept, size_t accept_len,
			const char **detail)
{
	return kx_ws_check_upgrade_protocol(head, len, accept, accept_len, NULL, detail);
}
