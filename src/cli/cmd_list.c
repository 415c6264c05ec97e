#include <stdlib.h>
#include <string.h>

#include "cli/cfgedit.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "provider/manager_info.h"
#include "task/task.h"

int cmd_list(cli_ctx *ctx, int argc, char **argv)
{
    bool from_project;
    const char *tasks_dir = NULL, *filter = NULL;
    cli_strings models = {0};
    char help[2][320];
    const cli_option opts[] = {
        cli_setting_option("tasks_dir", 't', "DIR", &tasks_dir, NULL, help[0], sizeof help[0]),
        cli_setting_option("models", 'm', "P[:M]", &models, NULL, help[1], sizeof help[1]),
        {"filter", 'f', OPT_STRING, "TEXT", "only cases whose \"task/case\" contains TEXT", &filter, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_taskset ts;
    llmt_diags diags = {0};
    llmt_error err;
    char **model_list = NULL, **shown_models = NULL;
    size_t n_models = 0, n_shown_models = 0, i, j, shown = 0;
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
    if (n_models ? cli_models_resolve(mgr, "list", model_list, n_models, &shown_models) != 0
                 : cli_models_default(mgr, &shown_models, &n_models) != 0)
        goto done;
    n_shown_models = n_models;
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
               t->description ? ": " : "", t->description ? t->description : "");
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
    for (i = 0; i < n_models; i++)
        printf("  %s\n", shown_models[i]);
    if (!n_models)
        printf("  (none: give --models, or \"models\" in llm-tester.json, or set a provider's API key)\n");
    printf("\n%zu case(s) × %zu model(s)\n", shown, n_models);
    rc = diags.errors ? CLI_EXIT_USAGE : CLI_EXIT_OK;
done:
    llmt_taskset_free(&ts);
    llmt_diags_free(&diags);
    llmt_manager_free(mgr);
    free(model_list);
    llmt_free_strv(shown_models, n_shown_models);
    if (pd.n_models && !pd.models) {
        llmt_free_strv(models.v, models.n);
        models.v = NULL;
        models.n = 0;
    }
    cli_project_defaults_free(&pd);
    cli_strings_free(&models);
    return rc < 0 ? 0 : rc;
}
