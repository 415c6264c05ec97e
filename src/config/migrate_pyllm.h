/* The parts of the Python tool's pyllm_config.json that mean "what runs by default":
 * each enabled provider's default_model and test_settings.default_modules. Kept apart
 * from migrate.c, which moves every other key. */
#ifndef LLMT_MIGRATE_PYLLM_H
#define LLMT_MIGRATE_PYLLM_H

#include <jansson.h>
#include "core/diag.h"

/* Reads `doc` (a version 1 project config) and completes `out` (its migration so far):
 * "models" starts with "<provider>:<default_model>" of every enabled provider (what the
 * Python tool ran when given only providers), followed by what was there, without
 * repeats; with test_settings.default_modules, those tasks get "enabled": true and the
 * other tasks of "tasks" "enabled": false. What is not used is named in a warning. */
void llmt_migrate_pyllm_defaults(json_t *doc, json_t *out, const char *path, llmt_diags *diags);

#endif
