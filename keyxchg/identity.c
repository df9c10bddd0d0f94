// SPDX-License-Identifier: MIT
/* Identity key IK (Ed25519) and meeting key EK (X25519); keying.md "Keys". */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"
#include "kx/identity.h"

#define TMP_FILE KX_IDENTITY_FILE ".tmp"

/* A new seed in a temporary file, linked into place only if none appeared meanwhile. */
static int create_key(int dfd)
{
	unsigned char *seed = sodium_malloc(KX_SEED_BYTES);
	int fd = -1, ret;

	if (!seed)
		return -ENOMEM;
	randombytes_buf(seed, KX_SEED_BYTES);
	if (unlinkat(dfd, TMP_FILE, 0) && errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	fd = openat(dfd, TMP_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (fchmod(fd, 0600)) {
		ret = -errno;
		goto out;
	}
	ret = kx_write_all(fd, seed, KX_SEED_BYTES);
	if (!ret && fsync(fd))
		ret = -errno;
	if (ret)
		goto out;
	if (linkat(dfd, TMP_FILE, dfd, KX_IDENTITY_FILE, 0) && errno != EEXIST) {
		ret = -errno;
		goto out;
	}
	if (fsync(dfd))
		ret = -errno;
out:
	if (fd >= 0) {
		close(fd);
		unlinkat(dfd, TMP_FILE, 0);
	}
	sodium_free(seed);
	return ret;
}

static int keypair_from_seed(struct kx_identity *id, const unsigned char *seed)
{
	id->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!id->sk)
		return -ENOMEM;
	crypto_sign_seed_keypair(id->ik, id->sk, seed);
	sodium_mprotect_noaccess(id->sk);
	return 0;
}

static int load_key(int dfd, const char *state_dir, struct kx_identity *id)
{
	unsigned char *seed = NULL;
	char path[512];
	struct stat st;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", state_dir, KX_IDENTITY_FILE);
	fd = kx_open_owned(dfd, KX_IDENTITY_FILE, "identity key", path, &st);
	if (fd < 0)
		return fd;
	if (st.st_size != KX_SEED_BYTES) {
		kx_warn("REFUSED identity key %s: %lld bytes, want %d", path, (long long)st.st_size,
			KX_SEED_BYTES);
		ret = -EBADMSG;
		goto out;
	}
	seed = sodium_malloc(KX_SEED_BYTES);
	if (!seed) {
		ret = -ENOMEM;
		goto out;
	}
	ret = kx_read_all(fd, seed, KX_SEED_BYTES);
	if (ret)
		goto out;
	ret = keypair_from_seed(id, seed);
out:
	if (seed)
		sodium_free(seed);
	close(fd);
	return ret;
}

int kx_identity_open(const char *state_dir, struct kx_identity *id, bool *created)
{
	int dfd, ret;
	bool made = false;

	memset(id, 0, sizeof(*id));
	ret = kx_init();
	if (ret)
		return ret;
	dfd = kx_state_dir_open(state_dir);
	if (dfd < 0)
		return dfd;
	ret = load_key(dfd, state_dir, id);
	if (ret == -ENOENT) {
		ret = create_key(dfd);
		if (!ret) {
			made = true;
			ret = load_key(dfd, state_dir, id);
		}
	}
	close(dfd);
	if (ret)
		kx_identity_close(id);
	else if (created)
		*created = made;
	return ret;
}

/*
 * A new identity replaces the old one (kx/identity.h). The file is replaced
 * atomically (the new seed in a temporary file, fsync, rename over the old
 * name, fsync of the directory: after a crash it holds the old seed or the
 * new one), and the old seed's blocks are overwritten through a descriptor
 * held across the rename (overwrite, fsync): on a disk that rewrites in
 * place they are gone; on flash behind a wear-levelling layer (eMMC, SD,
 * an FTL) the overwrite may land elsewhere and the old blocks stay until the
 * device reuses them (DAEMON.md "State files").
 */
int kx_identity_reset(const char *state_dir, struct kx_identity *id)
{
	struct kx_identity fresh = { 0 };
	unsigned char *seed = sodium_malloc(KX_SEED_BYTES);
	uint8_t junk[KX_SEED_BYTES];
	int dfd = -1, old = -1, ro = -1, ret;
	bool chmodded = false;
	struct stat st;

	if (!seed)
		return -ENOMEM;
	dfd = kx_state_dir_open(state_dir);
	if (dfd < 0) {
		ret = dfd;
		goto out;
	}
	/* The old file, held open to overwrite what it was after the rename (a
	 * 0400 one, which kx_identity_open accepts, made writable first). */
	old = openat(dfd, KX_IDENTITY_FILE, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (old < 0 && errno == EACCES) {
		ro = openat(dfd, KX_IDENTITY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (ro >= 0 && !fstat(ro, &st) && !fchmod(ro, 0600)) {
			chmodded = true;
			old = openat(dfd, KX_IDENTITY_FILE, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (old < 0)
			errno = EACCES;
	}
	if (old < 0 && errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	randombytes_buf(seed, KX_SEED_BYTES);
	ret = keypair_from_seed(&fresh, seed);
	if (!ret)
		ret = kx_replace_file(dfd, KX_IDENTITY_FILE, seed, KX_SEED_BYTES);
	/* KX_NOT_SYNCED: the name holds the new seed (said loudly): it is the
	 * identity from now on, in memory too. */
	if (ret < 0)
		goto out; /* the old identity stays, on disk and in memory, its mode too */
	if (chmodded) /* the old inode is no key any more: its mode no longer matters */
		chmodded = false;
	ret = 0;
	if (old >= 0) {
		randombytes_buf(junk, sizeof(junk));
		if (pwrite(old, junk, sizeof(junk), 0) != (ssize_t)sizeof(junk) || fsync(old))
			kx_warn("the old identity key's blocks were not overwritten: %s",
				strerror(errno));
	}
	/* The old secret key goes from memory (sodium_free wipes). */
	kx_identity_close(id);
	*id = fresh;
	memset(&fresh, 0, sizeof(fresh));
out:
	if (chmodded && fchmod(ro, st.st_mode & 07777))
		kx_warn("%s/%s: the reset failed and its mode stays 0600 (was %04o): %s",
			state_dir, KX_IDENTITY_FILE, (unsigned int)(st.st_mode & 07777),
			strerror(errno));
	if (ro >= 0)
		close(ro);
	if (old >= 0)
		close(old);
	if (dfd >= 0)
		close(dfd);
	sodium_free(seed);
	kx_identity_close(&fresh);
	return ret;
}

int kx_identity_from_seed(const uint8_t seed[static KX_SEED_BYTES], struct kx_identity *id)
{
	memset(id, 0, sizeof(*id));
	if (kx_init())
		return -EIO;
	return keypair_from_seed(id, seed);
}

int kx_identity_sign(struct kx_identity *id, const uint8_t *m, size_t len,
		     uint8_t sig[static KX_SIG_BYTES])
{
	if (!id->sk)
		return -EINVAL;
	sodium_mprotect_readonly(id->sk);
	crypto_sign_detached(sig, NULL, m, len, id->sk);
	sodium_mprotect_noaccess(id->sk);
	return 0;
}

void kx_identity_close(struct kx_identity *id)
{
	if (id->sk)
		sodium_free(id->sk); /* wipes; works on a PROT_NONE region */
	sodium_memzero(id, sizeof(*id));
}

int kx_sig_verify(const uint8_t ik[static KX_IK_BYTES], const uint8_t *m, size_t len,
		  const uint8_t sig[static KX_SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, m, len, ik) ? -EBADMSG : 0;
}

static int ek_from(struct kx_ek *ek, const uint8_t *sk)
{
	memset(ek, 0, sizeof(*ek));
	if (kx_init())
		return -EIO;
	ek->sk = sodium_malloc(crypto_scalarmult_SCALARBYTES);
	if (!ek->sk)
		return -ENOMEM;
	if (sk)
		memcpy(ek->sk, sk, crypto_scalarmult_SCALARBYTES);
	else
		randombytes_buf(ek->sk, crypto_scalarmult_SCALARBYTES);
	crypto_scalarmult_base(ek->pk, ek->sk);
	sodium_mprotect_noaccess(ek->sk);
	return 0;
}

int kx_ek_generate(struct kx_ek *ek)
{
	return ek_from(ek, NULL);
}

int kx_ek_from_secret(const uint8_t sk[static 32], struct kx_ek *ek)
{
	return ek_from(ek, sk);
}

void kx_ek_free(struct kx_ek *ek)
{
	if (ek->sk)
		sodium_free(ek->sk);
	sodium_memzero(ek, sizeof(*ek));
}

int kx_ek_dh(struct kx_ek *ek, const uint8_t peer[static KX_EK_BYTES], uint8_t out[static 32])
{
	int ret;

	if (!ek->sk)
		return -EINVAL;
	sodium_mprotect_readonly(ek->sk);
	/* -1 for an all-zero result: a low-order peer point contributes nothing. */
	ret = crypto_scalarmult(out, ek->sk, peer) ? -EBADMSG : 0;
	sodium_mprotect_noaccess(ek->sk);
	if (ret)
		sodium_memzero(out, 32);
	return ret;
}
