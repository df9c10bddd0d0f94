/* SPDX-License-Identifier: MIT */
/*
 * The canonical binary encoding that every signature covers (PROTOCOL.md,
 * "Canonical encoding"): a sequence of fields, each a 32-bit big-endian
 * length followed by that many bytes. The first field is the ASCII domain
 * label of the message type ("sealroom-v1 announce", ...). Integers are
 * fields of fixed size holding the big-endian value (u8: 1 byte, u16: 2,
 * u32: 4, u64: 8); booleans are u8 0 or 1.
 *
 * The writer never fails mid-way silently: after the first error (the buffer
 * too small) every further call is a no-op and kx_canon_finish() returns
 * -ENOSPC. The caller owns the buffer.
 *
 * Call order: kx_canon_init(), kx_canon_*() for every field, kx_canon_finish().
 */
#ifndef KX_CANON_H
#define KX_CANON_H

#include "kx/kx.h"

struct kx_canon {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

/* Starts an encoding with the label field (a NUL-terminated ASCII string). */
KX_NONNULL(1, 2, 4)
void kx_canon_init(struct kx_canon *c, uint8_t *buf, size_t cap, const char *label);
/* One field of len bytes (p may be NULL when len is 0). */
KX_NONNULL(1) void kx_canon_bytes(struct kx_canon *c, const void *p, size_t len);
KX_NONNULL(1) void kx_canon_u8(struct kx_canon *c, uint8_t v);
KX_NONNULL(1) void kx_canon_u16(struct kx_canon *c, uint16_t v);
KX_NONNULL(1) void kx_canon_u32(struct kx_canon *c, uint32_t v);
KX_NONNULL(1) void kx_canon_u64(struct kx_canon *c, uint64_t v);
/* A string field: its bytes without the NUL. */
KX_NONNULL(1, 2) void kx_canon_str(struct kx_canon *c, const char *s);
/* Returns 0 and sets *len to the bytes written, or -ENOSPC. */
KX_API KX_NONNULL(1, 2) int kx_canon_finish(const struct kx_canon *c, size_t *len);

/* Big-endian helpers, also for the AEAD's associated data and HKDF infos. */
static inline void kx_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void kx_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void kx_put_be64(uint8_t *p, uint64_t v)
{
	kx_put_be32(p, (uint32_t)(v >> 32));
	kx_put_be32(p + 4, (uint32_t)v);
}

#endif
