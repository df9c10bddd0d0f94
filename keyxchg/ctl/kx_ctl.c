// SPDX-License-Identifier: MIT
/* keyxchgd's control socket: JSON lines over a Unix socket, SO_PEERCRED. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "kx_ctl.h"

struct client {
	int fd;
	uid_t uid;
	unsigned int events;
	bool eof; /* the peer shut its side: its lines waiting are still answered */
	size_t len;
	char *buf; /* KX_CTL_LINE_MAX + 1: the requests read, not yet handled */
};

struct kx_ctl_server {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uid_t allowed[KX_CTL_ALLOWED_MAX];
	size_t n_allowed;
	uid_t media_uid;
	unsigned int refused, dropped;
	kx_ctl_log_fn log;
	struct client clients[KX_CTL_CLIENTS_MAX];
};

static const struct {
	const char *name;
	enum kx_ctl_cmd_type type;
	const char *fields[5]; /* the members it takes besides "cmd" and "id" */
} commands[] = {
	{ "join", KX_CTL_JOIN, { "meeting", "role", "name", "code", NULL } },
	{ "admit", KX_CTL_ADMIT, { "participant", "codeword", "knock", NULL } },
	{ "deny", KX_CTL_DENY, { "participant", NULL } },
	{ "verify", KX_CTL_VERIFY, { "participant", NULL } },
	{ "leave", KX_CTL_LEAVE, { NULL } },
	{ "rekey", KX_CTL_REKEY, { NULL } },
	{ "status", KX_CTL_STATUS, { NULL } },
	{ "subscribe", KX_CTL_SUBSCRIBE, { "events", NULL } },
	{ "remove", KX_CTL_REMOVE, { "participant", NULL } },
	{ "end", KX_CTL_END, { NULL } },
	{ "set-room-name", KX_CTL_SET_ROOM_NAME, { "name", "pin", NULL } },
	{ "set-service", KX_CTL_SET_SERVICE, { "url", "pin", NULL } },
	{ "reset-identity", KX_CTL_RESET_IDENTITY, { "pin", NULL } },
	{ "check-pin", KX_CTL_CHECK_PIN, { "pin", NULL } },
	{ "set-admin-pin", KX_CTL_SET_ADMIN_PIN, { "pin", "new_pin", NULL } },
};

static int fail(const char **err, const char *msg, int code)
{
	*err = msg;
	return code;
}

/* A string member of 1..max printable characters, copied to out. */
static int get_text(json_t *o, const char *key, char *out, size_t max, bool required)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!v)
		return required ? -EINVAL : 0;
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -EINVAL;
	memcpy(out, s, n + 1);
	return 0;
}

/* A PIN member (required): 6 to 12 ASCII digits into out; false (out wiped) if not. */
static bool get_pin(json_t *o, const char *key, char out[static KX_CTL_PIN_MAX + 1])
{
	bool digits = get_text(o, key, out, KX_CTL_PIN_MAX, true) == 0;
	size_t n = strlen(out);

	for (size_t i = 0; digits && i < n; i++)
		digits = out[i] >= '0' && out[i] <= '9';
	if (digits && n >= KX_CTL_PIN_MIN)
		return true;
	explicit_bzero(out, KX_CTL_PIN_MAX + 1);
	return false;
}

int kx_ctl_parse(const char *line, size_t len, struct kx_ctl_cmd *cmd, const char **err)
{
	json_error_t jerr;
	const char *key, *name;
	json_t *o, *v;
	size_t ci;
	int ret = -EINVAL;

	memset(cmd, 0, sizeof(*cmd));
	cmd->participant = UINT32_MAX;
	if (len > KX_CTL_LINE_MAX)
		return fail(err, "request longer than 64 KiB", -EMSGSIZE);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return fail(err, "not JSON", -EINVAL);
	if (!json_is_object(o)) {
		ret = fail(err, "not a JSON object", -EINVAL);
		goto out;
	}
	v = json_object_get(o, "cmd");
	if (!json_is_string(v)) {
		ret = fail(err, "no \"cmd\"", -EINVAL);
		goto out;
	}
	name = json_string_value(v);
	for (ci = 0; ci < sizeof(commands) / sizeof(commands[0]); ci++)
		if (!strcmp(commands[ci].name, name))
			break;
	if (ci == sizeof(commands) / sizeof(commands[0])) {
		ret = fail(err, "unknown command", -EPROTONOSUPPORT);
		goto out;
	}
	cmd->type = commands[ci].type;
	/* Nothing but cmd, id and the command's own members. */
	json_object_foreach(o, key, v) {
		bool known = !strcmp(key, "cmd") || !strcmp(key, "id");

		for (size_t f = 0; !known && commands[ci].fields[f]; f++)
			known = !strcmp(key, commands[ci].fields[f]);
		if (!known) {
			ret = fail(err, "unknown member for this command", -EINVAL);
			goto out;
		}
	}
	if (get_text(o, "id", cmd->id, KX_CTL_ID_MAX, false)) {
		ret = fail(err, "\"id\" must be 1 to 64 printable characters", -EINVAL);
		goto out;
	}
	/* The admin PIN: required by the settings (CONTROL.md "The admin PIN"). */
	if ((cmd->type == KX_CTL_SET_ROOM_NAME || cmd->type == KX_CTL_SET_SERVICE ||
	     cmd->type == KX_CTL_RESET_IDENTITY || cmd->type == KX_CTL_CHECK_PIN ||
	     cmd->type == KX_CTL_SET_ADMIN_PIN) &&
	    !get_pin(o, "pin", cmd->pin)) {
		ret = fail(err, "this command takes pin: the admin PIN, 6 to 12 digits", -EINVAL);
		goto out;
	}
	if (cmd->type == KX_CTL_SET_ADMIN_PIN && !get_pin(o, "new_pin", cmd->new_pin)) {
		explicit_bzero(cmd->pin, sizeof(cmd->pin));
		ret = fail(err, "set-admin-pin takes new_pin: the new admin PIN, 6 to 12 digits",
			   -EINVAL);
		goto out;
	}
	switch (cmd->type) {
	case KX_CTL_JOIN: {
		char role[8];

		if (get_text(o, "meeting", cmd->meeting, KX_CTL_TEXT_MAX, true) ||
		    get_text(o, "name", cmd->name, KX_CTL_TEXT_MAX, false) ||
		    get_text(o, "code", cmd->code, KX_CTL_TEXT_MAX, false) ||
		    get_text(o, "role", role, sizeof(role) - 1, true)) {
			ret = fail(err, "join takes meeting, role and optionally name (strings)",
				   -EINVAL);
			goto out;
		}
		if (strcmp(role, "host") && strcmp(role, "member")) {
			ret = fail(err, "role is host or member", -EINVAL);
			goto out;
		}
		cmd->host = !strcmp(role, "host");
		if (cmd->host && cmd->code[0]) {
			ret = fail(err, "a host draws its meeting code; code is for members", -EINVAL);
			goto out;
		}
		break;
	}
	case KX_CTL_ADMIT:
	case KX_CTL_DENY:
	case KX_CTL_VERIFY:
	case KX_CTL_REMOVE:
		v = json_object_get(o, "participant");
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 0xfffe) {
			ret = fail(err, "participant is an integer 0..65534", -EINVAL);
			goto out;
		}
		cmd->participant = (uint32_t)json_integer_value(v);
		if (get_text(o, "codeword", cmd->codeword, KX_CTL_TEXT_MAX, false)) {
			ret = fail(err, "codeword is a string", -EINVAL);
			goto out;
		}
		if (get_text(o, "knock", cmd->knock, KX_CTL_TEXT_MAX, false)) {
			ret = fail(err, "knock is a string", -EINVAL);
			goto out;
		}
		/* An admission names the knock a person saw (CONTROL.md "admit"). */
		if (cmd->type == KX_CTL_ADMIT && !cmd->codeword[0] && !cmd->knock[0]) {
			ret = fail(err, "admit names the knock: knock (its hash) or codeword", -EINVAL);
			goto out;
		}
		break;
	case KX_CTL_SET_ROOM_NAME:
		/* Bytes and controls here; UTF-8 and format characters by keyxchgd
		 * (PROTOCOL.md 2's rule for display names). */
		if (get_text(o, "name", cmd->name, KX_CTL_TEXT_MAX, true)) {
			ret = fail(err, "set-room-name takes name (a string of 1 to 128 bytes "
					"without control characters)",
				   -EINVAL);
			goto out;
		}
		break;
	case KX_CTL_SET_SERVICE:
		/* "" goes back to --relay (CONTROL.md "The settings"). */
		v = json_object_get(o, "url");
		if (json_is_string(v) && !json_string_length(v)) {
			cmd->url[0] = '\0';
			break;
		}
		if (get_text(o, "url", cmd->url, KX_CTL_TEXT_MAX, true)) {
			ret = fail(err, "set-service takes url (a string of 0 to 128 bytes "
					"without control characters; \"\" for --relay)",
				   -EINVAL);
			goto out;
		}
		break;
	case KX_CTL_SUBSCRIBE: {
		size_t i;

		v = json_object_get(o, "events");
		if (!json_is_array(v) || !json_array_size(v)) {
			ret = fail(err, "events is a non-empty array", -EINVAL);
			goto out;
		}
		for (i = 0; i < json_array_size(v); i++) {
			const char *e = json_string_value(json_array_get(v, i));

			if (!e)
				break;
			if (!strcmp(e, "roster"))
				cmd->events |= KX_CTL_EV_ROSTER;
			else if (!strcmp(e, "keys"))
				cmd->events |= KX_CTL_EV_KEYS;
			else if (!strcmp(e, "state"))
				cmd->events |= KX_CTL_EV_STATE;
			else
				break;
		}
		if (i != json_array_size(v)) {
			ret = fail(err, "events are roster, keys, state", -EINVAL);
			goto out;
		}
		break;
	}
	default:
		break;
	}
	ret = 0;
	*err = NULL;
out:
	json_decref(o);
	return ret;
}

int kx_ctl_server_open(const char *path, struct kx_ctl_server **out, const uid_t *allowed,
		       size_t n_allowed, uid_t media_uid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct kx_ctl_server *s;
	struct stat st;
	int ret;

	*out = NULL;
	if (strlen(path) >= sizeof(addr.sun_path) || n_allowed > KX_CTL_ALLOWED_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < KX_CTL_CLIENTS_MAX; i++)
		s->clients[i].fd = -1;
	if (n_allowed)
		memcpy(s->allowed, allowed, n_allowed * sizeof(uid_t));
	s->n_allowed = n_allowed;
	s->media_uid = media_uid;
	strcpy(s->path, path);
	strcpy(addr.sun_path, path);
	/* A stale socket of an earlier run goes; anything else at path stays. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			free(s);
			return -EEXIST;
		}
		unlink(path);
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		ret = -errno;
		free(s);
		return ret;
	}
	if (bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)) || chmod(path, 0660) ||
	    listen(s->fd, 8)) {
		ret = -errno;
		close(s->fd);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

static bool uid_allowed(const struct kx_ctl_server *s, uid_t uid)
{
	if (uid == geteuid() || uid == s->media_uid)
		return true;
	for (size_t i = 0; i < s->n_allowed; i++)
		if (s->allowed[i] == uid)
			return true;
	return false;
}

size_t kx_ctl_server_fds(const struct kx_ctl_server *s, struct pollfd *fds)
{
	size_t n = 0;

	fds[n++] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
	/* A client at EOF has nothing more to read (POLLIN would hold forever):
	 * its lines waiting are kx_ctl_server_pending()'s. */
	for (size_t i = 0; i < KX_CTL_CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0 && !s->clients[i].eof)
			fds[n++] = (struct pollfd){ .fd = s->clients[i].fd, .events = POLLIN };
	return n;
}

static void drop_client(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	if (c->buf) /* a request in it may carry the admin PIN */
		explicit_bzero(c->buf, c->len);
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
	c->events = 0;
	c->eof = false;
}

static void accept_clients(struct kx_ctl_server *s)
{
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct client *slot = NULL;
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		/* SO_PEERCRED: the kernel's word on who is at the other end. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || !uid_allowed(s, cred.uid)) {
			s->refused++;
			close(fd);
			continue;
		}
		for (size_t i = 0; i < KX_CTL_CLIENTS_MAX && !slot; i++)
			if (s->clients[i].fd < 0)
				slot = &s->clients[i];
		if (!slot || !(slot->buf = malloc(KX_CTL_LINE_MAX + 1))) {
			close(fd);
			continue;
		}
		slot->fd = fd;
		slot->uid = cred.uid;
		slot->len = 0;
		slot->events = 0;
		slot->eof = false;
	}
}

void kx_ctl_json_free(char *text)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	f(text);
}

static void reply_error(struct kx_ctl_server *s, int client, const char *msg)
{
	json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (text)
		kx_ctl_send(s, client, text);
	kx_ctl_json_free(text);
	json_decref(o);
}

/*
 * The first complete line in the client's buffer, handled and consumed: one
 * request per client per pump, so that a client with many lines queued
 * waits for its next turn while the caller's loop (relay, timers, the other
 * clients) runs between them.
 */
static void handle_line(struct kx_ctl_server *s, int ci, kx_ctl_request_cb cb, void *user)
{
	struct client *c = &s->clients[ci];
	char *nl = memchr(c->buf, '\n', c->len);
	size_t n;
	struct kx_ctl_cmd cmd;
	const char *err = NULL;

	if (!nl)
		return;
	n = (size_t)(nl - c->buf);
	if (kx_ctl_parse(c->buf, n, &cmd, &err))
		reply_error(s, ci, err);
	else if (c->uid == s->media_uid && c->uid != geteuid() && cmd.type != KX_CTL_SUBSCRIBE &&
		 cmd.type != KX_CTL_STATUS)
		/* The media daemon parses untrusted media: it takes keys and
		 * state, and commands nothing (no admit from a decoder exploit).
		 * The refusal echoes the id: the client waits for its answer. */
		kx_ctl_reply(s, ci, &cmd, -EPERM, "the media daemon may only subscribe and ask status",
			     NULL);
	else if (cmd.type == KX_CTL_SUBSCRIBE) {
		/* Media keys go to the media daemon only, never to the panel. */
		if ((cmd.events & KX_CTL_EV_KEYS) && c->uid != geteuid() && c->uid != s->media_uid) {
			kx_ctl_reply(s, ci, &cmd, -EPERM, "keys are for the media daemon only", NULL);
		} else {
			c->events |= cmd.events;
			kx_ctl_reply(s, ci, &cmd, 0, NULL, NULL);
			/* The daemon may send the new subscriber the current state. */
			if (cb && c->fd >= 0)
				cb(user, ci, &cmd);
		}
	} else if (cb)
		cb(user, ci, &cmd);
	/* The admin PIN goes with the request: out of the command and the
	 * line (libkxctl links no libsodium; glibc's explicit_bzero is
	 * sodium_memzero's equal: never optimised away). */
	explicit_bzero(cmd.pin, sizeof(cmd.pin));
	explicit_bzero(cmd.new_pin, sizeof(cmd.new_pin));
	/* A reply that could not be sent dropped the client and its buffer. */
	if (c->fd < 0)
		return;
	memmove(c->buf, nl + 1, c->len - n - 1);
	explicit_bzero(c->buf + c->len - n - 1, n + 1);
	c->len -= n + 1;
}

static void say(struct kx_ctl_server *s, const struct client *c, const char *what)
{
	char line[160];

	if (!s->log)
		return;
	snprintf(line, sizeof(line), "control client (uid %u) %s: disconnected", (unsigned)c->uid,
		 what);
	s->log(line);
}

/*
 * What poll reported on a client: one read into what is left of its
 * buffer. The buffer is also the bound on what a client may queue: full
 * without a line, the line is too long; full of lines, the client sends
 * faster than its requests are answered (one a pump), and is dropped.
 */
static void read_client(struct kx_ctl_server *s, int ci)
{
	struct client *c = &s->clients[ci];
	ssize_t r = read(c->fd, c->buf + c->len, KX_CTL_LINE_MAX - c->len);

	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			drop_client(c);
		return;
	}
	if (r == 0) { /* its lines waiting are answered first */
		c->eof = true;
		return;
	}
	c->len += (size_t)r;
	if (c->len < KX_CTL_LINE_MAX)
		return;
	s->dropped++;
	if (!memchr(c->buf, '\n', c->len)) {
		reply_error(s, ci, "request longer than 64 KiB");
		say(s, c, "sent a request longer than 64 KiB");
	} else {
		reply_error(s, ci, "more than 64 KiB of requests waiting for their replies");
		say(s, c, "queued more than 64 KiB of requests (one is answered per loop pass)");
	}
	if (c->fd >= 0)
		drop_client(c);
}

void kx_ctl_server_pump(struct kx_ctl_server *s, const struct pollfd *fds, size_t n,
			kx_ctl_request_cb cb, void *user)
{
	for (size_t k = 0; k < n; k++) {
		if (!fds[k].revents)
			continue;
		if (fds[k].fd == s->fd) {
			accept_clients(s);
			continue;
		}
		for (int ci = 0; ci < KX_CTL_CLIENTS_MAX; ci++)
			if (s->clients[ci].fd == fds[k].fd) {
				read_client(s, ci);
				break;
			}
	}
	/* One request of each client, whether or not poll reported it now. */
	for (int ci = 0; ci < KX_CTL_CLIENTS_MAX; ci++) {
		struct client *c = &s->clients[ci];

		if (c->fd < 0)
			continue;
		handle_line(s, ci, cb, user);
		if (c->fd >= 0 && c->eof && !memchr(c->buf, '\n', c->len))
			drop_client(c);
	}
}

bool kx_ctl_server_pending(const struct kx_ctl_server *s)
{
	for (size_t i = 0; i < KX_CTL_CLIENTS_MAX; i++) {
		const struct client *c = &s->clients[i];

		if (c->fd >= 0 && (c->eof || memchr(c->buf, '\n', c->len)))
			return true;
	}
	return false;
}

void kx_ctl_server_set_log(struct kx_ctl_server *s, kx_ctl_log_fn log)
{
	s->log = log;
}

int kx_ctl_client_uid(const struct kx_ctl_server *s, int client, uid_t *uid)
{
	if (client < 0 || client >= KX_CTL_CLIENTS_MAX || s->clients[client].fd < 0)
		return -ENOTCONN;
	*uid = s->clients[client].uid;
	return 0;
}

unsigned int kx_ctl_dropped(const struct kx_ctl_server *s)
{
	return s->dropped;
}

int kx_ctl_send(struct kx_ctl_server *s, int client, const char *json)
{
	struct client *c;
	size_t len = strlen(json);
	struct iovec iov[2] = { { .iov_base = (void *)json, .iov_len = len },
				{ .iov_base = (void *)"\n", .iov_len = 1 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t r;

	if (client < 0 || client >= KX_CTL_CLIENTS_MAX || s->clients[client].fd < 0)
		return -ENOTCONN;
	c = &s->clients[client];
	/* One send per line (the socket's buffer is counted per send), and a
	 * client too slow to take it is dropped rather than waited for. */
	r = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (r != (ssize_t)len + 1) {
		if (r >= 0 || errno == EAGAIN || errno == EWOULDBLOCK) { /* not a peer gone */
			s->dropped++;
			say(s, c, "is too slow to take its replies and events");
		}
		drop_client(c);
		return -EPIPE;
	}
	return 0;
}

int kx_ctl_reply(struct kx_ctl_server *s, int client, const struct kx_ctl_cmd *cmd, int status,
		 const char *error, const char *extra_object)
{
	json_t *o = extra_object ? json_loads(extra_object, 0, NULL) : json_object();
	char *text;
	int ret;

	if (!o || !json_is_object(o)) {
		json_decref(o);
		return -EINVAL;
	}
	if (cmd->id[0])
		json_object_set_new(o, "id", json_string(cmd->id));
	json_object_set_new(o, "ok", json_boolean(status == 0));
	if (status)
		json_object_set_new(o, "error", json_string(error ? error : strerror(-status)));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	ret = kx_ctl_send(s, client, text);
	kx_ctl_json_free(text);
	return ret;
}

int kx_ctl_broadcast(struct kx_ctl_server *s, unsigned int kind, const char *json)
{
	int n = 0;

	for (int i = 0; i < KX_CTL_CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0 && (s->clients[i].events & kind) &&
		    !kx_ctl_send(s, i, json))
			n++;
	return n;
}

unsigned int kx_ctl_refused(const struct kx_ctl_server *s)
{
	return s->refused;
}

void kx_ctl_server_close(struct kx_ctl_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < KX_CTL_CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0)
			drop_client(&s->clients[i]);
	close(s->fd);
	unlink(s->path);
	free(s);
}
