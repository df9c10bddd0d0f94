// SPDX-License-Identifier: MIT
/* The roster hash chain (keying.md "Messages" 2; PROTOCOL.md "Roster chain rules"). */
#include <string.h>

#include "e2ee/secret.h"
#include "kx/chain.h"

void kx_chain_init(struct kx_chain *c)
{
	memset(c, 0, sizeof(*c));
}

int kx_chain_start(struct kx_chain *c, const struct kx_msg *m, const uint8_t *host_ik,
		   uint16_t self_id, const uint8_t *self_ik)
{
	const struct kx_roster *r = &m->u.roster;
	const struct kx_member *host, *self;
	int ret;

	if (c->started)
		return -EALREADY;
	if (m->type != KX_MSG_ROSTER)
		return -EINVAL;
	ret = kx_msg_check(m);
	if (ret)
		return ret;
	host = kx_roster_find(r, r->host);
	if (!host)
		return -EINVAL;
	ret = kx_msg_verify(m, host->ik);
	if (ret)
		return ret;
	if (host_ik && !e2ee_ct_equal(host_ik, host->ik, KX_IK_BYTES))
		return -EKEYREJECTED;
	if (self_id != KX_NO_PARTICIPANT) {
		if (!self_ik)
			return -EINVAL;
		self = kx_roster_find(r, self_id);
		if (!self)
			return -ENOKEY;
		if (!e2ee_ct_equal(self_ik, self->ik, KX_IK_BYTES))
			return -EKEYREJECTED;
	}
	ret = kx_roster_hash(r, c->hash);
	if (ret)
		return ret;
	c->roster = *r;
	c->started = true;
	return 0;
}

int kx_chain_accept(struct kx_chain *c, const struct kx_msg *m)
{
	const struct kx_roster *held = &c->roster, *r = &m->u.roster;
	const struct kx_member *signer, *signer_new;
	uint8_t hash[KX_HASH_BYTES];
	int ret;

	if (!c->started || m->type != KX_MSG_ROSTER)
		return -EINVAL;
	ret = kx_msg_check(m);
	if (ret)
		return ret;
	if (memcmp(r->meeting, held->meeting, KX_MEETING_ID_BYTES))
		return -EXDEV;
	/* Who may sign: the held host, or the held successor once the host is gone. */
	if (r->host == held->host) {
		signer = kx_roster_find(held, held->host);
	} else if (held->successor != KX_NO_PARTICIPANT && r->host == held->successor &&
		   !kx_roster_find(r, held->host)) {
		signer = kx_roster_find(held, held->successor);
	} else {
		return -EPERM;
	}
	if (!signer)
		return -EPERM;
	/* The key the chain already trusts, never the one the new roster claims. */
	ret = kx_msg_verify(m, signer->ik);
	if (ret)
		return ret;
	signer_new = kx_roster_find(r, r->host);
	if (!signer_new || !e2ee_ct_equal(signer_new->ik, signer->ik, KX_IK_BYTES))
		return -EKEYREJECTED;
	if (r->epoch <= held->epoch)
		return -ESTALE;
	if (!e2ee_ct_equal(r->prev, c->hash, KX_HASH_BYTES))
		return -ENOLINK;
	if (r->epoch != held->epoch + 1)
		return -ERANGE;
	ret = kx_roster_hash(r, hash);
	if (ret)
		return ret;
	memcpy(c->hash, hash, sizeof(hash));
	c->roster = *r;
	return 0;
}
