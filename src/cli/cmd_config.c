#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/project_config.h"
#include "config/provider_config.h"
#include "core/util.h"
#include "provider/builtin.h"

/* Validates one file: a provider config when it has "llm_models", else a project config. */
static void validate_file(const char *path, llmt_diags *diags)
{
    char *text = NULL;
    llmt_error err;
    json_t *probe;
    if (llmt_read_file(path, &text, NULL, &err) != LLMT_OK) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "", "cannot read the file");
        return;
    }
    probe = json_loads(text, 0, NULL);
    if (json_is_object(probe) && json_object_get(probe, "llm_models")) {
        llmt_provider_config_free(llmt_provider_config_parse(text, path, diags));
    } else {
        json_decref(llmt_project_config_load(path, diags));
    }
    json_decref(probe);
    free(text);
}

int cmd_config(cli_ctx *ctx, int argc, char **argv)
{
    const cli_option opts[] = {{NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    const llmt_builtin_provider *b;
    llmt_diags diags = {0};
    size_t checked = 0;
    char *project = NULL;
    int npos, i, rc = cli_parse(ctx, cli_find_command("config"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos < 1 || strcmp(argv[0], "validate") != 0) {
        cli_error("config: expected 'validate' (see: llm-tester config --help)");
        return CLI_EXIT_USAGE;
    }
    if (npos > 1) {
        for (i = 1; i < npos; i++, checked++)
            validate_file(argv[i], &diags);
    } else {
        for (b = llmt_builtin_providers; b->name; b++, checked++)
            llmt_provider_config_free(llmt_provider_config_parse(b->config_json, b->config_path, &diags));
        project = ctx->common.config_path ? llmt_strdup(ctx->common.config_path)
                                          : llmt_project_config_find(".");
        if (project) {
            validate_file(project, &diags);
            checked++;
        }
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
