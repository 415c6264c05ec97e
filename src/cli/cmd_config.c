#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cfgedit.h"
#include "cli/cli.h"
#include "config/cfgfile.h"
#include "config/jcheck.h"
#include "config/migrate.h"
#include "config/overrides.h"
#include "config/project_config.h"
#include "config/provider_config.h"
#include "config/settings.h"
#include "config/shipped.h"
#include "core/util.h"
#include "provider/builtin.h"
#include "provider/factory.h"
#include "provider/manager_info.h"
#include "provider/plugin.h"
#include "provider/secrets.h"
#include "score/validate.h"
#include "task/check.h"
#include "task/task.h"

static const llmt_builtin_provider *builtin(const char *name)
{
    const llmt_builtin_provider *b;
    for (b = llmt_builtin_providers; b->name; b++)
        if (strcmp(b->name, name) == 0)
            return b;
    return NULL;
}

static char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return llmt_strdup(slash ? slash + 1 : path);
}

/* "<dir>/providers/<name>.json" with <name> a built-in provider: an override file. */
static const llmt_builtin_provider *override_target(const char *path)
{
    char *copy = llmt_strdup(path), *slash, *base;
    const llmt_builtin_provider *b = NULL;
    if (!copy)
        return NULL;
    slash = strrchr(copy, '/');
    base = slash ? slash + 1 : copy;
    if (slash)
        *slash = '\0';
    if (llmt_str_ends_with(base, ".json") &&
        (llmt_str_ends_with(copy, "/providers") || strcmp(copy, "providers") == 0)) {
        base[strlen(base) - 5] = '\0';
        b = builtin(base);
    }
    free(copy);
    return b;
}

/* The tasks under dir, and the files providers read from each task's folder. */
static void validate_tasks(const char *dir, llmt_diags *diags, size_t *checked)
{
    llmt_taskset ts;
    llmt_error err;
    size_t i;
    memset(&ts, 0, sizeof ts);
    if (llmt_tasks_discover(dir, &ts, diags, &err) != LLMT_OK)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, dir, "", "cannot read the tasks folder: %s",
                       err.message);
    else
        *checked += ts.n_tasks;
    /* the task's own files, and the files a provider reads from a task folder (the mock's
     * mock_rules.json), checked by that provider with its own parser */
    for (i = 0; i < ts.n_tasks; i++) {
        llmt_task_check(&ts.tasks[i], diags);
        *checked += llmt_providers_check_files(ts.tasks[i].dir, true, diags);
    }
    llmt_taskset_free(&ts);
}

/* A JSON Schema rather than a configuration file: named schema.json, or with "$schema",
 * or with schema keywords at the top and none of the configuration files' own keys. */
static bool is_schema(const char *base, json_t *probe)
{
    if (base && strcmp(base, "schema.json") == 0)
        return true;
    if (!json_is_object(probe) || json_object_get(probe, "config_version"))
        return false;
    return json_object_get(probe, "$schema") || json_object_get(probe, "properties") ||
           json_object_get(probe, "$defs") || json_object_get(probe, "definitions") ||
           (json_is_string(json_object_get(probe, "type")) && !json_object_get(probe, "rules"));
}

static void validate_schema(const char *path, json_t *doc, llmt_diags *diags)
{
    if (!doc) {
        json_decref(llmt_jc_load_file(diags, path)); /* names the JSON error */
        return;
    }
    llmt_schema_free(llmt_schema_compile(doc, path, diags));
}

/* <task>/tests/expected/<case>.json: JSON, and checked against <task>/schema.json (a
 * mismatch is a warning, as for the whole task). */
static void validate_expected(const char *path, json_t *doc, llmt_diags *diags)
{
    const char *cut = strstr(path, "tests/expected/");
    char *task_dir = llmt_strndup(path, (size_t)(cut - path));
    char *schema_path = llmt_path_join(*task_dir ? task_dir : ".", "schema.json");
    json_t *sdoc = NULL, *violations = json_array();
    llmt_schema *schema = NULL;
    if (!doc) {
        json_decref(llmt_jc_load_file(diags, path));
        goto done;
    }
    sdoc = schema_path && llmt_path_exists(schema_path) ? llmt_jc_load_file(diags, schema_path) : NULL;
    schema = sdoc ? llmt_schema_compile(sdoc, schema_path, diags) : NULL;
    if (schema && violations && !llmt_schema_validate(schema, doc, violations))
        llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "",
                       "the expected answer does not satisfy %s (%zu problem(s), first: %s)",
                       schema_path, json_array_size(violations),
                       json_string_value(json_array_get(violations, 0)));
done:
    llmt_schema_free(schema);
    json_decref(sdoc);
    json_decref(violations);
    free(schema_path);
    free(task_dir);
}

/* Validates one named file by what it is: task.json, a schema, an expected answer, an
 * override, a provider's own file (a mock rules file), a provider config or a project
 * config. */
static void validate_file(const char *path, llmt_diags *diags, size_t *checked)
{
    char *text = NULL, *base = basename_of(path);
    const llmt_builtin_provider *b = override_target(path);
    llmt_error err;
    json_t *probe;
    (*checked)++;
    if (llmt_read_file(path, &text, NULL, &err) != LLMT_OK) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "", "cannot read: %s", err.message);
        free(base);
        return;
    }
    probe = json_loads(llmt_skip_bom(text), 0, NULL);
    if (strstr(path, "tests/expected/") && llmt_str_ends_with(path, ".json")) {
        validate_expected(path, probe, diags);
    } else if (is_schema(base, probe)) {
        validate_schema(path, probe, diags);
    } else if (base && strcmp(base, "task.json") == 0) {
        char *dir = llmt_strndup(path, strlen(path) - strlen("task.json"));
        size_t n = 0;
        validate_tasks(dir && *dir ? dir : ".", diags, &n);
        free(dir);
    } else if (b) {
        char *shown = llmt_shipped_config_path(b->name, b->config_path);
        llmt_provider_config_free(llmt_provider_config_layered(b->config_json, shown, path, diags));
        free(shown);
    } else if (llmt_providers_check_files(path, false, diags) > 0) {
        /* a provider's own file (a mock rules file), checked by that provider */
    } else if (json_is_object(probe) && (json_object_get(probe, "env_key") ||
                                         json_object_get(probe, "llm_models") ||
                                         json_object_get(probe, "provider_type"))) {
        llmt_provider_config_free(llmt_provider_config_parse(text, path, diags));
    } else {
        json_decref(llmt_project_config_load(path, diags));
    }
    json_decref(probe);
    free(text);
    free(base);
}

/* tasks.<name> without a path must name a task of tasks_dir: a misspelt name would
 * otherwise be a setting that silently applies to nothing. */
static void check_task_entry(const llmt_project *p, const char *tasks_dir, const char *name,
                             llmt_diags *diags)
{
    char *where = llmt_asprintf("/tasks/%s", name);
    char *dir = tasks_dir ? llmt_path_join(tasks_dir, name) : NULL;
    char *schema = dir ? llmt_path_join(dir, "schema.json") : NULL;
    if (!tasks_dir)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, p->path, where,
                       "task '%s' has no \"path\" and there is no tasks_dir to find it in", name);
    else if (!schema || !llmt_path_exists(schema))
        llmt_diags_add(diags, LLMT_DIAG_ERROR, p->path, where,
                       "no task '%s' in %s (a task is a folder with schema.json)", name, tasks_dir);
    free(schema);
    free(dir);
    free(where);
}

/* Everything the project uses: shipped provider configs, overrides, the project config,
 * and the tasks under tasks_dir (their task.json, schemas, cases, mock_rules.json). */
static void validate_all(cli_ctx *ctx, llmt_diags *diags, size_t *checked, char **project_out)
{
    const llmt_builtin_provider *b;
    char *project = cli_project_config_path(ctx);
    llmt_project *p = NULL;
    llmt_error err;
    for (b = llmt_builtin_providers; b->name; b++, (*checked)++) {
        char *shown = llmt_shipped_config_path(b->name, b->config_path);
        llmt_provider_config_free(llmt_provider_config_parse(b->config_json, shown, diags));
        free(shown);
    }
    if (llmt_project_open(project, &p, diags, &err) != LLMT_OK) {
        if (project && !llmt_path_exists(project))
            llmt_diags_add(diags, LLMT_DIAG_ERROR, project, "", "no such file");
        (*checked)++;
    } else {
        char *dir = llmt_path_join(p->dir, "providers"), **names = NULL;
        size_t n = 0, i;
        char *tasks = llmt_project_path_setting(p, "tasks_dir");
        json_t *t, *tl = json_object_get(p->root, "tasks");
        const char *k;
        if (p->path)
            (*checked)++;
        if (dir && llmt_is_dir(dir) && llmt_list_dir(dir, &names, &n, NULL) == LLMT_OK) {
            for (i = 0; i < n; i++) {
                char *full = llmt_path_join(dir, names[i]);
                if (full && llmt_str_ends_with(names[i], ".json")) {
                    if (override_target(full))
                        validate_file(full, diags, checked);
                    else
                        llmt_diags_add(diags, LLMT_DIAG_WARNING, full, "",
                                       "override for unknown provider (not applied)");
                }
                free(full);
            }
            llmt_free_strv(names, n);
        }
        if (tasks)
            validate_tasks(tasks, diags, checked);
        json_object_foreach(tl, k, t) {
            const char *tp = json_string_value(json_object_get(t, "path"));
            if (!tp)
                check_task_entry(p, tasks, k, diags);
            if (tp) {
                char *full = llmt_path_resolve(p->dir, tp);
                if (full && llmt_is_dir(full))
                    validate_tasks(full, diags, checked);
                else
                    llmt_diags_add(diags, LLMT_DIAG_ERROR, p->path, "/tasks",
                                   "%s: path '%s' is not a folder", k, tp);
                free(full);
            }
        }
        free(tasks);
        free(dir);
    }
    /* plugins on the plugin path: loaded as the other commands load them; a refused one
     * (bad ABI, missing op, invalid config.json) is an error here */
    if (!diags->errors) {
        llmt_manager *mgr = NULL;
        if (cli_manager(ctx, &mgr, NULL) == 0) {
            const llmt_plugin_refusals *r = llmt_manager_refused_plugins(mgr);
            llmt_registry *reg = llmt_manager_registry(mgr);
            size_t i;
            for (i = 0; i < llmt_registry_count(reg); i++)
                if (llmt_registry_at(reg, i)->dl_handle)
                    (*checked)++;
            for (i = 0; i < r->count; i++, (*checked)++)
                llmt_diags_add(diags, LLMT_DIAG_ERROR, r->items[i].origin, "",
                               "plugin '%s' refused: %s", r->items[i].name, r->items[i].reason);
            llmt_manager_free(mgr);
        } else {
            llmt_diags_add(diags, LLMT_DIAG_ERROR, project ? project : ".", "",
                           "the providers could not be loaded (see the error above)");
        }
    }
    *project_out = p && p->path ? llmt_strdup(p->path) : NULL;
    llmt_project_free(p);
    free(project);
}

static int config_validate(cli_ctx *ctx, int npos, char **argv)
{
    llmt_diags diags = {0};
    size_t checked = 0;
    char *project = NULL;
    int i, rc;
    if (npos > 1) {
        for (i = 1; i < npos; i++)
            validate_file(argv[i], &diags, &checked);
    } else {
        validate_all(ctx, &diags, &checked, &project);
    }
    cli_print_diags(ctx, &diags, true);
    if (diags.errors) {
        fprintf(stderr, "llm-tester: %zu error(s) in %zu file(s) checked\n", diags.errors, checked);
        rc = CLI_EXIT_USAGE;
    } else {
        printf("OK: %zu file(s) checked%s%s\n", checked, project ? ", project config " : "",
               project ? project : "");
        rc = CLI_EXIT_OK;
    }
    free(project);
    llmt_diags_free(&diags);
    return rc;
}

/* ---- show ------------------------------------------------------------------------------ */

typedef struct shower {
    bool as_json;
    json_t *out; /* {"key": {"value": ..., "from": ...}} */
} shower;

static void show(shower *s, const char *key, json_t *value, const char *from)
{
    if (s->as_json) {
        json_object_set_new(s->out, key, json_pack("{s:O?, s:s}", "value", value, "from", from));
        return;
    }
    {
        char *v = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))
                        : llmt_strdup("(unset)");
        printf("%-44s = %-28s  [%s]\n", key, v ? v : "", from);
        free(v);
    }
}

static void show_provider(shower *s, llmt_provider_entry *e, const llmt_project *p)
{
    static const char *const fields[] = {"base_url", "env_key", "system_prompt",
                                         "supports_file_upload", "schema_transform", "rate_limit", "fallbacks", NULL};
    json_t *doc = json_loads(e->config->text, 0, NULL);
    json_t *base = e->config->base_text ? json_loads(e->config->base_text, 0, NULL) : NULL;
    json_t *ovr = e->config->override_path ? json_load_file(e->config->override_path, 0, NULL) : NULL;
    json_t *origins = llmt_override_origins(base ? base : doc, ovr, e->config->path,
                                            e->config->override_path ? e->config->override_path : "");
    const char *name = e->config->name;
    char *env_name = llmt_base_url_env_name(name);
    const char *env_url = env_name ? getenv(env_name) : NULL;
    int en = p ? llmt_project_provider_enabled(p, name) : -1;
    size_t i;
    char *key;
    key = llmt_asprintf("providers.%s.enabled", name);
    {
        json_t *v = json_boolean(e->config->enabled);
        show(s, key, v, en >= 0 ? p->path : e->config->path);
        json_decref(v);
    }
    free(key);
    for (i = 0; fields[i]; i++) {
        json_t *v = json_object_get(doc, fields[i]);
        const char *from = json_string_value(json_object_get(origins, fields[i]));
        key = llmt_asprintf("providers.%s.%s", name, fields[i]);
        if (strcmp(fields[i], "base_url") == 0 && env_url && *env_url) {
            json_t *ev = json_string(env_url);
            char *f = llmt_asprintf("environment %s", env_name);
            show(s, key, ev, f);
            json_decref(ev);
            free(f);
        } else {
            show(s, key, v, v ? (from ? from : e->config->path) : "default");
        }
        free(key);
    }
    if (e->config->env_key[0]) {
        const char *env = getenv(e->config->env_key);
        char *val = llmt_secret_lookup(e->config->env_key, p ? p->dir : ".");
        char red[64];
        json_t *v;
        llmt_redact_key(val, red, sizeof red);
        v = json_string(red);
        key = llmt_asprintf("providers.%s.api_key", name);
        show(s, key, v, val ? (env && *env ? "environment" : ".env") : "not set");
        json_decref(v);
        free(key);
        free(val);
    }
    for (i = 0; i < e->config->n_models; i++) {
        const llmt_model_config *m = &e->config->models[i];
        json_t *mj = json_array_get(json_object_get(doc, "llm_models"), i), *v;
        json_t *mo = json_object_get(json_object_get(origins, "llm_models"), m->name);
        const char *k;
        /* fields a model has even when no file sets them */
        static const char *const dflt_keys[] = {"default", "preferred", "enabled", "cost_category", NULL};
        static const char *const dflt_vals[] = {"false", "false", "true", "\"standard\"", NULL};
        size_t j;
        json_object_foreach(mj, k, v) {
            const char *from = json_string_value(json_object_get(mo, k));
            if (strcmp(k, "name") == 0)
                continue;
            key = llmt_asprintf("models.%s:%s.%s", name, m->name, k);
            show(s, key, v, from && *from ? from : e->config->path);
            free(key);
        }
        for (j = 0; dflt_keys[j]; j++) {
            if (json_object_get(mj, dflt_keys[j]))
                continue;
            v = json_loads(dflt_vals[j], JSON_DECODE_ANY, NULL);
            key = llmt_asprintf("models.%s:%s.%s", name, m->name, dflt_keys[j]);
            show(s, key, v, "default");
            json_decref(v);
            free(key);
        }
    }
    free(env_name);
    json_decref(doc);
    json_decref(base);
    json_decref(ovr);
    json_decref(origins);
}

static int config_show(cli_ctx *ctx, bool as_json)
{
    llmt_manager *mgr = NULL;
    const llmt_project *p;
    llmt_registry *reg;
    shower s = {as_json, json_object()};
    size_t i;
    int rc = cli_manager(ctx, &mgr, NULL);
    if (rc) {
        json_decref(s.out);
        return rc;
    }
    p = llmt_manager_project(mgr);
    if (!as_json) {
        printf("project config: %s\n", p ? p->path : "(none: defaults apply)");
        printf("project folder: %s\n\n", p ? p->dir : llmt_manager_opts(mgr)->project_dir);
    } else {
        json_object_set_new(s.out, "project_config", p ? json_string(p->path) : json_null());
    }
    for (i = 0; llmt_settings[i].key; i++) {
        const char *name = llmt_settings[i].key;
        json_t *v = p ? llmt_project_get(p, name) : NULL;
        char *key = llmt_strdup(name), *c;
        for (c = key; c && *c; c++)
            if (*c == '/')
                *c = '.';
        if (strcmp(name, "run/seed") == 0 && ctx->common.seed_text) {
            json_t *cv = json_integer((json_int_t)cli_seed(ctx));
            show(&s, key, cv, "command line --seed");
            json_decref(cv);
        } else if (v) {
            show(&s, key, v, p->path);
        } else {
            json_t *d = llmt_project_default(name);
            show(&s, key, d, "default");
            json_decref(d);
        }
        free(key);
    }
    if (p) {
        json_t *t, *tl = json_object_get(p->root, "tasks");
        const char *k;
        json_object_foreach(tl, k, t) {
            char *key = llmt_asprintf("tasks.%s", k);
            show(&s, key, t, p->path);
            free(key);
        }
    }
    reg = llmt_manager_registry(mgr);
    for (i = 0; i < llmt_registry_count(reg); i++)
        show_provider(&s, llmt_registry_at(reg, i), p);
    if (as_json) {
        json_dumpf(s.out, stdout, JSON_INDENT(2));
        putchar('\n');
    }
    cli_print_diags(ctx, llmt_manager_diags(mgr), false);
    json_decref(s.out);
    llmt_manager_free(mgr);
    return CLI_EXIT_OK;
}

/* ---- migrate --------------------------------------------------------------------------- */

static bool is_project_file(const char *path, json_t *doc)
{
    char *base = basename_of(path);
    bool r = base && (strcmp(base, LLMT_PROJECT_CONFIG_NAME) == 0 ||
                      strcmp(base, LLMT_PROJECT_CONFIG_V1_NAME) == 0);
    free(base);
    return r || !(json_object_get(doc, "llm_models") || json_object_get(doc, "models") ||
                  json_object_get(doc, "env_key"));
}

/* `kind`: 1 project config, 0 provider config or override, -1 decide from name and content. */
static int migrate_one(cli_ctx *ctx, const char *path, bool write, int kind)
{
    llmt_diags d = {0};
    llmt_error err;
    json_t *doc = llmt_jc_load_file(&d, path), *out = NULL;
    char *text = NULL, *target = NULL, *bak = NULL;
    int from = 0, rc = CLI_EXIT_USAGE;
    bool project;
    if (!doc)
        goto done;
    project = kind < 0 ? is_project_file(path, doc) : kind == 1;
    out = project ? llmt_migrate_project_config(doc, path, &d, &from)
                  : llmt_migrate_provider_config(doc, path, &d, &from);
    if (project)
        llmt_project_config_check(out, path, &d);
    text = llmt_cfg_dump(out);
    if (!text && !d.errors)
        cli_error("%s: out of memory", path);
    if (!text || d.errors)
        goto done;
    if (from >= (project ? LLMT_PROJECT_CONFIG_VERSION : LLMT_PROVIDER_CONFIG_VERSION)) {
        fprintf(stderr, "llm-tester: %s: already at version %d, nothing to do\n", path, from);
        if (!write)
            fputs(text, stdout);
        rc = CLI_EXIT_OK;
        goto done;
    }
    fprintf(stderr, "llm-tester: %s: version %d -> %d\n", path, from,
            project ? LLMT_PROJECT_CONFIG_VERSION : LLMT_PROVIDER_CONFIG_VERSION);
    if (!write) {
        fputs(text, stdout);
        rc = CLI_EXIT_OK;
        goto done;
    }
    /* the Python tool's pyllm_config.json becomes llm-tester.json beside it */
    target = llmt_str_ends_with(path, LLMT_PROJECT_CONFIG_V1_NAME)
                 ? llmt_asprintf("%.*s%s", (int)(strlen(path) - strlen(LLMT_PROJECT_CONFIG_V1_NAME)),
                                 path, LLMT_PROJECT_CONFIG_NAME)
                 : llmt_strdup(path);
    bak = llmt_asprintf("%s.bak", path);
    if (!target || !bak) {
        cli_error("%s: out of memory", path);
        goto done;
    }
    if (strcmp(target, path) != 0 && llmt_path_exists(target)) {
        cli_error("%s exists already: merge %s into it by hand, or move it away first", target, path);
        goto done;
    }
    {
        char *orig = NULL;
        if (llmt_read_file(path, &orig, NULL, &err) != LLMT_OK ||
            llmt_write_file_atomic(bak, orig, strlen(orig), &err) != LLMT_OK) {
            cli_error("%s", err.message);
            free(orig);
            goto done;
        }
        free(orig);
    }
    if (llmt_cfg_write(target, out, &err) != LLMT_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    if (strcmp(target, path) != 0)
        unlink(path); /* its content is in the .bak */
    printf("migrated %s -> %s (original kept as %s)\n", path, target, bak);
    rc = CLI_EXIT_OK;
done:
    cli_print_diags(ctx, &d, true);
    llmt_diags_free(&d);
    json_decref(doc);
    json_decref(out);
    free(text);
    free(target);
    free(bak);
    return rc;
}

static int config_migrate(cli_ctx *ctx, int npos, char **argv, bool write)
{
    int i, rc = 0, r;
    if (npos > 1) {
        for (i = 1; i < npos; i++)
            if ((r = migrate_one(ctx, argv[i], write, override_target(argv[i]) ? 0 : -1)) != 0)
                rc = r;
        return rc;
    }
    {
        char *path = cli_project_config_path(ctx), *dir = NULL, **names = NULL, *slash;
        size_t n = 0, k;
        if (!path) {
            cli_error("config migrate: no llm-tester.json or pyllm_config.json found from here "
                      "upward; name the files to migrate");
            return CLI_EXIT_USAGE;
        }
        rc = migrate_one(ctx, path, write, 1);
        slash = strrchr(path, '/');
        dir = slash ? llmt_asprintf("%.*s/providers", (int)(slash - path), path)
                    : llmt_strdup("providers");
        if (dir && llmt_is_dir(dir) && llmt_list_dir(dir, &names, &n, NULL) == LLMT_OK) {
            for (k = 0; k < n; k++) {
                char *full = llmt_path_join(dir, names[k]);
                if (full && llmt_str_ends_with(names[k], ".json") &&
                    (r = migrate_one(ctx, full, write, 0)) != 0)
                    rc = r;
                free(full);
            }
            llmt_free_strv(names, n);
        }
        free(dir);
        free(path);
    }
    return rc;
}

int cmd_config(cli_ctx *ctx, int argc, char **argv)
{
    bool as_json = false, write = false;
    const cli_option opts[] = {
        {"json", 0, OPT_FLAG, NULL, "show: machine-readable output", &as_json, NULL},
        {"write", 0, OPT_FLAG, NULL, "migrate: replace the files (keeping FILE.bak)", &write, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    int npos, rc = cli_parse(ctx, cli_find_command("config"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos >= 1 && strcmp(argv[0], "validate") == 0)
        return config_validate(ctx, npos, argv);
    if (npos == 1 && strcmp(argv[0], "show") == 0)
        return config_show(ctx, as_json);
    if (npos >= 1 && strcmp(argv[0], "migrate") == 0)
        return config_migrate(ctx, npos, argv, write);
    cli_error("config: expected 'validate [FILE...]', 'show' or 'migrate [FILE...] [--write]' "
              "(see: llm-tester config --help)");
    return CLI_EXIT_USAGE;
}
