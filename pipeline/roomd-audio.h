/* SPDX-License-Identifier: MIT */
/*
 * roomd's audio output: the remote senders' decoded audio mixed and played
 * on the board's audio output (docs/media-path.md, "Audio out").
 *
 *   audiotestsrc (live silence) -+
 *   sender N's opusdec ... ------+-> audiomixer -> S16LE 48 kHz stereo
 *   sender M's opusdec ... ------+   -> volume "spkvol" -> level "spklevel"
 *                                    -> the board's sink (audio_sink)
 *
 * It owns those elements in roomd's pipeline, the mixer's request pads (one
 * per receive branch), the output volume (0..100 %, the screen's MEDIA: the
 * only thing the screen may change here) and the last level measured after
 * the volume. The live silence keeps the mixer and the sink running while
 * no remote sender is there. The mixer is live from its construction and
 * waits for its inputs up to ROOMD_AUDIO_LATENCY_MS beyond their own
 * latency (a receive branch's jitter buffer and decoder), so a sender's
 * audio is mixed, not dropped as late; an input with nothing yet is mixed
 * as silence.
 *
 * The sink is one element from a description (the board's audio_sink, e.g.
 * "alsasink device=hw:0", or "fakesink sync=true" on a board without a
 * speaker), parsed alone: exactly one element whose class is a sink, with
 * no source pad. Anything else, or an element that does not exist, fails
 * roomd_audio_new with one line saying what and why.
 *
 * Call order: roomd_audio_new (pipeline not yet playing), _link per receive
 * branch (its audio src pad) and _unlink when the branch goes (after it is
 * at NULL and out of the pipeline), _set_volume from the main loop,
 * _bus_message on each bus message (main loop), _watch once a second
 * (main loop), _free after the pipeline is at NULL. Main loop only.
 */
#ifndef __ROOMD_AUDIO_H__
#define __ROOMD_AUDIO_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define ROOMD_AUDIO_DEFAULT_SINK "fakesink sync=true"
#define ROOMD_AUDIO_LATENCY_MS 300
#define ROOMD_AUDIO_VOLUME_MAX 100

typedef struct _RoomdAudio RoomdAudio;

/* Adds the output to pipeline; NULL (after one line on stderr) when it cannot be made. */
RoomdAudio *roomd_audio_new (GstElement * pipeline, const gchar * sink_desc);
/* Links src (a receive branch's decoded audio) to a new mixer input; the mixer's pad, or NULL. */
GstPad *roomd_audio_link (RoomdAudio * a, GstPad * src);
/* Releases the mixer's input pad that roomd_audio_link returned (owned: unreffed). */
void roomd_audio_unlink (RoomdAudio * a, GstPad * mixer_pad);
/* The output volume in percent, 0 (silent, muted) .. ROOMD_AUDIO_VOLUME_MAX; FALSE out of range. */
gboolean roomd_audio_set_volume (RoomdAudio * a, guint percent);
guint roomd_audio_volume (const RoomdAudio * a);
/*
 * Handles the level element's message (a line: "roomd audio-out: ...") and
 * GST_MESSAGE_LATENCY (the pipeline's latency recalculated, a line when it
 * changes: "roomd: the pipeline's latency is N ms ..."); FALSE for others.
 * roomd_audio_link posts a LATENCY when it links an input and again at that
 * input's first buffer, roomd_audio_unlink when it releases one: the mixer
 * then waits for that input's upstream too (or no more), and the board's
 * sink must play that much later. The output computes the pipeline's
 * latency itself (its do-latency signal, connected by roomd_audio_new:
 * only a live answer is taken).
 */
gboolean roomd_audio_bus_message (RoomdAudio * a, GstMessage * msg);
/* The pipeline's latency as last set; GST_CLOCK_TIME_NONE before (any thread). */
GstClockTime roomd_audio_latency (RoomdAudio * a);
/*
 * The output's watchdog, once a second from the main loop: while the
 * pipeline is PLAYING and no level has come for ROOMD_AUDIO_STALL_S, one
 * line "roomd: the audio output stalled: ..." with where the audio stands
 * (the mixer's output flow, each mixer input's peer, queue and flow, the
 * sink's last buffer against the running time now), and "roomd: the audio
 * output resumed after N s" if levels come back. (The stall it was added
 * for was the mixer's EOS that roomd-audio.c's live_mixer explains.)
 */
#define ROOMD_AUDIO_STALL_S 10
void roomd_audio_watch (RoomdAudio * a, GstElement * pipeline);
/* Level messages seen and the last RMS (dB, loudest channel; -inf as -200). */
void roomd_audio_stats (const RoomdAudio * a, guint64 * levels, gdouble * rms_db);
void roomd_audio_free (RoomdAudio * a);

G_END_DECLS

#endif
