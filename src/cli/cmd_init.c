/* `llm-tester init`: a project in the current folder that runs at once: llm-tester.json
 * (tasks/, out/, default models), an example task, out/, and a .gitignore that keeps
 * keys (.env) and the local stores (.llm-tester/) out of version control. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "config/cfgfile.h"
#include "config/project_config.h"
#include "core/util.h"
#include "provider/manager_info.h"
#include "provider/secrets.h"

#define INIT_TASKS "tasks"
#define INIT_OUTPUT "out"
#define INIT_GITIGNORE ".gitignore"

/* The default models: each enabled provider whose API key is set (its default model),
 * else the mock's oracle, which needs none. */
static json_t *default_models(cli_ctx *ctx)
{
    json_t *models = json_array();
    llmt_manager *mgr = NULL;
    size_t i, n;
    if (cli_manager(ctx, &mgr, NULL) == 0) {
        llmt_registry *reg = llmt_manager_registry(mgr);
        n = llmt_registry_count(reg);
        for (i = 0; i < n; i++) {
            llmt_provider_entry *e = llmt_registry_at(reg, i);
            const llmt_model_config *m = llmt_provider_config_default_model(e->config);
            char *key;
            if (!e->config->enabled || !e->config->env_key[0] || !m)
                continue;
            key = llmt_secret_lookup(e->config->env_key, ".");
            if (key) {
                json_array_append_new(models, json_sprintf("%s:%s", e->config->name, m->name));
                memset(key, 0, strlen(key));
                free(key);
            }
        }
        llmt_manager_free(mgr);
    }
    if (!json_array_size(models))
        json_array_append_new(models, json_string("mock:oracle"));
    return models;
}

static int write_project(cli_ctx *ctx)
{
    json_t *root = json_object();
    char *text;
    llmt_error err;
    int rc = 0;
    json_object_set_new(root, "config_version", json_integer(LLMT_PROJECT_CONFIG_VERSION));
    json_object_set_new(root, "tasks_dir", json_string(INIT_TASKS));
    json_object_set_new(root, "output_dir", json_string(INIT_OUTPUT));
    json_object_set_new(root, "models", default_models(ctx));
    text = llmt_cfg_dump(root);
    json_decref(root);
    if (!text ||
        llmt_write_file_atomic(LLMT_PROJECT_CONFIG_NAME, text, strlen(text), &err) != LLMT_OK) {
        cli_error("init: %s", text ? err.message : "out of memory");
        rc = CLI_EXIT_USAGE;
    }
    free(text);
    if (rc == 0)
        printf("  created %s\n", LLMT_PROJECT_CONFIG_NAME);
    return rc;
}

int cmd_init(cli_ctx *ctx, int argc, char **argv)
{
    static const char *const made[] = {LLMT_PROJECT_CONFIG_NAME, INIT_TASKS, INIT_OUTPUT,
                                       INIT_GITIGNORE, NULL};
    static const char gitignore[] = "# llm-tester: API keys and local stores stay out of git\n"
                                    ".env\n.llm-tester/\n";
    const cli_option opts[] = {{NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_error err;
    size_t i;
    bool exists = false;
    int npos, rc = cli_parse(ctx, cli_find_command("init"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos > 0) {
        cli_error("init: unexpected argument '%s' (init works in the current folder)", argv[0]);
        return CLI_EXIT_USAGE;
    }
    for (i = 0; made[i]; i++) {
        if (llmt_path_exists(made[i])) {
            cli_error("init: %s already exists; not overwriting anything", made[i]);
            exists = true;
        }
    }
    if (exists)
        return CLI_EXIT_USAGE;
    rc = write_project(ctx);
    if (rc == 0)
        rc = cli_scaffold_task(INIT_TASKS "/example", "example");
    if (rc == 0 && mkdir(INIT_OUTPUT, 0777) != 0) {
        cli_error("init: cannot create %s: %s", INIT_OUTPUT, strerror(errno));
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0) {
        if (llmt_write_file_atomic(INIT_GITIGNORE, gitignore, sizeof gitignore - 1, &err) != LLMT_OK) {
            cli_error("init: %s", err.message);
            rc = CLI_EXIT_USAGE;
        } else {
            printf("  created %s/\n  created %s\n", INIT_OUTPUT, INIT_GITIGNORE);
        }
    }
    if (rc == 0)
        printf("\nNext:\n  llm-tester run --models mock:oracle     # the example task, no key needed\n"
               "  llm-tester keys set                      # API keys, kept in .env\n"
               "  llm-tester scaffold task NAME            # your own task under tasks/\n");
    return rc;
}
