// SPDX-License-Identifier: MIT
/* The admin PIN's verifier and the count of wrong PINs (kx/adminpin.h). */
#include <string.h>

#include <sodium.h>

#include "kx/adminpin.h"

bool kx_admin_pin_valid(const char *pin, size_t len)
{
	if (len < KX_PIN_DIGITS_MIN || len > KX_PIN_DIGITS_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return false;
	return true;
}

int kx_admin_pin_hash(const char *pin, size_t len, char out[static KX_PIN_VERIFIER_MAX + 1])
{
	char str[crypto_pwhash_STRBYTES];
	int ret = 0;

	out[0] = '\0';
	if (!kx_admin_pin_valid(pin, len))
		return -EINVAL;
	if (sodium_init() < 0 ||
	    crypto_pwhash_str(str, pin, len, KX_PIN_OPSLIMIT, KX_PIN_MEMLIMIT)) {
		ret = -ENOMEM;
		goto out;
	}
	if (strlen(str) > KX_PIN_VERIFIER_MAX) { /* cannot happen at this cost */
		ret = -EINVAL;
		goto out;
	}
	strcpy(out, str);
out:
	sodium_memzero(str, sizeof(str));
	return ret;
}

/* A decimal number at *p (no leading zero, at most max) up to a non-digit. */
static bool number(const char **p, const char *end, unsigned long max, unsigned long *v)
{
	const char *s = *p;

	*v = 0;
	if (s == end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end && s[1] >= '0' &&
						 s[1] <= '9'))
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		*v = *v * 10 + (unsigned long)(*s - '0');
		if (*v > max)
			return false;
	}
	*p = s;
	return true;
}

static bool literal(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
		return false;
	*p += n;
	return true;
}

/* n characters of unpadded base64 (the standard alphabet, as libsodium writes it). */
static bool b64(const char **p, const char *end, size_t n)
{
	if ((size_t)(end - *p) < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = (*p)[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	*p += n;
	return true;
}

int kx_admin_pin_verifier_parse(const char *buf, size_t len,
				char out[static KX_PIN_VERIFIER_MAX + 1], const char **why)
{
	const char *p = buf, *end;
	unsigned long m, t, par;

	out[0] = '\0';
	if (len && buf[len - 1] == '\n')
		len--;
	end = buf + len;
	if (len > KX_PIN_VERIFIER_MAX) {
		*why = "longer than an Argon2id verifier";
		return -EINVAL;
	}
	if (!literal(&p, end, "$argon2id$v=19$m=")) {
		*why = "not a crypto_pwhash_str Argon2id verifier ($argon2id$v=19$...)";
		return -EINVAL;
	}
	if (!number(&p, end, KX_PIN_MEMLIMIT_MAX / 1024, &m) || m < 8 ||
	    !literal(&p, end, ",t=") || !number(&p, end, KX_PIN_OPSLIMIT_MAX, &t) || t < 1 ||
	    !literal(&p, end, ",p=") || !number(&p, end, 1, &par) || par != 1) {
		*why = "its cost is not m=8..65536 (KiB), t=1..4, p=1: a check would stall keyxchgd";
		return -EINVAL;
	}
	if (!literal(&p, end, "$") || !b64(&p, end, 22) || !literal(&p, end, "$") ||
	    !b64(&p, end, 43) || p != end) {
		*why = "its salt and hash are not 22 and 43 characters of base64";
		return -EINVAL;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	*why = NULL;
	return 0;
}

int kx_admin_pin_verify(const char *verifier, const char *pin, size_t len)
{
	if (sodium_init() < 0)
		return -ENOMEM;
	return crypto_pwhash_str_verify(verifier, pin, len) ? -EACCES : 0;
}

int kx_admin_pin_tries_parse(const char *buf, size_t len, unsigned int *failures)
{
	const char *p = buf, *end = buf + len;
	unsigned long v;

	*failures = 0;
	if (!len || buf[len - 1] != '\n')
		return -EINVAL;
	end--;
	if (!number(&p, end, KX_PIN_FAILURES_MAX, &v) || p != end)
		return -EINVAL;
	*failures = (unsigned int)v;
	return 0;
}

long long kx_admin_pin_lockout_ms(unsigned int failures)
{
	unsigned int k;
	long long d;

	if (failures <= KX_PIN_FREE_TRIES)
		return 0;
	k = failures - KX_PIN_FREE_TRIES - 1;
	d = k < 8 ? KX_PIN_DELAY_MS << k : KX_PIN_DELAY_MAX_MS;
	return d > KX_PIN_DELAY_MAX_MS ? KX_PIN_DELAY_MAX_MS : d;
}
