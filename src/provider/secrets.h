/* API keys: from the environment, else from a .env file in the project directory.
 * Keys are never logged; llmt_redact_key() gives the "sk-...abcd" form for display. */
#ifndef LLMT_SECRETS_H
#define LLMT_SECRETS_H

#include "llmt/error.h"

/* Returns a malloc'd copy of the key named `var`, or NULL when it is not set anywhere.
 * `project_dir` may be NULL (only the environment is consulted). */
char *llmt_secret_lookup(const char *var, const char *project_dir);
/* Whether the .env line line[0..len) assigns `var` (optional "export ", spaces around the
 * name): a pointer just after its '=', else NULL. */
const char *llmt_dotenv_value_of(const char *line, size_t len, const char *var);
/* Whether <project_dir>/.env exists and others (group or everyone) may read it. */
bool llmt_dotenv_readable_by_others(const char *project_dir);
/* Writes a redacted form of key into buf: first 3 and last 4 characters. */
void llmt_redact_key(const char *key, char *buf, size_t n);

#endif
