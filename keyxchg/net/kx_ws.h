/* SPDX-License-Identifier: MIT */
/*
 * WebSocket (RFC 6455) over TLS (mbedTLS) to the signaling relay: the
 * transport of keyxchgd. The relay is not trusted with anything, but the TLS
 * connection is still checked (chain against a configured CA, host name), so
 * that a third party on the path is not the relay.
 *
 * Call order:
 *   kx_ws_connect()          TCP, TLS handshake, HTTP upgrade, bounded by
 *                            timeout_ms together: blocks the caller until
 *                            done; or, without blocking a caller's loop:
 *     kx_ws_connect_start()  then, until it returns 0 or an error,
 *     kx_ws_connect_step()   whenever poll(kx_ws_fd(), kx_ws_connect_events())
 *                            says so or kx_ws_timeout_ms() has passed
 *   poll(kx_ws_fd(), POLLIN | (kx_ws_wants_write() ? POLLOUT : 0),
 *        at most kx_ws_timeout_ms())
 *   kx_ws_pump()             whenever poll says so, or kx_ws_wants_write();
 *                            messages reach the callback
 *   kx_ws_send()             queues a text message (sent by kx_ws_pump)
 *   kx_ws_free()             always
 *
 * The connection owns its memory (this is daemon code, not crypto/).
 * Messages are text frames of at most KX_WS_MAX_MESSAGE bytes.
 *
 * Keepalive: kx_ws_pump() sends a ping every ping_interval_ms and fails with
 * -ETIMEDOUT once nothing at all (pong, message) came from the relay for
 * idle_timeout_ms: a dead relay or path is noticed within that bound, and the
 * caller reconnects. kx_ws_wants_write() turns true when a timer is due, so
 * a loop that pumps on POLLOUT or on wants_write needs no other change.
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

/*
 * Knobs with defaults, set after kx_ws_connect() (kept out of kx_ws_config,
 * whose callers initialise it positionally). 0 means the default.
 */
struct kx_ws_options {
	int ping_interval_ms; /* KX_WS_PING_MS; made below idle_timeout_ms */
	int idle_timeout_ms;  /* KX_WS_IDLE_MS */
	size_t max_message;   /* received messages, at most KX_WS_MAX_MESSAGE */
};

#define KX_WS_PING_MS 10000
#define KX_WS_IDLE_MS 25000

struct kx_ws;

/* Called for each complete text message; text is not NUL-terminated. */
typedef void (*kx_ws_message_cb)(void *user, const char *text, size_t len);

/*
 * Returns 0 and a connection, or -errno: -ETIMEDOUT (which step: *detail),
 * -ECONNREFUSED, -EPROTO (TLS or upgrade failed: a status other than 101, a
 * wrong Sec-WebSocket-Accept, an extension or subprotocol not offered, a
 * malformed or oversized head; see kx_ws_http.h), -EBADMSG (certificate not
 * trusted or not for host), -EINVAL. detail may be NULL; it gets a static
 * sentence for a person, never NULL on failure.
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
kx_ws_connect(const struct kx_ws_config *cfg, struct kx_ws **out, const char **detail);

/*
 * The same, step by step on a non-blocking socket. kx_ws_connect_start()
 * resolves the name (which may block), prepares TLS and starts the TCP
 * connect: 0 and a connection under way, or -errno (detail as above).
 * kx_ws_connect_step() goes as far as it can without blocking: 0 once the
 * connection is open, -EINPROGRESS while under way, or -errno with *detail
 * once it failed (then only kx_ws_free; a failure is sticky), -ETIMEDOUT
 * past timeout_ms. kx_ws_connect_events() is POLLIN or POLLOUT, what the
 * step waits for. Until open, kx_ws_send() and kx_ws_pump() return
 * -ENOTCONN.
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
kx_ws_connect_start(const struct kx_ws_config *cfg, struct kx_ws **out, const char **detail);
/* The same, offering one WebSocket subprotocol (a token, e.g. Janus's
 * "janus-protocol"), which the answer must take (kx_ws_http.h). */
__attribute__((warn_unused_result, nonnull(1, 3))) int
kx_ws_connect_start_protocol(const struct kx_ws_config *cfg, const char *protocol,
			     struct kx_ws **out, const char **detail);
__attribute__((warn_unused_result, nonnull(1))) int kx_ws_connect_step(struct kx_ws *ws,
									const char **detail);
short kx_ws_connect_events(const struct kx_ws *ws);

/* Any time (kept until open); the keepalive restarts from now. */
__attribute__((nonnull(1, 2))) void kx_ws_set_options(struct kx_ws *ws,
						      const struct kx_ws_options *opt);

int kx_ws_fd(const struct kx_ws *ws);
bool kx_ws_wants_write(const struct kx_ws *ws);

/* Milliseconds until the keepalive needs kx_ws_pump(), or while connecting
 * until the deadline (0: now). */
int kx_ws_timeout_ms(const struct kx_ws *ws);

/* Why kx_ws_pump() failed: a static sentence. */
const char *kx_ws_error(const struct kx_ws *ws);

/* Queues one text message. -EMSGSIZE, -ENOMEM, -ENOTCONN. */
__attribute__((warn_unused_result, nonnull(1, 2))) int kx_ws_send(struct kx_ws *ws,
								  const char *text, size_t len);

/*
 * Reads and writes what it can without blocking, and runs the keepalive.
 * Returns 0, -ECONNRESET once the peer closed or the connection broke, or
 * -ETIMEDOUT once the relay went silent; then only kx_ws_error() and
 * kx_ws_free(), and every later call returns the same.
 */
__attribute__((warn_unused_result, nonnull(1))) int kx_ws_pump(struct kx_ws *ws,
								kx_ws_message_cb cb, void *user);

void kx_ws_free(struct kx_ws *ws);

#endif
