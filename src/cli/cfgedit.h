/* Helpers for the commands that change configuration (providers enable|disable,
 * models ..., costs update): they write the project's own files, never shipped ones. */
#ifndef LLMT_CLI_CFGEDIT_H
#define LLMT_CLI_CFGEDIT_H

#include <jansson.h>

#include "cli/cli.h"
#include "config/overrides.h"
#include "config/project_config.h"
#include "provider/registry.h"
#include "task/task.h"

/* Opens the project (--config, or found upward, or none: the current directory).
 * Prints errors; returns 0 or an exit code. */
int cli_open_project(cli_ctx *ctx, llmt_project **out);

/* Creates <project dir>/llm-tester.json when the project has no config file yet, so
 * the overrides just written are found next time. Refuses to write beside a version-1
 * file (pyllm_config.json): migrate it first. Prints errors; returns 0 or an exit code. */
int cli_ensure_project_file(llmt_project *p);

/* Runs an override edit for provider entry e in project p; prints diagnostics and
 * errors. Returns 0 or an exit code; *changed says whether the file was written. */
int cli_override_edit(cli_ctx *ctx, llmt_project *p, const llmt_provider_entry *e,
                      llmt_override_fn fn, void *ud, bool *changed);

/* Project defaults for commands that run tasks: tasks_dir and output_dir resolved
 * against the project folder (malloc'd or NULL), the models ("models" and every model a
 * task of "tasks" names) and the per-task settings. The other settings are read from
 * `project` through the settings table (cli/common.h). Returns 0 or an exit code (after
 * printing the error). */
typedef struct cli_project_defaults {
    llmt_project *project;   /* open for the command (cli_project_defaults_free) */
    char *tasks_dir;
    char *output_dir;
    char **models;       /* "models", then every model a task of "tasks" names (union) */
    size_t n_models;
    size_t n_default_models; /* the first n_default_models of models are "models" */
    json_t *task_settings;   /* the project's "tasks" object (owned reference), or NULL */
    char **task_paths;       /* tasks.<name>.path resolved against the project folder... */
    char **task_path_names;  /* ...and the <name> of each */
    size_t n_task_paths;
    char *project_file;      /* llm-tester.json in effect (for messages), or NULL */
} cli_project_defaults;
int cli_project_defaults_load(cli_ctx *ctx, cli_project_defaults *d);
void cli_project_defaults_free(cli_project_defaults *d);
/* Adds the project's tasks kept outside the tasks folder (tasks.<name>.path) to ts. */
void cli_project_add_task_paths(const cli_project_defaults *d, llmt_taskset *ts,
                                llmt_diags *diags);

/* "yes"/"no"/"true"/"false" into *out; false when neither. */
bool cli_parse_bool(const char *s, bool *out);

#endif
