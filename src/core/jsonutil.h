/* JSON helpers the scorer, the schema validator, the providers and the cassettes share:
 * JSON pointer building, deep equality, number comparison, loading every valid JSON text,
 * reading an integer member. */
#ifndef LLMT_JSONUTIL_H
#define LLMT_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* Appends "/" + `key` (first `len` bytes, may hold NUL) escaped per RFC 6901 (~ as ~0,
 * / as ~1) to the pointer in `b`; returns the length before, for llmt_jptr_pop(). */
size_t llmt_jptr_push(llmt_buf *b, const char *key, size_t len);
/* Appends "/<index>"; returns the length before. */
size_t llmt_jptr_push_index(llmt_buf *b, size_t index);
/* Cuts the pointer back to `mark` (a value the push functions returned). */
void llmt_jptr_pop(llmt_buf *b, size_t mark);
/* One pointer segment (the `n` bytes at `seg`, without its "/") unescaped (~1 is /, ~0
 * is ~): malloc'd, caller frees; NULL when out of memory. */
char *llmt_jptr_segment(const char *seg, size_t n);
/* The value at JSON pointer `ptr` in `doc` ("" is doc itself; array elements by decimal
 * index), borrowed from doc; NULL when there is none. */
json_t *llmt_jptr_get(const json_t *doc, const char *ptr);

/* Deep equality: numbers compare by mathematical value (1 == 1.0, exact for integers
 * beyond 2^53), strings byte for byte including embedded NULs, arrays in order, objects
 * as unordered sets of members. bools_are_numbers: true and false also equal 1 and 0
 * (Python's == on decoded JSON, which the scorer follows); false: JSON Schema's equality
 * (enum, const, uniqueItems), where true is not 1. */
bool llmt_json_equal(const json_t *a, const json_t *b, bool bools_are_numbers);

/* Compares two JSON numbers by value: <0, 0, >0. */
int llmt_json_number_cmp(const json_t *a, const json_t *b);

/* json_loadb / json_load_file that accept every valid JSON text: strings may hold
 * "\u0000" (JSON_ALLOW_NUL; read them with json_string_length), and a document with an
 * integer beyond 64 bits is read again with every integer as a double (exact up to
 * 2^53) instead of failing. `flags` are jansson's decoding flags. */
json_t *llmt_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
json_t *llmt_json_load_file(const char *path, size_t flags, json_error_t *err);

/* The value of an integer member, else `dflt` (also for NULL). */
long llmt_json_long(const json_t *v, long dflt);

#endif
