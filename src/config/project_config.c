#include "config/project_config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/jcheck.h"
#include "config/migrate.h"
#include "config/settings.h"
#include "core/util.h"

/* Whether `dir` is one of the folders of $LLMT_CEILING_DIRS (colon-separated), above
 * which the search for a project config does not go. */
static bool is_ceiling(const char *dir)
{
    const char *list = getenv("LLMT_CEILING_DIRS"), *p;
    bool hit = false;
    for (p = list; p && *p && !hit;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char *entry = n ? llmt_strndup(p, n) : NULL;
        char *real = entry ? realpath(entry, NULL) : NULL;
        hit = (real && strcmp(real, dir) == 0) || (entry && strcmp(entry, dir) == 0);
        free(real);
        free(entry);
        p += n + (colon ? 1 : 0);
    }
    return hit;
}

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
        if (is_ceiling(dir))
            break; /* the parent is a ceiling: neither it nor what is above it is searched */
    }
    free(dir);
    free(foreign);
    return NULL;
}

char *llmt_project_config_find(const char *start_dir)
{
    return llmt_project_config_find_checked(start_dir, NULL);
}

void llmt_project_config_check(json_t *root, const char *path, llmt_diags *diags)
{
    /* what the settings table does not describe: the version and the per-provider and
     * per-task objects */
    static const char *const others[] = {"config_version", "providers", "tasks", NULL};
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
    llmt_settings_check_doc(root, path, others, diags);
    version = llmt_jc_int(&c, root, "", "config_version", true, 1, 1);
    if (version > LLMT_PROJECT_CONFIG_VERSION)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/config_version",
                       "version %ld is newer than this llm-tester understands (%d)", version,
                       LLMT_PROJECT_CONFIG_VERSION);
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
            char *mp = llmt_asprintf("/tasks/%s/models", k);
            json_t *m = json_object_get(v, "models");
            llmt_jc_unknown_keys(&c, v, p, task_keys);
            llmt_jc_bool(&c, v, p, "enabled", true);
            llmt_jc_string(&c, v, p, "path", false, NULL);
            if (m && mp) /* the same check as the top-level "models" */
                llmt_setting_check(llmt_setting_find("models"), m, path, mp, diags);
            free(mp);
        }
        free(p);
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

json_t *llmt_project_default(const char *path)
{
    return llmt_setting_default(llmt_setting_find(path));
}
