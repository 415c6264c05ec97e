/* What the run engine needs of a manager beyond what manager_info.h shows: provider
 * instances and the response cache. Nothing outside the engine and the manager itself
 * includes this: everything else calls through the engine's job API (run/engine.h). */
#ifndef LLMT_MANAGER_INTERNAL_H
#define LLMT_MANAGER_INTERNAL_H

#include "provider/manager_info.h"

/* The cache set with llmt_manager_set_cache (borrowed; NULL when none) and its mode. */
llmt_cache *llmt_manager_cache(llmt_manager *mgr, llmt_cache_mode *mode);

/* Instance of a provider, created on first use. */
llmt_status llmt_manager_instance(llmt_manager *mgr, llmt_provider_entry *e, llmt_error *err);

#endif
