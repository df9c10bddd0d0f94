/* SPDX-License-Identifier: MIT */
/* keyxchgd's key events (keyxchg/CONTROL.md), parsed strictly. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "e2ee/keyring.h"
#include "e2ee/secret.h"
#include "gste2eekeyevent.h"

/*
 * jansson's allocator is libe2ee's wiping one: the lexer's token buffer and
 * every string's copy pass through it, a key's hex text among them.
 */
#define wipe_malloc e2ee_wiping_malloc
#define wipe_free e2ee_wiping_free

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void
init_allocator (void)
{
  json_malloc_t m;
  json_free_t f;

  json_get_alloc_funcs (&m, &f);
  if ((m != malloc || f != free) && (m != wipe_malloc || f != wipe_free)) {
    init_result = -EBUSY;
    return;
  }
  json_set_alloc_funcs (wipe_malloc, wipe_free);
}

int
gst_e2ee_key_event_init (void)
{
  pthread_once (&init_once, init_allocator);
  return init_result;
}

void
gst_e2ee_key_event_clear (GstE2eeKeyEvent * ev)
{
  e2ee_wipe (ev, sizeof (*ev));
}

static int
fail (const char **err, const char *msg, int code)
{
  *err = msg;
  return code;
}


/* A string of 1..max printable characters (no controls, no NUL). */
static bool
text_ok (json_t * v, size_t max)
{
  const char *s;
  size_t n;

  if (!json_is_string (v))
    return false;
  s = json_string_value (v);
  n = json_string_length (v);
  if (n == 0 || n > max || strlen (s) != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

/* Only the members in allowed (NULL-terminated) may appear. */
static bool
members_ok (json_t * o, const char *const *allowed)
{
  const char *key;
  json_t *v;

  json_object_foreach (o, key, v) {
    bool known = false;

    for (size_t i = 0; allowed[i] && !known; i++)
      known = !strcmp (key, allowed[i]);
    if (!known)
      return false;
  }
  return true;
}

/* A KID under the layout of frame-format.md, stream 0..2. */
static int
get_kid (json_t * o, uint64_t * kid)
{
  json_t *v = json_object_get (o, "kid");
  json_int_t k;

  if (!json_is_integer (v))
    return -EINVAL;
  k = json_integer_value (v);
  if (k < 0 || (uint64_t) k >> 24 > GST_E2EE_KEY_EVENT_STREAM_MAX)
    return -EINVAL;
  *kid = (uint64_t) k;
  return 0;
}

/* Hex into ev->key; the hex text itself is wiped by the caller's decref. */
static int
get_key (json_t * o, GstE2eeKeyEvent * ev)
{
  json_t *v = json_object_get (o, "key");
  const char *s;
  size_t n;

  if (!json_is_string (v))
    return -EINVAL;
  s = json_string_value (v);
  n = json_string_length (v);
  if (n % 2 || n < 2 * GST_E2EE_KEY_EVENT_KEY_MIN
      || n > 2 * GST_E2EE_KEY_EVENT_KEY_MAX)
    return -EINVAL;
  if (e2ee_hex_decode (s, n, ev->key, sizeof (ev->key)) < 0)
    return -EINVAL;
  ev->key_len = n / 2;
  return 0;
}

static int
parse_media_key (json_t * o, GstE2eeKeyEvent * ev, const char **err)
{
  static const char *const install[] =
      { "event", "action", "kid", "usage", "key", NULL };
  static const char *const remove[] =
      { "event", "action", "kid", "usage", NULL };
  json_t *action = json_object_get (o, "action");
  json_t *usage = json_object_get (o, "usage");
  const char *a = json_string_value (action);
  const char *u = json_string_value (usage);

  if (!a || !u)
    return fail (err, "media-key needs action and usage (strings)", -EINVAL);
  if (!strcmp (a, "install"))
    ev->type = GST_E2EE_KEY_EVENT_INSTALL;
  else if (!strcmp (a, "remove"))
    ev->type = GST_E2EE_KEY_EVENT_REMOVE;
  else
    return fail (err, "media-key action is install or remove", -EINVAL);
  if (!members_ok (o, ev->type == GST_E2EE_KEY_EVENT_INSTALL ? install :
          remove))
    return fail (err, "unknown member for this media-key action", -EINVAL);
  if (!strcmp (u, "send"))
    ev->usage = E2EE_KEY_SEND;
  else if (!strcmp (u, "receive"))
    ev->usage = E2EE_KEY_RECV;
  else
    return fail (err, "media-key usage is send or receive", -EINVAL);
  if (get_kid (o, &ev->kid))
    return fail (err, "kid is an integer 0..(3 << 24) - 1", -EINVAL);
  if (ev->type == GST_E2EE_KEY_EVENT_INSTALL && get_key (o, ev))
    return fail (err, "key is 16 to 64 bytes of hex", -EINVAL);
  return 0;
}

static int
parse_state (json_t * o, GstE2eeKeyEvent * ev, const char **err)
{
  static const char *const members[] =
      { "event", "state", "meeting", "epoch", NULL };
  static const char *const states[] =
      { "idle", "lobby", "in-meeting", "left", NULL };
  json_t *v = json_object_get (o, "state");
  const char *s = json_string_value (v);
  size_t i;

  if (!members_ok (o, members))
    return fail (err, "unknown member for state", -EINVAL);
  for (i = 0; s && states[i]; i++)
    if (!strcmp (s, states[i]))
      break;
  if (!s || !states[i])
    return fail (err, "state is idle, lobby, in-meeting or left", -EINVAL);
  strcpy (ev->state, states[i]);
  ev->type = GST_E2EE_KEY_EVENT_STATE;
  /* meeting and epoch may be absent or null, meeting "" (keyxchgd when idle) */
  v = json_object_get (o, "meeting");
  if (v && !json_is_null (v) && !(json_is_string (v)
          && json_string_length (v) == 0)) {
    if (!text_ok (v, GST_E2EE_KEY_EVENT_TEXT_MAX))
      return fail (err, "meeting is 1 to 128 printable characters", -EINVAL);
    strcpy (ev->meeting, json_string_value (v));
  }
  v = json_object_get (o, "epoch");
  if (v && !json_is_null (v)) {
    if (!json_is_integer (v) || json_integer_value (v) < 0)
      return fail (err, "epoch is a non-negative integer", -EINVAL);
    ev->has_epoch = true;
    ev->epoch = (uint64_t) json_integer_value (v);
  }
  return 0;
}

static int
parse_reply (json_t * o, GstE2eeKeyEvent * ev, const char **err)
{
  static const char *const members[] = { "id", "ok", "error", NULL };
  json_t *v;

  if (!members_ok (o, members))
    return fail (err, "unknown member in a reply", -EINVAL);
  v = json_object_get (o, "ok");
  if (!json_is_boolean (v))
    return fail (err, "ok is true or false", -EINVAL);
  ev->type = GST_E2EE_KEY_EVENT_REPLY;
  ev->ok = json_is_true (v);
  v = json_object_get (o, "id");
  if (v) {
    if (!text_ok (v, GST_E2EE_KEY_EVENT_ID_MAX))
      return fail (err, "id is 1 to 64 printable characters", -EINVAL);
    strcpy (ev->id, json_string_value (v));
  }
  v = json_object_get (o, "error");
  if (v) {
    if (ev->ok || !text_ok (v, GST_E2EE_KEY_EVENT_TEXT_MAX))
      return fail (err, "error is 1 to 128 printable characters, "
          "in a reply that is not ok", -EINVAL);
    strcpy (ev->error, json_string_value (v));
  }
  return 0;
}

int
gst_e2ee_key_event_parse (const char *line, size_t len, GstE2eeKeyEvent * ev,
    const char **err)
{
  static const char *const send_kid[] = { "event", "kid", NULL };
  json_error_t jerr;
  json_t *o, *v;
  const char *name;
  int ret;

  memset (ev, 0, sizeof (*ev));
  *err = NULL;
  if (len > GST_E2EE_KEY_EVENT_LINE_MAX)
    return fail (err, "line longer than 4096 bytes", -EMSGSIZE);
  /* jansson's own copies are wiped on free, the decref below included. */
  (void) gst_e2ee_key_event_init ();
  o = json_loadb (line, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!o)
    return fail (err, "not JSON (or a duplicated member)", -EINVAL);
  if (!json_is_object (o)) {
    ret = fail (err, "not a JSON object", -EINVAL);
    goto out;
  }
  v = json_object_get (o, "event");
  if (!v) {
    ret = parse_reply (o, ev, err);
    goto out;
  }
  name = json_string_value (v);
  if (!name) {
    ret = fail (err, "event is a string", -EINVAL);
    goto out;
  }
  if (!strcmp (name, "media-key")) {
    ret = parse_media_key (o, ev, err);
  } else if (!strcmp (name, "send-kid")) {
    if (!members_ok (o, send_kid)) {
      ret = fail (err, "unknown member for send-kid", -EINVAL);
      goto out;
    }
    ev->type = GST_E2EE_KEY_EVENT_SEND_KID;
    ret = get_kid (o, &ev->kid) ?
        fail (err, "kid is an integer 0..(3 << 24) - 1", -EINVAL) : 0;
  } else if (!strcmp (name, "state")) {
    ret = parse_state (o, ev, err);
  } else {
    ret = fail (err, "not an event of keys or state", -EPROTONOSUPPORT);
  }
out:
  json_decref (o);
  if (ret)
    gst_e2ee_key_event_clear (ev);
  return ret;
}
