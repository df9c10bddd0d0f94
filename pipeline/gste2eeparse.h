/* SPDX-License-Identifier: MIT */
/*
 * Pipeline descriptions that build whole or not at all.
 *
 * gst_parse_launch () treats an element it cannot make (a plugin package
 * missing from the machine) as a *recoverable* error: it returns a pipeline
 * with that element left out, half linked, and the program runs on without
 * media ("streaming stopped, reason not-linked"). These wrappers parse with
 * GST_PARSE_FLAG_FATAL_ERRORS and treat any error as fatal: they return NULL
 * and set *error to one line that names each missing element and, where
 * known, the Debian package that provides it.
 *
 * The caller owns the returned element (floating, as from gst_parse_*) and
 * the error.
 */
#ifndef __GST_E2EE_PARSE_H__
#define __GST_E2EE_PARSE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GstElement *gst_e2ee_parse_launch (const gchar * description, GError ** error);
GstElement *gst_e2ee_parse_bin (const gchar * description,
    gboolean ghost_unlinked_pads, GError ** error);
/* The Debian 12 package that provides a GStreamer element, or NULL. */
const gchar *gst_e2ee_element_package (const gchar * factory_name);

G_END_DECLS

#endif
