/* SPDX-License-Identifier: MIT */
/*
 * The SRTP sessions of the transport (libsrtp2): the DTLS-SRTP profile's
 * policy (RFC 5764 4.1.2, SRTP_AES128_CM_HMAC_SHA1_80 for RTP and RTCP), any
 * SSRC (a template: libsrtp keeps a stream for each SSRC whose first packet
 * authenticates, for the session's life, so the caller bounds which SSRCs
 * reach srtp_unprotect: rtc_peer does), a replay window of 1024, no
 * repeated sends. libsrtp copies the key;
 * the caller wipes its own. rtc_srtp_init() once per process (idempotent).
 */
#ifndef RTC_SRTP_H
#define RTC_SRTP_H

#include <stdbool.h>
#include <stdint.h>

#include <srtp2/srtp.h>

#include "rtc_dtls.h"

__attribute__((warn_unused_result)) int rtc_srtp_init(void);

/* 0 or -EIO; srtp_dealloc() the session. */
__attribute__((warn_unused_result, nonnull)) int
rtc_srtp_new(srtp_t *s, const uint8_t key[static RTC_SRTP_MASTER_LEN], bool inbound);

#endif
