// SPDX-License-Identifier: MIT
/*
 * The room's settings, which keyxchgd owns because it owns the room's
 * identity and its connection to the meeting service (docs/processes.md):
 * the room's name (in its knocks and status), the meeting service's address
 * and the identity key's reset (CONTROL.md set-room-name, set-service,
 * reset-identity). Each is persisted in the state directory (kx/settings.h:
 * atomic, 0600) and read back at start with the same checks as a command's;
 * a file that fails them stops keyxchgd (DAEMON.md "State files"). None
 * changes during a meeting: the knock sent, the relay connected and the
 * identity the others admitted stay what they were.
 */
#define _GNU_SOURCE
#include "keyxchgd.h"

static const char name_rule[] =
    "a room name is 1 to 64 bytes of UTF-8 without control or format characters";

/* The service's address into a (parsed: kx_ws_url.h). Returns 0 or -EINVAL, *why said. */
static int use_service(struct app *a, const char *url, const char **why)
{
	struct kx_ws_url u;
	int ret = kx_ws_url_parse(url, strlen(url), &u, why);

	if (ret)
		return ret;
	snprintf(a->service, sizeof(a->service), "%s", url);
	memcpy(a->relay_host, u.host, sizeof(a->relay_host));
	a->relay_port = u.port;
	memcpy(a->relay_path, u.path, sizeof(a->relay_path));
	return 0;
}

int kxd_settings_load(struct app *a, const char *relay_option)
{
	char buf[KX_WS_URL_MAX + 1];
	const char *why = NULL;
	size_t len;
	int ret;

	if (use_service(a, relay_option, &why)) {
		fprintf(stderr, "keyxchgd: --relay %s: %s\n", relay_option, why);
		return -EINVAL;
	}
	/* A file the checks refuse stops the daemon: falling back to --relay
	 * would connect the room to a service the people did not choose, and a
	 * guessed name would knock under a name they did not set. */
	ret = kx_setting_read(a->state_dir, KX_SERVICE_FILE, buf, sizeof(buf), &len);
	if (!ret && use_service(a, buf, &why)) {
		kxd_logmsg("REFUSED %s/%s: not a meeting service address (%s); fix it with kxctl "
			   "set-service or remove it to use --relay",
			   a->state_dir, KX_SERVICE_FILE, why);
		return -EINVAL;
	}
	if (ret && ret != -ENOENT) {
		kxd_logmsg("cannot read %s/%s: %s", a->state_dir, KX_SERVICE_FILE, strerror(-ret));
		return ret;
	}
	if (!ret)
		kxd_logmsg("meeting service %s (set in %s/%s; --relay %s is the default)",
			   a->service, a->state_dir, KX_SERVICE_FILE, relay_option);
	ret = kx_setting_read(a->state_dir, KX_ROOM_NAME_FILE, a->room_name, sizeof(a->room_name),
			      &len);
	if (!ret && !kx_display_name_valid(a->room_name, len)) {
		kxd_logmsg("REFUSED %s/%s: %s; fix it with kxctl set-room-name or remove it",
			   a->state_dir, KX_ROOM_NAME_FILE, name_rule);
		a->room_name[0] = '\0';
		return -EINVAL;
	}
	if (ret == -ENOENT)
		return 0;
	if (ret)
		kxd_logmsg("cannot read %s/%s: %s", a->state_dir, KX_ROOM_NAME_FILE, strerror(-ret));
	return ret;
}

/* Settings stay as they are during a meeting (see the header). */
static bool idle(struct app *a, int client, const struct kx_ctl_cmd *cmd, const char *what)
{
	char why[160];

	if (a->state != ST_LOBBY && a->state != ST_MEETING)
		return true;
	snprintf(why, sizeof(why), "not during a meeting: leave it first, then %s", what);
	kx_ctl_reply(a->ctl, client, cmd, -EBUSY, why, NULL);
	return false;
}

/* The reply with one string member (json-quoted here). */
static void reply_with(struct app *a, int client, const struct kx_ctl_cmd *cmd, const char *key,
		       const char *value)
{
	json_t *o = json_pack("{s:s}", key, value);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	kx_ctl_reply(a->ctl, client, cmd, text ? 0 : -ENOMEM, NULL, text);
	kx_ctl_json_free(text);
	json_decref(o);
}

static void set_room_name(struct app *a, int client, const struct kx_ctl_cmd *cmd)
{
	size_t len = strlen(cmd->name);
	int ret;

	if (!idle(a, client, cmd, "rename the room"))
		return;
	if (!kx_display_name_valid(cmd->name, len)) {
		kx_ctl_reply(a->ctl, client, cmd, -EINVAL, name_rule, NULL);
		return;
	}
	/* On disk first: what status says is what a restart keeps. */
	ret = kx_setting_write(a->state_dir, KX_ROOM_NAME_FILE, cmd->name, len);
	if (ret) {
		kxd_logmsg("cannot write %s/%s: %s", a->state_dir, KX_ROOM_NAME_FILE,
			   strerror(-ret));
		kx_ctl_reply(a->ctl, client, cmd, ret, "cannot save the room name", NULL);
		return;
	}
	memcpy(a->room_name, cmd->name, len + 1);
	kxd_logmsg("room name set: %s", a->room_name);
	reply_with(a, client, cmd, "room_name", a->room_name);
	kxd_emit_state(a);
}

static void set_service(struct app *a, int client, const struct kx_ctl_cmd *cmd)
{
	struct kx_ws_url u;
	const char *why = NULL;
	char text[192];
	int ret;

	if (!idle(a, client, cmd, "change the meeting service"))
		return;
	if (kx_ws_url_parse(cmd->url, strlen(cmd->url), &u, &why)) {
		snprintf(text, sizeof(text), "not a meeting service address: %s", why);
		kx_ctl_reply(a->ctl, client, cmd, -EINVAL, text, NULL);
		return;
	}
	ret = kx_setting_write(a->state_dir, KX_SERVICE_FILE, cmd->url, strlen(cmd->url));
	if (ret) {
		kxd_logmsg("cannot write %s/%s: %s", a->state_dir, KX_SERVICE_FILE,
			   strerror(-ret));
		kx_ctl_reply(a->ctl, client, cmd, ret, "cannot save the meeting service address",
			     NULL);
		return;
	}
	if (use_service(a, cmd->url, &why)) /* parsed above: cannot fail */
		abort();
	/* Outside a meeting no connection is held (a torn-down one is gone):
	 * the next join connects to the new address. */
	kx_ws_free(a->ws);
	a->ws = NULL;
	a->ws_open = false;
	a->reconnect_at = 0;
	kxd_logmsg("meeting service set: %s", a->service);
	reply_with(a, client, cmd, "service", a->service);
	kxd_emit_state(a);
}

static void reset_identity(struct app *a, int client, const struct kx_ctl_cmd *cmd)
{
	char was[E2EE_CODEWORD_SIZE];
	int ret;

	if (!idle(a, client, cmd, "reset the identity"))
		return;
	memcpy(was, a->codeword, sizeof(was));
	ret = kx_identity_reset(a->state_dir, &a->id);
	if (ret) {
		kxd_logmsg("identity reset failed, the old identity stays: %s", strerror(-ret));
		kx_ctl_reply(a->ctl, client, cmd, ret, "cannot make a new identity key", NULL);
		return;
	}
	if (kx_codeword(&a->cw, a->id.ik, a->codeword)) {
		/* The key is new and on disk; without its codeword the screen
		 * would show the old one: say so, stop (a restart derives it). */
		kxd_logmsg("identity reset: the new codeword cannot be derived; stopping");
		kx_ctl_reply(a->ctl, client, cmd, -EIO, "the new codeword cannot be derived", NULL);
		a->stop = true;
		return;
	}
	/* Codewords are public: the people compare them aloud. */
	kxd_logmsg("identity reset: new codeword %s (was %s); pins of other rooms kept",
		   a->codeword, was);
	reply_with(a, client, cmd, "codeword", a->codeword);
	kxd_emit_state(a); /* the screen asks status: the new codeword */
}

void kxd_on_settings_request(struct app *a, int client, const struct kx_ctl_cmd *cmd)
{
	switch (cmd->type) {
	case KX_CTL_SET_ROOM_NAME:
		set_room_name(a, client, cmd);
		break;
	case KX_CTL_SET_SERVICE:
		set_service(a, client, cmd);
		break;
	case KX_CTL_RESET_IDENTITY:
		reset_identity(a, client, cmd);
		break;
	default:
		kx_ctl_reply(a->ctl, client, cmd, -EINVAL, "not a settings command", NULL);
		break;
	}
}
