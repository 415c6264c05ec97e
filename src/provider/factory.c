#include "provider/factory.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/overrides.h"
#include "config/project_config.h"
#include "config/shipped.h"
#include "core/log.h"
#include "core/util.h"
#include "provider/builtin.h"
#include "provider/host_api.h"
#include "provider/secrets.h"

static void to_diags(void *ud, bool error, const char *file, const char *json_path,
                     const char *message)
{
    llmt_diags_add(ud, error ? LLMT_DIAG_ERROR : LLMT_DIAG_WARNING, file, json_path ? json_path : "",
                   "%s", message);
}

size_t llmt_providers_check_files(const char *path, bool is_dir, llmt_diags *diags)
{
    const llmt_builtin_provider *b;
    llmt_check_sink sink;
    size_t n = 0;
    sink.report = to_diags;
    sink.ud = diags;
    for (b = llmt_builtin_providers; b->name; b++)
        if (LLMT_OPS_HAS(b->ops, check_files))
            n += b->ops->check_files(path, is_dir, &sink);
    return n;
}

llmt_status llmt_factory_check_ops(const llmt_provider_ops *ops, const char *origin,
                                   llmt_error *err)
{
    unsigned int major;
    if (!ops)
        return llmt_error_set(err, LLMT_E_PLUGIN, "%s: no provider table", origin);
    major = ops->abi_version >> 16;
    if (major != LLMT_PROVIDER_ABI_MAJOR)
        return llmt_error_set(err, LLMT_E_PLUGIN,
                              "%s: provider ABI version %u.%u is not supported (this llm-tester "
                              "speaks %u.%u)",
                              origin, major, ops->abi_version & 0xffffu, LLMT_PROVIDER_ABI_MAJOR,
                              LLMT_PROVIDER_ABI_MINOR);
    if (!ops->name || !ops->name[0])
        return llmt_error_set(err, LLMT_E_PLUGIN, "%s: provider has no name", origin);
    if (!ops->init || !ops->destroy)
        return llmt_error_set(err, LLMT_E_PLUGIN, "%s: provider '%s' lacks the required op %s",
                              origin, ops->name, !ops->init ? "init" : "destroy");
    if (ops->capabilities & LLMT_CAP_LOCAL) {
        if (!ops->call)
            return llmt_error_set(err, LLMT_E_PLUGIN,
                                  "%s: local provider '%s' lacks the required op call", origin,
                                  ops->name);
    } else if (!ops->build_request || !ops->parse_response || !ops->classify_error) {
        return llmt_error_set(err, LLMT_E_PLUGIN,
                              "%s: HTTP provider '%s' lacks the required op %s", origin, ops->name,
                              !ops->build_request    ? "build_request"
                              : !ops->parse_response ? "parse_response"
                                                     : "classify_error");
    }
    return LLMT_OK;
}

llmt_status llmt_factory_load_builtins(llmt_registry *reg, llmt_diags *diags, llmt_error *err)
{
    const llmt_builtin_provider *b;
    const llmt_logger *lg = llmt_registry_logger(reg);
    for (b = llmt_builtin_providers; b->name; b++) {
        llmt_error e;
        llmt_provider_config *cfg;
        llmt_status st;
        if (llmt_factory_check_ops(b->ops, b->config_path, &e) != LLMT_OK) {
            llmt_logf(lg, LLMT_LOG_WARN, "refused built-in provider '%s': %s", b->name, e.message);
            continue;
        }
        {
            /* messages name the installed config.json when this is an installed program */
            char *shown = llmt_shipped_config_path(b->name, b->config_path);
            cfg = llmt_provider_config_parse(b->config_json, shown ? shown : b->config_path, diags);
            free(shown);
        }
        if (!cfg) {
            llmt_logf(lg, LLMT_LOG_WARN, "refused built-in provider '%s': invalid %s", b->name,
                      b->config_path);
            continue;
        }
        if (strcmp(cfg->name, b->name) != 0) {
            llmt_diags_add(diags, LLMT_DIAG_ERROR, b->config_path, "/name",
                           "expected \"%s\" (the folder name), got \"%s\"", b->name, cfg->name);
            llmt_provider_config_free(cfg);
            continue;
        }
        st = llmt_registry_add(reg, b->ops, cfg, "built-in", NULL, false, err);
        if (st != LLMT_OK)
            return st;
    }
    return LLMT_OK;
}

void llmt_factory_apply_project(llmt_registry *reg, const llmt_project *project,
                                llmt_diags *diags)
{
    const llmt_logger *lg = llmt_registry_logger(reg);
    char *dir = llmt_path_join(project->dir, "providers");
    char **names = NULL;
    size_t n = 0, i;
    for (i = 0; i < llmt_registry_count(reg); i++) {
        llmt_provider_entry *e = llmt_registry_at(reg, i);
        char *ovr = llmt_project_override_path(project, e->config->name);
        int enabled = llmt_project_provider_enabled(project, e->config->name);
        if (ovr && llmt_path_exists(ovr) && !e->instantiated) {
            llmt_provider_config *cfg =
                llmt_provider_config_layered(e->config->text, e->config->path, ovr, diags);
            if (cfg) {
                llmt_provider_config_free(e->config);
                e->config = cfg;
                llmt_logf(lg, LLMT_LOG_INFO, "provider '%s': applied %s", cfg->name, ovr);
            }
        }
        if (enabled >= 0)
            e->config->enabled = enabled == 1;
        free(ovr);
    }
    /* an override for a provider nobody provides is most likely a typo */
    if (dir && llmt_is_dir(dir) && llmt_list_dir(dir, &names, &n, NULL) == LLMT_OK) {
        for (i = 0; i < n; i++) {
            char *base;
            if (!llmt_str_ends_with(names[i], ".json"))
                continue;
            base = llmt_strndup(names[i], strlen(names[i]) - 5);
            if (base && !llmt_registry_find(reg, base)) {
                char *full = llmt_path_join(dir, names[i]);
                llmt_diags_add(diags, LLMT_DIAG_WARNING, full ? full : names[i], "",
                               "override for unknown provider '%s' (not applied)", base);
                free(full);
            }
            free(base);
        }
        llmt_free_strv(names, n);
    }
    free(dir);
}

char *llmt_base_url_env_name(const char *provider)
{
    char *s = llmt_asprintf("LLMT_%s_BASE_URL", provider);
    char *p;
    if (!s)
        return NULL;
    for (p = s + 5; *p && p < s + 5 + strlen(provider); p++)
        *p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    return s;
}

/* Whether url is plain http:// to a host other than loopback (localhost, 127.0.0.0/8,
 * [::1]), where a key would cross the network unencrypted. */
static bool insecure_remote_http(const char *url)
{
    const char *host, *at;
    char name[256];
    size_t n;
    struct in_addr a4;
    if (!url || strncasecmp(url, "http://", 7) != 0)
        return false;
    host = url + 7;
    n = strcspn(host, "/?#");
    at = memchr(host, '@', n);
    if (at) { /* user:password@host */
        n -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    if (host[0] == '[') /* [IPv6]:port */
        n = strcspn(host, "]/?#") + (host[strcspn(host, "]/?#")] == ']');
    else
        n = strcspn(host, ":/?#");
    if (n == 0 || n >= sizeof name)
        return true;
    memcpy(name, host, n);
    name[n] = '\0';
    if (strcasecmp(name, "localhost") == 0 || strcmp(name, "[::1]") == 0)
        return false;
    return !(inet_pton(AF_INET, name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127);
}

llmt_status llmt_factory_instance(llmt_registry *reg, llmt_provider_entry *e,
                                  const char *project_dir, uint64_t seed,
                                  const char *options_json, llmt_error *err)
{
    const llmt_logger *lg = llmt_registry_logger(reg);
    llmt_provider_settings s;
    char *env_name;
    const char *override;
    llmt_status st;
    if (e->instantiated)
        return LLMT_OK;
    if (e->config->env_key[0]) {
        const char *env = getenv(e->config->env_key);
        e->api_key = llmt_secret_lookup(e->config->env_key, project_dir);
        if (e->api_key && !(env && *env) && llmt_dotenv_readable_by_others(project_dir))
            llmt_logf(lg, LLMT_LOG_WARN,
                      "provider '%s': its key comes from %s/.env, which other users can read "
                      "(chmod 600 it)",
                      e->config->name, project_dir ? project_dir : ".");
        if (!e->api_key && llmt_registry_keyless(reg)) {
            /* a replay: the request is built (and matched) without ever being sent */
            e->api_key = llmt_strdup("replay-without-a-key");
            if (!e->api_key)
                return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        }
        if (!e->api_key) {
            st = llmt_error_set(err, LLMT_E_AUTH,
                                "%s: API key missing: set the environment variable %s (or put it "
                                "in .env)",
                                e->config->name, e->config->env_key);
            if (err)
                snprintf(err->provider, sizeof err->provider, "%s", e->config->name);
            return st;
        }
    }
    env_name = llmt_base_url_env_name(e->config->name);
    override = env_name ? getenv(env_name) : NULL;
    free(e->base_url);
    e->base_url = llmt_strdup(override && *override ? override : e->config->base_url);
    if (override && *override)
        llmt_logf(lg, LLMT_LOG_INFO, "provider '%s': base URL %s (from %s)", e->config->name,
                  e->base_url, env_name);
    if (e->api_key && !llmt_registry_keyless(reg) && insecure_remote_http(e->base_url)) {
        if (!e->config->allow_insecure_http) {
            st = llmt_error_set(err, LLMT_E_CONFIG,
                                "%s: base URL %s is plain HTTP to a host that is not this "
                                "machine: the key (%s) would cross the network unencrypted; use "
                                "https://, or set \"allow_insecure_http\": true for this "
                                "provider to send it anyway",
                                e->config->name, e->base_url, e->config->env_key);
            if (err)
                snprintf(err->provider, sizeof err->provider, "%s", e->config->name);
            free(env_name);
            return st;
        }
        llmt_logf(lg, LLMT_LOG_WARN,
                  "provider '%s': sending its key (%s) over plain HTTP to %s "
                  "(allow_insecure_http is set)",
                  e->config->name, e->config->env_key, e->base_url);
    }
    free(env_name);
    memset(&s, 0, sizeof s);
    s.version = LLMT_PROVIDER_SETTINGS_VERSION;
    s.name = e->config->name;
    s.base_url = e->base_url;
    s.api_key = e->api_key;
    s.config_json = e->config->text;
    s.config_path = e->config->path;
    s.seed = seed;
    s.options_json = options_json;
    s.host = llmt_host(); /* built-ins and plugins get the same toolkit */
    e->state = NULL;
    st = e->ops->init(&e->state, &s, err);
    if (st != LLMT_OK) {
        if (err && !err->provider[0])
            snprintf(err->provider, sizeof err->provider, "%s", e->config->name);
        llmt_logf(lg, LLMT_LOG_WARN, "provider '%s' failed to initialise: %s", e->config->name,
                  err ? err->message : llmt_strerror(st));
        return st;
    }
    e->instantiated = true;
    llmt_logf(lg, LLMT_LOG_INFO, "provider '%s' ready (%s)", e->config->name, e->origin);
    return LLMT_OK;
}
