/* A validating JSON reader that builds nothing. For hot paths that read a few fields
 * of a reply they know (a chat completion): a jansson tree per reply, built and freed
 * on the event-loop thread, was the largest cost of handling a reply.
 *
 * llmt_jscan_parse accepts exactly the texts json_loadb(text, len, 0, ...) accepts (an
 * object or array at the top, the same depth limit, strings of valid UTF-8 without
 * \u0000 or raw control characters, integers that fit in 64 bits, finite reals), so a
 * parser moved onto it gives the same verdict on every reply. After a successful parse
 * the accessors walk the validated text: each lookup skips over values without
 * checking them again.
 *
 * A llmt_jval is a borrowed view into the caller's buffer; it stays valid as long as
 * that buffer. An absent value has p == NULL and type LLMT_J_NONE. */
#ifndef LLMT_JSCAN_H
#define LLMT_JSCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    LLMT_J_NONE, /* absent: a missing member, an index past the end, a failed parse */
    LLMT_J_OBJECT,
    LLMT_J_ARRAY,
    LLMT_J_STRING,
    LLMT_J_INTEGER, /* a number without fraction or exponent */
    LLMT_J_REAL,
    LLMT_J_TRUE,
    LLMT_J_FALSE,
    LLMT_J_NULL
} llmt_jtype;

typedef struct llmt_jval {
    const char *p; /* first byte of the value's text; NULL when absent */
    size_t n;      /* bytes of text */
} llmt_jval;

/* Validates s[0..n) as one JSON text. On success *root spans the top-level value and
 * true is returned; on failure *root is absent and `why` (if not NULL, `why_len` bytes)
 * holds a short reason with the byte offset. */
bool llmt_jscan_parse(const char *s, size_t n, llmt_jval *root, char *why, size_t why_len);

llmt_jtype llmt_jval_type(llmt_jval v);

/* The value of member `key` of object v (the last one when the key repeats, as
 * jansson keeps); absent when v is not an object or has no such member. Keys are
 * compared after unescaping. */
llmt_jval llmt_jval_get(llmt_jval v, const char *key);

/* llmt_jval_get for n keys in one pass over v: out[k] gets the value of keys[k]. */
void llmt_jval_get_many(llmt_jval v, const char *const *keys, llmt_jval *out, size_t n);

/* Element i of array v; absent when v is not an array or is shorter. */
llmt_jval llmt_jval_at(llmt_jval v, size_t i);

/* Number of elements of array v (0 for anything else). */
size_t llmt_jval_size(llmt_jval v);

/* The decoded string of v as a malloc'd, NUL-terminated copy the caller frees; NULL
 * when v is not a string (or out of memory). *len (optional) gets its length. */
char *llmt_jval_strdup(llmt_jval v, size_t *len);

/* Whether v is the string `s` (compared after unescaping). */
bool llmt_jval_streq(llmt_jval v, const char *s);

/* v as a number: integers exactly, reals truncated towards zero (as a C cast);
 * returns dflt when v is not a number. */
long long llmt_jval_integer_or(llmt_jval v, long long dflt);

#endif
