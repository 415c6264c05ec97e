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

struct llmt_manager {
    llmt_manager_options opts;
    char *project_dir;
    char *mock_rules_path;
    char *provider_options; /* JSON handed to providers at init */
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

void llmt_manager_options_init(llmt_manager_options *opts)
{
    llmt_manager_options d = LLMT_MANAGER_OPTIONS_INIT;
    *opts = d;
}

llmt_status llmt_manager_new(llmt_manager **out, const llmt_manager_options *opts, llmt_error *err)
{
    llmt_manager *m = calloc(1, sizeof(*m));
    llmt_status st;
    if (!m)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (opts) {
        if (opts->version == 0 || opts->version > LLMT_MANAGER_OPTIONS_VERSION) {
            free(m);
            return llmt_error_set(err, LLMT_E_INVALID_ARG, "unknown manager options version %u",
                                  opts->version);
        }
        if (opts->version == 1) {
            /* a version-1 caller's struct ends before plugin_path: copy only its part */
            memcpy(&m->opts, opts, offsetof(llmt_manager_options, plugin_path));
            m->opts.plugin_path = NULL;
            m->opts.project_config_path = NULL;
        } else if (opts->version == 2) {
            /* a version-2 struct ends before project_config_path */
            memcpy(&m->opts, opts, offsetof(llmt_manager_options, project_config_path));
            m->opts.project_config_path = NULL;
        } else {
            m->opts = *opts;
        }
    } else {
        llmt_manager_options_init(&m->opts);
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
    m->mock_rules_path = llmt_strdup(m->opts.mock_rules_path);
    m->opts.project_dir = m->project_dir;
    m->opts.mock_rules_path = m->mock_rules_path;
    m->plugin_path = llmt_strdup(m->opts.plugin_path);
    m->opts.plugin_path = m->plugin_path;
    if (m->mock_rules_path) {
        json_t *o = json_pack("{s:s}", "rules_file", m->mock_rules_path);
        m->provider_options = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
    }
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
    free(mgr->mock_rules_path);
    free(mgr->provider_options);
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
    return llmt_factory_instance(mgr->registry, e, mgr->project_dir, mgr->opts.seed,
                                 mgr->provider_options, err);
}

llmt_status llmt_manager_complete(llmt_manager *mgr, const char *model_ref,
                                  const llmt_request *req, llmt_response *out, llmt_error *err)
{
    llmt_provider_entry *e = NULL;
    const llmt_model_config *model = NULL;
    llmt_call call;
    llmt_status st;
    char *key = NULL;
    if (!mgr || !model_ref || !req || !out)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "llmt_manager_complete: NULL argument");
    memset(out, 0, sizeof(*out));
    st = llmt_call_resolve(mgr->registry, model_ref, &e, &model, err);
    if (st != LLMT_OK)
        return st;
    st = llmt_manager_instance(mgr, e, err);
    if (st != LLMT_OK)
        return st;
    llmt_call_prepare(&call, e, model, req);
    /* files the provider cannot take, or too large, are refused before anything else */
    st = llmt_call_check_files(&call, mgr->opts.max_file_bytes, err);
    if (st == LLMT_OK)
        st = llmt_call_check_input(&call, NULL, err);
    if (st == LLMT_OK && mgr->cache_mode != LLMT_CACHE_OFF)
        key = llmt_cache_key(e->config->name, &call.req);
    if (st != LLMT_OK) {
        /* nothing sent */
    } else if (key && (mgr->cache_mode & LLMT_CACHE_READ) && llmt_cache_get(mgr->cache, key, out)) {
        out->from_cache = true;
        out->structured_mode = call.req.structured_mode;
        llmt_call_price(model, out);
        st = LLMT_OK;
    } else {
        st = llmt_call_perform_blocking(&call, mgr->opts.timeout_ms, mgr->opts.connect_timeout_ms,
                                        &mgr->opts.logger, out, err);
        if (st == LLMT_OK && key && (mgr->cache_mode & LLMT_CACHE_WRITE)) {
            llmt_error cerr;
            if (llmt_cache_put(mgr->cache, key, out, &cerr) != LLMT_OK)
                llmt_logf(&mgr->opts.logger, LLMT_LOG_WARN, "%s", cerr.message);
        }
    }
    free(key);
    llmt_call_clear(&call);
    return st;
}
