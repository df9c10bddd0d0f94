// SPDX-License-Identifier: MIT
/* RFC 8122 5 fingerprints, SHA-256 through mbedTLS. */
#include <errno.h>
#include <strings.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/sha256.h>

#include "rtc_fingerprint.h"

int rtc_fingerprint_of(const uint8_t *der, size_t len, uint8_t fp[static RTC_FP_LEN])
{
	return mbedtls_sha256_ret(der, len, fp, 0) ? -EIO : 0;
}

void rtc_fingerprint_format(const uint8_t fp[static RTC_FP_LEN], char out[static RTC_FP_TEXT_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = out;

	for (const char *s = "sha-256 "; *s; s++)
		*o++ = *s;
	for (int i = 0; i < RTC_FP_LEN; i++) {
		if (i)
			*o++ = ':';
		*o++ = hex[fp[i] >> 4];
		*o++ = hex[fp[i] & 15];
	}
	*o = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int rtc_fingerprint_parse(const char *v, size_t len, uint8_t fp[static RTC_FP_LEN])
{
	size_t i = 0;

	/* RFC 8122 5: hash-func SP fingerprint; the name is case-insensitive. */
	while (i < len && v[i] != ' ')
		i++;
	if (i != 7 || strncasecmp(v, "sha-256", 7)) {
		/* Some other hash (sha-1, sha-512): not one we accept. */
		for (size_t k = 0; k < i; k++)
			if (!((v[k] >= 'a' && v[k] <= 'z') || (v[k] >= 'A' && v[k] <= 'Z') ||
			      (v[k] >= '0' && v[k] <= '9') || v[k] == '-'))
				return -EINVAL;
		return i ? -ENOTSUP : -EINVAL;
	}
	while (i < len && v[i] == ' ')
		i++;
	if (len - i != RTC_FP_LEN * 3 - 1)
		return -EINVAL;
	for (int b = 0; b < RTC_FP_LEN; b++, i += 3) {
		int hi = nibble(v[i]), lo = nibble(v[i + 1]);

		if (hi < 0 || lo < 0 || (b + 1 < RTC_FP_LEN && v[i + 2] != ':'))
			return -EINVAL;
		fp[b] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool rtc_fingerprint_matches(const uint8_t *der, size_t len, const uint8_t expected[static RTC_FP_LEN])
{
	uint8_t fp[RTC_FP_LEN];
	bool ok;

	if (rtc_fingerprint_of(der, len, fp))
		return false;
	ok = mbedtls_ct_memcmp(fp, expected, RTC_FP_LEN) == 0;
	return ok;
}
