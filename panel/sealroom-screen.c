// SPDX-License-Identifier: MIT
/*
 * sealroom-screen: the room's screen process (docs/processes.md). It owns the
 * display (panel_screen), takes each remote sender's decoded frames from
 * roomd over the frame socket (docs/frames.md), and takes the tiles, their
 * labels (codeword, name) and trust, and the E2EE banner from keyxchgd's
 * roster and state events (keyxchg/CONTROL.md), never from roomd. It parses
 * no media and holds no key.
 *
 *   sealroom-screen --display DEVICE|soft [--display-size WxH]
 *                   [--display-capture PNG] --frames PATH --roomd-uid UID
 *                   [--control PATH] [--screen-mm WxH [--touch NAME]
 *                   [--touch-events PATH] [--bar-seconds N]
 *                   [--room-name NAME] [--service ADDR] [--meeting NAME]]
 *
 * The touch panel (panel/host.h, docs/panel.md) runs when the screen's
 * physical size is given (--screen-mm, the board's screen_width_mm x
 * screen_height_mm): its widgets on the top layer, taps from the evdev
 * device named NAME (the board's touch_name) through libdrv_touch's
 * recognizer, its commands to keyxchgd on the same control connection.
 * --touch-events is a TEST INPUT: struct input_event records from a file or
 * FIFO (ABS_X/ABS_Y 0..32767, BTN_TOUCH), fed to the same recognizer. The
 * panel's microphone mute goes to roomd as MEDIA on the frame socket
 * (docs/frames.md), never to keyxchgd; the panel shows roomd's answer.
 *
 * Tiles: one per participant of keyxchgd's roster other than this room, in
 * roster order; none outside a meeting, and none while keyxchgd cannot be
 * reached (no label is shown that keyxchgd does not vouch for now). The
 * banner says "End-to-end encrypted" only while keyxchgd is connected and
 * reports this room in a meeting with a roster; otherwise "Waiting for keys".
 * Frames of a sender without a tile are dropped and counted.
 *
 * Signals: SIGUSR1 prints the stats line, SIGUSR2 writes the screen to the
 * --display-capture PNG; SIGTERM / SIGINT end it (capture, stats line,
 * exit 0).
 * Lines on stdout say what changed ("screen: ..."), for people and tests.
 * Exit 0, 1 when the display, the socket or the capture fails, 2 on usage.
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "panel/frames.h"
#include "panel/host.h"
#include "panel/input.h"
#include "panel/screen.h"

#define CONTROL_DEFAULT "/run/sealroom/kx/keyxchgd.sock"
#define CONTROL_LINE_MAX (64 * 1024) /* keyxchg/CONTROL.md's bound */
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
#define STATS_MAX 64 /* senders counted one by one; the rest in "other" */

struct sender_stats {
	uint32_t sender;
	uint64_t shown, dropped;
};

struct app {
	struct panel_screen *screen;
	const char *capture;

	/* The frame socket. */
	int listen_fd, roomd_fd;
	uid_t roomd_uid;
	struct panel_frames_rx rx;
	uint64_t refused_peers, connections, dropped_total, shown_total, dropped_other;
	struct sender_stats stats[STATS_MAX];
	size_t n_stats;

	/* keyxchgd. */
	const char *control;
	int ctl_fd;
	bool subscribed;
	char line[CONTROL_LINE_MAX + 1];
	size_t line_len;
	bool discarding; /* the rest of a line too long */
	int backoff_ms;
	struct timespec retry_at;
	bool in_meeting, have_roster;
	struct panel_screen_tile tiles[PANEL_SCREEN_MAX_TILES];
	/* The tiles' strings, copied out of the JSON. */
	char codewords[PANEL_SCREEN_MAX_TILES][E2EE_CODEWORD_SIZE];
	char names[PANEL_SCREEN_MAX_TILES][WM_SECOND_MAX + 1];
	size_t n_tiles;
	enum wm_e2ee_state e2ee;

	/* The touch panel (NULL without --screen-mm) and its touch input. */
	struct panel_host *panel;
	struct panel_input *input; /* --touch, --touch-events */
	unsigned int requests;
	uint32_t media_wanted; /* the panel's last MEDIA flags, sent again to a new roomd */
	uint32_t volume_wanted; /* and its volume (roomd starts at PANEL_FRAMES_VOLUME_MAX) */
	struct timespec status_at;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("screen: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: sealroom-screen --display DEVICE|soft [--display-size WxH] "
			"[--display-capture PNG] --frames PATH --roomd-uid UID [--control PATH]\n"
			"       [--screen-mm WxH [--touch NAME] [--touch-events PATH (test input)]\n"
			"        [--room-name NAME] [--service ADDR] "
			"[--meeting NAME] [--bar-seconds N]]\n");
	exit(2);
}

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static struct sender_stats *stats_of(struct app *a, uint32_t sender)
{
	for (size_t i = 0; i < a->n_stats; i++)
		if (a->stats[i].sender == sender)
			return &a->stats[i];
	if (a->n_stats == STATS_MAX)
		return NULL;
	a->stats[a->n_stats] = (struct sender_stats){ sender, 0, 0 };
	return &a->stats[a->n_stats++];
}

static void print_stats(struct app *a)
{
	const struct panel_frames_rx_stats *st = &a->rx.stats;

	printf("screen stats: frames=%llu shown=%llu dropped=%llu bad-messages=%llu "
	       "bad-buffers=%llu refused-peers=%llu connections=%llu",
	       (unsigned long long)st->frames, (unsigned long long)a->shown_total,
	       (unsigned long long)a->dropped_total, (unsigned long long)st->bad,
	       (unsigned long long)st->bad_fds, (unsigned long long)a->refused_peers,
	       (unsigned long long)a->connections);
	for (size_t i = 0; i < a->n_stats; i++)
		printf(" sender=%u:shown=%llu:dropped=%llu", a->stats[i].sender,
		       (unsigned long long)a->stats[i].shown,
		       (unsigned long long)a->stats[i].dropped);
	if (a->dropped_other)
		printf(" other-senders-dropped=%llu", (unsigned long long)a->dropped_other);
	putchar('\n');
	fflush(stdout);
}

static bool has_tile(const struct app *a, uint32_t sender)
{
	for (size_t i = 0; i < a->n_tiles; i++)
		if (a->tiles[i].id == sender)
			return true;
	return false;
}

/* ------------------------------------------------------------ the frame socket */

/* Tells roomd the size to scale sender to (0 x 0: no tile). Never blocks. */
static void tell_tile(struct app *a, uint32_t sender)
{
	struct wm_rect video = { 0 }, label;
	int ret;

	if (a->roomd_fd < 0)
		return;
	if (panel_screen_tile(a->screen, sender, &video, &label))
		video.width = video.height = 0;
	ret = panel_frames_send_tile(a->roomd_fd, sender, video.width, video.height);
	if (ret)
		say("roomd: TILE for sender %u not sent: %s", sender, strerror(-ret));
}

static void close_roomd(struct app *a, const char *why)
{
	if (a->roomd_fd < 0)
		return;
	say("roomd: connection closed (%s)", why);
	close(a->roomd_fd);
	a->roomd_fd = -1;
	panel_frames_rx_reset(&a->rx);
	if (a->panel)
		panel_host_media(a->panel, false, false, false, 0, now_us());
}

static int open_frames(struct app *a, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* Only a stale socket is replaced, never another kind of file. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	a->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->listen_fd < 0)
		return -errno;
	if (bind(a->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    listen(a->listen_fd, 4))
		return -errno;
	return 0;
}

static void accept_roomd(struct app *a)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	/* The kernel's word on who connected, not the peer's. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || len != sizeof(cred) ||
	    cred.uid != a->roomd_uid) {
		a->refused_peers++;
		say("roomd: refused a peer of uid %ld (roomd is uid %ld)",
		    len == sizeof(cred) ? (long)cred.uid : -1L, (long)a->roomd_uid);
		close(fd);
		return;
	}
	if (a->roomd_fd >= 0) {
		a->refused_peers++;
		say("roomd: refused a second connection (pid %ld)", (long)cred.pid);
		close(fd);
		return;
	}
	a->roomd_fd = fd;
	a->connections++;
	say("roomd: connected (pid %ld)", (long)cred.pid);
	if (a->panel) {
		/* A new roomd starts unmuted at full volume: the room's wish goes to it at once. */
		if ((a->media_wanted || a->volume_wanted != PANEL_FRAMES_VOLUME_MAX) &&
		    panel_frames_send_media(fd, a->media_wanted, a->volume_wanted))
			say("roomd: MEDIA not sent");
		panel_host_media(a->panel, true, false, false, PANEL_FRAMES_VOLUME_MAX, now_us());
	}
}

static void on_frame(struct app *a, const struct panel_frames_event *ev)
{
	struct sender_stats *st = stats_of(a, ev->sender);
	int ret = -ENOENT;

	/* The roster decides who has a tile; roomd only says whose frame it is. */
	if (has_tile(a, ev->sender))
		ret = panel_screen_put_frame(a->screen, ev->sender, ev->img.data, ev->img.width,
					     ev->img.height, ev->img.stride);
	if (!ret) {
		a->shown_total++;
		if (st)
			st->shown++;
		/* A look-up of at most 16 senders; redrawn only when one starts. */
		if (a->panel)
			panel_host_video(a->panel, ev->sender, true);
	} else {
		a->dropped_total++;
		if (st)
			st->dropped++;
		else
			a->dropped_other++;
		if (!st || st->dropped == 1)
			say("roomd: frames of sender %u dropped: %s", ev->sender,
			    ret == -ENOENT ? "not in the roster" : strerror(-ret));
	}
	ret = panel_frames_rx_release(&a->rx, a->roomd_fd, ev->sender, ev->ring, ev->index);
	if (ret)
		close_roomd(a, ret == -EAGAIN ? "roomd does not read" : strerror(-ret));
}

static void read_roomd(struct app *a)
{
	struct panel_frames_event ev;
	int ret;

	/* A bounded batch, so that keyxchgd's events are never starved. */
	for (int n = 0; n < 64 && a->roomd_fd >= 0; n++) {
		ret = panel_frames_rx_recv(&a->rx, a->roomd_fd, &ev);
		if (ret == -EAGAIN)
			return;
		if (ret) {
			char why[96];

			snprintf(why, sizeof(why), "%s",
				 ret == -ECONNRESET ? "roomd closed it" : strerror(-ret));
			if (ret != -ECONNRESET)
				say("roomd: message refused: %s", why);
			close_roomd(a, why);
			return;
		}
		switch (ev.type) {
		case PANEL_FRAMES_EV_FRAME:
			on_frame(a, &ev);
			break;
		case PANEL_FRAMES_EV_BUFFERS:
			for (size_t i = 0; i < PANEL_FRAMES_SENDERS_MAX; i++) {
				const struct panel_frames_rx_ring *r = &a->rx.rings[i];

				if (r->used && r->sender == ev.sender)
					say("roomd: sender %u ring %u: %u buffers of %ux%u",
					    r->sender, r->ring, r->count, r->width, r->height);
			}
			tell_tile(a, ev.sender);
			break;
		case PANEL_FRAMES_EV_GONE:
			say("roomd: sender %u gone", ev.sender);
			if (a->panel)
				panel_host_video(a->panel, ev.sender, false);
			break;
		case PANEL_FRAMES_EV_MEDIA:
			say("roomd: microphone %s, camera %s, volume %u%%",
			    ev.flags & PANEL_FRAMES_MIC_MUTED ? "muted" : "on",
			    ev.flags & PANEL_FRAMES_CAMERA_OFF ? "off" : "on", ev.volume);
			if (a->panel)
				panel_host_media(a->panel, true, ev.flags & PANEL_FRAMES_MIC_MUTED,
						 ev.flags & PANEL_FRAMES_CAMERA_OFF, ev.volume, now_us());
			break;
		case PANEL_FRAMES_EV_NONE:
			break;
		}
	}
}

/* ------------------------------------------------------------------ keyxchgd */

static void show_e2ee(struct app *a)
{
	enum wm_e2ee_state e2ee = a->ctl_fd >= 0 && a->subscribed && a->in_meeting &&
						  a->have_roster
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
		say("banner: %s", strerror(-ret));
		return;
	}
	a->e2ee = e2ee;
	say("banner %s", e2ee == WM_E2EE_ON ? "end-to-end encrypted" : "waiting for keys");
}

static void show_tiles(struct app *a)
{
	int ret = panel_screen_set_tiles(a->screen, a->tiles, a->n_tiles);

	if (ret) {
		/* Never a tile under a label that could not be shown as keyxchgd gave it. */
		say("tiles: %s: none shown", strerror(-ret));
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
			tell_tile(a, a->rx.rings[i].sender);
	for (size_t i = 0; i < a->n_tiles; i++)
		tell_tile(a, a->tiles[i].id);
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
			say("roster: participant %zu left out (no usable id or codeword)", i);
			continue;
		}
		if (n == PANEL_SCREEN_MAX_TILES) {
			say("roster: more than %u remote participants; the rest not shown",
			    PANEL_SCREEN_MAX_TILES);
			break;
		}
		strcpy(a->codewords[n], cw);
		if (name)
			strcpy(a->names[n], name);
		a->tiles[n] = (struct panel_screen_tile){
			(uint32_t)json_integer_value(id), a->codewords[n], name ? a->names[n] : NULL,
			pinned && !strcmp(pinned, "changed") ? WM_TRUST_WARNING
			: json_is_true(json_object_get(p, "verified")) ? WM_TRUST_VERIFIED
								     : WM_TRUST_UNVERIFIED
		};
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
	say("keyxchgd: state %s", state);
	if (strcmp(state, "in-meeting"))
		clear_meeting(a);
	else
		a->in_meeting = true;
}

/* ------------------------------------------------------------------ the panel */

static void send_status(struct app *a)
{
	/* The panel's own id: the tiles keep following roster events alone. */
	static const char req[] = "{\"cmd\":\"status\",\"id\":\"panel-status\"}\n";

	clock_gettime(CLOCK_MONOTONIC, &a->status_at);
	if (a->ctl_fd >= 0 && send(a->ctl_fd, req, sizeof(req) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
				      (ssize_t)(sizeof(req) - 1))
		say("keyxchgd: status request not sent: %s", strerror(errno));
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

		say("panel: %s %s%s", id, ok ? "admin PIN taken: Settings open" : "refused: ",
		    ok ? "" : err ? err : "no reason");
		panel_host_pin_answer(a->panel, ok,
				      json_is_integer(ms) ? (long long)json_integer_value(ms) : -1,
				      ok ? NULL : err ? err : "keyxchgd refused it", now_us());
		return;
	}
	if (!event && id && !strncmp(id, "panel-", 6) && !status) {
		const char *err = json_string_value(json_object_get(o, "error"));
		char line[256];

		if (json_is_true(json_object_get(o, "ok"))) {
			say("panel: %s done", id);
			/* "Resetting…" and the like are over; a refusal stays. */
			panel_host_notice(a->panel, "");
			return;
		}
		snprintf(line, sizeof(line), "keyxchgd refused it: %s", err ? err : "no reason");
		say("panel: %s %s", id, line);
		/* The PIN Settings hold was refused (changed elsewhere, a lockout, no
		 * verifier any more): they close and forget it (CONTROL.md's errors). */
		if (err && (!strncmp(err, "wrong PIN", 9) || !strncmp(err, "too many wrong PINs", 19) ||
			    !strncmp(err, "no admin PIN is set", 19)))
			panel_host_pin_refused(a->panel, err);
		else
			panel_host_notice(a->panel, line);
		return;
	}
	if (status || event)
		panel_host_control(a->panel, o, status, now_us());
	/* The relay's state and the lobby come with status only: asked again at once. */
	if (event && !strcmp(event, "state"))
		send_status(a);
}

/* A tap's command to keyxchgd, as the screen's uid (keyxchg/CONTROL.md). */
static void panel_gesture(struct app *a, const struct drv_touch_gesture *g)
{
	struct panel_action act;
	char id[32], req[1024];
	const char *why;
	int n;

	panel_host_gesture(a->panel, g, now_us(), &act);
	if (act.type == PANEL_A_MEDIA) {
		/* roomd's own send chains (docs/frames.md MEDIA); shown once roomd says so. */
		a->media_wanted = (act.mute ? PANEL_FRAMES_MIC_MUTED : 0) |
				  (act.camera_off ? PANEL_FRAMES_CAMERA_OFF : 0);
		a->volume_wanted = act.volume;
		n = a->roomd_fd >= 0 ? panel_frames_send_media(a->roomd_fd, a->media_wanted,
							       a->volume_wanted)
				     : -ENOTCONN;
		say("panel: microphone %s, camera %s, volume %u%% asked of roomd%s%s",
		    act.mute ? "muted" : "on", act.camera_off ? "off" : "on", act.volume,
		    n ? ": not sent, " : "", n ? strerror(-n) : "");
		return;
	}
	if (act.type == PANEL_A_LAYOUT) {
		/* Laid out again (panel_host): roomd scales to the new tile sizes. Where each
		 * tile and its label are now, for tests and people. */
		printf("screen: layout:");
		for (size_t i = 0; i < a->n_tiles; i++) {
			struct wm_rect v, l;

			if (!panel_screen_tile(a->screen, a->tiles[i].id, &v, &l))
				printf(" %u=%d,%d,%u,%u/%d,%d,%u,%u", a->tiles[i].id, v.x, v.y, v.width,
				       v.height, l.x, l.y, l.width, l.height);
			tell_tile(a, a->tiles[i].id);
		}
		putchar('\n');
		fflush(stdout);
		return;
	}
	/* check-pin's answer is told apart by its id (panel_control). */
	snprintf(id, sizeof(id), "panel-%s%u", act.type == PANEL_A_CHECK_PIN ? "pin-" : "",
		 ++a->requests);
	n = panel_host_request(a->panel, &act, id, req, sizeof(req), &why);
	sodium_memzero(act.pin, sizeof(act.pin)); /* in req now, if anywhere */
	if (n <= 0) {
		if (why) {
			say("panel: %s", why);
			panel_host_notice(a->panel, why);
		}
		return;
	}
	if (a->ctl_fd < 0 || send(a->ctl_fd, req, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		sodium_memzero(req, sizeof(req));
		say("panel: %s not sent: keyxchgd is not connected", id);
		if (act.type == PANEL_A_CHECK_PIN)
			panel_host_pin_answer(a->panel, false, -1,
					      "Not sent: the keying daemon is not reachable.",
					      now_us());
		else
			panel_host_notice(a->panel, "Not sent: the keying daemon is not reachable.");
		return;
	}
	req[n - 1] = '\0';
	/* The admin PIN never in a log: its digits as '*'. The rest is no secret
	 * (a participant, a knock's hash, a meeting code, a setting's value). */
	panel_host_redact(req);
	say("panel: sent %s", req);
	sodium_memzero(req, sizeof(req));
	send_status(a);
}

static void handle_line(struct app *a, const char *line, size_t len)
{
	json_error_t err;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	const char *event, *id;

	if (!json_is_object(o)) {
		say("keyxchgd: a line that is not a JSON object ignored");
		json_decref(o);
		return;
	}
	event = json_string_value(json_object_get(o, "event"));
	id = json_string_value(json_object_get(o, "id"));
	if (a->panel)
		panel_control(a, o, event, id);
	if (!event && id && !strcmp(id, "screen-subscribe")) {
		a->subscribed = json_is_true(json_object_get(o, "ok"));
		say("keyxchgd: %s", a->subscribed ? "subscribed to roster and state"
						  : "subscription refused");
		if (a->panel)
			panel_host_kx(a->panel, a->subscribed, now_us());
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
		say("keyxchgd: connection lost (%s)", why);
		close(a->ctl_fd);
	}
	a->ctl_fd = -1;
	a->subscribed = false;
	if (a->panel)
		panel_host_kx(a->panel, false, now_us());
	a->line_len = 0;
	a->discarding = false;
	/* Nothing keyxchgd does not vouch for now stays on screen. */
	clear_meeting(a);
	show_e2ee(a);
	schedule_retry(a);
}

static void connect_control(struct app *a)
{
	static const char req[] = "{\"cmd\":\"subscribe\",\"id\":\"screen-subscribe\","
				  "\"events\":[\"roster\",\"state\"]}\n"
				  "{\"cmd\":\"status\",\"id\":\"screen-status\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
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
	say("keyxchgd: connected to %s", a->control);
}

static void read_control(struct app *a)
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

static int retry_in_ms(const struct app *a)
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

/* ---------------------------------------------------------------------- main */

static bool parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	char *end;
	unsigned long x, y;

	if (*s < '1' || *s > '9')
		return false;
	x = strtoul(s, &end, 10);
	if (*end != 'x' || end[1] < '1' || end[1] > '9')
		return false;
	y = strtoul(end + 1, &end, 10);
	if (*end || x > 16384 || y > 16384)
		return false;
	*w = (uint32_t)x;
	*h = (uint32_t)y;
	return true;
}

static bool parse_uid(const char *s, uid_t *uid)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v >= (unsigned long)(uid_t)-1)
		return false;
	*uid = (uid_t)v;
	return true;
}

static void capture(struct app *a)
{
	int ret;

	if (!a->capture)
		return;
	ret = panel_screen_capture(a->screen, a->capture);
	if (ret)
		say("capture %s: %s", a->capture, strerror(-ret));
	else
		say("captured %s", a->capture);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "display", required_argument, NULL, 'd' },
		{ "display-size", required_argument, NULL, 's' },
		{ "display-capture", required_argument, NULL, 'c' },
		{ "frames", required_argument, NULL, 'f' },
		{ "roomd-uid", required_argument, NULL, 'u' },
		{ "control", required_argument, NULL, 'k' },
		{ "screen-mm", required_argument, NULL, 'm' },
		{ "touch", required_argument, NULL, 't' },
		{ "touch-events", required_argument, NULL, 'e' },
		{ "room-name", required_argument, NULL, 'r' },
		{ "service", required_argument, NULL, 'v' },
		{ "meeting", required_argument, NULL, 'g' },
		{ "bar-seconds", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct panel_host_config pcfg = { 0 };
	const char *touch_name = NULL, *events = NULL;
	bool panel = false;
	static struct app app; /* large: the control line */
	struct app *a = &app;
	const char *display = NULL, *frames = NULL, *what = "";
	uint32_t width = 0, height = 0;
	bool have_uid = false, running = true;
	sigset_t mask;
	int c, ret, sfd, status = 0;

	a->control = CONTROL_DEFAULT;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			display = optarg;
			break;
		case 's':
			if (!parse_size(optarg, &width, &height))
				usage();
			break;
		case 'c':
			a->capture = optarg;
			break;
		case 'f':
			frames = optarg;
			break;
		case 'u':
			if (!parse_uid(optarg, &a->roomd_uid))
				usage();
			have_uid = true;
			break;
		case 'k':
			a->control = optarg;
			break;
		case 'm':
			if (!parse_size(optarg, &pcfg.width_mm, &pcfg.height_mm))
				usage();
			panel = true;
			break;
		case 't':
			touch_name = optarg;
			break;
		case 'e':
			events = optarg;
			break;
		case 'r':
			pcfg.room_name = optarg;
			break;
		case 'v':
			pcfg.service = optarg;
			break;
		case 'g':
			pcfg.meeting = optarg;
			break;
		case 'b': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || v < 1 || v > 3600) {
				fprintf(stderr, "sealroom-screen: --bar-seconds is 1 to 3600, not \"%s\"\n",
					optarg);
				exit(2);
			}
			pcfg.bar_seconds = (unsigned int)v;
			break;
		}
		default:
			usage();
		}
	}
	if (!display || !frames || !have_uid || optind != argc ||
	    (!panel && (touch_name || events)))
		usage();
	a->listen_fd = a->roomd_fd = a->ctl_fd = -1;
	a->volume_wanted = PANEL_FRAMES_VOLUME_MAX;
	a->backoff_ms = BACKOFF_MIN_MS;
	a->e2ee = WM_E2EE_WAITING;
	panel_frames_rx_init(&a->rx);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);

	ret = panel_screen_new(display, width, height, a->e2ee, &a->screen, &what);
	if (ret) {
		fprintf(stderr, "sealroom-screen: display: %s: %s\n", what, strerror(-ret));
		return 1;
	}
	{
		uint32_t w, h;

		panel_screen_size(a->screen, &w, &h);
		say("display %s %ux%u", display, w, h);
	}
	ret = sfd < 0 ? -errno : open_frames(a, frames);
	if (ret) {
		fprintf(stderr, "sealroom-screen: %s: %s\n", frames, strerror(-ret));
		panel_screen_free(a->screen);
		return 1;
	}
	say("listening on %s for roomd (uid %ld)", frames, (long)a->roomd_uid);
	if (panel) {
		uint32_t w, h;

		ret = panel_host_new(a->screen, &pcfg, &a->panel, &what);
		if (ret) {
			fprintf(stderr, "sealroom-screen: panel: %s: %s\n", what, strerror(-ret));
			return 1;
		}
		panel_screen_size(a->screen, &w, &h);
		ret = panel_input_open(touch_name, events, w, h, &a->input, &what);
		if (ret) {
			fprintf(stderr, "sealroom-screen: touch input %s: %s\n", what,
				strerror(-ret));
			return 1;
		}
		if (touch_name)
			say("touch: the device \"%s\"", touch_name);
		if (events)
			say("touch: TEST INPUT %s (evdev records, axes 0..32767)", events);
		/* keyxchgd checks the admin PIN (keyxchg/CONTROL.md "The admin PIN"). */
		say("panel: %ux%u mm, Settings behind keyxchgd's admin PIN", pcfg.width_mm,
		    pcfg.height_mm);
	}
	connect_control(a);
	if (a->ctl_fd < 0)
		say("keyxchgd: not reachable at %s yet", a->control);

	while (running) {
		struct pollfd pfd[6] = {
			{ sfd, POLLIN, 0 },
			{ a->listen_fd, POLLIN, 0 },
			{ a->roomd_fd, POLLIN, 0 },
			{ a->ctl_fd, POLLIN, 0 },
			{ -1, POLLIN, 0 },
			{ -1, POLLIN, 0 },
		};
		int timeout = retry_in_ms(a), in_fds[2] = { -1, -1 };

		if (a->input) {
			panel_input_fds(a->input, in_fds);
			pfd[4].fd = in_fds[0];
			pfd[5].fd = in_fds[1];
		}
		if (a->panel) {
			struct timespec now;
			int t = panel_host_timeout_ms(a->panel, now_us());

			/* The panel's bar, and keyxchgd's status (the relay, the lobby) every 2 s. */
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (a->ctl_fd >= 0 && now.tv_sec - a->status_at.tv_sec >= 2)
				send_status(a);
			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
			if (a->ctl_fd >= 0 && (timeout < 0 || timeout > 2000))
				timeout = 2000;
		}
		if (poll(pfd, 6, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1)
					print_stats(a);
				else if (si.ssi_signo == SIGUSR2)
					capture(a);
				else
					running = false;
			}
		}
		/* Taps before frames: a person waits on the panel, a frame can be dropped. */
		if (a->panel) {
			struct drv_touch_gesture g[16];
			const short rev[2] = { pfd[4].revents, pfd[5].revents };
			char note[160];
			size_t n = a->input ? panel_input_read(a->input, rev, g, 16, note,
							      sizeof(note))
					    : 0;

			panel_host_tick(a->panel, now_us());
			for (size_t i = 0; i < n; i++)
				panel_gesture(a, &g[i]);
			if (a->input && note[0])
				say("%s", note);
		}
		if (pfd[1].revents & POLLIN)
			accept_roomd(a);
		if (a->roomd_fd >= 0 && pfd[2].revents)
			read_roomd(a);
		if (a->ctl_fd >= 0 && pfd[3].revents)
			read_control(a);
		if (a->ctl_fd < 0 && !retry_in_ms(a))
			connect_control(a);
	}
	if (a->capture && panel_screen_capture(a->screen, a->capture)) {
		fprintf(stderr, "sealroom-screen: capture %s failed\n", a->capture);
		status = 1;
	}
	print_stats(a);
	close_roomd(a, "ending");
	if (a->ctl_fd >= 0)
		close(a->ctl_fd);
	close(a->listen_fd);
	panel_input_close(a->input);
	panel_host_free(a->panel);
	unlink(frames);
	close(sfd);
	panel_screen_free(a->screen);
	return status;
}
