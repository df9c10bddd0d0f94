// SPDX-License-Identifier: MIT
/*
 * The roster chain (PROTOCOL.md "Roster chain rules"): a member accepts
 * roster e+1 only from the host (or the named successor once the host has
 * left), only when it extends the held chain and its epoch grows by one;
 * and the checks kx_msg_parse() makes with the held roster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kx_testutil.h"

struct fx {
	struct kt_party p[KT_PARTIES];
	struct kx_chain chain;
	struct kx_msg held, cand, other, m;
	char json[KX_JSON_MAX];
};

/* The held roster: epoch 5, host 0, successor 1, members 0 1 2. */
#define HELD_EPOCH 5
static const uint8_t prev4[32] = "hash of roster 4, whatever it is";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	kt_parties_init(f->p);
	kt_roster(&f->held, f->p, 0x7, 0, 1, HELD_EPOCH, prev4, 0);
	kx_chain_init(&f->chain);
	assert_int_equal(
	    kx_chain_start(&f->chain, &f->held, f->p[0].ik.ik, f->p[2].id, f->p[2].ik.ik), 0);
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

enum prev_kind { PREV_HELD, PREV_OTHER, PREV_ZERO };
enum tweak {
	TW_NONE,
	TW_HOST_IK_SWAPPED, /* the roster lists the host with another IK, signed by the real one */
	TW_OTHER_MEETING,
	TW_RECORDING_ON,
	TW_SIG,
};

struct chain_vec {
	const char *name;
	unsigned int mask;
	int host, successor;
	uint64_t epoch;
	enum prev_kind prev;
	int signer;
	enum tweak tweak;
	int want;
};

static const struct chain_vec vectors[] = {
    {"next roster from the host", 0x7, 0, 1, 6, PREV_HELD, 0, TW_NONE, 0},
    {"next roster adds members", 0x3f, 0, 1, 6, PREV_HELD, 0, TW_NONE, 0},
    {"next roster removes a member", 0x3, 0, 1, 6, PREV_HELD, 0, TW_NONE, 0},
    {"next roster names a new successor", 0x7, 0, 2, 6, PREV_HELD, 0, TW_NONE, 0},
    {"same epoch again (fork at e)", 0xf, 0, 1, 5, PREV_HELD, 0, TW_NONE, -ESTALE},
    {"older epoch", 0x7, 0, 1, 4, PREV_HELD, 0, TW_NONE, -ESTALE},
    {"fork: prev is another roster", 0x7, 0, 1, 6, PREV_OTHER, 0, TW_NONE, -ENOLINK},
    {"prev zero", 0x7, 0, 1, 6, PREV_ZERO, 0, TW_NONE, -ENOLINK},
    {"epoch jumps by 2", 0x7, 0, 1, 7, PREV_HELD, 0, TW_NONE, -ERANGE},
    {"signed by a member, host field unchanged", 0x7, 0, 1, 6, PREV_HELD, 2, TW_NONE, -EBADMSG},
    {"a member makes itself host", 0x6, 2, 1, 6, PREV_HELD, 2, TW_NONE, -EPERM},
    {"an outsider makes itself host", 0x21, 5, 0, 6, PREV_HELD, 5, TW_NONE, -EPERM},
    {"successor takes over, host gone", 0x6, 1, 2, 6, PREV_HELD, 1, TW_NONE, 0},
    {"successor takes over, host still listed", 0x7, 1, 2, 6, PREV_HELD, 1, TW_NONE, -EPERM},
    {"non-successor takes over, host gone", 0x6, 2, 1, 6, PREV_HELD, 2, TW_NONE, -EPERM},
    {"successor takeover signed by another", 0x6, 1, 2, 6, PREV_HELD, 2, TW_NONE, -EBADMSG},
    {"successor takeover must extend the chain", 0x6, 1, 2, 6, PREV_OTHER, 1, TW_NONE, -ENOLINK},
    {"host IK swapped in the new roster", 0x7, 0, 1, 6, PREV_HELD, 0, TW_HOST_IK_SWAPPED,
     -EKEYREJECTED},
    {"another meeting", 0x7, 0, 1, 6, PREV_HELD, 0, TW_OTHER_MEETING, -EXDEV},
    {"recording on", 0x7, 0, 1, 6, PREV_HELD, 0, TW_RECORDING_ON, -EPROTO},
    {"signature tampered", 0x7, 0, 1, 6, PREV_HELD, 0, TW_SIG, -EBADMSG},
};

static void build(struct fx *f, const struct chain_vec *v, struct kx_msg *out)
{
	uint8_t prev[32];

	if (v->prev == PREV_HELD)
		memcpy(prev, f->chain.hash, 32);
	else if (v->prev == PREV_OTHER)
		memset(prev, 0x99, 32);
	else
		memset(prev, 0, 32);
	kt_roster(out, f->p, v->mask, v->host, v->successor, v->epoch, prev, v->signer);
	switch (v->tweak) {
	case TW_HOST_IK_SWAPPED: {
		struct kx_member *m =
		    (struct kx_member *)kx_roster_find(&out->u.roster, f->p[0].id);

		memcpy(m->ik, f->p[6].ik.ik, KX_IK_BYTES);
		break;
	}
	case TW_OTHER_MEETING:
		out->u.roster.meeting[0] ^= 1;
		break;
	case TW_RECORDING_ON:
		out->u.roster.policy.recording = true;
		break;
	default:
		break;
	}
	if (v->tweak != TW_NONE && v->tweak != TW_SIG)
		assert_int_equal(kx_msg_sign(out, &f->p[v->signer].ik),
				 v->tweak == TW_RECORDING_ON ? -EPROTO : 0);
	if (v->tweak == TW_SIG)
		out->sig[3] ^= 4;
}

static void test_chain_vectors(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct chain_vec *v = &vectors[i];
		struct kx_chain *before = malloc(sizeof(*before));

		print_message("chain: %s\n", v->name);
		*before = f->chain;
		build(f, v, &f->cand);
		assert_int_equal(kx_chain_accept(&f->chain, &f->cand), v->want);
		if (v->want) {
			/* A refused roster leaves the chain exactly as it was. */
			assert_memory_equal(before, &f->chain, sizeof(*before));
		} else {
			uint8_t h[32];

			assert_int_equal(kx_roster_hash(&f->cand.u.roster, h), 0);
			assert_memory_equal(f->chain.hash, h, 32);
			assert_true(f->chain.roster.epoch == v->epoch);
		}
		f->chain = *before;
		free(before);
	}
}

/* After moving on, every earlier roster is a replay. */
static void test_replay_after_advance(void **state)
{
	struct fx *f = *state;
	static const struct chain_vec next = {"", 0xf, 0, 1, 6, PREV_HELD, 0, TW_NONE, 0};

	build(f, &next, &f->cand);
	assert_int_equal(kx_chain_accept(&f->chain, &f->cand), 0);
	assert_int_equal(kx_chain_accept(&f->chain, &f->held), -ESTALE);
	assert_int_equal(kx_chain_accept(&f->chain, &f->cand), -ESTALE);
	/* A second roster 6 (fork at 6, same prev): refused. */
	kt_roster(&f->other, f->p, 0x3, 0, 1, 6, f->held.u.roster.prev, 0);
	memcpy(f->other.u.roster.prev, f->cand.u.roster.prev, 32);
	assert_int_equal(kx_msg_sign(&f->other, &f->p[0].ik), 0);
	assert_int_equal(kx_chain_accept(&f->chain, &f->other), -ESTALE);
	/* A roster 7 built on that fork: does not extend our chain. */
	{
		uint8_t h[32];

		assert_int_equal(kx_roster_hash(&f->other.u.roster, h), 0);
		kt_roster(&f->m, f->p, 0x3, 0, 1, 7, h, 0);
		assert_int_equal(kx_chain_accept(&f->chain, &f->m), -ENOLINK);
	}
}

/* After a takeover the old host has no say; the new host continues. */
static void test_takeover_then_old_host(void **state)
{
	struct fx *f = *state;
	static const struct chain_vec take = {"", 0x6, 1, 2, 6, PREV_HELD, 1, TW_NONE, 0};
	static const struct chain_vec old = {"", 0x7, 0, 1, 7, PREV_HELD, 0, TW_NONE, 0};
	static const struct chain_vec next = {"", 0xe, 1, 2, 7, PREV_HELD, 1, TW_NONE, 0};

	build(f, &take, &f->cand);
	assert_int_equal(kx_chain_accept(&f->chain, &f->cand), 0);
	assert_int_equal(f->chain.roster.host, f->p[1].id);
	build(f, &old, &f->cand);
	assert_int_equal(kx_chain_accept(&f->chain, &f->cand), -EPERM);
	build(f, &next, &f->cand);
	assert_int_equal(kx_chain_accept(&f->chain, &f->cand), 0);
}

/*
 * Every roster of two or more members names a successor (PROTOCOL.md 5): one
 * without is refused, so that a meeting never dies with its host. A roster
 * of the host alone names none.
 */
static void test_no_successor(void **state)
{
	struct fx *f = *state;
	struct kx_msg *m = malloc(sizeof(*m));

	*m = f->held;
	m->u.roster.successor = KX_NO_PARTICIPANT;
	assert_int_equal(kx_msg_check(m), -EINVAL);
	kt_roster(m, f->p, 0x1, 0, -1, 0, NULL, 0);
	assert_int_equal(kx_msg_check(m), 0);
	free(m);
}

static void test_chain_start(void **state)
{
	struct fx *f = *state;
	struct kx_chain *c = malloc(sizeof(*c));

	kx_chain_init(c);
	/* Pinned host key mismatch. */
	assert_int_equal(kx_chain_start(c, &f->held, f->p[5].ik.ik, KX_NO_PARTICIPANT, NULL),
			 -EKEYREJECTED);
	/* Not in the roster, or listed with another key. */
	assert_int_equal(kx_chain_start(c, &f->held, NULL, f->p[4].id, f->p[4].ik.ik), -ENOKEY);
	assert_int_equal(kx_chain_start(c, &f->held, NULL, f->p[2].id, f->p[4].ik.ik),
			 -EKEYREJECTED);
	/* Signed by other than its host entry. */
	kt_roster(&f->cand, f->p, 0x7, 0, 1, 3, prev4, 1);
	assert_int_equal(kx_chain_start(c, &f->cand, NULL, KX_NO_PARTICIPANT, NULL), -EBADMSG);
	assert_false(c->started);
	assert_int_equal(kx_chain_start(c, &f->held, NULL, KX_NO_PARTICIPANT, NULL), 0);
	assert_int_equal(kx_chain_start(c, &f->held, NULL, KX_NO_PARTICIPANT, NULL), -EALREADY);
	free(c);
}

/* ----------------------------------------------- parse checks with the chain */

static void sign_json(struct fx *f, struct kx_msg *m, int signer, size_t *len)
{
	assert_int_equal(kx_msg_sign(m, &f->p[signer].ik), 0);
	assert_int_equal(kx_msg_to_json(m, f->json, sizeof(f->json), len), 0);
}

struct parse_vec {
	const char *name;
	enum kx_msg_type type;
	int from, to, signer;
	int64_t epoch_delta;
	bool bad_hash, other_meeting;
	int want;
};

static const struct parse_vec parse_vectors[] = {
    {"epoch key from the host", KX_MSG_EPOCH_KEY, 0, 2, 0, 0, false, false, 0},
    {"epoch key from a member", KX_MSG_EPOCH_KEY, 1, 2, 1, 0, false, false, -EPERM},
    {"epoch key to an outsider", KX_MSG_EPOCH_KEY, 0, 5, 0, 0, false, false, -ENOKEY},
    {"epoch key from an outsider", KX_MSG_EPOCH_KEY, 5, 2, 5, 0, false, false, -ENOKEY},
    {"epoch key signed by another", KX_MSG_EPOCH_KEY, 0, 2, 1, 0, false, false, -EBADMSG},
    {"epoch key for an old epoch", KX_MSG_EPOCH_KEY, 0, 2, 0, -1, false, false, -ESTALE},
    {"epoch key for a future epoch", KX_MSG_EPOCH_KEY, 0, 2, 0, 1, false, false, -ENOLINK},
    {"epoch key for another roster", KX_MSG_EPOCH_KEY, 0, 2, 0, 0, true, false, -ENOLINK},
    {"epoch key of another meeting", KX_MSG_EPOCH_KEY, 0, 2, 0, 0, false, true, -EXDEV},
    {"ack from a member", KX_MSG_ACK, 2, 0, 2, 0, false, false, 0},
    {"ack from an outsider", KX_MSG_ACK, 4, 0, 4, 0, false, false, -ENOKEY},
    {"ack signed by another", KX_MSG_ACK, 2, 0, 1, 0, false, false, -EBADMSG},
    {"ack stale", KX_MSG_ACK, 2, 0, 2, -1, false, false, -ESTALE},
    {"ack for another roster", KX_MSG_ACK, 2, 0, 2, 0, true, false, -ENOLINK},
    {"leave from a member", KX_MSG_LEAVE, 1, 0, 1, 0, false, false, 0},
    {"leave naming an older epoch", KX_MSG_LEAVE, 1, 0, 1, -1, false, false, 0},
    {"leave from a future epoch", KX_MSG_LEAVE, 1, 0, 1, 1, false, false, -ENOLINK},
    {"leave from an outsider", KX_MSG_LEAVE, 6, 0, 6, 0, false, false, -ENOKEY},
    {"leave forged for a member", KX_MSG_LEAVE, 1, 0, 2, 0, false, false, -EBADMSG},
    {"leave of another meeting", KX_MSG_LEAVE, 1, 0, 1, 0, false, true, -EXDEV},
    /* A knocker holds the host hello as its chain (PROTOCOL.md 3.7). */
    {"deny from the host to a knocker", KX_MSG_DENY, 0, 5, 0, 0, false, false, 0},
    {"deny from a member", KX_MSG_DENY, 1, 5, 1, 0, false, false, -EPERM},
    {"deny from an outsider", KX_MSG_DENY, 6, 5, 6, 0, false, false, -ENOKEY},
    {"deny forged for the host", KX_MSG_DENY, 0, 5, 6, 0, false, false, -EBADMSG},
    {"deny of another meeting", KX_MSG_DENY, 0, 5, 0, 0, false, true, -EXDEV},
};

static void test_parse_with_chain(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(parse_vectors) / sizeof(parse_vectors[0]); i++) {
		const struct parse_vec *v = &parse_vectors[i];
		struct kx_msg *m = &f->m;
		uint64_t epoch = (uint64_t)((int64_t)HELD_EPOCH + v->epoch_delta);
		uint8_t *meeting, *hash = NULL;
		size_t len;

		print_message("parse: %s\n", v->name);
		memset(m, 0, sizeof(*m));
		m->type = v->type;
		switch (v->type) {
		case KX_MSG_EPOCH_KEY:
			meeting = m->u.epoch_key.meeting;
			hash = m->u.epoch_key.roster;
			m->u.epoch_key.epoch = epoch;
			m->u.epoch_key.from = f->p[v->from].id;
			m->u.epoch_key.to = f->p[v->to].id;
			break;
		case KX_MSG_ACK:
			meeting = m->u.ack.meeting;
			hash = m->u.ack.roster;
			m->u.ack.epoch = epoch;
			m->u.ack.from = f->p[v->from].id;
			break;
		case KX_MSG_DENY:
			meeting = m->u.deny.meeting;
			m->u.deny.from = f->p[v->from].id;
			m->u.deny.to = f->p[v->to].id;
			memset(m->u.deny.knock, 0x5a, KX_HASH_BYTES);
			m->u.deny.time_ms = 1700000000000;
			break;
		default:
			meeting = m->u.leave.meeting;
			m->u.leave.epoch = epoch;
			m->u.leave.from = f->p[v->from].id;
			break;
		}
		memcpy(meeting, kt_meeting, KX_MEETING_ID_BYTES);
		if (v->other_meeting)
			meeting[3] ^= 0x20;
		if (hash) {
			memcpy(hash, f->chain.hash, 32);
			if (v->bad_hash)
				hash[31] ^= 1;
		}
		sign_json(f, m, v->signer, &len);
		assert_int_equal(kx_msg_parse(f->json, len, v->type, &f->chain, &f->other),
				 v->want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_chain_vectors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_after_advance, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_takeover_then_old_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_successor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parse_with_chain, setup, teardown),
	};

	return cmocka_run_group_tests_name("kx_chain", tests, NULL, NULL);
}
