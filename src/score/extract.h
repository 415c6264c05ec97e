/* Finding the JSON answer in a model's reply (the whole reply, a fenced block, or the
 * first balanced object or array in the text). */
#ifndef LLMT_EXTRACT_H
#define LLMT_EXTRACT_H

#include <jansson.h>
#include "llmt/error.h"

typedef enum llmt_extract_method {
    LLMT_EXTRACT_NONE = 0,   /* nothing found */
    LLMT_EXTRACT_WHOLE = 1,  /* the whole reply is JSON */
    LLMT_EXTRACT_FENCE = 2,  /* the first ``` fenced block */
    LLMT_EXTRACT_BRACES = 3  /* first '{' to its matching '}' */
} llmt_extract_method;

const char *llmt_extract_method_name(llmt_extract_method m);

/* On success *out is a new reference. On failure err says why ("no JSON object found",
 * or the parser's message with line and column) and *method is NONE. */
llmt_status llmt_extract_json(const char *text, json_t **out, llmt_extract_method *method,
                              llmt_error *err);

#endif
