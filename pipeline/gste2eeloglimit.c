/* SPDX-License-Identifier: MIT */
/*
 * Peer-driven log lines, rate-limited (gste2eeloglimit.h).
 */
#include <stdarg.h>

#include "gste2eeloglimit.h"

void
gst_e2ee_log_limit_init (GstE2eeLogLimit * l, const gchar * prefix,
    const gchar * peer, guint lines, guint interval_s)
{
  *l = (GstE2eeLogLimit) {
  .prefix = prefix,.peer = peer,.lines = lines,.interval_s =
        MAX (interval_s, 1)};
  g_mutex_init (&l->lock);
}

/* Under the lock: the notice for what the interval that ended suppressed. */
static void
notice (GstE2eeLogLimit * l)
{
  if (l->suppressed)
    g_printerr ("%s: ... %" G_GUINT64_FORMAT " more lines about %s "
        "suppressed in the last %u s (at most %u in %u s)\n", l->prefix,
        l->suppressed, l->peer, l->interval_s, l->lines, l->interval_s);
  l->suppressed = 0;
}

void
gst_e2ee_log_limit_print (GstE2eeLogLimit * l, gboolean to_stderr,
    const gchar * fmt, ...)
{
  gint64 now = g_get_monotonic_time ();
  gboolean print;
  va_list ap;
  gchar *text;

  g_mutex_lock (&l->lock);
  if (!l->start || now - l->start >= (gint64) l->interval_s * G_USEC_PER_SEC) {
    notice (l);
    l->start = now;
    l->printed = 0;
  }
  print = l->printed < l->lines;
  if (print) {
    l->printed++;
  } else {
    l->suppressed++;
    l->total_suppressed++;
  }
  g_mutex_unlock (&l->lock);
  if (!print)
    return;
  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (to_stderr)
    g_printerr ("%s\n", text);
  else
    g_print ("%s\n", text);
  g_free (text);
}

void
gst_e2ee_log_limit_flush (GstE2eeLogLimit * l)
{
  g_mutex_lock (&l->lock);
  notice (l);
  g_mutex_unlock (&l->lock);
}

guint64
gst_e2ee_log_limit_suppressed (GstE2eeLogLimit * l)
{
  guint64 n;

  g_mutex_lock (&l->lock);
  n = l->total_suppressed;
  g_mutex_unlock (&l->lock);
  return n;
}

void
gst_e2ee_log_limit_clear (GstE2eeLogLimit * l)
{
  g_mutex_clear (&l->lock);
}
