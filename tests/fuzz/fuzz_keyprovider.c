/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the key provider's event parser (pipeline/gste2eekeyevent.c)
 * on arbitrary lines. It must never crash, leak or read out of bounds, and
 * whatever it accepts must hold to the ranges it promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2ee/keyring.h"
#include "gste2eekeyevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GstE2eeKeyEvent ev;
	const char *err = NULL;
	int ret;

	if (gst_e2ee_key_event_init())
		abort();
	ret = gst_e2ee_key_event_parse((const char *)data, size, &ev, &err);
	if (ret) {
		if (!err || ev.key_len || ev.type)
			abort();
		return 0;
	}
	switch (ev.type) {
	case GST_E2EE_KEY_EVENT_INSTALL:
		if (ev.key_len < GST_E2EE_KEY_EVENT_KEY_MIN || ev.key_len > GST_E2EE_KEY_EVENT_KEY_MAX)
			abort();
		/* fall through */
	case GST_E2EE_KEY_EVENT_REMOVE:
		if (ev.usage != E2EE_KEY_SEND && ev.usage != E2EE_KEY_RECV)
			abort();
		/* fall through */
	case GST_E2EE_KEY_EVENT_SEND_KID:
		if (gst_e2ee_kid_stream(ev.kid) > GST_E2EE_KEY_EVENT_STREAM_MAX)
			abort();
		break;
	case GST_E2EE_KEY_EVENT_STATE:
		if (!ev.state[0] || strlen(ev.meeting) > GST_E2EE_KEY_EVENT_TEXT_MAX)
			abort();
		break;
	case GST_E2EE_KEY_EVENT_REPLY:
		if (strlen(ev.id) > GST_E2EE_KEY_EVENT_ID_MAX || (ev.ok && ev.error[0]))
			abort();
		break;
	default:
		abort();
	}
	gst_e2ee_key_event_clear(&ev);
	return 0;
}
