// SPDX-License-Identifier: MIT
/*
 * bench-transport: the CPU the WebRTC transport's SRTP adds per video frame
 * (protect + unprotect of the frame's RTP packets, with the transport's own
 * libsrtp policy, rtc_srtp_new) against e2eeenc + e2eedec's SFrame on the
 * same frame (protect + unprotect through libe2ee's keyring, suite 4, what
 * the elements use by default), in the same run. Frames of 100 kB (about
 * a 4K frame at 20 Mbit/s and 25 fps) and 20 kB, split as rtph264pay does
 * at mtu 1200 (1188-byte payloads after a 12-byte header); the plain-RTP
 * path of before did no cryptography, its cost here is 0 by construction.
 * Prints one line per size; never fails on speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_sframe.h"
#include "e2ee/keyring.h"
#include "rtc_srtp.h"

#define MTU	 1200
#define HDR	 12
#define PAYLOAD	 (MTU - HDR)
#define MAX_SIZE 100000

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t seq;

/* One frame's packets through SRTP and back. */
static void srtp_frame(srtp_t tx, srtp_t rx, const uint8_t *frame, size_t n)
{
	uint8_t pkt[MTU + SRTP_MAX_TRAILER_LEN];

	for (size_t off = 0; off < n; off += PAYLOAD) {
		size_t len = n - off < PAYLOAD ? n - off : PAYLOAD;
		int plen = (int)(HDR + len);

		memset(pkt, 0, HDR);
		pkt[0] = 0x80;
		pkt[1] = 96;
		pkt[2] = (uint8_t)(seq >> 8);
		pkt[3] = (uint8_t)seq;
		pkt[11] = 1;
		seq++;
		memcpy(pkt + HDR, frame + off, len);
		if (srtp_protect(tx, pkt, &plen) != srtp_err_status_ok ||
		    srtp_unprotect(rx, pkt, &plen) != srtp_err_status_ok || plen != (int)(HDR + len))
			abort();
	}
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 20000, MAX_SIZE };
	static const uint8_t key[RTC_SRTP_MASTER_LEN] = "bench srtp key, not a secret";
	static const uint8_t base[32] = "bench base key, not a secret...";
	static struct e2ee_keyring etx, erx;
	const int frames = argc > 1 ? atoi(argv[1]) : 2000;
	uint8_t *pt = malloc(MAX_SIZE), *ct = malloc(MAX_SIZE + 64), *out = malloc(MAX_SIZE + 64);
	srtp_t tx, rx;

	if (!pt || !ct || !out || rtc_srtp_init() || rtc_srtp_new(&tx, key, false) ||
	    rtc_srtp_new(&rx, key, true) || e2ee_keyring_init(&etx, 4, 1024) ||
	    e2ee_keyring_init(&erx, 4, 1024) ||
	    e2ee_keyring_add(&etx, BENCH_KID, E2EE_KEY_SEND, base, 32) ||
	    e2ee_keyring_add(&erx, BENCH_KID, E2EE_KEY_RECV, base, 32))
		return 1;
	memset(pt, 0x5c, MAX_SIZE);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		double best_srtp = 1e9, best_e2ee = 1e9;

		for (int round = 0; round < 5; round++) {
			double t0 = cpu_now(), t1, t2;

			for (int f = 0; f < frames / 5; f++)
				srtp_frame(tx, rx, pt, n);
			t1 = cpu_now();
			for (int f = 0; f < frames / 5; f++)
				sframe_round(&etx, &erx, pt, ct, out, n);
			t2 = cpu_now();
			if ((t1 - t0) / (frames / 5) < best_srtp)
				best_srtp = (t1 - t0) / (frames / 5);
			if ((t2 - t1) / (frames / 5) < best_e2ee)
				best_e2ee = (t2 - t1) / (frames / 5);
		}
		printf("transport: frame_bytes=%zu packets=%zu srtp_us_per_frame=%.1f "
		       "e2ee_us_per_frame=%.1f srtp_over_e2ee=%.2f plain_rtp_us_per_frame=0\n",
		       n, (n + PAYLOAD - 1) / PAYLOAD, best_srtp * 1e6, best_e2ee * 1e6,
		       best_srtp / best_e2ee);
		fflush(stdout);
	}
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	e2ee_keyring_clear(&etx);
	e2ee_keyring_clear(&erx);
	free(pt);
	free(ct);
	free(out);
	return 0;
}
