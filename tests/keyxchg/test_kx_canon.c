// SPDX-License-Identifier: MIT
/*
 * The canonical encoding (PROTOCOL.md "Canonical encoding"): the writer, and
 * each message type against bytes written out by hand from PROTOCOL.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kx/canon.h"
#include "kx/msg.h"
#include "testutil.h"

#define L4(n) "\x00\x00\x00" n
#define M16   "0123456789abcdef"
#define H32   "HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH"
#define I32   "IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII"
#define E32   "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"
#define J32   "JJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJ"
#define F32   "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
#define N24   "NNNNNNNNNNNNNNNNNNNNNNNN"
#define S48   "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"

struct canon_vec {
	const char *name;
	void (*fill)(struct kx_msg *m);
	const char *want;
	size_t want_len;
};

#define V(name, fill, bytes)                                                                       \
	{                                                                                          \
		name, fill, bytes, sizeof(bytes) - 1                                               \
	}

static void fill_announce(struct kx_msg *m)
{
	struct kx_announce *a = &m->u.announce;

	m->type = KX_MSG_ANNOUNCE;
	memcpy(a->meeting, M16, 16);
	a->from = 0x0102;
	strcpy(a->device, "room-a");
	strcpy(a->name, "Z\xc3\xbcrich");
	memcpy(a->ik, I32, 32);
	memcpy(a->ek, E32, 32);
	a->time_ms = 0x0000018bcfe56800ull;
}

static void fill_roster(struct kx_msg *m)
{
	struct kx_roster *r = &m->u.roster;

	m->type = KX_MSG_ROSTER;
	memcpy(r->meeting, M16, 16);
	r->epoch = 3;
	memcpy(r->prev, H32, 32);
	r->host = 7;
	r->successor = 9;
	r->policy = (struct kx_policy){.e2ee = true, .lobby_locked = true};
	r->n_members = 2;
	r->members[0] = (struct kx_member){.id = 7, .role = KX_ROLE_HOST};
	strcpy(r->members[0].device, "h");
	memcpy(r->members[0].ik, I32, 32);
	memcpy(r->members[0].ek, E32, 32);
	r->members[1] = (struct kx_member){.id = 9, .role = KX_ROLE_MEMBER};
	strcpy(r->members[1].device, "m.x");
	memcpy(r->members[1].ik, J32, 32);
	memcpy(r->members[1].ek, F32, 32);
}

static void fill_roster_alone(struct kx_msg *m)
{
	struct kx_roster *r = &m->u.roster;

	m->type = KX_MSG_ROSTER;
	memcpy(r->meeting, M16, 16);
	r->host = 0;
	r->successor = KX_NO_PARTICIPANT;
	r->policy = (struct kx_policy){.e2ee = true, .lobby_locked = true};
	r->n_members = 1;
	r->members[0] = (struct kx_member){.id = 0, .role = KX_ROLE_HOST};
	strcpy(r->members[0].device, "h");
	memcpy(r->members[0].ik, I32, 32);
	memcpy(r->members[0].ek, E32, 32);
}

static void fill_epoch_key(struct kx_msg *m)
{
	struct kx_epoch_key *k = &m->u.epoch_key;

	m->type = KX_MSG_EPOCH_KEY;
	memcpy(k->meeting, M16, 16);
	k->epoch = 0x0102030405ull;
	memcpy(k->roster, H32, 32);
	k->from = 1;
	k->to = 0xfffe;
	memcpy(k->nonce, N24, 24);
	memcpy(k->sealed, S48, 48);
}

static void fill_ack(struct kx_msg *m)
{
	m->type = KX_MSG_ACK;
	memcpy(m->u.ack.meeting, M16, 16);
	m->u.ack.epoch = 5;
	memcpy(m->u.ack.roster, H32, 32);
	m->u.ack.from = 11;
	m->u.ack.time_ms = 2;
	memcpy(m->u.ack.ek, E32, 32);
	memcpy(m->u.ack.confirm, H32, 32);
}

static void fill_leave(struct kx_msg *m)
{
	m->type = KX_MSG_LEAVE;
	memcpy(m->u.leave.meeting, M16, 16);
	m->u.leave.epoch = 256;
	m->u.leave.from = 0x1234;
	m->u.leave.time_ms = 1;
}

static void fill_deny(struct kx_msg *m)
{
	m->type = KX_MSG_DENY;
	memcpy(m->u.deny.meeting, M16, 16);
	m->u.deny.from = 7;
	m->u.deny.to = 0x0102;
	memcpy(m->u.deny.knock, H32, 32);
	m->u.deny.time_ms = 2;
}

/* Written from PROTOCOL.md by hand: u32 length, then the bytes, for every field. */
static const struct canon_vec vectors[] = {
    V("announce", fill_announce,
      L4("\x14") "sealroom-v1 announce" L4("\x10")
	  M16 L4("\x02") "\x01\x02" L4("\x06") "room-a" L4("\x07") "Z\xc3\xbcrich" L4("\x20")
	      I32 L4("\x20") E32 L4("\x08") "\x00\x00\x01\x8b\xcf\xe5\x68\x00"),
    V("roster, two members", fill_roster,
      L4("\x12") "sealroom-v1 roster" L4("\x10")
	  M16 L4("\x08") "\x00\x00\x00\x00\x00\x00\x00\x03" L4("\x20")
	      H32 L4("\x02") "\x00\x07" L4("\x02") "\x00\x09" L4("\x01") "\x01" L4(
		  "\x01") "\x00" L4("\x01") "\x00" L4("\x01") "\x01" L4("\x04") "\x00\x00\x00\x02"
      /* member 7 */
      L4("\x02") "\x00\x07" L4("\x01") "h" L4("\x20") I32 L4("\x20") E32 L4("\x01") "\x01"
      /* member 9 */
      L4("\x02") "\x00\x09" L4("\x03") "m.x" L4("\x20") J32 L4("\x20") F32 L4("\x01") "\x02"),
    V("roster, host alone at epoch 0, no successor", fill_roster_alone,
      L4("\x12") "sealroom-v1 roster" L4("\x10") M16
	  L4("\x08") "\x00\x00\x00\x00\x00\x00\x00\x00" L4("\x20") "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
								   "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
								   "\0\0" L4("\x02") "\x00\x00" L4("\x02") "\xff\xff" L4("\x01") "\x01" L4("\x01") "\x00" L4(
								       "\x01") "\x00" L4("\x01") "\x01" L4("\x04") "\x00\x00\x00\x01" L4("\x02") "\x00\x00" L4("\x01") "h" L4("\x20")
								       I32 L4("\x20")
									   E32 L4("\x01") "\x01"),
    V("epoch key", fill_epoch_key,
      L4("\x15") "sealroom-v1 epoch-key" L4("\x10")
	  M16 L4("\x08") "\x00\x00\x00\x01\x02\x03\x04\x05" L4("\x20")
	      H32 L4("\x02") "\x00\x01" L4("\x02") "\xff\xfe" L4("\x18") N24 L4("\x30") S48),
    V("ack", fill_ack,
      L4("\x0f") "sealroom-v2 ack" L4("\x10")
	  M16 L4("\x08") "\x00\x00\x00\x00\x00\x00\x00\x05" L4("\x20") H32 L4("\x02") "\x00\x0b"
	      L4("\x08") "\x00\x00\x00\x00\x00\x00\x00\x02" L4("\x20") E32 L4("\x20") H32),
    V("leave", fill_leave,
      L4("\x11") "sealroom-v1 leave" L4("\x10")
	  M16 L4("\x08") "\x00\x00\x00\x00\x00\x00\x01\x00" L4("\x02") "\x12\x34" L4(
	      "\x08") "\x00\x00\x00\x00\x00\x00\x00\x01"),
    V("deny", fill_deny,
      L4("\x10") "sealroom-v1 deny" L4("\x10") M16 L4("\x02") "\x00\x07" L4("\x02") "\x01\x02"
	  L4("\x20") H32 L4("\x08") "\x00\x00\x00\x00\x00\x00\x00\x02"),
};

static void test_message_encodings(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct canon_vec *v = &vectors[i];
		struct kx_msg *m = calloc(1, sizeof(*m));
		uint8_t *out = tu_canary_alloc(v->want_len);
		size_t len = 0;

		print_message("vector: %s\n", v->name);
		v->fill(m);
		assert_int_equal(kx_msg_canon(m, out, v->want_len, &len), 0);
		assert_int_equal(len, v->want_len);
		assert_memory_equal(out, v->want, v->want_len);
		tu_canary_check(out, v->want_len);
		/* One byte short: -ENOSPC, nothing beyond the buffer touched. */
		assert_int_equal(kx_msg_canon(m, out, v->want_len - 1, &len), -ENOSPC);
		tu_canary_check(out, v->want_len);
		tu_canary_free(out, v->want_len);
		free(m);
	}
}

struct writer_vec {
	const char *name;
	int op; /* 0 bytes, 1 u8, 2 u16, 3 u32, 4 u64 */
	uint64_t v;
	const char *want; /* after the label field for "L" */
	size_t want_len;
};

#define W(name, op, v, bytes)                                                                      \
	{                                                                                          \
		name, op, v, bytes, sizeof(bytes) - 1                                              \
	}

static const struct writer_vec writer_vectors[] = {
    W("empty field", 0, 0, L4("\x00")),
    W("u8", 1, 0xab, L4("\x01") "\xab"),
    W("u16", 2, 0xbeef, L4("\x02") "\xbe\xef"),
    W("u32", 3, 0x01020304, L4("\x04") "\x01\x02\x03\x04"),
    W("u64", 4, 0x0102030405060708ull, L4("\x08") "\x01\x02\x03\x04\x05\x06\x07\x08"),
    W("u64 max", 4, UINT64_MAX, L4("\x08") "\xff\xff\xff\xff\xff\xff\xff\xff"),
};

static void test_writer(void **state)
{
	for (size_t i = 0; i < sizeof(writer_vectors) / sizeof(writer_vectors[0]); i++) {
		const struct writer_vec *v = &writer_vectors[i];
		size_t total = 5 + v->want_len, len;
		uint8_t buf[64];

		print_message("vector: %s\n", v->name);
		/* Every capacity from 0 to the exact size: only the exact size succeeds. */
		for (size_t cap = 0; cap <= total; cap++) {
			struct kx_canon c;

			memset(buf, 0xa5, sizeof(buf));
			kx_canon_init(&c, buf, cap, "L");
			switch (v->op) {
			case 0:
				kx_canon_bytes(&c, NULL, 0);
				break;
			case 1:
				kx_canon_u8(&c, (uint8_t)v->v);
				break;
			case 2:
				kx_canon_u16(&c, (uint16_t)v->v);
				break;
			case 3:
				kx_canon_u32(&c, (uint32_t)v->v);
				break;
			default:
				kx_canon_u64(&c, v->v);
				break;
			}
			/* A later field after an error stays an error. */
			if (cap < total) {
				kx_canon_u8(&c, 1);
				assert_int_equal(kx_canon_finish(&c, &len), -ENOSPC);
			} else {
				assert_int_equal(kx_canon_finish(&c, &len), 0);
				assert_int_equal(len, total);
				assert_memory_equal(buf, L4("\x01") "L", 5);
				assert_memory_equal(buf + 5, v->want, v->want_len);
			}
			for (size_t k = cap; k < sizeof(buf); k++)
				assert_int_equal(buf[k], 0xa5);
		}
	}
}

/* Field boundaries are explicit: moving a byte between fields changes the encoding. */
static void test_no_ambiguity(void **state)
{
	uint8_t a[32], b[32];
	struct kx_canon c;
	size_t la, lb;

	kx_canon_init(&c, a, sizeof(a), "L");
	kx_canon_bytes(&c, "ab", 2);
	kx_canon_bytes(&c, "c", 1);
	assert_int_equal(kx_canon_finish(&c, &la), 0);
	kx_canon_init(&c, b, sizeof(b), "L");
	kx_canon_bytes(&c, "a", 1);
	kx_canon_bytes(&c, "bc", 2);
	assert_int_equal(kx_canon_finish(&c, &lb), 0);
	assert_int_equal(la, lb);
	assert_true(memcmp(a, b, la) != 0);
	/* Labels separate the types: an ack is never a leave. */
	for (int i = KX_MSG_ANNOUNCE; i <= KX_MSG_LAST; i++)
		for (int j = KX_MSG_ANNOUNCE; j < i; j++)
			assert_string_not_equal(kx_msg_label((enum kx_msg_type)i),
						kx_msg_label((enum kx_msg_type)j));
	assert_null(kx_msg_label(KX_MSG_NONE));
	assert_null(kx_msg_label((enum kx_msg_type)(KX_MSG_LAST + 1)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_message_encodings),
	    cmocka_unit_test(test_writer),
	    cmocka_unit_test(test_no_ambiguity),
	};

	return cmocka_run_group_tests_name("kx_canon", tests, NULL, NULL);
}
