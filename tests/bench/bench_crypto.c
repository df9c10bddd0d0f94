// SPDX-License-Identifier: MIT
/*
 * bench-crypto: SFrame protect+unprotect throughput per suite and frame size,
 * against raw mbedTLS AEAD on the same buffers, measured in the same run, and
 * the heap allocations made inside the timed loop.
 *
 * One line per case:
 *   suite=4 size=100000 sframe_MBps=... raw_MBps=... ratio=... allocs=0
 * The machine is noisy (2 shared cores): each figure is the best of several
 * interleaved rounds, and only the ratio is meant to be compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/aes.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>

#include "alloc_count.h"
#include "e2ee/keyring.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct raw {
	const struct e2ee_suite_info *s;
	mbedtls_gcm_context gcm;
	mbedtls_aes_context aes;
	mbedtls_md_context_t hmac;
};

static void raw_init(struct raw *r, const struct e2ee_suite_info *s)
{
	static const uint8_t key[48] = { 1, 2, 3, 4, 5 };

	r->s = s;
	if (s->gcm) {
		mbedtls_gcm_init(&r->gcm);
		if (mbedtls_gcm_setkey(&r->gcm, MBEDTLS_CIPHER_ID_AES, key, s->nk * 8u))
			abort();
	} else {
		mbedtls_aes_init(&r->aes);
		mbedtls_md_init(&r->hmac);
		if (mbedtls_aes_setkey_enc(&r->aes, key, 128) ||
		    mbedtls_md_setup(&r->hmac, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) ||
		    mbedtls_md_hmac_starts(&r->hmac, key + 16, 32))
			abort();
	}
}

static void raw_free(struct raw *r)
{
	if (r->s->gcm) {
		mbedtls_gcm_free(&r->gcm);
	} else {
		mbedtls_aes_free(&r->aes);
		mbedtls_md_free(&r->hmac);
	}
}

/* The baseline: the same AEAD, called directly, seal then open. */
static void raw_round(struct raw *r, const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n)
{
	static const uint8_t aad[8] = { 0x99 };
	uint8_t nonce[16] = { 9 }, stream[16], mac[32], tag[16];
	size_t off = 0;

	if (r->s->gcm) {
		if (mbedtls_gcm_crypt_and_tag(&r->gcm, MBEDTLS_GCM_ENCRYPT, n, nonce, 12, aad, 5, pt,
					      ct, 16, tag) ||
		    mbedtls_gcm_auth_decrypt(&r->gcm, n, nonce, 12, aad, 5, tag, 16, ct, out))
			abort();
		return;
	}
	if (mbedtls_aes_crypt_ctr(&r->aes, n, &off, nonce, stream, pt, ct) ||
	    mbedtls_md_hmac_reset(&r->hmac) || mbedtls_md_hmac_update(&r->hmac, aad, 5) ||
	    mbedtls_md_hmac_update(&r->hmac, ct, n) || mbedtls_md_hmac_finish(&r->hmac, mac))
		abort();
	memcpy(tag, mac, r->s->nt);
	off = 0;
	memset(nonce, 9, 1);
	memset(nonce + 1, 0, 15);
	if (mbedtls_md_hmac_reset(&r->hmac) || mbedtls_md_hmac_update(&r->hmac, aad, 5) ||
	    mbedtls_md_hmac_update(&r->hmac, ct, n) || mbedtls_md_hmac_finish(&r->hmac, mac) ||
	    memcmp(mac, tag, r->s->nt) ||
	    mbedtls_aes_crypt_ctr(&r->aes, n, &off, nonce, stream, ct, out))
		abort();
}

static void sframe_round(struct e2ee_keyring *tx, struct e2ee_keyring *rx, const uint8_t *pt,
			 uint8_t *ct, uint8_t *out, size_t n)
{
	static const uint8_t md[1] = { 0x65 };
	size_t clen, olen;

	if (e2ee_keyring_protect(tx, 0x1000101, md, 1, pt, n, ct, n + E2EE_SFRAME_MAX_OVERHEAD,
				 &clen) ||
	    e2ee_keyring_unprotect(rx, md, 1, ct, clen, out, n + E2EE_SFRAME_MAX_OVERHEAD, &olen,
				   NULL, NULL) ||
	    olen != n)
		abort();
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 1000, 10000, 100000, 1000000 };
	const double budget = argc > 1 ? atof(argv[1]) : 0.05; /* seconds per round */
	const int rounds = 5;
	static struct e2ee_keyring tx, rx;
	uint8_t *pt = malloc(1000000 + 64), *ct = malloc(1000000 + 64), *out = malloc(1000000 + 64);

	if (!pt || !ct || !out)
		return 1;
	memset(pt, 0x5c, 1000000);
	for (uint16_t suite = 1; suite <= 5; suite++) {
		static const uint8_t base[32] = "bench base key, not a secret...";
		const struct e2ee_suite_info *s = e2ee_suite_lookup(suite);
		struct raw raw;

		if (e2ee_keyring_init(&tx, suite, 1024) || e2ee_keyring_init(&rx, suite, 1024) ||
		    e2ee_keyring_add(&tx, 0x1000101, E2EE_KEY_SEND, base, 32) ||
		    e2ee_keyring_add(&rx, 0x1000101, E2EE_KEY_RECV, base, 32))
			return 1;
		raw_init(&raw, s);
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			size_t n = sizes[si];
			double best_sf = 0, best_raw = 0;
			long iters = 1, a0, a1, alloc_count = 0;

			/* Calibrate: iterations that take about `budget` seconds. */
			for (double t0 = now(); now() - t0 < budget / 4; iters *= 2)
				for (long i = 0; i < iters; i++)
					sframe_round(&tx, &rx, pt, ct, out, n);
			for (int r = 0; r < rounds; r++) {
				double t0 = now();

				a0 = tu_allocs();
				for (long i = 0; i < iters; i++)
					sframe_round(&tx, &rx, pt, ct, out, n);
				a1 = tu_allocs();
				alloc_count += a1 - a0;
				double sf = (double)n * (double)iters / (now() - t0) / 1e6;

				t0 = now();
				for (long i = 0; i < iters; i++)
					raw_round(&raw, pt, ct, out, n);
				double rw = (double)n * (double)iters / (now() - t0) / 1e6;

				if (sf > best_sf)
					best_sf = sf;
				if (rw > best_raw)
					best_raw = rw;
			}
			printf("suite=%u size=%zu sframe_MBps=%.1f raw_MBps=%.1f ratio=%.3f allocs=%ld\n",
			       suite, n, best_sf, best_raw, best_sf / best_raw, alloc_count);
			fflush(stdout);
		}
		raw_free(&raw);
		e2ee_keyring_clear(&tx);
		e2ee_keyring_clear(&rx);
	}
	free(pt);
	free(ct);
	free(out);
	return 0;
}
