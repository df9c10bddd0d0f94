/* SPDX-License-Identifier: MIT */
/*
 * WebSocket (RFC 6455) over TLS (mbedTLS) to the signaling relay: the
 * transport of keyxchgd. The relay is not trusted with anything, but the TLS
 * connection is still checked (chain against a configured CA, host name), so
 * that a third party on the path is not the relay.
 *
 * Call order:
 *   kx_ws_connect()          TCP, TLS handshake, HTTP upgrade: blocking, bounded
 *   poll(kx_ws_fd(), POLLIN | (kx_ws_wants_write() ? POLLOUT : 0))
 *   kx_ws_pump()             whenever poll says so; messages reach the callback
 *   kx_ws_send()             queues a text message (sent by kx_ws_pump)
 *   kx_ws_free()             always
 *
 * The connection owns its memory (this is daemon code, not crypto/).
 * Messages are text frames of at most KX_WS_MAX_MESSAGE bytes.
 */
#ifndef KX_WS_H
#define KX_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KX_WS_MAX_MESSAGE (1u << 20)

struct kx_ws_config {
	const char *host; /* name or address; checked against the certificate */
	uint16_t port;
	const char *path; /* e.g. "/v1/rooms/<meeting>" */
	const char *ca_file; /* PEM: the relay's chain must end in one of these */
	int timeout_ms; /* for connect, handshake and upgrade together */
};

struct kx_ws;

/* Called for each complete text message; text is not NUL-terminated. */
typedef void (*kx_ws_message_cb)(void *user, const char *text, size_t len);

/*
 * Returns 0 and a connection, or -errno: -ETIMEDOUT, -ECONNREFUSED,
 * -EPROTO (TLS or upgrade failed), -EBADMSG (certificate not trusted or
 * not for host; *detail says which), -EINVAL. detail may be NULL; it gets a
 * static string.
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
kx_ws_connect(const struct kx_ws_config *cfg, struct kx_ws **out, const char **detail);

int kx_ws_fd(const struct kx_ws *ws);
bool kx_ws_wants_write(const struct kx_ws *ws);

/* Queues one text message. -EMSGSIZE, -ENOMEM, -ENOTCONN. */
__attribute__((warn_unused_result, nonnull(1, 2))) int kx_ws_send(struct kx_ws *ws,
								  const char *text, size_t len);

/*
 * Reads and writes what it can without blocking. Returns 0, or -ECONNRESET
 * once the peer closed or the connection broke (then only kx_ws_free).
 */
__attribute__((warn_unused_result, nonnull(1))) int kx_ws_pump(struct kx_ws *ws,
								kx_ws_message_cb cb, void *user);

void kx_ws_free(struct kx_ws *ws);

#endif
