#include "provider/registry.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "provider/schema_xform.h"

struct llmt_registry {
    llmt_provider_entry *entries; /* sorted by name */
    size_t count;
    llmt_logger logger;
    bool keyless;                 /* a replay: providers need no key (nothing is sent) */
};

void llmt_registry_set_keyless(llmt_registry *reg)
{
    reg->keyless = true;
}

bool llmt_registry_keyless(const llmt_registry *reg)
{
    return reg->keyless;
}

llmt_status llmt_registry_new(llmt_registry **out, const llmt_logger *logger, llmt_error *err)
{
    llmt_registry *reg = calloc(1, sizeof(*reg));
    if (!reg)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (logger)
        reg->logger = *logger;
    *out = reg;
    return LLMT_OK;
}

static void entry_destroy(llmt_provider_entry *e)
{
    if (e->instantiated && e->ops->destroy)
        e->ops->destroy(e->state);
    llmt_provider_config_free(e->config);
    free(e->origin);
    free(e->api_key);
    free(e->base_url);
    llmt_schema_plans_free(e->schema_plans);
    if (e->dl_handle)
        dlclose(e->dl_handle);
    memset(e, 0, sizeof(*e));
}

void llmt_registry_free(llmt_registry *reg)
{
    size_t i;
    if (!reg)
        return;
    for (i = 0; i < reg->count; i++)
        entry_destroy(&reg->entries[i]);
    free(reg->entries);
    free(reg);
}

llmt_status llmt_registry_add(llmt_registry *reg, const llmt_provider_ops *ops,
                              llmt_provider_config *config, const char *origin, void *dl_handle,
                              bool replace, llmt_error *err)
{
    llmt_provider_entry *existing = llmt_registry_find(reg, ops->name);
    llmt_provider_entry *grown;
    size_t pos;
    if (existing) {
        if (!replace) {
            llmt_error_set(err, LLMT_E_PLUGIN,
                           "provider '%s' from %s clashes with the one from %s", ops->name,
                           origin, existing->origin);
            llmt_provider_config_free(config);
            return LLMT_E_PLUGIN;
        }
        entry_destroy(existing);
        existing->ops = ops;
        existing->config = config;
        existing->origin = llmt_strdup(origin);
        existing->dl_handle = dl_handle;
        existing->schema_plans = llmt_schema_plans_new(ops->name, &reg->logger);
        if (!existing->schema_plans)
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        return LLMT_OK;
    }
    grown = realloc(reg->entries, (reg->count + 1) * sizeof(*grown));
    if (!grown) {
        llmt_provider_config_free(config);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    reg->entries = grown;
    for (pos = 0; pos < reg->count && strcmp(reg->entries[pos].ops->name, ops->name) < 0; pos++)
        ;
    memmove(&reg->entries[pos + 1], &reg->entries[pos], (reg->count - pos) * sizeof(*grown));
    memset(&reg->entries[pos], 0, sizeof(*grown));
    reg->entries[pos].ops = ops;
    reg->entries[pos].config = config;
    reg->entries[pos].origin = llmt_strdup(origin);
    reg->entries[pos].dl_handle = dl_handle;
    reg->entries[pos].schema_plans = llmt_schema_plans_new(ops->name, &reg->logger);
    reg->count++;
    if (!reg->entries[pos].schema_plans)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    llmt_logf(&reg->logger, LLMT_LOG_INFO, "registered provider '%s' (%s, %zu models)", ops->name,
              origin, config->n_models);
    return LLMT_OK;
}

llmt_provider_entry *llmt_registry_find(llmt_registry *reg, const char *name)
{
    size_t i;
    for (i = 0; i < reg->count; i++)
        if (strcmp(reg->entries[i].ops->name, name) == 0)
            return &reg->entries[i];
    return NULL;
}

size_t llmt_registry_count(const llmt_registry *reg)
{
    return reg->count;
}

llmt_provider_entry *llmt_registry_at(llmt_registry *reg, size_t i)
{
    return i < reg->count ? &reg->entries[i] : NULL;
}

const llmt_logger *llmt_registry_logger(const llmt_registry *reg)
{
    return &reg->logger;
}

bool llmt_entry_is_local(const llmt_provider_entry *e)
{
    return (e->ops->capabilities & LLMT_CAP_LOCAL) != 0;
}

bool llmt_entry_reads_rate_limits(const llmt_provider_entry *e)
{
    return LLMT_OPS_HAS(e->ops, read_rate_limits);
}

void llmt_entry_abi_string(const llmt_provider_entry *e, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u", e->ops->abi_version >> 16, e->ops->abi_version & 0xffffu);
}
