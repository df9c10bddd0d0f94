/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz_kx_* targets: a held roster (so epoch keys, acks and
 * leaves get past the sender lookup), and the properties every accepted
 * message must have: a canonical encoding, and a JSON round trip that gives
 * back the same canonical bytes and signature.
 */
#ifndef FUZZ_KX_COMMON_H
#define FUZZ_KX_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "kx/chain.h"
#include "kx/identity.h"
#include "kx/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kx_chain fz_chain;

static void fz_setup(void)
{
	static bool done;
	static struct kx_msg r;
	struct kx_identity id[3];

	if (done)
		return;
	done = true;
	memset(&r, 0, sizeof(r));
	r.type = KX_MSG_ROSTER;
	memcpy(r.u.roster.meeting, "meeting-id-0001", 16);
	r.u.roster.host = 10;
	r.u.roster.successor = 11;
	r.u.roster.policy = (struct kx_policy){.e2ee = true, .lobby_locked = true};
	r.u.roster.n_members = 3;
	for (int i = 0; i < 3; i++) {
		uint8_t seed[32];
		struct kx_member *m = &r.u.roster.members[i];

		memset(seed, i + 1, sizeof(seed));
		if (kx_identity_from_seed(seed, &id[i]))
			abort();
		m->id = (uint16_t)(10 + i);
		m->role = i ? KX_ROLE_MEMBER : KX_ROLE_HOST;
		memcpy(m->device, "room-", 5);
		m->device[5] = (char)('a' + i);
		memcpy(m->ik, id[i].ik, KX_IK_BYTES);
		memset(m->ek, 0x40 + i, KX_EK_BYTES);
	}
	if (kx_msg_sign(&r, &id[0]))
		abort();
	kx_chain_init(&fz_chain);
	if (kx_chain_start(&fz_chain, &r, NULL, KX_NO_PARTICIPANT, NULL))
		abort();
	for (int i = 0; i < 3; i++)
		kx_identity_close(&id[i]);
}

static void fz_message(const uint8_t *data, size_t size, enum kx_msg_type type)
{
	static struct kx_msg m, again;
	static uint8_t a[KX_CANON_MAX], b[KX_CANON_MAX];
	static char json[KX_JSON_MAX];
	size_t la, lb, lj;
	int ret;

	fz_setup();
	ret = kx_msg_decode((const char *)data, size, type, &m);
	if (ret == 0) {
		if (m.type != type)
			abort();
		if (kx_msg_canon(&m, a, sizeof(a), &la))
			abort();
		if (kx_msg_to_json(&m, json, sizeof(json), &lj))
			abort();
		if (kx_msg_decode(json, lj, type, &again))
			abort();
		if (kx_msg_canon(&again, b, sizeof(b), &lb) || la != lb || memcmp(a, b, la) ||
		    memcmp(m.sig, again.sig, KX_SIG_BYTES))
			abort();
	} else {
		/* A refused message leaves nothing behind. */
		for (size_t i = 0; i < sizeof(m); i++)
			if (((const uint8_t *)&m)[i])
				abort();
	}
	ret = kx_msg_parse((const char *)data, size, type, &fz_chain, &m);
	if (ret == 0 && type == KX_MSG_ROSTER) {
		/* An accepted roster from anywhere must not extend our chain unless signed. */
		struct kx_chain c = fz_chain;

		(void)kx_chain_accept(&c, &m);
	}
}

#endif
