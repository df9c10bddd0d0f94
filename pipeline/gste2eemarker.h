/* SPDX-License-Identifier: MIT */
/*
 * The plaintext marker of e2ee-media and roomd (--marker TEXT): an H.264
 * SEI user_data_unregistered NAL (H.264 7.3.2.3, D.1.7) with TEXT in it,
 * put into every access unit before e2eeenc, and counted in the access
 * units out of e2eedec. A known plaintext that tests and make run look for
 * on the wire, where it must never be.
 *
 * Both functions add a buffer probe to a static pad of the element (the
 * element is borrowed); the probe owns a copy of marker. The counter is
 * caller-owned, must outlive the pad, and is incremented atomically (from
 * the streaming thread).
 */
#ifndef __GST_E2EE_MARKER_H__
#define __GST_E2EE_MARKER_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* marker: 1..200 bytes. Before e2eeenc: on its "sink" pad. */
void gst_e2ee_marker_insert (GstElement * encryptor, const gchar * marker);
/* After e2eedec: on its "src" pad, *count + 1 per access unit with marker. */
void gst_e2ee_marker_count (GstElement * decryptor, const gchar * marker,
    gint * count);

G_END_DECLS

#endif
