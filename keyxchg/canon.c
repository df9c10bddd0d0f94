// SPDX-License-Identifier: MIT
/* The canonical encoding (PROTOCOL.md, "Canonical encoding"). */
#include <string.h>

#include "kx/canon.h"

void kx_canon_init(struct kx_canon *c, uint8_t *buf, size_t cap, const char *label)
{
	c->buf = buf;
	c->cap = cap;
	c->len = 0;
	c->err = 0;
	kx_canon_str(c, label);
}

void kx_canon_bytes(struct kx_canon *c, const void *p, size_t len)
{
	if (c->err)
		return;
	if (len > UINT32_MAX || c->cap - c->len < 4 || c->cap - c->len - 4 < len) {
		c->err = -ENOSPC;
		return;
	}
	kx_put_be32(c->buf + c->len, (uint32_t)len);
	if (len)
		memcpy(c->buf + c->len + 4, p, len);
	c->len += 4 + len;
}

void kx_canon_u8(struct kx_canon *c, uint8_t v)
{
	kx_canon_bytes(c, &v, 1);
}

void kx_canon_u16(struct kx_canon *c, uint16_t v)
{
	uint8_t b[2];

	kx_put_be16(b, v);
	kx_canon_bytes(c, b, sizeof(b));
}

void kx_canon_u32(struct kx_canon *c, uint32_t v)
{
	uint8_t b[4];

	kx_put_be32(b, v);
	kx_canon_bytes(c, b, sizeof(b));
}

void kx_canon_u64(struct kx_canon *c, uint64_t v)
{
	uint8_t b[8];

	kx_put_be64(b, v);
	kx_canon_bytes(c, b, sizeof(b));
}

void kx_canon_str(struct kx_canon *c, const char *s)
{
	kx_canon_bytes(c, s, strlen(s));
}

int kx_canon_finish(const struct kx_canon *c, size_t *len)
{
	if (c->err)
		return c->err;
	*len = c->len;
	return 0;
}
