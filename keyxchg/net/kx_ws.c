// SPDX-License-Identifier: MIT
/* WebSocket over TLS: mbedTLS for TLS, wslay for RFC 6455 framing. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/sha1.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <wslay/wslay.h>

#include "kx_ws.h"
#include "kx_ws_http.h"

struct kx_ws {
	mbedtls_net_context net;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_ssl_context ssl;
	wslay_event_context_ptr ev;
	bool closed;
	kx_ws_message_cb cb;
	void *user;
	/* Keepalive (RFC 6455 5.5.2): a ping every ping_ms, the connection
	 * given up when nothing at all came from the relay for idle_ms. */
	int ping_ms, idle_ms;
	long long last_rx, next_ping;
	const char *error; /* why kx_ws_pump() failed (static) */
	int failed;	   /* what it returned then */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the socket until the deadline; -ETIMEDOUT past it. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	do
		r = poll(&p, 1, (int)left);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r ? 0 : -ETIMEDOUT;
}

static int tcp_connect(const struct kx_ws_config *cfg, long long deadline, int *fd_out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	char port[8];
	int ret = -ECONNREFUSED;

	snprintf(port, sizeof(port), "%u", cfg->port);
	if (getaddrinfo(cfg->host, port, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		int err = 0;
		socklen_t len = sizeof(err);

		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			ret = -errno;
			close(fd);
			continue;
		}
		ret = wait_fd(fd, POLLOUT, deadline);
		if (!ret && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
			ret = -err;
		if (ret) {
			close(fd);
			continue;
		}
		/* Each WebSocket frame goes out whole, at once: without this, Nagle
		 * and delayed acks hold small messages (an ack) up to 40 ms. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		*fd_out = fd;
		break;
	}
	freeaddrinfo(res);
	return ret;
}

static int tls_handshake(struct kx_ws *ws, const struct kx_ws_config *cfg, long long deadline,
			 const char **detail)
{
	static const char pers[] = "sealroom kx_ws";
	uint32_t flags;
	int r;

	if (mbedtls_ctr_drbg_seed(&ws->drbg, mbedtls_entropy_func, &ws->entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1))
		return -EIO;
	if (mbedtls_x509_crt_parse_file(&ws->ca, cfg->ca_file)) {
		*detail = "cannot read the CA file";
		return -EINVAL;
	}
	if (mbedtls_ssl_config_defaults(&ws->conf, MBEDTLS_SSL_IS_CLIENT,
					MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT))
		return -EIO;
	mbedtls_ssl_conf_min_version(&ws->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */
	mbedtls_ssl_conf_authmode(&ws->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&ws->conf, &ws->ca, NULL);
	mbedtls_ssl_conf_rng(&ws->conf, mbedtls_ctr_drbg_random, &ws->drbg);
	if (mbedtls_ssl_setup(&ws->ssl, &ws->conf) ||
	    mbedtls_ssl_set_hostname(&ws->ssl, cfg->host))
		return -EIO;
	mbedtls_ssl_set_bio(&ws->ssl, &ws->net, mbedtls_net_send, mbedtls_net_recv, NULL);
	while ((r = mbedtls_ssl_handshake(&ws->ssl)) != 0) {
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
			int w = wait_fd(ws->net.fd,
					r == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline);

			if (w) {
				*detail = w == -ETIMEDOUT ? "the relay did not complete the TLS "
							    "handshake in time" :
							    "TLS handshake failed";
				return w;
			}
			continue;
		}
		flags = mbedtls_ssl_get_verify_result(&ws->ssl);
		if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || flags) {
			*detail = (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) ?
					  "the relay's certificate is not for this host" :
					  "the relay's certificate chain is not trusted";
			return -EBADMSG;
		}
		*detail = "TLS handshake failed";
		return -EPROTO;
	}
	return 0;
}

/* Writes all of buf through TLS before the deadline. */
static int tls_write_all(struct kx_ws *ws, const unsigned char *buf, size_t len,
			 long long deadline)
{
	while (len) {
		int r = mbedtls_ssl_write(&ws->ssl, buf, len);

		if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ) {
			int w = wait_fd(ws->net.fd,
					r == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline);

			if (w)
				return w;
			continue;
		}
		if (r <= 0)
			return -EPROTO;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* RFC 6455 4.1: the opening handshake, and the check of the server's answer. */
static int upgrade(struct kx_ws *ws, const struct kx_ws_config *cfg, long long deadline,
		   const char **detail)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char nonce[16], digest[20], key[32], accept[32], acc_in[64];
	char req[1024], head[KX_WS_HEAD_MAX + 1];
	size_t key_len, accept_len, have = 0;
	int n;

	if (mbedtls_ctr_drbg_random(&ws->drbg, nonce, sizeof(nonce)) ||
	    mbedtls_base64_encode(key, sizeof(key), &key_len, nonce, sizeof(nonce)))
		return -EIO;
	key[key_len] = '\0';
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Version: 13\r\n\r\n",
		     cfg->path, cfg->host, cfg->port, key);
	if (n < 0 || (size_t)n >= sizeof(req))
		return -EINVAL;
	n = tls_write_all(ws, (const unsigned char *)req, (size_t)n, deadline);
	if (n) {
		*detail = n == -ETIMEDOUT ? "the relay did not take the upgrade request in time" :
					    "cannot send the upgrade request";
		return n;
	}
	/* Byte by byte up to the blank line, so that no frame data is read here. */
	for (;;) {
		int r;

		if (have == KX_WS_HEAD_MAX) {
			*detail = "the relay's upgrade response is too large";
			return -EPROTO;
		}
		r = mbedtls_ssl_read(&ws->ssl, (unsigned char *)head + have, 1);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
			int w = wait_fd(ws->net.fd,
					r == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline);

			if (w) {
				*detail = w == -ETIMEDOUT ? "the relay did not answer the upgrade in time" :
							    "the upgrade failed";
				return w;
			}
			continue;
		}
		if (r <= 0) {
			*detail = "the relay closed the connection during the upgrade";
			return -EPROTO;
		}
		have++;
		if (have >= 4 && !memcmp(head + have - 4, "\r\n\r\n", 4))
			break;
	}
	head[have] = '\0';
	memcpy(acc_in, key, key_len);
	memcpy(acc_in + key_len, guid, sizeof(guid) - 1);
	if (mbedtls_sha1_ret(acc_in, key_len + sizeof(guid) - 1, digest) ||
	    mbedtls_base64_encode(accept, sizeof(accept), &accept_len, digest, sizeof(digest)))
		return -EIO;
	return kx_ws_check_upgrade(head, have, (const char *)accept, accept_len, detail);
}

/* wslay reads and writes through TLS; WANT_* becomes "would block". */
static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
		       void *user)
{
	struct kx_ws *ws = user;
	int r = mbedtls_ssl_read(&ws->ssl, buf, len);

	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (r <= 0) {
		if (!ws->error)
			ws->error = r ? "the TLS connection to the relay broke" :
					"the relay closed the connection";
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	ws->last_rx = now_ms();
	return r;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user)
{
	struct kx_ws *ws = user;
	int r = mbedtls_ssl_write(&ws->ssl, data, len);

	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (r < 0) {
		if (!ws->error)
			ws->error = "the TLS connection to the relay broke";
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return r;
}

static int ws_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
	struct kx_ws *ws = user;

	return mbedtls_ctr_drbg_random(&ws->drbg, buf, len) ? -1 : 0;
}

/* Why the connection ends, from the close frames seen (RFC 6455 7.4.1). */
static const char *close_reason(const struct kx_ws *ws)
{
	if (wslay_event_get_close_sent(ws->ev)) {
		switch (wslay_event_get_status_code_sent(ws->ev)) {
		case WSLAY_CODE_MESSAGE_TOO_BIG:
			return "a message from the relay was too large";
		case WSLAY_CODE_PROTOCOL_ERROR:
		case WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA:
			return "the relay broke the WebSocket protocol";
		default:
			break;
		}
	}
	if (wslay_event_get_close_received(ws->ev))
		return "the relay closed the connection";
	return "the WebSocket connection to the relay failed";
}

static void ws_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		      void *user)
{
	struct kx_ws *ws = user;

	if (arg->opcode == WSLAY_TEXT_FRAME && ws->cb)
		ws->cb(ws->user, (const char *)arg->msg, arg->msg_length);
	else if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
		ws->closed = true;
		if (!ws->error)
			ws->error = close_reason(ws);
	}
}

int kx_ws_connect(const struct kx_ws_config *cfg, struct kx_ws **out, const char **detail)
{
	static const struct wslay_event_callbacks cbs = {
		.recv_callback = ws_recv,
		.send_callback = ws_send,
		.genmask_callback = ws_genmask,
		.on_msg_recv_callback = ws_on_msg,
	};
	long long deadline = now_ms() + (cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000);
	const char *dummy;
	struct kx_ws *ws;
	int fd = -1, ret;

	*out = NULL;
	if (!detail)
		detail = &dummy;
	*detail = NULL;
	if (!cfg->host || !cfg->path || cfg->path[0] != '/' || !cfg->ca_file || !cfg->port)
		return -EINVAL;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	mbedtls_net_init(&ws->net);
	mbedtls_entropy_init(&ws->entropy);
	mbedtls_ctr_drbg_init(&ws->drbg);
	mbedtls_ssl_config_init(&ws->conf);
	mbedtls_x509_crt_init(&ws->ca);
	mbedtls_ssl_init(&ws->ssl);

	ret = tcp_connect(cfg, deadline, &fd);
	if (ret) {
		*detail = ret == -ETIMEDOUT ? "the relay did not accept the connection in time" :
					      "cannot reach the relay";
		goto out;
	}
	ws->net.fd = fd;
	ret = tls_handshake(ws, cfg, deadline, detail);
	if (!ret)
		ret = upgrade(ws, cfg, deadline, detail);
	if (ret)
		goto out;
	if (wslay_event_context_client_init(&ws->ev, &cbs, ws)) {
		ret = -ENOMEM;
		goto out;
	}
	/* RFC 6455 5.2: no extension was negotiated, so any RSV bit fails the
	 * connection (wslay's default, made explicit). */
	wslay_event_config_set_allowed_rsv_bits(ws->ev, WSLAY_RSV_NONE);
	kx_ws_set_options(ws, &(struct kx_ws_options){ 0 });
	*out = ws;
	return 0;
out:
	if (!*detail)
		*detail = "connection failed";
	kx_ws_free(ws);
	return ret;
}

void kx_ws_set_options(struct kx_ws *ws, const struct kx_ws_options *opt)
{
	/* Messages, and so frames, are bounded: wslay fails the connection
	 * with 1009 past it (RFC 6455 7.4.1). */
	wslay_event_config_set_max_recv_msg_length(
		ws->ev, opt->max_message > 0 && opt->max_message < KX_WS_MAX_MESSAGE ?
				opt->max_message :
				KX_WS_MAX_MESSAGE);
	ws->ping_ms = opt->ping_interval_ms > 0 ? opt->ping_interval_ms : KX_WS_PING_MS;
	ws->idle_ms = opt->idle_timeout_ms > 0 ? opt->idle_timeout_ms : KX_WS_IDLE_MS;
	if (ws->idle_ms <= ws->ping_ms)
		ws->ping_ms = ws->idle_ms / 2 > 0 ? ws->idle_ms / 2 : 1;
	ws->last_rx = now_ms();
	ws->next_ping = ws->last_rx + ws->ping_ms;
}

int kx_ws_fd(const struct kx_ws *ws)
{
	return ws->net.fd;
}

bool kx_ws_wants_write(const struct kx_ws *ws)
{
	/* Also true once a timer is due: a caller that pumps only when this
	 * says so (or the socket is ready) still runs the keepalive. */
	return wslay_event_want_write(ws->ev) || kx_ws_timeout_ms(ws) == 0;
}

int kx_ws_timeout_ms(const struct kx_ws *ws)
{
	long long now = now_ms(), at = ws->next_ping;

	if (ws->closed || ws->last_rx + ws->idle_ms < at)
		at = ws->last_rx + ws->idle_ms;
	if (ws->closed || at <= now)
		return 0;
	return at - now > 60000 ? 60000 : (int)(at - now);
}

const char *kx_ws_error(const struct kx_ws *ws)
{
	return ws->error ? ws->error : "the connection to the relay is lost";
}

int kx_ws_send(struct kx_ws *ws, const char *text, size_t len)
{
	struct wslay_event_msg msg = { WSLAY_TEXT_FRAME, (const uint8_t *)text, len };

	if (ws->closed)
		return -ENOTCONN;
	if (len > KX_WS_MAX_MESSAGE)
		return -EMSGSIZE;
	return wslay_event_queue_msg(ws->ev, &msg) ? -ENOMEM : 0;
}

/* The keepalive: a ping when due; -ETIMEDOUT once the relay went silent. */
static int keepalive(struct kx_ws *ws)
{
	long long now = now_ms();

	if (now - ws->last_rx >= ws->idle_ms) {
		ws->error = "the relay went silent (no answer to pings)";
		ws->closed = true;
		return ws->failed = -ETIMEDOUT;
	}
	if (now >= ws->next_ping) {
		struct wslay_event_msg ping = { WSLAY_PING, NULL, 0 };

		if (wslay_event_queue_msg(ws->ev, &ping)) {
			ws->error = "cannot queue a ping";
			ws->closed = true;
			return ws->failed = -ECONNRESET;
		}
		ws->next_ping = now + ws->ping_ms;
	}
	return 0;
}

int kx_ws_pump(struct kx_ws *ws, kx_ws_message_cb cb, void *user)
{
	int ret;

	ws->cb = cb;
	ws->user = user;
	if (ws->failed)
		return ws->failed;
	if (ws->closed)
		goto broken;
	/* TLS may hold decrypted bytes the socket no longer shows: read them too. */
	do {
		if (wslay_event_recv(ws->ev))
			goto broken;
	} while (!ws->closed && mbedtls_ssl_get_bytes_avail(&ws->ssl));
	ret = keepalive(ws);
	if (ret)
		return ret;
	if (wslay_event_want_write(ws->ev) && wslay_event_send(ws->ev))
		goto broken;
	if (ws->closed || (!wslay_event_want_read(ws->ev) && !wslay_event_want_write(ws->ev)))
		goto broken;
	return 0;
broken:
	ws->closed = true;
	if (!ws->error)
		ws->error = close_reason(ws);
	return ws->failed = -ECONNRESET;
}

void kx_ws_free(struct kx_ws *ws)
{
	if (!ws)
		return;
	if (ws->ev)
		wslay_event_context_free(ws->ev);
	if (ws->net.fd >= 0)
		mbedtls_ssl_close_notify(&ws->ssl);
	mbedtls_ssl_free(&ws->ssl);
	mbedtls_x509_crt_free(&ws->ca);
	mbedtls_ssl_config_free(&ws->conf);
	mbedtls_ctr_drbg_free(&ws->drbg);
	mbedtls_entropy_free(&ws->entropy);
	mbedtls_net_free(&ws->net);
	free(ws);
}
