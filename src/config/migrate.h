/* config_version and migration. Version 1 is what the Python tool wrote (provider
 * config.json files without "config_version", and its pyllm_config.json); version 2 is
 * the current format of every file. Migration happens in memory on every load, and
 * `llm-tester config migrate --write` rewrites files. Migrating a current document
 * changes nothing (round trip). */
#ifndef LLMT_MIGRATE_H
#define LLMT_MIGRATE_H

#include <jansson.h>
#include "core/diag.h"

/* Each returns a new reference to the document at the current version (the same
 * object, incref'd, when it already is current) and sets *from_version (may be NULL).
 * Information that has no place in the new format is named in a warning diagnostic,
 * never silently dropped. Secrets found in old files are dropped without echoing them. */
json_t *llmt_migrate_provider_config(json_t *doc, const char *path, llmt_diags *diags,
                                     int *from_version);
json_t *llmt_migrate_project_config(json_t *doc, const char *path, llmt_diags *diags,
                                    int *from_version);

#endif
