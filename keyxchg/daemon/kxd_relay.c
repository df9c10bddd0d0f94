// SPDX-License-Identifier: MIT
/*
 * keyxchgd's link to the untrusted relay (PROTOCOL.md 11.1): the envelope
 * (send to one participant or all), signing and sending messages, the host's
 * roster history for resends, the relay's events (welcome, presence, message)
 * dispatched by type to the host and member code, and the connection itself
 * (stepwise connect, backoff, reconnect, the last flush before leaving). It
 * trusts the envelope with nothing: every check uses the signed fields.
 */
#define _GNU_SOURCE
#include "keyxchgd.h"

/* The relay connection is open (not absent, not still connecting). */
bool kxd_relay_open(const struct app *a)
{
	return a->ws && a->ws_open;
}

int kxd_send_body(struct app *a, int to, const char *json)
{
	char *env;
	int n, ret;

	if (!kxd_relay_open(a))
		return -ENOTCONN;
	n = to < 0 ? asprintf(&env, "{\"type\":\"send\",\"to\":\"*\",\"body\":%s}", json)
		   : asprintf(&env, "{\"type\":\"send\",\"to\":\"p%d\",\"body\":%s}", to, json);
	if (n < 0)
		return -ENOMEM;
	ret = kx_ws_send(a->ws, env, (size_t)n);
	free(env);
	return ret;
}

int kxd_send_msg(struct app *a, int to, struct kx_msg *m, bool sign)
{
	static char json[KX_JSON_MAX];
	size_t len;
	int ret;

	if (sign && (ret = kx_msg_sign(m, &a->id)))
		return ret;
	ret = kx_msg_to_json(m, json, sizeof(json), &len);
	if (ret)
		return ret;
	return kxd_send_body(a, to, json);
}

void kxd_history_add(struct app *a, const struct kx_msg *m)
{
	static char json[KX_JSON_MAX];
	size_t len, slot = m->u.roster.epoch % HISTORY;

	if (kx_msg_to_json(m, json, sizeof(json), &len))
		return;
	free(a->history[slot]);
	a->history[slot] = strdup(json);
	a->history_epoch[slot] = m->u.roster.epoch;
}

static int parse_pid(const char *s)
{
	char *end;
	long v;

	if (!s || s[0] != 'p')
		return -1;
	v = strtol(s + 1, &end, 10);
	return (*end || v < 0 || v >= KX_NO_PARTICIPANT) ? -1 : (int)v;
}

void kxd_on_relay_message(void *user, const char *text, size_t len)
{
	struct app *a = user;
	/* Duplicated keys are refused anywhere (PROTOCOL.md 4.1), the body too. */
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *body;
	const char *type = json_string_value(json_object_get(o, "type"));

	if (!type)
		goto out;
	if (!strcmp(type, "welcome")) {
		int me = parse_pid(json_string_value(json_object_get(o, "you")));

		if (me < 0)
			goto out;
		if (a->self >= 0 && me != a->self) {
			kxd_warn_event(a, "the relay gave us id p%d, not p%d: leaving", me,
				       a->self);
			a->end_state = ST_LEFT;
			goto out;
		}
		a->self = me;
		a->backoff_ms = 0;
		/* Our own outage is not the host's silence: count again from now. */
		if (!a->host)
			a->host_seen = kxd_now_ms();
		if (a->host && !a->chain->started) {
			json_t *who = json_object_get(o, "participants"), *w;
			size_t i;

			/* The host hello also to those who came before the host. */
			if (!kxd_host_start(a))
				json_array_foreach(who, i, w)
				{
					int pid = parse_pid(json_string_value(w));

					if (pid >= 0 && pid != a->self)
						kxd_send_body(
						    a, pid,
						    a->history[a->chain->roster.epoch % HISTORY]);
				}
		} else if (a->host)
			kxd_send_body(a, -1, a->history[a->chain->roster.epoch % HISTORY]);
		else if (!a->chain->started && a->have_hello)
			kxd_knock(a);
	} else if (!strcmp(type, "presence")) {
		int pid = parse_pid(json_string_value(json_object_get(o, "participant")));
		const char *ev = json_string_value(json_object_get(o, "event"));

		if (pid < 0 || !ev || !a->host || !a->chain->started)
			goto out;
		if (!strcmp(ev, "joined")) {
			/* The host hello: the current roster, to the newcomer. */
			kxd_send_body(a, pid, a->history[a->chain->roster.epoch % HISTORY]);
		} else if (!strcmp(ev, "left")) {
			struct peer *p = kxd_peer_get(a, (uint16_t)pid, false);

			/* Unsigned: a hint, never a removal (PROTOCOL.md 6.4). A knock
			 * goes (the relay can withhold it anyway); a member stays until
			 * its signed leave or the host's `remove`, and the panel is told. */
			if (p && p->knocked)
				kxd_knock_drop(a, p);
			if (kx_roster_find(&a->chain->roster, (uint16_t)pid)) {
				kxd_logmsg("the relay says p%d left: a hint, p%d stays a member",
					   pid, pid);
				kxd_emit(a, KX_CTL_EV_ROSTER,
					 json_pack("{s:s, s:i, s:s}", "event", "presence",
						   "participant", pid, "presence", "left"));
			}
		}
	} else if (!strcmp(type, "message")) {
		int from = parse_pid(json_string_value(json_object_get(o, "from")));
		const char *mtype;
		char *btext;

		body = json_object_get(o, "body");
		mtype = json_string_value(json_object_get(body, "type"));
		if (from < 0 || !mtype)
			goto out;
		btext = json_dumps(body, JSON_COMPACT);
		if (!btext)
			goto out;
		if (!strcmp(mtype, "announce") && a->host && a->chain->started)
			kxd_on_announce(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "roster"))
			kxd_on_roster(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "epoch_key"))
			kxd_on_epoch_key(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "ack") && a->host)
			kxd_on_ack(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "ack") && a->chain->started)
			kxd_on_host_ack(a, btext, strlen(btext));
		else if (!strcmp(mtype, "leave") && a->chain->started)
			kxd_on_leave(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "deny"))
			kxd_on_deny(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "end"))
			kxd_on_end(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "rekey_request") && a->host && a->chain->started)
			kxd_on_rekey_request(a, from, btext, strlen(btext));
		kx_ctl_json_free(btext);
	}
out:
	json_decref(o);
}

/* The next connection attempt after the backoff (200 ms doubling to 5 s). */
static void relay_retry(struct app *a, const char *detail, int ret)
{
	a->backoff_ms = a->backoff_ms ? (a->backoff_ms * 2 > 5000 ? 5000 : a->backoff_ms * 2) : 200;
	a->reconnect_at = kxd_now_ms() + a->backoff_ms;
	kxd_logmsg("relay: %s (%s); again in %d ms", detail ? detail : "cannot connect",
		   strerror(-ret), a->backoff_ms);
}

/*
 * Drives the connection under way as far as it goes without blocking
 * (keyxchg/net/README.md): the loop keeps answering the control socket while
 * a slow or mute relay holds the TCP connect, TLS handshake or upgrade, each
 * bounded by the 5 s of the attempt.
 */
void kxd_relay_step(struct app *a)
{
	const char *detail = NULL;
	int ret = kx_ws_connect_step(a->ws, &detail);

	if (ret == -EINPROGRESS)
		return;
	if (ret) {
		kx_ws_free(a->ws);
		a->ws = NULL;
		relay_retry(a, detail, ret);
		return;
	}
	a->ws_open = true;
	a->reconnect_at = 0;
	kxd_logmsg("relay: connected");
}

/* Starts a connection; 0 when under way (relay_step finishes it), or -errno. */
int kxd_relay_connect(struct app *a)
{
	char path[KX_WS_URL_MAX + KX_CTL_TEXT_MAX + 32];
	struct kx_ws_config cfg = {a->relay_host, a->relay_port, path, a->ca, 5000};
	const char *detail = NULL;
	int ret;

	if (a->self >= 0)
		snprintf(path, sizeof(path), "%s/v1/rooms/%s?id=%d", a->relay_path,
			 a->meeting_name, a->self);
	else
		snprintf(path, sizeof(path), "%s/v1/rooms/%s", a->relay_path, a->meeting_name);
	a->ws_open = false;
	ret = kx_ws_connect_start(&cfg, &a->ws, &detail); /* copies what it needs of cfg */
	if (ret) {
		relay_retry(a, detail, ret);
		return ret;
	}
	a->reconnect_at = 0;
	kxd_relay_step(a);
	return 0;
}

void kxd_relay_lost(struct app *a)
{
	kx_ws_free(a->ws);
	a->ws = NULL;
	a->ws_open = false;
	if (a->state == ST_LOBBY || a->state == ST_MEETING) {
		a->backoff_ms = a->backoff_ms ? a->backoff_ms : 200;
		a->reconnect_at = kxd_now_ms() + a->backoff_ms;
		kxd_logmsg("relay: connection lost; reconnecting");
	}
}

/* The last message out before the connection closes (at most 1 s). */
void kxd_relay_flush(struct app *a)
{
	for (int i = 0; i < 20 && kxd_relay_open(a) && kx_ws_wants_write(a->ws); i++) {
		struct pollfd p = {.fd = kx_ws_fd(a->ws), .events = POLLOUT};

		poll(&p, 1, 50);
		if (kx_ws_pump(a->ws, kxd_on_relay_message, a))
			break;
	}
}
