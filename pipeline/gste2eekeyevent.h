/* SPDX-License-Identifier: MIT */
/*
 * The events keyxchgd's control socket sends the media daemon
 * (keyxchg/CONTROL.md), parsed strictly: media-key, send-kid, state, and the
 * reply to our subscribe request. Plain C (jansson and libe2ee only), so
 * that the unit test and the fuzz target build without GStreamer.
 *
 * Call order:
 *   gst_e2ee_key_event_init()     once, before any other use of jansson in
 *                                 the process: makes jansson wipe what it frees
 *   gst_e2ee_key_event_parse()    per line; on success a media-key install
 *                                 holds the decoded key in ev->key
 *   gst_e2ee_key_event_clear()    always after use: wipes ev
 *
 * Error strings are static descriptions: they never quote the input (which
 * may hold a key).
 */
#ifndef GST_E2EE_KEY_EVENT_H
#define GST_E2EE_KEY_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2ee/sframe.h"

/* A line longer than this is refused whole (a media-key line is ~200 bytes). */
#define GST_E2EE_KEY_EVENT_LINE_MAX 4096
#define GST_E2EE_KEY_EVENT_KEY_MIN 16
#define GST_E2EE_KEY_EVENT_KEY_MAX E2EE_SFRAME_MAX_BASE_KEY
#define GST_E2EE_KEY_EVENT_ID_MAX 64
#define GST_E2EE_KEY_EVENT_TEXT_MAX 128
/* KID layout (frame-format.md): stream << 24 | sender << 8 | epoch, stream 0..2. */
#define GST_E2EE_KEY_EVENT_STREAM_MAX 2

typedef enum
{
  GST_E2EE_KEY_EVENT_REPLY = 1,         /* ok, id, error */
  GST_E2EE_KEY_EVENT_INSTALL,           /* kid, usage, key / key_len */
  GST_E2EE_KEY_EVENT_REMOVE,            /* kid, usage */
  GST_E2EE_KEY_EVENT_SEND_KID,          /* kid */
  GST_E2EE_KEY_EVENT_STATE,             /* state, meeting, epoch */
} GstE2eeKeyEventType;

typedef struct
{
  GstE2eeKeyEventType type;
  uint64_t kid;
  int usage;                    /* E2EE_KEY_SEND or E2EE_KEY_RECV */
  uint8_t key[GST_E2EE_KEY_EVENT_KEY_MAX];      /* secret: install only */
  size_t key_len;
  bool ok;
  char id[GST_E2EE_KEY_EVENT_ID_MAX + 1];       /* reply; may be empty */
  char error[GST_E2EE_KEY_EVENT_TEXT_MAX + 1];  /* reply; may be empty */
  char state[16];               /* idle, lobby, in-meeting, left */
  char meeting[GST_E2EE_KEY_EVENT_TEXT_MAX + 1];        /* may be empty */
  bool has_epoch;
  uint64_t epoch;
} GstE2eeKeyEvent;

/*
 * Makes jansson allocate through functions that wipe every block they free
 * (jansson's lexer keeps copies of string tokens, a key's hex among them).
 * Idempotent. Returns 0, or -EBUSY when someone else set jansson's
 * allocator already.
 */
int gst_e2ee_key_event_init (void);

/*
 * Parses one line (without its newline; line need not be NUL-terminated).
 * Strict: one JSON object, no duplicated members, the members CONTROL.md
 * lists for that event and no others, each with its type and range. A
 * media-key install's key is 16 to 64 bytes of hex. Returns 0, or -EMSGSIZE,
 * -EINVAL or -EPROTONOSUPPORT (an event or action we do not take) with *err
 * a static description; ev is wiped on failure.
 */
__attribute__((warn_unused_result, nonnull (1, 3, 4)))
int gst_e2ee_key_event_parse (const char *line, size_t len,
    GstE2eeKeyEvent * ev, const char **err);

/* Wipes ev (the key with it). */
__attribute__((nonnull (1)))
void gst_e2ee_key_event_clear (GstE2eeKeyEvent * ev);

static inline unsigned int
gst_e2ee_kid_stream (uint64_t kid)
{
  return (unsigned int) (kid >> 24);
}

static inline unsigned int
gst_e2ee_kid_sender (uint64_t kid)
{
  return (unsigned int) ((kid >> 8) & 0xffff);
}

static inline unsigned int
gst_e2ee_kid_epoch (uint64_t kid)
{
  return (unsigned int) (kid & 0xff);
}

#endif
