// SPDX-License-Identifier: MIT
/* keyxchgd's reports into the panel's state (panel/model.h). */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "panel/model.h"
#include "wm/label.h"

static bool copy_codeword(char out[static E2EE_CODEWORD_SIZE], const char *in)
{
	return in && !wm_codeword_format(in, out);
}

/* A name as PROTOCOL.md 2 allows it, roughly: UTF-8, 1..64 bytes, no controls. */
static bool copy_name(char out[static PANEL_NAME_MAX], const char *in)
{
	size_t n = in ? strlen(in) : 0;

	if (!n || n >= PANEL_NAME_MAX || !g_utf8_validate(in, (gssize)n, NULL))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			return false;
	memcpy(out, in, n + 1);
	return true;
}

/* keyxchgd's reason as one line of text: valid UTF-8, controls as spaces, cut at a character. */
static void copy_reason(char out[static PANEL_REASON_MAX], const char *in)
{
	const char *end;
	size_t n;

	out[0] = '\0';
	if (!in)
		return;
	if (!g_utf8_validate(in, -1, &end)) {
		snprintf(out, PANEL_REASON_MAX, "(keyxchgd's reason is not text)");
		return;
	}
	n = strlen(in);
	if (n >= PANEL_REASON_MAX) {
		/* The last whole character that fits. */
		end = g_utf8_find_prev_char(in, in + PANEL_REASON_MAX);
		n = end ? (size_t)(end - in) : 0;
	}
	memcpy(out, in, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
}

/* keyxchgd's sync and reason (the event's "reason", status's "sync_reason"). */
static void apply_sync(struct panel_state *st, json_t *sync, const char *reason)
{
	const char *s = json_string_value(sync);

	if (!sync) /* status without it: not in a meeting, or the host: nothing stopped */
		s = "in-sync";
	st->sync = s && !strcmp(s, "in-sync") ? PANEL_SYNC_OK
		   : s && !strcmp(s, "split") ? PANEL_SYNC_SPLIT
					      : PANEL_SYNC_OUT;
	if (st->sync == PANEL_SYNC_OK)
		st->sync_reason[0] = '\0';
	else if (!s || (strcmp(s, "out-of-sync") && strcmp(s, "split")))
		snprintf(st->sync_reason, sizeof(st->sync_reason),
			 "keyxchgd reported a sync state this panel does not know");
	else
		copy_reason(st->sync_reason, reason);
}

static bool hex64(const char *s)
{
	if (!s || strlen(s) != PANEL_KNOCK_HEX - 1)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int participant_of(json_t *o)
{
	json_t *id = json_object_get(o, "participant");

	if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) > 65534)
		return -1;
	return (int)json_integer_value(id);
}

static enum panel_trust trust_of(const char *pinned, bool verified)
{
	if (pinned && !strcmp(pinned, "changed"))
		return PANEL_T_CHANGED; /* even if verified before: the key is not that one */
	if (verified)
		return PANEL_T_VERIFIED;
	return pinned && !strcmp(pinned, "same") ? PANEL_T_SAME : PANEL_T_NEW;
}

/* keyxchgd's participants (a roster event's, a status reply's) as the people
 * shown. False when refused: one participant named twice (which entry is it?
 * neither: nothing of the list is taken, no one is shown, the card says why). */
static bool apply_people(struct panel_state *st, json_t *list)
{
	struct panel_person people[PANEL_MAX_PEOPLE];
	size_t i, n = 0;
	json_t *p;

	if (!json_is_array(list))
		return true;
	json_array_foreach(list, i, p)
	{
		struct panel_person *x = &people[n];
		const char *pinned = json_string_value(json_object_get(p, "pinned"));
		const char *role = json_string_value(json_object_get(p, "role"));
		int id = participant_of(p);

		if (n == PANEL_MAX_PEOPLE)
			break;
		memset(x, 0, sizeof(*x));
		if (id < 0 || !copy_codeword(x->codeword, json_string_value(json_object_get(p, "codeword"))))
			continue;
		for (size_t j = 0; j < n; j++)
			if (people[j].id == (uint32_t)id) {
				memset(st->people, 0, sizeof(st->people));
				st->n_people = 0;
				st->roster_refused = true;
				return false;
			}
		x->id = (uint32_t)id;
		if (!copy_name(x->name, json_string_value(json_object_get(p, "name"))))
			x->name[0] = '\0';
		x->self = json_is_true(json_object_get(p, "self")) || (pinned && !strcmp(pinned, "self"));
		x->host = role && !strcmp(role, "host");
		x->trust = trust_of(pinned, json_is_true(json_object_get(p, "verified")));
		n++;
	}
	memset(st->people, 0, sizeof(st->people));
	memcpy(st->people, people, n * sizeof(people[0]));
	st->n_people = n;
	st->roster_refused = false;
	for (size_t j = 0; j < n; j++)
		if (people[j].self) {
			memcpy(st->own_codeword, people[j].codeword, sizeof(st->own_codeword));
			st->host = people[j].host;
		}
	/* Knocks of participants now in the roster were admitted: no dialog for them. */
	for (size_t k = 0; k < st->n_knocks;) {
		bool in = false;

		for (size_t j = 0; j < st->n_people; j++)
			in |= st->people[j].id == st->knocks[k].participant;
		if (in) {
			memmove(&st->knocks[k], &st->knocks[k + 1],
				(st->n_knocks - k - 1) * sizeof(st->knocks[0]));
			st->n_knocks--;
		} else {
			k++;
		}
	}
	return true;
}

static void apply_knock(struct panel_state *st, json_t *o)
{
	struct panel_knock k = { 0 };
	const char *hash = json_string_value(json_object_get(o, "knock"));
	int id = participant_of(o);
	size_t at;

	if (id < 0 || !hex64(hash) || json_is_true(json_object_get(o, "auto")))
		return;
	k.participant = (uint32_t)id;
	memcpy(k.knock, hash, sizeof(k.knock));
	if (!copy_name(k.name, json_string_value(json_object_get(o, "name"))))
		k.name[0] = '\0';
	/* An empty codeword: still being derived; the dialog shows it and keeps Admit off. */
	if (!copy_codeword(k.codeword, json_string_value(json_object_get(o, "codeword"))))
		k.codeword[0] = '\0';
	k.trust = trust_of(json_string_value(json_object_get(o, "pinned")), false);
	k.barred = json_is_true(json_object_get(o, "barred"));
	/* A participant knocking again replaces what was shown (admit names the new one). */
	for (at = 0; at < st->n_knocks && st->knocks[at].participant != k.participant; at++)
		;
	if (at == PANEL_MAX_KNOCKS)
		return;
	if (at == st->n_knocks)
		st->n_knocks++;
	st->knocks[at] = k;
}

static enum panel_meeting meeting_of(const char *s, enum panel_meeting was)
{
	static const struct {
		const char *name;
		enum panel_meeting m;
	} names[] = {
		{ "idle", PANEL_M_IDLE },     { "lobby", PANEL_M_LOBBY },   { "in-meeting", PANEL_M_IN },
		{ "left", PANEL_M_LEFT },     { "denied", PANEL_M_DENIED }, { "ended", PANEL_M_ENDED },
		{ "equivocation", PANEL_M_SPLIT },
	};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].m;
	return was;
}

static void set_meeting(struct panel_state *st, enum panel_meeting m)
{
	if (m != PANEL_M_IN && m != PANEL_M_LOBBY) {
		st->n_people = st->n_knocks = 0;
		st->roster_refused = false;
		st->group_code[0] = st->host_codeword[0] = st->meeting_code[0] = '\0';
		st->sync = PANEL_SYNC_OK;
		st->sync_reason[0] = '\0';
	}
	st->meeting = m;
}

bool panel_model_apply(struct panel_state *st, json_t *msg, bool is_status)
{
	struct panel_state was = *st;
	const char *event = json_string_value(json_object_get(msg, "event"));
	const char *s;

	if (is_status) {
		if (!json_is_true(json_object_get(msg, "ok")))
			return false;
		set_meeting(st, meeting_of(json_string_value(json_object_get(msg, "state")),
					   st->meeting));
		if (!copy_codeword(st->own_codeword, json_string_value(json_object_get(msg, "codeword"))))
			st->own_codeword[0] = '\0';
		st->host = json_is_true(json_object_get(msg, "host"));
		/* The settings are keyxchgd's (set on the Settings page): its word
		 * replaces what the screen was started with (--room-name, --service).
		 * Without one (none set) the screen's own stays. */
		(void)copy_name(st->room_name, json_string_value(json_object_get(msg, "room_name")));
		s = json_string_value(json_object_get(msg, "service"));
		if (s && strlen(s) < sizeof(st->service) && g_utf8_validate(s, -1, NULL))
			strcpy(st->service, s);
		s = json_string_value(json_object_get(msg, "relay"));
		st->relay = !s ? PANEL_R_UNKNOWN
			    : !strcmp(s, "open")       ? PANEL_R_OPEN
			    : !strcmp(s, "connecting") ? PANEL_R_CONNECTING
						       : PANEL_R_DOWN;
		/* Outside a meeting (never in one, or left, ended, denied) keyxchgd
		 * has no relay connection to speak of. */
		if (st->meeting != PANEL_M_IN && st->meeting != PANEL_M_LOBBY &&
		    st->meeting != PANEL_M_SPLIT && st->relay == PANEL_R_DOWN)
			st->relay = PANEL_R_UNKNOWN;
		if (st->meeting == PANEL_M_IN || st->meeting == PANEL_M_LOBBY) {
			/* A refused roster's group code is not taken either. */
			if (!apply_people(st, json_object_get(msg, "participants")) ||
			    !copy_codeword(st->group_code,
					   json_string_value(json_object_get(msg, "group_code"))))
				st->group_code[0] = '\0';
			if (!copy_codeword(st->host_codeword,
					   json_string_value(json_object_get(msg, "host_codeword"))))
				st->host_codeword[0] = '\0';
			s = json_string_value(json_object_get(msg, "meeting_code"));
			if (s && strlen(s) < sizeof(st->meeting_code))
				strcpy(st->meeting_code, s);
			apply_sync(st, json_object_get(msg, "sync"),
				   json_string_value(json_object_get(msg, "sync_reason")));
		}
	} else if (!event) {
		return false;
	} else if (!strcmp(event, "state")) {
		set_meeting(st, meeting_of(json_string_value(json_object_get(msg, "state")),
					   st->meeting));
	} else if (st->meeting != PANEL_M_IN && st->meeting != PANEL_M_LOBBY &&
		   (!strcmp(event, "roster") || !strcmp(event, "group-code") ||
		    !strcmp(event, "host"))) {
		/* Of no meeting this panel shows (a late one after the end, or one
		 * before the state that starts it: the status asked at each state
		 * event brings the meeting's own). */
	} else if (!strcmp(event, "roster")) {
		if (!apply_people(st, json_object_get(msg, "participants")) ||
		    !copy_codeword(st->group_code,
				   json_string_value(json_object_get(msg, "group_code"))))
			st->group_code[0] = '\0';
	} else if (!strcmp(event, "group-code")) {
		if (!copy_codeword(st->group_code, json_string_value(json_object_get(msg, "code"))))
			st->group_code[0] = '\0';
	} else if (!strcmp(event, "knock")) {
		apply_knock(st, msg);
	} else if (!strcmp(event, "host")) {
		if (!copy_codeword(st->host_codeword,
				   json_string_value(json_object_get(msg, "codeword"))))
			st->host_codeword[0] = '\0';
	} else if (!strcmp(event, "sync")) {
		/* Whether this room sends (PROTOCOL.md 6.6, 6.7): keyxchgd's word, in a
		 * meeting only (outside one nothing is sent anyway). */
		if (st->meeting == PANEL_M_IN || st->meeting == PANEL_M_LOBBY)
			apply_sync(st, json_object_get(msg, "sync") ? json_object_get(msg, "sync")
								    : json_null(),
				   json_string_value(json_object_get(msg, "reason")));
	}
	return memcmp(&was, st, sizeof(was)) != 0;
}

void panel_model_lost(struct panel_state *st)
{
	st->kx_up = false;
	st->relay = PANEL_R_UNKNOWN;
	set_meeting(st, PANEL_M_IDLE);
}
