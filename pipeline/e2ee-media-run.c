/* SPDX-License-Identifier: MIT */
/*
 * What the media processes (e2ee-media, roomd) share about running
 * (e2ee-media.h): options' numbers parsed strictly, with an error naming the
 * option; a pipeline error said in one line, the run ended failed; a
 * teardown bounded by an alarm; a crash said with its thread and stack.
 */
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
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

/* Written before the handlers are set: the crash line's start. */
static char crash_prog[32];
static size_t crash_prog_len;

static void
crash_write (const char *text, size_t len)
{
  if (write (STDERR_FILENO, text, len) < 0)
    return;
}

/*
 * A fatal signal: one line naming it and the thread (its name: GStreamer's
 * streaming threads are named after their pads' elements, ours after their
 * job), then the stack's return addresses with the symbols the dynamic
 * symbol table gives, then the default action. Async-signal-safe but for
 * backtrace (its libgcc unwinder loaded at setup, so it does not allocate
 * here) and backtrace_symbols_fd, which take the loader's locks: a crash
 * inside the loader could hang them, so an alarm ends the process after
 * 5 s whatever happens. The process is undumpable (no core: keys), so this
 * is all a crash leaves.
 */
static void
crash_report (int sig)
{
  char line[128], thread[17] = "?";
  void *frames[48];
  size_t n = 0;
  int depth;
  const char *what = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" :
      sig == SIGFPE ? "SIGFPE" : sig == SIGILL ? "SIGILL" : "SIGABRT";

  signal (SIGALRM, SIG_DFL);
  alarm (5);
  prctl (PR_GET_NAME, thread, 0, 0, 0);
  thread[16] = 0;
  memcpy (line + n, crash_prog, crash_prog_len);
  n += crash_prog_len;
#define CRASH_ADD(s) do { size_t l_ = strlen (s); \
    if (n + l_ < sizeof line) { memcpy (line + n, s, l_); n += l_; } } while (0)
  CRASH_ADD (": crashed: ");
  CRASH_ADD (what);
  CRASH_ADD (" in thread \"");
  CRASH_ADD (thread);
  CRASH_ADD ("\"; its stack:\n");
#undef CRASH_ADD
  crash_write (line, n);
  depth = backtrace (frames, G_N_ELEMENTS (frames));
  backtrace_symbols_fd (frames, depth, STDERR_FILENO);
  signal (sig, SIG_DFL);
  raise (sig);
}

void
gst_e2ee_media_crash_trace (const gchar * prog)
{
  static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
  static char alt[64 * 1024];
  stack_t st = {.ss_sp = alt,.ss_size = sizeof alt };
  struct sigaction sa = {.sa_handler = crash_report,.sa_flags = SA_ONSTACK };
  void *one[1];

#ifdef __SANITIZE_ADDRESS__
  /* AddressSanitizer's own report is better. */
  return;
#endif
  crash_prog_len = MIN (strlen (prog), sizeof crash_prog);
  memcpy (crash_prog, prog, crash_prog_len);
  /* Loads libgcc's unwinder now, not in the handler (it would allocate). */
  backtrace (one, 1);
  /* A stack overflow leaves no stack for the handler: its own. */
  sigaltstack (&st, NULL);
  sigemptyset (&sa.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
    sigaction (sigs[i], &sa, NULL);
}
