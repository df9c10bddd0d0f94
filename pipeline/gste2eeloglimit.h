/* SPDX-License-Identifier: MIT */
/*
 * Log lines a peer drives, rate-limited (security review 6, finding 10):
 * the services log to /run (tmpfs: RAM), so a peer that can make roomd or
 * the key provider print a line per message it sends (the screen on the
 * frame socket, Janus, keyxchgd's events) must not be able to fill it.
 *
 * One limiter per peer, so that a flooding peer cannot hide another one's
 * lines: at most `lines` lines in each interval of `interval_s` seconds;
 * the rest of that interval's lines are counted, not printed, and the first
 * line after it (or _flush, at the end) says once
 * "PREFIX: ... K more lines about PEER suppressed in the last N s".
 * Thread-safe (a mutex); no allocation beyond the line being formatted.
 *
 * Call order: _init, then _print from any thread, _flush, _clear.
 */
#ifndef __GST_E2EE_LOG_LIMIT_H__
#define __GST_E2EE_LOG_LIMIT_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const gchar *prefix;          /* "roomd": static, not owned */
  const gchar *peer;            /* "the screen": static, not owned */
  guint lines, interval_s;
  GMutex lock;
  gint64 start;                 /* this interval's start, monotonic us */
  guint printed;                /* lines printed in this interval */
  guint64 suppressed;           /* not printed since the last notice */
  guint64 total_suppressed;
} GstE2eeLogLimit;

void gst_e2ee_log_limit_init (GstE2eeLogLimit * l, const gchar * prefix,
    const gchar * peer, guint lines, guint interval_s);
/* One line (no newline in fmt) on stdout, or stderr when to_stderr, if the
 * peer's budget allows it. */
void gst_e2ee_log_limit_print (GstE2eeLogLimit * l, gboolean to_stderr,
    const gchar * fmt, ...) G_GNUC_PRINTF (3, 4);
/* Says what is still suppressed (the end of the run). */
void gst_e2ee_log_limit_flush (GstE2eeLogLimit * l);
/* Lines suppressed since _init. */
guint64 gst_e2ee_log_limit_suppressed (GstE2eeLogLimit * l);
void gst_e2ee_log_limit_clear (GstE2eeLogLimit * l);

G_END_DECLS

#endif
