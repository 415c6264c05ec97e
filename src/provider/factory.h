/* The factory: validates provider implementations and configs, registers them, and
 * creates instances (resolving keys and base URLs). Logs what it loads and refuses. */
#ifndef LLMT_FACTORY_H
#define LLMT_FACTORY_H

#include "core/diag.h"
#include "provider/registry.h"

/* Checks an ops table: ABI major version, name, required ops for its kind.
 * `origin` names where it came from for the message. */
llmt_status llmt_factory_check_ops(const llmt_provider_ops *ops, const char *origin,
                                   llmt_error *err);

/* Asks every built-in provider with a check_files slot (ABI 1.1) about `path` (a task
 * folder when is_dir, else a file the user named); problems go to diags. Returns how
 * many files the providers checked. */
size_t llmt_providers_check_files(const char *path, bool is_dir, llmt_diags *diags);

/* Registers every built-in provider whose ops and config are valid. Config problems go
 * to `diags`; refused providers are logged and skipped. */
llmt_status llmt_factory_load_builtins(llmt_registry *reg, llmt_diags *diags, llmt_error *err);

/* Applies a project to every registered provider: its override file
 * (providers/<name>.json in the project folder) over the provider's config, and the
 * enabled/disabled setting of llm-tester.json. Problems go to diags (an invalid override
 * is an error naming that file). Override files naming no known provider are warned about. */
struct llmt_project;
void llmt_factory_apply_project(llmt_registry *reg, const struct llmt_project *project,
                                llmt_diags *diags);

/* Creates (once) the live instance of an entry: key from env/.env (project_dir),
 * LLMT_<NAME>_BASE_URL override, then ops->init. A missing key is LLMT_E_AUTH naming
 * the variable. */
llmt_status llmt_factory_instance(llmt_registry *reg, llmt_provider_entry *e,
                                  const char *project_dir, uint64_t seed,
                                  const char *options_json, llmt_error *err);

/* "LLMT_MYPROV_BASE_URL" for "myprov" (non-alphanumerics become '_'). Caller frees. */
char *llmt_base_url_env_name(const char *provider);

#endif
