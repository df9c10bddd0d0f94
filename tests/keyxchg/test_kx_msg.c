// SPDX-License-Identifier: MIT
/*
 * Messages: sign and verify, tamper of every field, JSON round trips, and the
 * strict parser's negatives (PROTOCOL.md "JSON carriage", "Field rules").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kx/schedule.h"
#include "kx_testutil.h"
#include "testutil.h"

struct fx {
	struct kt_party p[KT_PARTIES];
	struct kx_chain chain;
	struct kx_msg msgs[5]; /* one per type, signed by its proper sender */
	struct kx_msg m, m2;
	char json[KX_JSON_MAX];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct kx_msg *m;

	if (!f)
		return -1;
	kt_parties_init(f->p);
	/* roster: host 0, successor 1, members 0 1 2 at epoch 0 */
	kt_roster(&f->msgs[1], f->p, 0x7, 0, 1, 0, NULL, 0);
	kx_chain_init(&f->chain);
	assert_int_equal(kx_chain_start(&f->chain, &f->msgs[1], NULL, KX_NO_PARTICIPANT, NULL), 0);

	m = &f->msgs[0];
	m->type = KX_MSG_ANNOUNCE;
	memcpy(m->u.announce.meeting, kt_meeting, KX_MEETING_ID_BYTES);
	m->u.announce.from = f->p[3].id;
	strcpy(m->u.announce.device, f->p[3].device);
	strcpy(m->u.announce.name, "Salle \xc3\xa0 manger");
	memcpy(m->u.announce.ik, f->p[3].ik.ik, KX_IK_BYTES);
	memcpy(m->u.announce.ek, f->p[3].ek.pk, KX_EK_BYTES);
	m->u.announce.time_ms = 1700000000000ull;
	assert_int_equal(kx_msg_sign(m, &f->p[3].ik), 0);

	m = &f->msgs[2];
	m->type = KX_MSG_EPOCH_KEY;
	memcpy(m->u.epoch_key.meeting, kt_meeting, KX_MEETING_ID_BYTES);
	memcpy(m->u.epoch_key.roster, f->chain.hash, KX_HASH_BYTES);
	m->u.epoch_key.from = f->p[0].id;
	m->u.epoch_key.to = f->p[2].id;
	memset(m->u.epoch_key.nonce, 0x4e, KX_NONCE_BYTES);
	memset(m->u.epoch_key.sealed, 0x53, KX_SEALED_BYTES);
	assert_int_equal(kx_msg_sign(m, &f->p[0].ik), 0);

	m = &f->msgs[3];
	m->type = KX_MSG_ACK;
	memcpy(m->u.ack.meeting, kt_meeting, KX_MEETING_ID_BYTES);
	memcpy(m->u.ack.roster, f->chain.hash, KX_HASH_BYTES);
	m->u.ack.from = f->p[2].id;
	assert_int_equal(kx_msg_sign(m, &f->p[2].ik), 0);

	m = &f->msgs[4];
	m->type = KX_MSG_LEAVE;
	memcpy(m->u.leave.meeting, kt_meeting, KX_MEETING_ID_BYTES);
	m->u.leave.from = f->p[1].id;
	m->u.leave.time_ms = 1700000001000ull;
	assert_int_equal(kx_msg_sign(m, &f->p[1].ik), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	kt_parties_free(f->p);
	free(f);
	return 0;
}

static const int signer_of[5] = {3, 0, 0, 2, 1};

static void test_sign_verify_round_trip(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5; i++) {
		const struct kx_msg *m = &f->msgs[i];
		uint8_t a[KX_CANON_MAX], b[KX_CANON_MAX];
		size_t len, la, lb;

		print_message("type %s\n", kx_msg_type_name(m->type));
		assert_int_equal(kx_msg_verify(m, f->p[signer_of[i]].ik.ik), 0);
		assert_int_equal(kx_msg_verify(m, f->p[signer_of[i] ^ 4].ik.ik), -EBADMSG);
		assert_int_equal(kx_msg_to_json(m, f->json, sizeof(f->json), &len), 0);
		assert_int_equal(strlen(f->json), len);
		assert_int_equal(kx_msg_parse(f->json, len, m->type, &f->chain, &f->m), 0);
		assert_int_equal(kx_msg_canon(m, a, sizeof(a), &la), 0);
		assert_int_equal(kx_msg_canon(&f->m, b, sizeof(b), &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		assert_memory_equal(m->sig, f->m.sig, KX_SIG_BYTES);
		/* Too small a buffer: -ENOSPC, not a truncated message. */
		assert_int_equal(kx_msg_to_json(m, f->json, len, &len), -ENOSPC);
	}
}

/* Each field of each type, changed after signing: the signature no longer verifies. */
struct field {
	int type_index;
	const char *name;
	size_t off, len;
};

#define F(i, st, fld)                                                                              \
	{                                                                                          \
		i, #st "." #fld, offsetof(struct kx_msg, u) + offsetof(struct st, fld),            \
		    sizeof(((struct st *)0)->fld)                                                  \
	}

static const struct field fields[] = {
    F(0, kx_announce, meeting),	 F(0, kx_announce, from),     F(0, kx_announce, device),
    F(0, kx_announce, name),	 F(0, kx_announce, ik),	      F(0, kx_announce, ek),
    F(0, kx_announce, time_ms),	 F(1, kx_roster, meeting),    F(1, kx_roster, epoch),
    F(1, kx_roster, host),	 F(1, kx_roster, successor),  F(1, kx_roster, policy),
    F(1, kx_roster, n_members),	 F(1, kx_roster, members[0]), F(1, kx_roster, members[1]),
    F(1, kx_roster, members[2]), F(2, kx_epoch_key, meeting), F(2, kx_epoch_key, epoch),
    F(2, kx_epoch_key, roster),	 F(2, kx_epoch_key, from),    F(2, kx_epoch_key, to),
    F(2, kx_epoch_key, nonce),	 F(2, kx_epoch_key, sealed),  F(3, kx_ack, meeting),
    F(3, kx_ack, epoch),	 F(3, kx_ack, roster),	      F(3, kx_ack, from),
    F(4, kx_leave, meeting),	 F(4, kx_leave, epoch),	      F(4, kx_leave, from),
    F(4, kx_leave, time_ms),
};

static void test_tamper_every_field(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *fl = &fields[i];
		const int ti = fl->type_index;

		/* Every byte of the field, one at a time (low bit flipped). */
		for (size_t k = 0; k < fl->len; k++) {
			uint8_t *p;
			int ret;

			f->m = f->msgs[ti];
			p = (uint8_t *)&f->m + fl->off + k;
			*p ^= 1;
			ret = kx_msg_verify(&f->m, f->p[signer_of[ti]].ik.ik);
			/* Either it breaks a field rule or the signature. */
			if (ret == 0) {
				/* Bytes past a string's NUL and padding are not encoded. */
				uint8_t a[KX_CANON_MAX], b[KX_CANON_MAX];
				size_t la, lb;

				assert_int_equal(kx_msg_canon(&f->msgs[ti], a, sizeof(a), &la), 0);
				assert_int_equal(kx_msg_canon(&f->m, b, sizeof(b), &lb), 0);
				if (la == lb && !memcmp(a, b, la))
					continue;
				fail_msg("%s byte %zu changed and still verifies", fl->name, k);
			}
			if (k == 0)
				assert_true(ret == -EBADMSG || ret == -EINVAL || ret == -EPROTO);
		}
	}
	/* The signature itself. */
	for (int i = 0; i < 5; i++) {
		f->m = f->msgs[i];
		f->m.sig[KX_SIG_BYTES - 1] ^= 0x80;
		assert_int_equal(kx_msg_verify(&f->m, f->p[signer_of[i]].ik.ik), -EBADMSG);
	}
}

/* ------------------------------------------------------------ parser negatives */

struct neg {
	const char *name;
	int type_index;
	const char *find; /* replaced by repl in the valid JSON; NULL: use text as is */
	const char *repl;
	int want;
};

static const struct neg negatives[] = {
    {"extra key", 0, "\"v\":1,", "\"v\":1,\"x\":0,", -EINVAL},
    {"duplicate key", 0, "\"v\":1,", "\"v\":1,\"v\":1,", -EINVAL},
    {"missing time", 0, ",\"time\":1700000000000", "", -EINVAL},
    {"version 2", 0, "\"v\":1", "\"v\":2", -EPROTONOSUPPORT},
    {"version as string", 0, "\"v\":1", "\"v\":\"1\"", -EINVAL},
    {"unknown type", 0, "\"announce\"", "\"announcement\"", -EPROTONOSUPPORT},
    {"type prefix", 0, "\"announce\"", "\"announc\"", -EPROTONOSUPPORT},
    {"type null", 0, "\"announce\"", "null", -EINVAL},
    {"from 65535", 0, "\"from\":13", "\"from\":65535", -EINVAL},
    {"from negative", 0, "\"from\":13", "\"from\":-13", -EINVAL},
    {"from float", 0, "\"from\":13", "\"from\":13.0", -EINVAL},
    {"from string", 0, "\"from\":13", "\"from\":\"13\"", -EINVAL},
    {"from huge", 0, "\"from\":13", "\"from\":123456789012345678901234567890", -EINVAL},
    {"time 2^53", 0, "\"time\":1700000000000", "\"time\":9007199254740992", -EINVAL},
    {"time bool", 0, "\"time\":1700000000000", "\"time\":true", -EINVAL},
    {"device with space", 0, "\"device\":\"room-d.example\"", "\"device\":\"room d\"", -EINVAL},
    {"device empty", 0, "\"device\":\"room-d.example\"", "\"device\":\"\"", -EINVAL},
    {"device 65 bytes", 0, "\"device\":\"room-d.example\"",
     "\"device\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", -EINVAL},
    {"device with slash", 0, "\"device\":\"room-d.example\"", "\"device\":\"a/b\"", -EINVAL},
    {"name with control character", 0, "\"name\":\"Salle", "\"name\":\"\\u0007Salle", -EINVAL},
    {"name with NUL", 0, "\"name\":\"Salle", "\"name\":\"\\u0000Salle", -EINVAL},
    {"name with C1 control", 0, "\"name\":\"Salle", "\"name\":\"\\u0085Salle", -EINVAL},
    {"name with lone surrogate", 0, "\"name\":\"Salle", "\"name\":\"\\ud800Salle", -EINVAL},
    {"name invalid UTF-8", 0, "\"name\":\"Salle", "\"name\":\"\xc3(Salle", -EINVAL},
    {"name 65 bytes", 0, "\"name\":\"Salle",
     "\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     -EINVAL},
    {"name number", 0, "\"name\":\"Salle \xc3\xa0 manger\"", "\"name\":5", -EINVAL},
    {"meeting with padding", 0, "\"meeting\":\"bWVldGluZy1pZC0wMDAxAA\"",
     "\"meeting\":\"bWVldGluZy1pZC0wMDAxAA==\"", -EINVAL},
    {"meeting one char short", 0, "\"meeting\":\"bWVldGluZy1pZC0wMDAxAA\"",
     "\"meeting\":\"bWVldGluZy1pZC0wMDAxA\"", -EINVAL},
    {"meeting non-canonical last char", 0, "\"meeting\":\"bWVldGluZy1pZC0wMDAxAA\"",
     "\"meeting\":\"bWVldGluZy1pZC0wMDAxAB\"", -EINVAL},
    {"meeting standard alphabet", 0, "\"meeting\":\"bWVldGluZy1pZC0wMDAxAA\"",
     "\"meeting\":\"bWVldGluZy+pZC0wMDAxAA\"", -EINVAL},
    {"meeting 17 bytes", 0, "\"meeting\":\"bWVldGluZy1pZC0wMDAxAA\"",
     "\"meeting\":\"bWVldGluZy1pZC0wMDAxAAA\"", -EINVAL},
    {"meeting with space", 0, "\"meeting\":\"bWVldGluZy1pZC0wMDAxAA\"",
     "\"meeting\":\"bWVldGluZy1pZC0wMDAx A\"", -EINVAL},
    {"not an object", 0, NULL, "[1,2,3]", -EINVAL},
    {"empty", 0, NULL, "", -EINVAL},
    {"truncated", 0, NULL, "{\"v\":1,\"type\":\"ack\"", -EINVAL},
    {"trailing garbage", 0, NULL, "{\"v\":1,\"type\":\"nope\"} x", -EINVAL},
    {"wrong expected type", 3, "\"type\":\"ack\"", "\"type\":\"leave\"", -EPROTONOSUPPORT},
    {"role admin", 1, "\"role\":\"member\"", "\"role\":\"admin\"", -EINVAL},
    {"role case", 1, "\"role\":\"host\"", "\"role\":\"Host\"", -EINVAL},
    {"recording on", 1, "\"recording\":false", "\"recording\":true", -EPROTO},
    {"pstn on", 1, "\"pstn\":false", "\"pstn\":true", -EPROTO},
    {"e2ee off", 1, "\"e2ee\":true", "\"e2ee\":false", -EPROTO},
    {"lobby open", 1, "\"lobby_locked\":true", "\"lobby_locked\":false", -EPROTO},
    {"policy extra key", 1, "\"pstn\":false", "\"pstn\":false,\"third_party\":false", -EINVAL},
    {"policy as number", 1, "\"recording\":false", "\"recording\":0", -EINVAL},
    {"members empty", 1, NULL, NULL, -EINVAL}, /* built below */
    {"successor string", 1, "\"successor\":11", "\"successor\":\"11\"", -EINVAL},
    {"successor is host", 1, "\"successor\":11", "\"successor\":10", -EINVAL},
    {"successor not a member", 1, "\"successor\":11", "\"successor\":77", -EINVAL},
    {"host not a member", 1, "\"host\":10", "\"host\":77", -EINVAL},
    {"two hosts", 1, "\"role\":\"member\"", "\"role\":\"host\"", -EINVAL},
    {"members unsorted", 1, "\"id\":11", "\"id\":9", -EINVAL},
    {"member id repeated", 1, "\"id\":11", "\"id\":10", -EINVAL},
    {"member extra key", 1, "\"role\":\"member\"", "\"role\":\"member\",\"name\":\"x\"", -EINVAL},
    {"epoch 0 with a prev", 1, "\"prev\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
     "\"prev\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", -EINVAL},
    {"epoch key to itself", 2, "\"to\":12", "\"to\":10", -EINVAL},
    {"epoch key sealed short", 2, "\"sealed\":\"U1NT", "\"sealed\":\"", -EINVAL},
    {"sig 63 bytes", 3, "\"sig\":\"", "\"sig\":\"AA", -EINVAL},
    {"ack epoch negative", 3, "\"epoch\":0", "\"epoch\":-1", -EINVAL},
};

static char *replace(const char *s, const char *find, const char *repl)
{
	const char *at = strstr(s, find);
	char *out;

	assert_non_null(at);
	out = malloc(strlen(s) + strlen(repl) + 1);
	assert_non_null(out);
	memcpy(out, s, (size_t)(at - s));
	strcpy(out + (at - s), repl);
	strcat(out, at + strlen(find));
	return out;
}

static void test_parser_negatives(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
		const struct neg *n = &negatives[i];
		const struct kx_msg *m = &f->msgs[n->type_index];
		char *text;
		size_t len;

		print_message("negative: %s\n", n->name);
		assert_int_equal(kx_msg_to_json(m, f->json, sizeof(f->json), &len), 0);
		if (!n->find && !n->repl) {
			/* members: [] */
			char *a = strstr(f->json, "\"members\":[");
			char *b = strstr(f->json, "],\"sig\"");

			assert_non_null(a);
			assert_non_null(b);
			text = malloc(strlen(f->json) + 1);
			memcpy(text, f->json, (size_t)(a - f->json) + 11);
			strcpy(text + (a - f->json) + 11, b);
		} else {
			text = n->find ? replace(f->json, n->find, n->repl) : strdup(n->repl);
		}
		assert_int_equal(kx_msg_decode(text, strlen(text), m->type, &f->m), n->want);
		assert_true(tu_is_zero(&f->m, sizeof(f->m)));
		assert_int_equal(kx_msg_parse(text, strlen(text), m->type, &f->chain, &f->m),
				 n->want);
		free(text);
	}
}

static void test_parser_sizes(void **state)
{
	struct fx *f = *state;
	char *big = malloc(KX_JSON_MAX + 2);
	size_t len;

	/* Whitespace-padded but otherwise valid: refused by size alone. */
	assert_int_equal(kx_msg_to_json(&f->msgs[3], f->json, sizeof(f->json), &len), 0);
	memset(big, ' ', KX_JSON_MAX + 1);
	memcpy(big, f->json, len);
	assert_int_equal(kx_msg_decode(big, KX_JSON_MAX + 1, KX_MSG_NONE, &f->m), -EMSGSIZE);
	assert_int_equal(kx_msg_decode(big, KX_JSON_MAX, KX_MSG_NONE, &f->m), 0);
	/* Deep nesting is just a wrong shape. */
	memset(big, '[', 10000);
	assert_int_equal(kx_msg_decode(big, 10000, KX_MSG_NONE, &f->m), -EINVAL);
	free(big);
	/* The length is honoured: no NUL needed, nothing read beyond. */
	assert_int_equal(kx_msg_decode(f->json, len - 1, KX_MSG_NONE, &f->m), -EINVAL);
}

/* The largest roster fits every bound: KX_MAX_MEMBERS members, 64-byte device ids. */
static void test_largest_roster(void **state)
{
	struct fx *f = *state;
	struct kx_roster *r = &f->m2.u.roster;
	uint8_t canon[KX_CANON_MAX];
	size_t len, clen;

	memset(&f->m2, 0, sizeof(f->m2));
	f->m2.type = KX_MSG_ROSTER;
	memcpy(r->meeting, kt_meeting, KX_MEETING_ID_BYTES);
	r->epoch = KX_JSON_INT_MAX;
	memset(r->prev, 0xee, KX_HASH_BYTES);
	r->host = 0;
	r->successor = KX_NO_PARTICIPANT - 1;
	r->policy = (struct kx_policy){.e2ee = true, .lobby_locked = true};
	r->n_members = KX_MAX_MEMBERS;
	for (uint32_t i = 0; i < KX_MAX_MEMBERS; i++) {
		struct kx_member *m = &r->members[i];

		m->id = i == KX_MAX_MEMBERS - 1 ? KX_NO_PARTICIPANT - 1
						 : (uint16_t)(i * ((KX_NO_PARTICIPANT - 2) / KX_MAX_MEMBERS));
		m->role = i ? KX_ROLE_MEMBER : KX_ROLE_HOST;
		memset(m->device, 'd', KX_DEVICE_MAX);
		snprintf(m->device, KX_DEVICE_MAX + 1,
			 "%04u-ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", i);
		memset(m->ik, (int)i, KX_IK_BYTES);
		m->ik[0] = (uint8_t)(i >> 8);
		m->ik[1] = 0x55;
		memset(m->ek, 0x77, KX_EK_BYTES);
	}
	memcpy(r->members[0].ik, f->p[0].ik.ik, KX_IK_BYTES);
	assert_int_equal(strlen(r->members[5].device), KX_DEVICE_MAX);
	assert_int_equal(kx_msg_sign(&f->m2, &f->p[0].ik), 0);
	assert_int_equal(kx_msg_canon(&f->m2, canon, sizeof(canon), &clen), 0);
	assert_int_equal(kx_msg_to_json(&f->m2, f->json, sizeof(f->json), &len), 0);
	assert_true(len < KX_JSON_MAX);
	assert_int_equal(kx_msg_parse(f->json, len, KX_MSG_ROSTER, NULL, &f->m), 0);
	assert_int_equal(f->m.u.roster.n_members, KX_MAX_MEMBERS);
	/* One more member is refused. */
	r->n_members = KX_MAX_MEMBERS + 1;
	assert_int_equal(kx_msg_check(&f->m2), -EINVAL);
}

static void test_verified_parse_needs_roster(void **state)
{
	struct fx *f = *state;
	size_t len;

	/* Epoch key, ack, leave cannot be checked without the roster that names the sender. */
	for (int i = 2; i < 5; i++) {
		assert_int_equal(kx_msg_to_json(&f->msgs[i], f->json, sizeof(f->json), &len), 0);
		assert_int_equal(kx_msg_parse(f->json, len, KX_MSG_NONE, NULL, &f->m), -ENOKEY);
		assert_int_equal(kx_msg_decode(f->json, len, KX_MSG_NONE, &f->m), 0);
	}
	/* An announce whose IK is not the signer's. */
	f->m = f->msgs[0];
	memcpy(f->m.u.announce.ik, f->p[4].ik.ik, KX_IK_BYTES);
	assert_int_equal(kx_msg_to_json(&f->m, f->json, sizeof(f->json), &len), 0);
	assert_int_equal(kx_msg_parse(f->json, len, KX_MSG_ANNOUNCE, NULL, &f->m), -EBADMSG);
	/* A roster signed by someone other than its host entry. */
	kt_roster(&f->m2, f->p, 0x7, 0, 1, 0, NULL, 1);
	assert_int_equal(kx_msg_to_json(&f->m2, f->json, sizeof(f->json), &len), 0);
	assert_int_equal(kx_msg_parse(f->json, len, KX_MSG_ROSTER, NULL, &f->m), -EBADMSG);
}

/* Display names (PROTOCOL.md 2): what a lobby shows must read as its bytes say.
 * The knock's parser (kx_announce_parse) applies the same check to names
 * received from other rooms. */
static void test_display_names(void **state)
{
	static const char *const good[] = {
		"Board room 4", "R\xc3\xa9union", "A\xc2\xa0" "B", /* NBSP inside */
		"e\xcc\x81\xcc\x81\xcc\x81\xcc\x81", /* 4 combining marks */
		"\xe4\xbc\x9a\xe8\xad\xb0\xe5\xae\xa4",
	};
	static const char *const bad[] = {
		" ", "   ", " Board", "Board ", "\xc2\xa0", "Board\xc2\xa0",
		"\xe2\xa0\x80",                     /* U+2800 braille blank alone */
		"\xe3\x85\xa4",                     /* U+3164 Hangul filler */
		"\xe1\x85\x9f", "\xef\xbe\xa0",    /* U+115F, U+FFA0 */
		"A\xcd\x8f" "B",                     /* U+034F CGJ */
		"A\xef\xb8\x8f",                    /* U+FE0F variation selector */
		"A\xe1\xa0\x8b",                    /* U+180B */
		"A\xef\xbf\xbf", "A\xef\xbf\xbe",  /* noncharacters U+FFFF, U+FFFE */
		"A\xef\xb7\x90",                    /* U+FDD0 */
		"A\xf0\x9f\xbf\xbf",                /* U+1FFFF */
		"A\xe2\x80\xae" "B",                /* U+202E RLO */
		"A\xe2\x81\xa6" "B",                /* U+2066 LRI */
		"A\xf3\xa0\x84\x80",                /* U+E0100 variation selector */
		"e\xcc\xb6\xcc\xb6\xcc\xb6\xcc\xb6\xcc\xb6", /* 5 x U+0336 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!kx_display_name_valid(good[i], strlen(good[i])))
			fail_msg("refused a good name #%zu", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kx_display_name_valid(bad[i], strlen(bad[i])))
			fail_msg("accepted a bad name #%zu", i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sign_verify_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_every_field, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parser_negatives, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parser_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_largest_roster, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verified_parse_needs_roster, setup, teardown),
	    cmocka_unit_test(test_display_names),
	};

	return cmocka_run_group_tests_name("kx_msg", tests, NULL, NULL);
}
