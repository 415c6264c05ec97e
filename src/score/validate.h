/* JSON Schema validation of answers (SPEC §6.1). */
#ifndef LLMT_VALIDATE_H
#define LLMT_VALIDATE_H

#include <jansson.h>
#include "core/diag.h"

typedef struct llmt_schema llmt_schema;

/* Compiles a schema. Invalid schemas are diagnostics naming `file` and the JSON path;
 * unsupported keywords are warnings (reported once). NULL on error. */
llmt_schema *llmt_schema_compile(const json_t *schema, const char *file, llmt_diags *diags);
void llmt_schema_free(llmt_schema *s);

/* Validates `instance`; returns true when valid. Every violation is appended to
 * `violations` (a JSON array, may be NULL) as a string "/path: message". */
bool llmt_schema_validate(const llmt_schema *s, const json_t *instance, json_t *violations);

#endif
