#include "config/overrides.h"

#include <stdlib.h>
#include <string.h>

#include "config/cfgfile.h"
#include "config/jcheck.h"
#include "config/migrate.h"
#include "core/util.h"

void llmt_override_check(json_t *ovr, const char *path, llmt_diags *diags)
{
    static const char *const keys[] = {"config_version", "name", "provider_type", "env_key",
                                       "base_url", "system_prompt", "supports_file_upload",
                                       "schema_transform", "llm_models", "rate_limit", "fallbacks", "options",
                                       "allow_insecure_http", "max_reply_bytes", NULL};
    llmt_jcheck c = {diags, path};
    json_t *models, *rl;
    long version;
    size_t i, j;
    if (!json_is_object(ovr)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "", "expected an object at the top level, got %s",
                       llmt_json_type_name(ovr));
        return;
    }
    if (json_object_get(ovr, "enabled"))
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/enabled",
                       "a provider is enabled or disabled in llm-tester.json (use: llm-tester "
                       "providers enable|disable NAME)");
    llmt_jc_unknown_keys(&c, ovr, "", keys);
    version = llmt_jc_int(&c, ovr, "", "config_version", true, 2, 2);
    if (version > LLMT_PROVIDER_CONFIG_VERSION)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/config_version",
                       "version %ld is newer than this llm-tester understands (%d)", version,
                       LLMT_PROVIDER_CONFIG_VERSION);
    llmt_jc_string(&c, ovr, "", "name", false, NULL);
    llmt_jc_string(&c, ovr, "", "provider_type", false, NULL);
    llmt_jc_string(&c, ovr, "", "env_key", false, NULL);
    llmt_jc_string(&c, ovr, "", "base_url", false, NULL);
    llmt_jc_string(&c, ovr, "", "system_prompt", false, NULL);
    llmt_jc_bool(&c, ovr, "", "supports_file_upload", false);
    llmt_jc_string(&c, ovr, "", "schema_transform", false, NULL);
    llmt_jc_bool(&c, ovr, "", "allow_insecure_http", false);
    llmt_jc_int(&c, ovr, "", "max_reply_bytes", false, 0, 0);
    llmt_jc_array(&c, ovr, "", "fallbacks", false);
    llmt_jc_object(&c, ovr, "", "options", false);
    rl = llmt_jc_object(&c, ovr, "", "rate_limit", false);
    if (rl) {
        static const char *const rl_keys[] = {"rpm", "tpm", "concurrency", NULL};
        llmt_jc_unknown_keys(&c, rl, "/rate_limit", rl_keys);
        llmt_jc_int(&c, rl, "/rate_limit", "rpm", false, 0, 0);
        llmt_jc_int(&c, rl, "/rate_limit", "tpm", false, 0, 0);
        llmt_jc_int(&c, rl, "/rate_limit", "concurrency", false, 0, 0);
    }
    models = llmt_jc_array(&c, ovr, "", "llm_models", false);
    for (i = 0; models && i < json_array_size(models); i++) {
        json_t *m = json_array_get(models, i);
        char *mp = llmt_asprintf("/llm_models/%zu", i);
        const char *name = json_string_value(json_object_get(m, "name"));
        if (!json_is_object(m)) {
            llmt_diags_add(diags, LLMT_DIAG_ERROR, path, mp, "expected object, got %s",
                           llmt_json_type_name(m));
        } else {
            llmt_model_config_check_partial(&c, m, mp);
            for (j = 0; name && j < i; j++) {
                const char *other = json_string_value(json_object_get(json_array_get(models, j), "name"));
                if (other && strcmp(other, name) == 0)
                    llmt_diags_add(diags, LLMT_DIAG_ERROR, path, mp,
                                   "model '%s' appears twice (first at /llm_models/%zu)", name, j);
            }
        }
        free(mp);
    }
}

/* dst[k] = src[k] for every key; objects merge recursively, everything else replaces. */
static void merge_object(json_t *dst, json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach(src, k, v) {
        json_t *d = json_object_get(dst, k);
        if (json_is_object(d) && json_is_object(v))
            merge_object(d, v);
        else
            json_object_set_new(dst, k, json_deep_copy(v));
    }
}

static long find_model(json_t *models, const char *name)
{
    size_t i;
    for (i = 0; name && i < json_array_size(models); i++) {
        const char *n = json_string_value(json_object_get(json_array_get(models, i), "name"));
        if (n && strcmp(n, name) == 0)
            return (long)i;
    }
    return -1;
}

json_t *llmt_override_merge(json_t *base, json_t *ovr)
{
    json_t *out = json_deep_copy(base), *models, *om, *v;
    const char *k;
    size_t i;
    if (!out || !json_is_object(ovr))
        return out;
    json_object_foreach(ovr, k, v) {
        json_t *d;
        if (strcmp(k, "config_version") == 0 || strcmp(k, "llm_models") == 0 ||
            strcmp(k, "name") == 0)
            continue;
        d = json_object_get(out, k);
        if (json_is_object(d) && json_is_object(v))
            merge_object(d, v);
        else
            json_object_set_new(out, k, json_deep_copy(v));
    }
    models = json_object_get(out, "llm_models");
    om = json_object_get(ovr, "llm_models");
    if (!json_is_array(models) || !json_is_array(om))
        return out;
    /* an override that names a default model replaces the shipped one (a version-1 file
     * migrated as an override says "default" of its own model only) */
    for (i = 0; i < json_array_size(om); i++)
        if (json_is_true(json_object_get(json_array_get(om, i), "default")))
            break;
    if (i < json_array_size(om)) {
        json_array_foreach(models, i, v)
            json_object_del(v, "default");
    }
    for (i = 0; i < json_array_size(om); i++) {
        json_t *m = json_array_get(om, i);
        const char *name = json_string_value(json_object_get(m, "name"));
        long at = find_model(models, name);
        if (!name)
            continue;
        if (json_is_true(json_object_get(m, "removed"))) {
            if (at >= 0)
                json_array_remove(models, (size_t)at);
        } else if (at >= 0) {
            merge_object(json_array_get(models, (size_t)at), m);
        } else {
            json_t *copy = json_deep_copy(m);
            json_object_del(copy, "removed");
            json_array_append_new(models, copy);
        }
    }
    return out;
}

static void mark_all(json_t *dst, json_t *src, const char *file)
{
    const char *k;
    json_t *v;
    json_object_foreach(src, k, v)
        json_object_set_new(dst, k, json_string(file));
}

json_t *llmt_override_origins(json_t *base, json_t *ovr, const char *base_path,
                              const char *ovr_path)
{
    json_t *out = json_object(), *models = json_object(), *bm, *om, *v;
    const char *k;
    size_t i;
    json_object_foreach(base, k, v) {
        if (strcmp(k, "llm_models") != 0)
            json_object_set_new(out, k, json_string(base_path));
    }
    json_object_foreach(ovr, k, v) {
        if (strcmp(k, "llm_models") != 0 && strcmp(k, "config_version") != 0 &&
            strcmp(k, "name") != 0)
            json_object_set_new(out, k, json_string(ovr_path));
    }
    bm = json_object_get(base, "llm_models");
    for (i = 0; i < json_array_size(bm); i++) {
        json_t *m = json_array_get(bm, i), *o = json_object();
        const char *name = json_string_value(json_object_get(m, "name"));
        if (!name) {
            json_decref(o);
            continue;
        }
        mark_all(o, m, base_path);
        json_object_set_new(models, name, o);
    }
    om = json_object_get(ovr, "llm_models");
    for (i = 0; i < json_array_size(om); i++) {
        json_t *m = json_array_get(om, i), *o;
        const char *name = json_string_value(json_object_get(m, "name"));
        if (!name)
            continue;
        if (json_is_true(json_object_get(m, "removed"))) {
            json_object_del(models, name);
            continue;
        }
        o = json_object_get(models, name);
        if (!o) {
            o = json_object();
            json_object_set_new(models, name, o);
        }
        mark_all(o, m, ovr_path);
        json_object_del(o, "removed");
        json_object_set_new(o, "name", json_string(json_object_get(json_object_get(models, name), "name") &&
                                                           find_model(bm, name) >= 0
                                                       ? base_path
                                                       : ovr_path));
    }
    json_object_set_new(out, "llm_models", models);
    return out;
}

/* "a" when every field came from one file, else "b (over a)". */
static char *model_origin(json_t *fields, const char *base_path, const char *ovr_path)
{
    bool from_base = false, from_ovr = false;
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v) {
        const char *f = json_string_value(v);
        if (f && strcmp(f, ovr_path) == 0)
            from_ovr = true;
        else
            from_base = true;
    }
    if (from_ovr && from_base)
        return llmt_asprintf("%s (over %s)", ovr_path, base_path);
    return llmt_strdup(from_ovr ? ovr_path : base_path);
}

/* The rate_limit fields a project override sets are the user's: learned limits never
 * replace them. */
static void mark_explicit_limits(llmt_provider_config *cfg, json_t *rl)
{
    if (json_object_get(rl, "rpm"))
        cfg->rate_limit.explicit_mask |= LLMT_RL_EXPLICIT_RPM;
    if (json_object_get(rl, "tpm"))
        cfg->rate_limit.explicit_mask |= LLMT_RL_EXPLICIT_TPM;
    if (json_object_get(rl, "concurrency"))
        cfg->rate_limit.explicit_mask |= LLMT_RL_EXPLICIT_CONCURRENCY;
}

llmt_provider_config *llmt_provider_config_layered_doc(const char *base_text,
                                                       const char *base_path, json_t *ovr,
                                                       const char *ovr_path, llmt_diags *diags)
{
    llmt_provider_config *cfg = NULL;
    llmt_diags scratch = {0};
    json_t *raw = NULL, *base = NULL, *merged = NULL, *origins = NULL;
    char *text = NULL;
    size_t before = diags->errors, i;
    /* the shipped file alone first, so its problems name it */
    cfg = llmt_provider_config_parse(base_text, base_path, diags);
    llmt_override_check(ovr, ovr_path, diags);
    if (!cfg || diags->errors > before)
        goto fail;
    llmt_provider_config_free(cfg);
    cfg = NULL;
    raw = json_loads(base_text, 0, NULL);
    base = llmt_migrate_provider_config(raw, base_path, &scratch, NULL);
    merged = llmt_override_merge(base, ovr);
    text = merged ? json_dumps(merged, JSON_INDENT(2)) : NULL;
    if (!text)
        goto fail;
    /* problems of the merged result come from the override (the shipped file was valid);
     * warnings were reported by the two checks above */
    llmt_diags_free(&scratch);
    cfg = llmt_provider_config_parse(text, ovr_path, &scratch);
    for (i = 0; i < scratch.count; i++)
        if (scratch.items[i].severity == LLMT_DIAG_ERROR)
            llmt_diags_add(diags, LLMT_DIAG_ERROR, ovr_path, scratch.items[i].path,
                           "after applying the override: %s", scratch.items[i].message);
    if (!cfg)
        goto fail;
    free(cfg->path);
    cfg->path = llmt_strdup(base_path);
    cfg->override_path = llmt_strdup(ovr_path);
    cfg->base_text = llmt_strdup(base_text);
    mark_explicit_limits(cfg, json_object_get(ovr, "rate_limit"));
    origins = llmt_override_origins(base, ovr, base_path, ovr_path);
    for (i = 0; i < cfg->n_models; i++) {
        json_t *f = json_object_get(json_object_get(origins, "llm_models"), cfg->models[i].name);
        cfg->models[i].origin = model_origin(f, base_path, ovr_path);
    }
    goto done;
fail:
    llmt_provider_config_free(cfg);
    cfg = NULL;
done:
    llmt_diags_free(&scratch);
    json_decref(raw);
    json_decref(base);
    json_decref(merged);
    json_decref(origins);
    free(text);
    return cfg;
}

llmt_provider_config *llmt_provider_config_layered(const char *base_text, const char *base_path,
                                                   const char *ovr_path, llmt_diags *diags)
{
    llmt_provider_config *cfg;
    json_t *ovr;
    if (!ovr_path || !llmt_path_exists(ovr_path))
        return llmt_provider_config_parse(base_text, base_path, diags);
    ovr = llmt_jc_load_file(diags, ovr_path);
    if (!ovr) {
        /* still report the shipped file's own problems */
        llmt_provider_config_free(llmt_provider_config_parse(base_text, base_path, diags));
        return NULL;
    }
    cfg = llmt_provider_config_layered_doc(base_text, base_path, ovr, ovr_path, diags);
    json_decref(ovr);
    return cfg;
}

json_t *llmt_override_model(json_t *ovr, const char *name, bool create)
{
    json_t *models = json_object_get(ovr, "llm_models"), *m;
    long at;
    if (!json_is_array(models)) {
        if (!create)
            return NULL;
        models = json_array();
        json_object_set_new(ovr, "llm_models", models);
    }
    at = find_model(models, name);
    if (at >= 0)
        return json_array_get(models, (size_t)at);
    if (!create)
        return NULL;
    m = json_pack("{s:s}", "name", name);
    json_array_append_new(models, m);
    return m;
}

bool llmt_override_model_drop(json_t *ovr, const char *name)
{
    json_t *models = json_object_get(ovr, "llm_models");
    long at = find_model(models, name);
    if (at < 0)
        return false;
    json_array_remove(models, (size_t)at);
    return true;
}

typedef struct edit_ctx {
    const char *ovr_path, *base_text, *base_path;
    llmt_override_fn fn;
    void *ud;
} edit_ctx;

/* The effective config of base + an in-memory override document. */
static llmt_provider_config *effective(const edit_ctx *x, json_t *ovr, llmt_diags *diags)
{
    return llmt_provider_config_layered_doc(x->base_text, x->base_path, ovr, x->ovr_path, diags);
}

static llmt_status edit_cb(json_t *root, json_t **replace, void *ud, llmt_diags *diags,
                           llmt_error *err)
{
    edit_ctx *x = ud;
    llmt_provider_config *before = NULL, *after = NULL;
    llmt_status st;
    size_t errs = diags->errors;
    json_t *doc = root;
    if (!doc) {
        doc = json_pack("{s:i, s:[]}", "config_version", LLMT_PROVIDER_CONFIG_VERSION, "llm_models");
        *replace = doc;
    }
    {
        /* the state before the edit: only its errors matter (its warnings would be
         * reported twice, once more for the result) */
        llmt_diags quiet = {0};
        size_t i;
        before = effective(x, doc, &quiet);
        for (i = 0; i < quiet.count; i++)
            if (quiet.items[i].severity == LLMT_DIAG_ERROR)
                llmt_diags_add(diags, LLMT_DIAG_ERROR, quiet.items[i].file, quiet.items[i].path,
                               "%s", quiet.items[i].message);
        llmt_diags_free(&quiet);
    }
    if (!before) {
        st = llmt_error_set(err, LLMT_E_CONFIG, "%s: fix the errors in this file first",
                            x->ovr_path);
        goto done;
    }
    st = x->fn(doc, before, x->ud, err);
    if (st != LLMT_OK)
        goto done;
    after = effective(x, doc, diags);
    if (!after || diags->errors > errs)
        st = llmt_diags_to_error(diags, err);
done:
    llmt_provider_config_free(before);
    llmt_provider_config_free(after);
    return st;
}

llmt_status llmt_override_edit(const char *ovr_path, const char *base_text,
                               const char *base_path, llmt_override_fn fn, void *ud,
                               llmt_diags *diags, bool *changed, llmt_error *err)
{
    edit_ctx x = {ovr_path, base_text, base_path, fn, ud};
    return llmt_cfg_edit(ovr_path, edit_cb, &x, diags, changed, err);
}
