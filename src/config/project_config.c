#include "config/project_config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/jcheck.h"
#include "config/migrate.h"
#include "core/util.h"

/* The owner of path, or the current user when it cannot be read. */
static uid_t owner_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_uid : geteuid();
}

char *llmt_project_config_find_checked(const char *start_dir, char **why)
{
    char *dir = realpath(start_dir ? start_dir : ".", NULL);
    char *foreign = NULL; /* the first folder on the way up that is not ours */
    uid_t foreign_uid = 0;
    if (why)
        *why = NULL;
    while (dir) {
        static const char *const names[] = {LLMT_PROJECT_CONFIG_NAME, LLMT_PROJECT_CONFIG_V1_NAME};
        char *slash;
        size_t i;
        if (!foreign && owner_of(dir) != geteuid()) {
            foreign = llmt_strdup(dir);
            foreign_uid = owner_of(dir);
        }
        for (i = 0; i < 2; i++) {
            char *candidate = llmt_path_join(dir, names[i]);
            uid_t file_uid;
            if (!candidate || !llmt_path_exists(candidate)) {
                free(candidate);
                continue;
            }
            free(dir);
            file_uid = owner_of(candidate);
            if (!foreign && file_uid == geteuid())
                return candidate;
            /* a folder or file of another user may hold a config planted there (its
             * plugin_paths are loaded, its base_url gets the key): as git's
             * safe.directory, it is not used, and the user is told why */
            if (why)
                *why = llmt_asprintf(
                    "ignoring %s: %s %s belongs to uid %ld, not to you (uid %ld), so another "
                    "user could have put it there (give it with --config to use it anyway)",
                    candidate, foreign ? "the folder" : "the file", foreign ? foreign : candidate,
                    (long)(foreign ? foreign_uid : file_uid), (long)geteuid());
            free(candidate);
            free(foreign);
            return NULL;
        }
        slash = strrchr(dir, '/');
        if (!slash || strcmp(dir, "/") == 0)
            break;
        if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
    }
    free(dir);
    free(foreign);
    return NULL;
}

char *llmt_project_config_find(const char *start_dir)
{
    return llmt_project_config_find_checked(start_dir, NULL);
}

static void check_enum(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                       const char *const *allowed)
{
    const char *v = llmt_jc_string(c, obj, path, key, false, NULL);
    size_t i;
    llmt_buf list = {0};
    if (!v)
        return;
    for (i = 0; allowed[i]; i++) {
        if (strcmp(allowed[i], v) == 0) {
            llmt_buf_free(&list);
            return;
        }
        llmt_buf_printf(&list, "%s%s", i ? ", " : "", allowed[i]);
    }
    {
        char *p = llmt_asprintf("%s/%s", path, key);
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, p, "expected one of %s; got '%s'",
                       list.data ? list.data : "", v);
        free(p);
    }
    llmt_buf_free(&list);
}

/* Every element of an array must be a string (and a "provider:model" when `model_refs`). */
static void check_strings(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                          bool model_refs)
{
    json_t *arr = llmt_jc_array(c, obj, path, key, false);
    size_t i;
    for (i = 0; arr && i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const char *s = json_string_value(e);
        if (!s || (model_refs && !strchr(s, ':'))) {
            char *p = llmt_asprintf("%s/%s/%zu", path, key, i);
            llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, p, "expected %s, got %s",
                           model_refs ? "a string \"provider:model\"" : "string",
                           s ? "a string without ':'" : llmt_json_type_name(e));
            free(p);
        }
    }
}

void llmt_project_config_check(json_t *root, const char *path, llmt_diags *diags)
{
    static const char *const keys[] = {"config_version", "providers", "tasks_dir", "tasks",
                                       "models", "output_dir", "run", "scoring", "cache",
                                       "plugin_paths", NULL};
    static const char *const run_keys[] = {"concurrency", "timeout_ms", "connect_timeout_ms",
                                           "max_retries", "repeat", "budget_usd", "formats",
                                           "seed", NULL};
    static const char *const scoring_keys[] = {"list_mode", "tolerance", "threshold", "weights",
                                               "skip_fields", NULL};
    static const char *const cache_keys[] = {"mode", "path", NULL};
    static const char *const cache_modes[] = {"off", "read", "write", "readwrite", NULL};
    static const char *const list_modes[] = {"ordered_exact", "ordered_similarity",
                                             "set_similarity", NULL};
    static const char *const provider_keys[] = {"enabled", NULL};
    static const char *const task_keys[] = {"enabled", "models", "path", NULL};
    llmt_jcheck c = {diags, path};
    json_t *o, *v;
    const char *k;
    long version;
    if (!json_is_object(root)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "", "expected an object at the top level, got %s",
                       llmt_json_type_name(root));
        return;
    }
    llmt_jc_unknown_keys(&c, root, "", keys);
    version = llmt_jc_int(&c, root, "", "config_version", true, 1, 1);
    if (version > LLMT_PROJECT_CONFIG_VERSION)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/config_version",
                       "version %ld is newer than this llm-tester understands (%d)", version,
                       LLMT_PROJECT_CONFIG_VERSION);
    llmt_jc_string(&c, root, "", "tasks_dir", false, NULL);
    llmt_jc_string(&c, root, "", "output_dir", false, NULL);
    check_strings(&c, root, "", "plugin_paths", false);
    check_strings(&c, root, "", "models", true);
    o = llmt_jc_object(&c, root, "", "providers", false);
    json_object_foreach(o, k, v) {
        char *p = llmt_asprintf("/providers/%s", k);
        if (!json_is_object(v)) {
            llmt_diags_add(diags, LLMT_DIAG_ERROR, path, p, "expected object, got %s",
                           llmt_json_type_name(v));
        } else {
            llmt_jc_unknown_keys(&c, v, p, provider_keys);
            llmt_jc_bool(&c, v, p, "enabled", true);
        }
        free(p);
    }
    o = llmt_jc_object(&c, root, "", "tasks", false);
    json_object_foreach(o, k, v) {
        char *p = llmt_asprintf("/tasks/%s", k);
        if (!json_is_object(v)) {
            llmt_diags_add(diags, LLMT_DIAG_ERROR, path, p, "expected object, got %s",
                           llmt_json_type_name(v));
        } else {
            llmt_jc_unknown_keys(&c, v, p, task_keys);
            llmt_jc_bool(&c, v, p, "enabled", true);
            llmt_jc_string(&c, v, p, "path", false, NULL);
            check_strings(&c, v, p, "models", true);
        }
        free(p);
    }
    o = llmt_jc_object(&c, root, "", "run", false);
    if (o) {
        llmt_jc_unknown_keys(&c, o, "/run", run_keys);
        llmt_jc_int(&c, o, "/run", "concurrency", false, 8, 1);
        llmt_jc_int(&c, o, "/run", "timeout_ms", false, 0, 1);
        llmt_jc_int(&c, o, "/run", "connect_timeout_ms", false, 0, 1);
        llmt_jc_int(&c, o, "/run", "max_retries", false, 0, 0);
        llmt_jc_int(&c, o, "/run", "repeat", false, 1, 1);
        llmt_jc_int(&c, o, "/run", "seed", false, 0, 0);
        llmt_jc_number(&c, o, "/run", "budget_usd", false, 0, 0);
        check_strings(&c, o, "/run", "formats", false);
    }
    o = llmt_jc_object(&c, root, "", "scoring", false);
    if (o) {
        json_t *w;
        llmt_jc_unknown_keys(&c, o, "/scoring", scoring_keys);
        check_enum(&c, o, "/scoring", "list_mode", list_modes);
        llmt_jc_number(&c, o, "/scoring", "tolerance", false, 0, 0);
        llmt_jc_number(&c, o, "/scoring", "threshold", false, 80, 0);
        if (json_is_number(json_object_get(o, "threshold")) &&
            json_number_value(json_object_get(o, "threshold")) > 100)
            llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/scoring/threshold",
                           "expected a number between 0 and 100, got %g",
                           json_number_value(json_object_get(o, "threshold")));
        w = llmt_jc_object(&c, o, "/scoring", "weights", false);
        json_object_foreach(w, k, v)
            llmt_jc_number(&c, w, "/scoring/weights", k, false, 1, 0);
        check_strings(&c, o, "/scoring", "skip_fields", false);
    }
    o = llmt_jc_object(&c, root, "", "cache", false);
    if (o) {
        llmt_jc_unknown_keys(&c, o, "/cache", cache_keys);
        check_enum(&c, o, "/cache", "mode", cache_modes);
        llmt_jc_string(&c, o, "/cache", "path", false, NULL);
    }
}

json_t *llmt_project_config_load(const char *path, llmt_diags *diags)
{
    size_t before = diags->errors;
    json_t *raw = llmt_jc_load_file(diags, path), *root;
    if (!raw)
        return NULL;
    if (!json_is_object(raw)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "", "expected an object at the top level, got %s",
                       llmt_json_type_name(raw));
        json_decref(raw);
        return NULL;
    }
    root = llmt_migrate_project_config(raw, path, diags, NULL);
    json_decref(raw);
    llmt_project_config_check(root, path, diags);
    if (diags->errors > before) {
        json_decref(root);
        return NULL;
    }
    return root;
}


llmt_status llmt_project_open(const char *explicit_path, llmt_project **out, llmt_diags *diags,
                              llmt_error *err)
{
    llmt_project *p = calloc(1, sizeof(*p));
    llmt_status st = LLMT_OK;
    if (!p)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (explicit_path) {
        if (!llmt_path_exists(explicit_path)) {
            st = llmt_error_set(err, LLMT_E_CONFIG, "%s: no such config file (given with --config)",
                                explicit_path);
            goto done;
        }
        p->path = realpath(explicit_path, NULL);
    } else {
        p->path = llmt_project_config_find(NULL);
    }
    if (p->path) {
        p->dir = llmt_path_dirname(p->path);
        p->root = llmt_project_config_load(p->path, diags);
        if (!p->root) {
            st = llmt_diags_to_error(diags, err);
            goto done;
        }
    } else {
        p->dir = realpath(".", NULL);
        p->root = json_pack("{s:i}", "config_version", LLMT_PROJECT_CONFIG_VERSION);
    }
    if (!p->dir || !p->root)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
done:
    if (st != LLMT_OK) {
        llmt_project_free(p);
        return st;
    }
    *out = p;
    return LLMT_OK;
}

void llmt_project_free(llmt_project *p)
{
    if (!p)
        return;
    free(p->path);
    free(p->dir);
    json_decref(p->root);
    free(p);
}

char *llmt_project_write_path(const llmt_project *p)
{
    /* a pyllm_config.json is never written: its replacement llm-tester.json is */
    if (p->path && llmt_str_ends_with(p->path, "/" LLMT_PROJECT_CONFIG_NAME))
        return llmt_strdup(p->path);
    return llmt_path_join(p->dir, LLMT_PROJECT_CONFIG_NAME);
}

char *llmt_project_override_path(const llmt_project *p, const char *provider)
{
    char *file = llmt_asprintf("providers/%s.json", provider);
    char *full = file ? llmt_path_join(p->dir, file) : NULL;
    free(file);
    return full;
}

int llmt_project_provider_enabled(const llmt_project *p, const char *provider)
{
    json_t *e = json_object_get(json_object_get(json_object_get(p->root, "providers"), provider),
                                "enabled");
    return json_is_boolean(e) ? json_is_true(e) : -1;
}

json_t *llmt_project_get(const llmt_project *p, const char *path)
{
    json_t *cur = p->root;
    const char *s = path;
    while (cur && *s) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        char *key = llmt_strndup(s, n);
        cur = json_is_object(cur) && key ? json_object_get(cur, key) : NULL;
        free(key);
        s += n + (slash ? 1 : 0);
    }
    return cur;
}

char *llmt_project_path_setting(const llmt_project *p, const char *key)
{
    const char *v = json_string_value(llmt_project_get(p, key));
    if (!v)
        return NULL;
    return llmt_path_resolve(p->dir, v);
}

/* The defaults of project settings: what commands use when llm-tester.json does not
 * say. Kept in one table so `config show` and the docs list the same values. */
static const struct {
    const char *path;
    const char *json;
} defaults[] = {
    {"tasks_dir", NULL},
    {"output_dir", NULL},
    {"models", "[]"},
    {"run/concurrency", "8"},
    {"run/timeout_ms", "120000"},
    {"run/connect_timeout_ms", "10000"},
    {"run/max_retries", "3"},
    {"run/repeat", "1"},
    {"run/budget_usd", NULL},
    {"run/formats", "[\"json\", \"md\"]"},
    {"run/seed", "0"},
    {"scoring/list_mode", "\"ordered_exact\""},
    {"scoring/tolerance", "0"},
    {"scoring/threshold", "80"},
    {"scoring/weights", "{}"},
    {"scoring/skip_fields", "[]"},
    {"cache/mode", "\"off\""},
    {"cache/path", NULL},
    {"plugin_paths", "[]"},
};

const char *const llmt_project_setting_names[] = {
    "tasks_dir", "output_dir", "models", "run/concurrency", "run/timeout_ms",
    "run/connect_timeout_ms", "run/max_retries", "run/repeat", "run/budget_usd", "run/formats",
    "run/seed", "scoring/list_mode", "scoring/tolerance", "scoring/threshold", "scoring/weights",
    "scoring/skip_fields", "cache/mode", "cache/path", "plugin_paths", NULL};

json_t *llmt_project_default(const char *path)
{
    size_t i;
    for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (strcmp(defaults[i].path, path) == 0)
            return defaults[i].json ? json_loads(defaults[i].json, JSON_DECODE_ANY, NULL) : NULL;
    return NULL;
}
