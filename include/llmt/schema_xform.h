/*
 * Schema transforms: the JSON Schema a provider is sent, derived from a task's schema
 * by one of a few fixed rule sets (the ones the vendors' official SDKs apply before
 * sending; docs/providers.md says which SDK release each follows). Answers are always
 * validated against the task's own schema, so what a transform drops is still checked.
 *
 * The library applies the rule set named by a provider's config.json
 * ("schema_transform") before calling build_request: a provider (built-in or plugin)
 * then finds the transformed text in llmt_request.json_schema and whether it may be
 * sent with a "strict" flag in llmt_request.schema_strict. A plugin that builds its
 * own schema variants may call llmt_schema_transform directly.
 *
 * Self-sufficient like provider.h: no jansson in the interface, JSON goes in and out as
 * text.
 */
#ifndef LLMT_SCHEMA_XFORM_H
#define LLMT_SCHEMA_XFORM_H

#include "common.h"
#include "error.h"

LLMT_BEGIN_DECLS

typedef enum llmt_schema_rules {
    /* "none": the schema as it is. */
    LLMT_SCHEMA_RULES_NONE = 0,
    /* "strict": every object with "type":"object" gets additionalProperties:false unless
     * it has one; every object with properties lists all of them in required (optional
     * fields stay nullable through their anyOf [X, null]); "default": null is removed; a
     * one-entry allOf is merged into its node; a $ref with sibling keywords is replaced
     * by the local definition it names, the siblings winning. strict is false when an
     * object keeps an additionalProperties other than false (a map such as
     * dict[str, int]), which a strict mode refuses. */
    LLMT_SCHEMA_RULES_STRICT = 1,
    /* "closed": every object with "type":"object" gets additionalProperties:false,
     * replacing any other value; required is left as it is. Always strict. */
    LLMT_SCHEMA_RULES_CLOSED = 2,
    /* "subset": each node is rebuilt from the supported keywords only: $ref nodes keep
     * only $ref (and $defs); oneOf becomes anyOf; objects always get properties and
     * additionalProperties:false; string formats are kept only when supported
     * (date-time, time, date, duration, email, hostname, uri, ipv4, ipv6, uuid); arrays
     * keep items and a minItems of 0 or 1; every other keyword (minimum, pattern,
     * default, const, discriminator, larger minItems, other formats, ...) is removed
     * and written into the node's description as "{key: value, ...}" (after a blank
     * line when there is a description). Those keywords are listed in `relaxed`. A
     * node without type, anyOf, oneOf or allOf, and a recursive schema, cannot be
     * sent. */
    LLMT_SCHEMA_RULES_SUBSET = 3
} llmt_schema_rules;

/* What a transform produced. Strings are malloc'd; llmt_schema_sent_clear frees them. */
typedef struct llmt_schema_sent {
    char *schema;   /* the schema to send, compact JSON */
    bool strict;    /* the provider may be asked to enforce it exactly ("strict": true) */
    char *relaxed;  /* JSON array of the keywords moved out of the schema (["pattern",
                       "maximum"]), in the order first met; NULL when none */
} llmt_schema_sent;

/* Transforms schema_json by `rules` into *out (zeroed first). Errors:
 * LLMT_E_INVALID_ARG when schema_json is not JSON; LLMT_E_UNSUPPORTED, with the reason
 * and the JSON path in err, when the rules cannot produce a schema the provider takes
 * (the caller then falls back to JSON mode or to the schema in the prompt). *out is
 * left empty on failure. */
LLMT_API llmt_status llmt_schema_transform(const char *schema_json, llmt_schema_rules rules,
                                           llmt_schema_sent *out, llmt_error *err);
/* Frees the strings of *s and zeroes it. NULL ok. */
LLMT_API void llmt_schema_sent_clear(llmt_schema_sent *s);

/* "none", "strict", "closed", "subset" (the config.json spelling). */
LLMT_API const char *llmt_schema_rules_name(llmt_schema_rules rules);
/* The rules of a config.json name; false when the name is unknown. */
LLMT_API bool llmt_schema_rules_parse(const char *name, llmt_schema_rules *out);

LLMT_END_DECLS

#endif
