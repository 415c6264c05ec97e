/* The project config, llm-tester.json (SPEC §5.2). */
#ifndef LLMT_PROJECT_CONFIG_H
#define LLMT_PROJECT_CONFIG_H

#include <jansson.h>
#include "core/diag.h"

#define LLMT_PROJECT_CONFIG_VERSION 2

/* Finds llm-tester.json from `start_dir` upward; malloc'd path or NULL. */
char *llmt_project_config_find(const char *start_dir);

/* Validates a project config file; problems go to diags. Returns the parsed JSON (new
 * reference) or NULL on error. */
json_t *llmt_project_config_load(const char *path, llmt_diags *diags);

#endif
