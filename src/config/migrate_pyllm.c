#include "config/migrate_pyllm.h"

#include <string.h>

static bool has_string(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

static void default_models(json_t *providers, json_t *out, const char *path, llmt_diags *diags)
{
    json_t *models = json_array(), *old = json_object_get(out, "models"), *p, *v;
    const char *name;
    size_t i;
    json_object_foreach(providers, name, p) {
        const char *m = json_string_value(json_object_get(p, "default_model"));
        json_t *en = json_object_get(p, "enabled");
        if (!m)
            continue;
        if (json_is_false(en)) {
            llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "/providers",
                           "%s: default_model '%s' not used: the provider is disabled", name, m);
            continue;
        }
        v = json_sprintf("%s:%s", name, m);
        if (v && !has_string(models, json_string_value(v))) {
            llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "/providers",
                           "%s: default_model became a default model of the project (\"models\": "
                           "%s:%s)",
                           name, name, m);
            json_array_append_new(models, v);
        } else {
            json_decref(v);
        }
    }
    json_array_foreach(old, i, v) {
        if (json_is_string(v) && !has_string(models, json_string_value(v)))
            json_array_append(models, v);
    }
    if (json_array_size(models))
        json_object_set_new(out, "models", models);
    else
        json_decref(models);
}

static void default_modules(json_t *mods, json_t *out, const char *path, llmt_diags *diags)
{
    json_t *tasks = json_object_get(out, "tasks"), *t, *m;
    const char *name;
    size_t i;
    if (!json_is_array(mods)) {
        llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "/test_settings/default_modules",
                       "not a list of task names: dropped");
        return;
    }
    if (!json_is_object(tasks)) {
        tasks = json_object();
        json_object_set_new(out, "tasks", tasks);
    }
    /* the Python tool ran only these when no module was named */
    json_object_foreach(tasks, name, t) {
        if (json_is_object(t) && !has_string(mods, name))
            json_object_set_new(t, "enabled", json_false());
    }
    json_array_foreach(mods, i, m) {
        const char *task = json_string_value(m);
        if (!task)
            continue;
        t = json_object_get(tasks, task);
        if (!json_is_object(t)) {
            t = json_object();
            json_object_set_new(tasks, task, t);
        }
        json_object_set_new(t, "enabled", json_true());
    }
}

void llmt_migrate_pyllm_defaults(json_t *doc, json_t *out, const char *path, llmt_diags *diags)
{
    json_t *providers = json_object_get(doc, "providers");
    json_t *mods = json_object_get(json_object_get(doc, "test_settings"), "default_modules");
    if (json_is_object(providers))
        default_models(providers, out, path, diags);
    if (mods)
        default_modules(mods, out, path, diags);
}
