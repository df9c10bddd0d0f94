/* SPDX-License-Identifier: MIT */
/*
 * GStreamer glue for the transport, so that roomd's pipelines read
 *   ... e2eeenc ! rtph264pay ! <rtc_gst_sink>
 *   <rtc_gst_src> ! rtph264depay ! e2eedec ! ...
 * An appsink hands each RTP buffer to rtc_peer_send_rtp(); a PLI or FIR
 * from the peer becomes an upstream GstForceKeyUnit event on every sink
 * (through the payloader and e2eeenc to the encoder), at most one per
 * RTC_GST_KEYFRAME_FLOOR_US (the others refused and counted; one is sent
 * when the floor ends if any was refused within it). An appsrc
 * per payload type takes the peer's authenticated RTP (copied into a
 * bounded pool; each appsrc's queue leaky past its max-bytes, the oldest
 * dropped); an upstream GstForceKeyUnit reaching it (e2eedec's or the
 * decoder's keyframe request) leaves as a PLI.
 *
 * Order (after gst_init()): rtc_gst_new(); rtc_peer_new() with rtc_gst_peer_config() (its
 * callbacks); rtc_gst_set_peer(); rtc_gst_sink() / rtc_gst_src(); the
 * pipeline; at the end the pipeline to NULL, rtc_peer_free(), then
 * rtc_gst_free(). The elements are floating references for the caller's
 * bin; the glue keeps its own references.
 *
 * The peer may be replaced while the pipeline plays (a new peer connection
 * after the SFU restarted): rtc_gst_set_peer(g, NULL) returns once no
 * streaming thread sends through the old one, which may then be freed;
 * before a peer is set, what the sinks get is dropped.
 */
#ifndef RTC_GST_H
#define RTC_GST_H

#include <gst/gst.h>

#include "rtc_peer.h"

struct rtc_gst;

/* The keyframe floor: libwebrtc's is 300 ms (its encoders' minimum
 * keyframe interval); 500 ms costs a subscriber that joins at most half a
 * second more, and halves what a PLI flood can force (docs/transport.md). */
#define RTC_GST_KEYFRAME_FLOOR_US (500 * 1000)

struct rtc_gst *rtc_gst_new(void);
/* Fills cfg's callbacks and user with the glue's. */
void rtc_gst_peer_config(struct rtc_gst *g, struct rtc_peer_config *cfg);
/* Any thread; peer may be NULL. */
void rtc_gst_set_peer(struct rtc_gst *g, struct rtc_peer *peer);

GstElement *rtc_gst_sink(struct rtc_gst *g, const char *name);
/* caps: application/x-rtp caps of that stream (payload must be pt). */
GstElement *rtc_gst_src(struct rtc_gst *g, const char *name, GstCaps *caps, int pt,
			uint32_t media_ssrc);

/* The payload type src takes from now on (a new offer's), into its caps. */
void rtc_gst_src_set_pt(struct rtc_gst *g, GstElement *src, int pt);

/* Buffers pushed into the sources; PLIs sent; GstForceKeyUnit sent (at
 * once or deferred), keyframe requests refused under the floor (none of
 * their own: requests = sent - deferred + refused), GstForceKeyUnit sent
 * at a floor's end for refused ones; packets dropped because every buffer
 * of the pool was held downstream. */
guint64 rtc_gst_pushed(struct rtc_gst *g);
guint64 rtc_gst_plis_sent(struct rtc_gst *g);
guint64 rtc_gst_force_key_units(struct rtc_gst *g);
guint64 rtc_gst_keyframes_refused(struct rtc_gst *g);
guint64 rtc_gst_keyframes_deferred(struct rtc_gst *g);
guint64 rtc_gst_pool_empty(struct rtc_gst *g);

void rtc_gst_free(struct rtc_gst *g);

#endif
