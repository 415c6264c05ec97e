#include "config/provider_config.h"

#include <stdlib.h>
#include <string.h>

#include "config/jcheck.h"
#include "config/migrate.h"
#include "core/util.h"

static const char *const provider_keys[] = {
    "config_version", "name", "provider_type", "env_key", "base_url", "system_prompt",
    "supports_file_upload", "enabled", "llm_models", "rate_limit", "fallbacks", "options",
    "override_builtin", "schema_transform", "batch_discount", "allow_insecure_http",
    "max_reply_bytes", NULL};

static const char *const model_keys[] = {
    "name", "default", "preferred", "enabled", "cost_input", "cost_output", "cost_category",
    "max_input_tokens", "max_output_tokens", "image_input_tokens", "capabilities", "fallbacks",
    "catalog_id", "description", "batch_cost_input", "batch_cost_output", NULL};

/* An override file's model entry may also say "removed": true. */
static const char *const override_model_keys[] = {
    "name", "default", "preferred", "enabled", "cost_input", "cost_output", "cost_category",
    "max_input_tokens", "max_output_tokens", "image_input_tokens", "capabilities", "fallbacks",
    "catalog_id", "description", "removed", "batch_cost_input", "batch_cost_output", NULL};

static const char *const categories[] = {"free", "cheap", "standard", "expensive", "premium", NULL};

/* "schema_transform": which rules rewrite the task schema before it is sent (default
 * "none": as it is). */
static void parse_schema_transform(llmt_jcheck *c, json_t *root, const char *path,
                                   llmt_diags *diags, llmt_schema_rules *out)
{
    const char *name = llmt_jc_string(c, root, "", "schema_transform", false, "none");
    *out = LLMT_SCHEMA_RULES_NONE;
    if (name && !llmt_schema_rules_parse(name, out))
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/schema_transform",
                       "unknown schema transform '%s' (expected none, strict, closed or subset)",
                       name);
}

static char **parse_fallbacks(llmt_jcheck *c, json_t *obj, const char *path, size_t *n)
{
    json_t *arr = llmt_jc_array(c, obj, path, "fallbacks", false);
    char **v;
    size_t i;
    *n = 0;
    if (!arr || json_array_size(arr) == 0)
        return NULL;
    v = calloc(json_array_size(arr), sizeof(*v));
    if (!v)
        return NULL;
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const char *s = json_string_value(e);
        if (!s || !strchr(s, ':')) {
            char *p = llmt_asprintf("%s/fallbacks/%zu", path, i);
            llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, p,
                           "expected a string \"provider:model\", got %s",
                           s ? "a string without ':'" : llmt_json_type_name(e));
            free(p);
            continue;
        }
        v[(*n)++] = llmt_strdup(s);
    }
    return v;
}

/* `partial`: an override entry, where every field but the name is optional and
 * cost_input may change without cost_output. */
static void parse_model(llmt_jcheck *c, json_t *m, const char *mpath, bool partial,
                        llmt_model_config *out)
{
    char *path = llmt_strdup(mpath);
    json_t *caps;
    const char *cat;
    bool has_in, has_out;
    if (!json_is_object(m)) {
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, path, "expected object, got %s",
                       llmt_json_type_name(m));
        free(path);
        return;
    }
    llmt_jc_unknown_keys(c, m, path, partial ? override_model_keys : model_keys);
    if (partial)
        llmt_jc_bool(c, m, path, "removed", false);
    out->catalog_id = llmt_strdup(llmt_jc_string(c, m, path, "catalog_id", false, NULL));
    llmt_jc_string(c, m, path, "description", false, NULL);
    out->name = llmt_strdup(llmt_jc_string(c, m, path, "name", true, ""));
    if (out->name && !out->name[0] && json_is_string(json_object_get(m, "name")))
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, path, "name: must not be empty");
    out->is_default = llmt_jc_bool(c, m, path, "default", false);
    out->preferred = llmt_jc_bool(c, m, path, "preferred", false);
    out->enabled = llmt_jc_bool(c, m, path, "enabled", true);
    has_in = json_object_get(m, "cost_input") != NULL;
    has_out = json_object_get(m, "cost_output") != NULL;
    out->cost_input = llmt_jc_number(c, m, path, "cost_input", false, 0, 0);
    out->cost_output = llmt_jc_number(c, m, path, "cost_output", false, 0, 0);
    out->has_cost = has_in && has_out;
    has_in = json_object_get(m, "batch_cost_input") != NULL;
    has_out = json_object_get(m, "batch_cost_output") != NULL;
    out->batch_cost_input = llmt_jc_number(c, m, path, "batch_cost_input", false, 0, 0);
    out->batch_cost_output = llmt_jc_number(c, m, path, "batch_cost_output", false, 0, 0);
    out->has_batch_cost = has_in && has_out;
    if (has_in != has_out)
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, path,
                       "batch_cost_input and batch_cost_output must be given together");
    if (has_in != has_out && !partial)
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, path,
                       "cost_input and cost_output must be given together");
    cat = llmt_jc_string(c, m, path, "cost_category", false, "standard");
    {
        size_t i;
        bool ok = false;
        for (i = 0; categories[i]; i++)
            ok = ok || strcmp(categories[i], cat) == 0;
        if (!ok) {
            char *p = llmt_asprintf("%s/cost_category", path);
            llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, p,
                           "expected one of free, cheap, standard, expensive, premium; got '%s'",
                           cat);
            free(p);
        }
    }
    out->cost_category = llmt_strdup(cat);
    out->info.max_input_tokens = llmt_jc_int(c, m, path, "max_input_tokens", false, 0, 0);
    out->info.max_output_tokens = llmt_jc_int(c, m, path, "max_output_tokens", false, 0, 0);
    out->image_input_tokens = llmt_jc_int(c, m, path, "image_input_tokens", false, 0, 0);
    caps = llmt_jc_object(c, m, path, "capabilities", false);
    if (caps) {
        static const char *const cap_keys[] = {"json_schema", "json_object", "images",
                                               "reasoning", NULL};
        char *cp = llmt_asprintf("%s/capabilities", path);
        llmt_jc_unknown_keys(c, caps, cp, cap_keys);
        out->info.json_schema = llmt_jc_bool(c, caps, cp, "json_schema", false);
        out->info.json_object = llmt_jc_bool(c, caps, cp, "json_object", false);
        out->info.images = llmt_jc_bool(c, caps, cp, "images", false);
        out->info.reasoning = llmt_jc_bool(c, caps, cp, "reasoning", false);
        free(cp);
    }
    out->info.name = out->name;
    out->fallbacks = parse_fallbacks(c, m, path, &out->n_fallbacks);
    free(path);
}

void llmt_model_config_check_partial(llmt_jcheck *c, json_t *m, const char *path)
{
    llmt_model_config tmp;
    memset(&tmp, 0, sizeof tmp);
    parse_model(c, m, path, true, &tmp);
    llmt_model_config_clear(&tmp);
}

void llmt_model_config_clear(llmt_model_config *m)
{
    free(m->name);
    free(m->cost_category);
    free(m->catalog_id);
    free(m->origin);
    llmt_free_strv(m->fallbacks, m->n_fallbacks);
    memset(m, 0, sizeof(*m));
}

llmt_provider_config *llmt_provider_config_parse(const char *text, const char *path,
                                                 llmt_diags *diags)
{
    llmt_provider_config *cfg = calloc(1, sizeof(*cfg));
    size_t errors_before = diags->errors;
    llmt_jcheck c = {diags, path};
    json_t *root = NULL, *models, *rl, *raw;
    size_t i, j, n_default = 0;
    if (!cfg)
        return NULL;
    cfg->path = llmt_strdup(path);
    raw = llmt_jc_load_text(diags, text, path);
    if (!raw)
        goto done;
    if (!json_is_object(raw)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "", "expected an object at the top level, got %s",
                       llmt_json_type_name(raw));
        root = raw;
        goto done;
    }
    /* a version-1 file is migrated in memory; providers then see the current format */
    root = llmt_migrate_provider_config(raw, path, diags, NULL);
    json_decref(raw);
    cfg->text = root == raw ? llmt_strdup(text) : json_dumps(root, JSON_INDENT(2));
    llmt_jc_unknown_keys(&c, root, "", provider_keys);
    cfg->config_version = (int)llmt_jc_int(&c, root, "", "config_version", false, 1, 1);
    if (cfg->config_version > LLMT_PROVIDER_CONFIG_VERSION)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/config_version",
                       "version %d is newer than this llm-tester understands (%d)",
                       cfg->config_version, LLMT_PROVIDER_CONFIG_VERSION);
    cfg->name = llmt_strdup(llmt_jc_string(&c, root, "", "name", true, ""));
    if (cfg->name && !cfg->name[0] && json_is_string(json_object_get(root, "name")))
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/name", "must not be empty");
    cfg->provider_type = llmt_strdup(llmt_jc_string(&c, root, "", "provider_type", false, cfg->name));
    cfg->env_key = llmt_strdup(llmt_jc_string(&c, root, "", "env_key", true, ""));
    cfg->base_url = llmt_strdup(llmt_jc_string(&c, root, "", "base_url", false, ""));
    cfg->system_prompt = llmt_strdup(llmt_jc_string(&c, root, "", "system_prompt", false, ""));
    cfg->supports_file_upload = llmt_jc_bool(&c, root, "", "supports_file_upload", false);
    parse_schema_transform(&c, root, path, diags, &cfg->schema_transform);
    cfg->enabled = llmt_jc_bool(&c, root, "", "enabled", true);
    cfg->batch_discount = llmt_jc_number(&c, root, "", "batch_discount", false, 0, 0);
    if (cfg->batch_discount > 1)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/batch_discount",
                       "expected a fraction from 0 to 1 (0.5 = half price), got %g",
                       cfg->batch_discount);
    cfg->allow_insecure_http = llmt_jc_bool(&c, root, "", "allow_insecure_http", false);
    cfg->max_reply_bytes = llmt_jc_int(&c, root, "", "max_reply_bytes", false, 0, 0);
    cfg->fallbacks = parse_fallbacks(&c, root, "", &cfg->n_fallbacks);
    rl = llmt_jc_object(&c, root, "", "rate_limit", false);
    if (rl) {
        static const char *const rl_keys[] = {"rpm", "tpm", "concurrency", NULL};
        llmt_jc_unknown_keys(&c, rl, "/rate_limit", rl_keys);
        cfg->rate_limit.rpm = llmt_jc_int(&c, rl, "/rate_limit", "rpm", false, 0, 0);
        cfg->rate_limit.tpm = llmt_jc_int(&c, rl, "/rate_limit", "tpm", false, 0, 0);
        cfg->rate_limit.concurrency = llmt_jc_int(&c, rl, "/rate_limit", "concurrency", false, 0, 0);
    }
    models = llmt_jc_array(&c, root, "", "llm_models", true);
    if (models) {
        cfg->models = calloc(json_array_size(models) + 1, sizeof(*cfg->models));
        if (!cfg->models)
            goto done;
        cfg->n_models = json_array_size(models);
        for (i = 0; i < cfg->n_models; i++) {
            char *mp = llmt_asprintf("/llm_models/%zu", i);
            parse_model(&c, json_array_get(models, i), mp, false, &cfg->models[i]);
            free(mp);
        }
        for (i = 0; i < cfg->n_models; i++) {
            if (!cfg->models[i].name)
                continue;
            if (cfg->models[i].is_default && ++n_default == 2) {
                char *p = llmt_asprintf("/llm_models/%zu/default", i);
                llmt_diags_add(diags, LLMT_DIAG_ERROR, path, p,
                               "more than one default model (expected exactly one)");
                free(p);
            }
            for (j = 0; j < i; j++) {
                if (cfg->models[j].name && strcmp(cfg->models[i].name, cfg->models[j].name) == 0) {
                    char *p = llmt_asprintf("/llm_models/%zu/name", i);
                    llmt_diags_add(diags, LLMT_DIAG_ERROR, path, p,
                                   "duplicate model name '%s' (first at /llm_models/%zu)",
                                   cfg->models[i].name, j);
                    free(p);
                }
            }
        }
    }
done:
    json_decref(root);
    if (diags->errors > errors_before) {
        llmt_provider_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void llmt_provider_config_free(llmt_provider_config *c)
{
    size_t i;
    if (!c)
        return;
    for (i = 0; i < c->n_models; i++)
        llmt_model_config_clear(&c->models[i]);
    free(c->models);
    llmt_free_strv(c->fallbacks, c->n_fallbacks);
    free(c->name);
    free(c->provider_type);
    free(c->env_key);
    free(c->base_url);
    free(c->system_prompt);
    free(c->path);
    free(c->text);
    free(c->override_path);
    free(c->base_text);
    free(c);
}

const llmt_model_config *llmt_provider_config_model(const llmt_provider_config *c, const char *name)
{
    size_t i;
    for (i = 0; i < c->n_models; i++)
        if (c->models[i].name && strcmp(c->models[i].name, name) == 0)
            return &c->models[i];
    return NULL;
}

const llmt_model_config *llmt_provider_config_default_model(const llmt_provider_config *c)
{
    size_t i;
    for (i = 0; i < c->n_models; i++)
        if (c->models[i].is_default)
            return &c->models[i];
    for (i = 0; i < c->n_models; i++)
        if (c->models[i].enabled)
            return &c->models[i];
    return NULL;
}
