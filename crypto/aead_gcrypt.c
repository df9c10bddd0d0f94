// SPDX-License-Identifier: MIT
/*
 * The libgcrypt AEAD backend (aead.h), the default: AES-GCM for suites 4
 * and 5, AES-CTR and HMAC-SHA256 for suites 1 to 3. Owns libgcrypt's
 * process-wide initialisation (e2ee_aead_init) and the per-key handles.
 *
 * Where keys live: every handle is opened in libgcrypt's secure memory
 * (GCRY_CIPHER_SECURE, GCRY_MD_FLAG_SECURE), a pool locked with mlock when
 * the process may lock it. libgcrypt keeps the expanded AES key, GCM's H and
 * its tables, and the two keyed SHA-256 states for HMAC inside those handles
 * until e2ee_aead_free() closes them; gcry_cipher_close and gcry_md_close wipe
 * the handle, and a secure-memory block is overwritten when freed. Between
 * frames libgcrypt holds no other copy (it burns its stack after each bulk
 * call). docs/crypto-backend.md has the details.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <gcrypt.h>

#include "aead.h"
#include "e2ee/secret.h"

/*
 * The locked pool: about 128 GCM keys (a handle is about 2 KB). Beyond it
 * libgcrypt adds pools of AUTO_EXPAND bytes, wiped like the first but not
 * locked (docs/crypto-backend.md).
 */
#define SECMEM_POOL (256u * 1024u)
#define SECMEM_EXPAND (64u * 1024u)
#define HMAC_BLOCK 64 /* SHA-256's block */

/*
 * HMAC by hand on two plain SHA-256 handles: libgcrypt's own HMAC
 * (GCRY_MD_FLAG_HMAC, gcry_mac) allocates a buffer in every final, which
 * would be an allocation per frame. The pads are key material: secure memory.
 */
struct pads {
	uint8_t ipad[HMAC_BLOCK];
	uint8_t opad[HMAC_BLOCK];
};

struct __attribute__((may_alias)) gstate {
	gcry_cipher_hd_t cipher;
	gcry_md_hd_t inner, outer;
	struct pads *pads;
};

_Static_assert(sizeof(struct gstate) <= sizeof(struct e2ee_aead_state), "state too large");

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_ret = -EIO;
static bool keys_locked;
/* Set once a key had to go to ordinary memory (below); read without a lock:
 * it only ever goes from false to true. */
static volatile bool keys_outside_secmem;

/*
 * Once per process. libgcrypt is shared by everything in the process: a
 * GStreamer plugin is loaded into an application that may use libgcrypt
 * itself (or load another plugin that does). So: if someone already
 * finished the initialisation, their settings stand and we only check the
 * version; otherwise we do the documented sequence (version, secure memory,
 * finished). The secure-memory warning goes nowhere: libgcrypt would print
 * it on stderr at the first key; e2ee_aead_keys_locked() tells instead.
 */
static void init_once(void)
{
	gcry_error_t err;

	if (!gcry_check_version(GCRYPT_VERSION)) {
		init_ret = -ENOTSUP;
		return;
	}
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		init_ret = 0;
		return;
	}
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	/* Fails (GPG_ERR_GENERAL) when mlock was refused: the pool is still used. */
	err = gcry_control(GCRYCTL_INIT_SECMEM, SECMEM_POOL, 0);
	keys_locked = !err;
	gcry_control(GCRYCTL_AUTO_EXPAND_SECMEM, SECMEM_EXPAND, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	init_ret = 0;
}

int e2ee_aead_init(void)
{
	if (pthread_once(&once, init_once))
		return -EIO;
	return init_ret;
}

bool e2ee_aead_keys_locked(void)
{
	return e2ee_aead_init() == 0 && keys_locked && !keys_outside_secmem;
}

/*
 * Secure memory first; when it is full, ordinary memory. Another library
 * may have initialised libgcrypt before us with a small pool and no
 * expansion: FFmpeg's libavformat, which gst-libav loads for avdec_h264,
 * links libssh-gcrypt, whose initialisation leaves libgcrypt's default 32
 * KiB, about 8 AES-GCM handles; the ninth key of a room then failed with
 * ENOMEM. libgcrypt wipes a handle when it is closed whichever memory it is
 * in; e2ee_aead_keys_locked() then says the keys are no longer all locked.
 */
static gcry_error_t open_cipher(gcry_cipher_hd_t *h, int algo, int mode)
{
	gcry_error_t err = gcry_cipher_open(h, algo, mode, GCRY_CIPHER_SECURE);

	if (err) {
		keys_outside_secmem = true;
		err = gcry_cipher_open(h, algo, mode, 0);
	}
	return err;
}

static gcry_error_t open_md(gcry_md_hd_t *h)
{
	gcry_error_t err = gcry_md_open(h, GCRY_MD_SHA256, GCRY_MD_FLAG_SECURE);

	if (err) {
		keys_outside_secmem = true;
		err = gcry_md_open(h, GCRY_MD_SHA256, 0);
	}
	return err;
}

const char *e2ee_aead_backend_name(void)
{
	return "libgcrypt";
}

static int hmac_setup(struct gstate *g, const uint8_t *key, size_t key_len)
{
	/* RFC 2104 with a key no longer than the block (32 bytes here). */
	if (key_len > HMAC_BLOCK)
		return -EINVAL;
	g->pads = gcry_calloc_secure(1, sizeof(*g->pads));
	if (!g->pads) {
		keys_outside_secmem = true; /* wiped before gcry_free (e2ee_aead_free) */
		g->pads = gcry_calloc(1, sizeof(*g->pads));
	}
	if (!g->pads)
		return -ENOMEM;
	memcpy(g->pads->ipad, key, key_len);
	memcpy(g->pads->opad, key, key_len);
	for (size_t i = 0; i < HMAC_BLOCK; i++) {
		g->pads->ipad[i] ^= 0x36;
		g->pads->opad[i] ^= 0x5c;
	}
	if (open_md(&g->inner) || open_md(&g->outer))
		return -ENOMEM;
	return 0;
}

int e2ee_aead_setup(struct e2ee_aead_state *st, const struct e2ee_suite_info *s,
		    const uint8_t *sframe_key)
{
	struct gstate *g = (struct gstate *)st;
	int algo = s->gcm ? (s->nk == 32 ? GCRY_CIPHER_AES256 : GCRY_CIPHER_AES128)
			  : GCRY_CIPHER_AES128;
	size_t enc_len = s->gcm ? s->nk : s->nka;
	int ret;

	memset(g, 0, sizeof(*g));
	ret = e2ee_aead_init();
	if (ret)
		return ret;
	if (open_cipher(&g->cipher, algo, s->gcm ? GCRY_CIPHER_MODE_GCM : GCRY_CIPHER_MODE_CTR))
		return -ENOMEM;
	if (gcry_cipher_setkey(g->cipher, sframe_key, enc_len))
		return -EIO;
	if (!s->gcm)
		return hmac_setup(g, sframe_key + s->nka, s->nk - s->nka);
	return 0;
}

void e2ee_aead_free(struct e2ee_aead_state *st, const struct e2ee_suite_info *s)
{
	struct gstate *g = (struct gstate *)st;

	/* Each of these wipes what it frees (gcry_free: secure blocks are overwritten). */
	if (g->pads) {
		e2ee_wipe(g->pads, sizeof(*g->pads));
		gcry_free(g->pads);
	}
	gcry_md_close(g->inner);
	gcry_md_close(g->outer);
	gcry_cipher_close(g->cipher);
	memset(g, 0, sizeof(*g));
}

static int gcm_start(struct gstate *g, const uint8_t *nonce, const struct e2ee_span *aad)
{
	if (gcry_cipher_setiv(g->cipher, nonce, E2EE_SFRAME_NN))
		return -EIO;
	for (size_t i = 0; i < 2; i++)
		if (aad[i].len && gcry_cipher_authenticate(g->cipher, aad[i].p, aad[i].len))
			return -EIO;
	/* One encrypt or decrypt call per frame: it may end on a partial block. */
	return gcry_cipher_final(g->cipher) ? -EIO : 0;
}

int e2ee_aead_gcm_seal(struct e2ee_aead_state *st, const uint8_t nonce[static E2EE_SFRAME_NN],
		       const struct e2ee_span aad[static 2], const uint8_t *pt, size_t len,
		       uint8_t *ct, uint8_t tag[static E2EE_GCM_TAG])
{
	struct gstate *g = (struct gstate *)st;
	int ret = gcm_start(g, nonce, aad);

	if (ret)
		return ret;
	if (gcry_cipher_encrypt(g->cipher, ct, len, pt, len) ||
	    gcry_cipher_gettag(g->cipher, tag, E2EE_GCM_TAG))
		return -EIO;
	return 0;
}

int e2ee_aead_gcm_open(struct e2ee_aead_state *st, const uint8_t nonce[static E2EE_SFRAME_NN],
		       const struct e2ee_span aad[static 2], const uint8_t *ct, size_t len,
		       const uint8_t tag[static E2EE_GCM_TAG], uint8_t *pt)
{
	struct gstate *g = (struct gstate *)st;
	gcry_error_t err;
	int ret = gcm_start(g, nonce, aad);

	if (ret)
		return ret;
	if (gcry_cipher_decrypt(g->cipher, pt, len, ct, len))
		return -EIO;
	/* Constant time (buf_eq_const in libgcrypt's cipher-gcm.c). */
	err = gcry_cipher_checktag(g->cipher, tag, E2EE_GCM_TAG);
	if (gcry_err_code(err) == GPG_ERR_CHECKSUM)
		return -EBADMSG;
	return err ? -EIO : 0;
}

int e2ee_aead_ctr(struct e2ee_aead_state *st, const uint8_t iv[static E2EE_CTR_IV],
		  const uint8_t *in, size_t len, uint8_t *out)
{
	struct gstate *g = (struct gstate *)st;

	if (gcry_cipher_setctr(g->cipher, iv, E2EE_CTR_IV) ||
	    gcry_cipher_encrypt(g->cipher, out, len, in, len))
		return -EIO;
	return 0;
}

int e2ee_aead_hmac(struct e2ee_aead_state *st, const struct e2ee_span *parts, size_t n,
		   uint8_t mac[static E2EE_SFRAME_MAX_NH])
{
	struct gstate *g = (struct gstate *)st;

	/* HMAC(K, m) = H(K ^ opad || H(K ^ ipad || m)), RFC 2104. */
	gcry_md_reset(g->inner);
	gcry_md_write(g->inner, g->pads->ipad, HMAC_BLOCK);
	for (size_t i = 0; i < n; i++)
		if (parts[i].len)
			gcry_md_write(g->inner, parts[i].p, parts[i].len);
	gcry_md_reset(g->outer);
	gcry_md_write(g->outer, g->pads->opad, HMAC_BLOCK);
	/* gcry_md_read finalises; the inner digest stays in the secure handle. */
	gcry_md_write(g->outer, gcry_md_read(g->inner, GCRY_MD_SHA256), 32);
	memcpy(mac, gcry_md_read(g->outer, GCRY_MD_SHA256), 32);
	return 0;
}
