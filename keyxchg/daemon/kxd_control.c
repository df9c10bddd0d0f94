// SPDX-License-Identifier: MIT
/*
 * The control socket's side of keyxchgd (CONTROL.md): events to the
 * subscribers (roster, knocks, warnings, state, group code) and every request
 * (join, admit, deny, verify, remove, end, leave, rekey, status, subscribe),
 * checked against the role and state before it reaches the host or member
 * code.
 */
#define _GNU_SOURCE
#include "keyxchgd.h"

/* Returns how many subscribers got it. */
int kxd_emit(struct app *a, unsigned int kind, json_t *ev)
{
	char *text = json_dumps(ev, JSON_COMPACT);
	int n = 0;

	if (text && a->ctl)
		n = kx_ctl_broadcast(a->ctl, kind, text);
	if (text && (kind & KX_CTL_EV_KEYS))
		sodium_memzero(text, strlen(text)); /* may hold a media key */
	kx_ctl_json_free(text);
	json_decref(ev);
	return n < 0 ? 0 : n;
}

void kxd_warn_event(struct app *a, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kxd_logmsg("WARNING: %s", buf);
	kxd_emit(a, KX_CTL_EV_ROSTER, json_pack("{s:s, s:s}", "event", "warning", "text", buf));
}

void kxd_emit_state(struct app *a)
{
	kxd_emit(
	    a, KX_CTL_EV_STATE,
	    json_pack("{s:s, s:s, s:s, s:I}", "event", "state", "state", kxd_state_names[a->state],
		      "meeting", a->meeting_name, "epoch",
		      (json_int_t)(a->chain && a->chain->started ? a->chain->roster.epoch : 0)));
}

static json_t *roster_json(struct app *a)
{
	json_t *list = json_array();
	const struct kx_roster *r = &a->chain->roster;

	for (uint32_t i = 0; i < r->n_members; i++) {
		const struct kx_member *m = &r->members[i];
		struct peer *p = kxd_peer_get(a, m->id, false);
		char word[E2EE_CODEWORD_SIZE] = "";
		int pin = kx_pin_check(&a->pins, m->device, m->ik);

		if (kx_codeword(&a->cw, m->ik, word))
			strcpy(word, "?");
		/* The display name where this room knows it (its own, or a knock
		 * with this member's IK: rosters carry device ids, not names). */
		const char *name = m->id == a->self ? a->display_name
				   : p && p->ann.name[0] && !memcmp(p->ann.ik, m->ik, KX_IK_BYTES)
				       ? p->ann.name
				       : NULL;

		json_array_append_new(
		    list, json_pack("{s:i, s:s, s:s?, s:s, s:s, s:b, s:s, s:b}", "participant",
				    m->id, "device", m->device, "name", name, "codeword", word,
				    "role", m->role == KX_ROLE_HOST ? "host" : "member", "verified",
				    p && p->verified && !memcmp(p->verified_ik, m->ik, KX_IK_BYTES),
				    "pinned", m->id == a->self ? "self" : kxd_pin_name(pin), "self",
				    m->id == a->self));
	}
	return json_pack("{s:s, s:I, s:i, s:o, s:s?}", "event", "roster", "epoch",
			 (json_int_t)r->epoch, "host", r->host, "participants", list, "group_code",
			 a->have_secret && a->group_code[0] ? a->group_code : NULL);
}

void kxd_emit_roster(struct app *a)
{
	kxd_emit(a, KX_CTL_EV_ROSTER, roster_json(a));
}

/* A host's command: answered with a refusal unless this room hosts a meeting. */
static bool hosting(struct app *a, int client, const struct kx_ctl_cmd *cmd, const char *refusal)
{
	if (a->host && a->state == ST_MEETING)
		return true;
	kx_ctl_reply(a->ctl, client, cmd, -EPERM, refusal, NULL);
	return false;
}

void kxd_on_request(void *user, int client, const struct kx_ctl_cmd *cmd)
{
	struct app *a = user;
	struct peer *p;
	int ret = 0;

	switch (cmd->type) {
	case KX_CTL_SUBSCRIBE:
		/* A media daemon that starts late gets the keys held now that no
		 * subscriber got yet; keys handed once are never handed again
		 * (PROTOCOL.md 6.8): a restarted media daemon would start their
		 * replay windows afresh and its sender its counters. */
		if (cmd->events & KX_CTL_EV_KEYS) {
			bool withheld = false, send_given = false;

			for (size_t j = 0; j < KEYS_MAX; j++) {
				char hex[2 * KX_SECRET_BYTES + 1], *text;
				json_t *ev;

				if (!a->keys[j].used)
					continue;
				if (a->keys[j].handed) {
					withheld |= a->chain->started &&
						    a->keys[j].epoch == a->chain->roster.epoch;
					continue;
				}
				sodium_bin2hex(hex, sizeof(hex), a->sec->media[j], KX_SECRET_BYTES);
				ev = json_pack("{s:s, s:s, s:I, s:s, s:s}", "event", "media-key",
					       "action", "install", "kid",
					       (json_int_t)a->keys[j].kid, "usage",
					       a->keys[j].send ? "send" : "receive", "key", hex);
				sodium_memzero(hex, sizeof(hex));
				text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
				if (text && kx_ctl_send(a->ctl, client, text) == 0) {
					a->keys[j].handed = true;
					send_given |= a->keys[j].send &&
						       a->keys[j].epoch == a->send_epoch;
				}
				if (text)
					sodium_memzero(text, strlen(text));
				kx_ctl_json_free(text);
				json_decref(ev);
			}
			/* The send KID only with its key. */
			for (unsigned int t = 0;
			     send_given && a->sending && kxd_media_allowed(a) && t < STREAMS; t++) {
				char *text;
				json_t *ev = json_pack(
				    "{s:s, s:I}", "event", "send-kid", "kid",
				    (json_int_t)kx_media_kid(t, (uint16_t)a->self, a->send_epoch));

				text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
				if (text)
					kx_ctl_send(a->ctl, client, text);
				kx_ctl_json_free(text);
				json_decref(ev);
			}
			if (withheld)
				kxd_keys_withheld(a, a->chain->roster.epoch);
		}
		if (cmd->events & KX_CTL_EV_STATE) {
			json_t *ev = json_pack(
			    "{s:s, s:s, s:s, s:I}", "event", "state", "state",
			    kxd_state_names[a->state], "meeting", a->meeting_name, "epoch",
			    (json_int_t)(a->chain->started ? a->chain->roster.epoch : 0));
			char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

			if (text)
				kx_ctl_send(a->ctl, client, text);
			kx_ctl_json_free(text);
			json_decref(ev);
		}
		return;
	case KX_CTL_SET_ROOM_NAME:
	case KX_CTL_SET_SERVICE:
	case KX_CTL_RESET_IDENTITY:
		kxd_on_settings_request(a, client, cmd);
		return;
	case KX_CTL_CHECK_PIN:
		kxd_on_check_pin(a, client, cmd);
		return;
	case KX_CTL_SET_ADMIN_PIN:
		kxd_set_admin_pin(a, client, cmd);
		return;
	case KX_CTL_JOIN:
		if (a->state == ST_LOBBY || a->state == ST_MEETING) {
			kx_ctl_reply(a->ctl, client, cmd, -EBUSY, "already in a meeting", NULL);
			return;
		}
		/* A meeting name is a relay room name: keep it to a safe alphabet. */
		for (const char *c = cmd->meeting; *c; c++)
			if (!strchr(
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
				*c)) {
				kx_ctl_reply(a->ctl, client, cmd, -EINVAL,
					     "meeting names are letters, digits, - _ .", NULL);
				return;
			}
		/* Without a name: the room's name (set-room-name). */
		if (!cmd->name[0] && !a->room_name[0]) {
			kx_ctl_reply(a->ctl, client, cmd, -EINVAL,
				     "no name: give one, or set the room's name (set-room-name)",
				     NULL);
			return;
		}
		if (cmd->name[0] && !kx_display_name_valid(cmd->name, strlen(cmd->name))) {
			kx_ctl_reply(a->ctl, client, cmd, -EINVAL,
				     "a name is 1 to 64 bytes of UTF-8 without control or format "
				     "characters",
				     NULL);
			return;
		}
		a->have_code = false;
		a->meeting_code[0] = 0;
		a->hellos_refused = 0;
		a->host_trust = TRUST_NONE;
		if (cmd->code[0]) {
			/* The meeting code a person typed (or a link carried): hellos
			 * must answer it (PROTOCOL.md 2.1). */
			if (kx_meeting_code_parse(cmd->code, a->code)) {
				kx_ctl_reply(a->ctl, client, cmd, -EINVAL,
					     "a meeting code is five proquints joined by -", NULL);
				return;
			}
			a->have_code = true;
			kx_meeting_code_text(a->code, a->meeting_code); /* canonical spelling */
		} else if (cmd->host) {
			/* The host's meeting id names its IK: its code is what people
			 * type to join (one Argon2id run now). */
			if (kx_meeting_id_new(a->id.ik, a->meeting)) {
				kx_ctl_reply(a->ctl, client, cmd, -ENOMEM,
					     "cannot draw a meeting id", NULL);
				return;
			}
			kx_meeting_code_text(a->meeting, a->meeting_code);
		}
		kx_chain_init(a->chain);
		a->host_left = false;
		a->end_state = ST_IDLE;
		a->batch_at = 0;
		memset(a->peers, 0, sizeof(a->peers));
		memset(a->peer_slot, 0, sizeof(a->peer_slot));
		a->n_barred = 0;
		a->hosting_since_ms = 0;
		a->have_hello = a->have_secret = false;
		a->self = -1;
		a->host = cmd->host;
		strcpy(a->meeting_name, cmd->meeting);
		strcpy(a->display_name, cmd->name[0] ? cmd->name : a->room_name);
		if (a->have_ek)
			kx_ek_free(&a->ek);
		ret = kx_ek_generate(&a->ek); /* fresh for every meeting */
		a->have_ek = !ret;
		kx_ws_free(a->ws); /* none after a teardown; never two */
		a->ws = NULL;
		a->backoff_ms = 0;
		if (!ret)
			ret = kxd_relay_connect(a); /* under way; the loop finishes it */
		if (ret) {
			kx_ctl_reply(a->ctl, client, cmd, ret, "cannot reach the relay", NULL);
			return;
		}
		a->state = ST_LOBBY;
		kxd_emit_state(a);
		if (a->meeting_code[0]) {
			char extra[64];

			snprintf(extra, sizeof(extra), "{\"meeting_code\":\"%s\"}",
				 a->meeting_code);
			kx_ctl_reply(a->ctl, client, cmd, 0, NULL, extra);
			return;
		}
		break;
	case KX_CTL_ADMIT:
	case KX_CTL_DENY:
		p = kxd_peer_get(a, (uint16_t)cmd->participant, false);
		if (!hosting(a, client, cmd, "only the host admits"))
			return;
		if (!p || !p->knocked) {
			kx_ctl_reply(a->ctl, client, cmd, -ENOENT, "no such knock", NULL);
			return;
		}
		if (cmd->type == KX_CTL_DENY) {
			/* The knocker is told, signed and bound to its knock. */
			ret = kxd_send_deny(a, p);
			/* Spent: the denied knock and any earlier one of this knocker,
			 * replayed, is refused (PROTOCOL.md 6.1). */
			if (p->ann.time_ms > p->spent_ms)
				p->spent_ms = p->ann.time_ms;
			p->denied = true;
			memcpy(p->denied_hash, p->knock_hash, KX_HASH_BYTES);
			kxd_knock_drop(a, p);
			break;
		}
		if (p->cw_pending) {
			kx_ctl_reply(a->ctl, client, cmd, -EAGAIN,
				     "the knock's codeword is not shown yet", NULL);
			return;
		}
		/* The knock the person saw, by its hash or codeword, must still be
		 * the one held: the relay may have replaced it since it was shown. */
		if (cmd->knock[0] && !kxd_knock_named(p, cmd->knock)) {
			kx_ctl_reply(a->ctl, client, cmd, -ESTALE,
				     "the knock was replaced since it was shown", NULL);
			return;
		}
		if (cmd->codeword[0] && strcmp(cmd->codeword, p->codeword)) {
			kx_ctl_reply(a->ctl, client, cmd, -EKEYREJECTED,
				     "the knock's codeword is no longer the one given", NULL);
			return;
		}
		/* Removed from this meeting: only a person who compared the
		 * codeword brings it back (PROTOCOL.md 6.4). */
		if (p->barred && !cmd->codeword[0]) {
			kx_ctl_reply(a->ctl, client, cmd, -EACCES,
				     "removed from this meeting: admit it again by its codeword",
				     NULL);
			return;
		}
		for (unsigned int i = 0; p->barred && i < a->n_barred; i++)
			if (!memcmp(a->barred[i], p->ann.ik, KX_IK_BYTES))
				memcpy(a->barred[i], a->barred[--a->n_barred], KX_IK_BYTES);
		p->barred = false;
		/* A person admitted this knock: now, not before, its key is pinned
		 * (a changed one replaced knowingly). */
		ret = kxd_pin_confirmed(a, p->ann.device, p->ann.ik);
		if (!ret)
			kxd_admit_later(a, p); /* one epoch for the admissions of a second */
		break;
	case KX_CTL_VERIFY:
		/* A slot only for a member or a knock: ids of nobody take none. */
		p = kxd_peer_get(a, (uint16_t)cmd->participant,
				 a->chain->started &&
				     kx_roster_find(&a->chain->roster, (uint16_t)cmd->participant));
		if (!p) {
			kx_ctl_reply(a->ctl, client, cmd, -ENOENT, "no such participant", NULL);
			return;
		}
		{
			const struct kx_member *m =
			    a->chain->started ? kx_roster_find(&a->chain->roster, p->id) : NULL;

			if (!m && !p->knocked) {
				kx_ctl_reply(a->ctl, client, cmd, -ENOENT, "no such participant",
					     NULL);
				return;
			}
			memcpy(p->verified_ik, m ? m->ik : p->ann.ik, KX_IK_BYTES);
			p->verified = true;
			/* A person compared this key: the one act that pins it (or
			 * re-pins a changed one, knowingly). */
			if (m && m->id != a->self)
				ret = kxd_pin_confirmed(a, m->device, m->ik);
			if (!ret && m && !a->host && m->id == a->chain->roster.host)
				kxd_host_verified(a);
		}
		if (a->chain->started)
			kxd_emit_roster(a);
		break;
	case KX_CTL_LEAVE:
		if (a->state != ST_LOBBY && a->state != ST_MEETING) {
			kx_ctl_reply(a->ctl, client, cmd, -ENOTCONN, "not in a meeting", NULL);
			return;
		}
		kxd_leave_meeting(a);
		break;
	case KX_CTL_REMOVE:
		if (!hosting(a, client, cmd, "only the host removes"))
			return;
		ret = kxd_host_remove(a, (uint16_t)cmd->participant);
		if (ret == -ENOENT) {
			kx_ctl_reply(a->ctl, client, cmd, ret, "no such member", NULL);
			return;
		}
		break;
	case KX_CTL_END:
		if (!hosting(a, client, cmd, "only the host ends the meeting"))
			return;
		kxd_end_meeting(a);
		break;
	case KX_CTL_REKEY:
		if (!hosting(a, client, cmd, "only the host rekeys"))
			return;
		ret = kxd_host_next_epoch(a, KX_NO_PARTICIPANT, true);
		break;
	case KX_CTL_STATUS: {
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:i, s:b}", "state", kxd_state_names[a->state],
			      "meeting", a->meeting_name, "codeword", a->codeword, "participant",
			      a->self, "host", a->host);
		json_t *keys = json_array();
		char *text;

		if (a->chain->started) {
			json_t *r = roster_json(a);

			json_object_set(o, "epoch", json_object_get(r, "epoch"));
			json_object_set(o, "participants", json_object_get(r, "participants"));
			if (json_object_get(r, "group_code"))
				json_object_set(o, "group_code", json_object_get(r, "group_code"));
			json_decref(r);
		}
		for (size_t j = 0; j < KEYS_MAX; j++)
			if (a->keys[j].used)
				json_array_append_new(
				    keys, json_pack("{s:I, s:I, s:s, s:s}", "kid",
						    (json_int_t)a->keys[j].kid, "epoch",
						    (json_int_t)a->keys[j].epoch, "usage",
						    a->keys[j].send ? "send" : "receive", "fp",
						    a->keys[j].fp));
		json_object_set_new(o, "keys", keys);
		json_object_set_new(o, "have_secret", json_boolean(a->have_secret));
		/* The settings (kxd_settings.c): what the panel's Settings show. */
		json_object_set_new(o, "service", json_string(a->service));
		if (a->room_name[0])
			json_object_set_new(o, "room_name", json_string(a->room_name));
		json_object_set_new(o, "keys_waiting", json_boolean(a->keys_waiting));
		/* The admin PIN's checks (kxd_pin.c): made, refused by the rate,
		 * and control clients dropped for queueing too much (kx_ctl). */
		json_object_set_new(o, "pin_checks", json_integer((json_int_t)a->pin_checks));
		json_object_set_new(o, "pin_checks_refused",
				    json_integer((json_int_t)a->pin_checks_refused));
		json_object_set_new(o, "clients_dropped",
				    json_integer((json_int_t)kx_ctl_dropped(a->ctl)));
		if (a->meeting_code[0])
			json_object_set_new(o, "meeting_code", json_string(a->meeting_code));
		/* A knocker shows the host it knocked to, for the people to compare. */
		if (!a->host && (a->have_hello || a->chain->started)) {
			const struct kx_roster *hr =
			    a->chain->started ? &a->chain->roster : &a->hello->u.roster;
			const struct kx_member *h = kx_roster_find(hr, hr->host);

			json_object_set_new(o, "host_participant", json_integer(h->id));
			json_object_set_new(o, "host_codeword", json_string(kxd_word_of(a, h->ik)));
		}
		/* Media: sending, or held back until the host is confirmed (6.5). */
		json_object_set_new(o, "host_trust",
				    json_string(a->host ? "self" : kxd_trust_names[a->host_trust]));
		json_object_set_new(o, "sending", json_boolean(a->sending && kxd_media_allowed(a)));
		json_object_set_new(o, "send_held",
				    json_boolean(a->sending && !kxd_media_allowed(a)));
		/* A member's sync with its host (PROTOCOL.md 6.6). */
		json_object_set_new(o, "sync", json_string(kxd_sync_names[a->sync]));
		if (a->sync != SYNC_OK)
			json_object_set_new(o, "sync_reason", json_string(a->sync_why));
		json_object_set_new(o, "heartbeats_refused", json_integer((json_int_t)a->heartbeats_refused));
		json_object_set_new(o, "relay",
				    json_string(kxd_relay_open(a) ? "open"
						: a->ws		  ? "connecting"
								  : "down"));
		if (a->host) {
			json_t *lobby = json_array();

			for (size_t i = 0; i < KX_MAX_MEMBERS; i++) {
				const struct peer *k = &a->peers[i];

				char hash[2 * KX_HASH_BYTES + 1];

				if (!k->used || !k->knocked)
					continue;
				sodium_bin2hex(hash, sizeof(hash), k->knock_hash, KX_HASH_BYTES);
				json_array_append_new(
				    lobby, json_pack("{s:i, s:s, s:s, s:b, s:b, s:b}",
						     "participant", k->id, "knock", hash,
						     "codeword", k->cw_pending ? "" : k->codeword,
						     "shown", !k->cw_pending, "admitted",
						     k->admit_pending, "barred", k->barred));
			}
			json_object_set_new(o, "lobby", lobby);
			json_object_set_new(o, "knocks_refused",
					    json_integer((json_int_t)a->knocks_refused));
			json_object_set_new(o, "stale_refused",
					    json_integer((json_int_t)a->stale_refused));
			json_object_set_new(o, "leaves_refused",
					    json_integer((json_int_t)a->leaves_refused));
			json_object_set_new(o, "codewords_computed",
					    json_integer((json_int_t)a->cw.computed));
			json_object_set_new(o, "rekey_requests",
					    json_integer((json_int_t)a->rekey_requests));
			json_object_set_new(o, "rekey_requests_refused",
					    json_integer((json_int_t)a->rekey_requests_refused));
			json_object_set_new(o, "rekeys_on_request",
					    json_integer((json_int_t)a->rekeys_on_request));
		}
		text = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		kx_ctl_reply(a->ctl, client, cmd, 0, NULL, text);
		kx_ctl_json_free(text);
		return;
	}
	default:
		break;
	}
	kx_ctl_reply(a->ctl, client, cmd, ret, ret ? strerror(-ret) : NULL, NULL);
}
