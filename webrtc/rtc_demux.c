// SPDX-License-Identifier: MIT
/* RFC 7983 demultiplexing, RTCP feedback, RTP header fields. */
#include <errno.h>
#include <string.h>

#include "rtc_demux.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

enum rtc_packet rtc_demux_classify(const uint8_t *p, size_t len)
{
	if (!len)
		return RTC_PACKET_OTHER;
	/* RFC 7983 7: 20..63 DTLS. */
	if (p[0] >= 20 && p[0] <= 63)
		return len >= RTC_DTLS_RECORD_HEADER ? RTC_PACKET_DTLS : RTC_PACKET_OTHER;
	/* 128..191 RTP or RTCP (version 2); RFC 5761 4: RTCP types 192..223
	 * in the second byte (the RTP marker bit and payload type there). */
	if (p[0] >= 128 && p[0] <= 191) {
		if (len >= 2 && p[1] >= 192 && p[1] <= 223)
			return len >= RTC_RTCP_HEADER ? RTC_PACKET_RTCP : RTC_PACKET_OTHER;
		return len >= RTC_RTP_HEADER ? RTC_PACKET_RTP : RTC_PACKET_OTHER;
	}
	/* STUN (0..3) never gets here (libnice keeps it), ZRTP, TURN
	 * channels and the rest are nothing this transport speaks. */
	return RTC_PACKET_OTHER;
}

unsigned int rtc_rtcp_feedback(const uint8_t *p, size_t len, uint32_t *media_ssrc)
{
	unsigned int found = 0;
	size_t off = 0;

	while (len - off >= 4) {
		const uint8_t *h = p + off;
		size_t n = ((size_t)(h[2] << 8 | h[3]) + 1) * 4;
		unsigned int fmt = h[0] & 0x1f;

		if ((h[0] >> 6) != 2 || n > len - off)
			break;
		/* RFC 4585 6.1: PSFB is 206; PLI fmt 1, FIR fmt 4 (RFC 5104). */
		if (h[1] == 206 && n >= 12 && (fmt == 1 || fmt == 4)) {
			uint32_t ssrc = be32(h + 8);

			/* FIR names its media sender in its FCI (RFC 5104 4.3.1.1). */
			if (fmt == 4 && n >= 20)
				ssrc = be32(h + 12);
			found |= fmt == 1 ? RTC_FB_PLI : RTC_FB_FIR;
			if (media_ssrc)
				*media_ssrc = ssrc;
		}
		off += n;
	}
	return found;
}

void rtc_rtcp_pli(uint8_t out[static RTC_PLI_LEN], uint32_t sender_ssrc, uint32_t media_ssrc)
{
	uint8_t *rr = out, *pli = out + 32;

	memset(out, 0, RTC_PLI_LEN);
	rr[0] = 0x80 | 1; /* V=2, RC=1 */
	rr[1] = 201;	  /* RR */
	rr[3] = 7;	  /* length in words minus one */
	put32(rr + 4, sender_ssrc);
	put32(rr + 8, media_ssrc); /* the report block's source; counts zero */
	pli[0] = 0x80 | 1;	   /* V=2, FMT=1 */
	pli[1] = 206;		   /* PSFB */
	pli[3] = 2;
	put32(pli + 4, sender_ssrc);
	put32(pli + 8, media_ssrc);
}

int rtc_rtp_payload_offset(const uint8_t *p, size_t len)
{
	size_t off;

	if (len < RTC_RTP_HEADER || (p[0] >> 6) != 2)
		return -EBADMSG;
	off = RTC_RTP_HEADER + 4u * (p[0] & 0x0f);
	if (p[0] & 0x10) { /* RFC 3550 5.3.1 */
		if (off + 4 > len)
			return -EBADMSG;
		off += 4 + 4u * (p[off + 2] << 8 | p[off + 3]);
	}
	return off > len ? -EBADMSG : (int)off;
}

uint32_t rtc_rtp_ssrc(const uint8_t p[static RTC_RTP_HEADER])
{
	return be32(p + 8);
}

uint32_t rtc_rtcp_ssrc(const uint8_t p[static RTC_RTCP_HEADER])
{
	/* RFC 3550 6.4.1: the first packet's SSRC; RFC 3711 3.4: SRTCP's too. */
	return be32(p + 4);
}

uint8_t rtc_rtp_pt(const uint8_t p[static RTC_RTP_HEADER])
{
	return p[1] & 0x7f;
}
