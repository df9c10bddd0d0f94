/* SPDX-License-Identifier: MIT */
/*
 * The roster hash chain a participant holds (keying.md "Messages" 2 and
 * "Key schedule"; PROTOCOL.md "Roster chain rules").
 *
 * Call order:
 *   kx_chain_init()
 *   kx_chain_start()   with the first roster this device sees (a joiner's
 *                      admission roster, or the host's own epoch-0 roster)
 *   kx_chain_accept()  for every later roster; a roster that fails leaves
 *                      the chain as it was
 *
 * A struct kx_chain holds a copy of the current roster (about 132 KiB) and no
 * secret. The caller owns it; kx_msg_parse() reads it to check the senders
 * of epoch keys, acks and leaves.
 */
#ifndef KX_CHAIN_H
#define KX_CHAIN_H

#include "kx/msg.h"

struct kx_chain {
	bool started;
	uint8_t hash[KX_HASH_BYTES]; /* H(roster) */
	struct kx_roster roster;
};

KX_NONNULL(1) void kx_chain_init(struct kx_chain *c);

/*
 * Starts the chain at roster m (a verified KX_MSG_ROSTER from kx_msg_parse,
 * or one built and signed locally). Its signature is checked again with its
 * own host entry's IK; when host_ik is not NULL (a pinned or already
 * compared host key) that entry must carry exactly it. When self_id is not
 * KX_NO_PARTICIPANT, the roster must list self_id with self_ik (may then not
 * be NULL). Returns 0, -EINVAL, -EBADMSG, -EKEYREJECTED, -ENOKEY (self not
 * listed), -EPROTO, -EALREADY (already started).
 */
KX_API KX_NONNULL(1, 2) int kx_chain_start(struct kx_chain *c, const struct kx_msg *m,
					   const uint8_t *host_ik, uint16_t self_id,
					   const uint8_t *self_ik);

/*
 * Accepts the next roster when, in this order:
 *   its meeting is the chain's                         else -EXDEV
 *   its signer (host field) is the held host, or the   else -EPERM
 *     held successor while the held host is no longer
 *     listed (takeover)
 *   the signature verifies with the IK the held        else -EBADMSG
 *     roster lists for the signer
 *   the signer keeps that IK in the new roster         else -EKEYREJECTED
 *   its epoch is greater than the held one             else -ESTALE
 *   prev is H(held roster)                             else -ENOLINK
 *   its epoch is the held one plus 1                   else -ERANGE
 * and its fields pass kx_msg_check() (-EINVAL, -EPROTO).
 */
KX_API KX_NONNULL(1, 2) int kx_chain_accept(struct kx_chain *c, const struct kx_msg *m);

#endif
