/* SPDX-License-Identifier: MIT */
/*
 * The room's admin PIN as keyxchgd holds it (keyxchg/CONTROL.md "The admin
 * PIN", DAEMON.md "State files"): never the PIN itself, only its verifier,
 * a libsodium crypto_pwhash_str (Argon2id) string in <state>/admin-pin, and
 * the count of wrong PINs in <state>/admin-pin-tries. Pure functions and
 * parsers here; the files' reading and the lockout's clock are keyxchgd's
 * (keyxchg/daemon/kxd_pin.c).
 *
 * The cost (KX_PIN_OPSLIMIT, KX_PIN_MEMLIMIT) keeps one check in the tens
 * of milliseconds: keyxchgd's event loop waits for it. The lockout, not the
 * cost, is what stops guessing through keyxchgd; whoever holds the file
 * itself can try every PIN offline (10^6 six-digit PINs at ~20 ms each is
 * under 6 CPU-hours): the file is 0600 in keyxchgd's 0700 state directory.
 */
#ifndef KX_ADMINPIN_H
#define KX_ADMINPIN_H

#include "kx/kx.h"

#define KX_ADMIN_PIN_FILE	"admin-pin"
#define KX_ADMIN_PIN_TRIES_FILE "admin-pin-tries"

/* A PIN is 6 to 12 ASCII digits. */
#define KX_PIN_DIGITS_MIN 6u
#define KX_PIN_DIGITS_MAX 12u

/* The cost of a verifier made here: Argon2id, 3 passes over 16 MiB (~20 ms
 * on the development machine, DAEMON.md "The admin PIN"). */
#define KX_PIN_OPSLIMIT 3u
#define KX_PIN_MEMLIMIT (16u * 1024 * 1024)
/* A verifier file asking more than this is refused: a check would stall
 * keyxchgd's event loop (4 passes over 64 MiB: ~0.2 s here). */
#define KX_PIN_OPSLIMIT_MAX 4u
#define KX_PIN_MEMLIMIT_MAX (64u * 1024 * 1024)

/* "$argon2id$v=19$m=65536,t=4,p=1$" + 22 + "$" + 43 characters, and room. */
#define KX_PIN_VERIFIER_MAX 127u
/* The verifier file: the string and an optional newline. */
#define KX_PIN_VERIFIER_FILE_MAX (KX_PIN_VERIFIER_MAX + 1u)

/* The lockout: the first KX_PIN_FREE_TRIES wrong PINs cost nothing; each one
 * after locks the PIN for KX_PIN_DELAY_MS, doubled per further wrong PIN, at
 * most KX_PIN_DELAY_MAX_MS. */
#define KX_PIN_FREE_TRIES   3u
#define KX_PIN_DELAY_MS	    30000ll
#define KX_PIN_DELAY_MAX_MS 3600000ll
/* The count saturates here (the lockout is at its maximum long before). */
#define KX_PIN_FAILURES_MAX 1000000u
/* The tries file: the count in decimal and a newline. */
#define KX_PIN_TRIES_FILE_MAX 16u

/* Whether pin[0..len) is 6 to 12 ASCII digits. */
KX_API KX_NONNULL(1) bool kx_admin_pin_valid(const char *pin, size_t len);

/*
 * The verifier of pin (checked with kx_admin_pin_valid: -EINVAL) at this
 * file's cost into out, NUL-terminated. Returns 0, -EINVAL or -ENOMEM.
 */
KX_API KX_NONNULL(1, 3) int kx_admin_pin_hash(const char *pin, size_t len,
					      char out[static KX_PIN_VERIFIER_MAX + 1]);

/*
 * The verifier file's contents buf[0..len) (need not be NUL-terminated):
 * exactly "$argon2id$v=19$m=M,t=T,p=1$SALT$HASH" and at most one "\n",
 * M and T decimal without leading zeros, 1 <= T <= KX_PIN_OPSLIMIT_MAX,
 * 8 <= M (KiB) <= KX_PIN_MEMLIMIT_MAX / 1024, SALT 22 and HASH 43
 * characters of unpadded base64 (16 and 32 bytes). Copies the string to
 * out. Returns 0, or -EINVAL (*why says what is wrong: static text).
 */
KX_API KX_NONNULL(1, 3, 4) int kx_admin_pin_verifier_parse(const char *buf, size_t len,
							   char out[static KX_PIN_VERIFIER_MAX + 1],
							   const char **why);

/* Whether pin matches verifier (a parsed one): 0, -EACCES (wrong), or
 * -ENOMEM. The comparison is libsodium's, in constant time. */
KX_API KX_NONNULL(1, 2) int kx_admin_pin_verify(const char *verifier, const char *pin, size_t len);

/*
 * The tries file's contents buf[0..len): a decimal count without leading
 * zeros (0 alone), at most KX_PIN_FAILURES_MAX, and one "\n". Returns 0 and
 * *failures, or -EINVAL.
 */
KX_API KX_NONNULL(1, 3) int kx_admin_pin_tries_parse(const char *buf, size_t len,
						     unsigned int *failures);

/* How long a PIN stays locked after the failures-th wrong one (0: not). */
long long kx_admin_pin_lockout_ms(unsigned int failures);

#endif
