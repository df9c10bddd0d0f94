/* SPDX-License-Identifier: MIT */
/*
 * panel_frames: decoded video from roomd (the media daemon) to the screen
 * process, over a Unix SOCK_SEQPACKET socket the screen listens on. The
 * wire format and the rules of both sides are in docs/frames.md; in short:
 *
 *   roomd -> screen  BUFFERS(sender, ring, count, width, height, stride,
 *                            format, size, offset) with one memfd, roomd's
 *                            pool (SCM_RIGHTS): count buffers at offset
 *                    FRAME(sender, ring, index, pts)
 *                    GONE(sender)
 *                    MEDIA_STATE(flags, volume): what roomd applied to
 *                    its own send chains (the microphone muted, the camera
 *                    off) and its audio output (the volume, 0..100 %)
 *   screen -> roomd  RELEASE(sender, ring, index): the screen copied it out
 *                    TILE(sender, width, height): the size the screen shows
 *                    that sender at (0 x 0: not shown)
 *                    MEDIA(flags, volume): what the people in the room asked
 *                    on the panel (mute, camera off, the speakers' volume);
 *                    roomd answers with MEDIA_STATE
 *
 * Every message is one datagram of an exact length: an 8-byte header
 * (magic "SFRM", version 2, type) and little-endian fields. A sender's
 * ring is count buffers side by side in roomd's pool: one memfd made once
 * for roomd's life at a size roomd alone decides (the screen's size times
 * the ring depth), sealed against shrinking and growing, passed with every
 * BUFFERS (the same file each time: a screen that keeps every fd it got
 * holds that one pool, never more) and mapped read-only by the screen; a
 * frame is an index into the ring, so nothing is allocated or passed per
 * frame on either side.
 *
 * Both halves are here: the receiver and validator (the screen: it trusts
 * nothing roomd sends, a decoder exploit there may send anything) and the
 * sender (roomd). No allocation: callers own every struct.
 *
 * Receiver call order: panel_frames_rx_init; per readable socket
 * panel_frames_rx_recv (or panel_frames_rx_handle on bytes and fds already
 * received); after a FRAME event, copy the picture out and
 * panel_frames_rx_release; panel_frames_rx_reset when the connection ends.
 *
 * Sender call order: panel_frames_tx_pool_new once; panel_frames_connect;
 * per remote sender panel_frames_tx_ring_init (a place in the pool) and
 * panel_frames_tx_announce (again on each new connection); per frame
 * panel_frames_tx_acquire, write the picture, panel_frames_tx_frame;
 * whenever the socket is readable panel_frames_tx_recv and, for a RELEASE,
 * panel_frames_tx_released; panel_frames_tx_gone when the sender goes;
 * panel_frames_tx_pool_free at the end.
 */
#ifndef PANEL_FRAMES_H
#define PANEL_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PANEL_FRAMES_MAGIC 0x4d524653u /* "SFRM" as little-endian bytes */
#define PANEL_FRAMES_VERSION 2u
#define PANEL_FRAMES_HEADER_LEN 8u
#define PANEL_FRAMES_MSG_MAX 52u /* BUFFERS, the longest */
/* DRM_FORMAT_XRGB8888 ('X' 'R' '2' '4'), without libdrm's header for roomd. */
#define PANEL_FRAMES_XRGB8888 0x34325258u

/* Bounds the screen enforces (docs/frames.md, "Limits"). */
#define PANEL_FRAMES_RING_MAX 3u
#define PANEL_FRAMES_SENDERS_MAX 16u
#define PANEL_FRAMES_SENDER_MAX 65534u /* a participant id (keyxchg/CONTROL.md) */
#define PANEL_FRAMES_DIM_MAX 8192u
#define PANEL_FRAMES_STRIDE_MAX (4u * PANEL_FRAMES_DIM_MAX)
#define PANEL_FRAMES_SIZE_MAX (256ull << 20)
/* BUFFERS offset: below 2^48, so that offset + count * size cannot overflow. */
#define PANEL_FRAMES_OFFSET_MAX ((1ull << 48) - 1)

enum panel_frames_type {
	PANEL_FRAMES_BUFFERS = 1, /* roomd -> screen, with one fd (the pool) */
	PANEL_FRAMES_FRAME = 2,   /* roomd -> screen */
	PANEL_FRAMES_GONE = 3,    /* roomd -> screen */
	PANEL_FRAMES_MEDIA_STATE = 4, /* roomd -> screen */
	PANEL_FRAMES_RELEASE = 16, /* screen -> roomd */
	PANEL_FRAMES_TILE = 17,   /* screen -> roomd */
	PANEL_FRAMES_MEDIA = 18,  /* screen -> roomd */
};

/* MEDIA and MEDIA_STATE flags: roomd's own send chains only, never the roster or keys. */
#define PANEL_FRAMES_MIC_MUTED 1u
#define PANEL_FRAMES_CAMERA_OFF 2u
#define PANEL_FRAMES_MEDIA_KNOWN (PANEL_FRAMES_MIC_MUTED | PANEL_FRAMES_CAMERA_OFF)
/* MEDIA and MEDIA_STATE volume: the room's audio output in percent, 0 (speakers muted) .. 100. */
#define PANEL_FRAMES_VOLUME_MAX 100u

/* Who sent a message: what panel_frames_parse accepts depends on it. */
enum panel_frames_from {
	PANEL_FRAMES_FROM_ROOMD = 0,
	PANEL_FRAMES_FROM_SCREEN,
};

/* A message, decoded; the fields its type does not have are 0. */
struct panel_frames_msg {
	enum panel_frames_type type;
	uint32_t sender;
	uint32_t ring;  /* BUFFERS, FRAME, RELEASE: the sender's ring generation */
	uint32_t count; /* BUFFERS: buffers (and fds) in the ring */
	uint32_t index; /* FRAME, RELEASE */
	uint32_t width; /* BUFFERS, TILE */
	uint32_t height;
	uint32_t stride; /* BUFFERS: bytes a row */
	uint32_t format; /* BUFFERS: PANEL_FRAMES_XRGB8888, the only one */
	uint64_t size;   /* BUFFERS: bytes of each buffer */
	uint64_t offset; /* BUFFERS: where buffer 0 starts in the fd; buffer i at offset + i * size */
	uint64_t pts;    /* FRAME: the sender's presentation time, ns */
	uint32_t flags;  /* MEDIA, MEDIA_STATE: PANEL_FRAMES_MIC_MUTED, _CAMERA_OFF */
	uint32_t volume; /* MEDIA, MEDIA_STATE: 0..PANEL_FRAMES_VOLUME_MAX */
};

/*
 * Encodes m into out. Returns the message's length, or -EINVAL for a type
 * or field the format does not allow (the same rules panel_frames_parse
 * checks, but for fds).
 */
__attribute__((warn_unused_result, nonnull)) int
panel_frames_encode(const struct panel_frames_msg *m, uint8_t out[static PANEL_FRAMES_MSG_MAX]);

/*
 * Decodes and checks one message that came with n_fds file descriptors:
 * exact length, magic, version, a type that from may send, the fields'
 * bounds (docs/frames.md), reserved fields zero, one fd with BUFFERS and
 * none with any other message. Returns 0 and *m, or
 * -EBADMSG (malformed), -EPROTONOSUPPORT (another version).
 */
__attribute__((warn_unused_result, nonnull(1, 5))) int
panel_frames_parse(const uint8_t *buf, size_t len, size_t n_fds, enum panel_frames_from from,
		   struct panel_frames_msg *m);

/* ---------------------------------------------------------------- receiver */

struct panel_frames_image {
	const uint8_t *data; /* mapped read-only; valid until the ring is replaced or gone */
	uint32_t width;
	uint32_t height;
	uint32_t stride;
};

/* One sender's ring as the screen holds it (all fields the receiver's). */
struct panel_frames_rx_ring {
	bool used;
	uint32_t sender, ring, count, width, height, stride;
	uint64_t size;
	const uint8_t *map[PANEL_FRAMES_RING_MAX]; /* into base */
	const uint8_t *base; /* the mapping: the ring's bytes, from a page boundary */
	size_t map_len;
	unsigned int held; /* bit i: buffer i was shown in a FRAME and not released */
};

struct panel_frames_rx_stats {
	uint64_t messages; /* accepted */
	uint64_t frames;
	uint64_t bad;      /* refused: malformed, or not what the state allows */
	uint64_t bad_fds;  /* of those: buffers refused (not a sealed memfd, too small, ...) */
};

struct panel_frames_rx {
	struct panel_frames_rx_ring rings[PANEL_FRAMES_SENDERS_MAX];
	struct panel_frames_rx_stats stats;
};

enum panel_frames_event_type {
	PANEL_FRAMES_EV_NONE = 0,
	PANEL_FRAMES_EV_BUFFERS, /* a ring was announced */
	PANEL_FRAMES_EV_FRAME,   /* img is the frame: copy it out, then panel_frames_rx_release */
	PANEL_FRAMES_EV_GONE,    /* the sender's ring was dropped */
	PANEL_FRAMES_EV_MEDIA,   /* roomd's MEDIA_STATE: flags */
};

struct panel_frames_event {
	enum panel_frames_event_type type;
	uint32_t sender, ring, index;
	uint64_t pts;
	struct panel_frames_image img;
	uint32_t flags;  /* EV_MEDIA */
	uint32_t volume; /* EV_MEDIA: 0..PANEL_FRAMES_VOLUME_MAX */
};

/* An empty receiver (no rings, zero stats). */
__attribute__((nonnull)) void panel_frames_rx_init(struct panel_frames_rx *rx);

/*
 * Applies one message that arrived with fds[0..n_fds) (n_fds at most
 * PANEL_FRAMES_RING_MAX + 1; the caller stops at that). Takes every fd: each
 * is closed before the call returns, whatever happens (a ring stays mapped
 * without its fd). BUFFERS: the fd must be a memfd sealed with F_SEAL_SHRINK
 * at least offset + count * size bytes long (size >= stride * height); the
 * ring's bytes are mapped read-only (a sender that truncates cannot make the
 * screen fault); it replaces the sender's ring.
 * FRAME: the ring and index must be the sender's current ones and the buffer
 * not held. Returns 0 and *ev; -EBADMSG, -EPROTONOSUPPORT, -ENOSPC (more
 * senders than PANEL_FRAMES_SENDERS_MAX), -EBADF (a buffer refused), -EPROTO
 * (not allowed now: a frame of no ring, a stale ring, a held buffer) or
 * -ENOMEM (mmap); each counted in stats.bad.
 */
__attribute__((warn_unused_result, nonnull(1, 2, 6))) int
panel_frames_rx_handle(struct panel_frames_rx *rx, const uint8_t *buf, size_t len, int *fds,
		       size_t n_fds, struct panel_frames_event *ev);

/*
 * Receives one message from sock without blocking (recvmsg, MSG_CMSG_CLOEXEC)
 * and applies it (panel_frames_rx_handle). Returns 0 and *ev; -EAGAIN
 * (nothing to read); -ECONNRESET (the peer closed); -EBADMSG for a message
 * longer than any, cut short, or with more fds or other control data than
 * allowed (all fds closed); the errors of panel_frames_rx_handle.
 */
__attribute__((warn_unused_result, nonnull)) int
panel_frames_rx_recv(struct panel_frames_rx *rx, int sock, struct panel_frames_event *ev);

/*
 * Marks buffer index of sender's ring released and sends RELEASE to roomd
 * (MSG_DONTWAIT: a roomd that does not read cannot stall the screen).
 * Returns 0, -ENOENT (no such held buffer), or the send's -errno (-EAGAIN:
 * roomd is not reading).
 */
__attribute__((warn_unused_result, nonnull)) int
panel_frames_rx_release(struct panel_frames_rx *rx, int sock, uint32_t sender, uint32_t ring,
			uint32_t index);

/* Sends TILE(sender, width, height) (MSG_DONTWAIT). Returns 0 or -errno. */
__attribute__((warn_unused_result)) int panel_frames_send_tile(int sock, uint32_t sender,
							       uint32_t width, uint32_t height);

/*
 * Sends MEDIA(flags: PANEL_FRAMES_MIC_MUTED, _CAMERA_OFF; volume 0..PANEL_FRAMES_VOLUME_MAX)
 * (MSG_DONTWAIT). Returns 0, -EINVAL (a flag or volume out of range), or -errno.
 */
__attribute__((warn_unused_result)) int panel_frames_send_media(int sock, uint32_t flags,
								uint32_t volume);

/* Unmaps sender's ring (GONE, or a sender no longer in the roster); no-op when none. */
__attribute__((nonnull)) void panel_frames_rx_drop(struct panel_frames_rx *rx, uint32_t sender);
/* Unmaps every ring (the connection ended); the stats stay. */
__attribute__((nonnull)) void panel_frames_rx_reset(struct panel_frames_rx *rx);

/* ------------------------------------------------------------------ sender */

/*
 * roomd's pool: one memfd for every ring, made once, sealed against
 * shrinking, growing and further seals, mapped read-write. Its size is the
 * most the screen can ever hold of roomd's memory, whatever it keeps: every
 * BUFFERS passes this same file.
 */
struct panel_frames_tx_pool {
	int fd;       /* -1: none */
	uint8_t *map; /* size bytes */
	uint64_t size;
};

/* One remote sender's ring on roomd's side: a place in the pool (the pool's
 * fd and map borrowed; the pool outlives the ring). */
struct panel_frames_tx_ring {
	uint32_t sender, ring, count, width, height, stride;
	uint64_t size;   /* of each buffer: stride * height */
	uint64_t offset; /* of buffer 0 in the pool */
	int fd;          /* the pool's */
	uint8_t *map[PANEL_FRAMES_RING_MAX]; /* write frames here */
	unsigned int busy;                   /* bit i: sent in a FRAME, not released yet */
	unsigned int next;
};

/* Connects to the screen's socket at path (SOCK_SEQPACKET, close-on-exec). Returns 0 and
 * *sock, or -errno. */
__attribute__((warn_unused_result, nonnull)) int panel_frames_connect(const char *path, int *sock);

/*
 * A pool of size bytes (1..PANEL_FRAMES_OFFSET_MAX): a memfd sealed against
 * shrinking, growing and further seals, mapped read-write (its pages are
 * allocated where written). Returns 0, -EINVAL, or -errno (memfd_create,
 * ftruncate, fcntl, mmap); on error nothing is left open.
 */
__attribute__((warn_unused_result, nonnull)) int
panel_frames_tx_pool_new(struct panel_frames_tx_pool *p, uint64_t size);
/* Unmaps and closes; fd -1 after (a pool never made, fd -1, is fine). */
__attribute__((nonnull)) void panel_frames_tx_pool_free(struct panel_frames_tx_pool *p);

/* Bytes a ring of count buffers of width x height XRGB8888 takes in the pool
 * (width * 4 * height * count); 0 when out of docs/frames.md's bounds. */
uint64_t panel_frames_tx_ring_bytes(uint32_t width, uint32_t height, uint32_t count);

/*
 * Describes count (1..PANEL_FRAMES_RING_MAX) buffers of width x height
 * XRGB8888 for sender at offset in pool, generation ring (a number the
 * sender changes with each new ring of that sender). Allocates nothing.
 * Returns 0, or -EINVAL (bounds of docs/frames.md, or beyond the pool).
 */
__attribute__((warn_unused_result, nonnull)) int
panel_frames_tx_ring_init(struct panel_frames_tx_ring *r, const struct panel_frames_tx_pool *pool,
			  uint64_t offset, uint32_t sender, uint32_t ring, uint32_t width,
			  uint32_t height, uint32_t count);

/* Sends BUFFERS with the pool's fd (the ring's buffers are all free after it). Returns 0 or
 * -errno. */
__attribute__((warn_unused_result, nonnull)) int
panel_frames_tx_announce(int sock, struct panel_frames_tx_ring *r);

/*
 * A free buffer to write the next frame into: *index and *data (stride
 * r->stride). Returns 0 or -EBUSY (the screen holds every buffer: drop the
 * frame or wait for a RELEASE).
 */
__attribute__((warn_unused_result, nonnull)) int
panel_frames_tx_acquire(struct panel_frames_tx_ring *r, uint32_t *index, uint8_t **data);

/* Sends FRAME for buffer index (written); it is busy until released. Returns 0 or -errno. */
__attribute__((warn_unused_result, nonnull)) int
panel_frames_tx_frame(int sock, struct panel_frames_tx_ring *r, uint32_t index, uint64_t pts);

/* Sends GONE(sender). Returns 0 or -errno. */
__attribute__((warn_unused_result)) int panel_frames_tx_gone(int sock, uint32_t sender);

/* Sends MEDIA_STATE(flags, volume): what roomd applied after a MEDIA. Returns 0 or -errno. */
__attribute__((warn_unused_result)) int panel_frames_tx_media_state(int sock, uint32_t flags,
								    uint32_t volume);

/*
 * Receives one message from the screen without blocking, checked as the
 * screen checks roomd's (panel_frames_parse). Returns 0 and *m (RELEASE or
 * TILE), -EAGAIN, -ECONNRESET (the screen closed), -EBADMSG.
 */
__attribute__((warn_unused_result, nonnull)) int panel_frames_tx_recv(int sock,
								     struct panel_frames_msg *m);

/*
 * Sends buf as one datagram with fds[0..n_fds) (at most
 * PANEL_FRAMES_SEND_FDS_MAX), as is: no encoding, no check (the senders
 * above encode first; tests use it to play a roomd that breaks the rules).
 * Never blocks. Returns 0, -EINVAL, or the send's -errno (-EAGAIN: the peer
 * does not read).
 */
#define PANEL_FRAMES_SEND_FDS_MAX 8u
__attribute__((warn_unused_result, nonnull(2))) int
panel_frames_send_bytes(int sock, const uint8_t *buf, size_t len, const int *fds, size_t n_fds);

/* Applies a RELEASE to r when it is r's (sender and ring); returns whether it was. */
__attribute__((nonnull)) bool panel_frames_tx_released(struct panel_frames_tx_ring *r,
						       const struct panel_frames_msg *m);

#endif
