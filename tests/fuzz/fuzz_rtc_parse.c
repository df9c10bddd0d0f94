// SPDX-License-Identifier: MIT
/* libFuzzer: what webrtc/ parses of the SFU's bytes. The first byte picks
 * the parser: the RFC 7983 demux with RTCP feedback and the RTP header, the
 * SDP (GstSDP and our checks), or a Janus JSON message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rtc_demux.h"
#include "rtc_janus.h"
#include "rtc_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtc_sdp sdp;
	struct rtc_janus_msg m;
	const char *why;
	uint32_t ssrc;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		/* As the receive thread reads them: the SSRC (checked before
		 * SRTP), then, once authenticated, the feedback or payload. */
		if (rtc_demux_classify(data + 1, size - 1) == RTC_PACKET_RTCP) {
			ssrc = rtc_rtcp_ssrc(data + 1);
			(void)rtc_rtcp_feedback(data + 1, size - 1, &ssrc);
		} else if (rtc_demux_classify(data + 1, size - 1) == RTC_PACKET_RTP) {
			ssrc = rtc_rtp_ssrc(data + 1);
			(void)rtc_rtp_payload_offset(data + 1, size - 1);
		}
		break;
	case 1:
		(void)rtc_sdp_parse((const char *)data + 1, size - 1, &sdp, &why);
		break;
	default:
		if (!rtc_janus_parse((const char *)data + 1, size - 1, &m))
			rtc_janus_msg_clear(&m);
		break;
	}
	return 0;
}
