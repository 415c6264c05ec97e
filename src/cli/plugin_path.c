/* The plugin path the CLI hands to the manager: LLMT_PLUGIN_PATH first (so a developer
 * can shadow a project's plugin with a working copy: the first plugin of a name wins),
 * then the project config's "plugin_paths", relative entries resolved against the
 * directory of llm-tester.json. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/project_config.h"
#include "core/util.h"

char *cli_plugin_path(const cli_ctx *ctx)
{
    const char *env = getenv("LLMT_PLUGIN_PATH");
    char *cfg_path = ctx->common.config_path ? llmt_strdup(ctx->common.config_path)
                                             : llmt_project_config_find(".");
    llmt_diags diags = {0};
    llmt_buf b = {0};
    json_t *root = NULL, *v;
    size_t i;
    if (env && *env)
        llmt_buf_puts(&b, env);
    if (cfg_path && llmt_path_exists(cfg_path))
        root = llmt_project_config_load(cfg_path, &diags);
    /* an invalid project config is reported by the commands that use it and by
     * `config validate`; here it only means "no plugin dirs from it" */
    json_array_foreach(json_object_get(root, "plugin_paths"), i, v)
    {
        const char *d = json_string_value(v);
        if (!d || !*d)
            continue;
        if (b.len)
            llmt_buf_puts(&b, ":");
        if (d[0] == '/') {
            llmt_buf_puts(&b, d);
        } else {
            const char *slash = strrchr(cfg_path, '/');
            if (slash)
                llmt_buf_append(&b, cfg_path, (size_t)(slash - cfg_path) + 1);
            llmt_buf_puts(&b, d);
        }
    }
    json_decref(root);
    llmt_diags_free(&diags);
    free(cfg_path);
    return llmt_buf_steal(&b);
}
