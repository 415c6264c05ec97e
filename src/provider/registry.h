/* The registry: every provider known to this process (built-ins and plugins), looked
 * up by name, with a cache of live instances. Owned by a manager; not thread-safe. */
#ifndef LLMT_REGISTRY_H
#define LLMT_REGISTRY_H

#include "config/provider_config.h"
#include "llmt/log.h"
#include "llmt/provider.h"

typedef struct llmt_provider_entry {
    const llmt_provider_ops *ops;
    llmt_provider_config *config; /* owned */
    char *origin;                 /* "built-in" or the plugin's file path */
    void *dl_handle;              /* dlopen handle for plugins, else NULL */
    /* instance cache: created on first use by the factory */
    bool instantiated;
    void *state;
    char *api_key;                /* resolved secret, never logged */
    char *base_url;               /* after environment override */
    struct llmt_schema_plans *schema_plans; /* what task schemas become when sent (owned) */
} llmt_provider_entry;

typedef struct llmt_registry llmt_registry;

llmt_status llmt_registry_new(llmt_registry **out, const llmt_logger *logger, llmt_error *err);
/* Destroys instances, unloads plugins. NULL ok. */
void llmt_registry_free(llmt_registry *reg);

/* Takes ownership of `config` (freed on failure too). Refuses a name already taken
 * unless `replace` is set (then the old entry is destroyed). */
llmt_status llmt_registry_add(llmt_registry *reg, const llmt_provider_ops *ops,
                              llmt_provider_config *config, const char *origin, void *dl_handle,
                              bool replace, llmt_error *err);
llmt_provider_entry *llmt_registry_find(llmt_registry *reg, const char *name);
size_t llmt_registry_count(const llmt_registry *reg);
llmt_provider_entry *llmt_registry_at(llmt_registry *reg, size_t i);
const llmt_logger *llmt_registry_logger(const llmt_registry *reg);
/* A replay (run --replay) sends nothing, so it needs no API key: from then on a provider
 * whose key is not set is made with a stand-in that never leaves the process, and a
 * plain-HTTP base URL is not refused for the key it would carry. */
void llmt_registry_set_keyless(llmt_registry *reg);
bool llmt_registry_keyless(const llmt_registry *reg);

/* What listings show of an entry's implementation, without reaching into its ops. */
bool llmt_entry_is_local(const llmt_provider_entry *e);
/* Whether its replies say what the account's rate limits are (read_rate_limits). */
bool llmt_entry_reads_rate_limits(const llmt_provider_entry *e);
/* "major.minor" of the ABI it was built against, into buf. */
void llmt_entry_abi_string(const llmt_provider_entry *e, char *buf, size_t cap);

#endif
