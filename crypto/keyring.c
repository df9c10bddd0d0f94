// SPDX-License-Identifier: MIT
/* Keys by KID, send counters and receive replay windows. */
#include <errno.h>
#include <string.h>

#include "e2ee/keyring.h"
#include "e2ee/secret.h"

/*
 * The replay bitmap is a ring of 64-bit blocks indexed by ctr / 64, one block
 * more than the window so that advancing never clears a block still inside
 * it (the scheme of WireGuard's counter validation, RFC 6479).
 */
#define WORDS(ring) ((ring)->replay_window / 64 + 1)

int e2ee_keyring_init(struct e2ee_keyring *ring, uint16_t suite, uint32_t replay_window)
{
	memset(ring, 0, sizeof(*ring));
	replay_window = (replay_window + 63) / 64 * 64;
	if (!e2ee_suite_lookup(suite) || replay_window < E2EE_REPLAY_WINDOW_MIN ||
	    replay_window > E2EE_REPLAY_WINDOW_MAX)
		return -EINVAL;
	ring->suite = suite;
	ring->replay_window = replay_window;
	return 0;
}

static void slot_wipe(struct e2ee_keyring_slot *s)
{
	e2ee_sframe_key_wipe(&s->key);
	e2ee_wipe(s, sizeof(*s));
}

void e2ee_keyring_clear(struct e2ee_keyring *ring)
{
	for (size_t i = 0; i < E2EE_KEYRING_CAPACITY; i++)
		if (ring->slot[i].used)
			slot_wipe(&ring->slot[i]);
	e2ee_wipe(ring->slot, sizeof(ring->slot));
}

static struct e2ee_keyring_slot *find(struct e2ee_keyring *ring, uint64_t kid)
{
	for (size_t i = 0; i < E2EE_KEYRING_CAPACITY; i++)
		if (ring->slot[i].used && ring->slot[i].kid == kid)
			return &ring->slot[i];
	return NULL;
}

bool e2ee_keyring_has(const struct e2ee_keyring *ring, uint64_t kid, enum e2ee_key_usage usage)
{
	const struct e2ee_keyring_slot *s = find((struct e2ee_keyring *)ring, kid);

	return s && s->usage == usage;
}

int e2ee_keyring_add(struct e2ee_keyring *ring, uint64_t kid, enum e2ee_key_usage usage,
		     const uint8_t *base_key, size_t base_key_len)
{
	struct e2ee_keyring_slot *s = NULL;
	int ret;

	if ((usage != E2EE_KEY_SEND && usage != E2EE_KEY_RECV) || !base_key_len ||
	    base_key_len > E2EE_SFRAME_MAX_BASE_KEY || !ring->replay_window)
		return -EINVAL;
	if (find(ring, kid))
		return -EEXIST;
	for (size_t i = 0; i < E2EE_KEYRING_CAPACITY && !s; i++)
		if (!ring->slot[i].used)
			s = &ring->slot[i];
	if (!s)
		return -ENOSPC;
	memset(s, 0, sizeof(*s));
	ret = e2ee_sframe_key_init(&s->key, ring->suite, kid, base_key, base_key_len);
	if (ret) {
		slot_wipe(s);
		return ret;
	}
	memcpy(s->base_key, base_key, base_key_len);
	s->base_key_len = (uint8_t)base_key_len;
	s->kid = kid;
	s->usage = (uint8_t)usage;
	s->used = true;
	return 0;
}

int e2ee_keyring_remove(struct e2ee_keyring *ring, uint64_t kid)
{
	struct e2ee_keyring_slot *s = find(ring, kid);

	if (!s)
		return -ENOENT;
	slot_wipe(s);
	return 0;
}

int e2ee_keyring_set_expiry(struct e2ee_keyring *ring, uint64_t kid, uint64_t expires_ms)
{
	struct e2ee_keyring_slot *s = find(ring, kid);

	if (!s)
		return -ENOENT;
	s->expires_ms = expires_ms;
	return 0;
}

unsigned int e2ee_keyring_expire(struct e2ee_keyring *ring, uint64_t now_ms)
{
	unsigned int n = 0;

	for (size_t i = 0; i < E2EE_KEYRING_CAPACITY; i++) {
		struct e2ee_keyring_slot *s = &ring->slot[i];

		if (s->used && s->expires_ms && s->expires_ms <= now_ms) {
			slot_wipe(s);
			n++;
		}
	}
	return n;
}

int e2ee_keyring_advance_send_ctr(struct e2ee_keyring *ring, uint64_t kid, uint64_t ctr)
{
	struct e2ee_keyring_slot *s = find(ring, kid);

	if (!s)
		return -ENOENT;
	if (s->usage != E2EE_KEY_SEND)
		return -EPERM;
	if (s->exhausted || ctr < s->next_ctr)
		return -EINVAL;
	s->next_ctr = ctr;
	return 0;
}

int e2ee_keyring_protect(struct e2ee_keyring *ring, uint64_t kid, const uint8_t *metadata,
			 size_t md_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
			 size_t out_cap, size_t *out_len)
{
	struct e2ee_keyring_slot *s = find(ring, kid);
	int ret;

	*out_len = 0;
	if (!s)
		return -ENOENT;
	if (s->usage != E2EE_KEY_SEND)
		return -EPERM;
	/* RFC 9605 9.4: a (key, CTR) pair is never reused, so the counter never wraps. */
	if (s->exhausted)
		return -EOVERFLOW;
	ret = e2ee_sframe_protect(&s->key, s->next_ctr, metadata, md_len, pt, pt_len, out,
				  out_cap, out_len);
	if (ret)
		return ret;
	if (s->next_ctr == UINT64_MAX)
		s->exhausted = true;
	else
		s->next_ctr++;
	return 0;
}

static bool replay_ok(const struct e2ee_keyring *ring, const struct e2ee_keyring_slot *s,
		      uint64_t ctr)
{
	uint32_t bits = WORDS(ring) * 64;

	if (!s->seen_any || ctr > s->top)
		return true;
	if (s->top - ctr >= ring->replay_window)
		return false;
	return !(s->window[(ctr % bits) / 64] & ((uint64_t)1 << (ctr % 64)));
}

static void replay_commit(const struct e2ee_keyring *ring, struct e2ee_keyring_slot *s,
			  uint64_t ctr)
{
	uint32_t words = WORDS(ring), bits = words * 64;

	if (!s->seen_any) {
		memset(s->window, 0, sizeof(s->window));
		s->seen_any = true;
		s->top = ctr;
	} else if (ctr > s->top) {
		uint64_t cur = s->top / 64, next = ctr / 64;
		uint64_t diff = next - cur < words ? next - cur : words;

		for (uint64_t i = 1; i <= diff; i++)
			s->window[(cur + i) % words] = 0;
		s->top = ctr;
	}
	s->window[(ctr % bits) / 64] |= (uint64_t)1 << (ctr % 64);
}

int e2ee_keyring_unprotect(struct e2ee_keyring *ring, const uint8_t *metadata, size_t md_len,
			   const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
			   size_t *out_len, uint64_t *kid_out, uint64_t *ctr_out)
{
	struct e2ee_keyring_slot *s;
	uint64_t kid, ctr;
	int ret;

	*out_len = 0;
	if (e2ee_sframe_header_parse(in, in_len, &kid, &ctr) < 0)
		return -EBADMSG;
	if (kid_out)
		*kid_out = kid;
	if (ctr_out)
		*ctr_out = ctr;
	s = find(ring, kid);
	if (!s)
		return -ENOKEY;
	if (s->usage != E2EE_KEY_RECV)
		return -EPERM;
	/* Cheap check first; the window moves only once the frame is authentic. */
	if (!replay_ok(ring, s, ctr))
		return -EALREADY;
	ret = e2ee_sframe_unprotect(&s->key, metadata, md_len, in, in_len, out, out_cap,
				    out_len, NULL);
	if (ret)
		return ret;
	replay_commit(ring, s, ctr);
	return 0;
}

int e2ee_keyring_ratchet(struct e2ee_keyring *ring, uint64_t old_kid, uint64_t new_kid)
{
	const struct e2ee_suite_info *info = e2ee_suite_lookup(ring->suite);
	struct e2ee_keyring_slot *s = find(ring, old_kid);
	uint8_t next[E2EE_SFRAME_MAX_NH];
	int ret;

	if (!s)
		return -ENOENT;
	if (!info)
		return -EINVAL;
	ret = e2ee_sframe_ratchet(ring->suite, s->base_key, s->base_key_len, next, info->nh);
	if (!ret)
		ret = e2ee_keyring_add(ring, new_kid, s->usage, next, info->nh);
	e2ee_wipe(next, sizeof(next));
	return ret;
}
