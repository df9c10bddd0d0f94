/* SPDX-License-Identifier: MIT */
/*
 * The codeword plugin: codewordoverlay, the room's codeword burned into its
 * outgoing video before the encoder.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstcodewordoverlay.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (codewordoverlay, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, codeword,
    "Codeword labels burned into raw video", plugin_init, PACKAGE_VERSION,
    "MIT/X11", "sealroom", "https://sealroom.invalid/")
