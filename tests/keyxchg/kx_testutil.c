// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kx_testutil.h"

const uint8_t kt_meeting[KX_MEETING_ID_BYTES] = "meeting-id-0001";

void kt_parties_init(struct kt_party p[KT_PARTIES])
{
	for (int i = 0; i < KT_PARTIES; i++) {
		uint8_t seed[32], sk[32];

		memset(seed, i + 1, sizeof(seed));
		memset(sk, 0x40 + i, sizeof(sk));
		p[i].id = (uint16_t)(10 + i);
		snprintf(p[i].device, sizeof(p[i].device), "room-%c.example", 'a' + i);
		assert_int_equal(kx_identity_from_seed(seed, &p[i].ik), 0);
		assert_int_equal(kx_ek_from_secret(sk, &p[i].ek), 0);
	}
}

void kt_parties_free(struct kt_party p[KT_PARTIES])
{
	for (int i = 0; i < KT_PARTIES; i++) {
		kx_identity_close(&p[i].ik);
		kx_ek_free(&p[i].ek);
	}
}

void kt_roster(struct kx_msg *m, struct kt_party p[KT_PARTIES], unsigned int mask, int h, int s,
	       uint64_t e, const uint8_t *prev, int signer)
{
	struct kx_roster *r = &m->u.roster;

	memset(m, 0, sizeof(*m));
	m->type = KX_MSG_ROSTER;
	memcpy(r->meeting, kt_meeting, sizeof(r->meeting));
	r->epoch = e;
	if (prev)
		memcpy(r->prev, prev, KX_HASH_BYTES);
	r->host = p[h].id;
	r->successor = s < 0 ? KX_NO_PARTICIPANT : p[s].id;
	r->policy = (struct kx_policy){.e2ee = true, .lobby_locked = true};
	for (int i = 0; i < KT_PARTIES; i++) {
		struct kx_member *mb;

		if (!(mask & (1u << i)))
			continue;
		mb = &r->members[r->n_members++];
		mb->id = p[i].id;
		mb->role = i == h ? KX_ROLE_HOST : KX_ROLE_MEMBER;
		strcpy(mb->device, p[i].device);
		memcpy(mb->ik, p[i].ik.ik, KX_IK_BYTES);
		memcpy(mb->ek, p[i].ek.pk, KX_EK_BYTES);
	}
	assert_int_equal(kx_msg_sign(m, &p[signer].ik), 0);
}

char *kt_tmpdir(void)
{
	char *d = strdup("/tmp/kx-test-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

void kt_rmrf(const char *dir)
{
	char cmd[256];

	/* Paths made by kt_tmpdir only: no quoting issues. */
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}
