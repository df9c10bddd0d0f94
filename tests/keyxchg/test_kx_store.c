// SPDX-License-Identifier: MIT
/*
 * State on disk: the identity key (0600 in a 0700 directory, refused
 * otherwise), the pin store (new / same / CHANGED), and the codeword cache.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kx/codewords.h"
#include "kx/pinstore.h"
#include "kx_testutil.h"
#include "testutil.h"

static char warned[1024];

static void on_warn(const char *msg, void *ud)
{
	snprintf(warned, sizeof(warned), "%s", msg);
}

static char *path(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	sprintf(p, "%s/%s", dir, name);
	return p;
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

static void write_file(const char *p, const void *data, size_t len, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_identity_created_and_reloaded(void **state)
{
	char *tmp = kt_tmpdir(), *dir = path(tmp, "state"), *key = path(dir, KX_IDENTITY_FILE);
	struct kx_identity a, b;
	uint8_t sig[KX_SIG_BYTES];
	bool created = false;

	assert_int_equal(kx_identity_open(dir, &a, &created), 0);
	assert_true(created);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(mode_of(key), 0600);
	assert_int_equal(kx_identity_open(dir, &b, &created), 0);
	assert_false(created);
	assert_memory_equal(a.ik, b.ik, KX_IK_BYTES);
	/* The file holds the RFC 8032 seed: an identity from those bytes is the same key. */
	{
		uint8_t seed[32];
		struct kx_identity c;
		int fd = open(key, O_RDONLY);

		assert_int_equal(read(fd, seed, 32), 32);
		close(fd);
		assert_int_equal(kx_identity_from_seed(seed, &c), 0);
		assert_memory_equal(c.ik, a.ik, KX_IK_BYTES);
		kx_identity_close(&c);
	}
	assert_int_equal(kx_identity_sign(&a, (const uint8_t *)"hello", 5, sig), 0);
	assert_int_equal(kx_sig_verify(b.ik, (const uint8_t *)"hello", 5, sig), 0);
	assert_int_equal(kx_sig_verify(b.ik, (const uint8_t *)"hellO", 5, sig), -EBADMSG);
	kx_identity_close(&a);
	kx_identity_close(&b);
	assert_null(a.sk);
	assert_true(tu_is_zero(&a, sizeof(a)));
	assert_int_equal(kx_identity_sign(&a, (const uint8_t *)"x", 1, sig), -EINVAL);
	/* No temporary file left. */
	{
		char *t = path(dir, KX_IDENTITY_FILE ".tmp");

		assert_int_not_equal(access(t, F_OK), 0);
		free(t);
	}
	kt_rmrf(tmp);
	free(key);
	free(dir);
	free(tmp);
}

struct perm_vec {
	const char *name;
	mode_t dir_mode; /* 0: symlink to a good directory */
	mode_t key_mode; /* 0: no key file; 1: key file is a symlink */
	size_t key_len;
	bool chown_key;
	int want;
};

static const struct perm_vec perm_vectors[] = {
    {"good: 0700 and 0600", 0700, 0600, 32, false, 0},
    {"good: key 0400", 0700, 0400, 32, false, 0},
    {"directory 0755", 0755, 0600, 32, false, -EPERM},
    {"directory 0710", 0710, 0600, 32, false, -EPERM},
    {"directory 0701", 0701, 0600, 32, false, -EPERM},
    {"directory a symlink", 0, 0600, 32, false, -EPERM},
    {"key 0644", 0700, 0644, 32, false, -EPERM},
    {"key 0640", 0700, 0640, 32, false, -EPERM},
    {"key 0602", 0700, 0602, 32, false, -EPERM},
    {"key a symlink", 0700, 1, 32, false, -EPERM},
    {"key owned by another user", 0700, 0600, 32, true, -EPERM},
    {"key 31 bytes", 0700, 0600, 31, false, -EBADMSG},
    {"key 64 bytes", 0700, 0600, 64, false, -EBADMSG},
    {"key empty", 0700, 0600, 0, false, -EBADMSG},
};

static void test_identity_permissions(void **state)
{
	static const uint8_t seed[64] = {1, 2, 3};

	kx_set_warn_handler(on_warn, NULL);
	for (size_t i = 0; i < sizeof(perm_vectors) / sizeof(perm_vectors[0]); i++) {
		const struct perm_vec *v = &perm_vectors[i];
		char *tmp = kt_tmpdir(), *real = path(tmp, "real"), *dir = path(tmp, "state");
		char *key = path(real, KX_IDENTITY_FILE);
		struct kx_identity id;

		print_message("permissions: %s\n", v->name);
		if (v->chown_key && geteuid() != 0) {
			print_message("  (skipped: chown needs root)\n");
			goto next;
		}
		assert_int_equal(mkdir(real, 0700), 0);
		if (v->key_mode == 1) {
			char *other = path(tmp, "elsewhere.key");

			write_file(other, seed, 32, 0600);
			assert_int_equal(symlink(other, key), 0);
			free(other);
		} else if (v->key_mode) {
			write_file(key, seed, v->key_len, v->key_mode);
			if (v->chown_key)
				assert_int_equal(chown(key, 1, 1), 0);
		}
		assert_int_equal(chmod(real, v->dir_mode ? v->dir_mode : 0700), 0);
		if (v->dir_mode)
			assert_int_equal(rename(real, dir), 0);
		else
			assert_int_equal(symlink(real, dir), 0);
		warned[0] = 0;
		assert_int_equal(kx_identity_open(dir, &id, NULL), v->want);
		if (v->want == -EPERM)
			assert_non_null(strstr(warned, "REFUSED")); /* loudly */
		if (v->want)
			assert_null(id.sk);
		kx_identity_close(&id);
next:
		kt_rmrf(tmp);
		free(key);
		free(dir);
		free(real);
		free(tmp);
	}
	kx_set_warn_handler(NULL, NULL);
}

/* The end of a state-folder test: parties, the folder and its paths go. */
static void done_state(struct kt_party *p, char *tmp, char *dir, char *file)
{
	kx_set_warn_handler(NULL, NULL);
	kt_parties_free(p);
	free(p);
	kt_rmrf(tmp);
	free(file);
	free(dir);
	free(tmp);
}

static void test_pins(void **state)
{
	struct kt_party *p = calloc(KT_PARTIES, sizeof(*p));
	char *tmp = kt_tmpdir(), *dir = path(tmp, "state"), *file = path(dir, KX_PIN_FILE);
	struct kx_pinstore ps;

	kt_parties_init(p);
	kx_set_warn_handler(on_warn, NULL);
	assert_int_equal(kx_pin_open(dir, &ps), 0);
	assert_int_equal(kx_pin_check(&ps, "room-a", p[0].ik.ik), KX_PIN_NEW);
	assert_int_equal(kx_pin_add(&ps, "room-a", p[0].ik.ik), 0);
	assert_int_equal(mode_of(file), 0600);
	assert_int_equal(kx_pin_check(&ps, "room-a", p[0].ik.ik), KX_PIN_SAME);
	warned[0] = 0;
	assert_int_equal(kx_pin_check(&ps, "room-a", p[1].ik.ik), KX_PIN_CHANGED);
	assert_non_null(strstr(warned, "IDENTITY KEY CHANGED"));
	assert_non_null(strstr(warned, "room-a"));
	/* Never overwritten by an add: only by an explicit replace. */
	assert_int_equal(kx_pin_add(&ps, "room-a", p[1].ik.ik), -EKEYREJECTED);
	assert_int_equal(kx_pin_add(&ps, "room-b", p[1].ik.ik), 0);
	assert_int_equal(kx_pin_add(&ps, "room-b", p[1].ik.ik), 0);
	assert_int_equal(kx_pin_check(&ps, "bad id!", p[1].ik.ik), -EINVAL);
	assert_int_equal(kx_pin_add(&ps, "", p[1].ik.ik), -EINVAL);
	kx_pin_close(&ps);

	/* Persisted; then re-pinned on purpose. */
	assert_int_equal(kx_pin_open(dir, &ps), 0);
	assert_int_equal(ps.n, 2);
	assert_int_equal(kx_pin_check(&ps, "room-a", p[0].ik.ik), KX_PIN_SAME);
	assert_int_equal(kx_pin_check(&ps, "room-b", p[1].ik.ik), KX_PIN_SAME);
	assert_int_equal(kx_pin_replace(&ps, "room-a", p[2].ik.ik), 0);
	kx_pin_close(&ps);
	assert_int_equal(kx_pin_open(dir, &ps), 0);
	assert_int_equal(kx_pin_check(&ps, "room-a", p[2].ik.ik), KX_PIN_SAME);
	assert_int_equal(kx_pin_check(&ps, "room-a", p[0].ik.ik), KX_PIN_CHANGED);
	kx_pin_close(&ps);

	/* A group-readable pin file is refused. */
	assert_int_equal(chmod(file, 0644), 0);
	warned[0] = 0;
	assert_int_equal(kx_pin_open(dir, &ps), -EPERM);
	assert_non_null(strstr(warned, "REFUSED"));
	assert_int_equal(chmod(file, 0600), 0);
	done_state(p, tmp, dir, file);
}

/* keyxchgd's allow list: another file of the state folder, read with the pin checks. */
static void test_allow_file(void **state)
{
	struct kt_party *p = calloc(KT_PARTIES, sizeof(*p));
	char *tmp = kt_tmpdir(), *dir = path(tmp, "state"), *file = path(dir, KX_ALLOW_FILE);
	char line[KX_DEVICE_MAX + 2 * KX_IK_BYTES + 3];
	uint8_t ik[KX_IK_BYTES];
	struct kx_pinstore ps, pins;

	kt_parties_init(p);
	kx_set_warn_handler(on_warn, NULL);
	/* Absent: empty. */
	assert_int_equal(kx_pin_open_file(dir, KX_ALLOW_FILE, &ps), 0);
	assert_false(kx_pin_lookup(&ps, "room-a", ik));
	kx_pin_close(&ps);
	assert_int_equal(kx_pin_open_file(dir, "../pins", &ps), -EINVAL);
	assert_int_equal(kx_pin_open_file(dir, "", &ps), -EINVAL);
	strcpy(line, "room-a ");
	for (int i = 0; i < KX_IK_BYTES; i++)
		sprintf(line + 7 + 2 * i, "%02x", p[0].ik.ik[i]);
	strcat(line, "\n");
	write_file(file, line, strlen(line), 0600);
	assert_int_equal(kx_pin_open_file(dir, KX_ALLOW_FILE, &ps), 0);
	assert_true(kx_pin_lookup(&ps, "room-a", ik));
	assert_memory_equal(ik, p[0].ik.ik, KX_IK_BYTES);
	assert_false(kx_pin_lookup(&ps, "room-b", ik));
	/* It is not the pin store. */
	assert_int_equal(kx_pin_open(dir, &pins), 0);
	assert_int_equal(kx_pin_check(&pins, "room-a", p[0].ik.ik), KX_PIN_NEW);
	kx_pin_close(&pins);
	kx_pin_close(&ps);
	/* Group-writable: refused like the pin file. */
	assert_int_equal(chmod(file, 0660), 0);
	assert_int_equal(kx_pin_open_file(dir, KX_ALLOW_FILE, &ps), -EPERM);
	done_state(p, tmp, dir, file);
}

struct pinfile_vec {
	const char *name, *text;
	int want;
	size_t n;
};

#define HEX64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static const struct pinfile_vec pinfile_vectors[] = {
    {"empty", "", 0, 0},
    {"one pin", "room-a " HEX64 "\n", 0, 1},
    {"two pins", "a " HEX64 "\nb " HEX64 "\n", 0, 2},
    {"no final newline", "room-a " HEX64, -EBADMSG, 0},
    {"uppercase hex",
     "room-a "
     "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n",
     -EBADMSG, 0},
    {"short key", "room-a 0011\n", -EBADMSG, 0},
    {"two spaces", "room-a  " HEX64 "\n", -EBADMSG, 0},
    {"bad device", "room/a " HEX64 "\n", -EBADMSG, 0},
    {"duplicate device", "a " HEX64 "\na " HEX64 "\n", -EBADMSG, 0},
    {"empty line", "\n", -EBADMSG, 0},
    {"CRLF", "room-a " HEX64 "\r\n", -EBADMSG, 0},
};

static void test_pin_file_format(void **state)
{
	for (size_t i = 0; i < sizeof(pinfile_vectors) / sizeof(pinfile_vectors[0]); i++) {
		const struct pinfile_vec *v = &pinfile_vectors[i];
		struct kx_pinstore ps;

		print_message("pin file: %s\n", v->name);
		memset(&ps, 0, sizeof(ps));
		assert_int_equal(kx_pin_parse(&ps, v->text, strlen(v->text)), v->want);
		if (!v->want)
			assert_int_equal(ps.n, v->n);
		kx_pin_close(&ps);
	}
}

static void test_codeword_cache(void **state)
{
	struct kx_codeword_cache *c = malloc(sizeof(*c));
	uint8_t zero[32] = {0}, other[32] = {1};
	char w[E2EE_CODEWORD_SIZE], w2[E2EE_CODEWORD_SIZE];

	kx_codeword_cache_init(c);
	/* keying.md's known answer. */
	assert_int_equal(kx_codeword(c, zero, w), 0);
	assert_string_equal(w, "mavoj-pubip-gubad-gamiv");
	assert_int_equal(kx_codeword(c, zero, w), 0);
	assert_string_equal(w, "mavoj-pubip-gubad-gamiv");
	assert_int_equal(c->computed, 1);
	assert_false(kx_codeword_cached(c, other, w2));
	assert_int_equal(kx_codeword(c, other, w2), 0);
	assert_string_not_equal(w, w2);
	assert_int_equal(c->computed, 2);
	/* A lookup alone runs no Argon2id. */
	assert_true(kx_codeword_cached(c, zero, w));
	assert_string_equal(w, "mavoj-pubip-gubad-gamiv");
	assert_int_equal(c->computed, 2);
	/* Full cache: the oldest goes, the answers stay right. */
	c->n = KX_CODEWORD_CACHE;
	for (unsigned int i = 2; i < KX_CODEWORD_CACHE; i++)
		memset(c->e[i].ik, 0xf0, KX_IK_BYTES), strcpy(c->e[i].word, "x");
	c->next = 0;
	other[5] = 9;
	assert_int_equal(kx_codeword(c, other, w2), 0); /* evicts the zero key */
	assert_int_equal(kx_codeword(c, zero, w), 0);
	assert_string_equal(w, "mavoj-pubip-gubad-gamiv");
	assert_int_equal(c->computed, 4);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity_created_and_reloaded),
	    cmocka_unit_test(test_identity_permissions),
	    cmocka_unit_test(test_pins),
	    cmocka_unit_test(test_allow_file),
	    cmocka_unit_test(test_pin_file_format),
	    cmocka_unit_test(test_codeword_cache),
	};

	return cmocka_run_group_tests_name("kx_store", tests, NULL, NULL);
}
