/* SPDX-License-Identifier: MIT */
/* Fixtures shared by the libkx unit tests: identities, rosters, a temp state dir. */
#ifndef TESTS_KX_TESTUTIL_H
#define TESTS_KX_TESTUTIL_H

#include "kx/chain.h"
#include "kx/identity.h"
#include "kx/msg.h"

/* A fixed meeting id. */
extern const uint8_t kt_meeting[KX_MEETING_ID_BYTES];

/* Participant i (0..7): identity from seed {i+1, i+1, ...}, EK from scalar {0x40+i, ...}. */
struct kt_party {
	uint16_t id;
	char device[KX_DEVICE_MAX + 1];
	struct kx_identity ik;
	struct kx_ek ek;
};

#define KT_PARTIES 8
void kt_parties_init(struct kt_party p[KT_PARTIES]);
void kt_parties_free(struct kt_party p[KT_PARTIES]);

/*
 * A roster of the parties whose bits are set in mask, host h, successor s
 * (index or -1), at epoch e with prev, signed by signer (index).
 */
void kt_roster(struct kx_msg *m, struct kt_party p[KT_PARTIES], unsigned int mask, int h, int s,
	       uint64_t e, const uint8_t *prev, int signer);

/* A fresh mkdtemp directory (0700) under /tmp; free() the result after kt_rmrf(). */
char *kt_tmpdir(void);
void kt_rmrf(const char *dir);

#endif
