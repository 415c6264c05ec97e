/* Which models a command runs: the names given are expanded (a bare provider name means
 * that provider's default model) and checked (known, provider and model enabled);
 * without any, the providers whose API key is set run their default model. One place,
 * so `run`, `list` and --help say the same. */
#include "cli/common.h"

#include <stdlib.h>
#include <string.h>

#include "config/provider_config.h"
#include "core/util.h"
#include "provider/manager_info.h"
#include "provider/registry.h"
#include "provider/secrets.h"

/* The checked "provider:model" for `ref`, malloc'd, or NULL after printing why. */
static char *resolve_one(llmt_manager *mgr, const char *cmd, const char *ref)
{
    llmt_registry *reg = llmt_manager_registry(mgr);
    const char *colon = strchr(ref, ':');
    char *pname = colon ? llmt_strndup(ref, (size_t)(colon - ref)) : llmt_strdup(ref);
    llmt_provider_entry *e = pname ? llmt_registry_find(reg, pname) : NULL;
    const llmt_model_config *m = NULL;
    char *out = NULL;
    if (!pname) {
        cli_error("%s: out of memory", cmd);
        return NULL;
    }
    if (!e) {
        llmt_buf known = {0};
        size_t i;
        for (i = 0; i < llmt_registry_count(reg); i++)
            llmt_buf_printf(&known, "%s%s", i ? ", " : "", llmt_registry_at(reg, i)->config->name);
        cli_error("%s: unknown provider '%s' (known: %s)", cmd, pname, known.data ? known.data : "none");
        llmt_buf_free(&known);
        goto done;
    }
    m = colon ? llmt_provider_config_model(e->config, colon + 1)
              : llmt_provider_config_default_model(e->config);
    if (!m) {
        if (colon)
            cli_error("%s: unknown model '%s' for provider '%s' (see: llm-tester models list %s)", cmd,
                      colon + 1, pname, pname);
        else
            cli_error("%s: provider '%s' has no default model (see: llm-tester models list %s)", cmd,
                      pname, pname);
        goto done;
    }
    if (!e->config->enabled) {
        cli_error("%s: provider '%s' is disabled (enable it with: llm-tester providers enable %s)",
                  cmd, pname, pname);
        goto done;
    }
    if (!m->enabled) {
        cli_error("%s: model '%s:%s' is disabled (enable it with: llm-tester models edit %s %s "
                  "--enabled yes)",
                  cmd, pname, m->name, pname, m->name);
        goto done;
    }
    out = llmt_asprintf("%s:%s", pname, m->name);
done:
    free(pname);
    return out;
}

int cli_models_resolve(llmt_manager *mgr, const char *cmd, char *const *in, size_t n, char ***out)
{
    char **v = calloc(n + 1, sizeof(*v));
    size_t i;
    *out = NULL;
    if (!v) {
        cli_error("%s: out of memory", cmd);
        return CLI_EXIT_USAGE;
    }
    for (i = 0; i < n; i++) {
        v[i] = resolve_one(mgr, cmd, in[i]);
        if (!v[i]) {
            llmt_free_strv(v, i);
            return CLI_EXIT_USAGE;
        }
    }
    *out = v;
    return 0;
}

int cli_models_default(llmt_manager *mgr, char ***out, size_t *n)
{
    llmt_registry *reg = llmt_manager_registry(mgr);
    const char *dir = llmt_manager_opts(mgr)->project_dir;
    size_t i, count = llmt_registry_count(reg);
    char **v = calloc(count + 1, sizeof(*v));
    *out = NULL;
    *n = 0;
    if (!v) {
        cli_error("out of memory");
        return CLI_EXIT_USAGE;
    }
    for (i = 0; i < count; i++) {
        const llmt_provider_entry *e = llmt_registry_at(reg, i);
        const llmt_model_config *m = llmt_provider_config_default_model(e->config);
        char *key;
        /* local servers and simulators (no key variable) are chosen explicitly */
        if (!e->config->enabled || !m || !m->enabled || !e->config->env_key[0])
            continue;
        key = llmt_secret_lookup(e->config->env_key, dir);
        if (key)
            v[(*n)++] = llmt_asprintf("%s:%s", e->config->name, m->name);
        free(key);
    }
    *out = v;
    return 0;
}

void cli_warn_missing_keys(llmt_manager *mgr, const char *cmd, char *const *models, size_t n)
{
    llmt_registry *reg = llmt_manager_registry(mgr);
    const char *dir = llmt_manager_opts(mgr)->project_dir;
    size_t i;
    for (i = 0; i < n; i++) {
        const char *colon = strchr(models[i], ':');
        char *pname = colon ? llmt_strndup(models[i], (size_t)(colon - models[i])) : NULL;
        const llmt_provider_entry *e = pname ? llmt_registry_find(reg, pname) : NULL;
        char *key = e && e->config->env_key[0] ? llmt_secret_lookup(e->config->env_key, dir) : NULL;
        if (e && e->config->env_key[0] && !key)
            cli_warn("%s: no API key for %s: set %s in the environment or in %s/.env, or the "
                     "real run fails with an auth error",
                     cmd, models[i], e->config->env_key, dir ? dir : ".");
        free(key);
        free(pname);
    }
}
