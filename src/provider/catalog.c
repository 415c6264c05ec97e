#include "provider/catalog.h"
#include "provider/host_api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/overrides.h"
#include "core/util.h"
#include "exec/engine.h"
#include "http/http.h"
#include "provider/factory.h"
#include "provider/secrets.h"

llmt_provider_entry *llmt_catalog_provider(llmt_registry *reg)
{
    size_t i;
    for (i = 0; i < llmt_registry_count(reg); i++) {
        llmt_provider_entry *e = llmt_registry_at(reg, i);
        if (e->ops->build_catalog_request && e->ops->parse_catalog)
            return e;
    }
    return NULL;
}

llmt_status llmt_catalog_fetch(llmt_manager *mgr, llmt_provider_entry *cat,
                               const char *project_dir, const char *from_file, long timeout_ms,
                               llmt_catalog_entry **entries, size_t *n, llmt_error *err)
{
    llmt_provider_settings s;
    llmt_http_request hreq;
    llmt_http_result hres;
    llmt_http_response view;
    char *key = NULL, *env_name = llmt_base_url_env_name(cat->config->name), *body = NULL;
    const char *url = env_name ? getenv(env_name) : NULL;
    void *state = NULL;
    bool have_state = false, have_result = false;
    llmt_status st;
    size_t len = 0;
    memset(&hreq, 0, sizeof hreq);
    memset(&hres, 0, sizeof hres);
    *entries = NULL;
    *n = 0;
    /* Its own short-lived instance: the catalog is public, so unlike a completion no
     * API key is required (one is used when present). */
    if (cat->config->env_key[0])
        key = llmt_secret_lookup(cat->config->env_key, project_dir);
    memset(&s, 0, sizeof s);
    s.version = LLMT_PROVIDER_SETTINGS_VERSION;
    s.name = cat->config->name;
    s.base_url = url && *url ? url : cat->config->base_url;
    s.api_key = key;
    s.config_json = cat->config->text;
    s.config_path = cat->config->path;
    s.host = llmt_host();
    st = cat->ops->init(&state, &s, err);
    if (st != LLMT_OK)
        goto done;
    have_state = true;
    memset(&view, 0, sizeof view);
    if (from_file) {
        st = llmt_read_file(from_file, &body, &len, err);
        if (st != LLMT_OK)
            goto done;
        view.status = 200;
        view.body = body;
        view.body_len = len;
    } else {
        llmt_retry_policy once = {0, 0, 0, 0};
        st = cat->ops->build_catalog_request(state, &hreq, err);
        if (st != LLMT_OK)
            goto done;
        /* one fetch job of the engine: the transfer, redaction and logging of every call */
        st = llmt_engine_fetch(mgr, cat->config->name, &hreq, key,
                               timeout_ms > 0 ? timeout_ms : 60000, &once, &hres, err);
        if (st != LLMT_OK)
            goto done;
        have_result = true;
        view = llmt_http_result_view(&hres);
        if (view.status < 200 || view.status > 299) {
            st = cat->ops->classify_error
                     ? cat->ops->classify_error(state, &view, err)
                     : llmt_error_set(err, LLMT_E_SERVER, "catalog request failed with HTTP %ld",
                                      view.status);
            if (st == LLMT_OK)
                st = llmt_error_set(err, LLMT_E_SERVER, "catalog request failed with HTTP %ld",
                                    view.status);
            goto done;
        }
    }
    st = cat->ops->parse_catalog(state, &view, entries, n, err);
    if (st != LLMT_OK && from_file && err) {
        char *msg = llmt_strdup(err->message);
        llmt_error_set(err, st, "%s: %s", from_file, msg ? msg : "");
        free(msg);
    }
done:
    if (st != LLMT_OK && err && !err->provider[0])
        snprintf(err->provider, sizeof err->provider, "%s", cat->config->name);
    if (have_result)
        llmt_http_result_free(&hres);
    llmt_http_request_clear(&hreq);
    if (have_state)
        cat->ops->destroy(state);
    free(body);
    free(env_name);
    free(key);
    return st;
}

const char *llmt_cost_category_for(double input, double output)
{
    double total = input + output;
    if (total <= 0)
        return "free";
    if (total <= 1)
        return "cheap";
    if (total <= 10)
        return "standard";
    if (total <= 50)
        return "expensive";
    return "premium";
}

static const llmt_catalog_entry *find_entry(const llmt_catalog_entry *v, size_t n, const char *id)
{
    size_t i;
    for (i = 0; id && i < n; i++)
        if (v[i].id && strcmp(v[i].id, id) == 0)
            return &v[i];
    return NULL;
}

static llmt_cost_change *push(llmt_cost_plan *p)
{
    llmt_cost_change *c = realloc(p->changes, (p->n + 1) * sizeof(*c));
    if (!c)
        return NULL;
    p->changes = c;
    memset(&c[p->n], 0, sizeof(*c));
    return &c[p->n++];
}

static bool selected(const char *name, const char *const *providers, size_t n)
{
    size_t i;
    if (!providers || n == 0)
        return true;
    for (i = 0; i < n; i++)
        if (strcmp(providers[i], name) == 0)
            return true;
    return false;
}

static bool differs(double a, double b)
{
    return fabs(a - b) > LLMT_COST_EPSILON;
}

static llmt_status plan_provider(llmt_provider_entry *e, bool is_catalog,
                                 const llmt_catalog_entry *entries, size_t n,
                                 llmt_cost_plan *out, llmt_error *err)
{
    size_t i;
    for (i = 0; i < e->config->n_models; i++) {
        const llmt_model_config *m = &e->config->models[i];
        char *id = m->catalog_id ? llmt_strdup(m->catalog_id)
                   : is_catalog  ? llmt_strdup(m->name)
                                 : llmt_asprintf("%s/%s", e->config->name, m->name);
        const llmt_catalog_entry *ce = find_entry(entries, n, id);
        llmt_cost_change *c;
        bool changed = false;
        if (!ce) {
            out->not_in_catalog++;
            free(id);
            continue;
        }
        c = push(out);
        if (!c) {
            free(id);
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        }
        c->provider = llmt_strdup(e->config->name);
        c->model = llmt_strdup(m->name);
        c->catalog_id = id;
        c->has_old_cost = m->has_cost;
        c->old_input = m->cost_input;
        c->old_output = m->cost_output;
        if (ce->cost_input >= 0 && ce->cost_output >= 0) {
            c->has_cost = true;
            c->input = ce->cost_input;
            c->output = ce->cost_output;
            changed = !m->has_cost || differs(m->cost_input, ce->cost_input) ||
                      differs(m->cost_output, ce->cost_output);
        }
        if (ce->context_length > 0 && ce->context_length != m->info.max_input_tokens) {
            c->max_input_tokens = ce->context_length;
            changed = true;
        }
        if (ce->max_output_tokens > 0 && ce->max_output_tokens != m->info.max_output_tokens) {
            c->max_output_tokens = ce->max_output_tokens;
            changed = true;
        }
        c->kind = changed ? LLMT_COST_UPDATED : LLMT_COST_UNCHANGED;
        if (changed)
            out->updated++;
        else
            out->unchanged++;
    }
    if (!is_catalog)
        return LLMT_OK;
    for (i = 0; i < n; i++) {
        const llmt_catalog_entry *ce = &entries[i];
        llmt_cost_change *c;
        size_t j;
        bool known = false;
        if (!ce->id || !ce->id[0])
            continue;
        for (j = 0; j < e->config->n_models && !known; j++)
            known = strcmp(e->config->models[j].name, ce->id) == 0 ||
                    (e->config->models[j].catalog_id &&
                     strcmp(e->config->models[j].catalog_id, ce->id) == 0);
        for (j = 0; j < out->n && !known; j++) /* duplicate ids in the catalog */
            known = out->changes[j].kind == LLMT_COST_ADDED && strcmp(out->changes[j].model, ce->id) == 0;
        if (known)
            continue;
        c = push(out);
        if (!c)
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        c->kind = LLMT_COST_ADDED;
        c->provider = llmt_strdup(e->config->name);
        c->model = llmt_strdup(ce->id);
        c->catalog_id = NULL; /* the name is the catalog id */
        c->has_cost = ce->cost_input >= 0 && ce->cost_output >= 0;
        c->input = c->has_cost ? ce->cost_input : 0;
        c->output = c->has_cost ? ce->cost_output : 0;
        c->max_input_tokens = ce->context_length > 0 ? ce->context_length : 0;
        c->max_output_tokens = ce->max_output_tokens > 0 ? ce->max_output_tokens : 0;
        c->category = llmt_strdup(c->has_cost ? llmt_cost_category_for(c->input, c->output)
                                              : "standard");
        out->added++;
    }
    return LLMT_OK;
}

llmt_status llmt_cost_plan_make(llmt_registry *reg, const llmt_provider_entry *cat,
                                const llmt_catalog_entry *entries, size_t n,
                                const char *const *providers, size_t n_providers,
                                llmt_cost_plan *out, llmt_error *err)
{
    size_t i;
    llmt_status st = LLMT_OK;
    memset(out, 0, sizeof(*out));
    for (i = 0; providers && i < n_providers; i++)
        if (!llmt_registry_find(reg, providers[i]))
            return llmt_error_set(err, LLMT_E_NOT_FOUND,
                                  "unknown provider '%s' (see: llm-tester providers list)",
                                  providers[i]);
    for (i = 0; i < llmt_registry_count(reg) && st == LLMT_OK; i++) {
        llmt_provider_entry *e = llmt_registry_at(reg, i);
        if (selected(e->config->name, providers, n_providers))
            st = plan_provider(e, e == cat, entries, n, out, err);
    }
    if (st != LLMT_OK)
        llmt_cost_plan_free(out);
    return st;
}

void llmt_cost_plan_free(llmt_cost_plan *plan)
{
    size_t i;
    for (i = 0; i < plan->n; i++) {
        free(plan->changes[i].provider);
        free(plan->changes[i].model);
        free(plan->changes[i].catalog_id);
        free(plan->changes[i].category);
    }
    free(plan->changes);
    memset(plan, 0, sizeof(*plan));
}

typedef struct apply_ctx {
    const llmt_cost_plan *plan;
    const char *provider;
} apply_ctx;

static llmt_status apply_cb(json_t *ovr, const llmt_provider_config *before, void *ud,
                            llmt_error *err)
{
    apply_ctx *x = ud;
    size_t i;
    (void)before;
    (void)err;
    for (i = 0; i < x->plan->n; i++) {
        const llmt_cost_change *c = &x->plan->changes[i];
        json_t *m;
        if (c->kind == LLMT_COST_UNCHANGED || strcmp(c->provider, x->provider) != 0)
            continue;
        m = llmt_override_model(ovr, c->model, true);
        json_object_del(m, "removed");
        if (c->kind == LLMT_COST_ADDED) {
            json_object_set_new(m, "enabled", json_false());
            json_object_set_new(m, "cost_category", json_string(c->category));
        }
        if (c->has_cost) {
            json_object_set_new(m, "cost_input", json_real(c->input));
            json_object_set_new(m, "cost_output", json_real(c->output));
        }
        if (c->max_input_tokens > 0)
            json_object_set_new(m, "max_input_tokens", json_integer(c->max_input_tokens));
        if (c->max_output_tokens > 0)
            json_object_set_new(m, "max_output_tokens", json_integer(c->max_output_tokens));
    }
    return LLMT_OK;
}

llmt_status llmt_cost_plan_apply(llmt_registry *reg, const llmt_cost_plan *plan,
                                 const llmt_project *project, llmt_diags *diags,
                                 size_t *files_written, llmt_error *err)
{
    size_t i, j;
    llmt_status st = LLMT_OK;
    if (files_written)
        *files_written = 0;
    for (i = 0; i < llmt_registry_count(reg) && st == LLMT_OK; i++) {
        llmt_provider_entry *e = llmt_registry_at(reg, i);
        apply_ctx x = {plan, e->config->name};
        bool any = false, changed = false;
        char *path;
        for (j = 0; j < plan->n && !any; j++)
            any = plan->changes[j].kind != LLMT_COST_UNCHANGED &&
                  strcmp(plan->changes[j].provider, e->config->name) == 0;
        if (!any)
            continue;
        path = llmt_project_override_path(project, e->config->name);
        st = llmt_override_edit(path, e->config->base_text ? e->config->base_text : e->config->text,
                                e->config->path, apply_cb, &x, diags, &changed, err);
        if (st == LLMT_OK && changed && files_written)
            (*files_written)++;
        free(path);
    }
    return st;
}
