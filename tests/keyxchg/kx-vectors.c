// SPDX-License-Identifier: MIT
/*
 * kx-vectors: libkx from the command line, for test_kx_vectors.py, which
 * checks every output against an independent Python implementation
 * (PyNaCl, cryptography). Binary in and out as lowercase hex.
 *
 *   kx-vectors ik SEED                          -> IK
 *   kx-vectors ek SK                            -> EK public key
 *   kx-vectors pair-key SELF_SK MEETING IK_HOST IK_MEMBER EK_HOST EK_MEMBER
 *   kx-vectors join E ROSTER_HASH               -> E'
 *   kx-vectors media E MEETING SENDER STREAM EPOCH -> "KEY KID FINGERPRINT"
 *   kx-vectors seal PAIR MEETING EPOCH ROSTER FROM TO NONCE E -> SEALED
 *   kx-vectors open PAIR MEETING EPOCH ROSTER FROM TO NONCE SEALED -> E
 *   kx-vectors fingerprint HEX                  -> 16 hex digits
 *   kx-vectors sign SEED < JSON                 -> signed JSON, then canonical hex
 *   kx-vectors verify [ROSTER_JSON_FILE] < JSON -> "TYPE CANONICAL_HEX [H(roster)]"
 *   kx-vectors knock-hash < ANNOUNCE_JSON       -> H(announce), what a deny names
 *   kx-vectors codeword IK                      -> the device's codeword
 *   kx-vectors meeting-tag IK S                 -> the 6-byte tag of (IK, s)
 *   kx-vectors meeting-code ID                  -> the meeting code of an id, as text
 *   kx-vectors meeting-bound ID CODE IK         -> exit 0 when CODE (text) names ID and IK
 *   kx-vectors group-code E MEETING EPOCH ROSTER_HASH -> the epoch's group security code
 *   kx-vectors confirm E MEETING EPOCH ROSTER_HASH -> an ack's confirmation MAC (hex)
 *
 * Exit 0, 1 when a check fails (error number on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "e2ee/codeword.h"
#include "e2ee/secret.h"
#include "kx/chain.h"
#include "kx/identity.h"
#include "kx/meeting.h"
#include "kx/msg.h"
#include "kx/schedule.h"

static int usage(void)
{
	fprintf(stderr, "usage: see the comment at the top of tests/keyxchg/kx-vectors.c\n");
	return 2;
}

static int hex(const char *s, uint8_t *out, size_t n)
{
	size_t len;

	if (strlen(s) != 2 * n || sodium_hex2bin(out, n, s, strlen(s), NULL, &len, NULL) ||
	    len != n) {
		fprintf(stderr, "want %zu bytes of hex: %s\n", n, s);
		return -1;
	}
	return 0;
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int fail(int err)
{
	fprintf(stderr, "error %d (%s)\n", err, strerror(-err));
	return 1;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = KX_JSON_MAX + 2;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	*len = fread(buf, 1, cap - 1, f);
	buf[*len] = 0;
	while (*len && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		buf[--*len] = 0;
	return buf;
}

static int print_canon(const struct kx_msg *m)
{
	static uint8_t canon[KX_CANON_MAX];
	size_t len;
	int ret = kx_msg_canon(m, canon, sizeof(canon), &len);

	if (ret)
		return ret;
	print_hex(canon, len);
	return 0;
}

static int cmd_sign(const char *seed_hex)
{
	static struct kx_msg m;
	static char out[KX_JSON_MAX];
	struct kx_identity id;
	uint8_t seed[32];
	size_t len, olen;
	char *in;
	int ret;

	if (hex(seed_hex, seed, 32))
		return 2;
	in = read_all(stdin, &len);
	if (!in)
		return 1;
	ret = kx_msg_decode(in, len, KX_MSG_NONE, &m);
	free(in);
	if (ret)
		return fail(ret);
	ret = kx_identity_from_seed(seed, &id);
	e2ee_wipe(seed, sizeof(seed));
	if (!ret)
		ret = kx_msg_sign(&m, &id);
	kx_identity_close(&id);
	if (!ret)
		ret = kx_msg_to_json(&m, out, sizeof(out), &olen);
	if (ret)
		return fail(ret);
	printf("%s\n", out);
	ret = print_canon(&m);
	printf("\n");
	return ret ? fail(ret) : 0;
}

static int cmd_verify(const char *roster_file)
{
	static struct kx_chain chain;
	static struct kx_msg m, r;
	uint8_t h[KX_HASH_BYTES];
	size_t len;
	char *in;
	int ret;

	kx_chain_init(&chain);
	if (roster_file) {
		FILE *f = fopen(roster_file, "r");

		if (!f)
			return fail(-errno);
		in = read_all(f, &len);
		fclose(f);
		if (!in)
			return 1;
		ret = kx_msg_parse(in, len, KX_MSG_ROSTER, NULL, &r);
		free(in);
		if (!ret)
			ret = kx_chain_start(&chain, &r, NULL, KX_NO_PARTICIPANT, NULL);
		if (ret)
			return fail(ret);
	}
	in = read_all(stdin, &len);
	if (!in)
		return 1;
	ret = kx_msg_parse(in, len, KX_MSG_NONE, roster_file ? &chain : NULL, &m);
	free(in);
	if (ret)
		return fail(ret);
	printf("%s ", kx_msg_type_name(m.type));
	ret = print_canon(&m);
	if (!ret && m.type == KX_MSG_ROSTER) {
		ret = kx_roster_hash(&m.u.roster, h);
		printf(" ");
		print_hex(h, sizeof(h));
	}
	printf("\n");
	return ret ? fail(ret) : 0;
}

static int cmd_knock_hash(void)
{
	static struct kx_msg m;
	uint8_t h[KX_HASH_BYTES];
	size_t len;
	char *in = read_all(stdin, &len);
	int ret;

	if (!in)
		return 1;
	ret = kx_msg_parse(in, len, KX_MSG_ANNOUNCE, NULL, &m);
	free(in);
	if (!ret)
		ret = kx_announce_hash(&m.u.announce, h);
	if (ret)
		return fail(ret);
	print_hex(h, sizeof(h));
	printf("\n");
	return 0;
}

static int cmd_pair(char **a)
{
	uint8_t sk[32], meeting[16], ikh[32], ikm[32], ekh[32], ekm[32], out[32];
	struct kx_ek ek;
	struct kx_pair_keys keys = {ikh, ikm, ekh, ekm};
	int ret;

	if (hex(a[0], sk, 32) || hex(a[1], meeting, 16) || hex(a[2], ikh, 32) ||
	    hex(a[3], ikm, 32) || hex(a[4], ekh, 32) || hex(a[5], ekm, 32))
		return 2;
	ret = kx_ek_from_secret(sk, &ek);
	if (!ret)
		ret = kx_pair_key(&ek, meeting, &keys, out);
	kx_ek_free(&ek);
	e2ee_wipe(sk, sizeof(sk));
	if (ret)
		return fail(ret);
	print_hex(out, 32);
	printf("\n");
	e2ee_wipe(out, sizeof(out));
	return 0;
}

static int epoch_key_args(char **a, struct kx_epoch_key *k, uint8_t pair[32])
{
	memset(k, 0, sizeof(*k));
	if (hex(a[0], pair, 32) || hex(a[1], k->meeting, 16) || hex(a[3], k->roster, 32) ||
	    hex(a[6], k->nonce, KX_NONCE_BYTES))
		return -1;
	k->epoch = strtoull(a[2], NULL, 10);
	k->from = (uint16_t)strtoul(a[4], NULL, 10);
	k->to = (uint16_t)strtoul(a[5], NULL, 10);
	return 0;
}

/* The codeword and the meeting code (PROTOCOL.md 2.1, 8). */
static int cmd_meeting(int argc, char **argv)
{
	uint8_t ik[KX_IK_BYTES], id[KX_MEETING_ID_BYTES], code[KX_MEETING_CODE_BYTES];
	char text[KX_MEETING_CODE_SIZE], word[E2EE_CODEWORD_SIZE];
	int ret;

	if (!strcmp(argv[1], "codeword") && argc == 3) {
		if (hex(argv[2], ik, sizeof(ik)))
			return 2;
		if ((ret = e2ee_codeword(ik, word)))
			return fail(ret);
		printf("%s\n", word);
		return 0;
	}
	if (!strcmp(argv[1], "meeting-tag") && argc == 4) {
		if (hex(argv[2], ik, sizeof(ik)) || hex(argv[3], code, KX_MEETING_SALT_BYTES))
			return 2;
		if ((ret = kx_meeting_tag(ik, code, code + KX_MEETING_SALT_BYTES)))
			return fail(ret);
		print_hex(code + KX_MEETING_SALT_BYTES, KX_MEETING_TAG_BYTES);
		printf("\n");
		return 0;
	}
	if (!strcmp(argv[1], "meeting-code") && argc == 3) {
		if (hex(argv[2], id, sizeof(id)))
			return 2;
		kx_meeting_code_text(id, text);
		printf("%s\n", text);
		return 0;
	}
	if ((!strcmp(argv[1], "group-code") || !strcmp(argv[1], "confirm")) && argc == 6) {
		uint8_t e[KX_SECRET_BYTES], h[KX_HASH_BYTES], mac[KX_HASH_BYTES];
		bool confirm = !strcmp(argv[1], "confirm");

		if (hex(argv[2], e, sizeof(e)) || hex(argv[3], id, sizeof(id)) ||
		    hex(argv[5], h, sizeof(h)))
			return 2;
		ret = confirm ? kx_confirm(e, id, strtoull(argv[4], NULL, 10), h, mac)
			      : kx_group_code(e, id, strtoull(argv[4], NULL, 10), h, word);
		e2ee_wipe(e, sizeof(e));
		if (ret)
			return fail(ret);
		if (confirm) {
			print_hex(mac, sizeof(mac));
			printf("\n");
		} else
			printf("%s\n", word);
		return 0;
	}
	if (!strcmp(argv[1], "meeting-bound") && argc == 5) {
		if (hex(argv[2], id, sizeof(id)) || hex(argv[4], ik, sizeof(ik)))
			return 2;
		if ((ret = kx_meeting_code_parse(argv[3], code)) ||
		    (ret = kx_meeting_bound(id, code, ik)))
			return fail(ret);
		printf("bound\n");
		return 0;
	}
	return usage();
}

int main(int argc, char **argv)
{
	uint8_t a[32], b[32], out[32];
	int ret;

	if (kx_init())
		return 1;
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "ik") && argc == 3) {
		struct kx_identity id;

		if (hex(argv[2], a, 32))
			return 2;
		if ((ret = kx_identity_from_seed(a, &id)))
			return fail(ret);
		print_hex(id.ik, 32);
		printf("\n");
		kx_identity_close(&id);
		return 0;
	}
	if (!strcmp(argv[1], "ek") && argc == 3) {
		struct kx_ek ek;

		if (hex(argv[2], a, 32))
			return 2;
		if ((ret = kx_ek_from_secret(a, &ek)))
			return fail(ret);
		print_hex(ek.pk, 32);
		printf("\n");
		kx_ek_free(&ek);
		return 0;
	}
	if (!strcmp(argv[1], "pair-key") && argc == 8)
		return cmd_pair(argv + 2);
	if (!strcmp(argv[1], "join") && argc == 4) {
		if (hex(argv[2], a, 32) || hex(argv[3], b, 32))
			return 2;
		if ((ret = kx_epoch_join(a, b, out)))
			return fail(ret);
		print_hex(out, 32);
		printf("\n");
		return 0;
	}
	if (!strcmp(argv[1], "media") && argc == 7) {
		uint8_t meeting[16];
		char fp[KX_FINGERPRINT_HEX_SIZE];
		unsigned long sender = strtoul(argv[4], NULL, 10);
		unsigned long stream = strtoul(argv[5], NULL, 10);
		unsigned long long epoch = strtoull(argv[6], NULL, 10);

		if (hex(argv[2], a, 32) || hex(argv[3], meeting, 16) || sender > 0xffff)
			return 2;
		if ((ret = kx_media_key(a, meeting, (uint16_t)sender, (unsigned int)stream, epoch,
					out)))
			return fail(ret);
		kx_fingerprint_hex(out, 32, fp);
		print_hex(out, 32);
		printf(
		    " %llu %s\n",
		    (unsigned long long)kx_media_kid((unsigned int)stream, (uint16_t)sender, epoch),
		    fp);
		return 0;
	}
	if (!strcmp(argv[1], "seal") && argc == 10) {
		struct kx_epoch_key k;
		uint8_t nonce[KX_NONCE_BYTES];

		if (epoch_key_args(argv + 2, &k, b) || hex(argv[9], a, 32))
			return 2;
		memcpy(nonce, k.nonce, sizeof(nonce));
		if ((ret = kx_epoch_key_seal_nonce(&k, b, a, nonce)))
			return fail(ret);
		print_hex(k.sealed, sizeof(k.sealed));
		printf("\n");
		return 0;
	}
	if (!strcmp(argv[1], "open") && argc == 10) {
		struct kx_epoch_key k;

		if (epoch_key_args(argv + 2, &k, b) || hex(argv[9], k.sealed, KX_SEALED_BYTES))
			return 2;
		if ((ret = kx_epoch_key_open(&k, b, out)))
			return fail(ret);
		print_hex(out, 32);
		printf("\n");
		return 0;
	}
	if (!strcmp(argv[1], "fingerprint") && argc == 3) {
		size_t n = strlen(argv[2]) / 2;
		uint8_t *buf = malloc(n + 1);
		char fp[KX_FINGERPRINT_HEX_SIZE];

		if (!buf || hex(argv[2], buf, n))
			return 2;
		kx_fingerprint_hex(buf, n, fp);
		printf("%s\n", fp);
		free(buf);
		return 0;
	}
	if (!strcmp(argv[1], "sign") && argc == 3)
		return cmd_sign(argv[2]);
	if (!strcmp(argv[1], "knock-hash") && argc == 2)
		return cmd_knock_hash();
	if (!strcmp(argv[1], "verify") && (argc == 2 || argc == 3))
		return cmd_verify(argc == 3 ? argv[2] : NULL);
	return cmd_meeting(argc, argv);
}
