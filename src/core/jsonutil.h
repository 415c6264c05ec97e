/* Small jansson helpers shared by the scorer, the schema validator and the providers:
 * deep equality, JSON pointer building, reading an integer member. */
#ifndef LLMT_JSONUTIL_H
#define LLMT_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* Deep equality of two JSON values: numbers by value (1 == 1.0; two integers exactly),
 * strings byte for byte, arrays in order, objects by key regardless of order.
 * bools_are_numbers: true and false also equal 1 and 0 (Python's == on decoded JSON,
 * which the scorer follows); false: JSON Schema's equality (const, enum, uniqueItems). */
bool llmt_json_equal(const json_t *a, const json_t *b, bool bools_are_numbers);

/* Appends "/" + the key escaped per RFC 6901 (~ as ~0, / as ~1) to the pointer in `b`,
 * or "/" + the index; both return the old length for llmt_json_ptr_pop. */
size_t llmt_json_ptr_push(llmt_buf *b, const char *key);
size_t llmt_json_ptr_push_index(llmt_buf *b, size_t i);
/* Cuts the pointer back to `mark`. */
void llmt_json_ptr_pop(llmt_buf *b, size_t mark);

/* The value of an integer member, else `dflt` (also for NULL). */
long llmt_json_long(const json_t *v, long dflt);

#endif
