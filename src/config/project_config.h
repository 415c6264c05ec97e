/* The project config, llm-tester.json (a project's settings): found from the current directory
 * upward (or given with --config). Its folder is the project folder: .env and the
 * provider overrides (providers/<name>.json) live there. */
#ifndef LLMT_PROJECT_CONFIG_H
#define LLMT_PROJECT_CONFIG_H

#include <jansson.h>
#include "core/diag.h"

#define LLMT_PROJECT_CONFIG_VERSION 2
#define LLMT_PROJECT_CONFIG_NAME "llm-tester.json"
/* The Python tool's project file, read as version 1. */
#define LLMT_PROJECT_CONFIG_V1_NAME "pyllm_config.json"

/* Finds llm-tester.json from `start_dir` (NULL = ".") upward; malloc'd absolute path or
 * NULL. A pyllm_config.json is found too, when a folder has it and no llm-tester.json.
 * The search never enters a folder listed in $LLMT_CEILING_DIRS (colon-separated, as
 * git's GIT_CEILING_DIRECTORIES), so tests and CI jobs are not affected by whatever
 * llm-tester.json or .env sits above them.
 * It also stops at a folder or file that belongs to another user (as git's
 * safe.directory): such a config could name plugins or send the key elsewhere. */
char *llmt_project_config_find(const char *start_dir);
/* The same, telling why a config that was found is not used: one in or above a folder
 * of another user, or a file of another user, gives NULL and (when why is not NULL) a
 * malloc'd sentence in *why naming the file and the owner, for a warning; *why is NULL
 * otherwise (nothing found is not worth a warning). */
char *llmt_project_config_find_checked(const char *start_dir, char **why);

/* Loads, migrates (in memory) and validates a project config; problems go to diags.
 * Returns the document at the current version (new reference) or NULL on error. */
json_t *llmt_project_config_load(const char *path, llmt_diags *diags);
/* The same checks on an already parsed (and migrated) document. */
void llmt_project_config_check(json_t *root, const char *path, llmt_diags *diags);

/* A loaded project. `path` is NULL when there is no project file; `dir` is then the
 * current directory (where a first write creates llm-tester.json). */
typedef struct llmt_project {
    char *path;     /* absolute path of the config file, or NULL */
    char *dir;      /* the project folder */
    json_t *root;   /* the migrated, validated document ({} when there is no file) */
} llmt_project;

/* Opens the project: `explicit_path` (--config; must exist) or the file found from the
 * current directory upward. On success *out is owned by the caller
 * (llmt_project_free); on failure it is untouched and err names the file and JSON path
 * of the first error (all of them are in diags). */
llmt_status llmt_project_open(const char *explicit_path, llmt_project **out, llmt_diags *diags,
                              llmt_error *err);
void llmt_project_free(llmt_project *p);

/* Where a project file is written when none exists yet: <dir>/llm-tester.json. Caller frees. */
char *llmt_project_write_path(const llmt_project *p);
/* providers/<name>.json in the project folder. Caller frees. */
char *llmt_project_override_path(const llmt_project *p, const char *provider);

/* Project setting for a provider: 1 enabled, 0 disabled, -1 not set. */
int llmt_project_provider_enabled(const llmt_project *p, const char *provider);

/* Borrowed value at a '/'-separated path ("run/concurrency"), or NULL when unset. Valid
 * as long as the project. */
json_t *llmt_project_get(const llmt_project *p, const char *path);

/* The built-in default of a setting ("run/concurrency") as a new reference (caller
 * decrefs), or NULL when it has none (unset). The settings: config/settings.h. */
json_t *llmt_project_default(const char *path);

/* A path setting resolved against the project folder (absolute paths as they are).
 * malloc'd, or NULL when unset. */
char *llmt_project_path_setting(const llmt_project *p, const char *key);

#endif
