// SPDX-License-Identifier: MIT
/* Janus videoroom client over kx_ws. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <jansson.h>

#include "kx_ws.h"
#include "rtc_janus.h"

#define KEEPALIVE_MS 15000 /* Janus's session_timeout is 60 s by default */
#define MAX_MESSAGE  (256u * 1024)

struct rtc_janus {
	struct kx_ws *ws;
	char *pin; /* the room's, or NULL: wiped at the end */
	uint64_t session;
	int timeout_ms;
	unsigned long next_tx;
	long long next_keepalive;
	/* The answer being waited for. */
	const char *want_tx;
	struct rtc_janus_msg got;
	bool have;
	bool bad; /* a message did not parse */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static uint64_t id_of(json_t *obj)
{
	json_t *id = json_object_get(obj, "id");

	return json_is_integer(id) && json_integer_value(id) > 0 ? (uint64_t)json_integer_value(id) : 0;
}

int rtc_janus_parse(const char *text, size_t len, struct rtc_janus_msg *m)
{
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *data, *pd, *jsep, *err;
	int ret = -EBADMSG;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(root) || !json_is_string(json_object_get(root, "janus")))
		goto out;
	copy(m->kind, sizeof(m->kind), json_string_value(json_object_get(root, "janus")));
	copy(m->transaction, sizeof(m->transaction),
	     json_string_value(json_object_get(root, "transaction")));
	data = json_object_get(root, "data");
	if (json_is_object(data))
		m->id = id_of(data);
	err = json_object_get(root, "error");
	if (json_is_object(err))
		copy(m->error, sizeof(m->error), json_string_value(json_object_get(err, "reason")));
	pd = json_object_get(json_object_get(root, "plugindata"), "data");
	if (json_is_object(pd)) {
		if (json_is_string(json_object_get(pd, "error")))
			copy(m->error, sizeof(m->error),
			     json_string_value(json_object_get(pd, "error")));
		if (!m->id)
			m->id = id_of(pd);
	}
	if (json_is_object(pd) && json_is_array(json_object_get(pd, "participants"))) {
		json_t *list = json_object_get(pd, "participants"), *e;
		size_t i;

		json_array_foreach(list, i, e) {
			struct rtc_janus_participant *p = &m->participants[m->n_participants];

			if (m->n_participants == RTC_JANUS_MAX_PARTICIPANTS)
				break;
			if (!json_is_object(e) || !(p->id = id_of(e)))
				continue;
			copy(p->display, sizeof(p->display),
			     json_string_value(json_object_get(e, "display")));
			p->publisher = json_is_true(json_object_get(e, "publisher"));
			m->n_participants++;
		}
	}
	jsep = json_object_get(root, "jsep");
	if (json_is_object(jsep) && json_is_string(json_object_get(jsep, "sdp"))) {
		copy(m->jsep_type, sizeof(m->jsep_type),
		     json_string_value(json_object_get(jsep, "type")));
		m->sdp = strdup(json_string_value(json_object_get(jsep, "sdp")));
		if (!m->sdp)
			goto out;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

void rtc_janus_msg_clear(struct rtc_janus_msg *m)
{
	free(m->sdp);
	memset(m, 0, sizeof(*m));
}

static void on_message(void *user, const char *text, size_t len)
{
	struct rtc_janus *j = user;
	struct rtc_janus_msg m;

	if (rtc_janus_parse(text, len, &m)) {
		j->bad = true;
		return;
	}
	/* The answer to the request waited for; acks are not answers. Other
	 * events (webrtcup, media, publishers joining) are not needed here. */
	if (j->want_tx && !j->have && !strcmp(m.transaction, j->want_tx) &&
	    strcmp(m.kind, "ack")) {
		j->got = m;
		j->have = true;
		return;
	}
	rtc_janus_msg_clear(&m);
}

static int pump(struct rtc_janus *j, int timeout_ms, const char **why)
{
	struct pollfd pfd = { .fd = kx_ws_fd(j->ws), .events = POLLIN };
	int t = kx_ws_timeout_ms(j->ws);

	if (kx_ws_wants_write(j->ws))
		pfd.events |= POLLOUT;
	if (t < timeout_ms)
		timeout_ms = t;
	if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR) {
		*why = "poll failed";
		return -errno;
	}
	if (kx_ws_pump(j->ws, on_message, j)) {
		/* Copied: kx_ws's reason may be its own buffer ("closed the
		 * connection (status N)"), freed with the connection, while the
		 * caller says why after rtc_janus_free (a failed connect frees it
		 * itself). Each thread's until its next failure here. */
		static __thread char reason[96];

		copy(reason, sizeof(reason), kx_ws_error(j->ws));
		*why = reason;
		return -ECONNRESET;
	}
	return 0;
}

static int send_json(struct rtc_janus *j, json_t *msg, char *tx, size_t txlen)
{
	char *text = NULL;
	size_t len;
	int ret = -ENOMEM;

	snprintf(tx, txlen, "t%lu", ++j->next_tx);
	json_object_set_new(msg, "transaction", json_string(tx));
	if (j->session)
		json_object_set_new(msg, "session_id", json_integer((json_int_t)j->session));
	/* Into our own buffer: jansson's allocator is the process's choice
	 * (roomd's key provider makes it a wiping one), not free()'s. */
	len = json_dumpb(msg, NULL, 0, JSON_COMPACT);
	if (len && (text = malloc(len)) && json_dumpb(msg, text, len, JSON_COMPACT) == len)
		ret = kx_ws_send(j->ws, text, len);
	json_decref(msg);
	free(text);
	if (ret == -ENOMEM)
		return ret;
	j->next_keepalive = now_ms() + KEEPALIVE_MS;
	return ret;
}

/* Janus's error text on stderr, escaped (g_strescape: newlines, terminal
 * escapes and every byte that is not printable ASCII as C escapes): it goes
 * into logs people read on a terminal. */
static void print_error(const char *text)
{
	gchar *e = g_strescape(text, NULL);

	fprintf(stderr, "rtc_janus: Janus says: %s\n", e);
	g_free(e);
}

/* Sends msg (consumed) and waits for its answer in *out (caller clears). */
static int call(struct rtc_janus *j, json_t *msg, struct rtc_janus_msg *out, const char **why)
{
	char tx[24];
	long long end = now_ms() + j->timeout_ms;
	int ret = send_json(j, msg, tx, sizeof(tx));

	if (ret) {
		*why = "cannot send to Janus";
		return ret;
	}
	j->want_tx = tx;
	j->have = false;
	while (!j->have) {
		long long left = end - now_ms();

		if (left <= 0) {
			*why = "Janus did not answer in time";
			ret = -ETIMEDOUT;
			break;
		}
		ret = pump(j, (int)left, why);
		if (ret)
			break;
	}
	j->want_tx = NULL;
	if (ret)
		return ret;
	*out = j->got;
	memset(&j->got, 0, sizeof(j->got));
	if (!strcmp(out->kind, "error") || out->error[0]) {
		*why = "Janus refused the request";
		print_error(out->error);
		return -EPROTO;
	}
	return 0;
}

int rtc_janus_connect(const struct rtc_janus_config *cfg, struct rtc_janus **out, const char **why)
{
	struct kx_ws_config wc = { cfg->host, cfg->port, "/", cfg->ca_file, cfg->timeout_ms };
	struct kx_ws_options opt = { .max_message = MAX_MESSAGE };
	struct rtc_janus *j = calloc(1, sizeof(*j));
	struct rtc_janus_msg m;
	json_t *msg;
	int ret;

	*out = NULL;
	if (!j)
		return -ENOMEM;
	j->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
	if (cfg->pin && !(j->pin = strdup(cfg->pin))) {
		free(j);
		return -ENOMEM;
	}
	ret = kx_ws_connect_start_protocol(&wc, "janus-protocol", &j->ws, why);
	if (!ret)
		while ((ret = kx_ws_connect_step(j->ws, why)) == -EINPROGRESS) {
			struct pollfd p = { kx_ws_fd(j->ws), kx_ws_connect_events(j->ws), 0 };

			poll(&p, 1, kx_ws_timeout_ms(j->ws));
		}
	if (ret)
		goto fail;
	kx_ws_set_options(j->ws, &opt);
	msg = json_pack("{s:s}", "janus", "create");
	ret = call(j, msg, &m, why);
	if (ret)
		goto fail;
	j->session = m.id;
	rtc_janus_msg_clear(&m);
	if (!j->session) {
		*why = "Janus gave no session id";
		ret = -EPROTO;
		goto fail;
	}
	*out = j;
	return 0;
fail:
	rtc_janus_free(j);
	return ret;
}

int rtc_janus_attach(struct rtc_janus *j, uint64_t *handle, const char **why)
{
	struct rtc_janus_msg m;
	int ret = call(j, json_pack("{s:s,s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"),
		       &m, why);

	if (!ret && !(*handle = m.id)) {
		*why = "Janus gave no handle id";
		ret = -EPROTO;
	}
	rtc_janus_msg_clear(&m);
	return ret;
}

static json_t *message(uint64_t handle, json_t *body, const char *jsep_type, const char *sdp)
{
	json_t *msg = json_pack("{s:s,s:I,s:o}", "janus", "message", "handle_id",
				(json_int_t)handle, "body", body);

	/* require_e2ee rooms take only publishers and subscribers whose jsep
	 * says e2ee (janus_videoroom.c); our payloads are SFrame. */
	if (sdp)
		json_object_set_new(msg, "jsep",
				    json_pack("{s:s,s:s,s:b}", "type", jsep_type, "sdp", sdp,
					      "e2ee", 1));
	return msg;
}

/* A call whose answer must carry a jsep of the given type. */
static int call_jsep(struct rtc_janus *j, json_t *msg, const char *type, struct rtc_janus_msg *m,
		     const char **why)
{
	int ret = call(j, msg, m, why);

	if (!ret && (!m->sdp || strcmp(m->jsep_type, type))) {
		*why = "Janus's answer carries no SDP of the expected type";
		ret = -EPROTO;
	}
	if (ret)
		rtc_janus_msg_clear(m);
	return ret;
}

/* A join's body with the room's pin, when there is one (the videoroom
 * refuses a join without it: error 433, unauthorized). */
static json_t *with_pin(struct rtc_janus *j, json_t *body)
{
	if (body && j->pin)
		json_object_set_new(body, "pin", json_string(j->pin));
	return body;
}

int rtc_janus_publish(struct rtc_janus *j, uint64_t handle, uint64_t room, const char *display,
		      const char *offer, char **answer, uint64_t *feed, const char **why)
{
	struct rtc_janus_msg m;
	json_t *body = with_pin(j, json_pack("{s:s,s:s,s:I,s:s}", "request", "joinandconfigure",
					     "ptype", "publisher", "room", (json_int_t)room,
					     "display", display));
	int ret = call_jsep(j, message(handle, body, "offer", offer), "answer", &m, why);

	if (ret)
		return ret;
	*answer = m.sdp;
	*feed = m.id;
	m.sdp = NULL;
	rtc_janus_msg_clear(&m);
	return 0;
}

int rtc_janus_subscribe(struct rtc_janus *j, uint64_t handle, uint64_t room, uint64_t feed,
			char **offer, const char **why)
{
	struct rtc_janus_msg m;
	json_t *body = with_pin(j, json_pack("{s:s,s:s,s:I,s:[{s:I}]}", "request", "join", "ptype",
					     "subscriber", "room", (json_int_t)room, "streams",
					     "feed", (json_int_t)feed));
	int ret = call_jsep(j, message(handle, body, NULL, NULL), "offer", &m, why);

	if (ret)
		return ret;
	*offer = m.sdp;
	m.sdp = NULL;
	rtc_janus_msg_clear(&m);
	return 0;
}

int rtc_janus_list(struct rtc_janus *j, uint64_t handle, uint64_t room,
		   struct rtc_janus_participant *out, unsigned int max, unsigned int *n,
		   const char **why)
{
	struct rtc_janus_msg *m = calloc(1, sizeof(*m));
	json_t *body = json_pack("{s:s,s:I}", "request", "listparticipants", "room",
				 (json_int_t)room);
	int ret;

	*n = 0;
	if (!m)
		return -ENOMEM;
	ret = call(j, message(handle, body, NULL, NULL), m, why);
	for (unsigned int i = 0; !ret && i < m->n_participants && *n < max; i++)
		if (m->participants[i].publisher)
			out[(*n)++] = m->participants[i];
	rtc_janus_msg_clear(m);
	free(m);
	return ret;
}

int rtc_janus_find_publisher(struct rtc_janus *j, uint64_t handle, uint64_t room,
			     const char *display, uint64_t *feed, const char **why)
{
	struct rtc_janus_participant list[RTC_JANUS_MAX_PARTICIPANTS];
	unsigned int n;
	int ret = rtc_janus_list(j, handle, room, list, RTC_JANUS_MAX_PARTICIPANTS, &n, why);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(list[i].display, display)) {
			*feed = list[i].id;
			return 0;
		}
	return -ENOENT;
}

int rtc_janus_start(struct rtc_janus *j, uint64_t handle, const char *answer, const char **why)
{
	struct rtc_janus_msg m;
	int ret = call(j, message(handle, json_pack("{s:s}", "request", "start"), "answer", answer),
		       &m, why);

	rtc_janus_msg_clear(&m);
	return ret;
}

int rtc_janus_detach(struct rtc_janus *j, uint64_t handle, const char **why)
{
	struct rtc_janus_msg m;
	int ret = call(j, json_pack("{s:s,s:I}", "janus", "detach", "handle_id", (json_int_t)handle),
		       &m, why);

	rtc_janus_msg_clear(&m);
	return ret;
}

int rtc_janus_trickle_done(struct rtc_janus *j, uint64_t handle, const char **why)
{
	char tx[24];
	json_t *msg = json_pack("{s:s,s:I,s:{s:b}}", "janus", "trickle", "handle_id",
				(json_int_t)handle, "candidate", "completed", 1);

	if (send_json(j, msg, tx, sizeof(tx))) {
		*why = "cannot send to Janus";
		return -EIO;
	}
	return 0;
}

int rtc_janus_poll(struct rtc_janus *j, int timeout_ms, const char **why)
{
	if (now_ms() >= j->next_keepalive) {
		char tx[24];

		if (send_json(j, json_pack("{s:s}", "janus", "keepalive"), tx, sizeof(tx))) {
			*why = "cannot send a keepalive to Janus";
			return -EIO;
		}
	}
	return pump(j, timeout_ms, why);
}

void rtc_janus_free(struct rtc_janus *j)
{
	if (!j)
		return;
	if (j->ws && j->session) {
		char tx[24];

		/* Best effort: Janus tears the session down either way. */
		if (!send_json(j, json_pack("{s:s}", "janus", "destroy"), tx, sizeof(tx)) &&
		    kx_ws_pump(j->ws, NULL, NULL))
			j->session = 0; /* nothing more to do: it is gone either way */
	}
	kx_ws_free(j->ws);
	rtc_janus_msg_clear(&j->got);
	if (j->pin) {
		explicit_bzero(j->pin, strlen(j->pin));
		free(j->pin);
	}
	free(j);
}
