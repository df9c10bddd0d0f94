// SPDX-License-Identifier: MIT
/* DTLS-SRTP (RFC 5764) on mbedTLS 2.28. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/timing.h>
#include <mbedtls/x509_crt.h>

#include "rtc_dtls.h"

#define MS_LEN 48 /* TLS 1.2 master secret */

struct rtc_dtls {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_x509_crt crt;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_timing_delay_context timer;
	uint8_t fp[RTC_FP_LEN];
	uint8_t peer_fp[RTC_FP_LEN];
	bool fp_mismatch;
	rtc_dtls_send_fn send;
	void *user;
	enum rtc_dtls_state state;
	const char *error;
	/* The datagram being read (one at a time: DTLS records never span
	 * datagrams, RFC 6347 4.1.1). */
	const uint8_t *in;
	size_t in_len;
	/* From the export-keys callback, until the keys are derived. */
	uint8_t ms[MS_LEN];
	uint8_t randbytes[64]; /* client_random || server_random */
	mbedtls_tls_prf_types prf;
	bool have_ms;
	struct rtc_srtp_keys keys;
	bool have_keys;
	bool client;
};

static const mbedtls_ssl_srtp_profile profiles[] = {
	MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80,
	MBEDTLS_TLS_SRTP_UNSET,
};

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct rtc_dtls *d = ctx;
	int r = d->send(d->user, buf, len);

	return r < 0 ? MBEDTLS_ERR_SSL_WANT_WRITE : (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct rtc_dtls *d = ctx;
	size_t n = d->in_len;

	if (!d->in)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len; /* mbedTLS then drops the truncated record */
	memcpy(buf, d->in, n);
	d->in = NULL;
	d->in_len = 0;
	return (int)n;
}

/*
 * The peer's certificate is self-signed (WebRTC): no chain to trust. What
 * authenticates it is its fingerprint in the SDP that came over the
 * signaling channel (RFC 8122 5, RFC 5763 5). Only the leaf counts.
 */
static int verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct rtc_dtls *d = ctx;

	if (depth > 0) {
		*flags = 0;
		return 0;
	}
	if (rtc_fingerprint_matches(crt->raw.p, crt->raw.len, d->peer_fp)) {
		*flags = 0;
	} else {
		d->fp_mismatch = true;
		*flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	}
	return 0;
}

static int export_keys(void *ctx, const unsigned char *ms, const unsigned char *kb, size_t maclen,
		       size_t keylen, size_t ivlen, const unsigned char client_random[32],
		       const unsigned char server_random[32], mbedtls_tls_prf_types prf)
{
	struct rtc_dtls *d = ctx;

	memcpy(d->ms, ms, MS_LEN);
	memcpy(d->randbytes, client_random, 32);
	memcpy(d->randbytes + 32, server_random, 32);
	d->prf = prf;
	d->have_ms = true;
	return 0;
}

/* RFC 5764 4.2: client key, server key, client salt, server salt. */
static int derive(struct rtc_dtls *d)
{
	static const char label[] = "EXTRACTOR-dtls_srtp";
	uint8_t km[2 * RTC_SRTP_MASTER_LEN];
	const uint8_t *ck = km, *sk = km + RTC_SRTP_KEY_LEN, *cs = km + 2 * RTC_SRTP_KEY_LEN,
		      *ss = cs + RTC_SRTP_SALT_LEN;
	mbedtls_dtls_srtp_info info;
	int ret = -EPROTO;

	mbedtls_ssl_get_dtls_srtp_negotiation_result(&d->ssl, &info);
	if (info.chosen_dtls_srtp_profile != MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80 ||
	    info.mki_len) {
		d->error = "the peer did not negotiate SRTP_AES128_CM_HMAC_SHA1_80 (use_srtp)";
		goto out;
	}
	if (!d->have_ms) {
		d->error = "no keying material was exported";
		goto out;
	}
	if (mbedtls_ssl_tls_prf(d->prf, d->ms, MS_LEN, label, d->randbytes, sizeof(d->randbytes),
				km, sizeof(km))) {
		d->error = "the keying material exporter failed";
		goto out;
	}
	memcpy(d->keys.local, d->client ? ck : sk, RTC_SRTP_KEY_LEN);
	memcpy(d->keys.local + RTC_SRTP_KEY_LEN, d->client ? cs : ss, RTC_SRTP_SALT_LEN);
	memcpy(d->keys.remote, d->client ? sk : ck, RTC_SRTP_KEY_LEN);
	memcpy(d->keys.remote + RTC_SRTP_KEY_LEN, d->client ? ss : cs, RTC_SRTP_SALT_LEN);
	d->have_keys = true;
	ret = 0;
out:
	mbedtls_platform_zeroize(km, sizeof(km));
	mbedtls_platform_zeroize(d->ms, sizeof(d->ms));
	d->have_ms = false;
	return ret;
}

static int make_cert(struct rtc_dtls *d)
{
	mbedtls_x509write_cert w;
	mbedtls_mpi serial;
	unsigned char der[1024], sn[16];
	char from[16], to[16];
	time_t now = time(NULL);
	struct tm tm;
	int len, ret = -EIO;

	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&serial);
	if (mbedtls_pk_setup(&d->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(d->key),
				mbedtls_ctr_drbg_random, &d->drbg))
		goto out;
	if (mbedtls_ctr_drbg_random(&d->drbg, sn, sizeof(sn)))
		goto out;
	sn[0] &= 0x7f; /* a positive serial */
	gmtime_r(&(time_t){ now - 86400 }, &tm);
	strftime(from, sizeof(from), "%Y%m%d%H%M%S", &tm);
	gmtime_r(&(time_t){ now + 30 * 86400 }, &tm);
	strftime(to, sizeof(to), "%Y%m%d%H%M%S", &tm);
	if (mbedtls_mpi_read_binary(&serial, sn, sizeof(sn)))
		goto out;
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, &d->key);
	mbedtls_x509write_crt_set_issuer_key(&w, &d->key);
	if (mbedtls_x509write_crt_set_subject_name(&w, "CN=sealroom") ||
	    mbedtls_x509write_crt_set_issuer_name(&w, "CN=sealroom") ||
	    mbedtls_x509write_crt_set_serial(&w, &serial) ||
	    mbedtls_x509write_crt_set_validity(&w, from, to))
		goto out;
	/* Written at the end of der[]. */
	len = mbedtls_x509write_crt_der(&w, der, sizeof(der), mbedtls_ctr_drbg_random, &d->drbg);
	if (len <= 0 || mbedtls_x509_crt_parse_der(&d->crt, der + sizeof(der) - len, (size_t)len) ||
	    rtc_fingerprint_of(d->crt.raw.p, d->crt.raw.len, d->fp))
		goto out;
	ret = 0;
out:
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&w);
	return ret;
}

int rtc_dtls_init(struct rtc_dtls **out, rtc_dtls_send_fn send, void *user)
{
	static const char pers[] = "sealroom rtc_dtls";
	struct rtc_dtls *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return -ENOMEM;
	mbedtls_entropy_init(&d->entropy);
	mbedtls_ctr_drbg_init(&d->drbg);
	mbedtls_pk_init(&d->key);
	mbedtls_x509_crt_init(&d->crt);
	mbedtls_ssl_config_init(&d->conf);
	mbedtls_ssl_init(&d->ssl);
	d->send = send;
	d->user = user;
	if (mbedtls_ctr_drbg_seed(&d->drbg, mbedtls_entropy_func, &d->entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1) ||
	    make_cert(d)) {
		rtc_dtls_free(d);
		return -EIO;
	}
	*out = d;
	return 0;
}

const uint8_t *rtc_dtls_fingerprint(const struct rtc_dtls *d)
{
	return d->fp;
}

int rtc_dtls_start(struct rtc_dtls *d, bool client, const uint8_t peer_fp[static RTC_FP_LEN])
{
	if (d->state != RTC_DTLS_IDLE)
		return -EALREADY;
	memcpy(d->peer_fp, peer_fp, RTC_FP_LEN);
	d->client = client;
	if (mbedtls_ssl_config_defaults(&d->conf,
					client ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER,
					MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT))
		return -EIO;
	/* DTLS 1.2 only (RFC 8827 6.5). */
	mbedtls_ssl_conf_min_version(&d->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&d->conf, mbedtls_ctr_drbg_random, &d->drbg);
	if (mbedtls_ssl_conf_own_cert(&d->conf, &d->crt, &d->key))
		return -EIO;
	/* Both sides present certificates (RFC 5763 5); mbedTLS wants a CA
	 * chain to verify against: our own certificate, which no peer's
	 * chains to, so that only verify() decides. */
	mbedtls_ssl_conf_authmode(&d->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&d->conf, &d->crt, NULL);
	mbedtls_ssl_conf_verify(&d->conf, verify, d);
	if (mbedtls_ssl_conf_dtls_srtp_protection_profiles(&d->conf, profiles))
		return -EIO;
	mbedtls_ssl_conf_srtp_mki_value_supported(&d->conf, MBEDTLS_SSL_DTLS_SRTP_MKI_UNSUPPORTED);
	mbedtls_ssl_conf_export_keys_ext_cb(&d->conf, export_keys, d);
	/* ICE already checked the peer's address (RFC 8842 5): no cookie
	 * exchange on top of connectivity checks. */
	if (!client)
		mbedtls_ssl_conf_dtls_cookies(&d->conf, NULL, NULL, NULL);
	mbedtls_ssl_conf_handshake_timeout(&d->conf, 400, 16000);
	if (mbedtls_ssl_setup(&d->ssl, &d->conf))
		return -EIO;
	mbedtls_ssl_set_mtu(&d->ssl, 1200);
	mbedtls_ssl_set_bio(&d->ssl, d, bio_send, bio_recv, NULL);
	mbedtls_ssl_set_timer_cb(&d->ssl, &d->timer, mbedtls_timing_set_delay,
				 mbedtls_timing_get_delay);
	d->state = RTC_DTLS_HANDSHAKE;
	return rtc_dtls_tick(d);
}

static int step(struct rtc_dtls *d)
{
	int r;

	if (d->state != RTC_DTLS_HANDSHAKE)
		return d->state == RTC_DTLS_FAILED ? -EPROTO : 0;
	r = mbedtls_ssl_handshake(&d->ssl);
	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	if (r) {
		d->state = RTC_DTLS_FAILED;
		if (d->fp_mismatch)
			d->error = "the peer's DTLS certificate does not match the fingerprint of its SDP";
		else if (r == MBEDTLS_ERR_SSL_TIMEOUT)
			d->error = "the DTLS handshake timed out";
		else
			d->error = "the DTLS handshake failed";
		return -EPROTO;
	}
	if (derive(d)) {
		d->state = RTC_DTLS_FAILED;
		mbedtls_ssl_send_alert_message(&d->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
					       MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
		return -EPROTO;
	}
	d->state = RTC_DTLS_DONE;
	return 0;
}

int rtc_dtls_input(struct rtc_dtls *d, const uint8_t *data, size_t len)
{
	int ret;

	if (d->state == RTC_DTLS_IDLE)
		return 0; /* before our role is known: the peer retransmits */
	d->in = data;
	d->in_len = len;
	if (d->state == RTC_DTLS_DONE) {
		uint8_t sink[64];

		/* After the handshake: alerts, or the peer's retransmitted
		 * Finished, which mbedTLS answers. No application data. */
		int r = mbedtls_ssl_read(&d->ssl, sink, sizeof(sink));

		if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			d->error = "the peer closed DTLS";
		d->in = NULL;
		return 0;
	}
	ret = step(d);
	d->in = NULL;
	return ret;
}

int rtc_dtls_tick(struct rtc_dtls *d)
{
	return step(d);
}

enum rtc_dtls_state rtc_dtls_state(const struct rtc_dtls *d)
{
	return d->state;
}

const char *rtc_dtls_error(const struct rtc_dtls *d)
{
	return d->error ? d->error : d->state == RTC_DTLS_FAILED ? "DTLS failed" : NULL;
}

int rtc_dtls_keys(struct rtc_dtls *d, struct rtc_srtp_keys *keys)
{
	if (d->state != RTC_DTLS_DONE || !d->have_keys)
		return -EAGAIN;
	*keys = d->keys;
	mbedtls_platform_zeroize(&d->keys, sizeof(d->keys));
	d->have_keys = false;
	return 0;
}

void rtc_dtls_free(struct rtc_dtls *d)
{
	if (!d)
		return;
	mbedtls_ssl_free(&d->ssl);
	mbedtls_ssl_config_free(&d->conf);
	mbedtls_x509_crt_free(&d->crt);
	mbedtls_pk_free(&d->key);
	mbedtls_ctr_drbg_free(&d->drbg);
	mbedtls_entropy_free(&d->entropy);
	mbedtls_platform_zeroize(d, sizeof(*d));
	free(d);
}
