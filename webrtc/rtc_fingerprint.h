/* SPDX-License-Identifier: MIT */
/*
 * The DTLS certificate fingerprint of SDP (RFC 8122 5, "sha-256" only):
 * formatted for our a=fingerprint, parsed from the peer's, and checked
 * against the certificate the peer presents, in constant time.
 */
#ifndef RTC_FINGERPRINT_H
#define RTC_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTC_FP_LEN	32
#define RTC_FP_TEXT_LEN (8 + RTC_FP_LEN * 3) /* "sha-256 ", 32 "XX" and 31 ":", NUL */

/* SHA-256 of a DER certificate. 0 or -EIO. */
__attribute__((warn_unused_result, nonnull)) int
rtc_fingerprint_of(const uint8_t *der, size_t len, uint8_t fp[static RTC_FP_LEN]);

/* "sha-256 AB:CD:..." (upper case, as RFC 8122 5 writes it). */
__attribute__((nonnull)) void rtc_fingerprint_format(const uint8_t fp[static RTC_FP_LEN],
						     char out[static RTC_FP_TEXT_LEN]);

/*
 * The value of an a=fingerprint attribute: "sha-256" (any case), spaces,
 * 32 hex pairs separated by ':' (either case), nothing after. 0, -ENOTSUP
 * for another hash function, -EINVAL for anything malformed.
 */
__attribute__((warn_unused_result, nonnull)) int
rtc_fingerprint_parse(const char *value, size_t len, uint8_t fp[static RTC_FP_LEN]);

/* Does the certificate's SHA-256 equal expected? Constant time in the bytes. */
__attribute__((warn_unused_result, nonnull)) bool
rtc_fingerprint_matches(const uint8_t *der, size_t len, const uint8_t expected[static RTC_FP_LEN]);

#endif
