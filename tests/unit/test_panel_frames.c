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
		{ "buffers", good_buffers, PANEL_FRAMES_FROM_ROOMD, 52, 1 },
		{ "buffers at an offset", { .type = PANEL_FRAMES_BUFFERS, .sender = 7, .ring = 2,
					    .count = 2, .width = 64, .height = 36, .stride = 256,
					    .format = PANEL_FRAMES_XRGB8888, .size = 256 * 36,
					    .offset = 0x123456789abull },
		  PANEL_FRAMES_FROM_ROOMD, 52, 1 },
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
		/* The header: "SFRM", version 2, the type, little-endian. */
		assert_memory_equal(buf, "SFRM\x02\x00", 6);
		assert_int_equal(buf[6] | buf[7] << 8, vec[i].m.type);
		assert_int_equal(panel_frames_parse(buf, (size_t)len, vec[i].fds, vec[i].from, &m),
				 0);
		assert_memory_equal(&m, &vec[i].m, sizeof(m));
		/* The other direction may not send it. */
		assert_int_equal(panel_frames_parse(buf, (size_t)len, vec[i].fds, !vec[i].from, &m),
				 -EBADMSG);
	}
}

/* docs/frames.md's BUFFERS example, byte for byte. */
static void test_buffers_example(void **state)
{
	static const uint8_t doc[52] = {
		0x53, 0x46, 0x52, 0x4d, 0x02, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,
		0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0xe0, 0x01, 0x00, 0x00, 0x0e, 0x01,
		0x00, 0x00, 0x80, 0x07, 0x00, 0x00, 0x58, 0x52, 0x32, 0x34, 0x00, 0xe9, 0x07,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	const struct panel_frames_msg want = {
		.type = PANEL_FRAMES_BUFFERS, .sender = 4, .ring = 7, .count = 3, .width = 480,
		.height = 270, .stride = 1920, .format = PANEL_FRAMES_XRGB8888, .size = 518400,
		.offset = 0x180000,
	};
	struct panel_frames_msg m;
	uint8_t buf[PANEL_FRAMES_MSG_MAX];

	assert_int_equal(panel_frames_parse(doc, sizeof(doc), 1, PANEL_FRAMES_FROM_ROOMD, &m), 0);
	assert_memory_equal(&m, &want, sizeof(m));
	assert_int_equal(panel_frames_encode(&want, buf), 52);
	assert_memory_equal(buf, doc, sizeof(doc));
}

/* A field of the encoded good BUFFERS message, changed. */
struct patch {
	const char *name;
	size_t at;  /* byte offset */
	size_t len; /* 1, 2, 4 or 8 */
	uint64_t value;
	int fds; /* -1: one (the pool) */
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
		{ "version 1 (a memfd a buffer, no offset)", 4, 2, 1, -1, -EPROTONOSUPPORT },
		{ "version 3", 4, 2, 3, -1, -EPROTONOSUPPORT },
		{ "version 0", 4, 2, 0, -1, -EPROTONOSUPPORT },
		{ "type 0", 6, 2, 0, -1, -EBADMSG },
		{ "type 4", 6, 2, 4, -1, -EBADMSG },
		{ "type frame (length)", 6, 2, PANEL_FRAMES_FRAME, 0, -EBADMSG },
		{ "sender 65535", 8, 4, 65535, -1, -EBADMSG },
		{ "count 0", 16, 4, 0, -1, -EBADMSG },
		{ "count 4", 16, 4, 4, -1, -EBADMSG },
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
		{ "offset 2^48", 44, 8, 1ull << 48, -1, -EBADMSG },
		{ "offset 2^64 - 1", 44, 8, UINT64_MAX, -1, -EBADMSG },
		{ "offset 2^48 - 1 (allowed)", 44, 8, (1ull << 48) - 1, -1, 0 },
		{ "offset 100, not a page's (allowed)", 44, 8, 100, -1, 0 },
		{ "two fds", 0, 0, 0, 2, -EBADMSG },
		{ "three fds, one a buffer (version 1's)", 0, 0, 0, 3, -EBADMSG },
		{ "no fds", 0, 0, 0, 0, -EBADMSG },
		{ "larger size (allowed)", 36, 8, 1 << 20, -1, 0 },
		{ "stride 512: size below stride * height", 28, 4, 512, -1, -EBADMSG },
	};
	uint8_t good[PANEL_FRAMES_MSG_MAX], buf[PANEL_FRAMES_MSG_MAX + 1];
	struct panel_frames_msg m;

	assert_int_equal(panel_frames_encode(&good_buffers, good), 52);
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		print_message("# %s\n", vec[i].name);
		memcpy(buf, good, sizeof(good));
		put(buf + vec[i].at, vec[i].len, vec[i].value);
		assert_int_equal(panel_frames_parse(buf, 52, vec[i].fds < 0 ? 1 : (size_t)vec[i].fds,
						    PANEL_FRAMES_FROM_ROOMD, &m),
				 vec[i].want);
	}
	/* Every length but the exact one. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, good, sizeof(good));
	for (size_t len = 0; len <= sizeof(buf); len++)
		assert_int_equal(panel_frames_parse(buf, len, 1, PANEL_FRAMES_FROM_ROOMD, &m),
				 len == 52 ? 0 : -EBADMSG);
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

/* A memfd of size bytes holding a ring of good_buffers' buffers from offset: buffer i
 * filled with 0x10 * (i + 1), the bytes before with 0xee; sealed with seals. */
static int ring_fd(uint64_t size, uint64_t offset, int seals)
{
	int fd = memfd(size, 0, 0xee);
	uint8_t *p;

	if (size) {
		p = mmap(NULL, size, PROT_WRITE, MAP_SHARED, fd, 0);
		assert_true(p != MAP_FAILED);
		for (uint64_t i = 0; i < 3; i++)
			for (uint64_t k = 0; k < good_buffers.size; k++)
				if (offset + i * good_buffers.size + k < size)
					p[offset + i * good_buffers.size + k] = (uint8_t)(0x10 * (i + 1));
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
	int fd = ring_fd(3 * m.size, 0, F_SEAL_SHRINK);

	m.sender = sender;
	m.ring = ring;
	return handle(rx, &m, &fd, 1, &ev);
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
	const uint64_t ring = 3 * 256 * 36;
	static const struct {
		const char *name;
		int kind; /* 0 memfd, 1 regular file, 2 pipe */
		int seals;
		uint64_t size;   /* of the file, against the ring's 3 x 256 * 36 */
		uint64_t offset; /* of the ring in it */
		int want;
	} vec[] = {
		{ "sealed memfd", 0, F_SEAL_SHRINK, ring, 0, 0 },
		{ "sealed memfd, larger", 0, F_SEAL_SHRINK, 1 << 16, 0, 0 },
		{ "every seal", 0, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL, ring,
		  0, 0 },
		{ "at offset 65536 of a pool", 0, F_SEAL_SHRINK, 65536 + ring, 65536, 0 },
		{ "at offset 100 (not a page's)", 0, F_SEAL_SHRINK, 100 + ring, 100, 0 },
		{ "at offset 4196 (a page and 100)", 0, F_SEAL_SHRINK, 4196 + ring + 7, 4196, 0 },
		{ "unsealed memfd", 0, 0, ring, 0, -EBADF },
		{ "memfd sealed against growing only", 0, F_SEAL_GROW | F_SEAL_SEAL, ring, 0,
		  -EBADF },
		{ "sealed memfd, one byte short", 0, F_SEAL_SHRINK, ring - 1, 0, -EBADF },
		{ "sealed memfd, one byte short at offset 100", 0, F_SEAL_SHRINK, 100 + ring - 1,
		  100, -EBADF },
		{ "offset beyond the file", 0, F_SEAL_SHRINK, ring, 1ull << 40, -EBADF },
		{ "empty sealed memfd", 0, F_SEAL_SHRINK, 0, 0, -EBADF },
		{ "regular file", 1, 0, ring, 0, -EBADF },
		{ "pipe", 2, 0, 0, 0, -EBADF },
	};

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		struct panel_frames_rx rx;
		struct panel_frames_event ev;
		struct panel_frames_msg m = good_buffers;
		int fd, p[2];

		print_message("# %s\n", vec[i].name);
		panel_frames_rx_init(&rx);
		m.offset = vec[i].offset;
		if (vec[i].kind == 0) {
			fd = ring_fd(vec[i].size, vec[i].offset, vec[i].seals);
		} else if (vec[i].kind == 1) {
			FILE *f = tmpfile();

			assert_non_null(f);
			fd = dup(fileno(f));
			fclose(f);
			assert_int_equal(ftruncate(fd, (off_t)vec[i].size), 0);
		} else {
			assert_int_equal(pipe(p), 0);
			close(p[1]);
			fd = p[0];
		}
		assert_int_equal(handle(&rx, &m, &fd, 1, &ev), vec[i].want);
		assert_true(closed(fd));
		assert_int_equal(rx.stats.bad, vec[i].want ? 1 : 0);
		assert_int_equal(rx.stats.bad_fds, vec[i].want ? 1 : 0);
		assert_int_equal(rx.rings[0].used, !vec[i].want);
		if (!vec[i].want) {
			assert_int_equal(ev.type, PANEL_FRAMES_EV_BUFFERS);
			/* Mapped without its fd; each buffer where the offset says, whole. */
			for (uint32_t b = 0; b < 3; b++) {
				assert_int_equal(frame(&rx, 7, 1, b, &ev), 0);
				assert_int_equal(ev.img.data[0], 0x10 * (b + 1));
				assert_int_equal(ev.img.data[256 * 36 - 1], 0x10 * (b + 1));
			}
		}
		panel_frames_rx_reset(&rx);
	}
}

/* A sealed pool cannot be cut under the screen (a sender that tries fails),
 * nor written by anyone but the pool's own first mapping. */
static void test_rx_seal_holds(void **state)
{
	struct panel_frames_rx rx;
	struct panel_frames_event ev;
	struct panel_frames_tx_pool pool;
	struct panel_frames_tx_ring tx;
	struct panel_frames_msg m = good_buffers;
	int fd;

	panel_frames_rx_init(&rx);
	assert_int_equal(panel_frames_tx_pool_new(&pool, 3 * 65536), 0);
	/* A ring a page into the pool, as roomd places its second sender's. */
	assert_int_equal(panel_frames_tx_ring_init(&tx, &pool, 65536, 7, 1, 64, 36, 3), 0);
	assert_ptr_equal(tx.map[1], pool.map + 65536 + 256 * 36);
	/* Rings that do not fit the pool are refused. */
	{
		struct panel_frames_tx_ring no;

		assert_int_equal(panel_frames_tx_ring_init(&no, &pool, 3 * 65536 - 256 * 36 * 3 + 1,
							   7, 1, 64, 36, 3),
				 -EINVAL);
		assert_int_equal(panel_frames_tx_ring_init(&no, &pool, UINT64_MAX, 7, 1, 64, 36, 3),
				 -EINVAL);
		assert_int_equal(panel_frames_tx_ring_init(&no, &pool, 0, 7, 1, 8193, 36, 3),
				 -EINVAL);
	}
	m.offset = 65536;
	fd = dup(pool.fd);
	assert_int_equal(handle(&rx, &m, &fd, 1, &ev), 0);
	assert_int_equal(ftruncate(pool.fd, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(pool.fd, (off_t)pool.size + 4096), -1);
	assert_int_equal(errno, EPERM);
	/* Only roomd writes: its fd (the screen's is the same file) gives no
	 * writable mapping and no write(2), not even to a reopened copy. */
	assert_ptr_equal(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, pool.fd, 0),
			 MAP_FAILED);
	assert_int_equal(errno, EPERM);
	assert_int_equal(pwrite(pool.fd, "x", 1, 0), -1);
	assert_int_equal(errno, EPERM);
	{
		char path[64];
		int again;
		void *ro;

		snprintf(path, sizeof path, "/proc/self/fd/%d", pool.fd);
		again = open(path, O_RDWR);
		assert_true(again >= 0);
		assert_ptr_equal(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, again, 0),
				 MAP_FAILED);
		/* A read-only shared mapping cannot be made writable later. */
		ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, again, 0);
		assert_ptr_not_equal(ro, MAP_FAILED);
		assert_int_equal(mprotect(ro, 4096, PROT_READ | PROT_WRITE), -1);
		assert_int_equal(errno, EACCES);
		munmap(ro, 4096);
		/* Nor a hole punched in it (zeroes in roomd's frames). */
		assert_int_equal(fallocate(again, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   0, 4096),
				 -1);
		assert_int_equal(errno, EPERM);
		close(again);
	}
	assert_true(fcntl(pool.fd, F_GET_SEALS) & F_SEAL_FUTURE_WRITE);
	memset(tx.map[0], 0x5a, tx.size);
	assert_int_equal(frame(&rx, 7, 1, 0, &ev), 0);
	assert_int_equal(ev.img.data[tx.size - 1], 0x5a);
	panel_frames_tx_pool_free(&pool);
	assert_int_equal(pool.fd, -1);
	/* The screen's mapping outlives the sender's fd. */
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
	struct panel_frames_tx_pool pool;
	struct panel_frames_tx_ring tx;
	struct panel_frames_msg m;
	uint32_t index;
	uint8_t *data;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	panel_frames_rx_init(&rx);
	assert_int_equal(panel_frames_rx_recv(&rx, sv[1], &ev), -EAGAIN);
	assert_int_equal(panel_frames_tx_pool_new(&pool, 2 * 65536 + 320 * 4 * 180 * 3), 0);
	assert_int_equal(panel_frames_tx_ring_init(&tx, &pool, 2 * 65536, 4, 1, 320, 180, 3), 0);
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
	panel_frames_tx_pool_free(&pool);
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
	struct iovec iov = { buf, 52 };
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
	assert_int_equal(panel_frames_encode(&good_buffers, buf), 52);
	for (int i = 0; i < 5; i++)
		fds[i] = memfd(3 * 256 * 36, F_SEAL_SHRINK, 0);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 52);
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
		cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_buffers_example),
		cmocka_unit_test(test_buffers_rules),
		cmocka_unit_test(test_small_rules),    cmocka_unit_test(test_rx_buffers),
		cmocka_unit_test(test_rx_seal_holds),  cmocka_unit_test(test_rx_state),
		cmocka_unit_test(test_both_halves),    cmocka_unit_test(test_rx_recv_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
