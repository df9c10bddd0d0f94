// SPDX-License-Identifier: MIT
/* SRTP sessions with the DTLS-SRTP profile's policy. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "rtc_srtp.h"

static gpointer srtp_once(gpointer data)
{
	return GINT_TO_POINTER(srtp_init() == srtp_err_status_ok);
}

int rtc_srtp_init(void)
{
	static GOnce once = G_ONCE_INIT;

	return GPOINTER_TO_INT(g_once(&once, srtp_once, NULL)) ? 0 : -EIO;
}

int rtc_srtp_new(srtp_t *s, const uint8_t key[static RTC_SRTP_MASTER_LEN], bool inbound)
{
	srtp_policy_t pol;

	memset(&pol, 0, sizeof(pol));
	/* RFC 5764 4.1.2: SRTP_AES128_CM_HMAC_SHA1_80 for RTP and RTCP. */
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = (unsigned char *)key;
	pol.window_size = 1024;
	pol.allow_repeat_tx = 0;
	return srtp_create(s, &pol) == srtp_err_status_ok ? 0 : -EIO;
}
