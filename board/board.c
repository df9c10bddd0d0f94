// SPDX-License-Identifier: MIT
/*
 * The board file parser (board/README.md, "Format"): a strict subset of POSIX
 * sh, so that the init (which sources the file) and C read the same values.
 */
#include "board/board.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

/*
 * A key starts lowercase or with '_' and has no capital: the variables that
 * change how sh itself runs (IFS, PATH, ENV, PS4, OPTIND, ...) are all
 * capitals, and the init sources the board file.
 */
static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Unquoted word characters: none of them means anything to sh here. */
static bool is_word(char c)
{
	return is_name_start(c) || is_digit(c) || (c && strchr("./,:=+@%-", c));
}

/* Inside double quotes: printable ASCII and tab, less what sh expands. */
static bool is_quoted(char c)
{
	return (c == '\t' || (c >= 0x20 && c <= 0x7e)) && c != '"' && c != '\\' && c != '$' &&
	       c != '`';
}

/* One line (without its newline) into *b; 0 or a negative errno. */
static int parse_line(const char *s, size_t len, struct board *b)
{
	size_t i = 0, k0, klen, v0, vlen;
	struct board_var *v;

	while (i < len && is_blank(s[i]))
		i++;
	if (i == len)
		return 0;
	if (s[i] == '#')
		/* A comment may hold any text but a NUL or a CR (sh and an editor
		 * would read those differently). */
		return memchr(s + i, 0, len - i) || memchr(s + i, '\r', len - i) ? -EINVAL : 0;
	k0 = i;
	if (!is_key_char(s[i]) || is_digit(s[i]))
		return -EINVAL;
	while (i < len && is_key_char(s[i]))
		i++;
	klen = i - k0;
	if (i == len || s[i] != '=')
		return -EINVAL;
	if (klen >= BOARD_KEY_MAX)
		return -E2BIG;
	i++;
	if (i < len && s[i] == '"') {
		v0 = ++i;
		while (i < len && is_quoted(s[i]))
			i++;
		if (i == len || s[i] != '"')
			return -EINVAL;
		vlen = i - v0;
		i++;
	} else {
		v0 = i;
		while (i < len && is_word(s[i]))
			i++;
		vlen = i - v0;
	}
	while (i < len && is_blank(s[i]))
		i++;
	if (i != len)
		return -EINVAL;
	if (vlen >= BOARD_VALUE_MAX)
		return -E2BIG;
	for (size_t j = 0; j < b->n_vars; j++)
		if (strlen(b->vars[j].key) == klen && memcmp(b->vars[j].key, s + k0, klen) == 0)
			return -EEXIST;
	if (b->n_vars == BOARD_MAX_VARS)
		return -E2BIG;
	v = &b->vars[b->n_vars++];
	memcpy(v->key, s + k0, klen);
	v->key[klen] = 0;
	memcpy(v->value, s + v0, vlen);
	v->value[vlen] = 0;
	return 0;
}

int board_parse(const char *text, size_t len, struct board *b, unsigned int *err_line)
{
	unsigned int line = 0;
	size_t pos = 0;
	int ret = 0;

	memset(b, 0, sizeof(*b));
	if (len > BOARD_FILE_MAX) {
		ret = -E2BIG;
		goto out;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		line++;
		ret = parse_line(text + pos, end - pos, b);
		if (ret)
			goto out;
		pos = end + 1;
	}
out:
	if (ret) {
		memset(b, 0, sizeof(*b));
		if (err_line)
			*err_line = line;
	}
	return ret;
}

int board_load(const char *path, struct board *b, unsigned int *err_line)
{
	char buf[BOARD_FILE_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd, ret = 0;

	memset(b, 0, sizeof(*b));
	if (err_line)
		*err_line = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One byte over the limit tells a file that is too long. */
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		len += (size_t)n;
	}
	ret = board_parse(buf, len, b, err_line);
out:
	close(fd);
	return ret;
}

const char *board_get(const struct board *b, const char *key)
{
	for (size_t i = 0; i < b->n_vars; i++)
		if (strcmp(b->vars[i].key, key) == 0)
			return b->vars[i].value;
	return NULL;
}

const char *board_strerror(int err)
{
	switch (err) {
	case 0:
		return "no error";
	case -EINVAL:
		return "not a key=value line of the board format";
	case -E2BIG:
		return "over the format's limits (line, value, variables or file size)";
	case -EEXIST:
		return "key set twice";
	default:
		return strerror(-err);
	}
}

int board_parse_u32(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Copies [s, s + len) into dst (size n) with a NUL; -EINVAL when it does not fit or is empty. */
static int copy_token(char *dst, size_t n, const char *s, size_t len)
{
	if (len == 0 || len >= n)
		return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = 0;
	return 0;
}

/* A field's value after an optional "(type)" cast. */
static void skip_cast(const char **v, size_t *vlen)
{
	const char *close;

	if (*vlen == 0 || (*v)[0] != '(')
		return;
	close = memchr(*v, ')', *vlen);
	if (!close)
		return; /* left as is: fails as a value */
	*vlen -= (size_t)(close + 1 - *v);
	*v = close + 1;
}

int board_parse_caps(const char *s, struct board_caps *caps)
{
	const uint32_t dim_max = 65535, rate_max = 1000000;
	bool have_fmt = false, have_w = false, have_h = false, have_r = false;
	const char *p = s, *comma;
	size_t len;

	memset(caps, 0, sizeof(*caps));
	comma = strchr(p, ',');
	len = comma ? (size_t)(comma - p) : strlen(p);
	if (copy_token(caps->media_type, sizeof(caps->media_type), p, len) ||
	    !memchr(caps->media_type, '/', len))
		goto bad;
	while (comma) {
		const char *f = comma + 1, *eq, *v, *slash;
		size_t flen, vlen;

		comma = strchr(f, ',');
		flen = comma ? (size_t)(comma - f) : strlen(f);
		eq = memchr(f, '=', flen);
		if (!eq || eq == f)
			goto bad;
		v = eq + 1;
		vlen = flen - (size_t)(v - f);
		skip_cast(&v, &vlen);
#define FIELD(name) ((size_t)(eq - f) == sizeof(name) - 1 && memcmp(f, name, sizeof(name) - 1) == 0)
		if (FIELD("format")) {
			if (have_fmt || copy_token(caps->format, sizeof(caps->format), v, vlen))
				goto bad;
			for (size_t i = 0; i < vlen; i++)
				if (!is_name_start(v[i]) && !is_digit(v[i]))
					goto bad;
			have_fmt = true;
		} else if (FIELD("width")) {
			if (have_w || board_parse_u32(v, vlen, dim_max, &caps->width) || !caps->width)
				goto bad;
			have_w = true;
		} else if (FIELD("height")) {
			if (have_h || board_parse_u32(v, vlen, dim_max, &caps->height) || !caps->height)
				goto bad;
			have_h = true;
		} else if (FIELD("framerate")) {
			slash = memchr(v, '/', vlen);
			if (have_r || !slash ||
			    board_parse_u32(v, (size_t)(slash - v), rate_max, &caps->fps_num) ||
			    board_parse_u32(slash + 1, vlen - (size_t)(slash + 1 - v), rate_max,
					    &caps->fps_den) ||
			    !caps->fps_num || !caps->fps_den)
				goto bad;
			have_r = true;
		}
#undef FIELD
	}
	if (have_w && have_h && have_r)
		return 0;
bad:
	memset(caps, 0, sizeof(*caps));
	return -EINVAL;
}

int board_parse_planes(const char *s, struct board_planes *planes)
{
	bool seen[3] = { false, false, false };
	uint32_t *val[3] = { &planes->primary, &planes->overlay, &planes->cursor };
	static const char *const names[3] = { "primary", "overlay", "cursor" };
	const char *p = s;

	memset(planes, 0, sizeof(*planes));
	while (*p) {
		size_t len, nlen;
		const char *eq;
		int k = -1;

		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		len = strcspn(p, " \t");
		eq = memchr(p, '=', len);
		if (!eq)
			goto bad;
		nlen = (size_t)(eq - p);
		for (int i = 0; i < 3; i++)
			if (strlen(names[i]) == nlen && memcmp(p, names[i], nlen) == 0)
				k = i;
		if (k < 0 || seen[k] || board_parse_u32(eq + 1, len - nlen - 1, 1024, val[k]))
			goto bad;
		seen[k] = true;
		p += len;
	}
	if (seen[0] && seen[1] && seen[2])
		return 0;
bad:
	memset(planes, 0, sizeof(*planes));
	return -EINVAL;
}
