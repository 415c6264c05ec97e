/* Typed access to JSON config fields that records a diagnostic (file, JSON path,
 * expectation) for every problem instead of failing on the first one. */
#ifndef LLMT_JCHECK_H
#define LLMT_JCHECK_H

#include <jansson.h>
#include "core/diag.h"

typedef struct llmt_jcheck {
    llmt_diags *diags;
    const char *file;
} llmt_jcheck;

/* Name of a JSON value's type as users know it: "string", "number", "object", ... */
const char *llmt_json_type_name(const json_t *v);

/* Each getter: when the key is absent, returns the default (and records an error if
 * `required`); when present with the wrong type, records an error and returns the
 * default. `path` is the JSON pointer of the containing object. */
const char *llmt_jc_string(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                           bool required, const char *dflt);
bool llmt_jc_bool(llmt_jcheck *c, json_t *obj, const char *path, const char *key, bool dflt);
double llmt_jc_number(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                      bool required, double dflt, double min);
long llmt_jc_int(llmt_jcheck *c, json_t *obj, const char *path, const char *key, bool required,
                 long dflt, long min);
json_t *llmt_jc_array(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                      bool required);
json_t *llmt_jc_object(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                       bool required);
/* Warns about keys of obj not in the NULL-terminated list `known`, with a
 * "did you mean" suggestion for near misses. */
void llmt_jc_unknown_keys(llmt_jcheck *c, json_t *obj, const char *path, const char *const *known);
/* The key of the NULL-terminated list `known` closest to `key`, when it is close enough
 * to suggest ("did you mean"); else NULL. Borrowed from `known`. */
const char *llmt_jc_suggest(const char *key, const char *const *known);

/* Loads a JSON file; a parse error becomes a diagnostic naming file, line and column. */
json_t *llmt_jc_load_file(llmt_diags *diags, const char *file);
json_t *llmt_jc_load_text(llmt_diags *diags, const char *text, const char *file);

/* Edit distance, for suggestions. */
size_t llmt_edit_distance(const char *a, const char *b);

#endif
