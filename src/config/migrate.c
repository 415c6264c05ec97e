#include "config/migrate.h"
#include "config/migrate_pyllm.h"

#include <string.h>

#include "config/project_config.h"
#include "config/provider_config.h"
#include "core/util.h"

static long version_of(json_t *doc)
{
    json_t *v = json_object_get(doc, "config_version");
    return json_is_integer(v) ? (long)json_integer_value(v) : (v ? -1 : 1);
}

/* A copy of `doc` with "config_version" first, then its other keys in their order. */
static json_t *versioned_copy(json_t *doc, int version)
{
    json_t *out = json_object(), *v;
    const char *k;
    json_object_set_new(out, "config_version", json_integer(version));
    json_object_foreach(doc, k, v) {
        if (strcmp(k, "config_version") != 0)
            json_object_set_new(out, k, json_deep_copy(v));
    }
    return out;
}

/* Renames key `from` to `to` keeping its position in the object. */
static void rename_key(json_t **obj, const char *from, const char *to)
{
    json_t *out, *v;
    const char *k;
    if (!json_object_get(*obj, from) || json_object_get(*obj, to))
        return;
    out = json_object();
    json_object_foreach(*obj, k, v)
        json_object_set(out, strcmp(k, from) == 0 ? to : k, v);
    json_decref(*obj);
    *obj = out;
}

json_t *llmt_migrate_provider_config(json_t *doc, const char *path, llmt_diags *diags,
                                     int *from_version)
{
    long version = json_is_object(doc) ? version_of(doc) : LLMT_PROVIDER_CONFIG_VERSION;
    json_t *out, *models;
    size_t i;
    if (from_version)
        *from_version = (int)version;
    if (version != 1)
        return json_incref(doc); /* current, newer or malformed: validation reports it */
    out = versioned_copy(doc, LLMT_PROVIDER_CONFIG_VERSION);
    rename_key(&out, "models", "llm_models");
    if (json_object_get(out, "env_key_secret")) {
        /* the Python tool's second key variable; keys never live in config */
        json_object_del(out, "env_key_secret");
        llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "/env_key_secret",
                       "env_key_secret (a version 1 field) dropped: API keys come from the environment or .env");
    }
    /* The Python tool named the catalog mapping after the one gateway it used; the field
     * is provider-neutral now. This legacy key name is the only place it remains. */
    models = json_object_get(out, "llm_models");
    for (i = 0; json_is_array(models) && i < json_array_size(models); i++) {
        json_t *m = json_array_get(models, i);
        if (json_is_object(m) && json_object_get(m, "openrouter_id")) {
            json_t *renamed = json_incref(m);
            rename_key(&renamed, "openrouter_id", "catalog_id");
            json_array_set_new(models, i, renamed);
        }
    }
    llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "/config_version",
                   "version 1 file migrated in memory (rewrite it with: llm-tester config migrate --write %s)",
                   path);
    return out;
}

static bool is_v1_project(json_t *doc)
{
    return json_object_get(doc, "test_settings") || json_object_get(doc, "py_models") ||
           json_object_get(doc, "bridge") || !json_object_get(doc, "config_version");
}

static void migrate_providers(json_t *in, json_t *out, const char *path, llmt_diags *diags)
{
    json_t *provs = json_object(), *p;
    const char *name;
    json_object_foreach(in, name, p) {
        json_t *np = json_object(), *v;
        const char *k;
        json_object_foreach(p, k, v) {
            if (strcmp(k, "enabled") == 0) {
                json_object_set(np, "enabled", v);
            } else if (strcmp(k, "default_model") == 0 && json_is_string(v)) {
                /* a default model of the project: llmt_migrate_pyllm_defaults */
            } else if (strcmp(k, "api_key") == 0) {
                if (!json_is_null(v))
                    llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "/providers",
                                   "%s: api_key dropped (put keys in the environment or .env)",
                                   name);
            } else {
                json_object_set(np, k, v); /* validation names anything unknown */
            }
        }
        json_object_set_new(provs, name, np);
    }
    json_object_set_new(out, "providers", provs);
}

static void migrate_test_settings(json_t *ts, json_t *out, const char *path, llmt_diags *diags)
{
    json_t *v;
    const char *k;
    json_object_foreach(ts, k, v) {
        if (strcmp(k, "output_dir") == 0)
            json_object_set(out, "output_dir", v);
        else if (strcmp(k, "py_models_path") == 0)
            json_object_set(out, "tasks_dir", v);
        else if (strcmp(k, "default_modules") == 0)
            ; /* the enabled tasks: llmt_migrate_pyllm_defaults */
        else
            llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "/test_settings",
                           "'%s' has no equivalent in llm-tester and was dropped", k);
    }
}

static void migrate_py_models(json_t *pm, json_t *out)
{
    json_t *tasks = json_object(), *t;
    const char *name;
    json_object_foreach(pm, name, t) {
        json_t *nt = json_object(), *v;
        const char *k;
        json_object_foreach(t, k, v)
            json_object_set(nt, strcmp(k, "llm_models") == 0 ? "models" : k, v);
        json_object_set_new(tasks, name, nt);
    }
    json_object_set_new(out, "tasks", tasks);
}

static void migrate_bridge(json_t *b, json_t *out, const char *path, llmt_diags *diags)
{
    static const char *const pairs[][2] = {{"default_provider", "default_model"},
                                           {"secondary_provider", "secondary_model"}};
    json_t *models = json_array(), *v;
    const char *k;
    size_t i;
    for (i = 0; i < 2; i++) {
        const char *p = json_string_value(json_object_get(b, pairs[i][0]));
        const char *m = json_string_value(json_object_get(b, pairs[i][1]));
        if (p && m)
            json_array_append_new(models, json_sprintf("%s:%s", p, m));
    }
    json_object_foreach(b, k, v) {
        if (strcmp(k, "default_provider") && strcmp(k, "default_model") &&
            strcmp(k, "secondary_provider") && strcmp(k, "secondary_model"))
            llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "/bridge",
                           "'%s' has no equivalent in llm-tester and was dropped", k);
    }
    if (json_array_size(models))
        json_object_set_new(out, "models", models);
    else
        json_decref(models);
}

json_t *llmt_migrate_project_config(json_t *doc, const char *path, llmt_diags *diags,
                                    int *from_version)
{
    json_t *out, *v;
    const char *k;
    if (from_version)
        *from_version = json_is_object(doc) && is_v1_project(doc) ? 1 : (int)version_of(doc);
    if (!json_is_object(doc) || !is_v1_project(doc))
        return json_incref(doc);
    out = json_object();
    json_object_set_new(out, "config_version", json_integer(LLMT_PROJECT_CONFIG_VERSION));
    json_object_foreach(doc, k, v) {
        if (strcmp(k, "config_version") == 0)
            continue;
        if (strcmp(k, "providers") == 0 && json_is_object(v))
            migrate_providers(v, out, path, diags);
        else if (strcmp(k, "test_settings") == 0 && json_is_object(v))
            migrate_test_settings(v, out, path, diags);
        else if (strcmp(k, "py_models") == 0 && json_is_object(v))
            migrate_py_models(v, out);
        else if (strcmp(k, "bridge") == 0 && json_is_object(v))
            migrate_bridge(v, out, path, diags);
        else
            json_object_set(out, k, v);
    }
    llmt_migrate_pyllm_defaults(doc, out, path, diags);
    llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "",
                   "version 1 project config migrated in memory (rewrite it with: llm-tester config migrate --write)");
    return out;
}
