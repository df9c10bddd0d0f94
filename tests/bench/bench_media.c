// SPDX-License-Identifier: MIT
/*
 * bench-media: the CPU that e2eeenc ! e2eedec add to a real 4K H.264 stream,
 * next to what SRTP adds to the same stream and to raw AES-128-GCM, all
 * measured in the same run.
 *
 *   bench-media STREAM.h264 [ROUNDS]
 *
 * STREAM.h264 is made on first use (10 s of 3840x2160 at 30 fps, x264
 * ultrafast at 20 Mbit/s, byte-stream access units) and reused after. Then
 * these pipelines run in-process from the file to EOS, interleaved, ROUNDS
 * times (default 3), keeping the least CPU time (user + sys, getrusage) of
 * each:
 *
 *   1 parse:  filesrc ! h264parse ! fakesink
 *   2 e2ee:   filesrc ! h264parse ! e2eeenc ! e2eedec ! fakesink
 *   3 rtp:    filesrc ! h264parse ! rtph264pay ! rtph264depay ! fakesink
 *   4 srtp:   filesrc ! h264parse ! rtph264pay ! srtpenc ! srtpdec ! rtph264depay ! fakesink
 *
 * and prints
 *
 *   media: e2ee_ns_per_byte=... srtp_ns_per_byte=... e2ee_over_srtp=... e2ee_over_gcm=...
 *          allocs_per_frame=...
 *   media: bytes=... frames=... cpu_ms_parse=... ...
 *
 * e2ee_ns_per_byte is (2 - 1) / stream bytes, srtp_ns_per_byte (4 - 3) / stream
 * bytes; both cover protect and unprotect. e2ee_over_gcm divides the first by
 * mbedTLS AES-128-GCM encrypt + decrypt of a 100 KB buffer.
 *
 * A third line, media: wipe_bytes_per_frame=... wipe_ns_per_byte=...
 * wipe_over_e2ee=..., is what e2eedec's wipe of its output buffers costs
 * (docs/media-path.md "Wiping decrypted frames"): the bytes it reports wiped
 * (stats wiped-bytes, after the checked pass) per frame, times the ns per
 * byte of mbedtls_platform_zeroize measured here on a buffer of that size,
 * per stream byte; and its share of e2ee_ns_per_byte. (Measured that way
 * because an A/B of the pipeline would need a knob that turns wiping off.)
 *
 * allocs_per_frame: malloc, calloc and realloc calls (this program wraps
 * them, and re-executes itself with G_SLICE=always-malloc so that GLib 2.74's
 * slice allocator, which GStreamer 1.22 uses for buffers, events and
 * structures, goes through them too, as it always does from GLib 2.76 on)
 * made by the streaming thread while the sink receives the middle 60 % of the
 * frames, in pipeline 2 minus pipeline 1, divided by the frames of that
 * window. That one thread (there is no queue) runs every element from filesrc
 * to fakesink, so that the difference is what e2eeenc, e2eedec and their two
 * extra pad pushes allocate per frame in steady state; key loading, pools and
 * caps at start-up fall outside the window.
 *
 * Before any timing, one untimed pass checks that pipelines 2 to 4 hand the
 * sink every frame, and the same NAL units (parameter sets and delimiters
 * aside, which payloaders may repeat), as pipeline 1: a pipeline that drops
 * or passes garbage is never measured. (srtpdec 1.22 needs a pad probe to
 * decrypt what rtph264pay sends it at all: see on_srtpdec_list.) Exit 0 when
 * it measured, 1 when something is broken, 2 on bad usage. Never fails on
 * speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gst/gst.h>
#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>

/*
 * Allocation counting: this program's malloc family wraps glibc's, and
 * counts per thread, so that GLib's idle pool threads and the main loop add
 * no noise to the streaming thread's count.
 */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static _Thread_local long thread_allocs;

void *malloc(size_t n)
{
	thread_allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	thread_allocs++;
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	thread_allocs++;
	return __libc_realloc(p, n);
}

#define ENC_FRAMES	  300 /* 10 s at 30 fps */
#define EOS_TIMEOUT	  (120 * GST_SECOND)
#define KID_VIDEO_SENDER0 16777216ull /* stream video (1) << 24, sender 0, epoch 0 */
#define GCM_SIZE	  100000

#define PARSE                                                                                      \
	"filesrc name=src ! h264parse ! "                                                          \
	"video/x-h264,stream-format=byte-stream,alignment=au ! "
#define AU_CAPS "video/x-h264,stream-format=byte-stream,alignment=au ! "
#define SINK	"fakesink name=sink sync=false async=false enable-last-sample=false"

enum { P_PARSE, P_E2EE, P_RTP, P_SRTP, P_COUNT };

static const struct {
	const char *name;
	const char *desc;
} cases[P_COUNT] = {
    [P_PARSE] = {"parse", PARSE SINK},
    [P_E2EE] = {"e2ee", PARSE "e2eeenc name=enc ! e2eedec name=dec ! " SINK},
    [P_RTP] = {"rtp", PARSE "rtph264pay ! rtph264depay ! " AU_CAPS SINK},
    [P_SRTP] = {"srtp", PARSE "rtph264pay ! srtpenc name=senc ! srtpdec name=sdec ! "
			      "rtph264depay ! " AU_CAPS SINK},
};

struct bench {
	const char *stream;
	char *send_keys, *recv_keys; /* key files, 0600, in a 0700 temp dir */
	char *key_dir;
	GstBuffer *srtp_key;	/* 30 bytes: AES_CM_128_HMAC_SHA1_80 master key + salt */
	guint64 ref_frames;	/* frames pipeline 1 delivers */
	guint64 win_lo, win_hi; /* the allocation window, in frames at the sink */
	int srtp_key_requests;
	guint64 wiped_bytes;	/* e2eedec's wiped-bytes after the checked pass */
};

/* What the sink saw, counted in a pad probe on its sink pad. */
struct sink_count {
	guint64 frames, bytes, hash;
	gboolean do_hash;
	guint64 win_lo, win_hi;
	long alloc_lo, alloc_hi;
};

struct result {
	double cpu_ns;
	long win_allocs;
	struct sink_count sink;
};

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

/* FNV-1a over one NAL unit, its trailing zero bytes (part of a 4-byte start code) set aside. */
static guint64 hash_nal(guint64 h, const guint8 *d, gsize n)
{
	while (n && d[n - 1] == 0)
		n--;
	if (!n)
		return h;
	switch (d[0] & 0x1f) {
	case 7: /* SPS */
	case 8: /* PPS */
	case 9: /* AUD */
		return h;
	}
	for (gsize i = 0; i < n; i++)
		h = (h ^ d[i]) * 0x100000001b3ull;
	return (h ^ n) * 0x100000001b3ull;
}

/* The NAL units of a byte-stream access unit, whatever their start codes. */
static guint64 hash_au(guint64 h, const guint8 *d, gsize n)
{
	gsize start = 0;
	gboolean in_nal = FALSE;

	for (gsize i = 0; i + 2 < n;) {
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
			if (in_nal)
				h = hash_nal(h, d + start, i - start);
			i += 3;
			start = i;
			in_nal = TRUE;
		} else {
			i++;
		}
	}
	if (in_nal)
		h = hash_nal(h, d + start, n - start);
	return h;
}

static void count_buffer(struct sink_count *c, GstBuffer *buf)
{
	c->frames++;
	c->bytes += gst_buffer_get_size(buf);
	if (c->do_hash) {
		GstMapInfo m;

		if (gst_buffer_map(buf, &m, GST_MAP_READ)) {
			c->hash = hash_au(c->hash, m.data, m.size);
			gst_buffer_unmap(buf, &m);
		}
	}
	if (c->frames == c->win_lo)
		c->alloc_lo = thread_allocs;
	if (c->frames == c->win_hi)
		c->alloc_hi = thread_allocs;
}

static GstPadProbeReturn on_sink_data(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct sink_count *c = data;

	if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
		count_buffer(c, GST_PAD_PROBE_INFO_BUFFER(info));
	} else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
		GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);

		for (guint i = 0; i < gst_buffer_list_length(list); i++)
			count_buffer(c, gst_buffer_list_get(list, i));
	}
	return GST_PAD_PROBE_OK;
}

/*
 * srtpdec 1.22 has no chain_list function: GstPad splits a buffer list and
 * chains each buffer while the list still holds a reference to it, so the
 * buffer is not writable, gst_srtp_dec_decode_buffer() decrypts a copy that
 * it then loses, and pushes the encrypted original (unreffing it once too
 * often: rtph264depay sees garbage, GStreamer warns "free_priv_data: object
 * finalizing but still has parent", the pipeline can stall). rtph264pay
 * pushes lists, srtpenc keeps them. So hand srtpdec each buffer alone, with
 * its only reference: what a fixed srtpdec would do at the same cost.
 */
static GstPadProbeReturn on_srtpdec_list(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	GstBufferList *list = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
	GstFlowReturn ret = GST_FLOW_OK;

	info->data = NULL;
	while (ret == GST_FLOW_OK && gst_buffer_list_length(list) > 0) {
		GstBuffer *buf = gst_buffer_ref(gst_buffer_list_get(list, 0));

		gst_buffer_list_remove(list, 0, 1);
		ret = gst_pad_chain(pad, buf);
	}
	gst_buffer_list_unref(list);
	GST_PAD_PROBE_INFO_FLOW_RETURN(info) = ret;
	return GST_PAD_PROBE_HANDLED;
}

/* srtpdec asks for the key of each new SSRC unless the caps carry it. */
static GstCaps *on_srtp_request_key(GstElement *dec, guint ssrc, gpointer data)
{
	struct bench *b = data;

	b->srtp_key_requests++;
	return gst_caps_new_simple("application/x-srtp", "srtp-key", GST_TYPE_BUFFER, b->srtp_key,
				   "srtp-cipher", G_TYPE_STRING, "aes-128-icm", "srtp-auth",
				   G_TYPE_STRING, "hmac-sha1-80", "srtcp-cipher", G_TYPE_STRING,
				   "aes-128-icm", "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80",
				   NULL);
}

static guint64 stat_u64(GstElement *e, const char *field)
{
	GstStructure *s = NULL;
	guint64 v = G_MAXUINT64;

	g_object_get(e, "stats", &s, NULL);
	if (s) {
		if (!gst_structure_get_uint64(s, field, &v))
			v = G_MAXUINT64;
		gst_structure_free(s);
	}
	return v;
}

static guint srtpdec_stat(GstElement *e, const char *field)
{
	GstStructure *s = NULL;
	guint v = G_MAXUINT;

	g_object_get(e, "stats", &s, NULL);
	if (s) {
		if (!gst_structure_get_uint(s, field, &v))
			v = G_MAXUINT;
		gst_structure_free(s);
	}
	return v;
}

/* Waits for EOS; false (message printed) on an error or a stall. */
static gboolean wait_eos(GstElement *pipe, const char *what)
{
	GstBus *bus = gst_element_get_bus(pipe);
	GstMessage *msg =
	    gst_bus_timed_pop_filtered(bus, EOS_TIMEOUT, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	gboolean ok = msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;

	if (!msg) {
		fprintf(stderr, "bench-media: %s: no EOS within %d s\n", what,
			(int)(EOS_TIMEOUT / GST_SECOND));
	} else if (!ok) {
		GError *err = NULL;
		char *dbg = NULL;

		gst_message_parse_error(msg, &err, &dbg);
		fprintf(stderr, "bench-media: %s: error from %s: %s\n%s\n", what,
			GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), err->message, dbg ? dbg : "");
		g_clear_error(&err);
		g_free(dbg);
	}
	if (msg)
		gst_message_unref(msg);
	gst_object_unref(bus);
	return ok;
}

static GstElement *by_name(GstElement *pipe, const char *name)
{
	GstElement *e = gst_bin_get_by_name(GST_BIN(pipe), name);

	if (!e) {
		fprintf(stderr, "bench-media: no element %s\n", name);
		exit(1);
	}
	return e;
}

/* Runs case p to EOS; with verify, hashes what the sink gets and checks the elements' counters. */
static gboolean run_case(struct bench *b, int p, gboolean verify, struct result *r)
{
	GError *err = NULL;
	GstElement *pipe = gst_parse_launch(cases[p].desc, &err), *e, *sink;
	GstPad *pad;
	gboolean ok;
	double t0;

	memset(r, 0, sizeof(*r));
	if (!pipe || err) {
		fprintf(stderr, "bench-media: %s: %s\n", cases[p].name,
			err ? err->message : "cannot build the pipeline");
		g_clear_error(&err);
		if (pipe)
			gst_object_unref(pipe);
		return FALSE;
	}
	e = by_name(pipe, "src");
	g_object_set(e, "location", b->stream, NULL);
	gst_object_unref(e);
	r->sink.do_hash = verify;
	r->sink.hash = 0xcbf29ce484222325ull;
	r->sink.win_lo = b->win_lo;
	r->sink.win_hi = b->win_hi;
	sink = by_name(pipe, "sink");
	pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
			  on_sink_data, &r->sink, NULL);
	gst_object_unref(pad);
	if (p == P_E2EE) {
		e = by_name(pipe, "enc");
		g_object_set(e, "key-file", b->send_keys, NULL);
		gst_object_unref(e);
		e = by_name(pipe, "dec");
		g_object_set(e, "key-file", b->recv_keys, NULL);
		gst_object_unref(e);
	} else if (p == P_SRTP) {
		e = by_name(pipe, "senc");
		g_object_set(e, "key", b->srtp_key, NULL);
		gst_object_unref(e);
		e = by_name(pipe, "sdec");
		g_signal_connect(e, "request-key", G_CALLBACK(on_srtp_request_key), b);
		pad = gst_element_get_static_pad(e, "rtp_sink");
		gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER_LIST, on_srtpdec_list, NULL, NULL);
		gst_object_unref(pad);
		gst_object_unref(e);
	}

	t0 = cpu_ns();
	ok = gst_element_set_state(pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE &&
	     wait_eos(pipe, cases[p].name);
	r->cpu_ns = cpu_ns() - t0;
	r->win_allocs = r->sink.alloc_hi - r->sink.alloc_lo;

	if (ok && verify && p == P_E2EE) {
		GstElement *enc = by_name(pipe, "enc"), *dec = by_name(pipe, "dec");
		guint64 ef = stat_u64(enc, "frames"), df = stat_u64(dec, "frames");
		guint64 af = stat_u64(dec, "auth-failed"), mf = stat_u64(dec, "malformed");

		b->wiped_bytes = stat_u64(dec, "wiped-bytes");

		if (ef != b->ref_frames || df != b->ref_frames || af || mf) {
			fprintf(stderr,
				"bench-media: e2ee: e2eeenc protected %" G_GUINT64_FORMAT
				" frames, e2eedec decrypted %" G_GUINT64_FORMAT
				" (auth-failed %" G_GUINT64_FORMAT ", malformed %" G_GUINT64_FORMAT
				"), the stream has %" G_GUINT64_FORMAT "\n",
				ef, df, af, mf, b->ref_frames);
			ok = FALSE;
		}
		gst_object_unref(enc);
		gst_object_unref(dec);
	}
	if (ok && verify && p == P_SRTP) {
		GstElement *dec = by_name(pipe, "sdec");
		guint n = srtpdec_stat(dec, "recv-count"),
		      drop = srtpdec_stat(dec, "recv-drop-count");

		if (n == 0 || n == G_MAXUINT || drop) {
			fprintf(stderr,
				"bench-media: srtp: srtpdec received %u packets, dropped %u\n", n,
				drop);
			ok = FALSE;
		}
		gst_object_unref(dec);
	}
	gst_object_unref(sink);
	/* A broken pipeline can hang in its teardown (srtpdec without the workaround
	 * spins on a corrupt buffer list): leave it to exit(). */
	if (!ok)
		return FALSE;
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(pipe);
	return TRUE;
}

/* ---------------------------------------------------------------- the test stream */

static GstPadProbeReturn on_encoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	g_atomic_int_inc((gint *)data);
	return GST_PAD_PROBE_OK;
}

/* Encodes the stream into path + ".part", then renames: an interrupted run leaves no stub. */
static gboolean make_stream(const char *path)
{
	static const char desc[] =
	    "videotestsrc name=src pattern=smpte horizontal-speed=8 is-live=false ! "
	    "video/x-raw,format=I420,width=3840,height=2160,framerate=30/1 ! "
	    "x264enc speed-preset=ultrafast bitrate=20000 key-int-max=60 ! h264parse ! "
	    "video/x-h264,stream-format=byte-stream,alignment=au ! filesink name=sink";
	char *part = g_strconcat(path, ".part", NULL), *dir = g_path_get_dirname(path);
	GError *err = NULL;
	GstElement *pipe = NULL, *e;
	GstBus *bus = NULL;
	GstPad *pad;
	gint done = 0;
	gboolean ok = FALSE;
	struct stat st;
	gint64 t0 = g_get_monotonic_time();

	if (g_mkdir_with_parents(dir, 0755)) {
		fprintf(stderr, "bench-media: cannot create %s: %s\n", dir, g_strerror(errno));
		goto out;
	}
	pipe = gst_parse_launch(desc, &err);
	if (!pipe || err) {
		fprintf(stderr,
			"bench-media: cannot build the encoder (gstreamer1.0-plugins-ugly "
			"has x264enc): %s\n",
			err ? err->message : "?");
		goto out;
	}
	e = by_name(pipe, "src");
	g_object_set(e, "num-buffers", ENC_FRAMES, NULL);
	gst_object_unref(e);
	e = by_name(pipe, "sink");
	g_object_set(e, "location", part, NULL);
	pad = gst_element_get_static_pad(e, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_encoded, &done, NULL);
	gst_object_unref(pad);
	gst_object_unref(e);

	fprintf(stderr, "bench-media: encoding %s: %d frames of 3840x2160 H.264\n", path,
		ENC_FRAMES);
	bus = gst_element_get_bus(pipe);
	if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
		goto out;
	for (;;) {
		GstMessage *msg = gst_bus_timed_pop_filtered(bus, GST_SECOND,
							     GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

		if (!msg) {
			fprintf(stderr, "bench-media: encoding: %d/%d frames, %.0f s\n",
				g_atomic_int_get(&done), ENC_FRAMES,
				(double)(g_get_monotonic_time() - t0) / 1e6);
			if (g_get_monotonic_time() - t0 > 30 * 60 * G_USEC_PER_SEC) {
				fprintf(stderr, "bench-media: encoding: gave up after 30 min\n");
				break;
			}
			continue;
		}
		ok = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
		if (!ok) {
			gst_message_parse_error(msg, &err, NULL);
			fprintf(stderr, "bench-media: encoding: %s\n", err->message);
		}
		gst_message_unref(msg);
		break;
	}
	gst_element_set_state(pipe, GST_STATE_NULL);
	if (ok && (stat(part, &st) || st.st_size == 0 || rename(part, path))) {
		fprintf(stderr, "bench-media: cannot write %s: %s\n", path, g_strerror(errno));
		ok = FALSE;
	}
	if (ok)
		fprintf(stderr, "bench-media: encoded %d frames, %lld bytes in %.1f s\n",
			g_atomic_int_get(&done), (long long)st.st_size,
			(double)(g_get_monotonic_time() - t0) / 1e6);
out:
	if (!ok)
		unlink(part);
	if (bus)
		gst_object_unref(bus);
	if (pipe)
		gst_object_unref(pipe);
	g_clear_error(&err);
	g_free(part);
	g_free(dir);
	return ok;
}

/* ---------------------------------------------------------------- keys */

static gboolean random_bytes(guint8 *p, size_t n)
{
	while (n) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return FALSE;
		p += r;
		n -= (size_t)r;
	}
	return TRUE;
}

/* One line "KID send|recv HEX", in a file that is 0600 from its creation. */
static gboolean write_key_file(const char *path, const char *usage, const guint8 *key, size_t len)
{
	char line[160];
	int fd, n = snprintf(line, sizeof(line), "%llu %s ", KID_VIDEO_SENDER0, usage);
	gboolean ok;

	for (size_t i = 0; i < len; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", key[i]);
	n += snprintf(line + n, sizeof(line) - (size_t)n, "\n");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	ok = fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, line, (size_t)n) == n;
	if (fd >= 0 && close(fd))
		ok = FALSE;
	mbedtls_platform_zeroize(line, sizeof(line));
	if (!ok)
		fprintf(stderr, "bench-media: cannot write %s: %s\n", path, g_strerror(errno));
	return ok;
}

static gboolean make_keys(struct bench *b)
{
	guint8 key[30];
	GError *err = NULL;
	gboolean ok;

	b->key_dir = g_dir_make_tmp("bench-media-XXXXXX", &err);
	if (!b->key_dir) {
		fprintf(stderr, "bench-media: %s\n", err->message);
		g_clear_error(&err);
		return FALSE;
	}
	b->send_keys = g_build_filename(b->key_dir, "send.keys", NULL);
	b->recv_keys = g_build_filename(b->key_dir, "recv.keys", NULL);
	ok = random_bytes(key, 16) && write_key_file(b->send_keys, "send", key, 16) &&
	     write_key_file(b->recv_keys, "recv", key, 16) && random_bytes(key, sizeof(key));
	if (ok)
		b->srtp_key = gst_buffer_new_memdup(key, sizeof(key));
	mbedtls_platform_zeroize(key, sizeof(key));
	return ok;
}

static void drop_keys(struct bench *b)
{
	if (b->send_keys)
		unlink(b->send_keys);
	if (b->recv_keys)
		unlink(b->recv_keys);
	if (b->key_dir)
		rmdir(b->key_dir);
	g_free(b->send_keys);
	g_free(b->recv_keys);
	g_free(b->key_dir);
	if (b->srtp_key)
		gst_buffer_unref(b->srtp_key);
}

/* ---------------------------------------------------------------- the baseline */

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * ns per byte of mbedtls_platform_zeroize (what e2ee_wipe() is) on a buffer
 * of size bytes, best of 5 rounds: the cost of e2eedec's wipe on return.
 */
static double wipe_ns_per_byte(size_t size)
{
	guint8 *buf = g_malloc(size);
	double best = 0;
	long iters = 1;

	memset(buf, 0x5c, size);
	for (double t0 = thread_ns(); thread_ns() - t0 < 12.5e6; iters *= 2)
		for (long i = 0; i < iters; i++)
			mbedtls_platform_zeroize(buf, size);
	for (int r = 0; r < 5; r++) {
		double t0 = thread_ns(), ns;

		for (long i = 0; i < iters; i++) {
			buf[i % size] = 1; /* not the same already-zero lines each time */
			mbedtls_platform_zeroize(buf, size);
		}
		ns = (thread_ns() - t0) / ((double)iters * (double)size);
		if (best == 0 || ns < best)
			best = ns;
	}
	g_free(buf);
	return best;
}

/* ns per byte of mbedTLS AES-128-GCM seal then open of 100 KB, best of 5 rounds. */
static double gcm_ns_per_byte(void)
{
	static guint8 pt[GCM_SIZE], ct[GCM_SIZE], out[GCM_SIZE];
	static const guint8 key[16] = {1, 2, 3, 4, 5}, aad[5] = {0x99};
	guint8 nonce[12] = {9}, tag[16];
	mbedtls_gcm_context gcm;
	double best = 0;
	long iters = 1;

	memset(pt, 0x5c, sizeof(pt));
	mbedtls_gcm_init(&gcm);
	if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 128))
		abort();
	/* About 50 ms a round. */
	for (double t0 = thread_ns(); thread_ns() - t0 < 12.5e6; iters *= 2)
		for (long i = 0; i < iters; i++)
			if (mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, GCM_SIZE, nonce,
						      12, aad, 5, pt, ct, 16, tag))
				abort();
	for (int r = 0; r < 5; r++) {
		double t0 = thread_ns(), ns;

		for (long i = 0; i < iters; i++) {
			nonce[0] = (guint8)i;
			if (mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, GCM_SIZE, nonce,
						      12, aad, 5, pt, ct, 16, tag) ||
			    mbedtls_gcm_auth_decrypt(&gcm, GCM_SIZE, nonce, 12, aad, 5, tag, 16, ct,
						     out))
				abort();
		}
		ns = (thread_ns() - t0) / ((double)iters * GCM_SIZE);
		if (best == 0 || ns < best)
			best = ns;
	}
	if (memcmp(pt, out, GCM_SIZE))
		abort();
	mbedtls_gcm_free(&gcm);
	return best;
}

/* ---------------------------------------------------------------- main */

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

int main(int argc, char **argv)
{
	static const char *const need[] = {"filesrc",	   "h264parse", "fakesink",
					   "e2eeenc",	   "e2eedec",	"rtph264pay",
					   "rtph264depay", "srtpenc",	"srtpdec"};
	struct bench b = {0};
	struct result r, best[P_COUNT] = {{0}}, ref;
	double gcm = 0;
	int rounds = argc > 2 ? atoi(argv[2]) : 3, status = 1;
	struct stat st;
	guint64 bytes;

	if (argc < 2 || argc > 3 || rounds < 1) {
		fprintf(stderr, "usage: bench-media STREAM.h264 [ROUNDS]\n");
		return 2;
	}
	/*
	 * GLib reads G_SLICE when it loads, before main: without always-malloc
	 * its slice allocator serves GStreamer's buffers, events and
	 * structures from magazines and the malloc count misses them.
	 */
	if (!getenv("G_SLICE")) {
		setenv("G_SLICE", "always-malloc", 1);
		execv("/proc/self/exe", argv);
		fprintf(stderr,
			"bench-media: cannot re-execute with G_SLICE=always-malloc (%s): "
			"allocs_per_frame misses slice allocations\n",
			strerror(errno));
	} else if (!strstr(getenv("G_SLICE"), "always-malloc")) {
		fprintf(stderr,
			"bench-media: G_SLICE=%s: allocs_per_frame misses slice "
			"allocations\n",
			getenv("G_SLICE"));
	}
	gst_init(&argc, &argv);
	b.stream = argv[1];

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		GstElementFactory *f = gst_element_factory_find(need[i]);

		if (!f) {
			fprintf(stderr, "bench-media: no element %s (is GST_PLUGIN_PATH set?)\n",
				need[i]);
			return 1;
		}
		gst_object_unref(f);
	}
	if ((stat(b.stream, &st) || st.st_size == 0) && !make_stream(b.stream))
		return 1;
	if (stat(b.stream, &st)) {
		fprintf(stderr, "bench-media: %s: %s\n", b.stream, strerror(errno));
		return 1;
	}
	bytes = (guint64)st.st_size;
	if (!make_keys(&b))
		goto out;

	/* Untimed: the reference (and a warm page cache), then every case checked against it. */
	if (!run_case(&b, P_PARSE, TRUE, &ref))
		goto out;
	b.ref_frames = ref.sink.frames;
	if (b.ref_frames < 10) {
		fprintf(stderr, "bench-media: %s: %" G_GUINT64_FORMAT " frames, too few\n",
			b.stream, b.ref_frames);
		goto out;
	}
	b.win_lo = b.ref_frames / 5;
	b.win_hi = b.ref_frames - b.ref_frames / 5;
	for (int p = P_E2EE; p < P_COUNT; p++) {
		if (!run_case(&b, p, TRUE, &r))
			goto out;
		if (r.sink.frames != b.ref_frames || r.sink.hash != ref.sink.hash) {
			fprintf(stderr,
				"bench-media: %s is broken: the sink got %" G_GUINT64_FORMAT
				" frames (%s NAL units), %s gets %" G_GUINT64_FORMAT "\n",
				cases[p].name, r.sink.frames,
				r.sink.hash == ref.sink.hash ? "the same" : "different",
				cases[P_PARSE].name, b.ref_frames);
			goto out;
		}
	}
	if (b.srtp_key_requests == 0)
		fprintf(stderr, "bench-media: note: srtpdec took its key from the caps\n");

	for (int round = 0; round < rounds; round++) {
		double g = gcm_ns_per_byte();

		if (gcm == 0 || g < gcm)
			gcm = g;
		for (int p = 0; p < P_COUNT; p++) {
			if (!run_case(&b, p, FALSE, &r))
				goto out;
			if (r.sink.frames != b.ref_frames) {
				fprintf(stderr,
					"bench-media: %s: %" G_GUINT64_FORMAT
					" frames at the sink, not %" G_GUINT64_FORMAT "\n",
					cases[p].name, r.sink.frames, b.ref_frames);
				goto out;
			}
			if (round == 0 || r.cpu_ns < best[p].cpu_ns)
				best[p].cpu_ns = r.cpu_ns;
			if (round == 0 || r.win_allocs < best[p].win_allocs)
				best[p].win_allocs = r.win_allocs;
		}
		fprintf(stderr,
			"bench-media: round %d/%d: parse %.0f e2ee %.0f rtp %.0f srtp %.0f ms\n",
			round + 1, rounds, best[P_PARSE].cpu_ns / 1e6, best[P_E2EE].cpu_ns / 1e6,
			best[P_RTP].cpu_ns / 1e6, best[P_SRTP].cpu_ns / 1e6);
	}

	{
		double e2ee = (best[P_E2EE].cpu_ns - best[P_PARSE].cpu_ns) / (double)bytes;
		double srtp = (best[P_SRTP].cpu_ns - best[P_RTP].cpu_ns) / (double)bytes;
		guint64 win = b.win_hi - b.win_lo;

		printf("media: e2ee_ns_per_byte=%.3f srtp_ns_per_byte=%.3f e2ee_over_srtp=%.2f "
		       "e2ee_over_gcm=%.2f allocs_per_frame=%.2f\n",
		       e2ee, srtp, ratio(e2ee, srtp), ratio(e2ee, gcm),
		       (double)(best[P_E2EE].win_allocs - best[P_PARSE].win_allocs) / (double)win);
		printf("media: bytes=%" G_GUINT64_FORMAT " frames=%" G_GUINT64_FORMAT
		       " cpu_ms_parse=%.1f cpu_ms_e2ee=%.1f cpu_ms_rtp=%.1f cpu_ms_srtp=%.1f "
		       "gcm_ns_per_byte=%.3f allocs_parse=%ld allocs_e2ee=%ld "
		       "window_frames=%" G_GUINT64_FORMAT " rounds=%d\n",
		       bytes, b.ref_frames, best[P_PARSE].cpu_ns / 1e6, best[P_E2EE].cpu_ns / 1e6,
		       best[P_RTP].cpu_ns / 1e6, best[P_SRTP].cpu_ns / 1e6, gcm,
		       best[P_PARSE].win_allocs, best[P_E2EE].win_allocs, win, rounds);
		if (b.wiped_bytes) {
			double per_frame = (double)b.wiped_bytes / (double)b.ref_frames;
			double w = wipe_ns_per_byte((size_t)per_frame) * (double)b.wiped_bytes /
				   (double)bytes;

			printf("media: wipe_bytes_per_frame=%.0f wipe_ns_per_byte=%.4f "
			       "wipe_over_e2ee=%.4f\n",
			       per_frame, w, ratio(w, e2ee));
		} else {
			fprintf(stderr, "bench-media: e2eedec wiped nothing\n");
			status = 1;
			goto out;
		}
	}
	fflush(stdout);
	status = 0;
out:
	drop_keys(&b);
	return status;
}
