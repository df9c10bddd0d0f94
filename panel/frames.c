// SPDX-License-Identifier: MIT
/* Decoded frames from roomd to the screen: the wire format, both halves (panel/frames.h). */
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS, MSG_CMSG_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "panel/frames.h"

/* Each type's exact length (docs/frames.md, "Messages"). */
#define LEN_BUFFERS 52u
#define LEN_FRAME 32u
#define LEN_GONE 16u
#define LEN_RELEASE 24u
#define LEN_TILE 24u
#define LEN_MEDIA 24u

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static size_t type_len(uint32_t type)
{
	switch (type) {
	case PANEL_FRAMES_BUFFERS:
		return LEN_BUFFERS;
	case PANEL_FRAMES_FRAME:
		return LEN_FRAME;
	case PANEL_FRAMES_GONE:
		return LEN_GONE;
	case PANEL_FRAMES_RELEASE:
		return LEN_RELEASE;
	case PANEL_FRAMES_TILE:
		return LEN_TILE;
	case PANEL_FRAMES_MEDIA:
	case PANEL_FRAMES_MEDIA_STATE:
		return LEN_MEDIA;
	}
	return 0;
}

/* The field rules both sides share (docs/frames.md, "Limits"); fds aside. */
static bool fields_ok(const struct panel_frames_msg *m)
{
	if (m->sender > PANEL_FRAMES_SENDER_MAX)
		return false;
	switch (m->type) {
	case PANEL_FRAMES_BUFFERS:
		return m->count >= 1 && m->count <= PANEL_FRAMES_RING_MAX && m->width >= 1 &&
		       m->width <= PANEL_FRAMES_DIM_MAX && m->height >= 1 &&
		       m->height <= PANEL_FRAMES_DIM_MAX && m->stride % 4 == 0 &&
		       m->stride / 4 >= m->width && m->stride <= PANEL_FRAMES_STRIDE_MAX &&
		       m->format == PANEL_FRAMES_XRGB8888 &&
		       m->size >= (uint64_t)m->stride * m->height &&
		       m->size <= PANEL_FRAMES_SIZE_MAX && m->offset <= PANEL_FRAMES_OFFSET_MAX;
	case PANEL_FRAMES_FRAME:
	case PANEL_FRAMES_RELEASE:
		return m->index < PANEL_FRAMES_RING_MAX;
	case PANEL_FRAMES_GONE:
		return true;
	case PANEL_FRAMES_TILE:
		/* 0 x 0: not shown; otherwise both set. */
		return m->width <= PANEL_FRAMES_DIM_MAX && m->height <= PANEL_FRAMES_DIM_MAX &&
		       !m->width == !m->height;
	case PANEL_FRAMES_MEDIA:
	case PANEL_FRAMES_MEDIA_STATE:
		/* The room's own media, no sender: nothing else can be named. */
		return m->sender == 0 && !(m->flags & ~PANEL_FRAMES_MEDIA_KNOWN) &&
		       m->volume <= PANEL_FRAMES_VOLUME_MAX;
	}
	return false;
}

static bool from_ok(enum panel_frames_type type, enum panel_frames_from from)
{
	if (from == PANEL_FRAMES_FROM_ROOMD)
		return type == PANEL_FRAMES_BUFFERS || type == PANEL_FRAMES_FRAME ||
		       type == PANEL_FRAMES_GONE || type == PANEL_FRAMES_MEDIA_STATE;
	return type == PANEL_FRAMES_RELEASE || type == PANEL_FRAMES_TILE ||
	       type == PANEL_FRAMES_MEDIA;
}

int panel_frames_encode(const struct panel_frames_msg *m, uint8_t out[static PANEL_FRAMES_MSG_MAX])
{
	size_t len = type_len((uint32_t)m->type);

	if (!len || !fields_ok(m))
		return -EINVAL;
	memset(out, 0, len);
	put32(out, PANEL_FRAMES_MAGIC);
	out[4] = PANEL_FRAMES_VERSION & 0xff;
	out[5] = PANEL_FRAMES_VERSION >> 8;
	out[6] = (uint8_t)m->type;
	out[7] = (uint8_t)((uint32_t)m->type >> 8);
	put32(out + 8, m->sender);
	switch (m->type) {
	case PANEL_FRAMES_BUFFERS:
		put32(out + 12, m->ring);
		put32(out + 16, m->count);
		put32(out + 20, m->width);
		put32(out + 24, m->height);
		put32(out + 28, m->stride);
		put32(out + 32, m->format);
		put64(out + 36, m->size);
		put64(out + 44, m->offset);
		break;
	case PANEL_FRAMES_FRAME:
		put32(out + 12, m->ring);
		put32(out + 16, m->index);
		/* 20..23 reserved */
		put64(out + 24, m->pts);
		break;
	case PANEL_FRAMES_RELEASE:
		put32(out + 12, m->ring);
		put32(out + 16, m->index);
		break;
	case PANEL_FRAMES_TILE:
		put32(out + 12, m->width);
		put32(out + 16, m->height);
		break;
	case PANEL_FRAMES_MEDIA:
	case PANEL_FRAMES_MEDIA_STATE:
		put32(out + 12, m->flags);
		put32(out + 16, m->volume);
		/* 20..23 reserved */
		break;
	case PANEL_FRAMES_GONE:
		break;
	}
	return (int)len;
}

/* Bytes [from, to) of buf are zero. */
static bool zero(const uint8_t *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (buf[i])
			return false;
	return true;
}

int panel_frames_parse(const uint8_t *buf, size_t len, size_t n_fds, enum panel_frames_from from,
		       struct panel_frames_msg *m)
{
	uint32_t type;

	memset(m, 0, sizeof(*m));
	if (len < PANEL_FRAMES_HEADER_LEN || get32(buf) != PANEL_FRAMES_MAGIC)
		return -EBADMSG;
	if ((buf[4] | buf[5] << 8) != PANEL_FRAMES_VERSION)
		return -EPROTONOSUPPORT;
	type = (uint32_t)(buf[6] | buf[7] << 8);
	if (len != type_len(type) || !from_ok((enum panel_frames_type)type, from))
		return -EBADMSG;
	m->type = (enum panel_frames_type)type;
	m->sender = get32(buf + 8);
	switch (m->type) {
	case PANEL_FRAMES_BUFFERS:
		m->ring = get32(buf + 12);
		m->count = get32(buf + 16);
		m->width = get32(buf + 20);
		m->height = get32(buf + 24);
		m->stride = get32(buf + 28);
		m->format = get32(buf + 32);
		m->size = get64(buf + 36);
		m->offset = get64(buf + 44);
		break;
	case PANEL_FRAMES_FRAME:
		m->ring = get32(buf + 12);
		m->index = get32(buf + 16);
		if (!zero(buf, 20, 24))
			return -EBADMSG;
		m->pts = get64(buf + 24);
		break;
	case PANEL_FRAMES_RELEASE:
		m->ring = get32(buf + 12);
		m->index = get32(buf + 16);
		if (!zero(buf, 20, 24))
			return -EBADMSG;
		break;
	case PANEL_FRAMES_TILE:
		m->width = get32(buf + 12);
		m->height = get32(buf + 16);
		if (!zero(buf, 20, 24))
			return -EBADMSG;
		break;
	case PANEL_FRAMES_GONE:
		if (!zero(buf, 12, 16))
			return -EBADMSG;
		break;
	case PANEL_FRAMES_MEDIA:
	case PANEL_FRAMES_MEDIA_STATE:
		m->flags = get32(buf + 12);
		m->volume = get32(buf + 16);
		if (!zero(buf, 20, 24))
			return -EBADMSG;
		break;
	}
	if (!fields_ok(m) || n_fds != (m->type == PANEL_FRAMES_BUFFERS ? 1u : 0u))
		return -EBADMSG;
	return 0;
}

/* ---------------------------------------------------------------- receiver */

void panel_frames_rx_init(struct panel_frames_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

static void unmap_ring(struct panel_frames_rx_ring *r)
{
	if (r->base)
		munmap((void *)r->base, r->map_len);
	memset(r, 0, sizeof(*r));
}

static struct panel_frames_rx_ring *ring_of(struct panel_frames_rx *rx, uint32_t sender)
{
	for (unsigned int i = 0; i < PANEL_FRAMES_SENDERS_MAX; i++)
		if (rx->rings[i].used && rx->rings[i].sender == sender)
			return &rx->rings[i];
	return NULL;
}

/*
 * The ring roomd passed: count buffers of size bytes from offset in a memfd
 * (F_GET_SEALS works on nothing else that a sender could pass but shmem),
 * sealed against shrinking so that the mapping cannot fault later, long
 * enough to hold them. Mapped read-only from the page boundary at or below
 * offset: roomd keeps writing frames into it, the screen only reads.
 */
static int map_ring(int fd, const struct panel_frames_msg *m, struct panel_frames_rx_ring *r)
{
	struct stat st;
	void *p;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t len = m->count * m->size, delta;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EBADF;
	/* offset < 2^48 and len <= 3 * 256 MiB (parse): no overflow. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size < m->offset + len)
		return -EBADF;
	delta = page > 0 ? m->offset % (uint64_t)page : 0;
	p = mmap(NULL, (size_t)(len + delta), PROT_READ, MAP_SHARED, fd, (off_t)(m->offset - delta));
	if (p == MAP_FAILED)
		return errno == ENOMEM ? -ENOMEM : -EBADF;
	r->base = p;
	r->map_len = (size_t)(len + delta);
	for (unsigned int i = 0; i < m->count; i++)
		r->map[i] = r->base + delta + i * m->size;
	return 0;
}

static int apply_buffers(struct panel_frames_rx *rx, const struct panel_frames_msg *m,
			 const int *fds)
{
	struct panel_frames_rx_ring next = { 0 }, *slot = ring_of(rx, m->sender);
	int ret;

	if (!slot)
		for (unsigned int i = 0; i < PANEL_FRAMES_SENDERS_MAX && !slot; i++)
			if (!rx->rings[i].used)
				slot = &rx->rings[i];
	if (!slot)
		return -ENOSPC;
	next = (struct panel_frames_rx_ring){ .used = true,
					      .sender = m->sender,
					      .ring = m->ring,
					      .count = m->count,
					      .width = m->width,
					      .height = m->height,
					      .stride = m->stride,
					      .size = m->size };
	ret = map_ring(fds[0], m, &next);
	if (ret) {
		if (ret == -EBADF)
			rx->stats.bad_fds++;
		return ret;
	}
	/* A new ring replaces the old one whole (its frames were copied out). */
	unmap_ring(slot);
	*slot = next;
	return 0;
}

int panel_frames_rx_handle(struct panel_frames_rx *rx, const uint8_t *buf, size_t len, int *fds,
			   size_t n_fds, struct panel_frames_event *ev)
{
	struct panel_frames_msg m;
	struct panel_frames_rx_ring *r;
	int ret;

	memset(ev, 0, sizeof(*ev));
	ret = panel_frames_parse(buf, len, n_fds, PANEL_FRAMES_FROM_ROOMD, &m);
	if (ret)
		goto out;
	ev->sender = m.sender;
	ev->ring = m.ring;
	switch (m.type) {
	case PANEL_FRAMES_BUFFERS:
		ret = apply_buffers(rx, &m, fds);
		ev->type = PANEL_FRAMES_EV_BUFFERS;
		break;
	case PANEL_FRAMES_FRAME:
		r = ring_of(rx, m.sender);
		if (!r || r->ring != m.ring || m.index >= r->count || r->held & 1u << m.index) {
			ret = -EPROTO;
			break;
		}
		r->held |= 1u << m.index;
		rx->stats.frames++;
		ev->type = PANEL_FRAMES_EV_FRAME;
		ev->index = m.index;
		ev->pts = m.pts;
		ev->img = (struct panel_frames_image){ r->map[m.index], r->width, r->height,
						       r->stride };
		break;
	case PANEL_FRAMES_GONE:
		panel_frames_rx_drop(rx, m.sender);
		ev->type = PANEL_FRAMES_EV_GONE;
		break;
	case PANEL_FRAMES_MEDIA_STATE:
		ev->type = PANEL_FRAMES_EV_MEDIA;
		ev->flags = m.flags;
		ev->volume = m.volume;
		break;
	default:
		ret = -EBADMSG; /* parse lets nothing else through from roomd */
	}
out:
	/* Mapped or refused, no fd stays open. */
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	if (ret) {
		memset(ev, 0, sizeof(*ev));
		rx->stats.bad++;
	} else {
		rx->stats.messages++;
	}
	return ret;
}

int panel_frames_rx_recv(struct panel_frames_rx *rx, int sock, struct panel_frames_event *ev)
{
	/* One byte more than any message, to see one that is too long. */
	uint8_t buf[PANEL_FRAMES_MSG_MAX + 1];
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * (PANEL_FRAMES_RING_MAX + 1))];
	} control;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	int fds[PANEL_FRAMES_RING_MAX + 1];
	size_t n_fds = 0;
	bool other = false;
	ssize_t n;

	memset(ev, 0, sizeof(*ev));
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			other = true;
			continue;
		}
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n_fds < PANEL_FRAMES_RING_MAX + 1)
				fds[n_fds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0 && !n_fds && !other)
		return -ECONNRESET;
	/* Too long, cut short, too many fds (the kernel closed those that did not fit), or
	 * control data of another kind. */
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || other ||
	    n_fds > PANEL_FRAMES_RING_MAX) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		rx->stats.bad++;
		return -EBADMSG;
	}
	return panel_frames_rx_handle(rx, buf, (size_t)n, fds, n_fds, ev);
}

int panel_frames_send_bytes(int sock, const uint8_t *buf, size_t len, const int *fds,
			    size_t n_fds)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * PANEL_FRAMES_SEND_FDS_MAX)];
	} control;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n_fds > PANEL_FRAMES_SEND_FDS_MAX)
		return -EINVAL;
	if (n_fds) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	/* Never blocks: a peer that does not read makes the caller drop, not wait (-EAGAIN). */
	if (sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

static int send_msg(int sock, const struct panel_frames_msg *m, const int *fds, size_t n_fds)
{
	uint8_t buf[PANEL_FRAMES_MSG_MAX];
	int len = panel_frames_encode(m, buf);

	return len < 0 ? len : panel_frames_send_bytes(sock, buf, (size_t)len, fds, n_fds);
}

int panel_frames_rx_release(struct panel_frames_rx *rx, int sock, uint32_t sender, uint32_t ring,
			    uint32_t index)
{
	struct panel_frames_rx_ring *r = ring_of(rx, sender);
	struct panel_frames_msg m = { .type = PANEL_FRAMES_RELEASE,
				      .sender = sender,
				      .ring = ring,
				      .index = index };

	if (!r || r->ring != ring || index >= r->count || !(r->held & 1u << index))
		return -ENOENT;
	r->held &= ~(1u << index);
	return send_msg(sock, &m, NULL, 0);
}

int panel_frames_send_tile(int sock, uint32_t sender, uint32_t width, uint32_t height)
{
	struct panel_frames_msg m = {
		.type = PANEL_FRAMES_TILE, .sender = sender, .width = width, .height = height
	};

	return send_msg(sock, &m, NULL, 0);
}

int panel_frames_send_media(int sock, uint32_t flags, uint32_t volume)
{
	struct panel_frames_msg m = { .type = PANEL_FRAMES_MEDIA, .flags = flags, .volume = volume };

	return send_msg(sock, &m, NULL, 0);
}

void panel_frames_rx_drop(struct panel_frames_rx *rx, uint32_t sender)
{
	struct panel_frames_rx_ring *r = ring_of(rx, sender);

	if (r)
		unmap_ring(r);
}

void panel_frames_rx_reset(struct panel_frames_rx *rx)
{
	for (unsigned int i = 0; i < PANEL_FRAMES_SENDERS_MAX; i++)
		if (rx->rings[i].used)
			unmap_ring(&rx->rings[i]);
}

/* ------------------------------------------------------------------ sender */

int panel_frames_connect(const char *path, int *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*sock = fd;
	return 0;
}

void panel_frames_tx_pool_free(struct panel_frames_tx_pool *p)
{
	if (p->map)
		munmap(p->map, (size_t)p->size);
	if (p->fd >= 0)
		close(p->fd);
	*p = (struct panel_frames_tx_pool){ .fd = -1 };
}

int panel_frames_tx_pool_new(struct panel_frames_tx_pool *p, uint64_t size)
{
	void *m;
	int ret = 0;

	*p = (struct panel_frames_tx_pool){ .fd = -1 };
	if (!size || size > PANEL_FRAMES_OFFSET_MAX || size > SIZE_MAX)
		return -EINVAL;
	p->size = size;
	p->fd = memfd_create("sealroom-frames", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (p->fd < 0 || ftruncate(p->fd, (off_t)size)) {
		ret = -errno;
		goto out;
	}
	/* roomd's own mapping, the only writable one there will be: made before
	 * F_SEAL_FUTURE_WRITE, which refuses every later writable mapping and
	 * write(2) on the file, the screen's included (Linux 5.1). */
	m = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	p->map = m;
	/* Sealed before the screen ever sees it: it maps without fear of SIGBUS,
	 * roomd cannot grow what the screen may hold, and the screen only reads. */
	if (fcntl(p->fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)) {
		ret = -errno;
		goto out;
	}
out:
	if (ret)
		panel_frames_tx_pool_free(p);
	return ret;
}

uint64_t panel_frames_tx_ring_bytes(uint32_t width, uint32_t height, uint32_t count)
{
	if (!width || width > PANEL_FRAMES_DIM_MAX || !height || height > PANEL_FRAMES_DIM_MAX ||
	    !count || count > PANEL_FRAMES_RING_MAX)
		return 0;
	return (uint64_t)width * 4 * height * count;
}

int panel_frames_tx_ring_init(struct panel_frames_tx_ring *r, const struct panel_frames_tx_pool *pool,
			      uint64_t offset, uint32_t sender, uint32_t ring, uint32_t width,
			      uint32_t height, uint32_t count)
{
	const struct panel_frames_msg m = { .type = PANEL_FRAMES_BUFFERS,
					    .sender = sender,
					    .ring = ring,
					    .count = count,
					    .width = width,
					    .height = height,
					    .stride = width * 4,
					    .format = PANEL_FRAMES_XRGB8888,
					    .size = (uint64_t)width * 4 * height,
					    .offset = offset };
	uint64_t bytes = panel_frames_tx_ring_bytes(width, height, count);

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (!bytes || !fields_ok(&m) || pool->fd < 0 || !pool->map || offset > pool->size ||
	    bytes > pool->size - offset)
		return -EINVAL;
	*r = (struct panel_frames_tx_ring){ .sender = sender,
					    .ring = ring,
					    .count = count,
					    .width = width,
					    .height = height,
					    .stride = m.stride,
					    .size = m.size,
					    .offset = offset,
					    .fd = pool->fd };
	for (unsigned int i = 0; i < count; i++)
		r->map[i] = pool->map + offset + i * m.size;
	return 0;
}

int panel_frames_tx_announce(int sock, struct panel_frames_tx_ring *r)
{
	const struct panel_frames_msg m = { .type = PANEL_FRAMES_BUFFERS,
					    .sender = r->sender,
					    .ring = r->ring,
					    .count = r->count,
					    .width = r->width,
					    .height = r->height,
					    .stride = r->stride,
					    .format = PANEL_FRAMES_XRGB8888,
					    .size = r->size,
					    .offset = r->offset };
	int ret = send_msg(sock, &m, &r->fd, 1);

	if (!ret)
		r->busy = 0;
	return ret;
}

int panel_frames_tx_acquire(struct panel_frames_tx_ring *r, uint32_t *index, uint8_t **data)
{
	for (unsigned int k = 0; k < r->count; k++) {
		unsigned int i = (r->next + k) % r->count;

		if (!(r->busy & 1u << i)) {
			*index = i;
			*data = r->map[i];
			r->next = (i + 1) % r->count;
			return 0;
		}
	}
	return -EBUSY;
}

int panel_frames_tx_frame(int sock, struct panel_frames_tx_ring *r, uint32_t index, uint64_t pts)
{
	const struct panel_frames_msg m = {
		.type = PANEL_FRAMES_FRAME, .sender = r->sender, .ring = r->ring, .index = index,
		.pts = pts
	};
	int ret;

	if (index >= r->count || r->busy & 1u << index)
		return -EINVAL;
	ret = send_msg(sock, &m, NULL, 0);
	if (!ret)
		r->busy |= 1u << index;
	return ret;
}

int panel_frames_tx_gone(int sock, uint32_t sender)
{
	const struct panel_frames_msg m = { .type = PANEL_FRAMES_GONE, .sender = sender };

	return send_msg(sock, &m, NULL, 0);
}

int panel_frames_tx_media_state(int sock, uint32_t flags, uint32_t volume)
{
	const struct panel_frames_msg m = { .type = PANEL_FRAMES_MEDIA_STATE, .flags = flags,
					    .volume = volume };

	return send_msg(sock, &m, NULL, 0);
}

int panel_frames_tx_recv(int sock, struct panel_frames_msg *m)
{
	uint8_t buf[PANEL_FRAMES_MSG_MAX + 1];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -ECONNRESET;
	/* The screen passes no fds: with no control buffer any would be cut (MSG_CTRUNC). */
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EBADMSG;
	return panel_frames_parse(buf, (size_t)n, 0, PANEL_FRAMES_FROM_SCREEN, m);
}

bool panel_frames_tx_released(struct panel_frames_tx_ring *r, const struct panel_frames_msg *m)
{
	if (m->type != PANEL_FRAMES_RELEASE || m->sender != r->sender || m->ring != r->ring ||
	    m->index >= r->count)
		return false;
	r->busy &= ~(1u << m->index);
	return true;
}
