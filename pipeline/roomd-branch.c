/* SPDX-License-Identifier: MIT */
/*
 * roomd's receive branches (roomd.h): one bin per remote sender N, added
 * to the playing pipeline when the key provider installs N's first receive
 * key (roomd-keys.c) and removed, the screen told GONE, once N's last one
 * went. At most ROOMD_MAX_BRANCHES at once (the screen's 16 tiles); a
 * branch's entry is free again once it went (security review 6, finding
 * 14: entries kept for ever refused every new sender after 64). A departed
 * sender's counts go to a ring of the last ROOMD_DEPARTED departed senders
 * (summed over its branches, for the end-of-run lines) and into a total of
 * every removed branch.
 *
 * Video: one slot or more, each the RTP source (through Janus roomd-rtc.c's
 * appsrc for one publisher claiming "participant-N"; with --plain-rtp
 * udpsrc on --rx-address, port --rx-base + 2N), rtpjitterbuffer "vjb-N"
 * (slot k > 0: "vjbK-N") and rtph264depay, into funnel "vfun-N"; then
 * e2eedec "vdec-N" bound to N, the parser, the decoder (--decoder,
 * validated, or avdec_h264), videoconvert, videoscale, capsfilter "vcaps-N"
 * (BGRx at N's tile size, within the screen's: roomd-screen.c changes it),
 * appsink "vsink-N" into the frame output (gste2eeroomframes.c). Audio:
 * slots of the source (port + 1), "ajb-N" and rtpopusdepay into "afun-N",
 * then e2eedec "adec-N", opusdec, audioconvert, audioresample, ghosted out
 * to the room's mixer (roomd-audio.c). Element by element: addresses and
 * ports go into properties, never into a description.
 *
 * Slots (docs/transport.md "Names"): slot 0 comes with the branch; the
 * transport asks for slot k (RoomdRtcSlotFunc) when a k+1-th publisher
 * claims N's name, and it stays until the branch goes. Each slot's frames
 * are pushed by its own jitterbuffer's thread, so a thread-local says
 * which slot a frame came from: a frame out of vdec-N or adec-N raises that
 * slot's authenticated count (roomd-rtc-match.c decides on it), and a
 * keyframe request from e2eedec or the decoder goes up to that slot only,
 * not to every slot the funnel would send it to.
 */
#include <gst/gst.h>
#include <gst/video/video.h>

#include "e2ee/keyring.h"
#include "e2ee-media.h"
#include "gste2eemarker.h"
#include "roomd.h"

static gchar *
peer_name (const gchar * what, guint sender)
{
  return g_strdup_printf ("%s-%u", what, sender);
}

GstElement *
roomd_branch_child (GstElement * bin, const gchar * what, guint sender)
{
  gchar *name = peer_name (what, sender);
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), name);

  g_free (name);
  return e;
}

static guint64
get_stat (GstElement * bin, const gchar * what, guint sender,
    const gchar * field)
{
  gchar *name = peer_name (what, sender);
  guint64 v = bin ? gst_e2ee_media_stat (bin, name, field) : 0;

  g_free (name);
  return v;
}

RoomdPeer *
roomd_find_peer (Roomd * app, guint sender)
{
  for (guint i = 0; i < G_N_ELEMENTS (app->peers); i++)
    if (app->peers[i].used && app->peers[i].sender == sender)
      return &app->peers[i];
  return NULL;
}

/* A free entry, or NULL: ROOMD_MAX_BRANCHES senders are received. */
static RoomdPeer *
free_peer (Roomd * app)
{
  for (guint i = 0; i < G_N_ELEMENTS (app->peers); i++)
    if (!app->peers[i].used)
      return &app->peers[i];
  return NULL;
}

static GstPadProbeReturn
count_decoded (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RoomdPeer *p = data;

  /* The join's figure (bench_join.py): from roomd's start. */
  if (g_atomic_int_add (&p->decoded, 1) == 0)
    gst_e2ee_log_limit_print (&p->app->log_senders, FALSE, "roomd: first "
        "picture of sender %u decoded %" G_GINT64_FORMAT " ms after the start",
        p->sender, (g_get_monotonic_time () - p->app->t0) / 1000);
  return GST_PAD_PROBE_OK;
}

GstCaps *
roomd_tile_caps (guint width, guint height)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "BGRx",
      "width", G_TYPE_INT, (gint) width, "height", G_TYPE_INT, (gint) height,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
}

static GstElement *
add_named (GstElement * bin, const gchar * factory, const gchar * what,
    guint sender, const gchar * package)
{
  gchar *name = what ? peer_name (what, sender) : NULL;
  GstElement *e = gst_e2ee_media_add_element (bin, factory, name, package);

  g_free (name);
  return e;
}

/* The slot whose thread this is (roomd-rtc's authenticated count of it),
 * or NULL: a slot's depayloader sets it for each frame it pushes. */
static __thread gint *this_slot;

static GstPadProbeReturn
slot_frame (GstPad * pad, GstPadProbeInfo * info, gpointer counter)
{
  this_slot = counter;
  return GST_PAD_PROBE_OK;
}

/* A keyframe request on its way up through the funnel: only to the slot
 * whose frame raised it (the thread's), when known. */
static GstPadProbeReturn
slot_keyframe (GstPad * pad, GstPadProbeInfo * info, gpointer counter)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

  if (this_slot && this_slot != counter
      && gst_video_event_is_force_key_unit (ev))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/* A frame out of e2eedec: it authenticated, for the thread's slot. */
static GstPadProbeReturn
slot_authenticated (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (this_slot)
    g_atomic_int_inc (this_slot);
  return GST_PAD_PROBE_OK;
}

static gchar *
slot_what (const gchar * what, guint slot)
{
  return slot ? g_strdup_printf ("%s%u", what, slot) : g_strdup (what);
}

/* The RTP of sender's stream in slot: the transport's appsrc, or udpsrc. */
static GstElement *
add_rtp_src (Roomd * app, GstElement * bin, guint sender, guint slot,
    guint stream, GstCaps * caps, gint ** counter)
{
  GstElement *e;

  *counter = NULL;
  if (app->rtc) {
    e = roomd_rtc_src (app->rtc, sender, slot, stream, caps, counter);
    if (e && !gst_bin_add (GST_BIN (bin), e)) {
      g_printerr ("roomd: sender %u: slot %u's %s source not added: its "
          "name is taken\n", sender, slot,
          stream == E2EE_STREAM_VIDEO ? "video" : "audio");
      e = NULL;
    }
    return e;
  }
  e = gst_e2ee_media_add_element (bin, "udpsrc", NULL,
      "gstreamer1.0-plugins-good");
  if (e)
    g_object_set (e, "address", app->rx_address, "port", app->rx_base +
        2 * (gint) sender + (stream == E2EE_STREAM_VIDEO ? 0 : 1), "caps",
        caps, NULL);
  gst_caps_unref (caps);
  return e;
}

static GstCaps *
rtp_caps (guint stream)
{
  return stream == E2EE_STREAM_VIDEO ?
      gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
      "video", "encoding-name", G_TYPE_STRING, "H264", "clock-rate",
      G_TYPE_INT, 90000, "payload", G_TYPE_INT, 96, NULL) :
      gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
      "audio", "encoding-name", G_TYPE_STRING, "OPUS", "clock-rate",
      G_TYPE_INT, 48000, "payload", G_TYPE_INT, 111, NULL);
}

/*
 * Slot of sender's stream: source, jitterbuffer, depayloader, into the
 * stream's funnel (a request pad). With playing, the branch plays already:
 * the new elements follow its state.
 */
static gboolean
add_slot_chain (Roomd * app, GstElement * bin, guint sender, guint slot,
    guint stream, gboolean playing)
{
  const gboolean video = stream == E2EE_STREAM_VIDEO;
  gchar *jb = slot_what (video ? "vjb" : "ajb", slot);
  GstElement *c[3], *funnel;
  GstPad *src, *sink;
  gint *counter;
  gboolean ok;

  c[0] = add_rtp_src (app, bin, sender, slot, stream, rtp_caps (stream),
      &counter);
  c[1] = add_named (bin, "rtpjitterbuffer", jb, sender,
      "gstreamer1.0-plugins-good");
  g_free (jb);
  if (c[1])
    g_object_set (c[1], "latency", 200, NULL);
  c[2] = add_named (bin, video ? "rtph264depay" : "rtpopusdepay", NULL, 0,
      "gstreamer1.0-plugins-good");
  funnel = roomd_branch_child (bin, video ? "vfun" : "afun", sender);
  if (!funnel || !gst_e2ee_media_link_chain (c, G_N_ELEMENTS (c))) {
    g_printerr ("roomd: sender %u: slot %u's %s chain cannot be made\n",
        sender, slot, video ? "video" : "audio");
    g_clear_object (&funnel);
    return FALSE;
  }
  src = gst_element_get_static_pad (c[2], "src");
  sink = gst_element_request_pad_simple (funnel, "sink_%u");
  ok = sink && gst_pad_link (src, sink) == GST_PAD_LINK_OK;
  if (ok) {
    /* Every item the slot pushes, events too (EOS makes e2eedec push what
     * it held): a pooled streaming thread may have run another slot's
     * task before, and must not count for it. */
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, slot_frame, counter, NULL);
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, slot_keyframe,
        counter, NULL);
  } else {
    g_printerr ("roomd: sender %u: slot %u's %s depayloader cannot join the "
        "funnel\n", sender, slot, video ? "video" : "audio");
  }
  g_clear_object (&sink);
  gst_object_unref (src);
  gst_object_unref (funnel);
  for (gint i = G_N_ELEMENTS (c) - 1; ok && playing && i >= 0; i--)
    ok = gst_element_sync_state_with_parent (c[i]);
  return ok;
}

/* The funnel of a stream's slots, "vfun-N" or "afun-N". */
static GstElement *
add_funnel (GstElement * bin, const gchar * what, guint sender)
{
  GstElement *e = add_named (bin, "funnel", what, sender,
      "libgstreamer1.0-0");

  /* Every slot's caps are the same (byte-stream H.264, Opus); a slot's
   * stream-start and segment are not passed on each time frames come from
   * another slot. */
  if (e)
    g_object_set (e, "forward-sticky-events", FALSE, NULL);
  return e;
}

/* e2eedec's frames out count for the slot whose thread pushed them. */
static void
count_slots (GstElement * dec)
{
  GstPad *pad = gst_element_get_static_pad (dec, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, slot_authenticated, NULL,
      NULL);
  gst_object_unref (pad);
}

/*
 * The video chain of sender N, element by element (the address and ports
 * into properties; --decoder validated alone before it is added).
 */
static gboolean
build_video_branch (Roomd * app, RoomdPeer * p, GstElement * bin)
{
  const gchar *base = "gstreamer1.0-plugins-base",
      *ours = "sealroom (this firmware)";
  GstElement *v[9];
  GstPad *pad;
  guint n = 0;

  v[n++] = add_funnel (bin, "vfun", p->sender);
  v[n] = add_named (bin, "e2eedec", "vdec", p->sender, ours);
  if (v[n])
    g_object_set (v[n], "stream", E2EE_STREAM_VIDEO, "sender-index",
        p->sender, NULL);
  n++;
  v[n++] = gst_e2ee_media_h264_parser (bin, FALSE);
  if (app->decoder) {
    v[n++] = gst_e2ee_media_add_bin (bin,
        gst_e2ee_media_validated_bin ("--decoder", app->decoder, TRUE));
  } else {
    v[n] = add_named (bin, "avdec_h264", NULL, 0, "gstreamer1.0-libav");
    /* Broken pictures from the network are dropped, not fatal. */
    if (v[n])
      g_object_set (v[n], "max-errors", -1, NULL);
    n++;
  }
  v[n++] = add_named (bin, "videoconvert", NULL, 0, base);
  v[n++] = add_named (bin, "videoscale", NULL, 0, base);
  v[n] = add_named (bin, "capsfilter", "vcaps", p->sender, base);
  if (v[n]) {
    GstCaps *caps = roomd_tile_caps (GST_E2EE_ROOM_FRAMES_DEFAULT_W,
        GST_E2EE_ROOM_FRAMES_DEFAULT_H);

    g_object_set (v[n], "caps", caps, NULL);
    gst_caps_unref (caps);
    /* The screen may change a tile's size at any time, as often as it
     * likes (a TILE at 10 Hz): the previous caps stay accepted until the
     * new ones are negotiated, instead of a not-negotiated error that
     * stopped the whole pipeline (test_roomd_hostile under ASan). */
    gst_util_set_object_arg (G_OBJECT (v[n]), "caps-change-mode", "delayed");
  }
  n++;
  v[n] = add_named (bin, "appsink", "vsink", p->sender, base);
  if (v[n])
    g_object_set (v[n], "sync", FALSE, "async", FALSE, "max-buffers", 2,
        "drop", TRUE, NULL);
  n++;
  if (!gst_e2ee_media_link_chain (v, n)
      || !add_slot_chain (app, bin, p->sender, 0, E2EE_STREAM_VIDEO, FALSE))
    return FALSE;
  count_slots (v[1]);
  if (app->marker) {
    GstElement *e = roomd_branch_child (bin, "vdec", p->sender);

    gst_e2ee_marker_count (e, app->marker, &app->marker_frames);
    gst_object_unref (e);
  }
  /* Pictures out of the decoder (the element before videoconvert). */
  pad = gst_element_get_static_pad (v[n - 5], "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_decoded, p, NULL);
  gst_object_unref (pad);
  if (!gst_e2ee_room_frames_add (app->out, p->sender, v[n - 1])) {
    g_printerr ("roomd: no frame output for sender %u\n", p->sender);
    return FALSE;
  }
  return TRUE;
}

static gboolean
build_audio_branch (Roomd * app, RoomdPeer * p, GstElement * bin)
{
  const gchar *base = "gstreamer1.0-plugins-base";
  GstElement *a[5];
  GstPad *pad, *ghost;

  a[0] = add_funnel (bin, "afun", p->sender);
  a[1] = add_named (bin, "e2eedec", "adec", p->sender,
      "sealroom (this firmware)");
  if (a[1])
    g_object_set (a[1], "stream", E2EE_STREAM_AUDIO, "sender-index",
        p->sender, NULL);
  a[2] = add_named (bin, "opusdec", NULL, 0, base);
  a[3] = add_named (bin, "audioconvert", NULL, 0, base);
  a[4] = add_named (bin, "audioresample", NULL, 0, base);
  if (!gst_e2ee_media_link_chain (a, G_N_ELEMENTS (a))
      || !add_slot_chain (app, bin, p->sender, 0, E2EE_STREAM_AUDIO, FALSE))
    return FALSE;
  count_slots (a[1]);
  /* Out of the branch into the room's mixer. */
  pad = gst_element_get_static_pad (a[4], "src");
  ghost = gst_ghost_pad_new ("audio", pad);
  gst_object_unref (pad);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (bin, ghost);
  p->mix_pad = roomd_audio_link (app->audio, ghost);
  if (!p->mix_pad)
    g_printerr ("roomd: sender %u's audio cannot join the audio output\n",
        p->sender);
  return p->mix_pad != NULL;
}

/*
 * The branch of sender, added to the playing pipeline. Its sinks do not
 * preroll (async FALSE): a sink that did would make the whole pipeline,
 * the send chains with it, go back to PAUSED and wait for it.
 */
RoomdPeer *
roomd_branch_add (Roomd * app, guint sender)
{
  RoomdPeer *p = roomd_find_peer (app, sender);
  gchar *name;
  GstElement *bin;

  if (p && p->bin)
    return p;
  if (!app->rtc && app->rx_base + 2 * (gint) sender + 1 > 65535) {
    g_printerr ("roomd: sender %u: port %d out of range; not received\n",
        sender, app->rx_base + 2 * (gint) sender);
    return NULL;
  }
  if (!p && !(p = free_peer (app))) {
    gst_e2ee_log_limit_print (&app->log_senders, TRUE, "roomd: sender %u: "
        "%u senders are received already, the most at once (the screen's "
        "tiles); not received", sender, ROOMD_MAX_BRANCHES);
    return NULL;
  }
  *p = (RoomdPeer) {
  .app = app,.used = TRUE,.sender = sender};
  name = peer_name ("peer", sender);
  bin = gst_bin_new (name);
  g_free (name);
  /* Out of the pipeline's state changes until it is whole: the pipeline
   * may be on its way to PLAYING (the audio sink's preroll), and would take
   * a half-made branch there with it. */
  gst_element_set_locked_state (bin, TRUE);
  gst_bin_add (GST_BIN (app->pipeline), bin);
  if (!build_video_branch (app, p, bin) || !build_audio_branch (app, p, bin)) {
    gst_e2ee_room_frames_gone (app->out, sender);
    gst_bin_remove (GST_BIN (app->pipeline), bin);
    roomd_audio_unlink (app->audio, p->mix_pad);
    p->mix_pad = NULL;
    if (app->rtc)
      roomd_rtc_drop (app->rtc, sender);
    g_printerr ("roomd: no receive branch for sender %u\n", sender);
    p->used = FALSE;
    app->exit_code = 1;
    return NULL;
  }
  p->bin = bin;
  app->branches++;
  gst_element_set_locked_state (bin, FALSE);
  gst_element_sync_state_with_parent (bin);
  if (app->rtc)
    gst_e2ee_log_limit_print (&app->log_senders, FALSE, "roomd: receiving "
        "sender %u through Janus (participant-%u)", sender, sender);
  else
    gst_e2ee_log_limit_print (&app->log_senders, FALSE, "roomd: receiving "
        "sender %u on %s ports %d and %d", sender, app->rx_address,
        app->rx_base + 2 * (gint) sender, app->rx_base + 2 * (gint) sender + 1);
  return p;
}

/* RoomdRtcSlotFunc (main thread): slot of sender's branch, both streams. */
void
roomd_branch_add_slot (gpointer data, guint sender, guint slot)
{
  Roomd *app = data;
  RoomdPeer *p = roomd_find_peer (app, sender);

  if (!p || !p->bin)
    return;
  if (add_slot_chain (app, p->bin, sender, slot, E2EE_STREAM_VIDEO, TRUE)
      && add_slot_chain (app, p->bin, sender, slot, E2EE_STREAM_AUDIO, TRUE))
    gst_e2ee_log_limit_print (&app->log_senders, FALSE, "roomd: sender %u: "
        "slot %u made (another publisher claims participant-%u)", sender,
        slot, sender);
  else
    gst_e2ee_log_limit_print (&app->log_senders, TRUE, "roomd: sender %u: "
        "slot %u cannot be made; that publisher is not received", sender,
        slot);
}

/*
 * lost: RTP packets the jitterbuffers never got or got too late. A packet
 * lost inside a NAL fails that frame's authentication, as it must; keys that
 * do not fit fail every frame: tests compare the two.
 */
void
roomd_peer_counts (Roomd * app, RoomdPeer * p, RoomdCounts * c)
{
  *c = (RoomdCounts) {
  .sender = p->sender,.decoded = (guint64) g_atomic_int_get (&p->decoded)};
  c->video = get_stat (p->bin, "vdec", p->sender, "frames");
  c->auth = get_stat (p->bin, "vdec", p->sender, "auth-failed")
      + get_stat (p->bin, "adec", p->sender, "auth-failed");
  c->replayed = get_stat (p->bin, "vdec", p->sender, "replayed")
      + get_stat (p->bin, "adec", p->sender, "replayed");
  for (guint k = 0; k < ROOMD_RTC_CANDIDATES; k++) {
    gchar *vjb = slot_what ("vjb", k), *ajb = slot_what ("ajb", k);

    c->lost += get_stat (p->bin, vjb, p->sender, "num-lost")
        + get_stat (p->bin, vjb, p->sender, "num-late")
        + get_stat (p->bin, ajb, p->sender, "num-lost")
        + get_stat (p->bin, ajb, p->sender, "num-late");
    g_free (vjb);
    g_free (ajb);
  }
  gst_e2ee_room_frames_stats (app->out, p->sender, &c->sent, &c->dropped);
}

static void
add_counts (RoomdCounts * to, const RoomdCounts * c)
{
  to->video += c->video;
  to->decoded += c->decoded;
  to->sent += c->sent;
  to->dropped += c->dropped;
  to->auth += c->auth;
  to->lost += c->lost;
  to->replayed += c->replayed;
}

static RoomdCounts *
find_departed (Roomd * app, guint sender)
{
  for (guint i = 0; i < app->n_departed; i++)
    if (app->departed[i].sender == sender)
      return &app->departed[i];
  return NULL;
}

/* A departed branch's counts: into its sender's entry of the ring (the
 * oldest entry makes room), and into the total. */
static void
keep_departed (Roomd * app, const RoomdCounts * c)
{
  RoomdCounts *d = find_departed (app, c->sender);

  if (!d) {
    d = &app->departed[app->departed_next];
    app->departed_next = (app->departed_next + 1) % ROOMD_DEPARTED;
    if (app->n_departed < ROOMD_DEPARTED)
      app->n_departed++;
    *d = (RoomdCounts) {
    .sender = c->sender};
  }
  add_counts (d, c);
  add_counts (&app->gone_total, c);
  app->gone_total.sender++;
}

static void
print_counts (const RoomdCounts * c)
{
  g_print ("roomd sender=%u video-frames=%" G_GUINT64_FORMAT " decoded-frames=%"
      G_GUINT64_FORMAT " frames-sent=%" G_GUINT64_FORMAT " dropped=%"
      G_GUINT64_FORMAT " auth-failed=%" G_GUINT64_FORMAT " lost=%"
      G_GUINT64_FORMAT " replayed=%" G_GUINT64_FORMAT "\n", c->sender,
      c->video, c->decoded, c->sent, c->dropped, c->auth, c->lost,
      c->replayed);
}

void
roomd_branch_print_results (Roomd * app)
{
  RoomdCounts all = app->gone_total, c;
  guint listed = 0;

  /* The departed senders, oldest first, with their branch now if any. */
  for (guint k = 0; k < app->n_departed; k++) {
    guint i = (app->departed_next + ROOMD_DEPARTED - app->n_departed + k)
        % ROOMD_DEPARTED;
    RoomdCounts d = app->departed[i];
    RoomdPeer *p = roomd_find_peer (app, d.sender);

    if (p) {
      roomd_peer_counts (app, p, &c);
      add_counts (&d, &c);
    }
    print_counts (&d);
    listed++;
  }
  for (guint i = 0; i < G_N_ELEMENTS (app->peers); i++) {
    if (!app->peers[i].used)
      continue;
    roomd_peer_counts (app, &app->peers[i], &c);
    add_counts (&all, &c);
    if (!find_departed (app, c.sender)) {
      print_counts (&c);
      listed++;
    }
  }
  g_print ("roomd senders: branches=%" G_GUINT64_FORMAT " listed=%u "
      "video-frames=%" G_GUINT64_FORMAT " decoded-frames=%" G_GUINT64_FORMAT
      " frames-sent=%" G_GUINT64_FORMAT " dropped=%" G_GUINT64_FORMAT
      " auth-failed=%" G_GUINT64_FORMAT " lost=%" G_GUINT64_FORMAT "\n",
      app->branches, listed, all.video, all.decoded, all.sent, all.dropped,
      all.auth, all.lost);
}

static GstPadProbeReturn
drop_all (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  return GST_PAD_PROBE_DROP;
}

/* Main loop: the branch stops, leaves the pipeline, the screen hears GONE. */
static void
remove_branch (Roomd * app, RoomdPeer * p)
{
  GstElement *bin = p->bin;
  GstPad *out = gst_element_get_static_pad (bin, "audio");
  RoomdCounts c;

  /* What the branch still pushes goes nowhere from here on, taken (OK): an
   * unlinked pad's NOT_LINKED would reach the branch's source, whose error
   * ends roomd (a decoder's concealment after the keys went pushes yet). */
  if (out) {
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, drop_all,
        NULL, NULL);
    gst_object_unref (out);
  }
  /* Then the mixer's input: released, it is flushing, so the branch's
   * streaming thread is not left waiting in the mixer while the branch
   * stops. */
  roomd_audio_unlink (app->audio, p->mix_pad);
  p->mix_pad = NULL;
  gst_element_set_locked_state (bin, TRUE);
  gst_element_set_state (bin, GST_STATE_NULL);
  /* Stopped: its counts are final (the frame output's before GONE). */
  roomd_peer_counts (app, p, &c);
  keep_departed (app, &c);
  p->bin = NULL;
  gst_bin_remove (GST_BIN (app->pipeline), bin);
  if (app->rtc)
    roomd_rtc_drop (app->rtc, p->sender);
  gst_e2ee_room_frames_gone (app->out, p->sender);
  gst_e2ee_log_limit_print (&app->log_senders, FALSE, "roomd: sender %u gone "
      "(no receive key left)", p->sender);
  /* The entry is free for any sender (its probes went with the bin). */
  p->used = FALSE;
}

/* After the key event: senders whose last receive key went. */
gboolean
roomd_branch_prune (gpointer data)
{
  Roomd *app = data;

  for (guint i = 0; i < G_N_ELEMENTS (app->peers); i++)
    if (app->peers[i].used && !app->peers[i].keys)
      remove_branch (app, &app->peers[i]);
  return G_SOURCE_REMOVE;
}
