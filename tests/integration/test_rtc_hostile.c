// SPDX-License-Identifier: MIT
/*
 * What a hostile SFU can do to a room through the transport, with a real
 * rtc_peer pair on loopback (libnice, DTLS-SRTP, libsrtp2) and nothing
 * mocked: the SFU is this program run again as a child ("--hostile"), with
 * SRTP keys of its own hop, so everything it sends authenticates. The room's
 * side (this process) is measured alone: its RSS, its counters.
 *
 *  - ssrc_flood_subscription: the SFU offers (as Janus does a subscription)
 *    video and audio, each with its a=ssrc, then sends RTP and SRTCP from
 *    10,000 SSRCs it never announced, one announced packet after each 100:
 *    all 10,000 dropped before libsrtp (dropped_ssrc), the announced
 *    media still arrives, and the room's heap in use stays flat (libsrtp
 *    kept a stream of about 390 bytes per SSRC before; RSS is printed).
 *  - rtcp_learn_publisher: the room offers (its publisher), the SFU's
 *    answer names no SSRC (as a browser's): SRTCP from 4 sources is learnt,
 *    RTCP from 10,000 more is dropped, a PLI from a learnt source still
 *    counts.
 *  - pli_flood: the room publishes x264enc ! rtph264pay through rtc_gst;
 *    the SFU sends a PLI every 10 ms for 3 s (the reproduction's shape):
 *    at most one GstForceKeyUnit per RTC_GST_KEYFRAME_FLOOR_US reaches the
 *    encoder, the others are refused and counted.
 *  - prflx_foreign, prflx_foreign_nominated: once connected, with the room
 *    sending RTP every 10 ms, ICE Binding requests carrying the room's ICE
 *    password (which only the SFU has) come from a second port of the
 *    allowed address (taken: a peer-reflexive candidate there is the SFU's)
 *    and then from 127.0.0.2, an address the SDP's candidates may not have,
 *    whose socket answers the room's own checks as the SFU would: the
 *    connection fails with that address named, the candidate is counted
 *    refused, no datagram but STUN reaches 127.0.0.2, and nothing more is
 *    sent (security review 7, finding 6: libnice could select a pair the
 *    SFU nominates, steering the room's media there). The room controlling
 *    (it offered: the publisher), then controlled (a subscription: the
 *    checks carry USE-CANDIDATE). With the handler unset the connection
 *    stands and the count stays 0 (the checks that fail); libnice 0.1.21,
 *    its pair already selected, sent 127.0.0.2 nothing either way, so the
 *    "nothing but STUN" check guards a libnice that would.
 *
 * The child and the parent talk over pipes: the SDP (base64, one line), then
 * commands ("rtp N", "rtcp N", "pli N GAP_US", "quit"), each answered "ok"
 * once sent. Every wait is bounded and says what it waited for.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <gst/gst.h>
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
/* ASan's runtime (sanitizer/allocator_interface.h, which gcc 12 does not
 * install). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "rtc_demux.h"
#include "rtc_gst.h"
#include "rtc_peer.h"

#define VIDEO_SSRC 0x11110001u
#define AUDIO_SSRC 0x11110002u
#define FLOOD_BASE 0x50000000u /* the unannounced SSRCs: FLOOD_BASE + k */
#define FLOOD	   10000u
#define BATCH	   100u
#define WAIT_US	   (60 * G_USEC_PER_SEC)

static const char *self_exe;

/* ----------------------------------------------------------- the SFU side */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static int hostile_loop(struct rtc_peer *p)
{
	char line[128];
	uint32_t next = FLOOD_BASE;
	uint16_t seq = 1;

	while (fgets(line, sizeof(line), stdin)) {
		unsigned int n = 0, gap = 0;
		uint8_t pkt[112] = { 0x80, 96 };
		int bad = 0;

		if (sscanf(line, "rtp %u", &n) == 1) {
			/* n from SSRCs never announced, then one announced. */
			for (unsigned int i = 0; i <= n; i++) {
				put32(pkt + 2, (uint32_t)seq++ << 16);
				put32(pkt + 8, i < n ? next++ : VIDEO_SSRC);
				bad |= rtc_peer_send_rtp(p, pkt, sizeof(pkt));
			}
		} else if (sscanf(line, "rtcp %u", &n) == 1) {
			/* Empty receiver reports (RFC 3550 6.4.2), each its own sender. */
			for (unsigned int i = 0; i < n; i++) {
				uint8_t rr[8] = { 0x80, 201, 0, 1 };

				put32(rr + 4, next++);
				bad |= rtc_peer_send_rtcp(p, rr, sizeof(rr));
			}
		} else if (sscanf(line, "pli %u %u", &n, &gap) == 2) {
			for (unsigned int i = 0; i < n; i++) {
				bad |= rtc_peer_send_pli(p, VIDEO_SSRC);
				g_usleep(gap);
			}
		} else {
			break;
		}
		printf("%s\n", bad ? "send-failed" : "ok");
		fflush(stdout);
	}
	return 0;
}

static char *read_sdp(void)
{
	char *line = NULL, *sdp;
	size_t cap = 0;
	gsize len;

	if (getline(&line, &cap, stdin) <= 0)
		return NULL;
	sdp = (char *)g_base64_decode(g_strstrip(line), &len);
	free(line);
	sdp = g_realloc(sdp, len + 1);
	sdp[len] = 0;
	return sdp;
}

static void write_sdp(FILE *f, const char *sdp)
{
	gchar *b = g_base64_encode((const guchar *)sdp, strlen(sdp));

	fprintf(f, "%s\n", b);
	fflush(f);
	g_free(b);
}

/* "offer": the SFU offers sendonly video and audio with their a=ssrc (as
 * Janus does a subscription); "answer": it answers the room's offer. */
static int hostile_main(const char *role)
{
	static const struct rtc_peer_media media[2] = {
		{ "video", "H264", "packetization-mode=1;profile-level-id=42e01f", 96, 90000, 0,
		  VIDEO_SSRC },
		{ "audio", "opus", NULL, 111, 48000, 2, AUDIO_SSRC },
	};
	struct rtc_peer_config cfg = { .local_addr = "127.0.0.1" };
	struct rtc_peer *p;
	const char *why = "";
	char *sdp, *ours;
	int ret;

	if (rtc_peer_new(&cfg, &p))
		return 1;
	if (!strcmp(role, "offer")) {
		ours = rtc_peer_offer(p, media, 2, 30000);
		if (!ours)
			return 1;
		write_sdp(stdout, ours);
		g_free(ours);
		sdp = read_sdp();
		ret = sdp ? rtc_peer_set_answer(p, sdp, strlen(sdp), &why) : -EIO;
	} else {
		sdp = read_sdp();
		ret = sdp ? rtc_peer_set_offer(p, sdp, strlen(sdp), &why) : -EIO;
		ours = ret ? NULL : rtc_peer_answer(p, 30000);
		if (!ours)
			return 1;
		write_sdp(stdout, ours);
		g_free(ours);
	}
	g_free(sdp);
	if (!ret)
		ret = rtc_peer_wait_connected(p, 120000, &why);
	if (ret) {
		fprintf(stderr, "hostile: %s\n", why);
		return 1;
	}
	ret = hostile_loop(p);
	rtc_peer_free(p);
	return ret;
}

/* ---------------------------------------------------------- the room side */

struct room {
	GPid child;
	FILE *to, *from;
	struct rtc_peer *peer;
	struct rtc_gst *gst;
	guint64 video, audio, other; /* RTP that reached on_rtp, by SSRC */
	char *ours;		     /* the room's own SDP */
	uint16_t seq;		     /* of the RTP the test sends as the room */
};

static void on_rtp(void *user, uint8_t *rtp, size_t len)
{
	struct room *r = user;
	uint32_t ssrc = rtc_rtp_ssrc(rtp);

	__atomic_fetch_add(ssrc == VIDEO_SSRC ? &r->video :
			   ssrc == AUDIO_SSRC ? &r->audio :
						&r->other,
			   1, __ATOMIC_RELAXED);
}

/* The heap in use, kB: what libsrtp's streams would hold (every arena:
 * mallinfo2 sums them). Under ASan its allocator's live bytes instead: its
 * quarantine keeps freed memory, so RSS grows there with any churn. */
static long heap_kb(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
#else
	struct mallinfo2 m = mallinfo2();

	return (long)((m.uordblks + m.hblkhd) / 1024);
#endif
}

static long rss_kb(void)
{
	char *status = NULL, *l;
	long kb = -1;

	if (g_file_get_contents("/proc/self/status", &status, NULL, NULL) &&
	    (l = strstr(status, "VmRSS:")))
		kb = strtol(l + 6, NULL, 10);
	g_free(status);
	return kb;
}

static void command(struct room *r, const char *fmt, ...)
{
	char line[64];
	va_list ap;

	va_start(ap, fmt);
	vfprintf(r->to, fmt, ap);
	va_end(ap);
	fputc('\n', r->to);
	fflush(r->to);
	if (!fgets(line, sizeof(line), r->from) || strcmp(line, "ok\n"))
		fail_msg("the hostile peer did not send what it was told (%s)",
			 feof(r->from) ? "it exited" : line);
}

static void stats(struct room *r, struct rtc_peer_stats *s)
{
	rtc_peer_get_stats(r->peer, s);
}

/* Until expr (of the room's stats, s_) reaches want (bounded). */
#define WAIT_STAT(r, expr, want)                                                           \
	do {                                                                               \
		gint64 end_ = g_get_monotonic_time() + WAIT_US;                            \
		struct rtc_peer_stats s_;                                                  \
		for (stats(r, &s_); (expr) < (want); stats(r, &s_)) {                      \
			if (g_get_monotonic_time() > end_)                                 \
				fail_msg("waited 60 s for " #expr " to reach %llu: %llu "      \
					 "(rtp_in %llu rtcp_in %llu dropped_ssrc %llu auth %llu)", \
					 (unsigned long long)(want),                       \
					 (unsigned long long)(expr),                       \
					 (unsigned long long)s_.rtp_in,                    \
					 (unsigned long long)s_.rtcp_in,                   \
					 (unsigned long long)s_.dropped_ssrc,              \
					 (unsigned long long)s_.dropped_auth);             \
			g_usleep(2000);                                                    \
		}                                                                          \
	} while (0)

/* Every packet sent accounted for: taken or dropped for its SSRC. */
#define RTP_SEEN  (s_.rtp_in + s_.dropped_ssrc)
#define RTCP_SEEN (s_.rtcp_in + s_.dropped_ssrc)

/* The room's peer connected to a hostile child. we_offer: the room offers
 * (its publisher); else the child offers (a subscription). */
static void room_start(struct room *r, bool we_offer, struct rtc_gst *gst)
{
	static const struct rtc_peer_media media[2] = {
		{ "video", "H264", "packetization-mode=1;profile-level-id=42e01f", 96, 90000, 0,
		  0x22220001u },
		{ "audio", "opus", NULL, 111, 48000, 2, 0x22220002u },
	};
	static const char *const allow[] = { "127.0.0.1", NULL };
	struct rtc_peer_config cfg = { .local_addr = "127.0.0.1", .remote_allow = allow };
	const char *argv[] = { self_exe, "--hostile", we_offer ? "answer" : "offer", NULL };
	int in, out;
	char *sdp, *ours = NULL;
	const char *why = "";
	GError *err = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	r->gst = gst;
	if (gst) {
		rtc_gst_peer_config(gst, &cfg);
	} else {
		cfg.on_rtp = on_rtp;
		cfg.user = r;
	}
	if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
				      NULL, &r->child, &in, &out, NULL, &err))
		fail_msg("cannot start the hostile peer: %s", err->message);
	r->to = fdopen(in, "w");
	r->from = fdopen(out, "r");
	assert_int_equal(rtc_peer_new(&cfg, &r->peer), 0);
	if (gst)
		rtc_gst_set_peer(gst, r->peer);
	if (we_offer) {
		ours = rtc_peer_offer(r->peer, media, 2, 30000);
		assert_non_null(ours);
		write_sdp(r->to, ours);
	}
	{
		char *line = NULL;
		size_t cap = 0;
		gsize len;

		if (getline(&line, &cap, r->from) <= 0)
			fail_msg("the hostile peer gave no SDP (it failed: its stderr says why)");
		sdp = (char *)g_base64_decode(g_strstrip(line), &len);
		free(line);
		sdp = g_realloc(sdp, len + 1);
		sdp[len] = 0;
	}
	if (we_offer) {
		ret = rtc_peer_set_answer(r->peer, sdp, strlen(sdp), &why);
	} else {
		ret = rtc_peer_set_offer(r->peer, sdp, strlen(sdp), &why);
		if (!ret && !(ours = rtc_peer_answer(r->peer, 30000)))
			fail_msg("no answer (gathering did not finish in 30 s)");
		if (!ret)
			write_sdp(r->to, ours);
	}
	if (ret)
		fail_msg("the hostile peer's SDP was refused: %s", why);
	g_free(sdp);
	r->ours = ours;
	ret = rtc_peer_wait_connected(r->peer, 120000, &why);
	if (ret)
		fail_msg("ICE and DTLS with the hostile peer: %s", why);
}

static void room_stop(struct room *r)
{
	fprintf(r->to, "quit\n");
	fclose(r->to);
	fclose(r->from);
	waitpid(r->child, NULL, 0);
	g_spawn_close_pid(r->child);
	if (r->gst)
		rtc_gst_set_peer(r->gst, NULL);
	rtc_peer_free(r->peer);
	g_free(r->ours);
}

static void ssrc_flood_subscription(void **state)
{
	struct room r;
	struct rtc_peer_stats s;
	long before, after, heap0, heap1;
	unsigned int sent = 0, batches = 0;

	room_start(&r, false, NULL);
	/* The first 1000, so that whatever the first packets allocate once
	 * (libsrtp's stream of the announced SSRC, the threads' arenas) is in
	 * the baseline; then the other 9000. */
	for (; sent < 1000; sent += BATCH, batches++) {
		command(&r, "rtp %u", BATCH);
		WAIT_STAT(&r, RTP_SEEN, sent + BATCH + batches + 1);
	}
	before = rss_kb();
	heap0 = heap_kb();
	for (; sent < FLOOD; sent += BATCH, batches++) {
		command(&r, "rtp %u", BATCH);
		WAIT_STAT(&r, RTP_SEEN, sent + BATCH + batches + 1);
	}
	after = rss_kb();
	heap1 = heap_kb();
	/* SRTCP from 1000 more, none announced (in batches, as the RTP: a
	 * slow receiver, under ASan, must not lose them in its socket). */
	for (unsigned int n = BATCH; n <= 1000; n += BATCH) {
		command(&r, "rtcp %u", BATCH);
		WAIT_STAT(&r, RTP_SEEN + s_.rtcp_in, FLOOD + n + batches);
	}
	stats(&r, &s);
	room_stop(&r);
	print_message("# subscription: %u unannounced SSRCs over RTP and 1000 over SRTCP: "
		      "dropped_ssrc=%llu rtp_in=%llu rtcp_in=%llu dropped_auth=%llu; the "
		      "announced video reached on_rtp %llu times, others %llu; heap in use "
		      "+%ld kB from the first 1000 to %u; RSS %ld kB then %ld kB (+%ld)\n",
		      FLOOD, (unsigned long long)s.dropped_ssrc, (unsigned long long)s.rtp_in,
		      (unsigned long long)s.rtcp_in, (unsigned long long)s.dropped_auth,
		      (unsigned long long)r.video, (unsigned long long)r.other, heap1 - heap0,
		      FLOOD, before, after, after - before);
	assert_int_equal(s.dropped_ssrc, FLOOD + 1000);
	assert_int_equal(s.rtp_in, batches);
	assert_int_equal(r.video, batches);
	assert_int_equal(r.other, 0);
	assert_int_equal(s.dropped_auth, 0);
	assert_int_equal(s.candidates_refused, 0);
	/* libsrtp's clone per SSRC was about 390 bytes: 9000 of them 3.4 MB
	 * kept. Nothing is kept per packet now; 256 kB is the noise allowed. */
	assert_true(heap0 > 0 && heap1 - heap0 < 256);
}

static void rtcp_learn_publisher(void **state)
{
	struct room r;
	struct rtc_peer_stats s;
	long before, after, heap0, heap1;

	room_start(&r, true, NULL);
	/* A PLI from the SFU's own RTCP SSRC first: learnt. */
	command(&r, "pli 1 0");
	WAIT_STAT(&r, s_.keyframe_requests, 1);
	/* 10,000 receiver reports, each from another source: the first 3
	 * learnt (4 in all), the rest dropped before libsrtp. */
	before = rss_kb();
	heap0 = heap_kb();
	for (unsigned int sent = 0; sent < FLOOD; sent += BATCH) {
		command(&r, "rtcp %u", BATCH);
		WAIT_STAT(&r, RTCP_SEEN, 1 + sent + BATCH);
	}
	after = rss_kb();
	heap1 = heap_kb();
	/* The learnt source's PLI still counts, and RTP from nowhere announced
	 * is dropped (the answer named no SSRC). */
	command(&r, "pli 1 0");
	WAIT_STAT(&r, RTCP_SEEN, 2 + FLOOD);
	command(&r, "rtp 0");
	WAIT_STAT(&r, RTCP_SEEN + s_.rtp_in, 3 + FLOOD);
	stats(&r, &s);
	room_stop(&r);
	print_message("# publisher: SRTCP from %u sources: rtcp_in=%llu (learnt %d) "
		      "dropped_ssrc=%llu keyframe_requests=%llu; heap in use +%ld kB, RSS "
		      "+%ld kB\n",
		      FLOOD + 1, (unsigned long long)s.rtcp_in, RTC_PEER_LEARN_SSRCS,
		      (unsigned long long)s.dropped_ssrc,
		      (unsigned long long)s.keyframe_requests, heap1 - heap0, after - before);
	assert_int_equal(s.rtcp_in, 2 + RTC_PEER_LEARN_SSRCS - 1);
	assert_int_equal(s.dropped_ssrc, FLOOD - (RTC_PEER_LEARN_SSRCS - 1) + 1);
	assert_int_equal(s.keyframe_requests, 2);
	assert_int_equal(s.rtp_in, 0);
	assert_true(heap0 > 0 && heap1 - heap0 < 256);
}

static guint64 frames, keyframes;

static GstPadProbeReturn count_frames(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	frames++;
	if (!GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT))
		keyframes++;
	return GST_PAD_PROBE_OK;
}

/* Until the encoder made n frames after the monotonic time t (bounded). */
static void more_frames_after(gint64 t, guint64 n)
{
	gint64 end = g_get_monotonic_time() + WAIT_US;
	guint64 f = 0;

	while (!f || __atomic_load_n(&frames, __ATOMIC_RELAXED) < f + n) {
		if (!f && g_get_monotonic_time() >= t)
			f = __atomic_load_n(&frames, __ATOMIC_RELAXED);
		if (g_get_monotonic_time() > end)
			fail_msg("waited 60 s for %llu frames of the encoder", (unsigned long long)n);
		g_usleep(10000);
	}
}

static void pli_flood(void **state)
{
	struct rtc_gst *g = rtc_gst_new();
	GstElement *pipe = gst_parse_launch(
		"videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=180,"
		"framerate=30/1 ! x264enc name=enc tune=zerolatency speed-preset=ultrafast "
		"key-int-max=100000 ! rtph264pay name=pay ssrc=572653569 config-interval=-1",
		NULL);
	GstElement *sink = rtc_gst_sink(g, "rtc-video"), *enc, *pay;
	GstPad *pad;
	struct room r;
	struct rtc_peer_stats s;
	guint64 fku, refused, deferred, d0, f0, k0;
	gint64 t0, t1;
	unsigned int plis = 300;

	assert_non_null(pipe);
	gst_bin_add(GST_BIN(pipe), sink);
	pay = gst_bin_get_by_name(GST_BIN(pipe), "pay");
	enc = gst_bin_get_by_name(GST_BIN(pipe), "enc");
	assert_true(gst_element_link(pay, sink));
	pad = gst_element_get_static_pad(enc, "src");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_frames, NULL, NULL);
	gst_object_unref(pad);
	room_start(&r, true, g);
	assert_int_not_equal(gst_element_set_state(pipe, GST_STATE_PLAYING),
			     GST_STATE_CHANGE_FAILURE);
	{
		gint64 end = g_get_monotonic_time() + WAIT_US;

		while (__atomic_load_n(&frames, __ATOMIC_RELAXED) < 10)
			if (g_get_monotonic_time() > end)
				fail_msg("waited 60 s for the encoder's first 10 frames");
			else
				g_usleep(10000);
	}
	f0 = __atomic_load_n(&frames, __ATOMIC_RELAXED);
	k0 = __atomic_load_n(&keyframes, __ATOMIC_RELAXED);
	t0 = g_get_monotonic_time();
	command(&r, "pli %u %u", plis, 10000u);
	WAIT_STAT(&r, s_.keyframe_requests, plis);
	/* The last floor over, and 5 frames made after it (so the keyframe
	 * deferred to its end, if one was, is in them). */
	more_frames_after(g_get_monotonic_time() + RTC_GST_KEYFRAME_FLOOR_US, 5);
	/* Two requests 100 ms apart after a quiet floor: the first at once,
	 * the second refused and sent when the floor ends, 400 ms later. */
	d0 = rtc_gst_keyframes_deferred(g);
	command(&r, "pli %u %u", 2u, 100000u);
	WAIT_STAT(&r, s_.keyframe_requests, plis + 2);
	more_frames_after(g_get_monotonic_time() + RTC_GST_KEYFRAME_FLOOR_US, 5);
	gst_element_set_state(pipe, GST_STATE_NULL);
	t1 = g_get_monotonic_time();
	fku = rtc_gst_force_key_units(g);
	refused = rtc_gst_keyframes_refused(g);
	deferred = rtc_gst_keyframes_deferred(g);
	stats(&r, &s);
	room_stop(&r);
	gst_object_unref(enc);
	gst_object_unref(pay);
	gst_object_unref(pipe);
	rtc_gst_free(g);
	print_message("# PLI flood: %llu requests, %.2f s to the end: force-key-units=%llu "
		      "(%llu of them deferred to a floor's end) keyframes-refused=%llu; the "
		      "encoder made %llu keyframes in %llu frames (before the flood %llu in "
		      "%llu)\n",
		      (unsigned long long)s.keyframe_requests, (t1 - t0) / 1e6,
		      (unsigned long long)fku, (unsigned long long)deferred,
		      (unsigned long long)refused,
		      (unsigned long long)(keyframes - k0), (unsigned long long)(frames - f0),
		      (unsigned long long)k0, (unsigned long long)f0);
	/* Each request forced one at once or was refused; the deferred ones
	 * (at most one per run of refused ones) are on top. */
	assert_int_equal(fku - deferred + refused, s.keyframe_requests);
	assert_true(deferred <= refused);
	/* The pair after the quiet floor: one deferred. */
	assert_int_equal(deferred - d0, 1);
	/* At most one per floor in the time it all took, plus the first. */
	assert_true(fku <= (guint64)((t1 - t0) / RTC_GST_KEYFRAME_FLOOR_US) + 1);
	assert_true(refused > 0);
	/* What the encoder made: no more than was forced (the first frame's
	 * keyframe is before f0; key-int-max makes no other). */
	assert_true(keyframes - k0 <= fku);
	assert_true(frames - f0 > keyframes - k0);
}

/* ------------------------------------------------- peer-reflexive checks */

static char *sdp_value(const char *sdp, const char *key)
{
	const char *v = strstr(sdp, key);
	size_t n;

	if (!v)
		fail_msg("no %s in the room's SDP", key);
	v += strlen(key);
	n = strcspn(v, "\r\n");
	return g_strndup(v, n);
}

static uint32_t crc32_ieee(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

static size_t stun_attr(uint8_t *m, size_t at, uint16_t type, const void *v, size_t len)
{
	m[at] = type >> 8, m[at + 1] = type;
	m[at + 2] = len >> 8, m[at + 3] = len;
	if (len)
		memcpy(m + at + 4, v, len);
	memset(m + at + 4 + len, 0, (4 - len % 4) % 4);
	return at + 4 + (len + 3) / 4 * 4;
}

/* MESSAGE-INTEGRITY keyed with key, then FINGERPRINT, after the n bytes
 * of m (RFC 5389 15.4, 15.5): the header's length counts each attribute
 * when it is computed. */
static size_t stun_finish(uint8_t *m, size_t n, const char *key)
{
	uint8_t crc[4];
	gsize mac_len = 20;
	GHmac *h;

	m[2] = (n - 20 + 24) >> 8, m[3] = n - 20 + 24;
	h = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)key, strlen(key));
	g_hmac_update(h, m, n);
	m[n] = 0x00, m[n + 1] = 0x08, m[n + 2] = 0, m[n + 3] = 20;
	g_hmac_get_digest(h, m + n + 4, &mac_len);
	g_hmac_unref(h);
	n += 24;
	m[2] = (n - 20 + 8) >> 8, m[3] = n - 20 + 8;
	put32(crc, crc32_ieee(m, n) ^ 0x5354554eu);
	return stun_attr(m, n, 0x8028, crc, 4);
}

/* An ICE connectivity check to the room (RFC 8445 7.2.2): USERNAME
 * "room:sfu", PRIORITY, ICE-CONTROLLED when the room controls (it offered),
 * else ICE-CONTROLLING and USE-CANDIDATE (nominating the pair), keyed with
 * the room's ICE password. */
static size_t stun_check(uint8_t *m, const char *user, const char *pwd, bool room_controls)
{
	uint8_t prio[4], tie[8] = { 0xff, 2, 3, 4, 5, 6, 7, 8 };
	size_t n;

	put32(prio, 0x6e0001ffu);
	m[0] = 0x00, m[1] = 0x01; /* Binding request */
	put32(m + 4, 0x2112a442u);
	for (int i = 8; i < 20; i++)
		m[i] = (uint8_t)g_random_int();
	n = stun_attr(m, 20, 0x0006, user, strlen(user));
	n = stun_attr(m, n, 0x0024, prio, 4);
	n = stun_attr(m, n, room_controls ? 0x8029 : 0x802a, tie, 8);
	if (!room_controls)
		n = stun_attr(m, n, 0x0025, NULL, 0);
	return stun_finish(m, n, pwd);
}

/* The success response to the room's own check req (from `from`), keyed
 * with the SFU's password, as the SFU would send from that address. */
static size_t stun_success(uint8_t *m, const uint8_t *req, const struct sockaddr_in *from,
			   const char *sfu_pwd)
{
	uint8_t xma[8] = { 0, 1 };
	uint32_t a = ntohl(from->sin_addr.s_addr) ^ 0x2112a442u;
	uint16_t port = ntohs(from->sin_port) ^ 0x2112;

	m[0] = 0x01, m[1] = 0x01; /* Binding success response */
	memcpy(m + 4, req + 4, 16); /* the magic cookie and the transaction */
	xma[2] = port >> 8, xma[3] = port;
	put32(xma + 4, a);
	return stun_finish(m, stun_attr(m, 20, 0x0020, xma, 8), sfu_pwd);
}

struct foreign {
	bool answered;	     /* the room answered our check */
	unsigned int probes; /* the room's own checks to us (each answered) */
	unsigned int media;  /* anything else the room sent us */
	unsigned int sent;   /* RTP the room's peer took to send meanwhile */
};

/* From ADDR (a fresh port): one check to the room, then 5 s in which every
 * check of the room's to us is answered as the SFU would (so a pair with us
 * can succeed and be selected), while the room sends RTP every 10 ms as a
 * room in a meeting does; what came to ADDR is counted. */
static void foreign_checks(struct room *r, const char *addr, bool room_controls,
			   const char *user, const char *pwd, const char *sfu_pwd,
			   struct foreign *out)
{
	struct sockaddr_in self = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	uint8_t m[256], in[1500], rtp[64] = { 0x80, 96 };
	size_t n = stun_check(m, user, pwd, room_controls);
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(out, 0, sizeof(*out));
	assert_true(fd >= 0);
	inet_pton(AF_INET, addr, &self.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons(rtc_peer_local_port(r->peer));
	if (bind(fd, (struct sockaddr *)&self, sizeof(self))) {
		close(fd);
		fail_msg("cannot bind a UDP socket to %s: %s", addr, strerror(errno));
	}
	assert_int_equal(sendto(fd, m, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
	put32(rtp + 8, 0x22220001u);
	/* Sequence numbers go on from the last call's: libsrtp refuses to
	 * protect an index twice (the keystream would repeat). */
	while (g_get_monotonic_time() < end) {
		uint16_t seq = ++r->seq;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t k;

		rtp[2] = seq >> 8, rtp[3] = seq;
		if (!rtc_peer_send_rtp(r->peer, rtp, sizeof(rtp)))
			out->sent++;
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		k = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		if (k >= 20 && in[0] == 0x01 && in[1] == 0x01 && !memcmp(in + 8, m + 8, 12)) {
			out->answered = true;
		} else if (k >= 20 && in[0] == 0x00 && in[1] == 0x01) {
			uint8_t resp[256];
			size_t rn = stun_success(resp, in, &from, sfu_pwd);

			out->probes++;
			sendto(fd, resp, rn, 0, (struct sockaddr *)&from, fl);
		} else if (k > 0) {
			out->media++;
		}
	}
	close(fd);
}

/* The room offers (controls) or answers (controlled: the SFU nominates). */
static void prflx_foreign_role(bool room_controls)
{
	struct room r;
	struct rtc_peer_stats s;
	const struct rtc_sdp *remote;
	struct foreign f1, f2;
	char *ufrag, *pwd, *user;
	const char *role = room_controls ? "the room controlling" : "the room controlled";
	const char *why = "";
	int ret;

	room_start(&r, room_controls, NULL);
	ufrag = sdp_value(r.ours, "a=ice-ufrag:");
	pwd = sdp_value(r.ours, "a=ice-pwd:");
	remote = rtc_peer_remote(r.peer);
	user = g_strdup_printf("%s:%s", ufrag, remote->ufrag);
	/* From the SFU's own address, another port: a peer-reflexive
	 * candidate the SDP's could have been (a NAT's), taken. */
	foreign_checks(&r, "127.0.0.1", room_controls, user, pwd, remote->pwd, &f1);
	ret = rtc_peer_wait_connected(r.peer, 0, &why);
	stats(&r, &s);
	print_message("# %s: a check from 127.0.0.1 (another port): %s, %u checks back, %u "
		      "datagrams more; %u RTP sent; the connection %s\n",
		      role, f1.answered ? "answered" : "not answered", f1.probes, f1.media,
		      f1.sent, ret ? why : "stands");
	assert_true(f1.answered);
	assert_int_equal(ret, 0);
	assert_int_equal(s.candidates_refused, 0);
	/* From 127.0.0.2: refused, the connection dropped, nothing of the
	 * room's media sent there. */
	foreign_checks(&r, "127.0.0.2", room_controls, user, pwd, remote->pwd, &f2);
	ret = rtc_peer_wait_connected(r.peer, 0, &why);
	stats(&r, &s);
	print_message("# %s: a check from 127.0.0.2: %s, %u checks back, %u datagrams more (the "
		      "room's media); %u RTP sent; the connection: %s; candidates_refused=%llu\n",
		      role, f2.answered ? "answered" : "not answered", f2.probes, f2.media,
		      f2.sent, ret ? why : "stands",
		      (unsigned long long)s.candidates_refused);
	assert_int_equal(ret, -EPERM);
	assert_non_null(strstr(why, "127.0.0.2"));
	assert_int_equal(s.candidates_refused, 1);
	assert_int_equal(f2.media, 0);
	/* Nothing more is sent on it. */
	{
		uint8_t rtp[32] = { 0x80, 96 };

		assert_int_equal(rtc_peer_send_rtp(r.peer, rtp, sizeof(rtp)), -ENOTCONN);
	}
	g_free(user);
	g_free(pwd);
	g_free(ufrag);
	room_stop(&r);
}

static void prflx_foreign(void **state)
{
	prflx_foreign_role(true);
}

static void prflx_foreign_nominated(void **state)
{
	prflx_foreign_role(false);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ssrc_flood_subscription),
		cmocka_unit_test(rtcp_learn_publisher),
		cmocka_unit_test(pli_flood),
		cmocka_unit_test(prflx_foreign),
		cmocka_unit_test(prflx_foreign_nominated),
	};

	if (argc == 3 && !strcmp(argv[1], "--hostile"))
		return hostile_main(argv[2]);
	gst_init(&argc, &argv);
	self_exe = g_file_read_link("/proc/self/exe", NULL);
	if (!self_exe)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
