// SPDX-License-Identifier: MIT
/*
 * kx_ws's check of the relay's upgrade answer (keyxchg/net/kx_ws_http.h):
 * a table of named answers, each accepted or refused with its reason. The
 * expected accept value is RFC 6455 1.3's example ("dGhlIHNhbXBsZSBub25jZQ=="
 * gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../keyxchg/net/kx_ws_http.h"

#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define STATUS "HTTP/1.1 101 Switching Protocols\r\n"
#define UPG    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define ACC    "Sec-WebSocket-Accept: " ACCEPT "\r\n"

struct vec {
	const char *name;
	const char *head;
	const char *why; /* NULL: accepted; else a part of the reason */
};

static const struct vec vecs[] = {
	{ "RFC 6455 1.3's answer", STATUS UPG ACC "\r\n", NULL },
	{ "websockets 10.4's answer",
	  STATUS UPG ACC "Date: Fri, 27 Nov 2026 12:00:00 GMT\r\nServer: Python/3.11 "
			 "websockets/10.4\r\n\r\n",
	  NULL },
	{ "no reason phrase, names in any case, Connection a list",
	  "HTTP/1.1 101\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
	  "sec-websocket-accept:" ACCEPT "  \r\n\r\n",
	  NULL },
	{ "status 200", "HTTP/1.1 200 OK\r\n" UPG ACC "\r\n", "refused the WebSocket upgrade" },
	{ "status 1010", "HTTP/1.1 1010 x\r\n" UPG ACC "\r\n", "refused the WebSocket upgrade" },
	{ "status 101 in HTTP/1.0", "HTTP/1.0 101 x\r\n" UPG ACC "\r\n",
	  "refused the WebSocket upgrade" },
	{ "a control byte in the reason", "HTTP/1.1 101 Sw\x01tching\r\n" UPG ACC "\r\n",
	  "status line is malformed" },
	{ "a wrong accept", STATUS UPG "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOp=\r\n\r\n",
	  "Sec-WebSocket-Accept is wrong" },
	{ "the accept twice", STATUS UPG ACC ACC "\r\n", "Sec-WebSocket-Accept is wrong" },
	{ "no accept", STATUS UPG "\r\n", "Sec-WebSocket-Accept is wrong" },
	{ "the accept with a prefix", STATUS UPG "Sec-WebSocket-Accept: x" ACCEPT "\r\n\r\n",
	  "Sec-WebSocket-Accept is wrong" },
	{ "no Upgrade", STATUS "Connection: Upgrade\r\n" ACC "\r\n", "did not upgrade" },
	{ "Upgrade to another protocol", STATUS "Upgrade: h2c\r\nConnection: Upgrade\r\n" ACC "\r\n",
	  "did not upgrade" },
	{ "Upgrade twice", STATUS UPG "Upgrade: websocket\r\n" ACC "\r\n", "did not upgrade" },
	{ "Connection without upgrade", STATUS "Upgrade: websocket\r\nConnection: close\r\n" ACC
					       "\r\n",
	  "did not upgrade" },
	{ "an extension not offered",
	  STATUS UPG ACC "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
	  "extension that was not offered" },
	{ "a subprotocol not offered", STATUS UPG ACC "Sec-WebSocket-Protocol: chat\r\n\r\n",
	  "subprotocol that was not offered" },
	{ "a bare LF", "HTTP/1.1 101 x\r\nUpgrade: websocket\nConnection: Upgrade\r\n" ACC "\r\n",
	  "bare line feed" },
	{ "obs-fold", STATUS UPG ACC " folded\r\n\r\n", "header name of the relay is malformed" },
	{ "a space before the colon", STATUS "Upgrade : websocket\r\n" ACC "\r\n",
	  "header name of the relay is malformed" },
	{ "a line without a colon", STATUS UPG ACC "garbage\r\n\r\n",
	  "header line of the relay is malformed" },
	{ "an empty name", STATUS UPG ACC ": x\r\n\r\n", "header line of the relay is malformed" },
	{ "a control byte in a value", STATUS UPG ACC "X: a\x7f\r\n\r\n",
	  "header value of the relay is malformed" },
	{ "no blank line", STATUS UPG ACC, "incomplete" },
	{ "nothing", "", "incomplete" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		size_t len = strlen(v->head);
		/* An exact-size copy: a read past len is ASan's to catch. */
		char *head = malloc(len ? len : 1);
		const char *detail = NULL;
		int r;

		assert_non_null(head);
		memcpy(head, v->head, len);
		r = kx_ws_check_upgrade(head, len, ACCEPT, strlen(ACCEPT), &detail);
		if (!v->why) {
			if (r)
				fail_msg("%s: refused: %s", v->name, detail);
		} else if (r != -EPROTO || !detail || !strstr(detail, v->why)) {
			fail_msg("%s: %d, %s (want: %s)", v->name, r, detail ? detail : "no reason",
				 v->why);
		}
		free(head);
	}
}

/* The bounds: the whole head, one line, the number of headers. */
static void test_bounds(void **state)
{
	char *head = malloc(KX_WS_HEAD_MAX + 64);
	const char *detail;
	size_t n;

	(void)state;
	assert_non_null(head);
	/* A value of KX_WS_LINE_MAX - 3 bytes ("X: " + value) is the longest line. */
	n = (size_t)sprintf(head, STATUS UPG ACC "X: ");
	memset(head + n, 'a', KX_WS_LINE_MAX - 3);
	n += KX_WS_LINE_MAX - 3;
	memcpy(head + n, "\r\n\r\n", 4);
	assert_int_equal(kx_ws_check_upgrade(head, n + 4, ACCEPT, strlen(ACCEPT), &detail), 0);
	head[n] = 'a';
	memcpy(head + n + 1, "\r\n\r\n", 4);
	assert_int_equal(kx_ws_check_upgrade(head, n + 5, ACCEPT, strlen(ACCEPT), &detail), -EPROTO);
	assert_non_null(strstr(detail, "too long"));

	/* KX_WS_HEADERS_MAX headers in all, then one more. */
	n = (size_t)sprintf(head, STATUS UPG ACC);
	for (int i = 3; i < KX_WS_HEADERS_MAX; i++)
		n += (size_t)sprintf(head + n, "X: %d\r\n", i);
	memcpy(head + n, "\r\n", 2);
	assert_int_equal(kx_ws_check_upgrade(head, n + 2, ACCEPT, strlen(ACCEPT), &detail), 0);
	n += (size_t)sprintf(head + n, "X: more\r\n\r\n");
	assert_int_equal(kx_ws_check_upgrade(head, n, ACCEPT, strlen(ACCEPT), &detail), -EPROTO);
	assert_non_null(strstr(detail, "too many headers"));

	/* A head over KX_WS_HEAD_MAX, however well formed. */
	n = (size_t)sprintf(head, STATUS UPG ACC);
	while (n < KX_WS_HEAD_MAX)
		n += (size_t)sprintf(head + n, "Y: %0500d\r\n", 0);
	memcpy(head + n, "\r\n", 2);
	assert_int_equal(kx_ws_check_upgrade(head, n + 2, ACCEPT, strlen(ACCEPT), &detail), -EPROTO);
	assert_non_null(strstr(detail, "too large"));
	free(head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
