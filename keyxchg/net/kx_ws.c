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

/* The steps of a connection; each runs until it would block. */
enum step { STEP_TCP, STEP_TLS, STEP_REQUEST, STEP_HEAD, STEP_OPEN };

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
	struct kx_ws_options opt; /* as set, applied once open */
	/* Keepalive (RFC 6455 5.5.2): a ping every ping_ms, the connection
	 * given up when nothing at all came from the relay for idle_ms. */
	int ping_ms, idle_ms;
	long long last_rx, next_ping;
	const char *error; /* why kx_ws_pump() failed (static, or errbuf) */
	char errbuf[96];
	int failed;	   /* what it returned then */

	/* The connection under way (kx_ws_connect_start, kx_ws_connect_step). */
	enum step step;
	long long deadline;
	short want;		     /* POLLIN or POLLOUT: what the step waits for */
	struct addrinfo *addrs, *ai; /* TCP: the address tried, and the ones after */
	int connect_err;	     /* a failed connection stays failed */
	const char *connect_detail;
	char req[1024];
	size_t req_len, req_sent;
	char protocol[64]; /* the subprotocol offered, or "" */
	unsigned char accept[32];
	size_t accept_len;
	char head[KX_WS_HEAD_MAX + 1];
	size_t have;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/*
 * mbedtls_net_send with MSG_NOSIGNAL: a relay that reset the connection must
 * give the caller an error (MBEDTLS_ERR_NET_CONN_RESET), never SIGPIPE. The
 * library cannot rely on every program that links it ignoring SIGPIPE (kxws
 * did not, and died of it under load when the relay closed first).
 */
static int net_send(void *ctx, const unsigned char *buf, size_t len)
{
	int fd = ((mbedtls_net_context *)ctx)->fd;
	ssize_t n;

	if (fd < 0)
		return MBEDTLS_ERR_NET_INVALID_CONTEXT;
	n = send(fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (errno == EPIPE || errno == ECONNRESET)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return MBEDTLS_ERR_NET_SEND_FAILED;
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
static const char *close_reason(struct kx_ws *ws)
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
	if (wslay_event_get_close_received(ws->ev)) {
		/* Its status says why (1011 from python websockets: our pongs came
		 * too late, a loop that did not pump the connection in time). */
		snprintf(ws->errbuf, sizeof(ws->errbuf),
			 "the relay closed the connection (status %u)",
			 (unsigned int)wslay_event_get_status_code_received(ws->ev));
		return ws->errbuf;
	}
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

/* Starts a non-blocking connect to ws->ai or the next address that takes it. */
static int tcp_start(struct kx_ws *ws)
{
	int ret = -ECONNREFUSED;

	for (; ws->ai; ws->ai = ws->ai->ai_next) {
		struct addrinfo *ai = ws->ai;
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (fd < 0) {
			ret = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			ret = -errno;
			close(fd);
			continue;
		}
		ws->net.fd = fd;
		ws->want = POLLOUT;
		return 0;
	}
	return ret;
}

static int step_tcp(struct kx_ws *ws)
{
	struct pollfd p = { .fd = ws->net.fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 0) == 0)
		return -EINPROGRESS;
	if (getsockopt(ws->net.fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		int ret;

		/* This address refused: the next one, if any. */
		close(ws->net.fd);
		ws->net.fd = -1;
		ws->ai = ws->ai->ai_next;
		ret = tcp_start(ws);
		if (ret) {
			ws->connect_detail = "cannot reach the relay";
			return err ? -err : ret;
		}
		return -EINPROGRESS;
	}
	/* Each WebSocket frame goes out whole, at once: without this, Nagle and
	 * delayed acks hold small messages (an ack) up to 40 ms. */
	setsockopt(ws->net.fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	freeaddrinfo(ws->addrs);
	ws->addrs = ws->ai = NULL;
	ws->step = STEP_TLS;
	return 0;
}

/* mbedTLS's "would block" becomes what to poll for. */
static bool would_block(struct kx_ws *ws, int r)
{
	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
		ws->want = r == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT;
		return true;
	}
	return false;
}

static int step_tls(struct kx_ws *ws)
{
	int r = mbedtls_ssl_handshake(&ws->ssl);
	uint32_t flags;

	if (would_block(ws, r))
		return -EINPROGRESS;
	if (r) {
		flags = mbedtls_ssl_get_verify_result(&ws->ssl);
		if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || (flags && flags != (uint32_t)-1)) {
			ws->connect_detail = (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) ?
						     "the relay's certificate is not for this host" :
						     "the relay's certificate chain is not trusted";
			return -EBADMSG;
		}
		ws->connect_detail = "TLS handshake failed";
		return -EPROTO;
	}
	ws->step = STEP_REQUEST;
	return 0;
}

static int step_request(struct kx_ws *ws)
{
	while (ws->req_sent < ws->req_len) {
		int r = mbedtls_ssl_write(&ws->ssl, (const unsigned char *)ws->req + ws->req_sent,
					  ws->req_len - ws->req_sent);

		if (would_block(ws, r))
			return -EINPROGRESS;
		if (r <= 0) {
			ws->connect_detail = "cannot send the upgrade request";
			return -EPROTO;
		}
		ws->req_sent += (size_t)r;
	}
	ws->step = STEP_HEAD;
	return 0;
}

static int step_head(struct kx_ws *ws)
{
	static const struct wslay_event_callbacks cbs = {
		.recv_callback = ws_recv,
		.send_callback = ws_send,
		.genmask_callback = ws_genmask,
		.on_msg_recv_callback = ws_on_msg,
	};
	int ret;

	/* Byte by byte up to the blank line, so that no frame data is read here. */
	for (;;) {
		int r;

		if (ws->have == KX_WS_HEAD_MAX) {
			ws->connect_detail = "the relay's upgrade response is too large";
			return -EPROTO;
		}
		r = mbedtls_ssl_read(&ws->ssl, (unsigned char *)ws->head + ws->have, 1);
		if (would_block(ws, r))
			return -EINPROGRESS;
		if (r <= 0) {
			ws->connect_detail = "the relay closed the connection during the upgrade";
			return -EPROTO;
		}
		ws->have++;
		if (ws->have >= 4 && !memcmp(ws->head + ws->have - 4, "\r\n\r\n", 4))
			break;
	}
	ws->head[ws->have] = '\0';
	ret = kx_ws_check_upgrade_protocol(ws->head, ws->have, (const char *)ws->accept,
					   ws->accept_len, ws->protocol[0] ? ws->protocol : NULL,
					   &ws->connect_detail);
	if (ret)
		return ret;
	if (wslay_event_context_client_init(&ws->ev, &cbs, ws))
		return -ENOMEM;
	/* RFC 6455 5.2: no extension was negotiated, so any RSV bit fails the
	 * connection (wslay's default, made explicit). */
	wslay_event_config_set_allowed_rsv_bits(ws->ev, WSLAY_RSV_NONE);
	ws->step = STEP_OPEN;
	kx_ws_set_options(ws, &ws->opt);
	return 0;
}

/* RFC 6455 4.1: the opening request, and the accept value its answer must carry. */
static int make_request(struct kx_ws *ws, const struct kx_ws_config *cfg)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char nonce[16], digest[20], key[32], acc_in[64];
	size_t key_len;
	int n;

	if (mbedtls_ctr_drbg_random(&ws->drbg, nonce, sizeof(nonce)) ||
	    mbedtls_base64_encode(key, sizeof(key), &key_len, nonce, sizeof(nonce)))
		return -EIO;
	key[key_len] = '\0';
	n = snprintf(ws->req, sizeof(ws->req),
		     "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		     "%s%s%sSec-WebSocket-Version: 13\r\n\r\n",
		     cfg->path, cfg->host, cfg->port, key,
		     ws->protocol[0] ? "Sec-WebSocket-Protocol: " : "", ws->protocol,
		     ws->protocol[0] ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(ws->req))
		return -EINVAL;
	ws->req_len = (size_t)n;
	memcpy(acc_in, key, key_len);
	memcpy(acc_in + key_len, guid, sizeof(guid) - 1);
	if (mbedtls_sha1_ret(acc_in, key_len + sizeof(guid) - 1, digest) ||
	    mbedtls_base64_encode(ws->accept, sizeof(ws->accept), &ws->accept_len, digest,
				  sizeof(digest)))
		return -EIO;
	return 0;
}

/* Everything but the network: the addresses, TLS's configuration, the request. */
static int prepare(struct kx_ws *ws, const struct kx_ws_config *cfg)
{
	static const char pers[] = "sealroom kx_ws";
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	char port[8];

	if (mbedtls_ctr_drbg_seed(&ws->drbg, mbedtls_entropy_func, &ws->entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1))
		return -EIO;
	if (mbedtls_x509_crt_parse_file(&ws->ca, cfg->ca_file)) {
		ws->connect_detail = "cannot read the CA file";
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
	mbedtls_ssl_set_bio(&ws->ssl, &ws->net, net_send, mbedtls_net_recv, NULL);
	if (make_request(ws, cfg))
		return -EINVAL;
	/* Name resolution blocks; the relay is given by address or by a name
	 * the resolver answers locally (hosts file) on the device. */
	snprintf(port, sizeof(port), "%u", cfg->port);
	if (getaddrinfo(cfg->host, port, &hints, &ws->addrs)) {
		ws->connect_detail = "cannot resolve the relay's name";
		return -EHOSTUNREACH;
	}
	ws->ai = ws->addrs;
	if (tcp_start(ws)) {
		ws->connect_detail = "cannot reach the relay";
		return -ECONNREFUSED;
	}
	return 0;
}

int kx_ws_connect_start(const struct kx_ws_config *cfg, struct kx_ws **out, const char **detail)
{
	return kx_ws_connect_start_protocol(cfg, NULL, out, detail);
}

int kx_ws_connect_start_protocol(const struct kx_ws_config *cfg, const char *protocol,
				 struct kx_ws **out, const char **detail)
{
	const char *dummy;
	struct kx_ws *ws;
	int ret;

	*out = NULL;
	if (!detail)
		detail = &dummy;
	*detail = NULL;
	if (!cfg->host || !cfg->path || cfg->path[0] != '/' || !cfg->ca_file || !cfg->port)
		return -EINVAL;
	/* RFC 6455 4.1: a token; no list, nothing a header could be forged with. */
	if (protocol && (!*protocol || strlen(protocol) >= sizeof(ws->protocol) ||
			 strspn(protocol, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789-._") != strlen(protocol)))
		return -EINVAL;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	if (protocol)
		strcpy(ws->protocol, protocol);
	mbedtls_net_init(&ws->net);
	mbedtls_entropy_init(&ws->entropy);
	mbedtls_ctr_drbg_init(&ws->drbg);
	mbedtls_ssl_config_init(&ws->conf);
	mbedtls_x509_crt_init(&ws->ca);
	mbedtls_ssl_init(&ws->ssl);
	ws->deadline = now_ms() + (cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000);
	ret = prepare(ws, cfg);
	if (ret) {
		*detail = ws->connect_detail ? ws->connect_detail : "connection failed";
		kx_ws_free(ws);
		return ret;
	}
	*out = ws;
	return 0;
}

int kx_ws_connect_step(struct kx_ws *ws, const char **detail)
{
	static const char *const late[] = {
		[STEP_TCP] = "the relay did not accept the connection in time",
		[STEP_TLS] = "the relay did not complete the TLS handshake in time",
		[STEP_REQUEST] = "the relay did not take the upgrade request in time",
		[STEP_HEAD] = "the relay did not answer the upgrade in time",
	};
	const char *dummy;
	int ret = 0;

	if (!detail)
		detail = &dummy;
	*detail = NULL;
	while (!ws->connect_err && ws->step != STEP_OPEN) {
		switch (ws->step) {
		case STEP_TCP:
			ret = step_tcp(ws);
			break;
		case STEP_TLS:
			ret = step_tls(ws);
			break;
		case STEP_REQUEST:
			ret = step_request(ws);
			break;
		default:
			ret = step_head(ws);
			break;
		}
		if (ret == -EINPROGRESS) {
			if (now_ms() < ws->deadline)
				return -EINPROGRESS;
			ws->connect_detail = late[ws->step];
			ret = -ETIMEDOUT;
		}
		if (ret) {
			ws->connect_err = ret;
			if (!ws->connect_detail)
				ws->connect_detail = "connection failed";
		}
	}
	*detail = ws->connect_detail;
	return ws->connect_err;
}

short kx_ws_connect_events(const struct kx_ws *ws)
{
	return ws->step == STEP_OPEN ? 0 : ws->want;
}

int kx_ws_connect(const struct kx_ws_config *cfg, struct kx_ws **out, const char **detail)
{
	struct kx_ws *ws;
	int ret = kx_ws_connect_start(cfg, &ws, detail);

	*out = NULL;
	if (ret)
		return ret;
	while ((ret = kx_ws_connect_step(ws, detail)) == -EINPROGRESS) {
		struct pollfd p = { .fd = ws->net.fd, .events = ws->want };

		if (poll(&p, 1, kx_ws_timeout_ms(ws)) < 0 && errno != EINTR) {
			ret = -errno;
			if (detail)
				*detail = "connection failed";
			break;
		}
	}
	if (ret) {
		kx_ws_free(ws);
		return ret;
	}
	*out = ws;
	return 0;
}

void kx_ws_set_options(struct kx_ws *ws, const struct kx_ws_options *opt)
{
	ws->opt = *opt;
	if (ws->step != STEP_OPEN)
		return; /* applied once open */
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
	if (ws->step != STEP_OPEN)
		return ws->want & POLLOUT;
	/* Also true once a timer is due: a caller that pumps only when this
	 * says so (or the socket is ready) still runs the keepalive. */
	return wslay_event_want_write(ws->ev) || kx_ws_timeout_ms(ws) == 0;
}

int kx_ws_timeout_ms(const struct kx_ws *ws)
{
	long long now = now_ms(), at = ws->next_ping;

	if (ws->step != STEP_OPEN)
		at = ws->deadline;
	else if (ws->closed || ws->last_rx + ws->idle_ms < at)
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

	if (ws->closed || ws->step != STEP_OPEN)
		return -ENOTCONN;
	if (len > KX_WS_MAX_MESSAGE)
		return -EMSGSIZE;
	return wslay_event_queue_msg(ws->ev, &msg) ? -ENOMEM : 0;
}

/*
 * The keepalive: a ping when due; -ETIMEDOUT once the relay went silent.
 * Nothing once the connection is closing: the relay's close says why, and a
 * ping could not be queued after it anyway (that "cannot queue a ping" hid
 * the relay's reason).
 */
static int keepalive(struct kx_ws *ws)
{
	long long now = now_ms();

	if (ws->closed || !wslay_event_get_write_enabled(ws->ev))
		return 0;
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
	if (ws->step != STEP_OPEN)
		return -ENOTCONN;
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
	if (ws->addrs)
		freeaddrinfo(ws->addrs);
	/* A close_notify only on a TLS session (best effort: never blocks). */
	if (ws->net.fd >= 0 && ws->step > STEP_TLS)
		mbedtls_ssl_close_notify(&ws->ssl);
	mbedtls_ssl_free(&ws->ssl);
	mbedtls_x509_crt_free(&ws->ca);
	mbedtls_ssl_config_free(&ws->conf);
	mbedtls_ctr_drbg_free(&ws->drbg);
	mbedtls_entropy_free(&ws->entropy);
	mbedtls_net_free(&ws->net);
	free(ws);
}
