/* SPDX-License-Identifier: MIT */
/*
 * The check of the relay's answer to the WebSocket opening handshake
 * (RFC 6455 4.1, 4.2.2; RFC 9112 for the HTTP/1.1 syntax), apart from the
 * transport so that it can be fuzzed (tests/fuzz/fuzz_kx_ws_http.c).
 * It allocates nothing and reads only head[0..len).
 */
#ifndef KX_WS_HTTP_H
#define KX_WS_HTTP_H

#include <stddef.h>

/* The whole response head, status line to the blank line included. */
#define KX_WS_HEAD_MAX	  8192
#define KX_WS_LINE_MAX	  1024
#define KX_WS_HEADERS_MAX 64

/*
 * head: the response head as read, which must end with the first "\r\n\r\n"
 * (the caller stops reading there). accept: the Sec-WebSocket-Accept this
 * client expects (base64 of SHA-1, RFC 6455 4.2.2 5.4), accept_len bytes.
 *
 * Accepted only: status line "HTTP/1.1 101" then a space and a reason of
 * visible characters (or nothing); at most KX_WS_HEADERS_MAX header lines,
 * each a token, ':' and a value of visible characters, spaces and tabs, at
 * most KX_WS_LINE_MAX bytes, CRLF-terminated (no bare LF, no NUL, no
 * obs-fold); exactly one Upgrade (websocket), a Connection listing upgrade,
 * exactly one Sec-WebSocket-Accept equal to accept; no
 * Sec-WebSocket-Extensions and no Sec-WebSocket-Protocol (this client offers
 * neither, RFC 6455 4.1: the client fails the connection on one it did not
 * ask for).
 *
 * Returns 0, or -EPROTO with *detail set to a static sentence (never NULL).
 */
__attribute__((warn_unused_result, nonnull(1, 3, 5))) int
kx_ws_check_upgrade(const char *head, size_t len, const char *accept, size_t accept_len,
		    const char **detail);

/*
 * The same for a client that offered one subprotocol (RFC 6455 4.1,
 * Sec-WebSocket-Protocol; Janus's WebSocket API wants "janus-protocol"):
 * the answer must name exactly that one, once. protocol NULL is
 * kx_ws_check_upgrade().
 */
__attribute__((warn_unused_result, nonnull(1, 3, 6))) int
kx_ws_check_upgrade_protocol(const char *head, size_t len, const char *accept, size_t accept_len,
			     const char *protocol, const char **detail);

#endif
