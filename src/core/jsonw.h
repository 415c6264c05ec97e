/* Compact JSON serialisation into an llmt_buf, byte-for-byte what jansson's
 * json_dumps(v, JSON_COMPACT [| JSON_ENSURE_ASCII]) prints, without its per-container
 * loop check (an snprintf("%p") and a hashtable insert per object and array), which
 * showed as the largest single cost of writing results.jsonl and request bodies. */
#ifndef LLMT_JSONW_H
#define LLMT_JSONW_H

#include <jansson.h>
#include <stdbool.h>

#include "core/util.h"

/* Appends v (any JSON value) to b. Returns false if v holds something jansson would
 * refuse to print (a string that is not valid UTF-8, a reference cycle deeper than
 * 2048 levels); b may then hold a partial text. Out-of-memory shows as b->oom. */
bool llmt_json_dump_compact(const json_t *v, llmt_buf *b, bool ensure_ascii);

/* Like json_dumps(v, JSON_COMPACT | (ensure_ascii ? JSON_ENSURE_ASCII : 0) |
 * JSON_ENCODE_ANY): a malloc'd string the caller frees, or NULL (out of memory,
 * unprintable value). */
char *llmt_json_dumps_compact(const json_t *v, bool ensure_ascii);

/* The scalar printers on their own, for code that writes JSON text without building a
 * tree (request bodies, result lines): the same bytes json_dumps prints for a string of
 * `len` bytes (false when it is not valid UTF-8), a real, an integer. */
bool llmt_json_put_string(llmt_buf *b, const char *s, size_t len, bool ensure_ascii);
bool llmt_json_put_real(llmt_buf *b, double d);
void llmt_json_put_integer(llmt_buf *b, long long v);

#endif
