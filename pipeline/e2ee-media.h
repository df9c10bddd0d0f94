/* SPDX-License-Identifier: MIT */
/*
 * What e2ee-media (e2ee-media.c; its own parts are e2ee-media-tool.h's)
 * shares with roomd, in parts that own one thing each:
 * e2ee-media-pipeline.c builds the sender's pipeline from elements and
 * validates the descriptions a board may give (--source, --encoder,
 * --decoder); e2ee-media-secure.c keeps keys and decrypted media out of
 * core dumps and of other users' files; e2ee-media-run.c is what e2ee-media
 * and roomd share about running (strict option numbers, the bus error, the
 * bounded teardown).
 */
#ifndef E2EE_MEDIA_H
#define E2EE_MEDIA_H

#include <stdio.h>

#include <gst/gst.h>

G_BEGIN_DECLS

/* What the sender's pipeline is made of; the strings are borrowed. */
typedef struct
{
  const gchar *source;          /* --source description, or NULL: test pattern */
  const gchar *encoder;         /* --encoder description, or NULL: x264enc */
  const gchar *codeword;        /* burned in when not NULL */
  const gchar *host;
  gint width, height, sender_index, video_port, audio_port;
  /* The RTP sinks (floating, added to the pipeline), or NULL: udpsink to
   * host, video_port / audio_port. */
  GstElement *video_sink, *audio_sink;
} GstE2eeMediaSender;

/*
 * Adds the video and audio send chains to pipe, element by element
 * (configuration into properties, never into a description). FALSE, with a
 * line on stderr naming a missing element's Debian package, on failure.
 */
gboolean gst_e2ee_media_build_sender (GstElement * pipe,
    const GstE2eeMediaSender * s);

/* The audio chain's volume element before the encoder: the microphone's mute. */
#define GST_E2EE_MEDIA_MUTE_NAME "amute"
/* The video chain's videobalance before the codeword and the encoder: camera off. */
#define GST_E2EE_MEDIA_CAMERA_NAME "vblank"

/* The e2eeenc of stream (audio, video) that build_sender added (transfer
 * full), or NULL. */
GstElement *gst_e2ee_media_sender_encryptor (GstElement * pipe, guint stream);

/*
 * desc parsed alone into a bin (transfer full, floating reference sunk),
 * or NULL with a line on stderr: refused when it holds a sink, a tee or a
 * network element, or has other than one src pad (and, with want_sink, one
 * sink pad).
 */
GstElement *gst_e2ee_media_validated_bin (const gchar * what,
    const gchar * desc, gboolean want_sink);

/*
 * Helpers the receive branches of roomd share with the sender's pipeline:
 * an element added to bin (NULL, said on stderr with its Debian package,
 * when missing); a capsfilter of caps (taken); a validated bin added (its
 * reference taken); h264parse (config-interval=-1 to send) or identity
 * where gst-plugins-bad is missing; a chain linked (FALSE, said, with a
 * NULL in it or a link that fails).
 */
GstElement *gst_e2ee_media_add_element (GstElement * bin, const gchar * factory,
    const gchar * name, const gchar * package);
GstElement *gst_e2ee_media_add_capsfilter (GstElement * bin, GstCaps * caps);
GstElement *gst_e2ee_media_add_bin (GstElement * bin, GstElement * child);
GstElement *gst_e2ee_media_h264_parser (GstElement * bin, gboolean send);
gboolean gst_e2ee_media_link_chain (GstElement ** chain, guint n);
/* Field of the "stats" of bin's element name (e2eeenc, e2eedec); 0 when none. */
guint64 gst_e2ee_media_stat (GstElement * bin, const gchar * name,
    const gchar * field);

/* PR_SET_DUMPABLE 0 and RLIMIT_CORE 0; FALSE (said on stderr) on failure. */
gboolean gst_e2ee_media_make_undumpable (void);

/*
 * arg as a decimal in min..max (min >= 0) and nothing else into *out; or
 * FALSE and "PROG: OPT must be a number from MIN to MAX, not "ARG"" on
 * stderr.
 */
gboolean gst_e2ee_media_number (const gchar * prog, const gchar * opt,
    const gchar * arg, gint min, gint max, gint * out);

/*
 * A bus message that is an error: said in one line ("PROG: ELEMENT: what
 * (debug)"), *exit_code set to 1 and loop quit; TRUE. Anything else: FALSE,
 * nothing done.
 */
gboolean gst_e2ee_media_bus_error (const gchar * prog, GstMessage * msg,
    GMainLoop * loop, gint * exit_code);

/*
 * Bounds the teardown that follows: after seconds, "PROG: teardown did not
 * finish within S s; exiting" and _exit(1) (SIGALRM; async-signal-safe).
 */
void gst_e2ee_media_bound_teardown (const gchar * prog, guint seconds);

/* A zeroed page marked MADV_DONTDUMP for a key, or NULL; _free wipes it. */
guint8 *gst_e2ee_media_key_memory (void);
void gst_e2ee_media_key_memory_free (guint8 * p);
/* A copy of key in a GBytes that wipes it when freed (for add-key). */
GBytes *gst_e2ee_media_key_bytes (const guint8 * key, gsize len);
/* path, new (O_EXCL | O_NOFOLLOW), mode 0600, or NULL with errno. */
FILE *gst_e2ee_media_private_file (const gchar * path);
/* data into a new 0600 file beside path, renamed over path. */
gboolean gst_e2ee_media_fresh_file (const gchar * path, const guint8 * data,
    gsize len);

G_END_DECLS

#endif
