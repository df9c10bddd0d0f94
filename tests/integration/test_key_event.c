/* SPDX-License-Identifier: MIT */
/*
 * The key provider's parser (gste2eekeyevent.c) as a table of named lines,
 * and the provider's routing (gste2eekeyprovider.c) onto real e2eeenc /
 * e2eedec elements, lines handed in without a socket.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gst/gst.h>

#include "e2ee/keyring.h"
#include "gste2eekeyevent.h"
#include "gste2eekeyprovider.h"

#define KEY16 "000102030405060708090a0b0c0d0e0f"

static const struct
{
  const char *name, *line;
  int ret;
  GstE2eeKeyEventType type;
  uint64_t kid;
  int usage;
  size_t key_len;
} vectors[] = {
  {"install receive", "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":16777472,"
        "\"usage\":\"receive\",\"key\":\"" KEY16 "\"}", 0,
      GST_E2EE_KEY_EVENT_INSTALL, 16777472, E2EE_KEY_RECV, 16},
  {"install send, 64-byte key upper case",
        "{\"usage\":\"send\",\"kid\":256,\"event\":\"media-key\",\"action\":\"install\","
        "\"key\":\"" "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899"
        "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899" "\"}", 0,
      GST_E2EE_KEY_EVENT_INSTALL, 256, E2EE_KEY_SEND, 64},
  {"remove", "{\"event\":\"media-key\",\"action\":\"remove\",\"kid\":33554687,"
        "\"usage\":\"receive\"}", 0, GST_E2EE_KEY_EVENT_REMOVE, 33554687,
      E2EE_KEY_RECV, 0},
  {"send-kid", "{\"event\":\"send-kid\",\"kid\":16777473}", 0,
      GST_E2EE_KEY_EVENT_SEND_KID, 16777473, 0, 0},
  {"state", "{\"event\":\"state\",\"state\":\"in-meeting\",\"meeting\":\"m\","
        "\"epoch\":3}", 0, GST_E2EE_KEY_EVENT_STATE, 0, 0, 0},
  {"state, null meeting", "{\"event\":\"state\",\"state\":\"idle\",\"meeting\":null}",
      0, GST_E2EE_KEY_EVENT_STATE, 0, 0, 0},
  {"state as keyxchgd sends it when idle", "{\"event\":\"state\",\"state\":\"idle\","
        "\"meeting\":\"\",\"epoch\":0}", 0, GST_E2EE_KEY_EVENT_STATE, 0, 0, 0},
  {"reply ok", "{\"id\":\"media-keys\",\"ok\":true}", 0,
      GST_E2EE_KEY_EVENT_REPLY, 0, 0, 0},
  {"reply refused", "{\"ok\":false,\"error\":\"keys are for the media daemon only\"}",
      0, GST_E2EE_KEY_EVENT_REPLY, 0, 0, 0},
  /* refused */
  {"empty", "", -EINVAL},
  {"not json", "hello", -EINVAL},
  {"array", "[]", -EINVAL},
  {"two objects", "{\"ok\":true}{\"ok\":true}", -EINVAL},
  {"duplicated member", "{\"event\":\"send-kid\",\"kid\":1,\"kid\":2}", -EINVAL},
  {"event not a string", "{\"event\":1,\"kid\":1}", -EINVAL},
  {"unsubscribed event", "{\"event\":\"roster\",\"epoch\":1}", -EPROTONOSUPPORT},
  {"unknown action", "{\"event\":\"media-key\",\"action\":\"rotate\",\"kid\":1,"
        "\"usage\":\"send\"}", -EINVAL},
  {"install without key", "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":1,"
        "\"usage\":\"send\"}", -EINVAL},
  {"remove with key", "{\"event\":\"media-key\",\"action\":\"remove\",\"kid\":1,"
        "\"usage\":\"send\",\"key\":\"" KEY16 "\"}", -EINVAL},
  {"usage unknown", "{\"event\":\"media-key\",\"action\":\"remove\",\"kid\":1,"
        "\"usage\":\"recv\"}", -EINVAL},
  {"kid negative", "{\"event\":\"send-kid\",\"kid\":-1}", -EINVAL},
  {"kid stream 3", "{\"event\":\"send-kid\",\"kid\":50331648}", -EINVAL},
  {"kid a string", "{\"event\":\"send-kid\",\"kid\":\"1\"}", -EINVAL},
  {"kid a real", "{\"event\":\"send-kid\",\"kid\":1.0}", -EINVAL},
  {"kid huge", "{\"event\":\"send-kid\",\"kid\":99999999999999999999999}", -EINVAL},
  {"send-kid extra", "{\"event\":\"send-kid\",\"kid\":1,\"usage\":\"send\"}", -EINVAL},
  {"key short", "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":1,"
        "\"usage\":\"send\",\"key\":\"000102030405060708090a0b0c0d0e\"}", -EINVAL},
  {"key odd", "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":1,"
        "\"usage\":\"send\",\"key\":\"" KEY16 "0\"}", -EINVAL},
  {"key not hex", "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":1,"
        "\"usage\":\"send\",\"key\":\"" "000102030405060708090a0b0c0d0e0g" "\"}", -EINVAL},
  {"key escaped NUL", "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":1,"
        "\"usage\":\"send\",\"key\":\"" "000102030405060708090a0b0c0d0e\\u0000"
        "\"}", -EINVAL},
  {"key a number", "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":1,"
        "\"usage\":\"send\",\"key\":1}", -EINVAL},
  {"state unknown", "{\"event\":\"state\",\"state\":\"dancing\"}", -EINVAL},
  {"state control char", "{\"event\":\"state\",\"state\":\"idle\",\"meeting\":\"a\\nb\"}",
      -EINVAL},
  {"state negative epoch", "{\"event\":\"state\",\"state\":\"idle\",\"epoch\":-2}", -EINVAL},
  {"reply without ok", "{\"id\":\"x\"}", -EINVAL},
  {"reply ok a string", "{\"ok\":\"true\"}", -EINVAL},
  {"reply extra", "{\"ok\":true,\"epoch\":1}", -EINVAL},
  {"reply ok with error", "{\"ok\":true,\"error\":\"x\"}", -EINVAL},
};

static void
test_vectors (void **state)
{
  for (size_t i = 0; i < sizeof (vectors) / sizeof (vectors[0]); i++) {
    GstE2eeKeyEvent ev;
    const char *err = NULL;
    int ret = gst_e2ee_key_event_parse (vectors[i].line,
        strlen (vectors[i].line), &ev, &err);

    print_message ("# %s: %d %s\n", vectors[i].name, ret, err ? err : "");
    assert_int_equal (ret, vectors[i].ret);
    if (ret) {
      assert_non_null (err);
      /* wiped on failure */
      assert_int_equal (ev.key_len, 0);
      assert_int_equal (ev.type, 0);
      continue;
    }
    assert_int_equal (ev.type, vectors[i].type);
    assert_true (ev.kid == vectors[i].kid);
    assert_int_equal (ev.usage, vectors[i].usage);
    assert_int_equal (ev.key_len, vectors[i].key_len);
    if (ev.key_len == 16)
      for (int b = 0; b < 16; b++)
        assert_int_equal (ev.key[b], b);
    gst_e2ee_key_event_clear (&ev);
  }
}

static void
test_fields (void **state)
{
  const char *state_line = "{\"event\":\"state\",\"state\":\"in-meeting\","
      "\"meeting\":\"room-42\",\"epoch\":7}";
  const char *reply = "{\"id\":\"media-keys\",\"ok\":false,\"error\":\"no\"}";
  GstE2eeKeyEvent ev;
  const char *err;

  assert_int_equal (gst_e2ee_key_event_parse (state_line, strlen (state_line),
          &ev, &err), 0);
  assert_string_equal (ev.state, "in-meeting");
  assert_string_equal (ev.meeting, "room-42");
  assert_true (ev.has_epoch && ev.epoch == 7);
  assert_int_equal (gst_e2ee_key_event_parse (reply, strlen (reply), &ev,
          &err), 0);
  assert_false (ev.ok);
  assert_string_equal (ev.id, "media-keys");
  assert_string_equal (ev.error, "no");
}

static void
test_bounds (void **state)
{
  size_t n = GST_E2EE_KEY_EVENT_LINE_MAX + 1;
  char *big = g_malloc (n);
  GstE2eeKeyEvent ev;
  const char *err;
  /* Not NUL-terminated: len is what counts. */
  const char object[] = "{\"event\":\"send-kid\",\"kid\":5}";
  const char line[] = "{\"event\":\"send-kid\",\"kid\":5}garbage";

  memset (big, ' ', n);
  assert_int_equal (gst_e2ee_key_event_parse (big, n, &ev, &err), -EMSGSIZE);
  g_free (big);
  assert_int_equal (gst_e2ee_key_event_parse (line, sizeof (object) - 1, &ev,
          &err), 0);
  assert_true (ev.kid == 5);
  assert_int_equal (gst_e2ee_key_event_parse (line, sizeof (line) - 1, &ev,
          &err), -EINVAL);
  /* A raw NUL inside the line. */
  assert_int_equal (gst_e2ee_key_event_parse ("{\"ok\":true}\0", 12, &ev,
          &err), -EINVAL);
}

static void
test_allocator (void **state)
{
  assert_int_equal (gst_e2ee_key_event_init (), 0);
  assert_int_equal (gst_e2ee_key_event_init (), 0);
}

/* --------------------------------------------- routing onto real elements */

typedef struct
{
  GstElement *venc, *aenc, *vdec1, *adec1;
  guint asked_create, asked_lookup;
} Fixture;

static GstElement *
get_encoder (gpointer data, guint stream)
{
  Fixture *f = data;
  GstElement *e = stream == 1 ? f->venc : stream == 0 ? f->aenc : NULL;

  return e ? gst_object_ref (e) : NULL;
}

static GstElement *
get_decoder (gpointer data, guint stream, guint sender, gboolean create)
{
  Fixture *f = data;
  GstElement *e;

  if (create)
    f->asked_create++;
  else
    f->asked_lookup++;
  if (sender != 1)
    return NULL;
  e = stream == 1 ? f->vdec1 : stream == 0 ? f->adec1 : NULL;
  return e ? gst_object_ref (e) : NULL;
}

static void
feed (GstE2eeKeyProvider * kp, const char *line)
{
  gst_e2ee_key_provider_handle_line (kp, line, strlen (line));
}

static gboolean
has_send_kid (GstElement * enc, guint64 kid)
{
  gboolean ok = FALSE;

  /* set-send-kid answers whether the element holds that send key */
  g_signal_emit_by_name (enc, "set-send-kid", kid, &ok);
  return ok;
}

static gboolean
dec_has (GstElement * dec, guint64 kid)
{
  gboolean ok = FALSE;
  GBytes *k = g_bytes_new_static ("0123456789abcdef", 16);

  /* add-key fails for a KID it already holds; undo a successful probe */
  g_signal_emit_by_name (dec, "add-key", kid, k, E2EE_KEY_RECV, &ok);
  g_bytes_unref (k);
  if (ok)
    g_signal_emit_by_name (dec, "remove-key", kid, &ok);
  else
    return TRUE;
  return FALSE;
}

static void
test_routing (void **state)
{
  static const GstE2eeKeyProviderCallbacks cb = {
    .get_encoder = get_encoder,.get_decoder = get_decoder,
  };
  Fixture f = { 0 };
  GstE2eeKeyProvider *kp;
  const GstE2eeKeyProviderStats *st;

  f.venc = gst_element_factory_make ("e2eeenc", NULL);
  f.aenc = gst_element_factory_make ("e2eeenc", NULL);
  f.vdec1 = gst_element_factory_make ("e2eedec", NULL);
  f.adec1 = gst_element_factory_make ("e2eedec", NULL);
  if (!f.venc || !f.aenc || !f.vdec1 || !f.adec1) {
    print_message ("# e2ee plugin not found (GST_PLUGIN_PATH)\n");
    fail ();
  }
  g_object_set (f.aenc, "stream", 0, NULL);
  g_object_set (f.adec1, "stream", 0, "sender-index", 1, NULL);
  g_object_set (f.vdec1, "sender-index", 1, NULL);
  kp = gst_e2ee_key_provider_new ("/nonexistent/kp.sock", -1, &cb, &f);
  assert_non_null (kp);
  assert_int_equal (gst_e2ee_key_provider_get_sender_index (kp), -1);

  /* send-kid before any send key: we do not know who we are yet */
  feed (kp, "{\"event\":\"send-kid\",\"kid\":16777984}");
  /* first send key: sender 3, video; the encoder learns sender-index 3 */
  feed (kp, "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":16777984,"
      "\"usage\":\"send\",\"key\":\"" KEY16 "\"}");
  assert_int_equal (gst_e2ee_key_provider_get_sender_index (kp), 3);
  feed (kp, "{\"event\":\"send-kid\",\"kid\":16777984}");
  {
    guint idx;

    g_object_get (f.venc, "sender-index", &idx, NULL);
    assert_int_equal (idx, 3);
  }
  assert_true (has_send_kid (f.venc, 16777984));
  assert_false (has_send_kid (f.aenc, 16777984));
  /* installing it again keeps the installed key (its counter) */
  feed (kp, "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":16777984,"
      "\"usage\":\"send\",\"key\":\"" KEY16 "\"}");
  /* a send key of sender 4 is not ours */
  feed (kp, "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":16778240,"
      "\"usage\":\"send\",\"key\":\"" KEY16 "\"}");
  /* content stream: no encoder here */
  feed (kp, "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":33555200,"
      "\"usage\":\"send\",\"key\":\"" KEY16 "\"}");

  /* receive keys: sender 1 has branches, sender 2 none */
  feed (kp, "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":16777472,"
      "\"usage\":\"receive\",\"key\":\"" KEY16 "\"}");
  feed (kp, "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":256,"
      "\"usage\":\"receive\",\"key\":\"" KEY16 "\"}");
  feed (kp, "{\"event\":\"media-key\",\"action\":\"install\",\"kid\":512,"
      "\"usage\":\"receive\",\"key\":\"" KEY16 "\"}");
  assert_true (dec_has (f.vdec1, 16777472));
  assert_true (dec_has (f.adec1, 256));
  assert_int_equal (f.asked_create, 3);

  /* malformed: refused, counted, nothing changes */
  feed (kp, "{\"event\":\"media-key\",\"action\":\"remove\",\"kid\":256}");
  feed (kp, "garbage");
  assert_true (dec_has (f.adec1, 256));

  feed (kp, "{\"event\":\"media-key\",\"action\":\"remove\",\"kid\":256,"
      "\"usage\":\"receive\"}");
  assert_false (dec_has (f.adec1, 256));
  assert_int_equal (f.asked_lookup, 1);

  /* leaving the meeting removes every key the provider installed */
  feed (kp, "{\"event\":\"state\",\"state\":\"left\"}");
  assert_false (dec_has (f.vdec1, 16777472));
  assert_false (has_send_kid (f.venc, 16777984));

  st = gst_e2ee_key_provider_get_stats (kp);
  print_message ("# installed=%u removed=%u switched=%u refused=%u failed=%u\n",
      st->installed, st->removed, st->switched, st->refused, st->failed);
  assert_int_equal (st->installed, 3);
  assert_int_equal (st->removed, 3);
  assert_int_equal (st->switched, 1);
  assert_int_equal (st->refused, 2);
  /* send-kid too early, sender 4, no content encoder, no branch for sender 2 */
  assert_int_equal (st->failed, 4);

  gst_e2ee_key_provider_free (kp);
  gst_object_unref (f.venc);
  gst_object_unref (f.aenc);
  gst_object_unref (f.vdec1);
  gst_object_unref (f.adec1);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_allocator),
    cmocka_unit_test (test_vectors),
    cmocka_unit_test (test_fields),
    cmocka_unit_test (test_bounds),
    cmocka_unit_test (test_routing),
  };
  int ret;

  /* before anything else touches jansson */
  if (gst_e2ee_key_event_init ())
    return 1;
  gst_init (&argc, &argv);
  ret = cmocka_run_group_tests (tests, NULL, NULL);
  gst_deinit ();
  return ret;
}
