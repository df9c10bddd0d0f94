/* SPDX-License-Identifier: MIT */
/*
 * The e2ee plugin: SFrame (RFC 9605) encryption of encoded frames between
 * codec and RTP payloader (e2eeenc) and back (e2eedec).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sodium.h>

#include "e2ee/sframe.h"
#include "gste2eedec.h"
#include "gste2eeenc.h"
#include "gstrtpvp8e2eepay.h"
#include "gstrtpvp9e2eepay.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = FALSE;

  /* e2eeenc draws its counters' starting points from libsodium. */
  if (sodium_init () < 0)
    return FALSE;
  /* libgcrypt with our secure pool, before a plugin that links it (gst-libav,
   * through FFmpeg's libssh-gcrypt) initialises it with a small one. */
  if (e2ee_aead_init ())
    return FALSE;
  ok |= GST_ELEMENT_REGISTER (e2eeenc, plugin);
  ok |= GST_ELEMENT_REGISTER (e2eedec, plugin);
  ok |= GST_ELEMENT_REGISTER (rtpvp8e2eepay, plugin);
  ok |= GST_ELEMENT_REGISTER (rtpvp9e2eepay, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, e2ee,
    "End-to-end encryption of encoded media with SFrame (RFC 9605)",
    plugin_init, PACKAGE_VERSION, "MIT/X11", "sealroom",
    "https://sealroom.invalid/")
