// SPDX-License-Identifier: MIT
/*
 * Messages: field rules, canonical encodings, signatures, roster hash
 * (keying.md "Messages"; PROTOCOL.md "Canonical encoding", "Field rules").
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kx/canon.h"
#include "kx/identity.h"
#include "kx/msg.h"
#include "kx/pinstore.h"

_Static_assert(4 + sizeof("sealroom-v1 roster") - 1 + (4 + KX_MEETING_ID_BYTES) + (4 + 8) +
		       (4 + KX_HASH_BYTES) + 2 * (4 + 2) + 4 * (4 + 1) + (4 + 4) +
		       KX_MAX_MEMBERS * ((4 + 2) + (4 + KX_DEVICE_MAX) + (4 + KX_IK_BYTES) +
					 (4 + KX_EK_BYTES) + (4 + 1)) <=
		   KX_CANON_MAX,
	       "KX_CANON_MAX too small");

static const char *const labels[] = {
    [KX_MSG_ANNOUNCE] = "sealroom-v1 announce",	  [KX_MSG_ROSTER] = "sealroom-v1 roster",
    [KX_MSG_EPOCH_KEY] = "sealroom-v1 epoch-key", [KX_MSG_ACK] = "sealroom-v2 ack",
    [KX_MSG_LEAVE] = "sealroom-v1 leave",	  [KX_MSG_DENY] = "sealroom-v1 deny",
    [KX_MSG_END] = "sealroom-v1 end",
    [KX_MSG_REKEY_REQUEST] = "sealroom-v1 rekey-request",
};

static const char *const names[] = {
    [KX_MSG_ANNOUNCE] = "announce", [KX_MSG_ROSTER] = "roster", [KX_MSG_EPOCH_KEY] = "epoch_key",
    [KX_MSG_ACK] = "ack",	    [KX_MSG_LEAVE] = "leave",	      [KX_MSG_DENY] = "deny",
    [KX_MSG_END] = "end",
    [KX_MSG_REKEY_REQUEST] = "rekey_request",
};

const char *kx_msg_label(enum kx_msg_type type)
{
	return (type >= KX_MSG_ANNOUNCE && type <= KX_MSG_LAST) ? labels[type] : NULL;
}

const char *kx_msg_type_name(enum kx_msg_type type)
{
	return (type >= KX_MSG_ANNOUNCE && type <= KX_MSG_LAST) ? names[type] : NULL;
}

bool kx_device_id_valid(const char *s, size_t len)
{
	if (len < 1 || len > KX_DEVICE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' ||
		      ch == '@' || ch == '-'))
			return false;
	}
	return true;
}

/*
 * Unicode's format characters (general category Cf, Unicode 15.1): bidi
 * embeddings, overrides and isolates, zero-width spaces and joiners, the
 * BOM, tags... A name shown in a lobby must read as its bytes say
 * (PROTOCOL.md 2): "Room <U+202E>1 mooR" is refused. Also the line and
 * paragraph separators U+2028, U+2029.
 */
static bool format_char(uint32_t cp)
{
	static const uint32_t cf[][2] = {
		{ 0x00ad, 0x00ad },   { 0x0600, 0x0605 },   { 0x061c, 0x061c },
		{ 0x06dd, 0x06dd },   { 0x070f, 0x070f },   { 0x0890, 0x0891 },
		{ 0x08e2, 0x08e2 },   { 0x180e, 0x180e },   { 0x200b, 0x200f },
		{ 0x2028, 0x202e },   { 0x2060, 0x2064 },   { 0x2066, 0x206f },
		{ 0xfeff, 0xfeff },   { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd },
		{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
	};

	for (size_t i = 0; i < sizeof(cf) / sizeof(cf[0]); i++)
		if (cp >= cf[i][0] && cp <= cf[i][1])
			return true;
	return false;
}

static bool in_ranges(uint32_t cp, const uint32_t (*r)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i][0] && cp <= r[i][1])
			return true;
	return false;
}

/*
 * Default_Ignorable_Code_Point (Unicode 15.1, DerivedCoreProperties.txt):
 * drawn as nothing, so a name could differ from another by them alone (the
 * combining grapheme joiner U+034F, the Hangul fillers U+115F, U+1160,
 * U+3164, U+FFA0, the Mongolian variation selectors U+180B..U+180F,
 * variation selectors U+FE00..U+FE0F and U+E0100..U+E01EF, tags...).
 */
static bool ignorable(uint32_t cp)
{
	static const uint32_t di[][2] = {
		{ 0x00ad, 0x00ad },   { 0x034f, 0x034f },   { 0x061c, 0x061c },
		{ 0x115f, 0x1160 },   { 0x17b4, 0x17b5 },   { 0x180b, 0x180f },
		{ 0x200b, 0x200f },   { 0x202a, 0x202e },   { 0x2060, 0x206f },
		{ 0x3164, 0x3164 },   { 0xfe00, 0xfe0f },   { 0xfeff, 0xfeff },
		{ 0xffa0, 0xffa0 },   { 0xfff0, 0xfff8 },   { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff },
	};

	return in_ranges(cp, di, sizeof(di) / sizeof(di[0]));
}

/* Noncharacters (Unicode 15.1 section 23.7): U+FDD0..U+FDEF and the last two of each plane. */
static bool nonchar(uint32_t cp)
{
	return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

/* White_Space (PropList.txt) past ASCII's controls, and U+2800 (braille blank):
 * blanks a name may hold inside, never alone, first or last. */
static bool blank(uint32_t cp)
{
	static const uint32_t ws[][2] = {
		{ 0x0020, 0x0020 }, { 0x0085, 0x0085 }, { 0x00a0, 0x00a0 }, { 0x1680, 0x1680 },
		{ 0x2000, 0x200a }, { 0x2028, 0x2029 }, { 0x202f, 0x202f }, { 0x205f, 0x205f },
		{ 0x2800, 0x2800 }, { 0x3000, 0x3000 },
	};

	return in_ranges(cp, ws, sizeof(ws) / sizeof(ws[0]));
}

/* The combining-mark blocks (Combining Diacritical Marks and its Extended,
 * Supplement, for Symbols and Half Marks): a run longer than KX_NAME_MARKS_MAX
 * stacks marks over the lines around the name. */
#define KX_NAME_MARKS_MAX 4
static bool combining(uint32_t cp)
{
	static const uint32_t cm[][2] = {
		{ 0x0300, 0x036f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
		{ 0x20d0, 0x20ff }, { 0xfe20, 0xfe2f },
	};

	return in_ranges(cp, cm, sizeof(cm) / sizeof(cm[0]));
}

/*
 * Strict UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF), no C0 or
 * C1 controls, no DEL, no format characters, no default-ignorable code
 * points, no noncharacters; not blank first or last or throughout; at most
 * KX_NAME_MARKS_MAX combining marks in a row (PROTOCOL.md 2).
 */
bool kx_display_name_valid(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, marks = 0;
	bool was_blank = false, seen = false;

	if (len < 1 || len > KX_NAME_MAX)
		return false;
	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t n;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			n = 0;
			cp = c;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0) || format_char(cp) ||
		    ignorable(cp) || nonchar(cp))
			return false;
		was_blank = blank(cp);
		if (was_blank && i == 0)
			return false;
		seen |= !was_blank;
		marks = combining(cp) ? marks + 1 : 0;
		if (marks > KX_NAME_MARKS_MAX)
			return false;
		i += n + 1;
	}
	return seen && !was_blank;
}

static bool is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static bool str_ok(const char *s, size_t max)
{
	return memchr(s, 0, max + 1) != NULL;
}

static int check_announce(const struct kx_announce *a)
{
	if (a->from == KX_NO_PARTICIPANT || a->time_ms > KX_JSON_INT_MAX)
		return -EINVAL;
	if (!str_ok(a->device, KX_DEVICE_MAX) || !kx_device_id_valid(a->device, strlen(a->device)))
		return -EINVAL;
	if (!str_ok(a->name, KX_NAME_MAX) || !kx_display_name_valid(a->name, strlen(a->name)))
		return -EINVAL;
	return 0;
}

static int cmp_ik(const void *a, const void *b)
{
	return memcmp((*(const struct kx_member *const *)a)->ik,
		      (*(const struct kx_member *const *)b)->ik, KX_IK_BYTES);
}

static int cmp_device(const void *a, const void *b)
{
	return strcmp((*(const struct kx_member *const *)a)->device,
		      (*(const struct kx_member *const *)b)->device);
}

/* Two members with one IK, or with one device id? (IKs are public.) */
static bool has_duplicates(const struct kx_roster *r)
{
	const struct kx_member *by[KX_MAX_MEMBERS];
	uint32_t n = r->n_members;

	for (uint32_t i = 0; i < n; i++)
		by[i] = &r->members[i];
	qsort(by, n, sizeof(by[0]), cmp_ik);
	for (uint32_t i = 1; i < n; i++)
		if (!cmp_ik(&by[i - 1], &by[i]))
			return true;
	qsort(by, n, sizeof(by[0]), cmp_device);
	for (uint32_t i = 1; i < n; i++)
		if (!cmp_device(&by[i - 1], &by[i]))
			return true;
	return false;
}

static int check_roster(const struct kx_roster *r)
{
	unsigned int hosts = 0;
	bool successor_found = false;

	if (r->epoch > KX_JSON_INT_MAX || r->host == KX_NO_PARTICIPANT)
		return -EINVAL;
	/* The first roster has no predecessor: prev is all zeros there. */
	if (r->epoch == 0 && !is_zero(r->prev, sizeof(r->prev)))
		return -EINVAL;
	if (r->n_members < 1 || r->n_members > KX_MAX_MEMBERS || r->successor == r->host)
		return -EINVAL;
	for (uint32_t i = 0; i < r->n_members; i++) {
		const struct kx_member *m = &r->members[i];

		if (m->id == KX_NO_PARTICIPANT || (i && m->id <= r->members[i - 1].id))
			return -EINVAL;
		if (!str_ok(m->device, KX_DEVICE_MAX) ||
		    !kx_device_id_valid(m->device, strlen(m->device)))
			return -EINVAL;
		if (m->role == KX_ROLE_HOST) {
			if (m->id != r->host)
				return -EINVAL;
			hosts++;
		} else if (m->role != KX_ROLE_MEMBER) {
			return -EINVAL;
		}
		if (m->id == r->successor)
			successor_found = true;
	}
	/* One identity, one participant: a device cannot sit in the roster twice.
	 * Sorted, so that a roster of 1024 costs n log n, not n^2. */
	if (has_duplicates(r))
		return -EINVAL;
	if (hosts != 1 || (r->successor != KX_NO_PARTICIPANT && !successor_found))
		return -EINVAL;
	/* A meeting of two or more does not die with its host (PROTOCOL.md 5). */
	if (r->n_members > 1 && r->successor == KX_NO_PARTICIPANT)
		return -EINVAL;
	/* keying.md "Policy when E2EE is on": this firmware speaks nothing else. */
	if (!r->policy.e2ee || r->policy.recording || r->policy.pstn || !r->policy.lobby_locked)
		return -EPROTO;
	return 0;
}

int kx_msg_check(const struct kx_msg *m)
{
	switch (m->type) {
	case KX_MSG_ANNOUNCE:
		return check_announce(&m->u.announce);
	case KX_MSG_ROSTER:
		return check_roster(&m->u.roster);
	case KX_MSG_EPOCH_KEY: {
		const struct kx_epoch_key *k = &m->u.epoch_key;

		if (k->epoch > KX_JSON_INT_MAX || k->from == KX_NO_PARTICIPANT ||
		    k->to == KX_NO_PARTICIPANT || k->from == k->to)
			return -EINVAL;
		return 0;
	}
	case KX_MSG_ACK:
		if (m->u.ack.epoch > KX_JSON_INT_MAX || m->u.ack.time_ms > KX_JSON_INT_MAX ||
		    m->u.ack.from == KX_NO_PARTICIPANT)
			return -EINVAL;
		return 0;
	case KX_MSG_LEAVE:
		if (m->u.leave.epoch > KX_JSON_INT_MAX || m->u.leave.time_ms > KX_JSON_INT_MAX ||
		    m->u.leave.from == KX_NO_PARTICIPANT)
			return -EINVAL;
		return 0;
	case KX_MSG_DENY:
		if (m->u.deny.time_ms > KX_JSON_INT_MAX || m->u.deny.from == KX_NO_PARTICIPANT ||
		    m->u.deny.to == KX_NO_PARTICIPANT || m->u.deny.from == m->u.deny.to)
			return -EINVAL;
		return 0;
	case KX_MSG_END:
		if (m->u.end.epoch > KX_JSON_INT_MAX || m->u.end.time_ms > KX_JSON_INT_MAX ||
		    m->u.end.from == KX_NO_PARTICIPANT)
			return -EINVAL;
		return 0;
	case KX_MSG_REKEY_REQUEST:
		if (m->u.rekey_request.epoch > KX_JSON_INT_MAX ||
		    m->u.rekey_request.time_ms > KX_JSON_INT_MAX ||
		    m->u.rekey_request.from == KX_NO_PARTICIPANT)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

static void canon_announce(struct kx_canon *c, const struct kx_announce *a)
{
	kx_canon_bytes(c, a->meeting, sizeof(a->meeting));
	kx_canon_u16(c, a->from);
	kx_canon_str(c, a->device);
	kx_canon_str(c, a->name);
	kx_canon_bytes(c, a->ik, sizeof(a->ik));
	kx_canon_bytes(c, a->ek, sizeof(a->ek));
	kx_canon_u64(c, a->time_ms);
}

int kx_announce_hash(const struct kx_announce *a, uint8_t out[static KX_HASH_BYTES])
{
	/* label, meeting, from, device, name, IK, EK, time: under 512 bytes */
	uint8_t buf[512];
	struct kx_canon c;
	size_t len;
	int ret = check_announce(a);

	if (ret)
		return ret;
	kx_canon_init(&c, buf, sizeof(buf), labels[KX_MSG_ANNOUNCE]);
	canon_announce(&c, a);
	ret = kx_canon_finish(&c, &len);
	if (!ret)
		crypto_hash_sha256(out, buf, len);
	return ret;
}

static void canon_roster(struct kx_canon *c, const struct kx_roster *r)
{
	kx_canon_bytes(c, r->meeting, sizeof(r->meeting));
	kx_canon_u64(c, r->epoch);
	kx_canon_bytes(c, r->prev, sizeof(r->prev));
	kx_canon_u16(c, r->host);
	kx_canon_u16(c, r->successor);
	kx_canon_u8(c, r->policy.e2ee);
	kx_canon_u8(c, r->policy.recording);
	kx_canon_u8(c, r->policy.pstn);
	kx_canon_u8(c, r->policy.lobby_locked);
	kx_canon_u32(c, r->n_members);
	for (uint32_t i = 0; i < r->n_members; i++) {
		const struct kx_member *m = &r->members[i];

		kx_canon_u16(c, m->id);
		kx_canon_str(c, m->device);
		kx_canon_bytes(c, m->ik, sizeof(m->ik));
		kx_canon_bytes(c, m->ek, sizeof(m->ek));
		kx_canon_u8(c, m->role);
	}
}

/* A leave's fields; an end and a rekey request have the same ones under their own labels. */
static void canon_leave(struct kx_canon *c, const uint8_t *meeting, uint64_t epoch, uint16_t from,
			uint64_t time_ms)
{
	kx_canon_bytes(c, meeting, KX_MEETING_ID_BYTES);
	kx_canon_u64(c, epoch);
	kx_canon_u16(c, from);
	kx_canon_u64(c, time_ms);
}

int kx_msg_canon(const struct kx_msg *m, uint8_t *out, size_t cap, size_t *len)
{
	struct kx_canon c;
	int ret = kx_msg_check(m);

	if (ret)
		return ret;
	kx_canon_init(&c, out, cap, kx_msg_label(m->type));
	switch (m->type) {
	case KX_MSG_ANNOUNCE:
		canon_announce(&c, &m->u.announce);
		break;
	case KX_MSG_ROSTER:
		canon_roster(&c, &m->u.roster);
		break;
	case KX_MSG_EPOCH_KEY: {
		const struct kx_epoch_key *k = &m->u.epoch_key;

		kx_canon_bytes(&c, k->meeting, sizeof(k->meeting));
		kx_canon_u64(&c, k->epoch);
		kx_canon_bytes(&c, k->roster, sizeof(k->roster));
		kx_canon_u16(&c, k->from);
		kx_canon_u16(&c, k->to);
		kx_canon_bytes(&c, k->nonce, sizeof(k->nonce));
		kx_canon_bytes(&c, k->sealed, sizeof(k->sealed));
		break;
	}
	case KX_MSG_ACK: {
		const struct kx_ack *a = &m->u.ack;

		kx_canon_bytes(&c, a->meeting, sizeof(a->meeting));
		kx_canon_u64(&c, a->epoch);
		kx_canon_bytes(&c, a->roster, sizeof(a->roster));
		kx_canon_u16(&c, a->from);
		kx_canon_u64(&c, a->time_ms);
		kx_canon_bytes(&c, a->ek, sizeof(a->ek));
		kx_canon_bytes(&c, a->confirm, sizeof(a->confirm));
		break;
	}
	case KX_MSG_LEAVE: {
		const struct kx_leave *l = &m->u.leave;

		canon_leave(&c, l->meeting, l->epoch, l->from, l->time_ms);
		break;
	}
	case KX_MSG_DENY: {
		const struct kx_deny *d = &m->u.deny;

		kx_canon_bytes(&c, d->meeting, sizeof(d->meeting));
		kx_canon_u16(&c, d->from);
		kx_canon_u16(&c, d->to);
		kx_canon_bytes(&c, d->knock, sizeof(d->knock));
		kx_canon_u64(&c, d->time_ms);
		break;
	}
	case KX_MSG_END: {
		const struct kx_end *e = &m->u.end;

		canon_leave(&c, e->meeting, e->epoch, e->from, e->time_ms);
		break;
	}
	case KX_MSG_REKEY_REQUEST: {
		const struct kx_rekey_request *r = &m->u.rekey_request;

		canon_leave(&c, r->meeting, r->epoch, r->from, r->time_ms);
		break;
	}
	default:
		return -EINVAL;
	}
	return kx_canon_finish(&c, len);
}

int kx_msg_sign(struct kx_msg *m, struct kx_identity *id)
{
	uint8_t buf[KX_CANON_MAX];
	size_t len;
	int ret = kx_msg_canon(m, buf, sizeof(buf), &len);

	if (ret)
		return ret;
	return kx_identity_sign(id, buf, len, m->sig);
}

int kx_msg_verify(const struct kx_msg *m, const uint8_t ik[static KX_IK_BYTES])
{
	uint8_t buf[KX_CANON_MAX];
	size_t len;
	int ret = kx_msg_canon(m, buf, sizeof(buf), &len);

	if (ret)
		return ret;
	return kx_sig_verify(ik, buf, len, m->sig);
}

int kx_roster_hash(const struct kx_roster *r, uint8_t out[static KX_HASH_BYTES])
{
	uint8_t buf[KX_CANON_MAX];
	struct kx_canon c;
	size_t len;
	int ret = check_roster(r);

	if (ret)
		return ret;
	kx_canon_init(&c, buf, sizeof(buf), labels[KX_MSG_ROSTER]);
	canon_roster(&c, r);
	ret = kx_canon_finish(&c, &len);
	if (ret)
		return ret;
	crypto_hash_sha256(out, buf, len);
	return 0;
}

const struct kx_member *kx_roster_find(const struct kx_roster *r, uint16_t id)
{
	uint32_t lo = 0, hi = r->n_members > KX_MAX_MEMBERS ? KX_MAX_MEMBERS : r->n_members;

	/* Members are sorted by id (checked by every parser and kx_msg_check). */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->members[mid].id == id)
			return &r->members[mid];
		if (r->members[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
