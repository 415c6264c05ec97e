/* `llm-tester costs update`: prices and token limits from a provider's model catalog
 * (any provider whose ops implement build_catalog_request + parse_catalog; chosen by
 * that capability, never by name), matched against our models and written to the
 * project's override files. */
#ifndef LLMT_CATALOG_H
#define LLMT_CATALOG_H

#include "config/project_config.h"
#include "llmt/log.h"
#include "llmt/manager.h"
#include "provider/registry.h"

/* The provider with catalog slots, or NULL. When several have them, the first by name. */
llmt_provider_entry *llmt_catalog_provider(llmt_registry *reg);

/* The catalog: from `from_file` (fed to parse_catalog as a 200 reply, for offline use)
 * or fetched over HTTP (the provider's base URL, LLMT_<NAME>_BASE_URL honoured; the API
 * key is sent when one is configured, but not required) as one fetch job of the
 * manager's engine. *entries is freed with llmt_catalog_entries_free(). */
llmt_status llmt_catalog_fetch(llmt_manager *mgr, llmt_provider_entry *cat,
                               const char *project_dir, const char *from_file, long timeout_ms,
                               llmt_catalog_entry **entries, size_t *n, llmt_error *err);

typedef enum { LLMT_COST_UNCHANGED, LLMT_COST_UPDATED, LLMT_COST_ADDED } llmt_cost_change_kind;

typedef struct llmt_cost_change {
    llmt_cost_change_kind kind;
    char *provider;
    char *model;
    char *catalog_id;
    bool has_old_cost;
    double old_input, old_output;   /* USD per 1M */
    bool has_cost;
    double input, output;           /* USD per 1M */
    long max_input_tokens;          /* 0 = leave */
    long max_output_tokens;         /* 0 = leave */
    char *category;                 /* for added models */
} llmt_cost_change;

typedef struct llmt_cost_plan {
    llmt_cost_change *changes;
    size_t n;
    size_t updated, added, unchanged, not_in_catalog;
} llmt_cost_plan;

/* A change above this (USD per 1M tokens) counts as an update. */
#define LLMT_COST_EPSILON 0.001

/* The cost category a price falls in (input + output per 1M): 0 free, <= 1 cheap,
 * <= 10 standard, <= 50 expensive, above premium. */
const char *llmt_cost_category_for(double input, double output);

/* Compares the catalog with the models of `providers` (NULL/0 = every provider). A
 * model matches the catalog entry whose id is its catalog_id, else
 * "<provider>/<model>" (for the catalog provider itself: the model name). Catalog
 * entries that the catalog provider lacks are planned as new, disabled models of the
 * catalog provider (only when it is among `providers`); they are never added to another
 * provider, whose API names may differ. Unknown names in `providers` are LLMT_E_NOT_FOUND. */
llmt_status llmt_cost_plan_make(llmt_registry *reg, const llmt_provider_entry *cat,
                                const llmt_catalog_entry *entries, size_t n,
                                const char *const *providers, size_t n_providers,
                                llmt_cost_plan *out, llmt_error *err);
void llmt_cost_plan_free(llmt_cost_plan *plan);

/* Writes the updated and added models into the project's override files (one locked
 * edit per provider). Stops at the first failure; files already written stay written. */
llmt_status llmt_cost_plan_apply(llmt_registry *reg, const llmt_cost_plan *plan,
                                 const llmt_project *project, llmt_diags *diags,
                                 size_t *files_written, llmt_error *err);

#endif
