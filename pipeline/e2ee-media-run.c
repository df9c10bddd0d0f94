/* SPDX-License-Identifier: MIT */
/*
 * What the media processes (e2ee-media, roomd) share about running
 * (e2ee-media.h): options' numbers parsed strictly, with an error naming the
 * option; a pipeline error said in one line, the run ended failed; a
 * teardown bounded by an alarm.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

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

gboolean
gst_e2ee_media_bus_error (const gchar * prog, GstMessage * msg,
    GMainLoop * loop, gint * exit_code)
{
  GError *err = NULL;
  gchar *dbg = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return FALSE;
  gst_message_parse_error (msg, &err, &dbg);
  g_printerr ("%s: %s: %s (%s)\n", prog, GST_OBJECT_NAME (msg->src),
      err->message, dbg ? dbg : "");
  g_clear_error (&err);
  g_free (dbg);
  *exit_code = 1;
  g_main_loop_quit (loop);
  return TRUE;
}

/* Written by the handler: set once, before the alarm is armed. */
static char teardown_msg[160];
static size_t teardown_len;

static void
teardown_alarm (int sig)
{
  (void) sig;
  /* Async-signal-safe: write and _exit only. */
  if (write (STDERR_FILENO, teardown_msg, teardown_len) < 0)
    _exit (1);
  _exit (1);
}

void
gst_e2ee_media_bound_teardown (const gchar * prog, guint seconds)
{
  gint n = g_snprintf (teardown_msg, sizeof teardown_msg,
      "%s: teardown did not finish within %u s; exiting\n", prog, seconds);

  teardown_len = MIN ((size_t) MAX (n, 0), sizeof teardown_msg - 1);
  signal (SIGALRM, teardown_alarm);
  alarm (seconds);
}
