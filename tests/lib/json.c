// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	const char *p;
	int depth;
};

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')
		ps->p++;
}

static struct json *node(enum json_type t)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j)
		j->type = t;
	return j;
}

static char *parse_string(struct parser *ps)
{
	const char *start;
	char *s;
	size_t n;

	if (*ps->p != '"')
		return NULL;
	start = ++ps->p;
	/* Vector files hold hex and plain names: escapes are refused, not decoded. */
	while (*ps->p && *ps->p != '"') {
		if (*ps->p == '\\' || (unsigned char)*ps->p < 0x20)
			return NULL;
		ps->p++;
	}
	if (*ps->p != '"')
		return NULL;
	n = (size_t)(ps->p - start);
	s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, start, n);
	s[n] = '\0';
	ps->p++;
	return s;
}

static struct json *parse_value(struct parser *ps);

static struct json *parse_container(struct parser *ps, bool object)
{
	struct json *j = node(object ? JSON_OBJECT : JSON_ARRAY), **tail;
	char close = object ? '}' : ']';

	if (!j || ++ps->depth > 64)
		goto bad;
	tail = &j->child;
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct json *v;

		skip_ws(ps);
		if (object) {
			key = parse_string(ps);
			if (!key)
				goto bad;
			skip_ws(ps);
			if (*ps->p != ':') {
				free(key);
				goto bad;
			}
			ps->p++;
		}
		v = parse_value(ps);
		if (!v) {
			free(key);
			goto bad;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			ps->depth--;
			return j;
		}
		goto bad;
	}
bad:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *ps)
{
	struct json *j;
	const char *start;

	skip_ws(ps);
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"':
		j = node(JSON_STRING);
		if (j && !(j->text = parse_string(ps))) {
			free(j);
			j = NULL;
		}
		return j;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "null", 4)) {
			j = node(ps->p[0] == 'n' ? JSON_NULL : JSON_BOOL);
			if (j)
				j->boolean = ps->p[0] == 't';
			ps->p += 4;
			return j;
		}
		if (!strncmp(ps->p, "false", 5)) {
			ps->p += 5;
			return node(JSON_BOOL);
		}
		return NULL;
	default:
		start = ps->p;
		while ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '-' || *ps->p == '+' ||
		       *ps->p == '.' || *ps->p == 'e' || *ps->p == 'E')
			ps->p++;
		if (ps->p == start)
			return NULL;
		j = node(JSON_NUMBER);
		if (j && (j->text = strndup(start, (size_t)(ps->p - start))) == NULL) {
			free(j);
			j = NULL;
		}
		return j;
	}
}

struct json *json_parse(const char *text)
{
	struct parser ps = { text, 0 };
	struct json *j = parse_value(&ps);

	skip_ws(&ps);
	if (!j || *ps.p) {
		fprintf(stderr, "json: malformed at offset %zu\n", (size_t)(ps.p - text));
		json_free(j);
		return NULL;
	}
	return j;
}

struct json *json_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct json *j = NULL;
	char *buf = NULL;
	long n;

	if (!f) {
		fprintf(stderr, "json: cannot open %s\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		j = json_parse(buf);
	}
	free(buf);
	fclose(f);
	return j;
}

void json_free(struct json *j)
{
	while (j) {
		struct json *next = j->next;

		json_free(j->child);
		free(j->text);
		free(j->key);
		free(j);
		j = next;
	}
}

struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (struct json *c = obj->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

size_t json_len(const struct json *arr)
{
	size_t n = 0;

	for (struct json *c = arr ? arr->child : NULL; c; c = c->next)
		n++;
	return n;
}

struct json *json_at(const struct json *arr, size_t i)
{
	struct json *c = arr ? arr->child : NULL;

	while (c && i--)
		c = c->next;
	return c;
}

bool json_u64(const struct json *obj, const char *key, uint64_t *out)
{
	const struct json *j = json_get(obj, key);
	uint64_t v = 0;
	const char *s;

	if (!j || j->type != JSON_NUMBER || !j->text[0])
		return false;
	for (s = j->text; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *json_hex(const struct json *obj, const char *key, size_t *len)
{
	const struct json *j = json_get(obj, key);
	size_t n;
	uint8_t *out;

	if (!j || j->type != JSON_STRING || strlen(j->text) % 2)
		return NULL;
	n = strlen(j->text) / 2;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(j->text[2 * i]), lo = hexval(j->text[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n;
	return out;
}
