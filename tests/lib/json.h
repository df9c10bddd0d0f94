/* SPDX-License-Identifier: MIT */
/*
 * A small JSON reader for test vectors. Numbers are kept as their text, so
 * that KIDs and CTRs up to 2^64-1 survive (a double holds 53 bits, a signed
 * 64-bit integer 63). The tree owns its strings; free it with json_free().
 */
#ifndef TESTS_JSON_H
#define TESTS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	char *text; /* number or string; object member's key in key */
	char *key;
	bool boolean;
	struct json *child; /* array elements or object members */
	struct json *next;
};

/* Parses a whole document; NULL on malformed input (message on stderr). */
struct json *json_parse(const char *text);
struct json *json_load(const char *path);
void json_free(struct json *j);

struct json *json_get(const struct json *obj, const char *key);
size_t json_len(const struct json *arr);
struct json *json_at(const struct json *arr, size_t i);

/* Field helpers that fail the calling test when absent or mistyped. */
bool json_u64(const struct json *obj, const char *key, uint64_t *out);
/* Decodes a hex string member into a malloc'd buffer; *len its length. */
uint8_t *json_hex(const struct json *obj, const char *key, size_t *len);

#endif
