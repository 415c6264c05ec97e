/* The project settings, declared once: key in llm-tester.json, type, range, default,
 * the command-line option of `run` that overrides it, and its help. Validation of
 * llm-tester.json, `config show`, the command line's merge of project defaults and the
 * --help of those options all read this table. Adding a setting with a project default
 * is a row here, the code that uses it, a test and docs/configuration.md. */
#ifndef LLMT_SETTINGS_H
#define LLMT_SETTINGS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/diag.h"

typedef enum {
    LLMT_SETTING_INT,     /* JSON integer in [min, max] */
    LLMT_SETTING_NUMBER,  /* JSON number in [min, max] */
    LLMT_SETTING_PATH,    /* string; relative paths are relative to the project folder */
    LLMT_SETTING_ENUM,    /* one of `choices` */
    LLMT_SETTING_STRINGS, /* array of strings */
    LLMT_SETTING_MODELS,  /* array of "provider:model" */
    LLMT_SETTING_WEIGHTS  /* object of numbers >= 0 */
} llmt_setting_type;

typedef struct llmt_setting {
    const char *key;            /* '/'-separated path: "run/concurrency" */
    llmt_setting_type type;
    double min, max;            /* INT, NUMBER: inclusive range */
    const char *const *choices; /* ENUM: NULL-terminated */
    const char *dflt;           /* the default as JSON text; NULL: unset */
    const char *flag;           /* the `run` option that overrides it, or NULL */
    double flag_scale;          /* setting = option value × flag_scale (0 means 1) */
    const char *help;           /* what it means, one line */
} llmt_setting;

/* Every setting; the last row has key NULL. */
extern const llmt_setting llmt_settings[];

/* The row of `key` ("run/concurrency"), or NULL. */
const llmt_setting *llmt_setting_find(const char *key);
/* The default as a new reference (caller decrefs), or NULL when unset. */
json_t *llmt_setting_default(const llmt_setting *s);
/* Whether v (in the setting's own unit) is within the range. */
bool llmt_setting_in_range(const llmt_setting *s, double v);
/* "between 1 and 10000", ">= 0", "> 0" for messages, in the option's unit when
 * `as_flag`. */
void llmt_setting_range_text(const llmt_setting *s, bool as_flag, char *buf, size_t n);
/* Checks a value of the setting from `file`; each problem is an error naming the JSON
 * path `at` (NULL: "/<key>") and what was expected. */
void llmt_setting_check(const llmt_setting *s, json_t *value, const char *file, const char *at,
                        llmt_diags *diags);
/* Checks every setting present in a project document and reports unknown keys of the
 * sections the table defines ("run", "scoring", "cache") as warnings. `extra_top`: other
 * keys allowed at the top level (NULL-terminated). */
void llmt_settings_check_doc(json_t *root, const char *file, const char *const *extra_top,
                             llmt_diags *diags);

#endif
