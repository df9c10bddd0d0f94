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
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crash-report.h"
#include "sealroom-screen.h"

void screen_say(const char *fmt, ...)
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
	fprintf(stderr,
		"usage: sealroom-screen --display DEVICE|soft [--display-size WxH] "
		"[--display-capture PNG] --frames PATH --roomd-uid UID [--control PATH]\n"
		"       [--screen-mm WxH [--touch NAME] [--touch-events PATH (test input)]\n"
		"        [--room-name NAME] [--service ADDR] "
		"[--meeting NAME] [--bar-seconds N]]\n");
	exit(2);
}

uint64_t screen_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* A tap's command to keyxchgd, as the screen's uid (keyxchg/CONTROL.md). */
static void panel_gesture(struct app *a, const struct drv_touch_gesture *g)
{
	struct panel_action act;
	char id[32], req[1024];
	const char *why;
	int n;

	panel_host_gesture(a->panel, g, screen_now_us(), &act);
	if (act.type == PANEL_A_MEDIA) {
		/* roomd's own send chains (docs/frames.md MEDIA); shown once roomd says so. */
		a->media_wanted = (act.mute ? PANEL_FRAMES_MIC_MUTED : 0) |
				  (act.camera_off ? PANEL_FRAMES_CAMERA_OFF : 0);
		a->volume_wanted = act.volume;
		n = a->roomd_fd >= 0
			? panel_frames_send_media(a->roomd_fd, a->media_wanted, a->volume_wanted)
			: -ENOTCONN;
		screen_say("panel: microphone %s, camera %s, volume %u%% asked of roomd%s%s",
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
				printf(" %u=%d,%d,%u,%u/%d,%d,%u,%u", a->tiles[i].id, v.x, v.y,
				       v.width, v.height, l.x, l.y, l.width, l.height);
			screen_frames_tell_tile(a, a->tiles[i].id);
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
			screen_say("panel: %s", why);
			panel_host_notice(a->panel, why);
		}
		return;
	}
	if (a->ctl_fd < 0 || send(a->ctl_fd, req, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		sodium_memzero(req, sizeof(req));
		screen_say("panel: %s not sent: keyxchgd is not connected", id);
		if (act.type == PANEL_A_CHECK_PIN)
			panel_host_pin_answer(a->panel, false, -1,
					      "Not sent: the keying daemon is not reachable.",
					      screen_now_us());
		else
			panel_host_notice(a->panel,
					  "Not sent: the keying daemon is not reachable.");
		return;
	}
	req[n - 1] = '\0';
	/* The admin PIN never in a log: its digits as '*'. The rest is no secret
	 * (a participant, a knock's hash, a meeting code, a setting's value). */
	panel_host_redact(req);
	screen_say("panel: sent %s", req);
	sodium_memzero(req, sizeof(req));
	screen_control_send_status(a);
}

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
		screen_say("capture %s: %s", a->capture, strerror(-ret));
	else
		screen_say("captured %s", a->capture);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"display", required_argument, NULL, 'd'},
	    {"display-size", required_argument, NULL, 's'},
	    {"display-capture", required_argument, NULL, 'c'},
	    {"frames", required_argument, NULL, 'f'},
	    {"roomd-uid", required_argument, NULL, 'u'},
	    {"control", required_argument, NULL, 'k'},
	    {"screen-mm", required_argument, NULL, 'm'},
	    {"touch", required_argument, NULL, 't'},
	    {"touch-events", required_argument, NULL, 'e'},
	    {"room-name", required_argument, NULL, 'r'},
	    {"service", required_argument, NULL, 'v'},
	    {"meeting", required_argument, NULL, 'g'},
	    {"bar-seconds", required_argument, NULL, 'b'},
	    {NULL, 0, NULL, 0},
	};
	struct panel_host_config pcfg = {0};
	const char *touch_name = NULL, *events = NULL;
	bool panel = false;
	static struct app app; /* large: the control line */
	struct app *a = &app;
	const char *display = NULL, *frames = NULL, *what = "";
	uint32_t width = 0, height = 0;
	bool have_uid = false, running = true;
	sigset_t mask;
	int c, ret, sfd, status = 0;

	if (crash_report_install("sealroom-screen"))
		return 1;
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
			if (errno || end == optarg || *end || optarg[0] == '-' || v < 1 ||
			    v > 3600) {
				fprintf(stderr,
					"sealroom-screen: --bar-seconds is 1 to 3600, not \"%s\"\n",
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
		screen_say("display %s %ux%u", display, w, h);
	}
	ret = sfd < 0 ? -errno : screen_frames_open(a, frames);
	if (ret) {
		fprintf(stderr, "sealroom-screen: %s: %s\n", frames, strerror(-ret));
		panel_screen_free(a->screen);
		return 1;
	}
	screen_say("listening on %s for roomd (uid %ld)", frames, (long)a->roomd_uid);
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
			screen_say("touch: the device \"%s\"", touch_name);
		if (events)
			screen_say("touch: TEST INPUT %s (evdev records, axes 0..32767)", events);
		/* keyxchgd checks the admin PIN (keyxchg/CONTROL.md "The admin PIN"). */
		screen_say("panel: %ux%u mm, Settings behind keyxchgd's admin PIN", pcfg.width_mm,
			   pcfg.height_mm);
	}
	screen_control_connect(a);
	if (a->ctl_fd < 0)
		screen_say("keyxchgd: not reachable at %s yet", a->control);

	while (running) {
		struct pollfd pfd[6] = {
		    {sfd, POLLIN, 0},	    {a->listen_fd, POLLIN, 0}, {a->roomd_fd, POLLIN, 0},
		    {a->ctl_fd, POLLIN, 0}, {-1, POLLIN, 0},	       {-1, POLLIN, 0},
		};
		int timeout = screen_control_retry_in_ms(a), in_fds[2] = {-1, -1};

		if (a->input) {
			panel_input_fds(a->input, in_fds);
			pfd[4].fd = in_fds[0];
			pfd[5].fd = in_fds[1];
		}
		if (a->panel) {
			struct timespec now;
			int t = panel_host_timeout_ms(a->panel, screen_now_us());

			/* The panel's bar, and keyxchgd's status (the relay, the lobby) every 2 s.
			 */
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (a->ctl_fd >= 0 && now.tv_sec - a->status_at.tv_sec >= 2)
				screen_control_send_status(a);
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
					screen_frames_print_stats(a);
				else if (si.ssi_signo == SIGUSR2)
					capture(a);
				else
					running = false;
			}
		}
		/* Taps before frames: a person waits on the panel, a frame can be dropped. */
		if (a->panel) {
			struct drv_touch_gesture g[16];
			const short rev[2] = {pfd[4].revents, pfd[5].revents};
			char note[160];
			size_t n = a->input
				       ? panel_input_read(a->input, rev, g, 16, note, sizeof(note))
				       : 0;

			panel_host_tick(a->panel, screen_now_us());
			for (size_t i = 0; i < n; i++)
				panel_gesture(a, &g[i]);
			if (a->input && note[0])
				screen_say("%s", note);
		}
		if (pfd[1].revents & POLLIN)
			screen_frames_accept(a);
		if (a->roomd_fd >= 0 && pfd[2].revents)
			screen_frames_read(a);
		if (a->ctl_fd >= 0 && pfd[3].revents)
			screen_control_read(a);
		if (a->ctl_fd < 0 && !screen_control_retry_in_ms(a))
			screen_control_connect(a);
	}
	if (a->capture && panel_screen_capture(a->screen, a->capture)) {
		fprintf(stderr, "sealroom-screen: capture %s failed\n", a->capture);
		status = 1;
	}
	screen_frames_print_stats(a);
	screen_frames_close(a, "ending");
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
