// SPDX-License-Identifier: MIT
/*
 * sealroom-screen's frame socket (docs/frames.md): the one connection from
 * roomd (its uid, by SO_PEERCRED), the decoded frames it hands over (shown
 * only for a sender the roster gives a tile), TILE back to it, its MEDIA
 * state to the panel, and the per-sender counts SIGUSR1 prints.
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sealroom-screen.h"

static struct sender_stats *stats_of(struct app *a, uint32_t sender)
{
	for (size_t i = 0; i < a->n_stats; i++)
		if (a->stats[i].sender == sender)
			return &a->stats[i];
	if (a->n_stats == STATS_MAX)
		return NULL;
	a->stats[a->n_stats] = (struct sender_stats){sender, 0, 0};
	return &a->stats[a->n_stats++];
}

void screen_frames_print_stats(struct app *a)
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

/* Tells roomd the size to scale sender to (0 x 0: no tile). Never blocks. */
void screen_frames_tell_tile(struct app *a, uint32_t sender)
{
	struct wm_rect video = {0}, label;
	int ret;

	if (a->roomd_fd < 0)
		return;
	if (panel_screen_tile(a->screen, sender, &video, &label))
		video.width = video.height = 0;
	ret = panel_frames_send_tile(a->roomd_fd, sender, video.width, video.height);
	if (ret)
		screen_say("roomd: TILE for sender %u not sent: %s", sender, strerror(-ret));
}

void screen_frames_close(struct app *a, const char *why)
{
	if (a->roomd_fd < 0)
		return;
	screen_say("roomd: connection closed (%s)", why);
	close(a->roomd_fd);
	a->roomd_fd = -1;
	panel_frames_rx_reset(&a->rx);
	if (a->panel)
		panel_host_media(a->panel, false, false, false, 0, screen_now_us());
}

int screen_frames_open(struct app *a, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
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

void screen_frames_accept(struct app *a)
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
		screen_say("roomd: refused a peer of uid %ld (roomd is uid %ld)",
			   len == sizeof(cred) ? (long)cred.uid : -1L, (long)a->roomd_uid);
		close(fd);
		return;
	}
	if (a->roomd_fd >= 0) {
		a->refused_peers++;
		screen_say("roomd: refused a second connection (pid %ld)", (long)cred.pid);
		close(fd);
		return;
	}
	a->roomd_fd = fd;
	a->connections++;
	screen_say("roomd: connected (pid %ld)", (long)cred.pid);
	if (a->panel) {
		/* A new roomd starts unmuted at full volume: the room's wish goes to it at once. */
		if ((a->media_wanted || a->volume_wanted != PANEL_FRAMES_VOLUME_MAX) &&
		    panel_frames_send_media(fd, a->media_wanted, a->volume_wanted))
			screen_say("roomd: MEDIA not sent");
		panel_host_media(a->panel, true, false, false, PANEL_FRAMES_VOLUME_MAX,
				 screen_now_us());
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
			screen_say("roomd: frames of sender %u dropped: %s", ev->sender,
				   ret == -ENOENT ? "not in the roster" : strerror(-ret));
	}
	ret = panel_frames_rx_release(&a->rx, a->roomd_fd, ev->sender, ev->ring, ev->index);
	if (ret)
		screen_frames_close(a, ret == -EAGAIN ? "roomd does not read" : strerror(-ret));
}

void screen_frames_read(struct app *a)
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
				screen_say("roomd: message refused: %s", why);
			screen_frames_close(a, why);
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
					screen_say("roomd: sender %u ring %u: %u buffers of %ux%u",
						   r->sender, r->ring, r->count, r->width,
						   r->height);
			}
			screen_frames_tell_tile(a, ev.sender);
			break;
		case PANEL_FRAMES_EV_GONE:
			screen_say("roomd: sender %u gone", ev.sender);
			if (a->panel)
				panel_host_video(a->panel, ev.sender, false);
			break;
		case PANEL_FRAMES_EV_MEDIA:
			screen_say("roomd: microphone %s, camera %s, volume %u%%",
				   ev.flags & PANEL_FRAMES_MIC_MUTED ? "muted" : "on",
				   ev.flags & PANEL_FRAMES_CAMERA_OFF ? "off" : "on", ev.volume);
			if (a->panel)
				panel_host_media(a->panel, true, ev.flags & PANEL_FRAMES_MIC_MUTED,
						 ev.flags & PANEL_FRAMES_CAMERA_OFF, ev.volume,
						 screen_now_us());
			break;
		case PANEL_FRAMES_EV_NONE:
			break;
		}
	}
}
