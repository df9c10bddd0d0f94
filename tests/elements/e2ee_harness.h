// SPDX-License-Identifier: MIT
/*
 * What the element tests share: keys, encoders run once into buffers, the
 * harness helpers (no sockets, no sleeps).
 */
#ifndef E2EE_HARNESS_H
#define E2EE_HARNESS_H

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "e2ee/keyring.h"

extern const guint8 key_a[16];
extern const guint8 key_b[16];

#define KID_VIDEO(epoch) e2ee_kid_make (E2EE_STREAM_VIDEO, 0, (epoch))
#define KID_AUDIO(epoch) e2ee_kid_make (E2EE_STREAM_AUDIO, 0, (epoch))

#define VIDEO_SRC "videotestsrc pattern=ball"
#define VIDEO_RAW "video/x-raw,format=I420,width=320,height=240,framerate=30/1"
#define AUDIO_SRC "audiotestsrc wave=sine"
#define AUDIO_RAW "audio/x-raw,format=S16LE,rate=48000,channels=1"
#define H264_AU "capsfilter caps=\"video/x-h264,stream-format=byte-stream," \
  "alignment=au\""
#define H265_AU "capsfilter caps=\"video/x-h265,stream-format=byte-stream," \
  "alignment=au\""

#define H264_ENC VIDEO_RAW " ! x264enc tune=zerolatency " \
    "speed-preset=ultrafast key-int-max=10 ! h264parse ! " H264_AU

GstElement *by_name (GstHarness * h, const gchar * name);
gboolean add_key (GstElement * e, guint64 kid, const guint8 * key, gsize len, gint usage);
gboolean set_send_kid (GstElement * e, guint64 kid);
guint64 stat_of (GstElement * e, const gchar * field);
GPtrArray *encode (const gchar * src, const gchar * enc, guint n, GstCaps ** caps);
GPtrArray *run_chain (GstHarness * h, GstCaps * caps, GPtrArray * in);
gboolean buffers_equal (GstBuffer * a, GstBuffer * b);
GstHarness *harness_with_keys (const gchar * desc, guint64 kid, gboolean send, gboolean recv);
/* The NAL units of an e2eeenc output buffer (4-byte start codes kept), as GBytes. */
GPtrArray *nals_of (GstBuffer * b);
GstStructure *pop_element_message (GstBus * bus, const gchar * name);
/* Of a NAL unit as nals_of gives it (after its 4-byte start code): its
 * type, and whether it is a parameter set (H.264 7, 8; H.265 32..34) or a
 * slice (VCL: H.264 1..5; H.265 0..31). */
guint nal_type (GBytes * nal, gboolean h265);
gboolean is_param_set (GBytes * nal, gboolean h265);
gboolean is_vcl (GBytes * nal, gboolean h265);

#endif
