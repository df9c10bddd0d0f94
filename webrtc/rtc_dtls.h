/* SPDX-License-Identifier: MIT */
/*
 * DTLS 1.2 with the use_srtp extension (RFC 5764) on mbedTLS 2.28, for one
 * ICE component: a self-signed ECDSA P-256 certificate made at
 * rtc_dtls_init(), the peer's certificate checked against the SHA-256
 * fingerprint of its SDP (in the verify callback: a mismatch aborts the
 * handshake with a fatal alert), profile SRTP_AES128_CM_HMAC_SHA1_80, and
 * the SRTP master keys exported per RFC 5764 4.2 ("EXTRACTOR-dtls_srtp",
 * RFC 5705) through mbedTLS's export-keys callback and mbedtls_ssl_tls_prf.
 *
 * Call order:
 *   rtc_dtls_init()        certificate; rtc_dtls_fingerprint() for our SDP
 *   rtc_dtls_start()       once the peer's SDP gave its role and fingerprint
 *   rtc_dtls_input()       each DTLS datagram from the ICE pair
 *   rtc_dtls_tick()        every few tens of ms until done (retransmission)
 *   rtc_dtls_keys()        once rtc_dtls_state() is RTC_DTLS_DONE: the keys,
 *                          which the caller wipes after handing them to SRTP
 *   rtc_dtls_free()        always; wipes what it holds
 * Not thread-safe: the caller serialises the calls. Datagrams go out
 * through the send callback, from within these calls.
 *
 * The context owns its mbedTLS state (this is transport code, allocating at
 * set-up only, never per packet).
 */
#ifndef RTC_DTLS_H
#define RTC_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_fingerprint.h"

#define RTC_SRTP_KEY_LEN  16
#define RTC_SRTP_SALT_LEN 14
#define RTC_SRTP_MASTER_LEN (RTC_SRTP_KEY_LEN + RTC_SRTP_SALT_LEN)

enum rtc_dtls_state { RTC_DTLS_IDLE, RTC_DTLS_HANDSHAKE, RTC_DTLS_DONE, RTC_DTLS_FAILED };

/* Master key || master salt for each direction (libsrtp's layout). */
struct rtc_srtp_keys {
	uint8_t local[RTC_SRTP_MASTER_LEN];  /* protects what we send */
	uint8_t remote[RTC_SRTP_MASTER_LEN]; /* unprotects what we receive */
};

typedef int (*rtc_dtls_send_fn)(void *user, const uint8_t *data, size_t len);

struct rtc_dtls;

/* 0 or -ENOMEM / -EIO. */
__attribute__((warn_unused_result, nonnull(1, 2))) int
rtc_dtls_init(struct rtc_dtls **out, rtc_dtls_send_fn send, void *user);

const uint8_t *rtc_dtls_fingerprint(const struct rtc_dtls *d); /* RTC_FP_LEN bytes */

/* client: we send the ClientHello (RFC 5763 5: a=setup:active). */
__attribute__((warn_unused_result, nonnull)) int
rtc_dtls_start(struct rtc_dtls *d, bool client, const uint8_t peer_fp[static RTC_FP_LEN]);

/* A datagram classified as DTLS. 0, or -EPROTO once failed. */
__attribute__((warn_unused_result, nonnull)) int rtc_dtls_input(struct rtc_dtls *d,
								const uint8_t *data, size_t len);
__attribute__((warn_unused_result, nonnull)) int rtc_dtls_tick(struct rtc_dtls *d);

enum rtc_dtls_state rtc_dtls_state(const struct rtc_dtls *d);
/* Why it failed: a static sentence (never NULL once failed). */
const char *rtc_dtls_error(const struct rtc_dtls *d);

/* 0, or -EAGAIN before DONE. The keys are copied out once, then wiped here. */
__attribute__((warn_unused_result, nonnull)) int rtc_dtls_keys(struct rtc_dtls *d,
							       struct rtc_srtp_keys *keys);

void rtc_dtls_free(struct rtc_dtls *d);

#endif
