// SPDX-License-Identifier: MIT
/*
 * e2ee-sframe: RFC 9605 from the command line, for people debugging a room
 * and for checking libe2ee against other implementations.
 *
 * Exit status: 0 success, 1 authentication failed, 2 bad usage or input.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2ee/codeword.h"
#include "e2ee/secret.h"
#include "e2ee/sframe.h"

#define EXIT_AUTH 1
#define EXIT_USAGE 2

static const char usage_text[] =
	"usage:\n"
	"  e2ee-sframe protect   [--suite N] --kid K --ctr C --base-key-file FILE|- [--metadata HEX]"
	" PLAINTEXT_HEX|-\n"
	"  e2ee-sframe unprotect [--suite N] --base-key-file FILE|- [--metadata HEX] SFRAME_HEX|-\n"
	"  e2ee-sframe parse     SFRAME_HEX|-\n"
	"  e2ee-sframe codeword  IDENTITY_PUBKEY_HEX\n"
	"suite: 1..5 (RFC 9605 8.1), default 4; KID and CTR: decimal, 0..18446744073709551615\n"
	"The base key is hex in FILE (not readable by group or others) or on standard input (-),\n"
	"never on the command line (/proc/*/cmdline); a frame's hex may come on standard input\n"
	"(-) too (a large frame exceeds the argument limit), but not both.\n";

struct hexbuf {
	uint8_t *p;
	size_t len;
	bool secret;
};

static int fail(int code, const char *msg)
{
	fprintf(stderr, "e2ee-sframe: %s\n", msg);
	return code;
}

/* Decimal only, no sign, no spaces, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}


static bool parse_hex(const char *s, struct hexbuf *b)
{
	size_t n = strlen(s);

	b->len = 0;
	if (n % 2)
		return false;
	b->p = malloc(n / 2 + 1);
	if (!b->p)
		return false;
	if (e2ee_hex_decode(s, n, b->p, n / 2 + 1) < 0) {
		free(b->p);
		b->p = NULL;
		return false;
	}
	b->len = n / 2;
	return true;
}

/*
 * Hex text from fd, whitespace around it dropped: at most max bytes of text.
 * The text is wiped before it is freed (it may be a key). NULL on error.
 */
static char *read_hex_text(int fd, size_t max)
{
	size_t len = 0, cap = 4096;
	char *t = malloc(cap + 1), *s;

	while (t) {
		ssize_t n;

		if (len == cap) {
			char *bigger = cap >= max ? NULL : malloc(2 * cap + 1);

			if (bigger)
				memcpy(bigger, t, len);
			e2ee_wipe(t, cap);
			free(t);
			t = bigger;
			cap *= 2;
			if (!t)
				break;
		}
		n = read(fd, t + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e2ee_wipe(t, cap);
			free(t);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!t)
		return NULL;
	t[len] = '\0';
	while (len && strchr(" \t\r\n", t[len - 1]))
		t[--len] = '\0';
	s = t + strspn(t, " \t\r\n");
	memmove(t, s, strlen(s) + 1);
	return t;
}

/* The base key from FILE (ours, not readable by group or others) or stdin. */
static bool read_key_file(const char *path, struct hexbuf *key)
{
	struct stat st;
	char *text;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : 0;
	bool ok;

	if (fd < 0)
		return false;
	if (fd && (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 077))) {
		close(fd);
		return false;
	}
	text = read_hex_text(fd, 2 * E2EE_SFRAME_MAX_BASE_KEY + 16);
	if (fd)
		close(fd);
	if (!text)
		return false;
	ok = parse_hex(text, key) && key->len && key->len <= E2EE_SFRAME_MAX_BASE_KEY;
	e2ee_wipe(text, strlen(text));
	free(text);
	return ok;
}

static void hexbuf_free(struct hexbuf *b)
{
	if (b->p && b->secret)
		e2ee_wipe(b->p, b->len);
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

struct args {
	bool have_kid, have_ctr, have_key;
	uint16_t suite;
	uint64_t kid, ctr;
	struct hexbuf key, metadata, input;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "kid", required_argument, NULL, 'k' },
		{ "ctr", required_argument, NULL, 'c' },
		{ "base-key-file", required_argument, NULL, 'b' },
		{ "metadata", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool key_from_stdin = false;
	uint64_t v;
	int c;

	a->suite = E2EE_SUITE_DEFAULT;
	a->key.secret = true;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_u64(optarg, &v) || !e2ee_suite_lookup((uint16_t)v) || v > 0xffff)
				return fail(EXIT_USAGE, "--suite must be 1, 2, 3, 4 or 5");
			a->suite = (uint16_t)v;
			break;
		case 'k':
			if (!parse_u64(optarg, &a->kid))
				return fail(EXIT_USAGE, "--kid must be a decimal in 0..2^64-1");
			a->have_kid = true;
			break;
		case 'c':
			if (!parse_u64(optarg, &a->ctr))
				return fail(EXIT_USAGE, "--ctr must be a decimal in 0..2^64-1");
			a->have_ctr = true;
			break;
		case 'b':
			hexbuf_free(&a->key);
			key_from_stdin = !strcmp(optarg, "-");
			if (!read_key_file(optarg, &a->key))
				return fail(EXIT_USAGE, "--base-key-file: 1 to 64 bytes of hex in a "
					    "file of mode 0600 or on standard input (-)");
			a->have_key = true;
			break;
		case 'm':
			hexbuf_free(&a->metadata);
			if (!parse_hex(optarg, &a->metadata))
				return fail(EXIT_USAGE, "--metadata must be hex");
			if (a->metadata.len > E2EE_SFRAME_MAX_METADATA)
				return fail(EXIT_USAGE, "--metadata longer than 1024 bytes");
			break;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return fail(EXIT_USAGE, "expected exactly one hex argument (see --help)");
	if (!strcmp(argv[optind], "-")) {
		/* The frame's hex on stdin: larger than argv may carry. */
		char *text;
		bool ok;

		if (key_from_stdin)
			return fail(EXIT_USAGE, "the key and the frame cannot both come on "
				    "standard input");
		text = read_hex_text(0, 2 * (E2EE_SFRAME_MAX_PAYLOAD + E2EE_SFRAME_MAX_OVERHEAD));
		if (!text)
			return fail(EXIT_USAGE, "cannot read the frame from standard input");
		ok = parse_hex(text, &a->input);
		e2ee_wipe(text, strlen(text));
		free(text);
		if (!ok)
			return fail(EXIT_USAGE, "standard input must be hex with an even number "
				    "of digits");
		return 0;
	}
	if (!parse_hex(argv[optind], &a->input))
		return fail(EXIT_USAGE, "argument must be hex with an even number of digits");
	return 0;
}

static int cmd_protect(struct args *a)
{
	struct e2ee_sframe_key key;
	uint8_t *out;
	size_t cap, len;
	int ret;

	if (!a->have_kid || !a->have_ctr || !a->have_key)
		return fail(EXIT_USAGE, "protect needs --kid, --ctr and --base-key-file");
	if (a->input.len > E2EE_SFRAME_MAX_PAYLOAD)
		return fail(EXIT_USAGE, "plaintext too large");
	cap = a->input.len + E2EE_SFRAME_MAX_OVERHEAD;
	out = malloc(cap);
	if (!out)
		return fail(EXIT_USAGE, "out of memory");
	ret = e2ee_sframe_key_init(&key, a->suite, a->kid, a->key.p, a->key.len);
	if (!ret)
		ret = e2ee_sframe_protect(&key, a->ctr, a->metadata.p, a->metadata.len,
					  a->input.p, a->input.len, out, cap, &len);
	e2ee_sframe_key_wipe(&key);
	if (!ret)
		print_hex(out, len);
	free(out);
	return ret ? fail(EXIT_USAGE, "protect failed") : 0;
}

static int cmd_unprotect(struct args *a)
{
	const struct e2ee_suite_info *s = e2ee_suite_lookup(a->suite);
	struct e2ee_sframe_key key;
	uint64_t kid, ctr;
	uint8_t *out;
	size_t len;
	int hdr, ret;

	if (!a->have_key)
		return fail(EXIT_USAGE, "unprotect needs --base-key-file");
	if (a->have_kid || a->have_ctr)
		return fail(EXIT_USAGE, "unprotect takes KID and CTR from the header");
	hdr = e2ee_sframe_header_parse(a->input.p, a->input.len, &kid, &ctr);
	if (hdr < 0)
		return fail(EXIT_USAGE, "malformed SFrame header");
	if (a->input.len - (size_t)hdr < s->nt)
		return fail(EXIT_USAGE, "SFrame shorter than its header and tag");
	out = malloc(a->input.len + 1);
	if (!out)
		return fail(EXIT_USAGE, "out of memory");
	ret = e2ee_sframe_key_init(&key, a->suite, kid, a->key.p, a->key.len);
	if (!ret)
		ret = e2ee_sframe_unprotect(&key, a->metadata.p, a->metadata.len, a->input.p,
					    a->input.len, out, a->input.len, &len, NULL);
	e2ee_sframe_key_wipe(&key);
	if (!ret)
		print_hex(out, len);
	e2ee_wipe(out, a->input.len);
	free(out);
	if (ret == -EBADMSG)
		return fail(EXIT_AUTH, "authentication failed");
	return ret ? fail(EXIT_USAGE, "unprotect failed") : 0;
}

static int cmd_parse(struct args *a)
{
	uint64_t kid, ctr;
	int hdr = e2ee_sframe_header_parse(a->input.p, a->input.len, &kid, &ctr);

	if (hdr < 0)
		return fail(EXIT_USAGE, "malformed SFrame header");
	printf("kid=%llu ctr=%llu header_len=%d\n", (unsigned long long)kid,
	       (unsigned long long)ctr, hdr);
	return 0;
}

static int cmd_codeword(struct args *a)
{
	char word[E2EE_CODEWORD_SIZE];

	if (a->input.len != E2EE_IDENTITY_KEY_BYTES)
		return fail(EXIT_USAGE, "identity key must be 32 bytes (64 hex digits)");
	if (e2ee_codeword(a->input.p, word))
		return fail(EXIT_USAGE, "codeword derivation failed (out of memory)");
	puts(word);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	const char *cmd;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	cmd = argv[1];
	ret = parse_args(argc - 1, argv + 1, &a);
	if (ret)
		goto out;
	if (!strcmp(cmd, "protect"))
		ret = cmd_protect(&a);
	else if (!strcmp(cmd, "unprotect"))
		ret = cmd_unprotect(&a);
	else if (!strcmp(cmd, "parse"))
		ret = cmd_parse(&a);
	else if (!strcmp(cmd, "codeword"))
		ret = cmd_codeword(&a);
	else
		ret = fail(EXIT_USAGE, "unknown command (protect, unprotect, parse, codeword)");
out:
	hexbuf_free(&a.key);
	hexbuf_free(&a.metadata);
	a.input.secret = true;
	hexbuf_free(&a.input);
	return ret;
}
