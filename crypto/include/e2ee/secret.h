/* SPDX-License-Identifier: MIT */
/*
 * Secret hygiene: wiping that the compiler cannot drop, and comparisons
 * whose time does not depend on the data. Use these on every key, tag,
 * nonce and plaintext; a plain memset or memcmp on them is a bug.
 */
#ifndef E2EE_SECRET_H
#define E2EE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Overwrites p[0..len) with zeros; never optimised away. p may be NULL if len is 0. */
void e2ee_wipe(void *p, size_t len);

/* True when a[0..len) equals b[0..len); time depends on len only. */
__attribute__((warn_unused_result)) bool e2ee_ct_equal(const void *a, const void *b, size_t len);

/*
 * Decodes exactly len hex digits (either case; len even) into out, which has
 * room for cap bytes, without branching on the digits (libsodium's
 * sodium_hex2bin): keys pass through here. Returns the number of bytes, or
 * -EINVAL (odd length, a non-hex character, out too small) with out wiped.
 */
__attribute__((warn_unused_result)) long e2ee_hex_decode(const char *hex, size_t len,
							  unsigned char *out, size_t cap);

/*
 * An allocator whose free wipes the whole block (its size is kept in front).
 * For libraries that copy secrets into memory of their own, such as
 * jansson's strings and lexer buffers: json_set_alloc_funcs(e2ee_wiping_malloc,
 * e2ee_wiping_free). Blocks are aligned like malloc's.
 */
void *e2ee_wiping_malloc(size_t n);
void e2ee_wiping_free(void *p);

#endif
