/*
 * Schema transforms on jansson trees (the rules are described in
 * include/llmt/schema_xform.h), and the per-provider memo of what a task schema becomes
 * when sent. Names no provider: a provider picks its rules with "schema_transform" in
 * its config.json.
 */
#ifndef LLMT_PROVIDER_SCHEMA_XFORM_H
#define LLMT_PROVIDER_SCHEMA_XFORM_H

#include <jansson.h>

#include "llmt/log.h"
#include "llmt/schema_xform.h"

/* Transforms `schema` (borrowed, not modified) into *out (a new tree the caller
 * decrefs). *strict says whether it may be sent as enforced; the keywords the rules
 * moved out are appended to `relaxed` (a JSON array, each name once). Failure:
 * LLMT_E_UNSUPPORTED naming the reason and the JSON path, *out NULL. */
llmt_status llmt_schema_xform(const json_t *schema, llmt_schema_rules rules, json_t **out,
                              bool *strict, json_t *relaxed, llmt_error *err);

/* Whether a schema has a cycle of references (a recursive model): a "#" reference, or
 * "#/$defs/<name>" / "#/definitions/<name>" references that lead back to themselves. */
bool llmt_schema_is_recursive(const json_t *schema);

/* ---- per provider: what each task schema becomes when sent ------------------------ */

/* What one schema text becomes under one provider's rules (immutable once made). */
typedef struct llmt_schema_plan {
    char *sent;        /* compact JSON to send; NULL when it cannot be sent */
    bool strict;
    char *relaxed;     /* JSON array text, or NULL */
    char *why_not;     /* when sent is NULL: why (for the fallback warning) */
} llmt_schema_plan;

typedef struct llmt_schema_plans llmt_schema_plans;

/* A memo for one provider: the schema texts it was asked to send and what they became,
 * and the models already warned about a fallback. Thread-safe. `lg` (copied) receives
 * the one warning per model. NULL on allocation failure. */
llmt_schema_plans *llmt_schema_plans_new(const char *provider, const llmt_logger *lg);
void llmt_schema_plans_free(llmt_schema_plans *p);

/* Copies into *out (caller frees with llmt_schema_plan_clear) what schema_text becomes
 * under `rules`. When it cannot be sent (out->sent NULL), warns once per model:
 * "<provider>:<model>: the task schema cannot be sent as a schema (<why>); using <mode>".
 * fallback_mode names the mode the caller falls back to. Returns false on allocation
 * failure only. */
bool llmt_schema_plans_get(llmt_schema_plans *p, llmt_schema_rules rules, const char *schema_text,
                           const char *model, const char *fallback_mode, llmt_schema_plan *out);
void llmt_schema_plan_clear(llmt_schema_plan *plan);

/* Warns once per model of this provider (whatever the reason), at warning level:
 * "<provider>:<model>: <why>; using <mode>". */
void llmt_schema_plans_warn_once(llmt_schema_plans *p, const char *model, const char *why,
                                 const char *mode);

#endif
