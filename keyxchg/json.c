// SPDX-License-Identifier: MIT
/*
 * JSON carriage of the messages (PROTOCOL.md "JSON carriage"): strict
 * parsing (exact key sets, exact types, bounded sizes), base64url without
 * padding for binary fields, and signature checks over the canonical
 * encoding, never over JSON text.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "kx/chain.h"
#include "kx/msg.h"

#define KX_VERSION 1
#define B64	   sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* The largest binary field is the signature. */
#define B64_MAX sodium_base64_ENCODED_LEN(KX_SIG_BYTES, B64)

static const char *const announce_keys[] = {"v",    "type", "meeting", "from", "device",
					    "name", "ik",   "ek",      "time", "sig"};
static const char *const roster_keys[] = {"v",	  "type",      "meeting", "epoch",   "prev",
					  "host", "successor", "policy",  "members", "sig"};
static const char *const policy_keys[] = {"e2ee", "recording", "pstn", "lobby_locked"};
static const char *const member_keys[] = {"id", "device", "ik", "ek", "role"};
static const char *const epoch_key_keys[] = {"v",    "type", "meeting", "epoch",  "roster",
					     "from", "to",   "nonce",	"sealed", "sig"};
static const char *const ack_keys[] = {"v",    "type", "meeting", "epoch",   "roster",
				       "from", "time", "ek",	  "confirm", "sig"};
static const char *const leave_keys[] = {"v", "type", "meeting", "epoch", "from", "time", "sig"};
static const char *const deny_keys[] = {"v",	 "type",  "meeting", "from",
					"to", "knock", "time",	  "sig"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ decoding */

/* Exactly these keys: duplicates are refused by the loader, so size + presence suffice. */
static int exact_keys(const json_t *o, const char *const *keys, size_t n)
{
	if (!json_is_object(o) || json_object_size(o) != n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(o, keys[i]))
			return -EINVAL;
	return 0;
}

static int get_b64(const json_t *o, const char *key, uint8_t *out, size_t n)
{
	const json_t *v = json_object_get(o, key);
	char again[B64_MAX];
	const char *s, *end;
	size_t slen, bin_len;

	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	slen = json_string_length(v);
	if (slen != sodium_base64_ENCODED_LEN(n, B64) - 1)
		return -EINVAL;
	if (sodium_base642bin(out, n, s, slen, NULL, &bin_len, &end, B64) || bin_len != n ||
	    end != s + slen)
		return -EINVAL;
	/* Canonical only: the unused low bits of the last character must be zero. */
	sodium_bin2base64(again, sizeof(again), out, n, B64);
	if (memcmp(again, s, slen))
		return -EINVAL;
	return 0;
}

static int get_uint(const json_t *o, const char *key, uint64_t max, uint64_t *out)
{
	const json_t *v = json_object_get(o, key);
	json_int_t i;

	if (!json_is_integer(v))
		return -EINVAL;
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return -EINVAL;
	*out = (uint64_t)i;
	return 0;
}

static int get_id(const json_t *o, const char *key, uint16_t *out)
{
	uint64_t v;
	int ret = get_uint(o, key, KX_NO_PARTICIPANT - 1, &v);

	if (!ret)
		*out = (uint16_t)v;
	return ret;
}

static int get_str(const json_t *o, const char *key, char *out, size_t max)
{
	const json_t *v = json_object_get(o, key);
	size_t len;

	if (!json_is_string(v))
		return -EINVAL;
	len = json_string_length(v);
	if (len < 1 || len > max || memchr(json_string_value(v), 0, len))
		return -EINVAL;
	memcpy(out, json_string_value(v), len);
	out[len] = 0;
	return 0;
}

static int get_bool(const json_t *o, const char *key, bool *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return -EINVAL;
	*out = json_is_true(v);
	return 0;
}

static int decode_announce(const json_t *o, struct kx_announce *a)
{
	int ret;

	if ((ret = exact_keys(o, announce_keys, N(announce_keys))) ||
	    (ret = get_b64(o, "meeting", a->meeting, sizeof(a->meeting))) ||
	    (ret = get_id(o, "from", &a->from)) ||
	    (ret = get_str(o, "device", a->device, KX_DEVICE_MAX)) ||
	    (ret = get_str(o, "name", a->name, KX_NAME_MAX)) ||
	    (ret = get_b64(o, "ik", a->ik, sizeof(a->ik))) ||
	    (ret = get_b64(o, "ek", a->ek, sizeof(a->ek))) ||
	    (ret = get_uint(o, "time", KX_JSON_INT_MAX, &a->time_ms)))
		return ret;
	return 0;
}

static int decode_member(const json_t *o, struct kx_member *m)
{
	const json_t *role;
	int ret;

	if ((ret = exact_keys(o, member_keys, N(member_keys))) || (ret = get_id(o, "id", &m->id)) ||
	    (ret = get_str(o, "device", m->device, KX_DEVICE_MAX)) ||
	    (ret = get_b64(o, "ik", m->ik, sizeof(m->ik))) ||
	    (ret = get_b64(o, "ek", m->ek, sizeof(m->ek))))
		return ret;
	role = json_object_get(o, "role");
	if (!json_is_string(role))
		return -EINVAL;
	if (!strcmp(json_string_value(role), "host") && json_string_length(role) == 4)
		m->role = KX_ROLE_HOST;
	else if (!strcmp(json_string_value(role), "member") && json_string_length(role) == 6)
		m->role = KX_ROLE_MEMBER;
	else
		return -EINVAL;
	return 0;
}

static int decode_roster(const json_t *o, struct kx_roster *r)
{
	const json_t *policy, *members, *succ;
	int ret;

	if ((ret = exact_keys(o, roster_keys, N(roster_keys))) ||
	    (ret = get_b64(o, "meeting", r->meeting, sizeof(r->meeting))) ||
	    (ret = get_uint(o, "epoch", KX_JSON_INT_MAX, &r->epoch)) ||
	    (ret = get_b64(o, "prev", r->prev, sizeof(r->prev))) ||
	    (ret = get_id(o, "host", &r->host)))
		return ret;
	succ = json_object_get(o, "successor");
	if (json_is_null(succ))
		r->successor = KX_NO_PARTICIPANT;
	else if ((ret = get_id(o, "successor", &r->successor)))
		return ret;
	policy = json_object_get(o, "policy");
	if ((ret = exact_keys(policy, policy_keys, N(policy_keys))) ||
	    (ret = get_bool(policy, "e2ee", &r->policy.e2ee)) ||
	    (ret = get_bool(policy, "recording", &r->policy.recording)) ||
	    (ret = get_bool(policy, "pstn", &r->policy.pstn)) ||
	    (ret = get_bool(policy, "lobby_locked", &r->policy.lobby_locked)))
		return ret;
	members = json_object_get(o, "members");
	if (!json_is_array(members) || json_array_size(members) < 1 ||
	    json_array_size(members) > KX_MAX_MEMBERS)
		return -EINVAL;
	r->n_members = (uint32_t)json_array_size(members);
	for (uint32_t i = 0; i < r->n_members; i++)
		if ((ret = decode_member(json_array_get(members, i), &r->members[i])))
			return ret;
	return 0;
}

static int decode_epoch_key(const json_t *o, struct kx_epoch_key *k)
{
	int ret;

	if ((ret = exact_keys(o, epoch_key_keys, N(epoch_key_keys))) ||
	    (ret = get_b64(o, "meeting", k->meeting, sizeof(k->meeting))) ||
	    (ret = get_uint(o, "epoch", KX_JSON_INT_MAX, &k->epoch)) ||
	    (ret = get_b64(o, "roster", k->roster, sizeof(k->roster))) ||
	    (ret = get_id(o, "from", &k->from)) || (ret = get_id(o, "to", &k->to)) ||
	    (ret = get_b64(o, "nonce", k->nonce, sizeof(k->nonce))) ||
	    (ret = get_b64(o, "sealed", k->sealed, sizeof(k->sealed))))
		return ret;
	return 0;
}

static int decode_ack(const json_t *o, struct kx_ack *a)
{
	int ret;

	if ((ret = exact_keys(o, ack_keys, N(ack_keys))) ||
	    (ret = get_b64(o, "meeting", a->meeting, sizeof(a->meeting))) ||
	    (ret = get_uint(o, "epoch", KX_JSON_INT_MAX, &a->epoch)) ||
	    (ret = get_b64(o, "roster", a->roster, sizeof(a->roster))) ||
	    (ret = get_id(o, "from", &a->from)) ||
	    (ret = get_uint(o, "time", KX_JSON_INT_MAX, &a->time_ms)) ||
	    (ret = get_b64(o, "ek", a->ek, sizeof(a->ek))) ||
	    (ret = get_b64(o, "confirm", a->confirm, sizeof(a->confirm))))
		return ret;
	return 0;
}

static int decode_leave(const json_t *o, struct kx_leave *l)
{
	int ret;

	if ((ret = exact_keys(o, leave_keys, N(leave_keys))) ||
	    (ret = get_b64(o, "meeting", l->meeting, sizeof(l->meeting))) ||
	    (ret = get_uint(o, "epoch", KX_JSON_INT_MAX, &l->epoch)) ||
	    (ret = get_id(o, "from", &l->from)) ||
	    (ret = get_uint(o, "time", KX_JSON_INT_MAX, &l->time_ms)))
		return ret;
	return 0;
}

static int decode_deny(const json_t *o, struct kx_deny *d)
{
	int ret;

	if ((ret = exact_keys(o, deny_keys, N(deny_keys))) ||
	    (ret = get_b64(o, "meeting", d->meeting, sizeof(d->meeting))) ||
	    (ret = get_id(o, "from", &d->from)) || (ret = get_id(o, "to", &d->to)) ||
	    (ret = get_b64(o, "knock", d->knock, sizeof(d->knock))) ||
	    (ret = get_uint(o, "time", KX_JSON_INT_MAX, &d->time_ms)))
		return ret;
	return 0;
}

/* An end has a leave's fields (PROTOCOL.md 3.5, 3.7), under another type. */
static int decode_end(const json_t *o, struct kx_end *e)
{
	struct kx_leave l;
	int ret = decode_leave(o, &l);

	if (!ret)
		*e = (struct kx_end){ .epoch = l.epoch, .from = l.from, .time_ms = l.time_ms };
	if (!ret)
		memcpy(e->meeting, l.meeting, sizeof(e->meeting));
	return ret;
}

/* A rekey request too (PROTOCOL.md 3.8). */
static int decode_rekey_request(const json_t *o, struct kx_rekey_request *r)
{
	struct kx_leave l;
	int ret = decode_leave(o, &l);

	if (!ret)
		*r = (struct kx_rekey_request){ .epoch = l.epoch,
						.from = l.from,
						.time_ms = l.time_ms };
	if (!ret)
		memcpy(r->meeting, l.meeting, sizeof(r->meeting));
	return ret;
}

static enum kx_msg_type type_from_name(const json_t *v)
{
	for (int t = KX_MSG_ANNOUNCE; t <= KX_MSG_LAST; t++) {
		const char *name = kx_msg_type_name((enum kx_msg_type)t);

		if (strlen(name) == json_string_length(v) && !strcmp(name, json_string_value(v)))
			return (enum kx_msg_type)t;
	}
	return KX_MSG_NONE;
}

int kx_msg_decode(const char *text, size_t len, enum kx_msg_type expect, struct kx_msg *out)
{
	const json_t *v, *t;
	json_error_t err;
	json_t *root;
	int ret;

	memset(out, 0, sizeof(*out));
	if (len > KX_JSON_MAX)
		return -EMSGSIZE;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return -EINVAL;
	ret = -EINVAL;
	if (!json_is_object(root))
		goto out;
	v = json_object_get(root, "v");
	t = json_object_get(root, "type");
	if (!json_is_integer(v) || !json_is_string(t))
		goto out;
	ret = -EPROTONOSUPPORT;
	if (json_integer_value(v) != KX_VERSION)
		goto out;
	out->type = type_from_name(t);
	if (out->type == KX_MSG_NONE || (expect != KX_MSG_NONE && out->type != expect))
		goto out;
	switch (out->type) {
	case KX_MSG_ANNOUNCE:
		ret = decode_announce(root, &out->u.announce);
		break;
	case KX_MSG_ROSTER:
		ret = decode_roster(root, &out->u.roster);
		break;
	case KX_MSG_EPOCH_KEY:
		ret = decode_epoch_key(root, &out->u.epoch_key);
		break;
	case KX_MSG_ACK:
		ret = decode_ack(root, &out->u.ack);
		break;
	case KX_MSG_LEAVE:
		ret = decode_leave(root, &out->u.leave);
		break;
	case KX_MSG_DENY:
		ret = decode_deny(root, &out->u.deny);
		break;
	case KX_MSG_END:
		ret = decode_end(root, &out->u.end);
		break;
	case KX_MSG_REKEY_REQUEST:
		ret = decode_rekey_request(root, &out->u.rekey_request);
		break;
	default:
		ret = -EPROTONOSUPPORT;
		break;
	}
	if (!ret)
		ret = get_b64(root, "sig", out->sig, sizeof(out->sig));
	if (!ret)
		ret = kx_msg_check(out);
out:
	json_decref(root);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

/* ----------------------------------------------------------- verified parse */

/* Epoch key and ack name a roster: the one held, at the held epoch. */
static int same_roster(const struct kx_chain *c, uint64_t epoch, const uint8_t *hash)
{
	if (epoch < c->roster.epoch)
		return -ESTALE;
	if (epoch != c->roster.epoch || memcmp(hash, c->hash, KX_HASH_BYTES))
		return -ENOLINK;
	return 0;
}

static int check_sender(const struct kx_chain *c, const uint8_t *meeting, uint16_t from,
			const struct kx_member **sender)
{
	if (!c || !c->started)
		return -ENOKEY;
	if (memcmp(meeting, c->roster.meeting, KX_MEETING_ID_BYTES))
		return -EXDEV;
	*sender = kx_roster_find(&c->roster, from);
	return *sender ? 0 : -ENOKEY;
}

/* Signed by the held roster's host (deny, end). */
static int host_signed(const struct kx_chain *c, const struct kx_msg *m, const uint8_t *meeting,
		       uint16_t from)
{
	const struct kx_member *sender;
	int ret = check_sender(c, meeting, from, &sender);

	if (!ret)
		ret = kx_msg_verify(m, sender->ik);
	if (!ret && from != c->roster.host)
		ret = -EPERM;
	return ret;
}

int kx_msg_parse(const char *text, size_t len, enum kx_msg_type expect,
		 const struct kx_chain *chain, struct kx_msg *out)
{
	const struct kx_member *sender = NULL;
	int ret = kx_msg_decode(text, len, expect, out);

	if (ret)
		return ret;
	switch (out->type) {
	case KX_MSG_ANNOUNCE:
		/* Self-signed: proves possession of IK and binds EK to it. */
		ret = kx_msg_verify(out, out->u.announce.ik);
		break;
	case KX_MSG_ROSTER:
		sender = kx_roster_find(&out->u.roster, out->u.roster.host);
		ret = sender ? kx_msg_verify(out, sender->ik) : -EINVAL;
		break;
	case KX_MSG_EPOCH_KEY: {
		const struct kx_epoch_key *k = &out->u.epoch_key;

		if ((ret = check_sender(chain, k->meeting, k->from, &sender)) ||
		    (ret = kx_msg_verify(out, sender->ik)) ||
		    (ret = same_roster(chain, k->epoch, k->roster)))
			break;
		if (k->from != chain->roster.host)
			ret = -EPERM;
		else if (!kx_roster_find(&chain->roster, k->to))
			ret = -ENOKEY;
		break;
	}
	case KX_MSG_ACK: {
		const struct kx_ack *a = &out->u.ack;

		if ((ret = check_sender(chain, a->meeting, a->from, &sender)) ||
		    (ret = kx_msg_verify(out, sender->ik)))
			break;
		ret = same_roster(chain, a->epoch, a->roster);
		break;
	}
	case KX_MSG_LEAVE: {
		const struct kx_leave *l = &out->u.leave;

		if ((ret = check_sender(chain, l->meeting, l->from, &sender)) ||
		    (ret = kx_msg_verify(out, sender->ik)))
			break;
		if (l->epoch > chain->roster.epoch)
			ret = -ENOLINK;
		break;
	}
	case KX_MSG_DENY:
		/* Only the host of the roster held (a knocker: the hello it knocked to). */
		ret = host_signed(chain, out, out->u.deny.meeting, out->u.deny.from);
		break;
	case KX_MSG_END:
		/* Only the held roster's host ends the meeting (PROTOCOL.md 6). */
		ret = host_signed(chain, out, out->u.end.meeting, out->u.end.from);
		if (!ret && out->u.end.epoch < chain->roster.epoch)
			ret = -ESTALE;
		break;
	case KX_MSG_REKEY_REQUEST: {
		/* From a member of the held roster, for the held epoch (6.8). */
		const struct kx_rekey_request *r = &out->u.rekey_request;

		if ((ret = check_sender(chain, r->meeting, r->from, &sender)) ||
		    (ret = kx_msg_verify(out, sender->ik)))
			break;
		if (r->epoch < chain->roster.epoch)
			ret = -ESTALE;
		else if (r->epoch > chain->roster.epoch)
			ret = -ENOLINK;
		break;
	}
	default:
		ret = -EINVAL;
		break;
	}
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

/* ------------------------------------------------------------------ encoding */

static int put(json_t *o, const char *key, json_t *v)
{
	/* json_object_set_new takes v, and frees it on failure. */
	return (v && !json_object_set_new(o, key, v)) ? 0 : -ENOMEM;
}

static int put_b64(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char buf[B64_MAX];

	sodium_bin2base64(buf, sizeof(buf), p, n, B64);
	return put(o, key, json_string(buf));
}

static int put_uint(json_t *o, const char *key, uint64_t v)
{
	return put(o, key, json_integer((json_int_t)v));
}

static int put_head(json_t *o, enum kx_msg_type type)
{
	int ret;

	if ((ret = put_uint(o, "v", KX_VERSION)) ||
	    (ret = put(o, "type", json_string(kx_msg_type_name(type)))))
		return ret;
	return 0;
}

/* The fields of a leave, which an end shares (PROTOCOL.md 4). */
static int put_leave(json_t *o, const uint8_t *meeting, uint64_t epoch, uint16_t from,
		     uint64_t time_ms)
{
	int ret;

	if ((ret = put_b64(o, "meeting", meeting, KX_MEETING_ID_BYTES)) ||
	    (ret = put_uint(o, "epoch", epoch)) || (ret = put_uint(o, "from", from)))
		return ret;
	return put_uint(o, "time", time_ms);
}

static int encode_roster(json_t *o, const struct kx_roster *r)
{
	json_t *policy, *members;
	int ret;

	if ((ret = put_b64(o, "meeting", r->meeting, sizeof(r->meeting))) ||
	    (ret = put_uint(o, "epoch", r->epoch)) ||
	    (ret = put_b64(o, "prev", r->prev, sizeof(r->prev))) ||
	    (ret = put_uint(o, "host", r->host)) ||
	    (ret = put(o, "successor",
		       r->successor == KX_NO_PARTICIPANT ? json_null()
							 : json_integer(r->successor))) ||
	    (ret = put(o, "policy", policy = json_object())) ||
	    (ret = put(policy, "e2ee", json_boolean(r->policy.e2ee))) ||
	    (ret = put(policy, "recording", json_boolean(r->policy.recording))) ||
	    (ret = put(policy, "pstn", json_boolean(r->policy.pstn))) ||
	    (ret = put(policy, "lobby_locked", json_boolean(r->policy.lobby_locked))) ||
	    (ret = put(o, "members", members = json_array())))
		return ret;
	for (uint32_t i = 0; i < r->n_members; i++) {
		const struct kx_member *m = &r->members[i];
		json_t *e = json_object();

		/* json_array_append_new takes e, and frees it on failure. */
		if (!e || json_array_append_new(members, e))
			return -ENOMEM;
		if ((ret = put_uint(e, "id", m->id)) ||
		    (ret = put(e, "device", json_string(m->device))) ||
		    (ret = put_b64(e, "ik", m->ik, sizeof(m->ik))) ||
		    (ret = put_b64(e, "ek", m->ek, sizeof(m->ek))) ||
		    (ret =
			 put(e, "role", json_string(m->role == KX_ROLE_HOST ? "host" : "member"))))
			return ret;
	}
	return 0;
}

static int encode(json_t *o, const struct kx_msg *m)
{
	int ret = put_head(o, m->type);

	if (ret)
		return ret;
	switch (m->type) {
	case KX_MSG_ANNOUNCE: {
		const struct kx_announce *a = &m->u.announce;

		if ((ret = put_b64(o, "meeting", a->meeting, sizeof(a->meeting))) ||
		    (ret = put_uint(o, "from", a->from)) ||
		    (ret = put(o, "device", json_string(a->device))) ||
		    (ret = put(o, "name", json_string(a->name))) ||
		    (ret = put_b64(o, "ik", a->ik, sizeof(a->ik))) ||
		    (ret = put_b64(o, "ek", a->ek, sizeof(a->ek))) ||
		    (ret = put_uint(o, "time", a->time_ms)))
			return ret;
		break;
	}
	case KX_MSG_ROSTER:
		if ((ret = encode_roster(o, &m->u.roster)))
			return ret;
		break;
	case KX_MSG_EPOCH_KEY: {
		const struct kx_epoch_key *k = &m->u.epoch_key;

		if ((ret = put_b64(o, "meeting", k->meeting, sizeof(k->meeting))) ||
		    (ret = put_uint(o, "epoch", k->epoch)) ||
		    (ret = put_b64(o, "roster", k->roster, sizeof(k->roster))) ||
		    (ret = put_uint(o, "from", k->from)) || (ret = put_uint(o, "to", k->to)) ||
		    (ret = put_b64(o, "nonce", k->nonce, sizeof(k->nonce))) ||
		    (ret = put_b64(o, "sealed", k->sealed, sizeof(k->sealed))))
			return ret;
		break;
	}
	case KX_MSG_ACK: {
		const struct kx_ack *a = &m->u.ack;

		if ((ret = put_b64(o, "meeting", a->meeting, sizeof(a->meeting))) ||
		    (ret = put_uint(o, "epoch", a->epoch)) ||
		    (ret = put_b64(o, "roster", a->roster, sizeof(a->roster))) ||
		    (ret = put_uint(o, "from", a->from)) || (ret = put_uint(o, "time", a->time_ms)) ||
		    (ret = put_b64(o, "ek", a->ek, sizeof(a->ek))) ||
		    (ret = put_b64(o, "confirm", a->confirm, sizeof(a->confirm))))
			return ret;
		break;
	}
	case KX_MSG_LEAVE: {
		const struct kx_leave *l = &m->u.leave;

		if ((ret = put_leave(o, l->meeting, l->epoch, l->from, l->time_ms)))
			return ret;
		break;
	}
	case KX_MSG_DENY: {
		const struct kx_deny *d = &m->u.deny;

		if ((ret = put_b64(o, "meeting", d->meeting, sizeof(d->meeting))) ||
		    (ret = put_uint(o, "from", d->from)) || (ret = put_uint(o, "to", d->to)) ||
		    (ret = put_b64(o, "knock", d->knock, sizeof(d->knock))) ||
		    (ret = put_uint(o, "time", d->time_ms)))
			return ret;
		break;
	}
	case KX_MSG_END: {
		const struct kx_end *e = &m->u.end;

		if ((ret = put_leave(o, e->meeting, e->epoch, e->from, e->time_ms)))
			return ret;
		break;
	}
	case KX_MSG_REKEY_REQUEST: {
		const struct kx_rekey_request *r = &m->u.rekey_request;

		if ((ret = put_leave(o, r->meeting, r->epoch, r->from, r->time_ms)))
			return ret;
		break;
	}
	default:
		return -EINVAL;
	}
	return put_b64(o, "sig", m->sig, sizeof(m->sig));
}

int kx_msg_to_json(const struct kx_msg *m, char *out, size_t cap, size_t *len)
{
	json_t *root;
	size_t n;
	int ret = kx_msg_check(m);

	if (ret)
		return ret;
	root = json_object();
	if (!root)
		return -ENOMEM;
	ret = encode(root, m);
	if (ret)
		goto out;
	n = json_dumpb(root, out, cap, JSON_COMPACT);
	if (n == 0) {
		ret = -ENOMEM;
	} else if (n >= cap) {
		ret = -ENOSPC;
	} else {
		out[n] = 0;
		*len = n;
	}
out:
	json_decref(root);
	return ret;
}
