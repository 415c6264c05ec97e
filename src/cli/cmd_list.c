#include <stdlib.h>
#include <string.h>

#include "cli/cfgedit.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "provider/manager_info.h"
#include "exec/engine.h"
#include "task/task.h"

int cmd_list(cli_ctx *ctx, int argc, char **argv)
{
    bool from_project;
    const char *tasks_dir = NULL, *filter = NULL;
    cli_strings models = {0};
    const cli_option opts[] = {
        {"tasks", 't', OPT_STRING, "DIR", "folder of task folders, or one task folder", &tasks_dir, NULL},
        {"models", 'm', OPT_STRINGS, "P:M", "models that would run (default: every provider's default model)", &models, NULL},
        {"filter", 'f', OPT_STRING, "TEXT", "only cases whose \"task/case\" contains TEXT", &filter, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_taskset ts;
    llmt_diags diags = {0};
    llmt_error err;
    char **model_list = NULL;
    size_t n_models = 0, i, j, shown = 0;
    int npos, rc;
    cli_project_defaults pd;
    memset(&ts, 0, sizeof ts);
    memset(&pd, 0, sizeof pd);
    rc = cli_parse(ctx, cli_find_command("list"), opts, argc, argv, &npos);
    if (rc)
        goto done;
    rc = cli_project_defaults_load(ctx, &pd);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    from_project = !tasks_dir;
    if (!tasks_dir)
        tasks_dir = pd.tasks_dir;
    if (models.n == 0 && pd.n_models) {
        models.v = pd.models;
        models.n = pd.n_models;
        pd.models = NULL;
    }
    if (!tasks_dir) {
        cli_error("list: --tasks DIR is required, or tasks_dir in llm-tester.json (see: llm-tester list --help)");
        goto done;
    }
    if (cli_split_list(&models, &model_list, &n_models) != 0)
        goto done;
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    for (i = 0; i < n_models; i++) {
        if (llmt_engine_check_model(mgr, model_list[i], &err) != LLMT_OK) {
            cli_error("list: %s", err.message);
            goto done;
        }
    }
    if (llmt_tasks_discover(tasks_dir, &ts, &diags, &err) != LLMT_OK) {
        cli_error("list: %s", err.message);
        goto done;
    }
    /* tasks kept elsewhere (tasks.<name>.path) belong to the project's tasks, not to a
     * folder given with --tasks */
    if (from_project)
        cli_project_add_task_paths(&pd, &ts, &diags);
    cli_print_diags(ctx, &diags, true);
    printf("Tasks in %s:\n", tasks_dir);
    for (i = 0; i < ts.n_tasks; i++) {
        const llmt_task *t = &ts.tasks[i];
        printf("  %s (%zu case%s)%s%s\n", t->name, t->n_cases, t->n_cases == 1 ? "" : "s",
               t->description ? ": " : "", "");
        for (j = 0; j < t->n_cases; j++) {
            char *id = llmt_asprintf("%s/%s", t->name, t->cases[j].name);
            if (!filter || (id && strstr(id, filter))) {
                printf("    %s%s%s\n", id ? id : "", t->cases[j].prompt_path ? "  [own prompt]" : "",
                       t->cases[j].n_files ? "  [files]" : "");
                shown++;
            }
            free(id);
        }
    }
    printf("\nModels:\n");
    if (n_models) {
        for (i = 0; i < n_models; i++)
            printf("  %s\n", model_list[i]);
    } else {
        llmt_registry *reg = llmt_manager_registry(mgr);
        for (i = 0; i < llmt_registry_count(reg); i++) {
            llmt_provider_entry *e = llmt_registry_at(reg, i);
            const llmt_model_config *m = llmt_provider_config_default_model(e->config);
            if (e->config->enabled && m)
                printf("  %s:%s (default of %s)\n", e->config->name, m->name, e->config->name);
        }
    }
    printf("\n%zu case(s) × %zu model(s)\n", shown, n_models ? n_models : (size_t)1);
    rc = diags.errors ? CLI_EXIT_USAGE : CLI_EXIT_OK;
done:
    llmt_taskset_free(&ts);
    llmt_diags_free(&diags);
    llmt_manager_free(mgr);
    free(model_list);
    if (pd.n_models && !pd.models) {
        llmt_free_strv(models.v, models.n);
        models.v = NULL;
        models.n = 0;
    }
    cli_project_defaults_free(&pd);
    cli_strings_free(&models);
    return rc < 0 ? 0 : rc;
}
