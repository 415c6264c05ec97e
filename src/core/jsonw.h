/* Compact JSON serialisation into an llmt_buf, byte-for-byte what jansson's
 * json_dumps(v, JSON_COMPACT [| JSON_ENSURE_ASCII]) prints, without its per-container
 * loop check (an snprintf("%p") and a hashtable insert per object and array), which
 * showed as the largest single cost of writing results.jsonl and request bodies. */
#ifndef LLMT_JSONW_H
#define LLMT_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "core/util.h"

/* Appends v (any JSON value) to b. Returns false if v holds something jansson would
 * refuse to print (a string that is not valid UTF-8, a reference cycle deeper than
 * 2048 levels); b may then hold a partial text. Out-of-memory shows as b->oom. */
bool llmt_json_dump_compact(const json_t *v, llmt_buf *b, bool ensure_ascii);

/* The printer's parts, for writers that print JSON text without building a tree (the
 * result lines of results.jsonl, request bodies): each appends exactly what llmt_json_dump_compact
 * prints for the same value. */

/* A JSON string of the len bytes at s. Returns false if they are not valid UTF-8
 * (json_string would refuse them); b then holds a partial text. */
bool llmt_json_put_string(llmt_buf *b, const char *s, size_t len, bool ensure_ascii);
/* A real as jansson prints one ("1.0", "0.10000000000000001", "1e-5"). Returns false,
 * appending nothing, for NaN and infinities (json_real refuses them). */
bool llmt_json_put_real(llmt_buf *b, double d);
/* An integer. */
void llmt_json_put_int(llmt_buf *b, long long v);

/* llmt_buf_append with the common case (it fits) inline: a result line is ~100 small
 * appends, and a call per append showed in profiles. */
static inline void llmt_json_put_raw(llmt_buf *b, const char *s, size_t n)
{
    if (!b->oom && b->len + n < b->cap) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        llmt_buf_append(b, s, n);
    }
}

/* Like json_dumps(v, JSON_COMPACT | (ensure_ascii ? JSON_ENSURE_ASCII : 0) |
 * JSON_ENCODE_ANY): a malloc'd string the caller frees, or NULL (out of memory,
 * unprintable value). */
char *llmt_json_dumps_compact(const json_t *v, bool ensure_ascii);

#endif
