/* SPDX-License-Identifier: MIT */
/*
 * sealroom-screen's parts (docs/processes.md: the screen process) and the
 * state they share. Each file owns one thing:
 *
 *   sealroom-screen.c          the process: its options, the display and the
 *                              panel, taps into commands, the poll loop,
 *                              signals, the capture
 *   sealroom-screen-frames.c   the frame socket: roomd's connection, its
 *                              frames onto tiles, TILE, MEDIA, the counts
 *   sealroom-screen-control.c  keyxchgd: roster and state into tiles, labels
 *                              and the banner; answers to the panel
 *
 * One thread; struct app is the process's whole state.
 */
#ifndef SEALROOM_SCREEN_H
#define SEALROOM_SCREEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "panel/frames.h"
#include "panel/host.h"
#include "panel/input.h"
#include "panel/screen.h"

#define CONTROL_DEFAULT	 "/run/sealroom/kx/keyxchgd.sock"
#define CONTROL_LINE_MAX (64 * 1024) /* keyxchg/CONTROL.md's bound */
#define BACKOFF_MIN_MS	 200
#define BACKOFF_MAX_MS	 5000
#define STATS_MAX	 64 /* senders counted one by one; the rest in "other" */

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
	uint32_t media_wanted;	/* the panel's last MEDIA flags, sent again to a new roomd */
	uint32_t volume_wanted; /* and its volume (roomd starts at PANEL_FRAMES_VOLUME_MAX) */
	struct timespec status_at;
};

void screen_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t screen_now_us(void);

/* sealroom-screen-frames.c: the frame socket (docs/frames.md). */
int screen_frames_open(struct app *a, const char *path);
void screen_frames_accept(struct app *a);
/* Reads a bounded batch of roomd's messages. */
void screen_frames_read(struct app *a);
void screen_frames_close(struct app *a, const char *why);
/* Tells roomd the size to scale sender to (0 x 0: no tile). Never blocks. */
void screen_frames_tell_tile(struct app *a, uint32_t sender);
void screen_frames_print_stats(struct app *a);

/* sealroom-screen-control.c: keyxchgd (keyxchg/CONTROL.md). */
void screen_control_connect(struct app *a);
void screen_control_read(struct app *a);
/* ms until the next connection attempt; -1 while connected. */
int screen_control_retry_in_ms(const struct app *a);
void screen_control_send_status(struct app *a);

#endif
