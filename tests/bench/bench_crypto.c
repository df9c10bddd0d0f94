// SPDX-License-Identifier: MIT
/*
 * bench-crypto: SFrame protect+unprotect through the keyring and the build's
 * AEAD backend, per suite and frame size, against three baselines measured in
 * the same run on the same buffers, one seal and one open per frame:
 *   gcrypt   raw libgcrypt (cipher handle reused; gcry_mac for HMAC)
 *   openssl  raw OpenSSL EVP (contexts reused; EVP_MAC for HMAC): the
 *            reference the field uses, here only, never in the firmware
 *   mbedtls  raw mbedTLS 2.28, the path SFrame took before the backend
 *            changed (SFrame on it measured 0.99-1.01x of this figure)
 * plus the heap allocations inside SFrame's timed loop.
 *
 *   suite=4 size=100000 backend=libgcrypt sframe_MBps=... gcrypt_MBps=...
 *     openssl_MBps=... mbedtls_MBps=... vs_gcrypt=... vs_openssl=...
 *     vs_mbedtls=... allocs=0
 *
 * The machine is noisy (2 shared cores): each figure is the best of several
 * interleaved rounds; compare the ratios.
 *
 * `bench-crypto count PATH SUITE SIZE PAIRS` sets PATH (sframe, gcrypt,
 * openssl, mbedtls) up for SUITE and runs PAIRS seal+open pairs of SIZE
 * bytes, printing nothing: crypto/arm64-count.sh counts its instructions
 * under QEMU, PAIRS=1 minus PAIRS=0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>
#include <mbedtls/aes.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "alloc_count.h"
#include "e2ee/keyring.h"

#define KID 0x1000101
#define MAX_SIZE 1000000
#define BUF_SIZE (MAX_SIZE + 64)

static const uint8_t key[48] = { 1, 2, 3, 4, 5 };
static const uint8_t aad[8] = { 0x99 };

static void die(const char *what)
{
	fprintf(stderr, "bench-crypto: %s failed\n", what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One path under test: set up once per suite, then seal+open rounds. */
struct path {
	const char *name;
	void (*init)(const struct e2ee_suite_info *s);
	void (*round)(const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n);
	void (*fini)(void);
};

static const struct e2ee_suite_info *suite;

/* ------------------------------------------------------------------ SFrame */

static struct e2ee_keyring tx, rx;

static void sframe_init(const struct e2ee_suite_info *s)
{
	static const uint8_t base[32] = "bench base key, not a secret...";

	if (e2ee_keyring_init(&tx, s->id, 1024) || e2ee_keyring_init(&rx, s->id, 1024) ||
	    e2ee_keyring_add(&tx, KID, E2EE_KEY_SEND, base, 32) ||
	    e2ee_keyring_add(&rx, KID, E2EE_KEY_RECV, base, 32))
		die("keyring");
}

static void sframe_round(const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n)
{
	static const uint8_t md[1] = { 0x65 };
	size_t clen, olen;

	if (e2ee_keyring_protect(&tx, KID, md, 1, pt, n, ct, n + E2EE_SFRAME_MAX_OVERHEAD,
				 &clen) ||
	    e2ee_keyring_unprotect(&rx, md, 1, ct, clen, out, n + E2EE_SFRAME_MAX_OVERHEAD, &olen,
				   NULL, NULL) ||
	    olen != n)
		die("sframe");
}

static void sframe_fini(void)
{
	e2ee_keyring_clear(&tx);
	e2ee_keyring_clear(&rx);
}

/* -------------------------------------------------------------- libgcrypt */

static gcry_cipher_hd_t gc;
static gcry_mac_hd_t gm;

static void gcrypt_init(const struct e2ee_suite_info *s)
{
	int algo = s->nk == 32 ? GCRY_CIPHER_AES256 : GCRY_CIPHER_AES128;

	/* libe2ee's backend initialised it already, unless it is mbedTLS. */
	if (!gcry_check_version(GCRYPT_VERSION))
		die("gcry_check_version");
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (gcry_cipher_open(&gc, algo, s->gcm ? GCRY_CIPHER_MODE_GCM : GCRY_CIPHER_MODE_CTR, 0) ||
	    gcry_cipher_setkey(gc, key, s->gcm ? s->nk : s->nka))
		die("gcry_cipher");
	if (!s->gcm && (gcry_mac_open(&gm, GCRY_MAC_HMAC_SHA256, 0, NULL) ||
			gcry_mac_setkey(gm, key + 16, 32)))
		die("gcry_mac");
}

static void gcrypt_mac(const uint8_t *ct, size_t n, uint8_t mac[32])
{
	size_t len = 32;

	if (gcry_mac_reset(gm) || gcry_mac_write(gm, aad, 5) || gcry_mac_write(gm, ct, n) ||
	    gcry_mac_read(gm, mac, &len))
		die("gcry_mac");
}

static void gcrypt_round(const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n)
{
	uint8_t iv[16] = { 9 }, tag[32], mac[32];

	if (suite->gcm) {
		if (gcry_cipher_setiv(gc, iv, 12) || gcry_cipher_authenticate(gc, aad, 5) ||
		    gcry_cipher_final(gc) || gcry_cipher_encrypt(gc, ct, n, pt, n) ||
		    gcry_cipher_gettag(gc, tag, 16) || gcry_cipher_setiv(gc, iv, 12) ||
		    gcry_cipher_authenticate(gc, aad, 5) || gcry_cipher_final(gc) ||
		    gcry_cipher_decrypt(gc, out, n, ct, n) || gcry_cipher_checktag(gc, tag, 16))
			die("gcry gcm");
		return;
	}
	if (gcry_cipher_setctr(gc, iv, 16) || gcry_cipher_encrypt(gc, ct, n, pt, n))
		die("gcry ctr");
	gcrypt_mac(ct, n, tag);
	gcrypt_mac(ct, n, mac);
	if (memcmp(mac, tag, suite->nt) || gcry_cipher_setctr(gc, iv, 16) ||
	    gcry_cipher_decrypt(gc, out, n, ct, n))
		die("gcry ctr");
}

static void gcrypt_fini(void)
{
	gcry_cipher_close(gc);
	gcry_mac_close(gm);
	gm = NULL;
}

/* ---------------------------------------------------------------- OpenSSL */

static EVP_CIPHER_CTX *oenc, *odec;
static EVP_MAC *omac;
static EVP_MAC_CTX *omctx;

static void openssl_init(const struct e2ee_suite_info *s)
{
	const EVP_CIPHER *c = s->gcm ? (s->nk == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm())
				     : EVP_aes_128_ctr();
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	uint8_t iv[16] = { 9 };

	oenc = EVP_CIPHER_CTX_new();
	odec = EVP_CIPHER_CTX_new();
	if (!oenc || !odec || !EVP_EncryptInit_ex(oenc, c, NULL, key, iv) ||
	    !EVP_DecryptInit_ex(odec, c, NULL, key, iv))
		die("EVP cipher");
	if (s->gcm)
		return;
	omac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	omctx = omac ? EVP_MAC_CTX_new(omac) : NULL;
	if (!omctx || !EVP_MAC_init(omctx, key + 16, 32, params))
		die("EVP_MAC");
}

static void openssl_mac(const uint8_t *ct, size_t n, uint8_t mac[32])
{
	size_t len;

	/* A NULL key keeps the one set in openssl_init. */
	if (!EVP_MAC_init(omctx, NULL, 0, NULL) || !EVP_MAC_update(omctx, aad, 5) ||
	    !EVP_MAC_update(omctx, ct, n) || !EVP_MAC_final(omctx, mac, &len, 32))
		die("EVP_MAC");
}

static void openssl_round(const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n)
{
	uint8_t iv[16] = { 9 }, tag[32], mac[32];
	int len;

	if (suite->gcm) {
		if (!EVP_EncryptInit_ex(oenc, NULL, NULL, NULL, iv) ||
		    !EVP_EncryptUpdate(oenc, NULL, &len, aad, 5) ||
		    !EVP_EncryptUpdate(oenc, ct, &len, pt, (int)n) ||
		    !EVP_EncryptFinal_ex(oenc, ct + len, &len) ||
		    !EVP_CIPHER_CTX_ctrl(oenc, EVP_CTRL_GCM_GET_TAG, 16, tag) ||
		    !EVP_DecryptInit_ex(odec, NULL, NULL, NULL, iv) ||
		    !EVP_DecryptUpdate(odec, NULL, &len, aad, 5) ||
		    !EVP_DecryptUpdate(odec, out, &len, ct, (int)n) ||
		    !EVP_CIPHER_CTX_ctrl(odec, EVP_CTRL_GCM_SET_TAG, 16, tag) ||
		    EVP_DecryptFinal_ex(odec, out + len, &len) <= 0)
			die("EVP gcm");
		return;
	}
	if (!EVP_EncryptInit_ex(oenc, NULL, NULL, NULL, iv) ||
	    !EVP_EncryptUpdate(oenc, ct, &len, pt, (int)n))
		die("EVP ctr");
	openssl_mac(ct, n, tag);
	openssl_mac(ct, n, mac);
	if (memcmp(mac, tag, suite->nt) || !EVP_DecryptInit_ex(odec, NULL, NULL, NULL, iv) ||
	    !EVP_DecryptUpdate(odec, out, &len, ct, (int)n))
		die("EVP ctr");
}

static void openssl_fini(void)
{
	EVP_CIPHER_CTX_free(oenc);
	EVP_CIPHER_CTX_free(odec);
	EVP_MAC_CTX_free(omctx);
	EVP_MAC_free(omac);
	omctx = NULL;
	omac = NULL;
}

/* ------------------------------------------------------------ mbedTLS 2.28 */

static mbedtls_gcm_context mgcm;
static mbedtls_aes_context maes;
static mbedtls_md_context_t mhmac;

static void mbedtls_init(const struct e2ee_suite_info *s)
{
	if (s->gcm) {
		mbedtls_gcm_init(&mgcm);
		if (mbedtls_gcm_setkey(&mgcm, MBEDTLS_CIPHER_ID_AES, key, s->nk * 8u))
			die("mbedtls_gcm_setkey");
		return;
	}
	mbedtls_aes_init(&maes);
	mbedtls_md_init(&mhmac);
	if (mbedtls_aes_setkey_enc(&maes, key, 128) ||
	    mbedtls_md_setup(&mhmac, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) ||
	    mbedtls_md_hmac_starts(&mhmac, key + 16, 32))
		die("mbedtls ctr");
}

static void mbedtls_mac(const uint8_t *ct, size_t n, uint8_t mac[32])
{
	if (mbedtls_md_hmac_reset(&mhmac) || mbedtls_md_hmac_update(&mhmac, aad, 5) ||
	    mbedtls_md_hmac_update(&mhmac, ct, n) || mbedtls_md_hmac_finish(&mhmac, mac))
		die("mbedtls hmac");
}

static void mbedtls_round(const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n)
{
	uint8_t nonce[16] = { 9 }, stream[16], mac[32], tag[32];
	size_t off = 0;

	if (suite->gcm) {
		if (mbedtls_gcm_crypt_and_tag(&mgcm, MBEDTLS_GCM_ENCRYPT, n, nonce, 12, aad, 5, pt,
					      ct, 16, tag) ||
		    mbedtls_gcm_auth_decrypt(&mgcm, n, nonce, 12, aad, 5, tag, 16, ct, out))
			die("mbedtls gcm");
		return;
	}
	if (mbedtls_aes_crypt_ctr(&maes, n, &off, nonce, stream, pt, ct))
		die("mbedtls ctr");
	mbedtls_mac(ct, n, tag);
	mbedtls_mac(ct, n, mac);
	off = 0;
	memset(nonce, 0, sizeof(nonce));
	nonce[0] = 9;
	if (memcmp(mac, tag, suite->nt) ||
	    mbedtls_aes_crypt_ctr(&maes, n, &off, nonce, stream, ct, out))
		die("mbedtls ctr");
}

static void mbedtls_fini(void)
{
	if (suite->gcm) {
		mbedtls_gcm_free(&mgcm);
	} else {
		mbedtls_aes_free(&maes);
		mbedtls_md_free(&mhmac);
	}
}

static const struct path paths[] = {
	{ "sframe", sframe_init, sframe_round, sframe_fini },
	{ "gcrypt", gcrypt_init, gcrypt_round, gcrypt_fini },
	{ "openssl", openssl_init, openssl_round, openssl_fini },
	{ "mbedtls", mbedtls_init, mbedtls_round, mbedtls_fini },
};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

/* `count PATH SUITE SIZE PAIRS`: set up, PAIRS pairs, nothing printed. */
static int count_mode(char **argv, uint8_t *pt, uint8_t *ct, uint8_t *out)
{
	const struct path *p = NULL;
	size_t n = strtoul(argv[3], NULL, 10);
	long pairs = atol(argv[4]);

	for (size_t i = 0; i < NPATHS; i++)
		if (!strcmp(paths[i].name, argv[1]))
			p = &paths[i];
	suite = e2ee_suite_lookup((uint16_t)atoi(argv[2]));
	if (!p || !suite || n > MAX_SIZE)
		return 2;
	p->init(suite);
	for (long i = 0; i < pairs; i++)
		p->round(pt, ct, out, n);
	p->fini();
	return 0;
}

static double mbps(const struct path *p, const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n,
		   long iters)
{
	double t0 = now();

	for (long i = 0; i < iters; i++)
		p->round(pt, ct, out, n);
	return (double)n * (double)iters / (now() - t0) / 1e6;
}

static void bench_size(const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n, double budget)
{
	const int rounds = 9;
	double best[NPATHS] = { 0 };
	long iters = 1, alloc_count = 0;

	/* Calibrate on SFrame: iterations that take about `budget` seconds. */
	for (double t0 = now(); now() - t0 < budget / 4; iters *= 2)
		for (long i = 0; i < iters; i++)
			paths[0].round(pt, ct, out, n);
	for (int r = 0; r < rounds; r++)
		for (size_t p = 0; p < NPATHS; p++) {
			long a0 = tu_allocs();
			/* mbedTLS is 20-30x slower: fewer iterations, the same rate. */
			long it = p == NPATHS - 1 && iters > 16 ? iters / 16 : iters;
			double v = mbps(&paths[p], pt, ct, out, n, it);

			if (p == 0)
				alloc_count += tu_allocs() - a0;
			if (v > best[p])
				best[p] = v;
		}
	printf("suite=%u size=%zu backend=%s sframe_MBps=%.1f gcrypt_MBps=%.1f openssl_MBps=%.1f "
	       "mbedtls_MBps=%.1f vs_gcrypt=%.3f vs_openssl=%.3f vs_mbedtls=%.2f allocs=%ld\n",
	       suite->id, n, e2ee_aead_backend_name(), best[0], best[1], best[2], best[3],
	       best[0] / best[1], best[0] / best[2], best[0] / best[3], alloc_count);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 100, 1000, 10000, 100000, 1000000 };
	double budget = argc > 1 && strcmp(argv[1], "count") ? atof(argv[1]) : 0.03;
	uint8_t *pt = calloc(1, BUF_SIZE), *ct = malloc(BUF_SIZE), *out = malloc(BUF_SIZE);
	int ret = 0;

	if (!pt || !ct || !out)
		return 1;
	memset(pt, 0x5c, MAX_SIZE);
	if (argc == 6 && !strcmp(argv[1], "count")) {
		ret = count_mode(argv + 1, pt, ct, out);
		goto out;
	}
	for (uint16_t id = 1; id <= 5; id++) {
		suite = e2ee_suite_lookup(id);
		for (size_t p = 0; p < NPATHS; p++)
			paths[p].init(suite);
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
			bench_size(pt, ct, out, sizes[si], budget);
		for (size_t p = 0; p < NPATHS; p++)
			paths[p].fini();
	}
out:
	free(pt);
	free(ct);
	free(out);
	return ret;
}
