#include "cli/cfgedit.h"

#include <stdlib.h>
#include <string.h>

#include "config/cfgfile.h"
#include "core/util.h"

int cli_open_project(cli_ctx *ctx, llmt_project **out)
{
    llmt_diags d = {0};
    llmt_error err;
    char *path = cli_project_config_path(ctx);
    llmt_status st = llmt_project_open(path, out, &d, &err);
    free(path);
    int rc = 0;
    /* the project's own file: an unknown (mistyped) key is worth seeing without -v */
    cli_print_diags(ctx, &d, true);
    if (st != LLMT_OK) {
        if (!d.errors)
            cli_error("%s", err.message);
        rc = cli_exit_for(st);
    }
    llmt_diags_free(&d);
    return rc;
}

static llmt_status create_if_missing(json_t *root, json_t **replace, void *ud, llmt_diags *diags,
                                     llmt_error *err)
{
    (void)ud;
    (void)diags;
    (void)err;
    if (!root)
        *replace = json_pack("{s:i}", "config_version", LLMT_PROJECT_CONFIG_VERSION);
    return LLMT_OK;
}

int cli_ensure_project_file(llmt_project *p)
{
    llmt_diags d = {0};
    llmt_error err;
    char *path;
    bool changed = false;
    llmt_status st;
    if (p->path && !llmt_str_ends_with(p->path, "/" LLMT_PROJECT_CONFIG_NAME)) {
        cli_error("%s is a version-1 file: run 'llm-tester config migrate --write' first", p->path);
        return CLI_EXIT_USAGE;
    }
    if (p->path)
        return 0;
    path = llmt_project_write_path(p);
    st = llmt_cfg_edit(path, create_if_missing, NULL, &d, &changed, &err);
    if (st != LLMT_OK)
        cli_error("%s", err.message);
    else if (changed)
        fprintf(stderr, "llm-tester: created %s\n", path);
    if (st == LLMT_OK) {
        free(p->path);
        p->path = path;
        path = NULL;
    }
    free(path);
    llmt_diags_free(&d);
    return st == LLMT_OK ? 0 : cli_exit_for(st);
}

int cli_override_edit(cli_ctx *ctx, llmt_project *p, const llmt_provider_entry *e,
                      llmt_override_fn fn, void *ud, bool *changed)
{
    llmt_diags d = {0};
    llmt_error err;
    llmt_status st;
    const char *base = e->config->base_text ? e->config->base_text : e->config->text;
    char *path = llmt_project_override_path(p, e->config->name);
    int rc = cli_ensure_project_file(p);
    if (rc)
        goto done;
    st = llmt_override_edit(path, base, e->config->path, fn, ud, &d, changed, &err);
    cli_print_diags(ctx, &d, false);
    if (st != LLMT_OK) {
        if (!d.errors)
            cli_error("%s", err.message);
        fprintf(stderr, "llm-tester: %s left unchanged\n", path);
        rc = cli_exit_for(st);
    }
done:
    llmt_diags_free(&d);
    free(path);
    return rc;
}

bool cli_parse_bool(const char *s, bool *out)
{
    if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 || strcmp(s, "on") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 || strcmp(s, "off") == 0) {
        *out = false;
        return true;
    }
    return false;
}

int cli_project_defaults_load(cli_ctx *ctx, cli_project_defaults *d)
{
    llmt_project *p = NULL;
    json_t *models;
    size_t i;
    int rc;
    memset(d, 0, sizeof(*d));
    rc = cli_open_project(ctx, &p);
    if (rc)
        return rc;
    d->tasks_dir = llmt_project_path_setting(p, "tasks_dir");
    d->output_dir = llmt_project_path_setting(p, "output_dir");
    models = llmt_project_get(p, "models");
    d->task_settings = json_incref(llmt_project_get(p, "tasks"));
    d->project_file = p->path ? llmt_strdup(p->path) : NULL;
    {
        /* tasks kept outside the tasks folder: tasks.<name>.path, against the project */
        size_t n = json_object_size(d->task_settings);
        const char *tk;
        json_t *tv;
        d->task_paths = n ? calloc(n, sizeof(*d->task_paths)) : NULL;
        d->task_path_names = n ? calloc(n, sizeof(*d->task_path_names)) : NULL;
        json_object_foreach(d->task_settings, tk, tv) {
            const char *v = json_string_value(json_object_get(tv, "path"));
            if (!v || !d->task_paths || !d->task_path_names)
                continue;
            d->task_paths[d->n_task_paths] = llmt_path_resolve(p->dir, v);
            d->task_path_names[d->n_task_paths++] = llmt_strdup(tk);
        }
    }
    {
        /* room for the defaults and every per-task model */
        size_t cap = json_array_size(models);
        const char *tk;
        json_t *tv;
        json_object_foreach(d->task_settings, tk, tv)
            cap += json_array_size(json_object_get(tv, "models"));
        d->models = cap ? calloc(cap, sizeof(*d->models)) : NULL;
    }
    for (i = 0; d->models && i < json_array_size(models); i++)
        d->models[d->n_models++] = llmt_strdup(json_string_value(json_array_get(models, i)));
    d->n_default_models = d->n_models;
    if ((json_object_size(d->task_settings) && (!d->task_paths || !d->task_path_names)) ||
        (json_array_size(models) && !d->models)) {
        cli_error("out of memory reading %s", p->path ? p->path : "the project settings");
        d->project = p;
        cli_project_defaults_free(d);
        return CLI_EXIT_USAGE;
    }
    if (d->models) {
        const char *tk;
        json_t *tv, *m;
        size_t j, k;
        json_object_foreach(d->task_settings, tk, tv) {
            json_array_foreach(json_object_get(tv, "models"), j, m) {
                const char *ref = json_string_value(m);
                bool seen = false;
                for (k = 0; ref && k < d->n_models; k++)
                    seen = seen || (d->models[k] && strcmp(d->models[k], ref) == 0);
                if (ref && !seen)
                    d->models[d->n_models++] = llmt_strdup(ref);
            }
        }
    }
    d->project = p; /* the other settings are read from it, through the table */
    return 0;
}

void cli_project_defaults_free(cli_project_defaults *d)
{
    free(d->tasks_dir);
    free(d->output_dir);
    llmt_free_strv(d->models, d->n_models);
    json_decref(d->task_settings);
    llmt_free_strv(d->task_paths, d->n_task_paths);
    llmt_free_strv(d->task_path_names, d->n_task_paths);
    free(d->project_file);
    llmt_project_free(d->project);
    memset(d, 0, sizeof(*d));
}

void cli_project_add_task_paths(const cli_project_defaults *d, llmt_taskset *ts,
                                llmt_diags *diags)
{
    const char *file = d->project_file ? d->project_file : "llm-tester.json";
    size_t i;
    for (i = 0; i < d->n_task_paths; i++) {
        char *where = llmt_asprintf("/tasks/%s/path", d->task_path_names[i]);
        llmt_error err;
        if (where && d->task_paths[i] && d->task_path_names[i] &&
            llmt_tasks_add(d->task_paths[i], d->task_path_names[i], file, where, ts, diags,
                           &err) != LLMT_OK)
            llmt_diags_add(diags, LLMT_DIAG_ERROR, file, where, "%s", err.message);
        free(where);
    }
}
