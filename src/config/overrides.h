/* Project overrides of a provider's shipped config: providers/<name>.json beside
 * llm-tester.json. The shipped config.json files are read-only defaults (they may be
 * installed under a system prefix); an override file holds only what the project
 * changes and is applied field by field, model by model:
 *
 *   {"config_version": 2,
 *    "base_url": "http://localhost:8080",                  replaces the shipped value
 *    "llm_models": [
 *      {"name": "gpt-4.1", "cost_input": 2.5},             edits one field of a model
 *      {"name": "my-finetune", "cost_input": 1, ...},      adds a model
 *      {"name": "old-model", "removed": true}]}            hides a shipped model
 *
 * Objects (rate_limit, capabilities, options) merge key by key; arrays replace. */
#ifndef LLMT_OVERRIDES_H
#define LLMT_OVERRIDES_H

#include <jansson.h>
#include "config/provider_config.h"
#include "core/diag.h"

/* Validates an override document; problems name `path` and the JSON path. */
void llmt_override_check(json_t *ovr, const char *path, llmt_diags *diags);

/* The merged document (new reference). `base` must be an object at the current version. */
json_t *llmt_override_merge(json_t *base, json_t *ovr);

/* Where each effective value comes from, as {"<field>": "<file>", ...,
 * "llm_models": {"<model>": {"<field>": "<file>"}}} (new reference). */
json_t *llmt_override_origins(json_t *base, json_t *ovr, const char *base_path,
                              const char *ovr_path);

/* The shipped config (text, path) with the override file applied when `ovr_path` is not
 * NULL and exists. Errors in either file go to diags naming that file; returns NULL on
 * any error. The result records override_path, base_text and each model's origin. */
llmt_provider_config *llmt_provider_config_layered(const char *base_text, const char *base_path,
                                                   const char *ovr_path, llmt_diags *diags);

/* The same with an override document already in memory (`ovr_path` names it). */
llmt_provider_config *llmt_provider_config_layered_doc(const char *base_text,
                                                       const char *base_path, json_t *ovr,
                                                       const char *ovr_path, llmt_diags *diags);

/* An edit of an override document: change `ovr` (never NULL: a fresh document when the
 * file does not exist yet) knowing the effective config before the edit. Return LLMT_OK
 * or fill err (nothing is written then). */
typedef llmt_status (*llmt_override_fn)(json_t *ovr, const llmt_provider_config *before,
                                        void *ud, llmt_error *err);

/* Locked read-modify-write of the override file: applies fn, validates the override and
 * the merged result, writes atomically when something changed. On any error (including
 * a result that would not validate: two defaults, a bad number) the file is untouched. */
llmt_status llmt_override_edit(const char *ovr_path, const char *base_text,
                               const char *base_path, llmt_override_fn fn, void *ud,
                               llmt_diags *diags, bool *changed, llmt_error *err);

/* Helpers for edit callbacks. The override entry of a model (created as {"name": ...}
 * when `create`), borrowed; NULL when absent and not created. */
json_t *llmt_override_model(json_t *ovr, const char *name, bool create);
/* Removes the override entry of a model; true when there was one. */
bool llmt_override_model_drop(json_t *ovr, const char *name);

#endif
