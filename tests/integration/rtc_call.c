// SPDX-License-Identifier: MIT
/*
 * rtc-call: one room publishing through Janus and subscribing to itself,
 * with the transport of webrtc/ (no webrtcbin), for the integration tests.
 *
 *   rtc-call --port P --ca FILE --room R --keys DIR [--frames N]
 *            [--marker TEXT] [--inject N] [--tamper-fingerprint]
 *            [--timeout S] [--local-addr A] [--name N] [--subscribe-to N]
 *            [--pin-file FILE] [--replay N [--replay-drop PCT]]
 *
 * Publisher: videotestsrc ! x264enc ! (marker SEI) ! e2eeenc ! rtph264pay
 * ! rtc_gst_sink, and audiotestsrc ! opusenc ! e2eeenc ! rtpopuspay !
 * rtc_gst_sink. Subscriber: rtc_gst_src ! rtph264depay ! e2eedec !
 * avdec_h264 ! fakesink (and the audio to a fakesink). DIR holds
 * video-send.keys, video-recv.keys, audio-send.keys, audio-recv.keys.
 * --subscribe-to subscribes to another room's publisher (by display name,
 * once it appears; the keyframe round trip is then not checked) instead of
 * our own feed. --inject sends N datagrams that look like RTP and N like DTLS from
 * another socket to the subscriber's ICE port once media flows, then waits
 * for 50 more packets from Janus (read after them, in order). libnice
 * 0.1.21 drops datagrams from an address that is no remote candidate itself
 * (its debug log: "DROPPING packet from unknown source"); the transport's
 * own check (dropped_foreign) catches those from a candidate that is not
 * the selected pair. --pin-file: the room's pin, sent with each join.
 * --replay N: a squatter that replays (docs/transport.md "Names"): it
 * publishes under --name, subscribes to the other publisher called N
 * once it appears, and sends every RTP packet of it (SRTP-authenticated
 * from Janus, so the clear RTP around N's SFrame frames) on through its
 * own publisher connection, payload types and SSRCs made its own, with no
 * media of its own; --replay-drop PCT leaves out about PCT % of the
 * frames (whole frames, chosen by RTP timestamp). It runs until standard
 * input closes or --timeout, printing "rtc-call: replayed=N
 * replay-dropped=M" every second. Prints its counts
 * as "rtc-call: key=value ..." lines; exit 0, 1 on a failure (named), 3
 * when DTLS refused the peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>

#include "rtc_gst.h"
#include "rtc_janus.h"
#include "rtc_peer.h"

#define INJECT_SSRC 0xBADC0DE5u

static const guint8 marker_uuid[16] = { 's', 'e', 'a', 'l', 'r', 'o', 'o', 'm',
					'-', 'r', 't', 'c', '-', 'm', 'k', '1' };

static struct {
	const char *ca, *keys, *marker, *local, *name, *peer, *pin_file, *replay;
	int port, frames, inject, timeout, replay_drop;
	guint64 room;
	gboolean tamper, hold;
	gint decoded, marker_frames, injected_at_depay;
	/* RTP sequence numbers the depayloader never saw (a packet lost inside a
	 * NAL fails that frame's authentication, as it must). */
	guint64 lost;
	guint32 last_seq; /* + 1; 0: none yet */
} o = { .frames = 30, .timeout = 60, .room = 1234 };

static void die(const char *what, const char *why)
{
	printf("rtc-call: FAILED %s: %s\n", what, why ? why : "");
	fflush(stdout);
	exit(1);
}

/* An SEI user_data_unregistered NAL (H.264 7.3.2.3) with the marker, before
 * e2eeenc: it must be encrypted like every other NAL payload. */
static GstPadProbeReturn add_marker(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info), *sei;
	gsize len = strlen(o.marker);
	guint8 *nal = g_malloc(8 + 16 + len + 1);
	gsize n = 0;

	nal[n++] = 0, nal[n++] = 0, nal[n++] = 0, nal[n++] = 1;
	nal[n++] = 6;			 /* SEI */
	nal[n++] = 5;			 /* user_data_unregistered */
	nal[n++] = (guint8)(16 + len); /* < 255: checked in main */
	memcpy(nal + n, marker_uuid, 16);
	n += 16;
	memcpy(nal + n, o.marker, len);
	n += len;
	nal[n++] = 0x80; /* rbsp trailing bits */
	sei = gst_buffer_new_wrapped(nal, n);
	b = gst_buffer_append(sei, gst_buffer_ref(b));
	gst_buffer_copy_into(b, GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_COPY_METADATA, 0, -1);
	gst_buffer_unref(GST_PAD_PROBE_INFO_BUFFER(info));
	GST_PAD_PROBE_INFO_DATA(info) = b;
	return GST_PAD_PROBE_OK;
}

/* After e2eedec: the decrypted access unit carries the marker. */
static GstPadProbeReturn count_marker(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	GstMapInfo m;
	gsize len = strlen(o.marker);

	if (gst_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), &m, GST_MAP_READ)) {
		for (gsize i = 0; i + 16 + len <= m.size; i++)
			if (!memcmp(m.data + i, marker_uuid, 16) &&
			    !memcmp(m.data + i + 16, o.marker, len)) {
				g_atomic_int_inc(&o.marker_frames);
				break;
			}
		gst_buffer_unmap(GST_PAD_PROBE_INFO_BUFFER(info), &m);
	}
	return GST_PAD_PROBE_OK;
}

/* At the depayloader: a packet of the injected SSRC must never be here; gaps
 * in the others' sequence numbers are counted as lost (one streaming thread). */
static GstPadProbeReturn at_depay(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

	if (gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp)) {
		if (gst_rtp_buffer_get_ssrc(&rtp) == INJECT_SSRC) {
			g_atomic_int_inc(&o.injected_at_depay);
		} else {
			guint16 seq = gst_rtp_buffer_get_seq(&rtp);
			guint16 gap = (guint16)(seq - (guint16)o.last_seq);

			if (o.last_seq && gap < 1000)
				o.lost += gap;
			o.last_seq = (guint32)(guint16)(seq + 1) + 0x10000u;
		}
		gst_rtp_buffer_unmap(&rtp);
	}
	return GST_PAD_PROBE_OK;
}

static void on_frame(GstElement *sink, GstBuffer *b, GstPad *pad, gpointer data)
{
	g_atomic_int_inc(&o.decoded);
}

static GstElement *make(GstElement *bin, const char *factory, const char *name)
{
	GstElement *e = gst_element_factory_make(factory, name);

	if (!e)
		die("element missing", factory);
	gst_bin_add(GST_BIN(bin), e);
	return e;
}

static char *keyfile(const char *name)
{
	return g_build_filename(o.keys, name, NULL);
}

static GstElement *publisher(struct rtc_gst *g)
{
	GstElement *p = gst_pipeline_new("publisher");
	GstElement *vs = make(p, "videotestsrc", NULL), *vf = make(p, "capsfilter", NULL),
		   *enc = make(p, "x264enc", NULL), *ef = make(p, "capsfilter", NULL),
		   *ee = make(p, "e2eeenc", "venc"), *pay = make(p, "rtph264pay", NULL);
	GstElement *as = make(p, "audiotestsrc", NULL), *op = make(p, "opusenc", NULL),
		   *ae = make(p, "e2eeenc", "aenc"), *apay = make(p, "rtpopuspay", NULL);
	GstElement *vsink = rtc_gst_sink(g, "vsink"), *asink = rtc_gst_sink(g, "asink");
	char *vk = keyfile("video-send.keys"), *ak = keyfile("audio-send.keys");
	GstCaps *c;
	GstPad *pad;

	gst_bin_add_many(GST_BIN(p), vsink, asink, NULL);
	g_object_set(vs, "is-live", TRUE, "pattern", 18 /* ball */, NULL);
	c = gst_caps_from_string("video/x-raw,format=I420,width=320,height=240,framerate=30/1");
	g_object_set(vf, "caps", c, NULL);
	gst_caps_unref(c);
	gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
	gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", "ultrafast");
	g_object_set(enc, "key-int-max", 30, NULL);
	c = gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au,"
				 "profile=constrained-baseline");
	g_object_set(ef, "caps", c, NULL);
	gst_caps_unref(c);
	g_object_set(ee, "key-file", vk, NULL);
	g_object_set(pay, "pt", 96, "mtu", 1200, "ssrc", 0x11111111u, NULL);
	g_object_set(as, "is-live", TRUE, NULL);
	gst_util_set_object_arg(G_OBJECT(ae), "stream", "audio");
	g_object_set(ae, "key-file", ak, NULL);
	g_object_set(apay, "pt", 111, "ssrc", 0x22222222u, NULL);
	if (!gst_element_link_many(vs, vf, enc, ef, ee, pay, vsink, NULL) ||
	    !gst_element_link_many(as, op, ae, apay, asink, NULL))
		die("publisher", "cannot link");
	pad = gst_element_get_static_pad(ee, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, add_marker, NULL, NULL);
	gst_object_unref(pad);
	g_free(vk);
	g_free(ak);
	return p;
}

static GstElement *subscriber(struct rtc_gst *g, const struct rtc_sdp *offer)
{
	GstElement *p = gst_pipeline_new("subscriber");
	GstElement *depay = make(p, "rtph264depay", NULL), *dec = make(p, "e2eedec", "vdec"),
		   *av = make(p, "avdec_h264", NULL), *sink = make(p, "fakesink", "sink");
	char *vk = keyfile("video-recv.keys");
	GstPad *pad;
	bool video = false;

	for (unsigned int i = 0; i < offer->n_media; i++) {
		const struct rtc_sdp_media *m = &offer->media[i];
		char *s;
		GstCaps *c;
		GstElement *src;

		if (m->rejected || strcmp(m->kind, "video") || g_ascii_strcasecmp(m->codec, "H264"))
			continue;
		s = g_strdup_printf("application/x-rtp,media=video,encoding-name=H264,"
				    "clock-rate=%u,payload=%d",
				    m->clock, m->pt);
		c = gst_caps_from_string(s);
		src = rtc_gst_src(g, "vsrc", c, m->pt, m->ssrc);
		gst_caps_unref(c);
		g_free(s);
		gst_bin_add(GST_BIN(p), src);
		if (!gst_element_link(src, depay))
			die("subscriber", "cannot link the source");
		video = true;
		break;
	}
	if (!video)
		die("subscriber", "Janus offered no H.264");
	g_object_set(dec, "key-file", vk, NULL);
	g_object_set(sink, "signal-handoffs", TRUE, "sync", FALSE, NULL);
	g_signal_connect(sink, "handoff", G_CALLBACK(on_frame), NULL);
	if (!gst_element_link_many(depay, dec, av, sink, NULL))
		die("subscriber", "cannot link");
	pad = gst_element_get_static_pad(depay, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, at_depay, NULL, NULL);
	gst_object_unref(pad);
	pad = gst_element_get_static_pad(dec, "src");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_marker, NULL, NULL);
	gst_object_unref(pad);
	g_free(vk);
	return p;
}

/* Signaling tampered with: the fingerprint's first hex digit changed. */
static void tamper(char *sdp)
{
	char *f = strstr(sdp, "a=fingerprint:sha-256 ");

	if (!f)
		die("tamper", "no fingerprint in the answer");
	f += strlen("a=fingerprint:sha-256 ");
	*f = *f == 'A' ? 'B' : 'A';
}

/* Datagrams from another socket on loopback to the subscriber's ICE port. */
static void inject(unsigned int port, int n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, o.local, &to.sin_addr);
	for (int i = 0; i < n; i++) {
		/* RTP (an SPS NAL of the video payload type) and a DTLS alert. */
		uint8_t rtp[32] = { 0x80, 0x80 | 96, 0, (uint8_t)i, 0, 0, 0, 1,
				    0xBA, 0xDC, 0x0D, 0xE5, 0x67, 0x42, 0xc0, 0x1f };
		uint8_t dtls[16] = { 21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, (uint8_t)i, 0, 2, 2, 40 };

		if (sendto(fd, rtp, sizeof(rtp), 0, (struct sockaddr *)&to, sizeof(to)) < 0 ||
		    sendto(fd, dtls, sizeof(dtls), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			die("inject", strerror(errno));
	}
	close(fd);
}

static struct rtc_peer *pub_peer, *sub_peer;
static struct rtc_gst *sub_gst;
static void print_stats(const char *who, struct rtc_peer *p);

static void wait_for(struct rtc_janus *j, const char *what, gboolean (*done)(gpointer),
		     gpointer data)
{
	gint64 end = g_get_monotonic_time() + (gint64)o.timeout * G_USEC_PER_SEC;
	const char *why;

	while (!done(data)) {
		if (g_get_monotonic_time() > end) {
			char *s = g_strdup_printf("gave up after %d s waiting for %s", o.timeout, what);

			printf("rtc-call: decoded=%d plis_sent=%" G_GUINT64_FORMAT "\n",
			       g_atomic_int_get(&o.decoded), rtc_gst_plis_sent(sub_gst));
			print_stats("publisher", pub_peer);
			print_stats("subscriber", sub_peer);
			die("wait", s);
		}
		if (rtc_janus_poll(j, 50, &why))
			die("Janus connection", why);
	}
}

static gboolean enough_frames(gpointer d)
{
	return g_atomic_int_get(&o.decoded) >= o.frames;
}

/* The socket is read in order: once 50 more packets from Janus were taken,
 * the injected datagrams sent before them have been read and judged. */
static guint64 rtp_in_at_injection;

static gboolean injected_judged(gpointer d)
{
	struct rtc_peer_stats s;

	rtc_peer_get_stats(d, &s);
	return s.rtp_in >= rtp_in_at_injection + 50;
}

/* Waits for ICE and DTLS while pumping Janus (the trickle's end goes out). */
static int connect_wait(struct rtc_janus *j, struct rtc_peer *p, const char **why)
{
	gint64 end = g_get_monotonic_time() + (gint64)o.timeout * G_USEC_PER_SEC;
	int ret;

	while ((ret = rtc_peer_wait_connected(p, 50, why)) == -ETIMEDOUT &&
	       g_get_monotonic_time() < end)
		if (rtc_janus_poll(j, 10, why))
			return -ECONNRESET;
	return ret;
}

static guint64 forced_before;

/* A keyframe request reached the publisher and became a GstForceKeyUnit
 * (one within the floor of the last is refused: asked again). */
static gboolean keyframe_forced(gpointer d)
{
	return rtc_gst_force_key_units(d) > forced_before;
}

static void print_stats(const char *who, struct rtc_peer *p)
{
	struct rtc_peer_stats s;

	rtc_peer_get_stats(p, &s);
	printf("rtc-call: %s rtp_in=%" G_GUINT64_FORMAT " rtcp_in=%" G_GUINT64_FORMAT
	       " dtls_in=%" G_GUINT64_FORMAT " rtp_out=%" G_GUINT64_FORMAT
	       " rtcp_out=%" G_GUINT64_FORMAT " dropped_foreign=%" G_GUINT64_FORMAT
	       " dropped_other=%" G_GUINT64_FORMAT " dropped_early=%" G_GUINT64_FORMAT
	       " dropped_auth=%" G_GUINT64_FORMAT " keyframe_requests=%" G_GUINT64_FORMAT
	       " dropped_ssrc=%" G_GUINT64_FORMAT "\n",
	       who, s.rtp_in, s.rtcp_in, s.dtls_in, s.rtp_out, s.rtcp_out, s.dropped_foreign,
	       s.dropped_other, s.dropped_early, s.dropped_auth, s.keyframe_requests,
	       s.dropped_ssrc);
}

/* --replay: the other publisher's RTP, sent on as ours. */
static struct {
	struct rtc_peer *pub;
	int vpt, apt;
	gint forwarded, dropped;
} rp = { .vpt = -1, .apt = -1 };

static void replay_rtp(void *user, uint8_t *rtp, size_t len)
{
	uint8_t out[RTC_PEER_MAX_RTP];
	int pt = rtp[1] & 0x7f;
	uint32_t ts = (uint32_t)rtp[4] << 24 | (uint32_t)rtp[5] << 16 | (uint32_t)rtp[6] << 8 | rtp[7];
	uint32_t ssrc;

	if (len < 12 || len > sizeof(out) || (pt != rp.vpt && pt != rp.apt))
		return;
	/* Whole frames left out: every packet of a frame has its timestamp. */
	if (o.replay_drop && (ts * 2654435761u) % 100u < (uint32_t)o.replay_drop) {
		g_atomic_int_inc(&rp.dropped);
		return;
	}
	memcpy(out, rtp, len);
	ssrc = pt == rp.vpt ? 0x11111111u : 0x22222222u;
	out[1] = (uint8_t)((rtp[1] & 0x80) | (pt == rp.vpt ? 96 : 111));
	out[8] = (uint8_t)(ssrc >> 24), out[9] = (uint8_t)(ssrc >> 16);
	out[10] = (uint8_t)(ssrc >> 8), out[11] = (uint8_t)ssrc;
	if (!rtc_peer_send_rtp(rp.pub, out, len))
		g_atomic_int_inc(&rp.forwarded);
}

/* The feed of the publisher called name that is not ours, or 0 (Janus's
 * listing), once it appears. */
static uint64_t other_publisher(struct rtc_janus *j, uint64_t handle, const char *name,
				uint64_t ours)
{
	struct rtc_janus_participant list[RTC_JANUS_MAX_PARTICIPANTS];
	gint64 end = g_get_monotonic_time() + (gint64)o.timeout * G_USEC_PER_SEC;
	const char *why = NULL;
	unsigned int n;

	while (g_get_monotonic_time() < end) {
		if (rtc_janus_list(j, handle, o.room, list, RTC_JANUS_MAX_PARTICIPANTS, &n, &why))
			die("listparticipants", why);
		for (unsigned int i = 0; i < n; i++)
			if (!strcmp(list[i].display, name) && list[i].id != ours)
				return list[i].id;
		if (rtc_janus_poll(j, 200, &why))
			die("Janus connection", why);
	}
	die("wait", "gave up waiting for the publisher to replay");
	return 0;
}

/* The pin file's first line (a test tool: no wiping). */
static char *read_pin(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		die("--pin-file", path);
	text[strcspn(text, "\r\n")] = 0;
	return text;
}

static int replay(struct rtc_janus *j, uint64_t sh, uint64_t ours, struct rtc_peer *sub)
{
	gint64 end = g_get_monotonic_time() + (gint64)o.timeout * G_USEC_PER_SEC, next = 0;
	uint64_t feed = other_publisher(j, sh, o.replay, ours);
	const struct rtc_sdp *remote;
	char *soffer = NULL, *sanswer;
	const char *why = NULL;

	if (rtc_janus_subscribe(j, sh, o.room, feed, &soffer, &why))
		die("subscribe", why);
	if (rtc_peer_set_offer(sub, soffer, strlen(soffer), &why))
		die("subscriber offer", why);
	free(soffer);
	remote = rtc_peer_remote(sub);
	for (unsigned int i = 0; i < remote->n_media; i++)
		if (!remote->media[i].rejected)
			*(strcmp(remote->media[i].kind, "video") ? &rp.apt : &rp.vpt) =
				remote->media[i].pt;
	sanswer = rtc_peer_answer(sub, 5000);
	if (!sanswer)
		die("subscriber", "no answer");
	if (rtc_janus_start(j, sh, sanswer, &why) || rtc_janus_trickle_done(j, sh, &why))
		die("start", why);
	g_free(sanswer);
	if (connect_wait(j, sub, &why))
		die("subscriber connection", why);
	printf("rtc-call: replaying feed=%" G_GUINT64_FORMAT " (video pt %d, audio pt %d)\n",
	       feed, rp.vpt, rp.apt);
	fflush(stdout);
	while (g_get_monotonic_time() < end) {
		struct pollfd in = { .fd = 0, .events = POLLIN };
		char c;

		if (g_get_monotonic_time() >= next) {
			next = g_get_monotonic_time() + G_USEC_PER_SEC;
			printf("rtc-call: replayed=%d replay-dropped=%d\n",
			       g_atomic_int_get(&rp.forwarded), g_atomic_int_get(&rp.dropped));
			fflush(stdout);
		}
		if (poll(&in, 1, 50) > 0 && read(0, &c, 1) <= 0)
			break;
		if (rtc_janus_poll(j, 0, &why))
			die("Janus connection", why);
	}
	return 0;
}

int main(int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ "port", 0, 0, G_OPTION_ARG_INT, &o.port, "Janus wss port", NULL },
		{ "ca", 0, 0, G_OPTION_ARG_FILENAME, &o.ca, "CA of Janus's certificate", NULL },
		{ "room", 0, 0, G_OPTION_ARG_INT64, &o.room, "videoroom", NULL },
		{ "keys", 0, 0, G_OPTION_ARG_FILENAME, &o.keys, "key file folder", NULL },
		{ "frames", 0, 0, G_OPTION_ARG_INT, &o.frames, "decoded frames to wait for", NULL },
		{ "marker", 0, 0, G_OPTION_ARG_STRING, &o.marker, "plaintext marker", NULL },
		{ "inject", 0, 0, G_OPTION_ARG_INT, &o.inject, "datagrams to inject", NULL },
		{ "tamper-fingerprint", 0, 0, G_OPTION_ARG_NONE, &o.tamper, "", NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &o.timeout, "each wait, seconds", NULL },
		{ "local-addr", 0, 0, G_OPTION_ARG_STRING, &o.local, "the address gathered", NULL },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &o.name, "our display name", NULL },
		{ "hold", 0, 0, G_OPTION_ARG_NONE, &o.hold,
		  "after the counts, keep publishing until standard input closes", NULL },
		{ "subscribe-to", 0, 0, G_OPTION_ARG_STRING, &o.peer,
		  "the publisher to subscribe to (default: ourselves)", NULL },
		{ "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &o.pin_file, "the room's pin", NULL },
		{ "replay", 0, 0, G_OPTION_ARG_STRING, &o.replay,
		  "republish the other publisher of this name", NULL },
		{ "replay-drop", 0, 0, G_OPTION_ARG_INT, &o.replay_drop,
		  "percent of its frames left out", NULL },
		{ NULL },
	};
	GOptionContext *oc = g_option_context_new("");
	GError *err = NULL;
	struct rtc_janus_config jc = { "localhost", 0, NULL, 10000, NULL };
	struct rtc_janus *j;
	struct rtc_gst *pg, *sg;
	struct rtc_peer_config pc = { .local_addr = "127.0.0.1" }, sc = { .local_addr = "127.0.0.1" };
	struct rtc_peer *pub, *sub;
	struct rtc_peer_media media[2] = {
		{ "audio", "opus", "minptime=10;useinbandfec=1", 111, 48000, 2, 0x22222222u },
		{ "video", "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		  96, 90000, 0, 0x11111111u },
	};
	uint64_t ph, sh, feed;
	char *offer, *answer, *soffer = NULL, *sanswer = NULL;
	const char *why = NULL;
	GstElement *pp = NULL, *sp = NULL;
	GstStructure *st;
	guint64 auth_failed = 0, malformed = 0;
	gint64 t0, t_first = 0;
	int ret, status = 0;

	gst_init(&argc, &argv);
	/* Janus closing its socket is a failure to name, not a death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	pg = rtc_gst_new();
	sg = rtc_gst_new();
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &err) || !o.port || !o.ca || !o.keys)
		die("usage", err ? err->message : "--port, --ca and --keys are required");
	g_option_context_free(oc);
	if (!o.marker)
		o.marker = "SEALROOM-RTC-PLAINTEXT-MARKER";
	if (strlen(o.marker) > 200)
		die("usage", "--marker is too long");
	if (!o.local)
		o.local = "127.0.0.1";
	pc.local_addr = sc.local_addr = o.local;
	jc.port = (uint16_t)o.port;
	jc.ca_file = o.ca;
	if (o.pin_file)
		jc.pin = read_pin(o.pin_file);
	t0 = g_get_monotonic_time();

	ret = rtc_janus_connect(&jc, &j, &why);
	if (ret)
		die("connecting to Janus", why);
	if (rtc_janus_attach(j, &ph, &why) || rtc_janus_attach(j, &sh, &why))
		die("attaching to the videoroom", why);
	rtc_gst_peer_config(pg, &pc);
	rtc_gst_peer_config(sg, &sc);
	if (o.replay)
		sc.on_rtp = replay_rtp;
	ret = rtc_peer_new(&pc, &pub);
	if (!ret)
		ret = rtc_peer_new(&sc, &sub);
	if (ret)
		die("peer", g_strerror(-ret));
	rtc_gst_set_peer(pg, pub);
	rtc_gst_set_peer(sg, sub);
	pub_peer = pub;
	sub_peer = sub;
	sub_gst = sg;

	/* Publish. */
	offer = rtc_peer_offer(pub, media, 2, 5000);
	if (!offer)
		die("publisher", "no offer (gathering)");
	if (!o.name)
		o.name = "sealroom";
	if (rtc_janus_publish(j, ph, o.room, o.name, offer, &answer, &feed, &why))
		die("publish", why);
	if (g_getenv("RTC_CALL_SDP"))
		printf("--- offer\n%s--- answer\n%s---\n", offer, answer);
	if (o.tamper)
		tamper(answer);
	if (rtc_peer_set_answer(pub, answer, strlen(answer), &why))
		die("publisher answer", why);
	if (rtc_janus_trickle_done(j, ph, &why))
		die("trickle", why);
	ret = connect_wait(j, pub, &why);
	if (ret) {
		printf("rtc-call: DTLS refused: %s\n", why);
		print_stats("publisher", pub);
		status = ret == -EPROTO ? 3 : 1;
		goto out;
	}
	printf("rtc-call: publisher connected feed=%" G_GUINT64_FORMAT "\n", feed);
	fflush(stdout);
	if (o.replay) {
		rp.pub = pub;
		status = replay(j, sh, feed, sub);
		goto out;
	}
	pp = publisher(pg);
	if (gst_element_set_state(pp, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
		die("publisher", "pipeline does not play");

	/* Subscribe to our own feed, or to another room's once it publishes. */
	if (o.peer) {
		gint64 end = g_get_monotonic_time() + (gint64)o.timeout * G_USEC_PER_SEC;

		while ((ret = rtc_janus_find_publisher(j, sh, o.room, o.peer, &feed, &why)) ==
		       -ENOENT) {
			if (g_get_monotonic_time() > end)
				die("wait", "gave up waiting for the other room to publish");
			if (rtc_janus_poll(j, 100, &why))
				die("Janus connection", why);
		}
		if (ret)
			die("listparticipants", why);
	}
	if (rtc_janus_subscribe(j, sh, o.room, feed, &soffer, &why))
		die("subscribe", why);
	if (rtc_peer_set_offer(sub, soffer, strlen(soffer), &why))
		die("subscriber offer", why);
	sanswer = rtc_peer_answer(sub, 5000);
	if (!sanswer)
		die("subscriber", "no answer");
	sp = subscriber(sg, rtc_peer_remote(sub));
	if (gst_element_set_state(sp, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
		die("subscriber", "pipeline does not play");
	if (rtc_janus_start(j, sh, sanswer, &why) || rtc_janus_trickle_done(j, sh, &why))
		die("start", why);
	if (connect_wait(j, sub, &why))
		die("subscriber connection", why);
	printf("rtc-call: subscriber connected\n");
	fflush(stdout);

	o.frames = o.frames > 0 ? o.frames : 1;
	{
		int want = o.frames;

		o.frames = 1;
		wait_for(j, "the first decoded frame", enough_frames, NULL);
		t_first = g_get_monotonic_time();
		o.frames = want;
	}
	if (!o.peer) {
		/* The subscriber's decoder asks for a keyframe: the upstream
		 * GstForceKeyUnit leaves the appsrc as a PLI, Janus relays it
		 * to the publisher, whose transport turns it into a
		 * GstForceKeyUnit to its encoder. */
		GstElement *fs = gst_bin_get_by_name(GST_BIN(sp), "sink");

		forced_before = rtc_gst_force_key_units(pg);
		/* Asked again every second, as a decoder would: Janus relays
		 * at most one PLI a second to a publisher, and it sent one
		 * itself when the subscriber joined (a relayed one within
		 * 500 ms of that is refused by the keyframe floor). */
		for (int i = 0; i < o.timeout && !keyframe_forced(pg); i++) {
			gst_element_send_event(fs, gst_video_event_new_upstream_force_key_unit(
							   GST_CLOCK_TIME_NONE, TRUE, i));
			for (int k = 0; k < 20 && !keyframe_forced(pg); k++)
				if (rtc_janus_poll(j, 50, &why))
					die("Janus connection", why);
		}
		gst_object_unref(fs);
		wait_for(j, "the publisher's encoder to get the subscriber's keyframe request",
			 keyframe_forced, pg);
	}
	if (o.inject) {
		struct rtc_peer_stats s;

		rtc_peer_get_stats(sub, &s);
		rtp_in_at_injection = s.rtp_in;
		inject(rtc_peer_local_port(sub), o.inject);
		wait_for(j, "50 packets from Janus after the injected ones", injected_judged, sub);
	}
	wait_for(j, "enough decoded frames", enough_frames, NULL);

	g_object_get(gst_bin_get_by_name(GST_BIN(sp), "vdec"), "stats", &st, NULL);
	gst_structure_get_uint64(st, "auth-failed", &auth_failed);
	gst_structure_get_uint64(st, "malformed", &malformed);
	gst_structure_free(st);
	printf("rtc-call: decoded=%d marker_frames=%d auth_failed=%" G_GUINT64_FORMAT
	       " malformed=%" G_GUINT64_FORMAT " lost=%" G_GUINT64_FORMAT " injected=%d injected_at_depay=%d pushed=%" G_GUINT64_FORMAT
	       " plis_sent=%" G_GUINT64_FORMAT " force_key_units=%" G_GUINT64_FORMAT
	       " keyframes_refused=%" G_GUINT64_FORMAT " keyframes_deferred=%" G_GUINT64_FORMAT
	       " join_to_first_frame_ms=%" G_GINT64_FORMAT "\n",
	       g_atomic_int_get(&o.decoded), g_atomic_int_get(&o.marker_frames), auth_failed,
	       malformed, o.lost, 2 * o.inject, g_atomic_int_get(&o.injected_at_depay), rtc_gst_pushed(sg),
	       rtc_gst_plis_sent(sg), rtc_gst_force_key_units(pg), rtc_gst_keyframes_refused(pg),
	       rtc_gst_keyframes_deferred(pg), (t_first - t0) / 1000);
	print_stats("publisher", pub);
	print_stats("subscriber", sub);
	fflush(stdout);
	/* Other rooms may still be subscribing to us: publish until told. */
	while (o.hold) {
		struct pollfd in = { .fd = 0, .events = POLLIN };
		char c;

		if (poll(&in, 1, 100) > 0 && read(0, &c, 1) <= 0)
			break;
		if (rtc_janus_poll(j, 0, &why))
			break;
	}
out:
	fflush(stdout);
	if (pp && gst_element_set_state(pp, GST_STATE_NULL) != GST_STATE_CHANGE_FAILURE)
		gst_object_unref(pp);
	if (sp && gst_element_set_state(sp, GST_STATE_NULL) != GST_STATE_CHANGE_FAILURE)
		gst_object_unref(sp);
	/* The subscriber first: with --replay its receive thread sends
	 * through the publisher's connection. */
	rtc_peer_free(sub);
	rtc_peer_free(pub);
	rtc_gst_free(pg);
	rtc_gst_free(sg);
	rtc_janus_free(j);
	g_free(offer);
	free(answer);
	free(soffer);
	g_free(sanswer);
	return status;
}
