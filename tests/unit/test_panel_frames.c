// SPDX-License-Identifier: MIT
/*
 * panel_frames (panel/frames.h, docs/frames.md): the encoder and parser as
 * tables of named messages (every type round trip, then each rule broken
 * once), the receiver on real memfds and other fds (sealed, unsealed, too
 * small, a regular file, a pipe; every fd closed whatever happens), the
 * receiver's state (stale rings, held buffers, GONE, too many senders), and
 * both halves over a SOCK_SEQPACKET socketpair (pixels through, RELEASE
 * back, a message too long, too many fds, EOF).
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "panel/frames.h"

static const struct panel_frames_msg good_buffers = {
	.type = PANEL_FRAMES_BUFFERS, .sender = 7, .ring = 1, .count = 3, .width = 64,
	.height = 36, .stride = 256, .format = PANEL_FRAMES_XRGB8888, .size = 256 * 36,
};

static bool closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

/* ------------------------------------------------------- encode and parse */

static void test_round_trip(void **state)
{
	static const struct {
		const char *name;
		struct panel_frames_msg m;
		enum panel_frames_from from;
		size_t len, fds;
	} vec[] = {
		{ "buffers", good_buffers, PANEL_FRAMES_FROM_ROOMD, 44, 3 },
		{ "frame", { .type = PANEL_FRAMES_FRAME, .sender = 65534, .ring = 9, .index = 2,
			     .pts = 0x0123456789abcdefull },
		  PANEL_FRAMES_FROM_ROOMD, 32, 0 },
		{ "gone", { .type = PANEL_FRAMES_GONE, .sender = 3 }, PANEL_FRAMES_FROM_ROOMD, 16,
		  0 },
		{ "release", { .type = PANEL_FRAMES_RELEASE, .sender = 3, .ring = 4, .index = 1 },
		  PANEL_FRAMES_FROM_SCREEN, 24, 0 },
		{ "tile", { .type = PANEL_FRAMES_TILE, .sender = 3, .width = 1592, .height = 894 },
		  PANEL_FRAMES_FROM_SCREEN, 24, 0 },
		{ "tile none", { .type = PANEL_FRAMES_TILE, .sender = 3 }, PANEL_FRAMES_FROM_SCREEN,
		  24, 0 },
		{ "media: mute", { .type = PANEL_FRAMES_MEDIA, .flags = PANEL_FRAMES_MIC_MUTED,
				   .volume = 100 },
		  PANEL_FRAMES_FROM_SCREEN, 24, 0 },
		{ "media: on, speakers muted", { .type = PANEL_FRAMES_MEDIA },
		  PANEL_FRAMES_FROM_SCREEN, 24, 0 },
		{ "media: camera off", { .type = PANEL_FRAMES_MEDIA, .flags = PANEL_FRAMES_CAMERA_OFF,
					 .volume = 40 },
		  PANEL_FRAMES_FROM_SCREEN, 24, 0 },
		{ "media state", { .type = PANEL_FRAMES_MEDIA_STATE, .flags = PANEL_FRAMES_MIC_MUTED,
				   .volume = 70 },
		  PANEL_FRAMES_FROM_ROOMD, 24, 0 },
	};
	uint8_t buf[PANEL_FRAMES_MSG_MAX];
	struct panel_frames_msg m;

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		int len = panel_frames_encode(&vec[i].m, buf);

		print_message("# %s\n", vec[i].name);
		assert_int_equal(len, (int)vec[i].len);
		/* The header: "SFRM", version 1, the type, little-endian. */
		assert_memory_equal(buf, "SFRM\x01\x00", 6);
		assert_int_equal(buf[6] | buf[7] << 8, vec[i].m.type);
		assert_int_equal(panel_frames_parse(buf, (size_t)len, vec[i].fds, vec[i].from, &m),
				 0);
		assert_memory_equal(&m, &vec[i].m, sizeof(m));
		/* The other direction may not send it. */
		assert_int_equal(panel_frames_parse(buf, (size_t)len, vec[i].fds, !vec[i].from, &m),
				 -EBADMSG);
	}
}

/* A field of the encoded good BUFFERS message, changed. */
struct patch {
	const char *name;
	size_t at;  /* byte offset */
	size_t len; /* 1, 2, 4 or 8 */
	uint64_t value;
	int fds; /* -1: the count the message announces */
	int want;
};

static void put(uint8_t *p, size_t len, uint64_t v)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_buffers_rules(void **state)
{
	static const struct patch vec[] = {
		{ "magic", 0, 4, 0x4d524654, -1, -EBADMSG },
		{ "version 2", 4, 2, 2, -1, -EPROTONOSUPPORT },
		{ "version 0", 4, 2, 0, -1, -EPROTONOSUPPORT },
		{ "type 0", 6, 2, 0, -1, -EBADMSG },
		{ "type 4", 6, 2, 4, -1, -EBADMSG },
		{ "type frame (length)", 6, 2, PANEL_FRAMES_FRAME, 0, -EBADMSG },
		{ "sender 65535", 8, 4, 65535, -1, -EBADMSG },
		{ "count 0", 16, 4, 0, 0, -EBADMSG },
		{ "count 4", 16, 4, 4, 4, -EBADMSG },
		{ "width 0", 20, 4, 0, -1, -EBADMSG },
		{ "width 8193", 20, 4, 8193, -1, -EBADMSG },
		{ "width above the stride", 20, 4, 65, -1, -EBADMSG },
		{ "height 0", 24, 4, 0, -1, -EBADMSG },
		{ "height 8193", 24, 4, 8193, -1, -EBADMSG },
		{ "height above the size", 24, 4, 37, -1, -EBADMSG },
		{ "stride not a multiple of 4", 28, 4, 258, -1, -EBADMSG },
		{ "stride 32772", 28, 4, 32772, -1, -EBADMSG },
		{ "stride 2^32 - 4 (overflows stride * height)", 28, 4, 0xfffffffc, -1, -EBADMSG },
		{ "format ARGB8888", 32, 4, 0x34325241, -1, -EBADMSG },
		{ "size below stride * height", 36, 8, 256 * 36 - 1, -1, -EBADMSG },
		{ "size 256 MiB + 1", 36, 8, (256ull << 20) + 1, -1, -EBADMSG },
		{ "size 2^64 - 1", 36, 8, UINT64_MAX, -1, -EBADMSG },
		{ "two fds for three buffers", 0, 0, 0, 2, -EBADMSG },
		{ "four fds for three buffers", 0, 0, 0, 4, -EBADMSG },
		{ "no fds", 0, 0, 0, 0, -EBADMSG },
		{ "larger size (allowed)", 36, 8, 1 << 20, -1, 0 },
		{ "stride 512: size below stride * height", 28, 4, 512, -1, -EBADMSG },
	};
	uint8_t good[PANEL_FRAMES_MSG_MAX], buf[PANEL_FRAMES_MSG_MAX + 1];
	struct panel_frames_msg m;

	assert_int_equal(panel_frames_encode(&good_buffers, good), 44);
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		print_message("# %s\n", vec[i].name);
		memcpy(buf, good, sizeof(good));
		put(buf + vec[i].at, vec[i].len, vec[i].value);
		assert_int_equal(panel_frames_parse(buf, 44, vec[i].fds < 0 ? 3 : (size_t)vec[i].fds,
						    PANEL_FRAMES_FROM_ROOMD, &m),
				 vec[i].want);
	}
	/* Every length but the exact one. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, good, sizeof(good));
	for (size_t len = 0; len <= sizeof(buf); len++)
		assert_int_equal(panel_frames_parse(buf, len, 3, PANEL_FRAMES_FROM_ROOMD, &m),
				 len == 44 ? 0 : -EBADMSG);
}

static void test_small_rules(void **state)
{
	static const struct {
		const char *name;
		struct panel_frames_msg m;
		size_t at, len;
		uint64_t value;
		size_t fds;
		enum panel_frames_from from;
	} vec[] = {
		{ "frame: index 3", { .type = PANEL_FRAMES_FRAME }, 16, 4, 3, 0,
		  PANEL_FRAMES_FROM_ROOMD },
		{ "frame: reserved", { .type = PANEL_FRAMES_FRAME }, 20, 4, 1, 0,
		  PANEL_FRAMES_FROM_ROOMD },
		{ "frame: an fd", { .type = PANEL_FRAMES_FRAME }, 0, 0, 0, 1,
		  PANEL_FRAMES_FROM_ROOMD },
		{ "gone: reserved", { .type = PANEL_FRAMES_GONE }, 12, 4, 1, 0,
		  PANEL_FRAMES_FROM_ROOMD },
		{ "gone: an fd", { .type = PANEL_FRAMES_GONE }, 0, 0, 0, 1,
		  PANEL_FRAMES_FROM_ROOMD },
		{ "release: index 3", { .type = PANEL_FRAMES_RELEASE }, 16, 4, 3, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "release: reserved", { .type = PANEL_FRAMES_RELEASE }, 20, 4, 1, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "tile: width alone", { .type = PANEL_FRAMES_TILE }, 12, 4, 64, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "tile: 8193 high", { .type = PANEL_FRAMES_TILE, .width = 64, .height = 36 }, 16,
		  4, 8193, 0, PANEL_FRAMES_FROM_SCREEN },
		{ "tile: reserved", { .type = PANEL_FRAMES_TILE }, 20, 4, 1, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		/* MEDIA names no sender and no flag beyond the microphone's. */
		{ "media: a sender", { .type = PANEL_FRAMES_MEDIA }, 8, 4, 3, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "media: an unknown flag", { .type = PANEL_FRAMES_MEDIA }, 12, 4, 4, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "media: an fd", { .type = PANEL_FRAMES_MEDIA }, 0, 0, 0, 1,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "media state: a sender", { .type = PANEL_FRAMES_MEDIA_STATE }, 8, 4, 1, 0,
		  PANEL_FRAMES_FROM_ROOMD },
		{ "media state: high flags", { .type = PANEL_FRAMES_MEDIA_STATE }, 12, 4,
		  0x80000001u, 0, PANEL_FRAMES_FROM_ROOMD },
		/* The volume is a percentage: 101 and above refused (roomd counts them). */
		{ "media: volume 101", { .type = PANEL_FRAMES_MEDIA, .volume = 100 }, 16, 4, 101, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "media: volume 2^32-1", { .type = PANEL_FRAMES_MEDIA }, 16, 4, 0xffffffffu, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "media: reserved", { .type = PANEL_FRAMES_MEDIA }, 20, 4, 1, 0,
		  PANEL_FRAMES_FROM_SCREEN },
		{ "media state: volume 101", { .type = PANEL_FRAMES_MEDIA_STATE }, 16, 4, 101, 0,
		  PANEL_FRAMES_FROM_ROOMD },
		{ "media state: reserved", { .type = PANEL_FRAMES_MEDIA_STATE }, 23, 1, 0x80, 0,
		  PANEL_FRAMES_FROM_ROOMD },
	};
	uint8_t buf[PANEL_FRAMES_MSG_MAX];
	struct panel_frames_msg m;

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		int len = panel_frames_encode(&vec[i].m, buf);

		print_message("# %s\n", vec[i].name);
		assert_true(len > 0);
		assert_int_equal(panel_frames_parse(buf, (size_t)len, 0, vec[i].from, &m), 0);
		put(buf + vec[i].at, vec[i].len, vec[i].value);
		assert_int_equal(panel_frames_parse(buf, (size_t)len, vec[i].fds, vec[i].from, &m),
				 -EBADMSG);
	}
	/* The encoder refuses what the parser would. */
	{
		struct panel_frames_msg bad = good_buffers;

		bad.stride = 255;
		assert_int_equal(panel_frames_encode(&bad, buf), -EINVAL);
		bad = (struct panel_frames_msg){ .type = 99 };
		assert_int_equal(panel_frames_encode(&bad, buf), -EINVAL);
		bad = (struct panel_frames_msg){ .type = PANEL_FRAMES_MEDIA, .volume = 101 };
		assert_int_equal(panel_frames_encode(&bad, buf), -EINVAL);
		assert_int_equal(panel_frames_send_media(-1, 0, 101), -EINVAL);
	}
}

/* ---------------------------------------------------------------- receiver */

/* A memfd of size bytes filled with fill, sealed with seals (0: none). */
static int memfd(uint64_t size, int seals, uint8_t fill)
{
	int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (size) {
		p = mmap(NULL, size, PROT_WRITE, MAP_SHARED, fd, 0);
		assert_true(p != MAP_FAILED);
		memset(p, fill, size);
		munmap(p, size);
	}
	if (seals)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

static int handle(struct panel_frames_rx *rx, const struct panel_frames_msg *m, int *fds,
		  size_t n_fds, struct panel_frames_event *ev)
{
	uint8_t buf[PANEL_FRAMES_MSG_MAX];
	int len = panel_frames_encode(m, buf);

	assert_true(len > 0);
	return panel_frames_rx_handle(rx, buf, (size_t)len, fds, n_fds, ev);
}

static int announce(struct panel_frames_rx *rx, uint32_t sender, uint32_t ring)
{
	struct panel_frames_msg m = good_buffers;
	struct panel_frames_event ev;
	int fds[3];

	m.sender = sender;
	m.ring = ring;
	for (int i = 0; i < 3; i++)
		fds[i] = memfd(m.size, F_SEAL_SHRINK, (uint8_t)(0x10 * (i + 1)));
	return handle(rx, &m, fds, 3, &ev);
}

static int frame(struct panel_frames_rx *rx, uint32_t sender, uint32_t ring, uint32_t index,
		 struct panel_frames_event *ev)
{
	struct panel_frames_msg m = {
		.type = PANEL_FRAMES_FRAME, .sender = sender, .ring = ring, .index = index, .pts = 5
	};

	return handle(rx, &m, NULL, 0, ev);
}

static void test_rx_buffers(void **state)
{
	static const struct {
		const char *name;
		int kind; /* 0 memfd, 1 regular file, 2 pipe */
		int seals;
		uint64_t size; /* of the file, against the message's 256 * 36 */
		int want;
	} vec[] = {
		{ "sealed memfd", 0, F_SEAL_SHRINK, 256 * 36, 0 },
		{ "sealed memfd, larger", 0, F_SEAL_SHRINK, 1 << 16, 0 },
		{ "every seal", 0, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL,
		  256 * 36, 0 },
		{ "unsealed memfd", 0, 0, 256 * 36, -EBADF },
		{ "memfd sealed against growing only", 0, F_SEAL_GROW | F_SEAL_SEAL, 256 * 36,
		  -EBADF },
		{ "sealed memfd, one byte short", 0, F_SEAL_SHRINK, 256 * 36 - 1, -EBADF },
		{ "empty sealed memfd", 0, F_SEAL_SHRINK, 0, -EBADF },
		{ "regular file", 1, 0, 256 * 36, -EBADF },
		{ "pipe", 2, 0, 0, -EBADF },
	};

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		struct panel_frames_rx rx;
		struct panel_frames_event ev;
		int fds[3], p[2];

		print_message("# %s\n", vec[i].name);
		panel_frames_rx_init(&rx);
		fds[0] = memfd(256 * 36, F_SEAL_SHRINK, 1);
		fds[1] = memfd(256 * 36, F_SEAL_SHRINK, 2);
		if (vec[i].kind == 0) {
			fds[2] = memfd(vec[i].size, vec[i].seals, 3);
		} else if (vec[i].kind == 1) {
			FILE *f = tmpfile();

			assert_non_null(f);
			fds[2] = dup(fileno(f));
			fclose(f);
			assert_int_equal(ftruncate(fds[2], (off_t)vec[i].size), 0);
		} else {
			assert_int_equal(pipe(p), 0);
			close(p[1]);
			fds[2] = p[0];
		}
		assert_int_equal(handle(&rx, &good_buffers, fds, 3, &ev), vec[i].want);
		for (int k = 0; k < 3; k++)
			assert_true(closed(fds[k]));
		assert_int_equal(rx.stats.bad, vec[i].want ? 1 : 0);
		assert_int_equal(rx.stats.bad_fds, vec[i].want ? 1 : 0);
		assert_int_equal(rx.rings[0].used, !vec[i].want);
		if (!vec[i].want) {
			assert_int_equal(ev.type, PANEL_FRAMES_EV_BUFFERS);
			/* Mapped without its fd; buffer 2 is the third memfd's. */
			assert_int_equal(frame(&rx, 7, 1, 2, &ev), 0);
			assert_int_equal(ev.img.data[0], 3);
			assert_int_equal(ev.img.data[256 * 36 - 1], 3);
		}
		panel_frames_rx_reset(&rx);
	}
}

/* A sealed buffer cannot be cut under the screen: a sender that tries fails. */
static void test_rx_seal_holds(void **state)
{
	struct panel_frames_rx rx;
	struct panel_frames_event ev;
	struct panel_frames_tx_ring tx;
	int fds[3];

	panel_frames_rx_init(&rx);
	assert_int_equal(panel_frames_tx_ring_new(&tx, 7, 1, 64, 36, 3), 0);
	for (int i = 0; i < 3; i++)
		fds[i] = dup(tx.fd[i]);
	assert_int_equal(handle(&rx, &good_buffers, fds, 3, &ev), 0);
	assert_int_equal(ftruncate(tx.fd[0], 0), -1);
	assert_int_equal(errno, EPERM);
	memset(tx.map[0], 0x5a, tx.size);
	assert_int_equal(frame(&rx, 7, 1, 0, &ev), 0);
	assert_int_equal(ev.img.data[tx.size - 1], 0x5a);
	panel_frames_tx_ring_free(&tx);
	/* The screen's mapping outlives the sender's fds. */
	assert_int_equal(ev.img.data[0], 0x5a);
	panel_frames_rx_reset(&rx);
}

static void test_rx_state(void **state)
{
	struct panel_frames_rx rx;
	struct panel_frames_event ev;
	struct panel_frames_msg gone = { .type = PANEL_FRAMES_GONE, .sender = 7 };
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	panel_frames_rx_init(&rx);
	assert_int_equal(frame(&rx, 7, 1, 0, &ev), -EPROTO); /* no ring */
	assert_int_equal(announce(&rx, 7, 1), 0);
	assert_int_equal(frame(&rx, 7, 2, 0, &ev), -EPROTO); /* another ring */
	assert_int_equal(frame(&rx, 8, 1, 0, &ev), -EPROTO); /* another sender */
	assert_int_equal(frame(&rx, 7, 1, 0, &ev), 0);
	assert_int_equal(ev.type, PANEL_FRAMES_EV_FRAME);
	assert_int_equal(ev.pts, 5);
	assert_int_equal(ev.img.width, 64);
	assert_int_equal(ev.img.stride, 256);
	assert_int_equal(ev.img.data[0], 0x10);
	assert_int_equal(frame(&rx, 7, 1, 0, &ev), -EPROTO); /* still held */
	assert_int_equal(panel_frames_rx_release(&rx, sv[0], 7, 1, 0), 0);
	assert_int_equal(panel_frames_rx_release(&rx, sv[0], 7, 1, 0), -ENOENT);
	assert_int_equal(frame(&rx, 7, 1, 0, &ev), 0);
	/* A new ring replaces the old: its frames are stale. */
	assert_int_equal(announce(&rx, 7, 2), 0);
	assert_int_equal(frame(&rx, 7, 1, 1, &ev), -EPROTO);
	assert_int_equal(frame(&rx, 7, 2, 1, &ev), 0);
	assert_int_equal(handle(&rx, &gone, NULL, 0, &ev), 0);
	assert_int_equal(ev.type, PANEL_FRAMES_EV_GONE);
	assert_int_equal(frame(&rx, 7, 2, 0, &ev), -EPROTO);
	/* PANEL_FRAMES_SENDERS_MAX rings, not one more. */
	for (uint32_t s = 0; s < PANEL_FRAMES_SENDERS_MAX; s++)
		assert_int_equal(announce(&rx, 100 + s, 1), 0);
	assert_int_equal(announce(&rx, 99, 1), -ENOSPC);
	assert_int_equal(announce(&rx, 100, 3), 0); /* a known sender's new ring */
	assert_int_equal(rx.stats.bad, 7);
	panel_frames_rx_reset(&rx);
	for (unsigned int i = 0; i < PANEL_FRAMES_SENDERS_MAX; i++)
		assert_false(rx.rings[i].used);
	close(sv[0]);
	close(sv[1]);
}

/* ------------------------------------------------------- over a socketpair */

static void test_both_halves(void **state)
{
	struct panel_frames_rx rx;
	struct panel_frames_event ev;
	struct panel_frames_tx_ring tx;
	struct panel_frames_msg m;
	uint32_t index;
	uint8_t *data;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	panel_frames_rx_init(&rx);
	assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), -EAGAIN);
	assert_int_equal(panel_frames_tx_ring_new(&tx, 4, 1, 320, 180, 3), 0);
	assert_int_equal(panel_frames_tx_announce(sv[0], &tx), 0);
	assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), 0);
	assert_int_equal(ev.type, PANEL_FRAMES_EV_BUFFERS);
	for (uint32_t f = 0; f < 10; f++) {
		assert_int_equal(panel_frames_tx_acquire(&tx, &index, &data), 0);
		memset(data, (int)f, tx.size);
		assert_int_equal(panel_frames_tx_frame(sv[0], &tx, index, f * 1000), 0);
		assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), 0);
		assert_int_equal(ev.type, PANEL_FRAMES_EV_FRAME);
		assert_int_equal(ev.index, index);
		assert_int_equal(ev.pts, f * 1000);
		assert_int_equal(ev.img.data[320 * 4 * 180 - 1], f);
		assert_int_equal(panel_frames_rx_release(&rx, sv[1], 4, 1, index), 0);
		assert_int_equal(panel_frames_tx_recv(sv[0], &m), 0);
		assert_true(panel_frames_tx_released(&tx, &m));
	}
	/* The screen holds all three: the sender must wait (or drop). */
	for (int k = 0; k < 3; k++) {
		assert_int_equal(panel_frames_tx_acquire(&tx, &index, &data), 0);
		assert_int_equal(panel_frames_tx_frame(sv[0], &tx, index, 0), 0);
	}
	assert_int_equal(panel_frames_tx_acquire(&tx, &index, &data), -EBUSY);
	/* TILE back to the sender, checked as the screen checks roomd. */
	assert_int_equal(panel_frames_send_tile(sv[1], 4, 640, 360), 0);
	assert_int_equal(panel_frames_tx_recv(sv[0], &m), 0);
	assert_int_equal(m.type, PANEL_FRAMES_TILE);
	assert_int_equal(m.width, 640);
	assert_false(panel_frames_tx_released(&tx, &m));
	assert_int_equal(panel_frames_tx_gone(sv[0], 4), 0);
	for (int k = 0; k < 3; k++)
		assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), 0);
	assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), 0);
	assert_int_equal(ev.type, PANEL_FRAMES_EV_GONE);
	assert_int_equal(rx.stats.frames, 13);
	panel_frames_tx_ring_free(&tx);
	close(sv[0]);
	assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), -ECONNRESET);
	close(sv[1]);
	panel_frames_rx_reset(&rx);
}

/* What recvmsg sees before the parser: too long, too many fds, stray bytes. */
static void test_rx_recv_hostile(void **state)
{
	struct panel_frames_rx rx;
	struct panel_frames_event ev;
	uint8_t big[200] = "SFRM";
	int sv[2], fds[5];
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(fds))];
	} control = { 0 };
	uint8_t buf[PANEL_FRAMES_MSG_MAX];
	struct iovec iov = { buf, 44 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;
	int held[5];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	panel_frames_rx_init(&rx);
	assert_int_equal(send(sv[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), -EBADMSG);
	assert_int_equal(send(sv[0], big, 3, 0), 3);
	assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), -EBADMSG);
	/* A good BUFFERS message with five fds: all of them closed on our side. */
	assert_int_equal(panel_frames_encode(&good_buffers, buf), 44);
	for (int i = 0; i < 5; i++)
		fds[i] = memfd(256 * 36, F_SEAL_SHRINK, 0);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 44);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	/* The numbers the receiver's fds will get are the lowest free ones: note them. */
	for (int i = 0; i < 5; i++)
		held[i] = dup(0);
	for (int i = 0; i < 5; i++)
		close(held[i]);
	assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), -EBADMSG);
	for (int i = 0; i < 5; i++)
		assert_true(closed(held[i]));
	assert_false(rx.rings[0].used);
	assert_int_equal(rx.stats.bad, 3);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_buffers_rules),
		cmocka_unit_test(test_small_rules),    cmocka_unit_test(test_rx_buffers),
		cmocka_unit_test(test_rx_seal_holds),  cmocka_unit_test(test_rx_state),
		cmocka_unit_test(test_both_halves),    cmocka_unit_test(test_rx_recv_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
