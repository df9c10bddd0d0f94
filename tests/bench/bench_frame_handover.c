// SPDX-License-Identifier: MIT
/*
 * bench-frame-handover: what it costs to hand decoded frames from roomd to
 * the screen process (panel_frames over a SOCK_SEQPACKET socket, sealed
 * memfd rings, docs/frames.md) against the room display inside one process
 * (what e2ee-media --display does: the decoder's frame copied straight into
 * the tile), on the same room screen (panel_screen on the host's "soft"
 * display, 1920x1080, one 1592x894 tile, as bench-room-display).
 *
 *   in-process: per frame, fill a frame in memory (standing in for the
 *     decoder's output), panel_screen_put_frame, wait until it is committed;
 *   hand-over: a child process (roomd) fills a ring buffer and sends FRAME;
 *     this process (the screen) receives it, panel_screen_put_frame from the
 *     read-only mapping, waits until it is committed, sends RELEASE.
 *
 * Every frame is committed (no frame is coalesced with the next), so CPU
 * per frame is CPU per displayed frame. Measured over the middle 60 % of
 * FRAMES frames: both processes' CPU time (user + system, every thread) and
 * the malloc family's calls (tests/lib/alloc_count.c, counted in each process).
 * Prints one line:
 *   frame-handover: screen=1920x1080 tile=WxH frames=N shown=S
 *   handover_us_per_frame=H (roomd=R screen=C) inprocess_us_per_frame=I
 *   ratio=H/I handover_only_us_per_frame=H-I roomd_allocs_per_frame=A
 *   screen_allocs_per_frame=B inprocess_allocs_per_frame=P
 *   protocol_us_per_frame=X
 * where X is the CPU of the protocol's own calls on both sides (sending FRAME,
 * receiving and checking it, RELEASE back and taken in), measured with each
 * thread's CPU clock around them: the hand-over's cost without the copy into
 * the tile and the composition that both ways share.
 * Exit 0 when it measured, 1 when something is broken. Never fails on speed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc_count.h"
#include "panel/frames.h"
#include "panel/screen.h"

#define FRAMES 300u
#define FIRST (FRAMES / 5)    /* the window: frames FIRST .. LAST - 1 */
#define LAST (FRAMES * 4 / 5)
#define TILE 1u
#define CODEWORD "mavoj-pubip-gubad-gamiv"

struct window {
	long allocs;
	double cpu;
	double protocol; /* the thread's CPU in the protocol's calls alone, in the window */
};

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double thread_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Adds the thread's CPU since *t0 to w->protocol when frame is in the window. */
static void protocol(struct window *w, uint32_t frame, double t0)
{
	if (frame >= FIRST && frame < LAST)
		w->protocol += thread_seconds() - t0;
}

static void mark(struct window *w, uint32_t frame)
{
	if (frame == FIRST) {
		w->allocs = -tu_allocs();
		w->cpu = -cpu_seconds();
	} else if (frame == LAST) {
		w->allocs += tu_allocs();
		w->cpu += cpu_seconds();
	}
}

/* A frame as a decoder would leave it: every pixel written, a new value each time. */
static void fill(uint8_t *data, uint32_t w, uint32_t h, uint32_t stride, uint32_t frame)
{
	uint32_t v = 0x00203040u + frame * 0x010101u;

	for (uint32_t y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)(data + (size_t)y * stride);

		for (uint32_t x = 0; x < w; x++)
			row[x] = v;
	}
}

/* Until frame n of the tile is committed (the display thread's commit). */
static void wait_shown(struct panel_screen *s, unsigned int n)
{
	const struct timespec t = { 0, 50000 };

	while (panel_screen_frames(s, TILE) < n)
		nanosleep(&t, NULL);
}

/* The child: roomd's side. Writes its window to out. */
static int roomd(int sock, uint32_t w, uint32_t h, int out)
{
	struct panel_frames_tx_pool pool;
	struct panel_frames_tx_ring r;
	struct panel_frames_msg m;
	struct window win = { 0 };
	int ret = panel_frames_tx_pool_new(&pool, panel_frames_tx_ring_bytes(w, h, 3));

	if (!ret)
		ret = panel_frames_tx_ring_init(&r, &pool, 0, TILE, 1, w, h, 3);
	if (!ret)
		ret = panel_frames_tx_announce(sock, &r);
	for (uint32_t f = 0; !ret && f < FRAMES; f++) {
		uint32_t index;
		uint8_t *data;

		double t0;

		mark(&win, f);
		/* Wait for a RELEASE while the screen holds all three. */
		while (!ret && panel_frames_tx_acquire(&r, &index, &data)) {
			struct pollfd p = { sock, POLLIN, 0 };

			if (poll(&p, 1, 30000) != 1)
				ret = -ETIMEDOUT;
			t0 = thread_seconds();
			while (!ret && !(ret = panel_frames_tx_recv(sock, &m)))
				panel_frames_tx_released(&r, &m);
			protocol(&win, f, t0);
			ret = ret == -EAGAIN ? 0 : ret;
		}
		if (ret)
			break;
		fill(data, w, h, r.stride, f);
		t0 = thread_seconds();
		ret = panel_frames_tx_frame(sock, &r, index, f);
		protocol(&win, f, t0);
	}
	/* The screen releases the last ones before this process goes. */
	while (!ret && r.busy) {
		struct pollfd p = { sock, POLLIN, 0 };

		if (poll(&p, 1, 30000) != 1)
			ret = -ETIMEDOUT;
		while (!ret && !(ret = panel_frames_tx_recv(sock, &m)))
			panel_frames_tx_released(&r, &m);
		ret = ret == -EAGAIN ? 0 : ret;
	}
	if (write(out, &win, sizeof(win)) != sizeof(win))
		ret = -EIO;
	panel_frames_tx_pool_free(&pool);
	if (ret)
		fprintf(stderr, "bench-frame-handover: roomd: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}

/* This process: the screen's side. */
static int screen_side(struct panel_screen *s, int sock, struct window *win, unsigned int *shown)
{
	struct panel_frames_rx rx;
	struct panel_frames_event ev;
	unsigned int base = panel_screen_frames(s, TILE);
	uint32_t f = 0;
	int ret = 0;

	panel_frames_rx_init(&rx);
	while (!ret && f < FRAMES) {
		struct pollfd p = { sock, POLLIN, 0 };
		double t0;

		if (poll(&p, 1, 30000) != 1) {
			ret = -ETIMEDOUT;
			break;
		}
		t0 = thread_seconds();
		ret = panel_frames_rx_recv(&rx, sock, &ev);
		protocol(win, f, t0);
		if (ret == -EAGAIN) {
			ret = 0;
			continue;
		}
		if (ret || ev.type != PANEL_FRAMES_EV_FRAME)
			continue;
		mark(win, f);
		ret = panel_screen_put_frame(s, TILE, ev.img.data, ev.img.width, ev.img.height,
					     ev.img.stride);
		if (!ret)
			wait_shown(s, base + ++f);
		t0 = thread_seconds();
		if (!ret)
			ret = panel_frames_rx_release(&rx, sock, ev.sender, ev.ring, ev.index);
		protocol(win, f - 1, t0);
	}
	*shown = panel_screen_frames(s, TILE) - base;
	panel_frames_rx_reset(&rx);
	if (ret)
		fprintf(stderr, "bench-frame-handover: screen: %s\n", strerror(-ret));
	return ret;
}

static int in_process(struct panel_screen *s, uint32_t w, uint32_t h, struct window *win)
{
	uint8_t *frame = malloc((size_t)w * h * 4);
	unsigned int base = panel_screen_frames(s, TILE);
	int ret = frame ? 0 : -ENOMEM;

	for (uint32_t f = 0; !ret && f < FRAMES; f++) {
		mark(win, f);
		fill(frame, w, h, w * 4, f);
		ret = panel_screen_put_frame(s, TILE, frame, w, h, w * 4);
		if (!ret)
			wait_shown(s, base + f + 1);
	}
	free(frame);
	return ret;
}

int main(void)
{
	const struct panel_screen_tile tile = { TILE, CODEWORD, "Bench", WM_TRUST_VERIFIED };
	struct window inproc = { 0 }, scr = { 0 }, rd = { 0 };
	struct panel_screen *s = NULL;
	struct wm_rect video, label;
	const char *what = "";
	unsigned int shown = 0, n = LAST - FIRST;
	int sv[2], pv[2], ret, status = 1, wstatus = 0;
	pid_t child;

	/* The counter counts (a zero below must mean something). */
	{
		long before = tu_allocs();
		void *volatile p = malloc(16);

		free(p);
		if (!tu_allocs_counted() || tu_allocs() - before < 1) {
			fprintf(stderr, "bench-frame-handover: allocations are not counted\n");
			return 1;
		}
	}
	ret = panel_screen_new("soft", 1920, 1080, WM_E2EE_ON, &s, &what);
	if (!ret)
		ret = panel_screen_set_tiles(s, &tile, 1);
	if (ret) {
		fprintf(stderr, "bench-frame-handover: %s: %s\n", what, strerror(-ret));
		panel_screen_free(s);
		return 1;
	}
	panel_screen_tile(s, TILE, &video, &label);
	if (in_process(s, video.width, video.height, &inproc))
		goto out;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) || pipe(pv))
		goto out;
	child = fork();
	if (child < 0)
		goto out;
	if (child == 0) {
		close(sv[1]);
		close(pv[0]);
		_exit(roomd(sv[0], video.width, video.height, pv[1]));
	}
	close(sv[0]);
	close(pv[1]);
	ret = screen_side(s, sv[1], &scr, &shown);
	if (read(pv[0], &rd, sizeof(rd)) != sizeof(rd))
		ret = -EIO;
	waitpid(child, &wstatus, 0);
	if (ret || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus))
		goto out;
	{
		double h = (rd.cpu + scr.cpu) * 1e6 / n, i = inproc.cpu * 1e6 / n;

		printf("frame-handover: screen=1920x1080 tile=%ux%u frames=%u shown=%u "
		       "handover_us_per_frame=%.0f (roomd=%.0f screen=%.0f) "
		       "inprocess_us_per_frame=%.0f ratio=%.2f handover_only_us_per_frame=%.0f "
		       "roomd_allocs_per_frame=%.2f screen_allocs_per_frame=%.2f "
		       "inprocess_allocs_per_frame=%.2f protocol_us_per_frame=%.1f\n",
		       video.width, video.height, FRAMES, shown, h, rd.cpu * 1e6 / n,
		       scr.cpu * 1e6 / n, i, i > 0 ? h / i : 0, h - i, (double)rd.allocs / n,
		       (double)scr.allocs / n, (double)inproc.allocs / n,
		       (rd.protocol + scr.protocol) * 1e6 / n);
	}
	status = 0;
out:
	panel_screen_free(s);
	return status;
}
