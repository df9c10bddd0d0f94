// SPDX-License-Identifier: MIT
/* appsink / appsrc glue between GStreamer and rtc_peer. */
#include <gst/app/app.h>
#include <gst/video/video.h>

#include "rtc_demux.h"
#include "rtc_gst.h"

#define MAX_SRCS 4
/* The receive pool: 1400-byte buffers, at most POOL_MAX of them alive for
 * all of a connection's appsrcs, their queues and what the jitterbuffer
 * and depayloader hold (a 4K keyframe at 20 Mbit/s is about 250 packets,
 * the jitterbuffer's 200 ms about 400): about 2.8 MB at most. */
#define POOL_MAX 2048
/* Each appsrc's queue: leaky (the oldest goes) past this, well under what
 * the pool holds, so that a full queue drops its oldest packets rather than
 * starving the pool. */
#define QUEUE_MAX_BYTES (1u << 20)

struct src {
	GstElement *appsrc;
	int pt;
	uint32_t ssrc; /* media SSRC for PLIs: from the SDP, then the last seen */
};

struct rtc_gst {
	/* Swapped by rtc_gst_set_peer() (a new peer connection after Janus
	 * restarted) while the streaming threads send through it. */
	GRWLock peer_lock;
	struct rtc_peer *peer;
	/* Received packets are copied into buffers of this pool: none is
	 * allocated per packet in steady state. */
	GstBufferPool *pool;
	GMutex lock;
	GPtrArray *sinks;
	struct src srcs[MAX_SRCS];
	unsigned int n_srcs;
	guint64 pushed, plis, pool_empty;
	/* Under lock: GstForceKeyUnit sent (at once or deferred), requests
	 * that got none of their own, those sent at the floor's end. */
	guint64 fku, fku_refused, fku_deferred;
	gint64 last_fku; /* monotonic us of the last one sent */
	gint fku_pending; /* atomic: one refused since; sent once the floor ends */
};

struct rtc_gst *rtc_gst_new(void)
{
	struct rtc_gst *g = g_new0(struct rtc_gst, 1);

	GstStructure *conf;

	g_mutex_init(&g->lock);
	g_rw_lock_init(&g->peer_lock);
	g->sinks = g_ptr_array_new_with_free_func(gst_object_unref);
	g->pool = gst_buffer_pool_new();
	conf = gst_buffer_pool_get_config(g->pool);
	gst_buffer_pool_config_set_params(conf, NULL, RTC_PEER_MAX_RTP, 16, POOL_MAX);
	if (!gst_buffer_pool_set_config(g->pool, conf) ||
	    !gst_buffer_pool_set_active(g->pool, TRUE))
		g_error("rtc_gst: the receive buffer pool cannot start");
	return g;
}

/* Receive thread: authenticated RTP into the appsrc of its payload type. */
static void on_rtp(void *user, uint8_t *rtp, size_t len)
{
	GstBufferPoolAcquireParams dontwait = { .flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT };
	struct rtc_gst *g = user;
	GstElement *src = NULL;
	GstBuffer *b = NULL;
	int pt = rtc_rtp_pt(rtp);

	g_mutex_lock(&g->lock);
	for (unsigned int i = 0; i < g->n_srcs; i++)
		if (g->srcs[i].pt == pt) {
			src = gst_object_ref(g->srcs[i].appsrc);
			/* The last seen: an SFU picks its own SSRCs, new ones
			 * for a new subscription on the same source. */
			g->srcs[i].ssrc = rtc_rtp_ssrc(rtp);
			break;
		}
	g_mutex_unlock(&g->lock);
	if (!src)
		return;
	/* Never waits for a buffer: the receive thread goes on reading (and
	 * counting) while everything downstream holds POOL_MAX of them. */
	if (len <= RTC_PEER_MAX_RTP &&
	    gst_buffer_pool_acquire_buffer(g->pool, &b, &dontwait) == GST_FLOW_OK) {
		gst_buffer_fill(b, 0, rtp, len);
		gst_buffer_set_size(b, (gssize)len);
		if (gst_app_src_push_buffer(GST_APP_SRC(src), b) == GST_FLOW_OK)
			__atomic_fetch_add(&g->pushed, 1, __ATOMIC_RELAXED);
	} else if (len <= RTC_PEER_MAX_RTP) {
		__atomic_fetch_add(&g->pool_empty, 1, __ATOMIC_RELAXED);
	}
	gst_object_unref(src);
}

/* A keyframe asked of every encoder feeding a sink; under lock. */
static void force_key_unit_locked(struct rtc_gst *g, gint64 now)
{
	g->last_fku = now;
	for (guint i = 0; i < g->sinks->len; i++) {
		GstPad *pad = gst_element_get_static_pad(g->sinks->pdata[i], "sink");

		gst_pad_push_event(pad, gst_video_event_new_upstream_force_key_unit(
						GST_CLOCK_TIME_NONE, TRUE, 0));
		gst_object_unref(pad);
	}
	g->fku++;
}

/* A PLI or FIR: a keyframe at most once per RTC_GST_KEYFRAME_FLOOR_US (the
 * same requests reach every chain, so one floor is each chain's): the SFU,
 * or a subscriber whose PLIs it forwards, cannot make every frame a
 * keyframe. One refused within the floor is not lost: a single keyframe
 * is asked when the floor ends (deferred_key_unit), so a subscriber that
 * joined just after another waits at most the floor for its picture. */
static void on_keyframe_request(void *user, uint32_t media_ssrc)
{
	struct rtc_gst *g = user;
	gint64 now = g_get_monotonic_time();

	g_mutex_lock(&g->lock);
	if (g->fku && now - g->last_fku < RTC_GST_KEYFRAME_FLOOR_US) {
		g->fku_refused++;
		g_atomic_int_set(&g->fku_pending, 1);
	} else {
		force_key_unit_locked(g, now);
	}
	g_mutex_unlock(&g->lock);
}

/* A streaming thread sending: the keyframe deferred, once the floor ended
 * (each packet sent looks; an upstream event from a streaming thread, as a
 * decoder's keyframe request is). */
static void deferred_key_unit(struct rtc_gst *g)
{
	gint64 now;

	if (!g_atomic_int_get(&g->fku_pending))
		return;
	now = g_get_monotonic_time();
	g_mutex_lock(&g->lock);
	if (g->fku_pending && now - g->last_fku >= RTC_GST_KEYFRAME_FLOOR_US) {
		g_atomic_int_set(&g->fku_pending, 0);
		g->fku_deferred++;
		force_key_unit_locked(g, now);
	}
	g_mutex_unlock(&g->lock);
}

void rtc_gst_peer_config(struct rtc_gst *g, struct rtc_peer_config *cfg)
{
	cfg->on_rtp = on_rtp;
	cfg->on_keyframe_request = on_keyframe_request;
	cfg->user = g;
}

void rtc_gst_set_peer(struct rtc_gst *g, struct rtc_peer *peer)
{
	g_rw_lock_writer_lock(&g->peer_lock);
	g->peer = peer;
	g_rw_lock_writer_unlock(&g->peer_lock);
}

static GstFlowReturn on_sample(GstAppSink *sink, gpointer user)
{
	struct rtc_gst *g = user;
	GstSample *s = gst_app_sink_pull_sample(sink);
	GstBuffer *b = s ? gst_sample_get_buffer(s) : NULL;
	GstMapInfo map;

	if (!b) {
		if (s)
			gst_sample_unref(s);
		return GST_FLOW_EOS;
	}
	/* Before the keys nothing is sent: the payloader's first packets are
	 * dropped, and the encoder's next keyframe (asked by the peer's PLI)
	 * starts the stream. */
	if (gst_buffer_map(b, &map, GST_MAP_READ)) {
		g_rw_lock_reader_lock(&g->peer_lock);
		if (g->peer)
			(void)rtc_peer_send_rtp(g->peer, map.data, map.size);
		g_rw_lock_reader_unlock(&g->peer_lock);
		gst_buffer_unmap(b, &map);
	}
	gst_sample_unref(s);
	deferred_key_unit(g);
	return GST_FLOW_OK;
}

GstElement *rtc_gst_sink(struct rtc_gst *g, const char *name)
{
	GstAppSinkCallbacks cb = { .new_sample = on_sample };
	GstElement *e = gst_element_factory_make("appsink", name);
	GstCaps *caps = gst_caps_new_empty_simple("application/x-rtp");

	g_object_set(e, "caps", caps, "sync", FALSE, "async", FALSE, "max-buffers", 64, NULL);
	gst_caps_unref(caps);
	gst_app_sink_set_callbacks(GST_APP_SINK(e), &cb, g, NULL);
	g_mutex_lock(&g->lock);
	g_ptr_array_add(g->sinks, gst_object_ref(e));
	g_mutex_unlock(&g->lock);
	return e;
}

/* A keyframe asked upstream of the receive branch leaves as a PLI. */
static GstPadProbeReturn on_upstream(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	struct rtc_gst *g = user;
	GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
	GstElement *parent;
	uint32_t ssrc = 0;

	if (!gst_video_event_is_force_key_unit(ev))
		return GST_PAD_PROBE_OK;
	parent = gst_pad_get_parent_element(pad);
	g_mutex_lock(&g->lock);
	for (unsigned int i = 0; i < g->n_srcs; i++)
		if (g->srcs[i].appsrc == parent)
			ssrc = g->srcs[i].ssrc;
	g_mutex_unlock(&g->lock);
	if (parent)
		gst_object_unref(parent);
	g_rw_lock_reader_lock(&g->peer_lock);
	if (ssrc && g->peer && !rtc_peer_send_pli(g->peer, ssrc))
		__atomic_fetch_add(&g->plis, 1, __ATOMIC_RELAXED);
	g_rw_lock_reader_unlock(&g->peer_lock);
	return GST_PAD_PROBE_HANDLED;
}

GstElement *rtc_gst_src(struct rtc_gst *g, const char *name, GstCaps *caps, int pt,
			uint32_t media_ssrc)
{
	GstElement *e;
	GstPad *pad;

	if (g->n_srcs == MAX_SRCS)
		return NULL;
	e = gst_element_factory_make("appsrc", name);
	/* Without leaky-type, appsrc queues past max-bytes (it only emits
	 * enough-data): downstream drops the oldest, a real bound. */
	g_object_set(e, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp",
		     TRUE, "max-bytes", (guint64)QUEUE_MAX_BYTES, "block", FALSE, "leaky-type",
		     GST_APP_LEAKY_TYPE_DOWNSTREAM, "max-buffers", (guint64)(POOL_MAX / 2), NULL);
	pad = gst_element_get_static_pad(e, "src");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream, g, NULL);
	gst_object_unref(pad);
	g_mutex_lock(&g->lock);
	g->srcs[g->n_srcs++] = (struct src){ gst_object_ref(e), pt, media_ssrc };
	g_mutex_unlock(&g->lock);
	return e;
}

void rtc_gst_src_set_pt(struct rtc_gst *g, GstElement *src, int pt)
{
	GstCaps *caps = NULL;

	g_mutex_lock(&g->lock);
	for (unsigned int i = 0; i < g->n_srcs; i++)
		if (g->srcs[i].appsrc == src && g->srcs[i].pt != pt) {
			g->srcs[i].pt = pt;
			g_object_get(src, "caps", &caps, NULL);
		}
	g_mutex_unlock(&g->lock);
	if (!caps)
		return;
	caps = gst_caps_make_writable(caps);
	gst_caps_set_simple(caps, "payload", G_TYPE_INT, pt, NULL);
	g_object_set(src, "caps", caps, NULL);
	gst_caps_unref(caps);
}

guint64 rtc_gst_pushed(struct rtc_gst *g)
{
	return __atomic_load_n(&g->pushed, __ATOMIC_RELAXED);
}

guint64 rtc_gst_plis_sent(struct rtc_gst *g)
{
	return __atomic_load_n(&g->plis, __ATOMIC_RELAXED);
}

/* A count kept under the lock. */
static guint64 locked_count(struct rtc_gst *g, const guint64 *c)
{
	guint64 n;

	g_mutex_lock(&g->lock);
	n = *c;
	g_mutex_unlock(&g->lock);
	return n;
}

guint64 rtc_gst_force_key_units(struct rtc_gst *g)
{
	return locked_count(g, &g->fku);
}

guint64 rtc_gst_keyframes_refused(struct rtc_gst *g)
{
	return locked_count(g, &g->fku_refused);
}

guint64 rtc_gst_keyframes_deferred(struct rtc_gst *g)
{
	return locked_count(g, &g->fku_deferred);
}

guint64 rtc_gst_pool_empty(struct rtc_gst *g)
{
	return __atomic_load_n(&g->pool_empty, __ATOMIC_RELAXED);
}

void rtc_gst_free(struct rtc_gst *g)
{
	if (!g)
		return;
	for (unsigned int i = 0; i < g->n_srcs; i++)
		gst_object_unref(g->srcs[i].appsrc);
	g_ptr_array_unref(g->sinks);
	gst_buffer_pool_set_active(g->pool, FALSE);
	gst_object_unref(g->pool);
	g_mutex_clear(&g->lock);
	g_rw_lock_clear(&g->peer_lock);
	g_free(g);
}
