/* What the CLI and the runner may see of a manager beyond the public API: what it
 * loaded (providers, diagnostics, refused plugins, the project) and its settings. To
 * send anything, they use the engine's job API (run/engine.h), never a provider's ops. */
#ifndef LLMT_MANAGER_INFO_H
#define LLMT_MANAGER_INFO_H

#include "core/diag.h"
#include "llmt/manager.h"
#include "provider/plugin.h"
#include "provider/registry.h"
#include "store/cache.h"

/* The providers it knows (borrowed, lives as long as mgr). */
llmt_registry *llmt_manager_registry(llmt_manager *mgr);
/* Problems found while loading provider configs (warnings and refused providers). */
const llmt_diags *llmt_manager_diags(const llmt_manager *mgr);
/* Plugins found on the plugin path but refused, with the reason (borrowed). */
const llmt_plugin_refusals *llmt_manager_refused_plugins(const llmt_manager *mgr);
const llmt_manager_options *llmt_manager_opts(const llmt_manager *mgr);
/* The project given with project_config_path, or NULL. Borrowed, lives as long as mgr. */
struct llmt_project;
const struct llmt_project *llmt_manager_project(const llmt_manager *mgr);
/* Response cache for every call made through the manager (borrowed; NULL or
 * LLMT_CACHE_OFF = none). Hits are priced like fresh answers (what the model costs) and
 * marked from_cache. */
void llmt_manager_set_cache(llmt_manager *mgr, llmt_cache *cache, llmt_cache_mode mode);

#endif
