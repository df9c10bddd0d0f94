// SPDX-License-Identifier: MIT
/* SDP for the transport, through GstSDP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/sdp/sdp.h>

#include "rtc_sdp.h"

static int fail(const char **why, const char *text, int err)
{
	*why = text;
	return err;
}

static bool copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		return false;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return true;
}

/* A value present at session level or in this m-line: the m-line's wins. */
static const char *attr(const GstSDPMessage *msg, const GstSDPMedia *m, const char *key)
{
	const char *v = gst_sdp_media_get_attribute_val(m, key);

	return v ? v : gst_sdp_message_get_attribute_val(msg, key);
}

static enum rtc_setup setup_of(const char *v)
{
	if (!v)
		return RTC_SETUP_NONE;
	if (!strcmp(v, "actpass"))
		return RTC_SETUP_ACTPASS;
	if (!strcmp(v, "active"))
		return RTC_SETUP_ACTIVE;
	if (!strcmp(v, "passive"))
		return RTC_SETUP_PASSIVE;
	return RTC_SETUP_NONE;
}

static enum rtc_dir dir_of(const GstSDPMedia *m)
{
	if (gst_sdp_media_get_attribute_val(m, "sendonly"))
		return RTC_DIR_SENDONLY;
	if (gst_sdp_media_get_attribute_val(m, "recvonly"))
		return RTC_DIR_RECVONLY;
	if (gst_sdp_media_get_attribute_val(m, "inactive"))
		return RTC_DIR_INACTIVE;
	return RTC_DIR_SENDRECV;
}

/* The first format with an a=rtpmap ("PT NAME/CLOCK[/CHANNELS]"). */
static int codec_of(const GstSDPMedia *m, struct rtc_sdp_media *o)
{
	for (unsigned int i = 0; i < gst_sdp_media_attributes_len(m); i++) {
		const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
		char name[16];
		int pt, n;
		unsigned int clock, ch = 0;

		if (strcmp(a->key, "rtpmap") || !a->value)
			continue;
		n = sscanf(a->value, "%d %15[^/]/%u/%u", &pt, name, &clock, &ch);
		if (n < 3 || pt < 0 || pt > 127)
			continue;
		strcpy(o->codec, name);
		o->pt = pt;
		o->clock = clock;
		o->channels = n == 4 ? ch : 0;
		for (unsigned int k = 0; k < gst_sdp_media_attributes_len(m); k++) {
			const GstSDPAttribute *f = gst_sdp_media_get_attribute(m, k);
			char *end;

			if (!strcmp(f->key, "fmtp") && f->value &&
			    strtol(f->value, &end, 10) == pt && *end == ' ') {
				if (!copy(o->fmtp, sizeof(o->fmtp), end + 1))
					o->fmtp[0] = '\0';
				break;
			}
		}
		return 0;
	}
	return -EINVAL;
}

/* RFC 5576 4.1: "a=ssrc:<ssrc-id> <attribute>[:<value>]", ssrc-id a
 * decimal 32-bit integer; one source usually has several lines (cname,
 * msid). The distinct ids, at most RTC_SDP_MAX_SSRCS. */
static int parse_ssrcs(const GstSDPMedia *m, struct rtc_sdp_media *o)
{
	const char *v;

	for (guint i = 0; (v = gst_sdp_media_get_attribute_val_n(m, "ssrc", i)); i++) {
		uint64_t id = 0;
		size_t n = 0;
		bool known = false;

		for (; v[n] >= '0' && v[n] <= '9' && n < 10; n++)
			id = id * 10 + (uint64_t)(v[n] - '0');
		if (!n || id > UINT32_MAX || (v[n] && v[n] != ' '))
			return -EINVAL;
		for (unsigned int k = 0; k < o->n_ssrcs; k++)
			known |= o->ssrcs[k] == (uint32_t)id;
		if (known)
			continue;
		if (o->n_ssrcs == RTC_SDP_MAX_SSRCS)
			return -E2BIG;
		o->ssrcs[o->n_ssrcs++] = (uint32_t)id;
	}
	o->ssrc = o->n_ssrcs ? o->ssrcs[0] : 0;
	return 0;
}

static int parse_media(const GstSDPMessage *msg, const GstSDPMedia *m, struct rtc_sdp *out,
		       struct rtc_sdp_media *o, const char **why)
{
	const char *ufrag = attr(msg, m, "ice-ufrag"), *pwd = attr(msg, m, "ice-pwd");
	const char *fp = attr(msg, m, "fingerprint");
	uint8_t f[RTC_FP_LEN];
	int ret;

	if (!copy(o->kind, sizeof(o->kind), gst_sdp_media_get_media(m)) ||
	    (strcmp(o->kind, "audio") && strcmp(o->kind, "video")))
		return fail(why, "an m-line is neither audio nor video", -ENOTSUP);
	if (!gst_sdp_media_get_attribute_val(m, "mid") ||
	    !copy(o->mid, sizeof(o->mid), gst_sdp_media_get_attribute_val(m, "mid")) || !o->mid[0])
		return fail(why, "an m-line has no usable a=mid", -EINVAL);
	o->rejected = gst_sdp_media_get_port(m) == 0;
	o->dir = dir_of(m);
	if (o->rejected)
		return 0;
	if (!gst_sdp_media_get_proto(m) || strcmp(gst_sdp_media_get_proto(m), "UDP/TLS/RTP/SAVPF"))
		return fail(why, "an m-line is not UDP/TLS/RTP/SAVPF", -ENOTSUP);
	if (!gst_sdp_media_get_attribute_val(m, "rtcp-mux"))
		return fail(why, "an m-line does not multiplex RTCP (rtcp-mux)", -ENOTSUP);
	if (codec_of(m, o))
		return fail(why, "an m-line has no rtpmap", -EINVAL);
	ret = parse_ssrcs(m, o);
	if (ret)
		return fail(why, ret == -E2BIG ? "an m-line names more than 4 SSRCs" :
						 "an m-line has a malformed a=ssrc",
			    -EINVAL);
	/* One transport (bundle): the same credentials and certificate on
	 * every m-line, or the peer is describing a transport we do not have. */
	if (!ufrag || !pwd || !fp)
		return fail(why, "an m-line has no ICE credentials or no fingerprint", -EINVAL);
	ret = rtc_fingerprint_parse(fp, strlen(fp), f);
	if (ret)
		return fail(why, ret == -ENOTSUP ? "the fingerprint is not sha-256" :
						   "the fingerprint is malformed",
			    ret);
	if (!out->ufrag[0]) {
		if (!copy(out->ufrag, sizeof(out->ufrag), ufrag) ||
		    !copy(out->pwd, sizeof(out->pwd), pwd))
			return fail(why, "the ICE credentials are too long", -EINVAL);
		memcpy(out->fingerprint, f, RTC_FP_LEN);
		out->setup = setup_of(attr(msg, m, "setup"));
	} else if (strcmp(out->ufrag, ufrag) || strcmp(out->pwd, pwd) ||
		   memcmp(out->fingerprint, f, RTC_FP_LEN) ||
		   out->setup != setup_of(attr(msg, m, "setup"))) {
		return fail(why, "the m-lines describe different transports (not bundled)", -ENOTSUP);
	}
	for (unsigned int i = 0; i < gst_sdp_media_attributes_len(m); i++) {
		const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);

		if (strcmp(a->key, "candidate") || !a->value)
			continue;
		if (out->n_candidates == RTC_SDP_MAX_CANDIDATES ||
		    !copy(out->candidate[out->n_candidates], RTC_SDP_CANDIDATE_MAX, a->value))
			return fail(why, "too many or too long ICE candidates", -EINVAL);
		out->n_candidates++;
	}
	return 0;
}

int rtc_sdp_parse(const char *text, size_t len, struct rtc_sdp *out, const char **why)
{
	GstSDPMessage *msg = NULL;
	const char *group;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (gst_sdp_message_new(&msg) != GST_SDP_OK)
		return fail(why, "out of memory", -ENOMEM);
	if (memchr(text, '\0', len) || gst_sdp_message_parse_buffer((const guint8 *)text, len, msg) != GST_SDP_OK) {
		ret = fail(why, "the SDP does not parse", -EINVAL);
		goto out;
	}
	if (!gst_sdp_message_medias_len(msg) ||
	    gst_sdp_message_medias_len(msg) > RTC_SDP_MAX_MEDIA) {
		ret = fail(why, "the SDP has no m-line or too many", -EINVAL);
		goto out;
	}
	group = gst_sdp_message_get_attribute_val(msg, "group");
	if (gst_sdp_message_medias_len(msg) > 1 && (!group || strncmp(group, "BUNDLE ", 7))) {
		ret = fail(why, "the m-lines are not bundled", -ENOTSUP);
		goto out;
	}
	for (unsigned int i = 0; i < gst_sdp_message_medias_len(msg); i++) {
		ret = parse_media(msg, gst_sdp_message_get_media(msg, i), out, &out->media[i], why);
		if (ret)
			goto out;
		out->n_media++;
	}
	if (!out->ufrag[0])
		ret = fail(why, "every m-line is rejected", -EINVAL);
	else if (out->setup == RTC_SETUP_NONE)
		ret = fail(why, "the SDP has no usable a=setup", -EINVAL);
out:
	gst_sdp_message_free(msg);
	return ret;
}

static const char *const dir_name[] = {
	[RTC_DIR_SENDRECV] = "sendrecv",
	[RTC_DIR_SENDONLY] = "sendonly",
	[RTC_DIR_RECVONLY] = "recvonly",
	[RTC_DIR_INACTIVE] = "inactive",
};

static const char *const setup_name[] = {
	[RTC_SETUP_NONE] = NULL,
	[RTC_SETUP_ACTPASS] = "actpass",
	[RTC_SETUP_ACTIVE] = "active",
	[RTC_SETUP_PASSIVE] = "passive",
};

static void add_media(GstSDPMessage *msg, const struct rtc_sdp_local *l,
		      const struct rtc_sdp_local_media *lm, const char *fp, bool first)
{
	GstSDPMedia *m;
	char buf[256];

	gst_sdp_media_new(&m);
	gst_sdp_media_set_media(m, lm->kind);
	gst_sdp_media_set_port_info(m, lm->rejected ? 0 : 9, 1);
	gst_sdp_media_set_proto(m, "UDP/TLS/RTP/SAVPF");
	snprintf(buf, sizeof(buf), "%d", lm->pt);
	gst_sdp_media_add_format(m, buf);
	gst_sdp_media_add_connection(m, "IN", "IP4", "0.0.0.0", 0, 0);
	gst_sdp_media_add_attribute(m, "mid", lm->mid);
	if (!lm->rejected) {
		gst_sdp_media_add_attribute(m, "ice-ufrag", l->ufrag);
		gst_sdp_media_add_attribute(m, "ice-pwd", l->pwd);
		gst_sdp_media_add_attribute(m, "fingerprint", fp);
		gst_sdp_media_add_attribute(m, "setup", setup_name[l->setup]);
		gst_sdp_media_add_attribute(m, dir_name[lm->dir], "");
		gst_sdp_media_add_attribute(m, "rtcp-mux", "");
		if (lm->channels)
			snprintf(buf, sizeof(buf), "%d %s/%u/%u", lm->pt, lm->codec, lm->clock,
				 lm->channels);
		else
			snprintf(buf, sizeof(buf), "%d %s/%u", lm->pt, lm->codec, lm->clock);
		gst_sdp_media_add_attribute(m, "rtpmap", buf);
		if (lm->fmtp && *lm->fmtp) {
			snprintf(buf, sizeof(buf), "%d %s", lm->pt, lm->fmtp);
			gst_sdp_media_add_attribute(m, "fmtp", buf);
		}
		if (!strcmp(lm->kind, "video")) {
			/* Keyframe requests only: no NACK (no retransmission here). */
			snprintf(buf, sizeof(buf), "%d nack pli", lm->pt);
			gst_sdp_media_add_attribute(m, "rtcp-fb", buf);
			snprintf(buf, sizeof(buf), "%d ccm fir", lm->pt);
			gst_sdp_media_add_attribute(m, "rtcp-fb", buf);
		}
		if (lm->ssrc) {
			snprintf(buf, sizeof(buf), "%u cname:%s", lm->ssrc, l->cname);
			gst_sdp_media_add_attribute(m, "ssrc", buf);
		}
		/* Bundle: the transport's candidates go on the first m-line. */
		for (unsigned int i = 0; first && i < l->n_candidates; i++)
			gst_sdp_media_add_attribute(m, "candidate", l->candidate[i]);
		if (first)
			gst_sdp_media_add_attribute(m, "end-of-candidates", "");
	}
	gst_sdp_message_add_media(msg, m);
	gst_sdp_media_free(m);
}

char *rtc_sdp_build(const struct rtc_sdp_local *l)
{
	GstSDPMessage *msg;
	char fp[RTC_FP_TEXT_LEN], sess[24], group[8 + RTC_SDP_MAX_MEDIA * 33] = "BUNDLE";
	char *text;
	bool first = true;

	if (!l->n_media || l->n_media > RTC_SDP_MAX_MEDIA || !l->ufrag || !l->pwd ||
	    !l->cname || l->setup == RTC_SETUP_NONE || l->n_candidates > RTC_SDP_MAX_CANDIDATES)
		return NULL;
	rtc_fingerprint_format(l->fingerprint, fp);
	gst_sdp_message_new(&msg);
	gst_sdp_message_set_version(msg, "0");
	snprintf(sess, sizeof(sess), "%llu", (unsigned long long)(l->session_id >> 1));
	gst_sdp_message_set_origin(msg, "-", sess, "2", "IN", "IP4", "127.0.0.1");
	gst_sdp_message_set_session_name(msg, "-");
	gst_sdp_message_add_time(msg, "0", "0", NULL);
	for (unsigned int i = 0; i < l->n_media; i++) {
		if (l->media[i].rejected || strlen(l->media[i].mid) > 31)
			continue;
		strcat(group, " ");
		strcat(group, l->media[i].mid);
	}
	gst_sdp_message_add_attribute(msg, "group", group);
	gst_sdp_message_add_attribute(msg, "msid-semantic", " WMS");
	for (unsigned int i = 0; i < l->n_media; i++) {
		add_media(msg, l, &l->media[i], fp, first && !l->media[i].rejected);
		if (!l->media[i].rejected)
			first = false;
	}
	text = gst_sdp_message_as_text(msg);
	gst_sdp_message_free(msg);
	return text;
}
