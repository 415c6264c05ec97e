#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"
#include "provider/manager_internal.h"

static const char *kind_of(const llmt_provider_entry *e)
{
    return (e->ops->capabilities & LLMT_CAP_LOCAL) ? "local" : "http";
}

/* Plugins found but refused: always counted, listed with the reason at -v. */
static void print_refused(const cli_ctx *ctx, const llmt_plugin_refusals *r)
{
    size_t i;
    if (!r->count)
        return;
    if (ctx->common.verbose < 1) {
        printf("\n%zu plugin(s) refused (see: llm-tester providers list -v)\n", r->count);
        return;
    }
    printf("\nREFUSED PLUGINS\n");
    for (i = 0; i < r->count; i++)
        printf("%-12s %s\n  reason: %s\n", r->items[i].name, r->items[i].origin,
               r->items[i].reason);
}

int cmd_providers(cli_ctx *ctx, int argc, char **argv)
{
    bool as_json = false;
    const cli_option opts[] = {
        {"json", 0, OPT_FLAG, NULL, "machine-readable output", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_registry *reg;
    size_t i;
    int npos, rc = cli_parse(ctx, cli_find_command("providers"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos < 1 || strcmp(argv[0], "list") != 0) {
        cli_error("providers: expected 'list' (see: llm-tester providers --help)");
        return CLI_EXIT_USAGE;
    }
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        return rc;
    reg = llmt_manager_registry(mgr);
    if (as_json) {
        json_t *arr = json_array();
        for (i = 0; i < llmt_registry_count(reg); i++) {
            llmt_provider_entry *e = llmt_registry_at(reg, i);
            char abi[16];
            snprintf(abi, sizeof abi, "%u.%u", e->ops->abi_version >> 16,
                     e->ops->abi_version & 0xffffu);
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:s}", "name", e->config->name,
                               "origin", e->origin, "kind", kind_of(e), "abi_version",
                               abi, "models", (int)e->config->n_models, "enabled",
                               e->config->enabled, "env_key", e->config->env_key));
        }
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
    } else {
        printf("%-12s %-8s %-6s %-5s %-8s %-24s %s\n", "PROVIDER", "ENABLED", "KIND", "ABI",
               "MODELS", "KEY VARIABLE", "ORIGIN");
        for (i = 0; i < llmt_registry_count(reg); i++) {
            llmt_provider_entry *e = llmt_registry_at(reg, i);
            char abi[16];
            snprintf(abi, sizeof abi, "%u.%u", e->ops->abi_version >> 16, e->ops->abi_version & 0xffffu);
            printf("%-12s %-8s %-6s %-5s %-8zu %-24s %s\n", e->config->name,
                   e->config->enabled ? "yes" : "no", kind_of(e), abi, e->config->n_models,
                   e->config->env_key[0] ? e->config->env_key : "(none)", e->origin);
        }
        print_refused(ctx, llmt_manager_refused_plugins(mgr));
    }
    cli_print_diags(ctx, llmt_manager_diags(mgr), false);
    llmt_manager_free(mgr);
    return CLI_EXIT_OK;
}

int cmd_models(cli_ctx *ctx, int argc, char **argv)
{
    bool as_json = false;
    const cli_option opts[] = {
        {"json", 0, OPT_FLAG, NULL, "machine-readable output", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_provider_entry *e;
    size_t i;
    int npos, rc = cli_parse(ctx, cli_find_command("models"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos < 2 || strcmp(argv[0], "list") != 0) {
        cli_error("models: expected 'list PROVIDER' (see: llm-tester models --help)");
        return CLI_EXIT_USAGE;
    }
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        return rc;
    e = llmt_registry_find(llmt_manager_registry(mgr), argv[1]);
    if (!e) {
        cli_error("models: unknown provider '%s' (see: llm-tester providers list)", argv[1]);
        llmt_manager_free(mgr);
        return CLI_EXIT_USAGE;
    }
    if (as_json) {
        json_t *arr = json_array();
        for (i = 0; i < e->config->n_models; i++) {
            const llmt_model_config *m = &e->config->models[i];
            json_t *o = json_pack("{s:s, s:b, s:b, s:b, s:s, s:I, s:I}", "name", m->name,
                                  "default", m->is_default, "preferred", m->preferred, "enabled",
                                  m->enabled, "cost_category", m->cost_category,
                                  "max_input_tokens", (json_int_t)m->info.max_input_tokens,
                                  "max_output_tokens", (json_int_t)m->info.max_output_tokens);
            json_object_set_new(o, "cost_input", m->has_cost ? json_real(m->cost_input) : json_null());
            json_object_set_new(o, "cost_output", m->has_cost ? json_real(m->cost_output) : json_null());
            json_array_append_new(arr, o);
        }
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
    } else {
        printf("%-36s %-7s %-7s %-9s %10s %10s %-10s %10s %10s\n", "MODEL", "DEFAULT", "ENABLED",
               "PREFERRED", "IN $/1M", "OUT $/1M", "CATEGORY", "MAX IN", "MAX OUT");
        for (i = 0; i < e->config->n_models; i++) {
            const llmt_model_config *m = &e->config->models[i];
            char in[16] = "unknown", out[16] = "unknown";
            if (m->has_cost) {
                snprintf(in, sizeof in, "%.4f", m->cost_input);
                snprintf(out, sizeof out, "%.4f", m->cost_output);
            }
            printf("%-36s %-7s %-7s %-9s %10s %10s %-10s %10ld %10ld\n", m->name,
                   m->is_default ? "yes" : "", m->enabled ? "yes" : "no",
                   m->preferred ? "yes" : "", in, out, m->cost_category,
                   m->info.max_input_tokens, m->info.max_output_tokens);
        }
    }
    llmt_manager_free(mgr);
    return CLI_EXIT_OK;
}
