// SPDX-License-Identifier: MIT
/*
 * frame-sender: plays roomd towards sealroom-screen through panel_frames'
 * sending half (docs/frames.md), for tests/integration/test_screen.py.
 *
 *   frame-sender --frames PATH --sender ID:RRGGBB [--sender ...] [--size WxH]
 *                [--count N] [--interval-ms M]
 *   frame-sender --frames PATH --hostile MODE
 *
 * Normal: a ring of three buffers per sender at --size (default 320x180),
 * in a pool of its own (a sealed memfd at offset 0; roomd has one pool for
 * all),
 * then frames of the sender's flat colour every M ms (default 30), N per
 * sender (0: until SIGTERM), each into a buffer the screen released (a frame
 * is skipped, and counted busy, while the screen holds all three). A TILE
 * from the screen with another size makes a new ring at that size (as roomd
 * scales to the tile). At the end GONE for each sender and one line per
 * sender: "sender ID sent=S busy=B released=R rings=G".
 *
 * Hostile: one message a compromised roomd could send, then waits (at most
 * 10 s) for the screen to close the connection; prints "hostile MODE:
 * closed" or "hostile MODE: still open". MODE: unsealed (a memfd without
 * F_SEAL_SHRINK), truncate (unsealed, cut to 0 after BUFFERS, then a FRAME),
 * short (a sealed memfd half the ring's three buffers), stride (a stride
 * under width * 4), huge (width 100000), garbage (52 bytes of noise), fds (a
 * good BUFFERS with five fds), noring (a FRAME of a ring never announced).
 *
 * Exit 0, 1 when the screen cannot be reached or a send fails, 2 on usage.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "panel/frames.h"

#define MAX_SENDERS 8

struct sender {
	uint32_t id, colour;
	struct panel_frames_tx_pool pool; /* each sender its own, made again with each ring */
	struct panel_frames_tx_ring ring;
	uint32_t generation;
	uint64_t sent, busy, released;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: frame-sender --frames PATH --sender ID:RRGGBB [--sender ...] "
			"[--size WxH] [--count N] [--interval-ms M] | --frames PATH --hostile MODE\n");
	exit(2);
}

static void fill(struct panel_frames_tx_ring *r, uint8_t *data, uint32_t colour)
{
	for (uint32_t y = 0; y < r->height; y++) {
		uint32_t *row = (uint32_t *)(data + (size_t)y * r->stride);

		for (uint32_t x = 0; x < r->width; x++)
			row[x] = colour;
	}
}

static int new_ring(int sock, struct sender *s, uint32_t w, uint32_t h)
{
	int ret;

	panel_frames_tx_pool_free(&s->pool);
	ret = panel_frames_tx_pool_new(&s->pool, panel_frames_tx_ring_bytes(w, h, 3));
	if (!ret)
		ret = panel_frames_tx_ring_init(&s->ring, &s->pool, 0, s->id, ++s->generation, w,
						h, 3);
	if (!ret)
		ret = panel_frames_tx_announce(sock, &s->ring);
	if (ret)
		fprintf(stderr, "frame-sender: ring %ux%u of sender %u: %s\n", w, h, s->id,
			strerror(-ret));
	else
		printf("sender %u ring %u %ux%u\n", s->id, s->generation, w, h);
	fflush(stdout);
	return ret;
}

/* RELEASEs and TILEs from the screen. Returns 0, or -ECONNRESET when it closed. */
static int pump(int sock, struct sender *senders, size_t n)
{
	struct panel_frames_msg m;
	int ret;

	while ((ret = panel_frames_tx_recv(sock, &m)) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct sender *s = &senders[i];

			if (panel_frames_tx_released(&s->ring, &m))
				s->released++;
			else if (m.type == PANEL_FRAMES_TILE && m.sender == s->id && m.width &&
				 (m.width != s->ring.width || m.height != s->ring.height) &&
				 new_ring(sock, s, m.width, m.height))
				return -EIO;
		}
	}
	return ret == -EAGAIN ? 0 : ret;
}

static int run(int sock, struct sender *senders, size_t n, uint32_t w, uint32_t h, uint64_t count,
	       unsigned int interval_ms)
{
	const struct timespec pause = { interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L };
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++)
		ret = new_ring(sock, &senders[i], w, h);
	for (uint64_t f = 0; !ret && !stop && (!count || f < count); f++) {
		ret = pump(sock, senders, n);
		for (size_t i = 0; i < n && !ret; i++) {
			struct sender *s = &senders[i];
			uint32_t index;
			uint8_t *data;

			if (panel_frames_tx_acquire(&s->ring, &index, &data)) {
				s->busy++;
				continue;
			}
			fill(&s->ring, data, s->colour);
			ret = panel_frames_tx_frame(sock, &s->ring, index, f * interval_ms * 1000000ull);
			if (ret == -EAGAIN) { /* the screen is behind: dropped, as roomd would */
				s->busy++;
				ret = 0;
			} else if (!ret) {
				s->sent++;
			}
		}
		nanosleep(&pause, NULL);
	}
	if (!ret)
		ret = pump(sock, senders, n);
	for (size_t i = 0; i < n; i++) {
		struct sender *s = &senders[i];

		if (!ret && panel_frames_tx_gone(sock, s->id))
			ret = -EIO;
		printf("sender %u sent=%llu busy=%llu released=%llu rings=%u\n", s->id,
		       (unsigned long long)s->sent, (unsigned long long)s->busy,
		       (unsigned long long)s->released, s->generation);
		panel_frames_tx_pool_free(&s->pool);
	}
	if (ret)
		fprintf(stderr, "frame-sender: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}

/* ------------------------------------------------------------------ hostile */

static int memfd(uint64_t size, bool seal)
{
	int fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, (off_t)size) ||
	    (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)))
		exit(1);
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int hostile(int sock, const char *mode)
{
	struct panel_frames_msg m = { .type = PANEL_FRAMES_BUFFERS, .sender = 1, .ring = 1,
				      .count = 3, .width = 320, .height = 180, .stride = 1280,
				      .format = PANEL_FRAMES_XRGB8888, .size = 1280 * 180 };
	struct panel_frames_msg f = { .type = PANEL_FRAMES_FRAME, .sender = 1, .ring = 1 };
	uint8_t buf[PANEL_FRAMES_MSG_MAX], fbuf[PANEL_FRAMES_MSG_MAX];
	int fds[5], ret = 0, len = panel_frames_encode(&m, buf);
	int flen = panel_frames_encode(&f, fbuf);
	bool seal = true;
	uint64_t size = 3 * m.size;
	struct pollfd pfd = { sock, POLLIN, 0 };

	if (len < 0 || flen < 0)
		return 1;
	if (!strcmp(mode, "unsealed") || !strcmp(mode, "truncate"))
		seal = false;
	if (!strcmp(mode, "short"))
		size = 3 * m.size / 2;
	for (int i = 0; i < 5; i++)
		fds[i] = memfd(size, seal);
	if (!strcmp(mode, "stride"))
		put32(buf + 28, 1276); /* under 320 * 4 */
	else if (!strcmp(mode, "huge"))
		put32(buf + 20, 100000);
	if (!strcmp(mode, "garbage")) {
		for (int i = 0; i < 52; i++)
			buf[i] = (uint8_t)(rand() >> 7);
		ret = panel_frames_send_bytes(sock, buf, 52, NULL, 0);
	} else if (!strcmp(mode, "noring")) {
		ret = panel_frames_send_bytes(sock, fbuf, (size_t)flen, NULL, 0);
	} else if (!strcmp(mode, "fds")) {
		ret = panel_frames_send_bytes(sock, buf, (size_t)len, fds, 5);
	} else if (!strcmp(mode, "unsealed") || !strcmp(mode, "short") ||
		   !strcmp(mode, "stride") || !strcmp(mode, "huge") ||
		   !strcmp(mode, "truncate")) {
		ret = panel_frames_send_bytes(sock, buf, (size_t)len, fds, 1);
		if (!ret && !strcmp(mode, "truncate")) {
			/* Too late for a screen that mapped it: a read would fault. */
			if (ftruncate(fds[0], 0))
				return 1;
			ret = panel_frames_send_bytes(sock, fbuf, (size_t)flen, NULL, 0);
		}
	} else {
		usage();
	}
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	/* The screen closes the connection of a roomd that sent a bad message (a send
	 * after that fails). */
	if (ret == -EPIPE || ret == -ECONNRESET) {
		printf("hostile %s: closed\n", mode);
		return 0;
	}
	while (!ret && poll(&pfd, 1, 10000) == 1) {
		uint8_t b[64];
		ssize_t n = recv(sock, b, sizeof(b), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			printf("hostile %s: closed\n", mode);
			return 0;
		}
	}
	printf("hostile %s: still open\n", mode);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, 'f' },
		{ "sender", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "hostile", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct sender senders[MAX_SENDERS] = { 0 };
	const char *path = NULL, *mode = NULL;
	uint32_t w = 320, h = 180;
	unsigned long long count = 0;
	unsigned int interval = 30;
	size_t n = 0;
	int c, sock, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			path = optarg;
			break;
		case 's':
			if (n == MAX_SENDERS ||
			    sscanf(optarg, "%u:%x", &senders[n].id, &senders[n].colour) != 2)
				usage();
			n++;
			break;
		case 'z':
			if (sscanf(optarg, "%ux%u", &w, &h) != 2)
				usage();
			break;
		case 'c':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			interval = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'H':
			mode = optarg;
			break;
		default:
			usage();
		}
	}
	if (!path || (!n && !mode) || optind != argc)
		usage();
	for (size_t i = 0; i < n; i++)
		senders[i].pool.fd = senders[i].ring.fd = -1;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	ret = panel_frames_connect(path, &sock);
	if (ret) {
		fprintf(stderr, "frame-sender: %s: %s\n", path, strerror(-ret));
		return 1;
	}
	printf("frame-sender connected\n");
	fflush(stdout);
	ret = mode ? hostile(sock, mode) : run(sock, senders, n, w, h, count, interval);
	fflush(stdout);
	close(sock);
	return ret;
}
