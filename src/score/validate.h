/* JSON Schema validation of answers (SPEC §6.1): our own validator for the subset
 * llm-tester supports, which is what Pydantic v2's model_json_schema() produces:
 *   type (incl. unions and "null"), properties, required, additionalProperties, items,
 *   enum, const, anyOf / oneOf / allOf, $ref to "#/$defs/..." / "#/definitions/..." (any
 *   local JSON pointer), format date / date-time / uri / email, minimum / maximum /
 *   exclusiveMinimum / exclusiveMaximum / multipleOf, minLength / maxLength (code points),
 *   minItems / maxItems / uniqueItems, minProperties / maxProperties; annotations (title,
 *   description, default, examples, $schema, $id, $comment, deprecated, readOnly,
 *   writeOnly) are accepted and ignored. Any other keyword or format is reported once,
 *   as a warning, and not checked. */
#ifndef LLMT_VALIDATE_H
#define LLMT_VALIDATE_H

#include <jansson.h>
#include "core/diag.h"

typedef struct llmt_schema llmt_schema;

/* At most this many violations are listed per instance; one more line says how many
 * were left out. */
#define LLMT_SCHEMA_MAX_VIOLATIONS 1000

/* Compiles (checks) a schema; the schema is referenced, not copied. Problems are
 * diagnostics naming `file` and the JSON pointer inside the schema: invalid keyword
 * values and unresolvable $ref are errors (NULL is returned), unsupported keywords and
 * formats are warnings, one per keyword. Returns a handle to free with
 * llmt_schema_free(), or NULL on error. */
llmt_schema *llmt_schema_compile(const json_t *schema, const char *file, llmt_diags *diags);
void llmt_schema_free(llmt_schema *s); /* NULL is fine */

/* Validates `instance`; returns true when valid. Every violation is appended to
 * `violations` (a JSON array, may be NULL) as a string "<pointer>: <message>", e.g.
 * "/salary/currency: expected string, got number"; the whole instance is "(root)". */
bool llmt_schema_validate(const llmt_schema *s, const json_t *instance, json_t *violations);

#endif
