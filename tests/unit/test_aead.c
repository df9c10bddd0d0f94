// SPDX-License-Identifier: MIT
/*
 * The AEAD backend under SFrame (crypto/aead.h), beyond the vectors that
 * test_sframe runs through it: the build's backend is the one asked for,
 * GCM's AAD split at every byte gives the vectors' tags, no allocation per
 * frame in any suite, and (libgcrypt) the process-wide initialisation: once,
 * after an application that did its own, and silent on stderr in a process
 * that may not lock memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#ifdef E2EE_TEST_GCRYPT
#include <gcrypt.h>
#endif

#include "alloc_count.h"
#include "e2ee/keyring.h"
#include "json.h"
#include "testutil.h"

#ifndef E2EE_TEST_BACKEND
#error "tests.mk passes E2EE_TEST_BACKEND, the backend this build asked for"
#endif


static void test_backend_is_the_build_s(void **state)
{
	assert_string_equal(e2ee_aead_backend_name(), E2EE_TEST_BACKEND);
	assert_int_equal(e2ee_aead_init(), 0);
	assert_int_equal(e2ee_aead_init(), 0);
}

/* Every split of header || metadata between the two AAD pieces: the same frame. */
static void test_gcm_aad_split_anywhere(void **state)
{
	struct json *vectors = tu_load_vectors();
	const struct json *arr;

	assert_non_null(vectors);
	arr = json_get(vectors, "sframe");
	for (size_t i = 0; i < json_len(arr); i++) {
		const struct json *v = json_at(arr, i);
		uint8_t secret[E2EE_SFRAME_MAX_NH], skey[E2EE_SFRAME_MAX_NK], salt[E2EE_SFRAME_NN];
		size_t blen, alen, plen, clen, nlen, hlen;
		uint8_t *base = json_hex(v, "base_key", &blen), *aad = json_hex(v, "aad", &alen);
		uint8_t *pt = json_hex(v, "pt", &plen), *ct = json_hex(v, "ct", &clen);
		uint8_t *nonce = json_hex(v, "nonce", &nlen);
		struct e2ee_sframe_key k;
		uint64_t suite, kid, ctr;
		uint8_t *out, *back;

		assert_true(base && aad && pt && ct && nonce);
		assert_true(json_u64(v, "cipher_suite", &suite) && json_u64(v, "kid", &kid) &&
			    json_u64(v, "ctr", &ctr));
		assert_int_equal(e2ee_sframe_derive((uint16_t)suite, kid, base, blen, secret, skey,
						    salt),
				 0);
		assert_int_equal(e2ee_sframe_key_init_raw(&k, (uint16_t)suite, kid, skey, salt), 0);
		hlen = e2ee_sframe_header_len(kid, ctr);
		out = tu_canary_alloc(clen - hlen);
		back = tu_canary_alloc(plen);
		for (size_t cut = 0; cut <= alen; cut++) {
			assert_int_equal(e2ee_aead_encrypt(&k, nonce, aad, cut, aad + cut, alen - cut,
							   pt, plen, out),
					 0);
			assert_memory_equal(out, ct + hlen, clen - hlen);
			assert_int_equal(e2ee_aead_decrypt(&k, nonce, aad, cut, aad + cut, alen - cut,
							   out, clen - hlen, back),
					 0);
			assert_memory_equal(back, pt, plen);
		}
		tu_canary_check(out, clen - hlen);
		tu_canary_check(back, plen);
		tu_canary_free(out, clen - hlen);
		tu_canary_free(back, plen);
		e2ee_sframe_key_wipe(&k);
		free(base), free(aad), free(pt), free(ct), free(nonce);
	}
	json_free(vectors);
}

#ifndef __SANITIZE_ADDRESS__
/* Per frame, in every suite and at every size class, nothing allocates. */
static void test_no_allocation_per_frame(void **state)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1500, 100000 };
	static const uint8_t base[32] = { 9, 8, 7 };
	static struct e2ee_keyring tx, rx;
	uint8_t *pt = calloc(1, 100000), *ct = malloc(100000 + E2EE_SFRAME_MAX_OVERHEAD);
	uint8_t *out = malloc(100000 + E2EE_SFRAME_MAX_OVERHEAD), md[3] = { 1, 2, 3 };

	assert_true(tu_allocs_counted());
	assert_true(pt && ct && out);
	for (uint16_t suite = 1; suite <= 5; suite++) {
		long before;

		assert_int_equal(e2ee_keyring_init(&tx, suite, 1024), 0);
		assert_int_equal(e2ee_keyring_init(&rx, suite, 1024), 0);
		assert_int_equal(e2ee_keyring_add(&tx, 77, E2EE_KEY_SEND, base, sizeof(base)), 0);
		assert_int_equal(e2ee_keyring_add(&rx, 77, E2EE_KEY_RECV, base, sizeof(base)), 0);
		before = tu_allocs();
		for (int round = 0; round < 3; round++)
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				size_t clen, olen;

				assert_int_equal(e2ee_keyring_protect(&tx, 77, md, sizeof(md), pt,
								      sizes[i], ct,
								      100000 + E2EE_SFRAME_MAX_OVERHEAD,
								      &clen),
						 0);
				/* A forged tag first (the window moves only for authentic frames). */
				ct[clen - 1] ^= 1;
				assert_int_equal(e2ee_keyring_unprotect(&rx, md, sizeof(md), ct, clen,
									out, 100000, &olen, NULL,
									NULL),
						 -EBADMSG);
				ct[clen - 1] ^= 1;
				assert_int_equal(e2ee_keyring_unprotect(&rx, md, sizeof(md), ct, clen,
									out, 100000, &olen, NULL,
									NULL),
						 0);
				assert_int_equal(olen, sizes[i]);
			}
		assert_int_equal(tu_allocs() - before, 0);
		e2ee_keyring_clear(&tx);
		e2ee_keyring_clear(&rx);
	}
	free(pt), free(ct), free(out);
}
#endif

#ifdef E2EE_TEST_GCRYPT
/*
 * Runs fn in a child whose stderr is a pipe; returns what the child wrote
 * there (NUL-terminated, at most cap - 1 bytes) and fails on a non-zero exit.
 */
static void in_child(void (*fn)(void), char *err, size_t cap)
{
	int fd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		fn();
		_exit(0);
	}
	close(fd[1]);
	while (got < cap - 1 && (n = read(fd[0], err + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = 0;
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * One key, one frame each way, and the answer of keys_locked (want_locked
 * 0 or 1; -1: not checked), as exit codes.
 */
static void use_a_key(int want_locked)
{
	static const uint8_t base[16] = { 1 };
	uint8_t pt[40] = { 5 }, ct[80], out[40];
	struct e2ee_sframe_key k;
	size_t len;

	if (e2ee_sframe_key_init(&k, 4, 3, base, sizeof(base)) ||
	    e2ee_sframe_protect(&k, 1, NULL, 0, pt, sizeof(pt), ct, sizeof(ct), &len) ||
	    e2ee_sframe_unprotect(&k, NULL, 0, ct, len, out, sizeof(out), &len, NULL) ||
	    memcmp(out, pt, sizeof(pt)))
		_exit(10);
	e2ee_sframe_key_wipe(&k);
	if (want_locked >= 0 && e2ee_aead_keys_locked() != (want_locked == 1))
		_exit(11);
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		_exit(12);
}

/* A process that may not lock memory: no "using insecure memory" on stderr. */
static void child_unlockable(void)
{
	struct rlimit none = { 0, 0 };

	/* As root, give up CAP_IPC_LOCK the way a daemon dropping privileges does. */
	if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
		_exit(20);
	if (setrlimit(RLIMIT_MEMLOCK, &none))
		_exit(21);
#ifdef __SANITIZE_ADDRESS__
	use_a_key(-1); /* ASan's mlock does nothing and says it succeeded */
#else
	use_a_key(0);
#endif
}

/* An application that initialised libgcrypt itself before loading us. */
static void child_app_first(void)
{
	if (!gcry_check_version(GCRYPT_VERSION))
		_exit(30);
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	/* Its settings stand: keys_locked reports only a pool we set up. */
	use_a_key(0);
}

/*
 * Another library first, as libssh-gcrypt does inside FFmpeg (gst-libav's
 * avdec_h264): libgcrypt finished with its default secure pool (32 KiB, no
 * expansion). A room holds more keys than fit there: all 64 must work.
 */
static void child_small_pool_first(void)
{
	static const uint8_t base[16] = { 7 };
	static struct e2ee_sframe_key k[64];

	if (!gcry_check_version(NULL))
		_exit(50);
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	for (size_t i = 0; i < 64; i++)
		if (e2ee_sframe_key_init(&k[i], i % 2 ? 4 : 1, i, base, sizeof(base)))
			_exit(51);
	for (size_t i = 0; i < 64; i++)
		e2ee_sframe_key_wipe(&k[i]);
	use_a_key(0); /* no longer all in locked memory, and it says so */
}

static void child_may_lock(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_MEMLOCK, &lim))
		_exit(40);
	/* Root (CAP_IPC_LOCK) or a limit above the 256 KiB pool: locked. */
	use_a_key(geteuid() == 0 || lim.rlim_cur >= 512 * 1024);
}

static void test_gcrypt_init(void **state)
{
	char err[512];

	/* Runs first: each child starts from a process that has not initialised. */
	assert_false(gcry_control(GCRYCTL_ANY_INITIALIZATION_P));
	in_child(child_may_lock, err, sizeof(err));
	assert_string_equal(err, "");
	in_child(child_unlockable, err, sizeof(err));
	assert_string_equal(err, "");
	in_child(child_app_first, err, sizeof(err));
	assert_string_equal(err, "");
	in_child(child_small_pool_first, err, sizeof(err));
	assert_string_equal(err, "");
}
#endif

int main(void)
{
	/* run-tests.sh counts a skip as a failure: absent cases are left out. */
	const struct CMUnitTest tests[] = {
#ifdef E2EE_TEST_GCRYPT
		cmocka_unit_test(test_gcrypt_init),
#endif
		cmocka_unit_test(test_backend_is_the_build_s),
		cmocka_unit_test(test_gcm_aad_split_anywhere),
#ifndef __SANITIZE_ADDRESS__ /* ASan owns malloc: alloc_count.h counts nothing */
		cmocka_unit_test(test_no_allocation_per_frame),
#endif
	};

	return cmocka_run_group_tests_name("aead", tests, NULL, NULL);
}
