/* SPDX-License-Identifier: MIT */
/*
 * What the media processes (e2ee-media, roomd) share about running
 * (e2ee-media.h): options' numbers parsed strictly, with an error naming the
 * option.
 */
#include "e2ee-media.h"

gboolean
gst_e2ee_media_number (const gchar * prog, const gchar * opt, const gchar * arg,
    gint min, gint max, gint * out)
{
  guint64 v;

  /* Decimal digits only: no sign, space, junk after, or overflow. */
  if (min < 0 || !g_ascii_string_to_unsigned (arg, 10, (guint64) min,
          (guint64) max, &v, NULL)) {
    g_printerr ("%s: %s must be a number from %d to %d, not \"%s\"\n", prog,
        opt, min, max, arg);
    return FALSE;
  }
  *out = (gint) v;
  return TRUE;
}
