/* SPDX-License-Identifier: MIT */
/*
 * libkx: the protocol core of keyxchgd (../shared/design/keying.md), without
 * networking. PROTOCOL.md in this folder is the wire specification.
 *
 * Conventions of every kx_ function: return 0 or a negative errno; the caller
 * owns every struct and buffer it passes (nothing here keeps a pointer past
 * the call, except where a header says so); secrets are wiped on every exit
 * path; no key material is ever logged or put into a message.
 *
 * Errors that mean something specific across the library:
 *   -EINVAL           malformed input (JSON shape, type, range, length)
 *   -EMSGSIZE         input larger than the protocol allows
 *   -EPROTONOSUPPORT  unknown message type or protocol version
 *   -EBADMSG          a signature or AEAD tag did not verify
 *   -ENOKEY           the sender is not in the roster used to check it
 *   -EXDEV            another meeting's message
 *   -ESTALE           an epoch that does not grow (replayed or old)
 *   -ENOLINK          does not extend the held roster chain (fork)
 *   -EPERM            signed by someone without the right to sign it
 *   -EKEYREJECTED     an identity key differs from the one already trusted
 *   -EPROTO           a roster whose policy is not "E2EE only"
 */
#ifndef KX_KX_H
#define KX_KX_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KX_API		__attribute__((warn_unused_result))
#define KX_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))

#define KX_MEETING_ID_BYTES  16
#define KX_IK_BYTES	     32 /* Ed25519 public key */
#define KX_EK_BYTES	     32 /* X25519 public key */
#define KX_SIG_BYTES	     64 /* Ed25519 signature */
#define KX_HASH_BYTES	     32 /* SHA-256 */
#define KX_SECRET_BYTES	     32 /* epoch secret E_e, pair key, media base key */
#define KX_NONCE_BYTES	     24 /* XChaCha20-Poly1305 */
#define KX_TAG_BYTES	     16
#define KX_SEALED_BYTES	     (KX_SECRET_BYTES + KX_TAG_BYTES)
#define KX_FINGERPRINT_BYTES 8

/* Device ids: 1..64 bytes of [A-Za-z0-9._:@-]. Display names: 1..64 bytes of UTF-8. */
#define KX_DEVICE_MAX  64
#define KX_NAME_MAX    64
#define KX_MAX_MEMBERS 1024
/* Participant ids are 0..0xfffe (the SFrame sender index); 0xffff means none. */
#define KX_NO_PARTICIPANT 0xffff
/* Epochs and times in JSON must stay exact in a JavaScript number. */
#define KX_JSON_INT_MAX ((UINT64_C(1) << 53) - 1)
/* The largest JSON message accepted or produced. */
#define KX_JSON_MAX (256 * 1024)

/*
 * Loud warnings (refused permissions, a changed identity key) go through this
 * hook; the default writes "keyxchg: <msg>" to stderr. Messages name files,
 * device ids and codewords, never key material. fn may be NULL (default).
 */
typedef void (*kx_warn_fn)(const char *msg, void *ud);
void kx_set_warn_handler(kx_warn_fn fn, void *ud);
__attribute__((format(printf, 1, 2))) void kx_warn(const char *fmt, ...);

/* A state file replaced (renamed over its name) whose directory fsync
 * failed: the new content is in use, maybe not durable (DAEMON.md). */
#define KX_NOT_SYNCED 1

/* Calls sodium_init() once; every kx_ entry point that needs it calls it too. */
KX_API int kx_init(void);

#endif
