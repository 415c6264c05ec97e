#include "config/project_config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/jcheck.h"
#include "core/util.h"

char *llmt_project_config_find(const char *start_dir)
{
    char *dir = realpath(start_dir ? start_dir : ".", NULL);
    while (dir) {
        char *candidate = llmt_path_join(dir, "llm-tester.json");
        char *slash;
        if (candidate && llmt_path_exists(candidate)) {
            free(dir);
            return candidate;
        }
        free(candidate);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
            if (strcmp(dir, "/") == 0)
                break;
            dir[1] = '\0';
            continue;
        }
        *slash = '\0';
    }
    free(dir);
    return NULL;
}

json_t *llmt_project_config_load(const char *path, llmt_diags *diags)
{
    static const char *const keys[] = {"config_version", "providers", "tasks_dir", "tasks",
                                       "output_dir", "run", "scoring", "cache", "plugin_paths",
                                       "task_models", NULL};
    static const char *const run_keys[] = {"concurrency", "timeout_ms", "connect_timeout_ms",
                                           "max_retries", "repeat", "cache", "budget_usd",
                                           "formats", "seed", NULL};
    static const char *const scoring_keys[] = {"list_mode", "tolerance", "threshold", "weights",
                                               "skip_fields", NULL};
    llmt_jcheck c = {diags, path};
    size_t before = diags->errors;
    json_t *root = llmt_jc_load_file(diags, path), *o;
    long version;
    if (!root)
        return NULL;
    if (!json_is_object(root)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "", "expected an object at the top level, got %s",
                       llmt_json_type_name(root));
        json_decref(root);
        return NULL;
    }
    llmt_jc_unknown_keys(&c, root, "", keys);
    version = llmt_jc_int(&c, root, "", "config_version", false, 1, 1);
    if (version > LLMT_PROJECT_CONFIG_VERSION)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "/config_version",
                       "version %ld is newer than this llm-tester understands (%d)", version,
                       LLMT_PROJECT_CONFIG_VERSION);
    llmt_jc_string(&c, root, "", "tasks_dir", false, NULL);
    llmt_jc_string(&c, root, "", "output_dir", false, NULL);
    llmt_jc_array(&c, root, "", "plugin_paths", false);
    o = llmt_jc_object(&c, root, "", "run", false);
    if (o) {
        llmt_jc_unknown_keys(&c, o, "/run", run_keys);
        llmt_jc_int(&c, o, "/run", "concurrency", false, 8, 1);
        llmt_jc_int(&c, o, "/run", "timeout_ms", false, 0, 1);
        llmt_jc_int(&c, o, "/run", "max_retries", false, 0, 0);
        llmt_jc_int(&c, o, "/run", "repeat", false, 1, 1);
        llmt_jc_number(&c, o, "/run", "budget_usd", false, 0, 0);
    }
    o = llmt_jc_object(&c, root, "", "scoring", false);
    if (o) {
        llmt_jc_unknown_keys(&c, o, "/scoring", scoring_keys);
        llmt_jc_string(&c, o, "/scoring", "list_mode", false, NULL);
        llmt_jc_number(&c, o, "/scoring", "tolerance", false, 0, 0);
        llmt_jc_number(&c, o, "/scoring", "threshold", false, 80, 0);
        llmt_jc_object(&c, o, "/scoring", "weights", false);
        llmt_jc_array(&c, o, "/scoring", "skip_fields", false);
    }
    if (diags->errors > before) {
        json_decref(root);
        return NULL;
    }
    return root;
}
