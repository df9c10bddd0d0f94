// SPDX-License-Identifier: MIT
/*
 * What the element fuzzers share: e2eeenc and e2eedec built into the
 * fuzzer (with coverage), registered without a plugin, driven through
 * GstHarness; a fresh harness per input so that each run is the same.
 */
#ifndef FUZZ_E2EE_ELEMENTS_H
#define FUZZ_E2EE_ELEMENTS_H

#include <stdlib.h>
#include <string.h>

#include <gst/check/gstharness.h>
#include <sodium.h>

#include "../../pipeline/gste2eedec.h"
#include "../../pipeline/gste2eeenc.h"

static const uint8_t fuzz_key[16] = "fuzzing key 16 b";

/* The elements only from this binary: no plugin scan, no registry file. */
static void fuzz_elements_init(void)
{
	setenv("GST_PLUGIN_PATH", "", 1);
	setenv("GST_PLUGIN_SYSTEM_PATH", "", 1);
	setenv("GST_REGISTRY_UPDATE", "no", 1);
	setenv("GST_REGISTRY", "/dev/null", 1);
	gst_init(NULL, NULL);
	/* A GStreamer or GLib critical (a misuse, a NULL where none may be) is a
	 * finding: abort on it. */
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	if (sodium_init() < 0 || !GST_ELEMENT_REGISTER(e2eeenc, NULL) ||
	    !GST_ELEMENT_REGISTER(e2eedec, NULL))
		abort();
}

static void fuzz_add_key(GstElement *e, guint64 kid, int usage)
{
	GBytes *b = g_bytes_new_static(fuzz_key, sizeof(fuzz_key));
	gboolean ok = FALSE;

	g_signal_emit_by_name(e, "add-key", kid, b, usage, &ok);
	g_bytes_unref(b);
	if (!ok)
		abort();
}

/* e2eeenc on caps, sending under kid. */
static GstHarness *fuzz_encoder(const char *caps, int stream, guint64 kid)
{
	GstHarness *h = gst_harness_new("e2eeenc");
	gboolean ok = FALSE;

	g_object_set(h->element, "stream", stream, NULL);
	fuzz_add_key(h->element, kid, E2EE_KEY_SEND);
	g_signal_emit_by_name(h->element, "set-send-kid", kid, &ok);
	if (!ok)
		abort();
	gst_harness_set_src_caps_str(h, caps);
	return h;
}

static bool fuzz_contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k)
{
	return n >= k && memmem(hay, n, needle, k) != NULL;
}

#endif
