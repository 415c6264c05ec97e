/* JSON Schema validation of answers: draft 2020-12 and draft-07, chosen by a schema
 * resource's `$schema` (default 2020-12, which Pydantic v2's model_json_schema() writes).
 * Every keyword of both vocabularies is checked, including unevaluatedItems /
 * unevaluatedProperties; $ref resolves JSON pointers, $id (URLs and URNs), $anchor,
 * $dynamicRef/$dynamicAnchor within the document and documents of a local registry
 * (never the network). `pattern` and `patternProperties` follow ECMA-262 (score/regex.h).
 * The formats Pydantic emits (date, date-time, time, duration, email, uri, uuid, ipv4,
 * ipv6, hostname) are assertions; other formats are annotations, reported once as a
 * warning. Keywords outside both vocabularies are annotations; unknown ones are reported
 * once as a warning. */
#ifndef LLMT_VALIDATE_H
#define LLMT_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include "core/diag.h"

typedef struct llmt_schema llmt_schema;

/* Documents that `$ref` (and `$schema`) may name by absolute URI, e.g. shared
 * definitions or a custom meta-schema. Nothing is ever fetched. */
typedef struct llmt_schema_registry llmt_schema_registry;

llmt_schema_registry *llmt_schema_registry_new(void); /* NULL when out of memory */
void llmt_schema_registry_free(llmt_schema_registry *r); /* NULL is fine */
/* Adds `doc` as the document at `uri` (absolute, without fragment); the registry keeps
 * a reference. Returns false when out of memory. */
bool llmt_schema_registry_add(llmt_schema_registry *r, const char *uri, json_t *doc);
/* Adds every *.json file under `dir` (recursively) at `base_uri` + its relative path,
 * e.g. base "http://localhost:1234/" and "dir/nested/a.json" ->
 * "http://localhost:1234/nested/a.json". Unreadable or invalid files are diagnostics
 * naming the file. Returns the number of documents added, -1 when `dir` can't be read. */
int llmt_schema_registry_add_dir(llmt_schema_registry *r, const char *base_uri, const char *dir,
                                 llmt_diags *diags);

/* The dialect of a schema resource without `$schema`. */
typedef enum llmt_schema_draft { LLMT_SCHEMA_DRAFT_2020_12 = 0, LLMT_SCHEMA_DRAFT_7 = 1 } llmt_schema_draft;

#define LLMT_SCHEMA_OPTIONS_VERSION 1
typedef struct llmt_schema_options {
    unsigned int version;                 /* LLMT_SCHEMA_OPTIONS_VERSION */
    const llmt_schema_registry *registry; /* may be NULL; used during compile only */
    bool formats_as_annotations;          /* true: `format` never fails (the drafts'
                                             default; llm-tester asserts them) */
    llmt_schema_draft default_draft;      /* without `$schema`: 2020-12 unless set */
} llmt_schema_options;
#define LLMT_SCHEMA_OPTIONS_INIT {LLMT_SCHEMA_OPTIONS_VERSION, NULL, false, LLMT_SCHEMA_DRAFT_2020_12}

/* At most this many violations are listed per instance; one more line says how many
 * were left out. */
#define LLMT_SCHEMA_MAX_VIOLATIONS 1000

/* Compiles (checks) a schema; the schema is referenced, not copied, and so are the
 * registry documents it uses. Problems are diagnostics naming `file` and the JSON
 * pointer inside the schema: invalid keyword values, invalid regular expressions and
 * unresolvable $ref are errors (NULL is returned); unknown keywords and formats that are
 * not checked are warnings, one per name. Returns a handle to free with
 * llmt_schema_free(), or NULL on error. `opts` may be NULL (defaults). The handle is
 * read-only once compiled: threads may validate with it at once. */
llmt_schema *llmt_schema_compile_opts(const json_t *schema, const char *file,
                                      const llmt_schema_options *opts, llmt_diags *diags);
/* llmt_schema_compile_opts() with the default options. */
llmt_schema *llmt_schema_compile(const json_t *schema, const char *file, llmt_diags *diags);
void llmt_schema_free(llmt_schema *s); /* NULL is fine */

/* Validates `instance`; returns true when valid. Every violation is appended to
 * `violations` (a JSON array, may be NULL) as a string "<pointer>: <message>", e.g.
 * "/salary/currency: expected string, got number"; the whole instance is "(root)". When
 * no alternative of an anyOf/oneOf fits, the first violation of each alternative
 * follows, marked with the alternative's index. */
bool llmt_schema_validate(const llmt_schema *s, const json_t *instance, json_t *violations);

#endif
