/* Helpers shared by several commands. */
#ifndef LLMT_CLI_COMMON_H
#define LLMT_CLI_COMMON_H

#include "cli/cli.h"
#include "config/project_config.h"
#include "config/settings.h"

/* Splits every comma-separated value of `in` into a flat list (pointers into a single
 * allocation owned by *out). Returns 0 or prints an error. */
int cli_split_list(const cli_strings *in, char ***out, size_t *n);
/* Parses --format values into LLMT_FORMAT_* bits (`dflt` when none is given). */
int cli_parse_formats(const cli_strings *in, unsigned *out, unsigned dflt);
/* The help text of a --format option, from the table of formats, into buf; returns buf. */
const char *cli_format_help(char *buf, size_t n, unsigned dflt);

/* Checks the models named on the command line or in llm-tester.json and expands a bare
 * provider name to its default model. An unknown or disabled provider or model is an
 * error that names the command fixing it (printed, prefixed by `cmd`). On success *out
 * is a malloc'd array of n malloc'd "provider:model" strings (llmt_free_strv). */
int cli_models_resolve(llmt_manager *mgr, const char *cmd, char *const *in, size_t n, char ***out);
/* The models a run uses when neither --models nor llm-tester.json's "models" names any:
 * the default model of each enabled provider whose API key is set (environment or the
 * project's .env). Providers without a key variable (local servers, simulators) are
 * never implied.
 * *out: malloc'd array of *n malloc'd strings, possibly none. */
int cli_models_default(llmt_manager *mgr, char ***out, size_t *n);
/* A warning on stderr for each model whose provider needs an API key that is not set. */
void cli_warn_missing_keys(llmt_manager *mgr, const char *cmd, char *const *models, size_t n);

/* Columns the UTF-8 text s takes on a terminal (combining marks 0, East Asian wide 2). */
size_t cli_display_width(const char *s);
/* Prints s left-aligned in `width` columns: padded, or shortened in the middle with "…"
 * when longer, so that names differing only at the end stay distinct. */
void cli_put_cell(FILE *f, const char *s, size_t width);
/* max(current, width of s), the width of s counted at most `cap`. */
size_t cli_column_width(size_t current, const char *s, size_t cap);

/* The option of `run` that overrides the setting `key` (config/settings.h), bound to
 * target/seen: its name, kind and help (with the default and the llm-tester.json key,
 * written into help[n]) come from the settings table. */
cli_option cli_setting_option(const char *key, char short_name, const char *metavar, void *target,
                              bool *seen, char *help, size_t n);
/* The value of a numeric setting for this command, in the option's unit: the command
 * line's (`given`; range-checked against the table, error printed with `cmd`), else the
 * project's (checked when loaded), else the default. *set tells whether there is one
 * (a setting without default, such as the budget). Returns 0 or an exit code. */
int cli_setting_number(const char *cmd, const llmt_project *p, const char *key, bool given,
                       double *v, bool *set);
int cli_setting_long(const char *cmd, const llmt_project *p, const char *key, bool given, long *v);
/* A string setting: `given` if not NULL, else the project's (borrowed), else NULL. */
const char *cli_setting_string(const llmt_project *p, const char *key, const char *given);

#endif
