// SPDX-License-Identifier: MIT
/*
 * The screen's receiver of roomd's frame messages (panel/frames.h,
 * docs/frames.md) on whatever a compromised roomd could send: a sequence
 * of messages, each with up to four fds the harness makes as the input says
 * (memfds sealed or not, as long as the message asks, one byte short,
 * empty or large; a pipe), applied to one receiver as the screen applies
 * them. Every FRAME's picture is read at its first and last byte of every
 * row (a mapping a sender could cut would fault here) and released. Checks:
 * no crash (ASan, UBSan, SIGBUS), no fd left open after the receiver is
 * reset (the lowest free fd number is the same before and after), no buffer
 * accepted that its sender can still truncate (the harness tries on a copy
 * of every fd it passed), and a FRAME event only for a ring the receiver
 * holds. A BUFFERS's fd is made offset + count * size long as the message
 * asks (sparse; at most 2^40), so that rings far into a pool are mapped. The same bytes also go through roomd's half, the parser of what
 * the screen sends (RELEASE, TILE, MEDIA: a compromised screen may send
 * anything): a message it accepts must carry a volume of 0..100 and no
 * unknown flag, and must encode back to exactly the bytes it came from.
 *
 * Input: records of [control byte][length byte][length bytes of message].
 * Control: bits 0-2 fds (0..4), bit 3 seal against shrinking, bits 4-5 the
 * file's size (as asked, one byte short, 0, 1 MiB more), bit 6 a pipe in
 * place of the last fd, bit 7 release every frame (else hold it).
 */
#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "panel/frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sv[2] = { -1, -1 };

static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

static int make_fd(uint8_t control, uint64_t want, bool last)
{
	uint64_t sizes[4] = { want, want ? want - 1 : 0, 0, want + (1u << 20) };
	int fd, p[2];

	if (last && (control & 0x40)) {
		if (pipe(p))
			abort();
		close(p[1]);
		return p[0];
	}
	fd = memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		abort();
	/* Sparse: a 256 MiB buffer costs nothing until read. */
	if (ftruncate(fd, (off_t)sizes[(control >> 4) & 3]))
		abort();
	if ((control & 0x08) && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))
		abort();
	return fd;
}

static void drain(void)
{
	uint8_t buf[64];

	while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct panel_frames_rx rx;
	int before, ret;

	if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
	before = lowest_free_fd();
	panel_frames_rx_init(&rx);
	while (size >= 2) {
		uint8_t control = data[0];
		size_t len = data[1] < size - 2 ? data[1] : size - 2;
		const uint8_t *msg = data + 2;
		struct panel_frames_msg m;
		struct panel_frames_event ev;
		size_t n_fds = control & 7 ? (control & 7) % 5 : 0;
		uint64_t want = 4096;
		int fds[4], dups[4];

		data += 2 + len;
		size -= 2 + len;
		/* roomd's half: what the screen may send. */
		if (!panel_frames_parse(msg, len, n_fds, PANEL_FRAMES_FROM_SCREEN, &m)) {
			uint8_t again[PANEL_FRAMES_MSG_MAX];

			if (m.volume > PANEL_FRAMES_VOLUME_MAX ||
			    (m.flags & ~PANEL_FRAMES_MEDIA_KNOWN) ||
			    panel_frames_encode(&m, again) != (int)len || memcmp(again, msg, len))
				abort();
		}
		/* The size the message asks for, so that the fuzzer reaches the mapping. */
		if (!panel_frames_parse(msg, len, n_fds, PANEL_FRAMES_FROM_ROOMD, &m) &&
		    m.type == PANEL_FRAMES_BUFFERS)
			want = m.offset + m.count * m.size < (1ull << 40) ?
				       m.offset + m.count * m.size :
				       1ull << 40;
		for (size_t i = 0; i < n_fds; i++) {
			fds[i] = make_fd(control, want, i + 1 == n_fds);
			dups[i] = dup(fds[i]);
		}
		ret = panel_frames_rx_handle(&rx, msg, len, fds, n_fds, &ev);
		/* Then the sender cuts its buffers: a mapping of an unsealed one would fault
		 * when a later frame is read. */
		for (size_t i = 0; i < n_fds; i++) {
			if (ftruncate(dups[i], 0) == 0 && !ret && ev.type == PANEL_FRAMES_EV_BUFFERS)
				abort(); /* accepted a buffer its sender can still cut */
			close(dups[i]);
		}
		if (ret || ev.type != PANEL_FRAMES_EV_FRAME)
			continue;
		{
			const struct panel_frames_image *img = &ev.img;
			volatile uint8_t sum = 0;
			bool found = false;

			for (unsigned int i = 0; i < PANEL_FRAMES_SENDERS_MAX; i++)
				found |= rx.rings[i].used && rx.rings[i].sender == ev.sender &&
					 rx.rings[i].ring == ev.ring &&
					 rx.rings[i].map[ev.index] == img->data;
			if (!found)
				abort();
			for (uint32_t y = 0; y < img->height; y++)
				sum += img->data[(size_t)y * img->stride] +
				       img->data[(size_t)y * img->stride + img->width * 4 - 1];
			(void)sum;
		}
		if (control & 0x80) {
			if (panel_frames_rx_release(&rx, sv[0], ev.sender, ev.ring, ev.index))
				abort();
			drain();
		}
	}
	panel_frames_rx_reset(&rx);
	if (lowest_free_fd() != before)
		abort();
	return 0;
}
