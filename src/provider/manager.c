#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/project_config.h"
#include "core/log.h"
#include "core/util.h"
#include "provider/call.h"
#include "provider/factory.h"
#include "provider/manager_internal.h"
#include "provider/plugin.h"
#include "exec/engine.h"

struct llmt_manager {
    llmt_manager_options opts;
    char *project_dir;
    json_t *provider_options; /* {provider: {key: value}}: each provider's run options */
    char *plugin_path;
    llmt_registry *registry;
    llmt_diags diags;
    llmt_project *project; /* NULL without a project config */
    llmt_plugin_refusals refused; /* plugins found but not loaded, with the reason */
    llmt_cache *cache;        /* borrowed */
    llmt_cache_mode cache_mode;
};

void llmt_manager_set_cache(llmt_manager *mgr, llmt_cache *cache, llmt_cache_mode mode)
{
    mgr->cache = cache;
    mgr->cache_mode = cache ? mode : LLMT_CACHE_OFF;
}

llmt_cache *llmt_manager_cache(llmt_manager *mgr, llmt_cache_mode *mode)
{
    *mode = mgr->cache_mode;
    return mgr->cache_mode != LLMT_CACHE_OFF ? mgr->cache : NULL;
}

/* How much of the struct a caller of `version` has: each version only appended fields.
 * 0 for a version this library does not know. */
static size_t manager_options_size(unsigned int version)
{
    switch (version) {
    case 1: return offsetof(llmt_manager_options, plugin_path);
    case 2: return offsetof(llmt_manager_options, project_config_path);
    case 3: return offsetof(llmt_manager_options, provider_options);
    case 4: return sizeof(llmt_manager_options);
    default: return 0;
    }
}

llmt_status llmt_manager_options_init(llmt_manager_options *opts, unsigned int version)
{
    llmt_manager_options d = LLMT_MANAGER_OPTIONS_INIT;
    size_t n = manager_options_size(version);
    if (!opts || !n)
        return LLMT_E_INVALID_ARG;
    d.version = version;
    memcpy(opts, &d, n);
    return LLMT_OK;
}

/* Adds "provider.key=value" to m->provider_options; `what` names it in errors. */
static llmt_status add_provider_option(llmt_manager *m, const char *spec, const char *what,
                                       llmt_error *err)
{
    const char *dot = strchr(spec, '.'), *eq = strchr(spec, '=');
    char *name, *key;
    json_t *obj;
    llmt_status st = LLMT_OK;
    if (!dot || !eq || dot > eq || dot == spec || eq == dot + 1)
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "%s '%s': expected PROVIDER.KEY=VALUE (e.g. mock.rules=FILE)", what,
                              spec);
    name = llmt_strndup(spec, (size_t)(dot - spec));
    key = llmt_strndup(dot + 1, (size_t)(eq - dot - 1));
    if (!name || !key) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    } else if (!llmt_registry_find(m->registry, name)) {
        st = llmt_error_set(err, LLMT_E_INVALID_ARG,
                            "%s '%s': unknown provider '%s' (see: llm-tester providers list)",
                            what, spec, name);
    } else {
        obj = json_object_get(m->provider_options, name);
        if (!obj && json_object_set_new(m->provider_options, name, obj = json_object()) != 0)
            obj = NULL;
        if (!obj || json_object_set_new(obj, key, json_string(eq + 1)) != 0)
            st = llmt_error_set(err, LLMT_E_INVALID_ARG, "%s '%s': the value is not UTF-8 text",
                                what, spec);
    }
    free(name);
    free(key);
    return st;
}

/* Each provider's run options: the mock_rules_path alias first, so that an explicit
 * mock.rules in provider_options wins. */
static llmt_status collect_provider_options(llmt_manager *m, llmt_error *err)
{
    llmt_status st = LLMT_OK;
    size_t i;
    if (!(m->provider_options = json_object()))
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (m->opts.mock_rules_path) {
        char *spec = llmt_asprintf("mock.rules=%s", m->opts.mock_rules_path);
        st = spec ? add_provider_option(m, spec, "mock rules path", err)
                  : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        free(spec);
    }
    for (i = 0; st == LLMT_OK && i < m->opts.n_provider_options; i++)
        if (m->opts.provider_options[i])
            st = add_provider_option(m, m->opts.provider_options[i], "provider option", err);
    return st;
}

llmt_status llmt_manager_new(llmt_manager **out, const llmt_manager_options *opts, llmt_error *err)
{
    llmt_manager *m = calloc(1, sizeof(*m));
    llmt_status st;
    if (!m)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    /* the defaults, then as much of the caller's struct as its version has */
    llmt_manager_options_init(&m->opts, LLMT_MANAGER_OPTIONS_VERSION);
    if (opts) {
        size_t n = manager_options_size(opts->version);
        if (!n) {
            free(m);
            return llmt_error_set(err, LLMT_E_INVALID_ARG, "unknown manager options version %u",
                                  opts->version);
        }
        memcpy(&m->opts, opts, n);
    }
    if (m->opts.project_config_path) {
        st = llmt_project_open(m->opts.project_config_path, &m->project, &m->diags, err);
        if (st != LLMT_OK) {
            llmt_manager_free(m);
            return st;
        }
    }
    m->opts.project_config_path = m->project ? m->project->path : NULL;
    if (m->project) {
        /* the project's run defaults apply where the caller left the option at 0 */
        json_t *t = llmt_project_get(m->project, "run/timeout_ms");
        json_t *ct = llmt_project_get(m->project, "run/connect_timeout_ms");
        if (!m->opts.timeout_ms && json_is_integer(t))
            m->opts.timeout_ms = (long)json_integer_value(t);
        if (!m->opts.connect_timeout_ms && json_is_integer(ct))
            m->opts.connect_timeout_ms = (long)json_integer_value(ct);
    }
    m->project_dir = llmt_strdup(m->opts.project_dir ? m->opts.project_dir
                                 : m->project       ? m->project->dir
                                                    : ".");
    m->opts.project_dir = m->project_dir;
    m->plugin_path = llmt_strdup(m->opts.plugin_path);
    m->opts.plugin_path = m->plugin_path;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    st = llmt_registry_new(&m->registry, &m->opts.logger, err);
    if (st == LLMT_OK)
        st = llmt_factory_load_builtins(m->registry, &m->diags, err);
    /* after the built-ins, so that a plugin's name clash is detected against them */
    if (st == LLMT_OK && !m->diags.errors)
        st = llmt_plugins_load_path(m->registry, m->plugin_path, &m->refused, err);
    /* the project's overrides and enabled/disabled apply to built-ins and plugins alike */
    if (st == LLMT_OK && m->project)
        llmt_factory_apply_project(m->registry, m->project, &m->diags);
    if (st == LLMT_OK && m->diags.errors)
        st = llmt_diags_to_error(&m->diags, err);
    if (st == LLMT_OK)
        st = collect_provider_options(m, err);
    /* the strings were the caller's: nothing keeps pointing at them */
    m->opts.mock_rules_path = NULL;
    m->opts.provider_options = NULL;
    m->opts.n_provider_options = 0;
    if (st != LLMT_OK) {
        llmt_manager_free(m);
        return st;
    }
    *out = m;
    return LLMT_OK;
}

void llmt_manager_free(llmt_manager *mgr)
{
    if (!mgr)
        return;
    llmt_registry_free(mgr->registry);
    llmt_diags_free(&mgr->diags);
    llmt_project_free(mgr->project);
    llmt_plugin_refusals_free(&mgr->refused);
    free(mgr->plugin_path);
    free(mgr->project_dir);
    json_decref(mgr->provider_options);
    free(mgr);
    curl_global_cleanup();
}

llmt_registry *llmt_manager_registry(llmt_manager *mgr)
{
    return mgr->registry;
}

const llmt_diags *llmt_manager_diags(const llmt_manager *mgr)
{
    return &mgr->diags;
}

const llmt_project *llmt_manager_project(const llmt_manager *mgr)
{
    return mgr->project;
}

const llmt_plugin_refusals *llmt_manager_refused_plugins(const llmt_manager *mgr)
{
    return &mgr->refused;
}

const llmt_manager_options *llmt_manager_opts(const llmt_manager *mgr)
{
    return &mgr->opts;
}

llmt_status llmt_manager_instance(llmt_manager *mgr, llmt_provider_entry *e, llmt_error *err)
{
    json_t *mine;
    char *text = NULL;
    llmt_status st;
    if (e->instantiated) /* every job asks: the common case first */
        return LLMT_OK;
    mine = json_object_get(mgr->provider_options, e->config->name);
    /* a provider sees its own options only */
    if (mine && !(text = json_dumps(mine, JSON_COMPACT)))
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    st = llmt_factory_instance(mgr->registry, e, mgr->project_dir, mgr->opts.seed, text, err);
    free(text);
    return st;
}

llmt_status llmt_manager_complete(llmt_manager *mgr, const char *model_ref,
                                  const llmt_request *req, llmt_response *out, llmt_error *err)
{
    /* one job of the engine with no retry and no fallback: the same checks, cache and
     * reply handling as a run */
    llmt_retry_policy once = {0, 0, 0, 0};
    llmt_job_result r;
    llmt_status st;
    if (!mgr || !model_ref || !req || !out)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "llmt_manager_complete: NULL argument");
    memset(out, 0, sizeof(*out));
    st = llmt_engine_run_one(mgr, req, &model_ref, 1, &once, &r, err);
    if (st == LLMT_OK) {
        *out = r.response;
        memset(&r.response, 0, sizeof r.response);
    }
    llmt_job_result_clear(&r);
    return st;
}
