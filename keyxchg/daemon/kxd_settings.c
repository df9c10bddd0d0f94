// SPDX-License-Identifier: MIT
/*
 * The room's settings, which keyxchgd owns because it owns the room's
 * identity and its connection to the meeting service (docs/processes.md):
 * the room's name (in its knocks and status), the meeting service's address
 * and the identity key's reset (CONTROL.md set-room-name, set-service,
 * reset-identity). Each is persisted in the state directory (kx/settings.h:
 * atomic, 0600) and read back at start with the same checks as a command's
 * (DAEMON.md "State files"): a bad room-name is moved aside and the room has
 * no name; a bad service-url stops keyxchgd. None changes during a meeting:
 * the knock sent, the relay connected and the identity the others admitted
 * stay what they were. Writes are rate-limited (KXD_SETTINGS_GAP_MS).
 * Each command carries the admin PIN, checked first (kxd_pin.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <strings.h>

#include "keyxchgd.h"

/* At most one settings write this often (each is an fsync, a reset a new key). */
#define KXD_SETTINGS_GAP_MS 5000

static const char name_rule[] =
    "a room name is 1 to 64 bytes of UTF-8 without control or format characters";

/* The service's address into a (parsed: kx_ws_url.h). Returns 0 or -EINVAL, *why said. */
static int use_service(struct app *a, const char *url, size_t len, const char **why)
{
	struct kx_ws_url u;
	int ret = kx_ws_url_parse(url, len, &u, why);

	if (ret)
		return ret;
	snprintf(a->service, sizeof(a->service), "%s", url);
	memcpy(a->relay_host, u.host, sizeof(a->relay_host));
	a->relay_port = u.port;
	memcpy(a->relay_path, u.path, sizeof(a->relay_path));
	return 0;
}

/*
 * Whether host resolves without a network round trip: an IP literal, or a
 * name of /etc/hosts (read here, the files-only lookup), so that the
 * connect's getaddrinfo (kx_ws.c) answers from the file and never waits on
 * DNS in the event loop.
 */
static bool resolves_locally(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char line[512], h[KX_WS_HOST_MAX + 1];
	size_t n = strlen(host);
	bool found = false;
	FILE *f;

	/* kx_ws_url keeps an IPv6 literal's brackets. */
	if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(h)) {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		return inet_pton(AF_INET6, h, addr) == 1;
	}
	if (inet_pton(AF_INET, host, addr) == 1)
		return true;
	f = fopen("/etc/hosts", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok;

		line[strcspn(line, "#\n")] = '\0';
		tok = strtok_r(line, " \t", &save); /* the address */
		while (tok && !found && (tok = strtok_r(NULL, " \t", &save)))
			found = !strcasecmp(tok, host);
	}
	fclose(f);
	return found;
}

/* A service address a command or the file may set: a wss:// URL whose host
 * resolves locally. Returns 0 or -EINVAL with *why. */
static int check_service(const char *url, size_t len, const char **why)
{
	struct kx_ws_url u;

	if (kx_ws_url_parse(url, len, &u, why))
		return -EINVAL;
	if (!resolves_locally(u.host)) {
		*why = "the host must be an IP address or a name in /etc/hosts (no DNS lookup)";
		return -EINVAL;
	}
	return 0;
}

/* A bad room-name file: said loudly, moved aside to room-name.bad, the room unnamed. */
static void room_name_aside(struct app *a, const char *why)
{
	int ret = kx_setting_move_aside(a->state_dir, KX_ROOM_NAME_FILE);

	a->room_name[0] = '\0';
	if (!ret)
		kxd_logmsg("REFUSED %s/%s: %s; moved to %s.bad, the room has no name until "
			   "set-room-name",
			   a->state_dir, KX_ROOM_NAME_FILE, why, KX_ROOM_NAME_FILE);
	else
		kxd_logmsg("REFUSED %s/%s: %s; cannot move it to %s.bad (%s): the room has no "
			   "name until set-room-name",
			   a->state_dir, KX_ROOM_NAME_FILE, why, KX_ROOM_NAME_FILE, strerror(-ret));
}

int kxd_settings_load(struct app *a, const char *relay_option)
{
	char buf[KX_WS_URL_MAX + 1];
	const char *why = NULL;
	size_t len;
	int ret;

	a->relay_option = relay_option;
	if (use_service(a, relay_option, strlen(relay_option), &why)) {
		fprintf(stderr, "keyxchgd: --relay %s: %s\n", relay_option, why);
		return -EINVAL;
	}
	/* A service-url the checks refuse stops the daemon: falling back to
	 * --relay would connect the room to a service the people did not
	 * choose. kxctl cannot reach a stopped keyxchgd: the hint is the file. */
	ret = kx_setting_read(a->state_dir, KX_SERVICE_FILE, buf, sizeof(buf), &len);
	if (!ret && (check_service(buf, len, &why) || use_service(a, buf, len, &why))) {
		kxd_logmsg("REFUSED %s/%s: not a meeting service address (%s); keyxchgd does not "
			   "start: remove the file to use --relay %s, or write a good address to it",
			   a->state_dir, KX_SERVICE_FILE, why, relay_option);
		return -EPERM;
	}
	if (ret && ret != -ENOENT) {
		kxd_logmsg("REFUSED %s/%s: cannot read it (%s); keyxchgd does not start: remove "
			   "the file to use --relay %s",
			   a->state_dir, KX_SERVICE_FILE, strerror(-ret), relay_option);
		return ret == -EINVAL ? -EPERM : ret;
	}
	if (!ret)
		kxd_logmsg("meeting service %s (set in %s/%s; --relay %s is the default)",
			   a->service, a->state_dir, KX_SERVICE_FILE, relay_option);
	/* A bad room name only loses the name: the room still works. */
	ret = kx_setting_read(a->state_dir, KX_ROOM_NAME_FILE, a->room_name, sizeof(a->room_name),
			      &len);
	if (!ret && !kx_display_name_valid(a->room_name, len))
		room_name_aside(a, name_rule);
	else if (ret && ret != -ENOENT)
		room_name_aside(a, strerror(-ret));
	return 0;
}

/* At most one settings write per KXD_SETTINGS_GAP_MS; true: go ahead (and counted). */
bool kxd_settings_rate_ok(struct app *a, int client, const struct kx_ctl_cmd *cmd)
{
	long long now = kxd_now_ms();
	char why[128];

	if (a->settings_at && now - a->settings_at < KXD_SETTINGS_GAP_MS) {
		snprintf(why, sizeof(why),
			 "at most one settings change every %d s: try again in %lld ms",
			 KXD_SETTINGS_GAP_MS / 1000, KXD_SETTINGS_GAP_MS - (now - a->settings_at));
		kx_ctl_reply(a->ctl, client, cmd, -EAGAIN, why, NULL);
		return false;
	}
	a->settings_at = now;
	return true;
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
	if (!kxd_settings_rate_ok(a, client, cmd))
		return;
	/* On disk first: what status says is what a restart keeps. */
	ret = kx_setting_write(a->state_dir, KX_ROOM_NAME_FILE, cmd->name, len);
	if (ret < 0) { /* KX_NOT_SYNCED: the file holds the new name (said): it stands */
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
	const char *why = NULL;
	size_t len = strlen(cmd->url);
	char text[192];
	int ret;

	if (!idle(a, client, cmd, "change the meeting service"))
		return;
	if (len && check_service(cmd->url, len, &why)) {
		snprintf(text, sizeof(text), "not a meeting service address: %s", why);
		kx_ctl_reply(a->ctl, client, cmd, -EINVAL, text, NULL);
		return;
	}
	if (!kxd_settings_rate_ok(a, client, cmd))
		return;
	/* "" goes back to --relay: the file goes. */
	ret = len ? kx_setting_write(a->state_dir, KX_SERVICE_FILE, cmd->url, len)
		  : kx_setting_remove(a->state_dir, KX_SERVICE_FILE);
	if (ret < 0) { /* KX_NOT_SYNCED: the file holds the new address (said): it stands */
		kxd_logmsg("cannot %s %s/%s: %s", len ? "write" : "remove", a->state_dir,
			   KX_SERVICE_FILE, strerror(-ret));
		kx_ctl_reply(a->ctl, client, cmd, ret, "cannot save the meeting service address",
			     NULL);
		return;
	}
	if (use_service(a, len ? cmd->url : a->relay_option,
			len ? len : strlen(a->relay_option), &why)) /* checked: cannot fail */
		abort();
	/* Outside a meeting no connection is held (a torn-down one is gone):
	 * the next join connects to the new address. */
	kx_ws_free(a->ws);
	a->ws = NULL;
	a->ws_open = false;
	a->reconnect_at = 0;
	kxd_logmsg("meeting service set: %s%s", a->service, len ? "" : " (--relay)");
	reply_with(a, client, cmd, "service", a->service);
	kxd_emit_state(a);
}

static void reset_identity(struct app *a, int client, const struct kx_ctl_cmd *cmd)
{
	char was[E2EE_CODEWORD_SIZE];
	int ret;

	if (!idle(a, client, cmd, "reset the identity") || !kxd_settings_rate_ok(a, client, cmd))
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
	static const char *const names[] = {
		[KX_CTL_SET_ROOM_NAME] = "set-room-name",
		[KX_CTL_SET_SERVICE] = "set-service",
		[KX_CTL_RESET_IDENTITY] = "reset-identity",
	};

	/* The admin PIN first (kxd_pin.c): without it nothing is looked at. */
	if ((cmd->type == KX_CTL_SET_ROOM_NAME || cmd->type == KX_CTL_SET_SERVICE ||
	     cmd->type == KX_CTL_RESET_IDENTITY) &&
	    !kxd_pin_check(a, client, cmd, names[cmd->type]))
		return;
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
