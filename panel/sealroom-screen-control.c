// SPDX-License-Identifier: MIT
/*
 * sealroom-screen's connection to keyxchgd (keyxchg/CONTROL.md): subscribe
 * to roster and state, the tiles, their labels and trust and the E2EE banner
 * from them alone, keyxchgd's answers to the panel's commands, and the
 * reconnection with backoff when keyxchgd goes away (nothing it does not
 * vouch for stays on screen meanwhile).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sealroom-screen.h"

static void show_e2ee(struct app *a)
{
	enum wm_e2ee_state e2ee = a->ctl_fd >= 0 && a->subscribed && a->in_meeting && a->have_roster
				      ? WM_E2EE_ON
				      : WM_E2EE_WAITING;
	int ret;

	/* The panel knows the failures (split, out of sync, a changed key, no keys). */
	if (a->panel && !panel_host_e2ee(a->panel))
		e2ee = WM_E2EE_WAITING;
	if (e2ee == a->e2ee)
		return;
	ret = panel_screen_set_e2ee(a->screen, e2ee);
	if (ret) {
		screen_say("banner: %s", strerror(-ret));
		return;
	}
	a->e2ee = e2ee;
	screen_say("banner %s", e2ee == WM_E2EE_ON ? "end-to-end encrypted" : "waiting for keys");
}

static void show_tiles(struct app *a)
{
	int ret = panel_screen_set_tiles(a->screen, a->tiles, a->n_tiles);

	if (ret) {
		/* Never a tile under a label that could not be shown as keyxchgd gave it. */
		screen_say("tiles: %s: none shown", strerror(-ret));
		a->n_tiles = 0;
		ret = panel_screen_set_tiles(a->screen, NULL, 0);
	}
	if (a->panel)
		panel_host_tiles(a->panel); /* a state card stays off the labels */
	printf("screen: tiles %zu", a->n_tiles);
	for (size_t i = 0; i < a->n_tiles; i++)
		printf(" %u=%s", a->tiles[i].id, a->tiles[i].codeword);
	putchar('\n');
	fflush(stdout);
	for (size_t i = 0; i < PANEL_FRAMES_SENDERS_MAX; i++)
		if (a->rx.rings[i].used)
			screen_frames_tell_tile(a, a->rx.rings[i].sender);
	for (size_t i = 0; i < a->n_tiles; i++)
		screen_frames_tell_tile(a, a->tiles[i].id);
}

static void clear_meeting(struct app *a)
{
	a->in_meeting = a->have_roster = false;
	if (a->n_tiles) {
		a->n_tiles = 0;
		show_tiles(a);
	}
}

/* A roster's participants (an event's or status's) into tiles: every one but this room. */
static void apply_roster(struct app *a, json_t *list)
{
	size_t i, n = 0;
	json_t *p;

	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, p)
	{
		json_t *id = json_object_get(p, "participant");
		const char *cw = json_string_value(json_object_get(p, "codeword"));
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *pinned = json_string_value(json_object_get(p, "pinned"));
		json_t *self = json_object_get(p, "self");
		char word[E2EE_CODEWORD_SIZE];

		if (json_is_true(self) || (pinned && !strcmp(pinned, "self")))
			continue;
		if (!json_is_integer(id) || json_integer_value(id) < 0 ||
		    json_integer_value(id) > PANEL_FRAMES_SENDER_MAX || !cw ||
		    wm_codeword_format(cw, word) || (name && strlen(name) > WM_SECOND_MAX)) {
			screen_say("roster: participant %zu left out (no usable id or codeword)",
				   i);
			continue;
		}
		if (n == PANEL_SCREEN_MAX_TILES) {
			screen_say("roster: more than %u remote participants; the rest not shown",
				   PANEL_SCREEN_MAX_TILES);
			break;
		}
		strcpy(a->codewords[n], cw);
		if (name)
			strcpy(a->names[n], name);
		a->tiles[n] = (struct panel_screen_tile){
		    (uint32_t)json_integer_value(id), a->codewords[n], name ? a->names[n] : NULL,
		    pinned && !strcmp(pinned, "changed")	   ? WM_TRUST_WARNING
		    : json_is_true(json_object_get(p, "verified")) ? WM_TRUST_VERIFIED
								   : WM_TRUST_UNVERIFIED};
		n++;
	}
	a->n_tiles = n;
	a->have_roster = true;
	show_tiles(a);
}

static void apply_state(struct app *a, const char *state)
{
	if (!state)
		return;
	screen_say("keyxchgd: state %s", state);
	if (strcmp(state, "in-meeting"))
		clear_meeting(a);
	else
		a->in_meeting = true;
}

void screen_control_send_status(struct app *a)
{
	/* The panel's own id: the tiles keep following roster events alone. */
	static const char req[] = "{\"cmd\":\"status\",\"id\":\"panel-status\"}\n";

	clock_gettime(CLOCK_MONOTONIC, &a->status_at);
	if (a->ctl_fd >= 0 && send(a->ctl_fd, req, sizeof(req) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
				  (ssize_t)(sizeof(req) - 1))
		screen_say("keyxchgd: status request not sent: %s", strerror(errno));
}

/* keyxchgd's word to the panel; replies to its commands said on stdout and on the panel. */
static void panel_control(struct app *a, json_t *o, const char *event, const char *id)
{
	bool status = !event && id && (!strcmp(id, "screen-status") || !strcmp(id, "panel-status"));

	if (!event && id && !strncmp(id, "panel-pin-", 10)) {
		/* check-pin: keyxchgd's answer opens Settings or says why not. */
		const char *err = json_string_value(json_object_get(o, "error"));
		json_t *ms = json_object_get(o, "locked_ms");
		bool ok = json_is_true(json_object_get(o, "ok"));

		screen_say("panel: %s %s%s", id,
			   ok ? "admin PIN taken: Settings open" : "refused: ",
			   ok	 ? ""
			   : err ? err
				 : "no reason");
		panel_host_pin_answer(a->panel, ok,
				      json_is_integer(ms) ? (long long)json_integer_value(ms) : -1,
				      ok    ? NULL
				      : err ? err
					    : "keyxchgd refused it",
				      screen_now_us());
		return;
	}
	if (!event && id && !strncmp(id, "panel-", 6) && !status) {
		const char *err = json_string_value(json_object_get(o, "error"));
		char line[256];

		if (json_is_true(json_object_get(o, "ok"))) {
			screen_say("panel: %s done", id);
			/* "Resetting…" and the like are over; a refusal stays. */
			panel_host_notice(a->panel, "");
			return;
		}
		snprintf(line, sizeof(line), "keyxchgd refused it: %s", err ? err : "no reason");
		screen_say("panel: %s %s", id, line);
		/* The PIN Settings hold was refused (changed elsewhere, a lockout, no
		 * verifier any more): they close and forget it (CONTROL.md's errors). */
		if (err &&
		    (!strncmp(err, "wrong PIN", 9) || !strncmp(err, "too many wrong PINs", 19) ||
		     !strncmp(err, "no admin PIN is set", 19)))
			panel_host_pin_refused(a->panel, err);
		else
			panel_host_notice(a->panel, line);
		return;
	}
	if (status || event)
		panel_host_control(a->panel, o, status, screen_now_us());
	/* The relay's state and the lobby come with status only: asked again at once. */
	if (event && !strcmp(event, "state"))
		screen_control_send_status(a);
}

static void handle_line(struct app *a, const char *line, size_t len)
{
	json_error_t err;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	const char *event, *id;

	if (!json_is_object(o)) {
		screen_say("keyxchgd: a line that is not a JSON object ignored");
		json_decref(o);
		return;
	}
	event = json_string_value(json_object_get(o, "event"));
	id = json_string_value(json_object_get(o, "id"));
	if (a->panel)
		panel_control(a, o, event, id);
	if (!event && id && !strcmp(id, "screen-subscribe")) {
		a->subscribed = json_is_true(json_object_get(o, "ok"));
		screen_say("keyxchgd: %s", a->subscribed ? "subscribed to roster and state"
							 : "subscription refused");
		if (a->panel)
			panel_host_kx(a->panel, a->subscribed, screen_now_us());
	} else if (!event && id && !strcmp(id, "screen-status") &&
		   json_is_true(json_object_get(o, "ok"))) {
		apply_state(a, json_string_value(json_object_get(o, "state")));
		if (a->in_meeting && json_object_get(o, "participants"))
			apply_roster(a, json_object_get(o, "participants"));
	} else if (event && !strcmp(event, "state")) {
		apply_state(a, json_string_value(json_object_get(o, "state")));
	} else if (event && !strcmp(event, "roster")) {
		/* keyxchgd sends the roster of the meeting it is in, also just before it
		 * reports the state; a state other than in-meeting clears it. */
		apply_roster(a, json_object_get(o, "participants"));
	}
	json_decref(o);
	show_e2ee(a);
}

static void schedule_retry(struct app *a)
{
	clock_gettime(CLOCK_MONOTONIC, &a->retry_at);
	a->retry_at.tv_sec += a->backoff_ms / 1000;
	a->retry_at.tv_nsec += (long)(a->backoff_ms % 1000) * 1000000L;
	if (a->retry_at.tv_nsec >= 1000000000L) {
		a->retry_at.tv_sec++;
		a->retry_at.tv_nsec -= 1000000000L;
	}
	a->backoff_ms = a->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : a->backoff_ms * 2;
}

static void close_control(struct app *a, const char *why)
{
	if (a->ctl_fd >= 0) {
		screen_say("keyxchgd: connection lost (%s)", why);
		close(a->ctl_fd);
	}
	a->ctl_fd = -1;
	a->subscribed = false;
	if (a->panel)
		panel_host_kx(a->panel, false, screen_now_us());
	a->line_len = 0;
	a->discarding = false;
	/* Nothing keyxchgd does not vouch for now stays on screen. */
	clear_meeting(a);
	show_e2ee(a);
	schedule_retry(a);
}

void screen_control_connect(struct app *a)
{
	static const char req[] = "{\"cmd\":\"subscribe\",\"id\":\"screen-subscribe\","
				  "\"events\":[\"roster\",\"state\"]}\n"
				  "{\"cmd\":\"status\",\"id\":\"screen-status\"}\n";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(a->control) >= sizeof(sa.sun_path)) {
		schedule_retry(a);
		return;
	}
	strcpy(sa.sun_path, a->control);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
		if (fd >= 0)
			close(fd);
		schedule_retry(a);
		return;
	}
	a->ctl_fd = fd;
	a->backoff_ms = BACKOFF_MIN_MS;
	screen_say("keyxchgd: connected to %s", a->control);
}

void screen_control_read(struct app *a)
{
	char buf[4096];
	ssize_t n = recv(a->ctl_fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_control(a, n ? strerror(errno) : "keyxchgd closed it");
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!a->discarding)
				handle_line(a, a->line, a->line_len);
			a->line_len = 0;
			a->discarding = false;
			if (a->ctl_fd < 0)
				return;
		} else if (a->line_len == CONTROL_LINE_MAX) {
			a->discarding = true;
		} else if (!a->discarding) {
			a->line[a->line_len++] = buf[i];
		}
	}
}

int screen_control_retry_in_ms(const struct app *a)
{
	struct timespec now;
	long long ms;

	if (a->ctl_fd >= 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (a->retry_at.tv_sec - now.tv_sec) * 1000LL +
	     (a->retry_at.tv_nsec - now.tv_nsec) / 1000000L;
	return ms < 0 ? 0 : (int)ms;
}
