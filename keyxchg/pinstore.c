// SPDX-License-Identifier: MIT
/* Trust on first use: device id -> IK (keying.md "The codeword", "Pinned"). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"
#include "kx/pinstore.h"
#include "kx/schedule.h"

/* "<device> <64 hex>\n" */
#define LINE_MAX_LEN (KX_DEVICE_MAX + 1 + 2 * KX_IK_BYTES + 1)
#define FILE_MAX     ((size_t)KX_PIN_MAX * LINE_MAX_LEN)

static struct kx_pin *find(const struct kx_pinstore *ps, const char *device)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->pins[i].device, device))
			return &ps->pins[i];
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* lowercase only: one spelling per key */
}

static int grow(struct kx_pinstore *ps)
{
	size_t cap = ps->cap ? ps->cap * 2 : 16;
	struct kx_pin *p;

	if (ps->n < ps->cap)
		return 0;
	if (ps->n >= KX_PIN_MAX)
		return -ENOSPC;
	if (cap > KX_PIN_MAX)
		cap = KX_PIN_MAX;
	p = realloc(ps->pins, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	ps->pins = p;
	ps->cap = cap;
	return 0;
}

int kx_pin_parse(struct kx_pinstore *ps, const char *buf, size_t len)
{
	size_t pos = 0;
	int ret;

	ps->n = 0;
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		const char *sp;
		struct kx_pin pin;
		size_t dlen;

		if (!nl)
			return -EBADMSG; /* every line ends in \n */
		sp = memchr(line, ' ', (size_t)(nl - line));
		if (!sp)
			return -EBADMSG;
		dlen = (size_t)(sp - line);
		if (!kx_device_id_valid(line, dlen) || nl - sp - 1 != 2 * KX_IK_BYTES)
			return -EBADMSG;
		memcpy(pin.device, line, dlen);
		pin.device[dlen] = 0;
		for (size_t i = 0; i < KX_IK_BYTES; i++) {
			int hi = hexval(sp[1 + 2 * i]), lo = hexval(sp[2 + 2 * i]);

			if (hi < 0 || lo < 0)
				return -EBADMSG;
			pin.ik[i] = (uint8_t)(hi << 4 | lo);
		}
		if (find(ps, pin.device))
			return -EBADMSG;
		ret = grow(ps);
		if (ret)
			return ret;
		ps->pins[ps->n++] = pin;
		pos = (size_t)(nl - buf) + 1;
	}
	return 0;
}

static int load(struct kx_pinstore *ps, int dfd)
{
	char *buf = NULL;
	struct stat st;
	size_t got = 0;
	int fd, ret;

	fd = kx_open_owned(dfd, ps->file, "pin file", ps->path, &st);
	if (fd == -ENOENT)
		return 0; /* nothing pinned yet; the file appears with the first pin */
	if (fd < 0)
		return fd;
	if ((size_t)st.st_size > FILE_MAX) {
		ret = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	got = (size_t)st.st_size;
	ret = kx_read_all(fd, buf, got);
	if (ret)
		goto out;
	ret = kx_pin_parse(ps, buf, got);
	if (ret == -EBADMSG)
		kx_warn("REFUSED pin file %s: malformed", ps->path);
out:
	free(buf);
	close(fd);
	return ret;
}

static int save(struct kx_pinstore *ps)
{
	char *buf = malloc(ps->n * LINE_MAX_LEN + 1);
	size_t len = 0;
	int dfd, ret;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < ps->n; i++) {
		char hex[2 * KX_IK_BYTES + 1];

		sodium_bin2hex(hex, sizeof(hex), ps->pins[i].ik, KX_IK_BYTES);
		len += (size_t)snprintf(buf + len, LINE_MAX_LEN + 1, "%s %s\n", ps->pins[i].device,
					hex);
	}
	dfd = kx_state_dir_open(ps->dir);
	if (dfd < 0) {
		ret = dfd;
		goto out;
	}
	ret = kx_replace_file(dfd, ps->file, buf, len);
	if (ret == KX_NOT_SYNCED)
		ret = 0; /* the file holds the new pins (said loudly): they stand */
	close(dfd);
out:
	free(buf);
	return ret;
}

int kx_pin_open(const char *state_dir, struct kx_pinstore *ps)
{
	return kx_pin_open_file(state_dir, KX_PIN_FILE, ps);
}

int kx_pin_open_file(const char *state_dir, const char *name, struct kx_pinstore *ps)
{
	size_t plen = strlen(state_dir) + 1 + strlen(name) + 1;
	int dfd, ret;

	memset(ps, 0, sizeof(*ps));
	if (!*name || strchr(name, '/'))
		return -EINVAL;
	ps->dir = strdup(state_dir);
	ps->file = strdup(name);
	ps->path = malloc(plen);
	if (!ps->dir || !ps->file || !ps->path) {
		ret = -ENOMEM;
		goto fail;
	}
	snprintf(ps->path, plen, "%s/%s", state_dir, name);
	dfd = kx_state_dir_open(state_dir);
	if (dfd < 0) {
		ret = dfd;
		goto fail;
	}
	ret = load(ps, dfd);
	close(dfd);
	if (ret)
		goto fail;
	return 0;
fail:
	kx_pin_close(ps);
	return ret;
}

bool kx_pin_lookup(const struct kx_pinstore *ps, const char *device,
		   uint8_t ik[static KX_IK_BYTES])
{
	const struct kx_pin *p = find(ps, device);

	if (p)
		memcpy(ik, p->ik, KX_IK_BYTES);
	return p != NULL;
}

int kx_pin_check(const struct kx_pinstore *ps, const char *device,
		 const uint8_t ik[static KX_IK_BYTES])
{
	const struct kx_pin *p;
	char was[KX_FINGERPRINT_HEX_SIZE], now[KX_FINGERPRINT_HEX_SIZE];

	if (!kx_device_id_valid(device, strlen(device)))
		return -EINVAL;
	p = find(ps, device);
	if (!p)
		return KX_PIN_NEW;
	/* IKs are public; the comparison need not hide anything. */
	if (!memcmp(p->ik, ik, KX_IK_BYTES))
		return KX_PIN_SAME;
	kx_fingerprint_hex(p->ik, KX_IK_BYTES, was);
	kx_fingerprint_hex(ik, KX_IK_BYTES, now);
	kx_warn("IDENTITY KEY CHANGED for device %s: pinned key %s, now offered %s; NOT admitted "
		"automatically, compare codewords",
		device, was, now);
	return KX_PIN_CHANGED;
}

static int set(struct kx_pinstore *ps, const char *device, const uint8_t ik[static KX_IK_BYTES],
	       bool replace)
{
	struct kx_pin *p, old;
	int ret;

	if (!kx_device_id_valid(device, strlen(device)))
		return -EINVAL;
	p = find(ps, device);
	if (p) {
		if (!memcmp(p->ik, ik, KX_IK_BYTES))
			return 0;
		if (!replace)
			return -EKEYREJECTED;
		old = *p;
		memcpy(p->ik, ik, KX_IK_BYTES);
		ret = save(ps);
		if (ret)
			*p = old;
		return ret;
	}
	ret = grow(ps);
	if (ret)
		return ret;
	p = &ps->pins[ps->n++];
	snprintf(p->device, sizeof(p->device), "%s", device);
	memcpy(p->ik, ik, KX_IK_BYTES);
	ret = save(ps);
	if (ret)
		ps->n--;
	return ret;
}

int kx_pin_add(struct kx_pinstore *ps, const char *device, const uint8_t ik[static KX_IK_BYTES])
{
	return set(ps, device, ik, false);
}

int kx_pin_replace(struct kx_pinstore *ps, const char *device, const uint8_t ik[static KX_IK_BYTES])
{
	return set(ps, device, ik, true);
}

void kx_pin_close(struct kx_pinstore *ps)
{
	free(ps->pins);
	free(ps->path);
	free(ps->file);
	free(ps->dir);
	memset(ps, 0, sizeof(*ps));
}
