#include <stdlib.h>
#include <string.h>

#include "cli/cfgedit.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "provider/catalog.h"
#include "provider/manager_info.h"

static void print_change(const llmt_cost_change *c)
{
    /* a catalog price of -1 (variable, e.g. a router) is unknown, never $0 */
    if (c->kind == LLMT_COST_ADDED && !c->has_cost) {
        printf("  added     %s:%s  price unknown  %s (disabled)\n", c->provider, c->model, c->category);
    } else if (c->kind == LLMT_COST_ADDED) {
        printf("  added     %s:%s  in %.4f out %.4f  %s (disabled)\n", c->provider, c->model,
               c->input, c->output, c->category);
    } else if (c->kind == LLMT_COST_UPDATED) {
        printf("  updated   %s:%s", c->provider, c->model);
        if (c->has_cost && c->has_old_cost)
            printf("  in %.4f -> %.4f  out %.4f -> %.4f", c->old_input, c->input, c->old_output,
                   c->output);
        else if (c->has_cost)
            printf("  in %.4f  out %.4f (was unknown)", c->input, c->output);
        else
            printf("  price unknown in the catalog (kept)");
        if (c->max_input_tokens)
            printf("  max in %ld", c->max_input_tokens);
        if (c->max_output_tokens)
            printf("  max out %ld", c->max_output_tokens);
        putchar('\n');
    }
}

int cmd_costs(cli_ctx *ctx, int argc, char **argv)
{
    cli_strings providers = {0};
    const char *from = NULL;
    bool dry_run = false;
    const cli_option opts[] = {
        {"provider", 'p', OPT_STRINGS, "NAME", "only these providers' models (comma-separated ok)", &providers, NULL},
        {"from", 0, OPT_STRING, "FILE", "read the catalog from FILE instead of fetching it", &from, NULL},
        {"dry-run", 'n', OPT_FLAG, NULL, "show what would change; write nothing", &dry_run, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_project *p = NULL;
    llmt_registry *reg;
    llmt_provider_entry *cat;
    llmt_catalog_entry *entries = NULL;
    llmt_cost_plan plan;
    llmt_diags d = {0};
    llmt_error err;
    char **names = NULL;
    size_t n_entries = 0, n_names = 0, i, written = 0;
    int npos, rc;
    memset(&plan, 0, sizeof plan);
    rc = cli_parse(ctx, cli_find_command("costs"), opts, argc, argv, &npos);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    if (npos != 1 || strcmp(argv[0], "update") != 0) {
        cli_error("costs: expected 'update' (see: llm-tester costs --help)");
        goto done;
    }
    if (cli_split_list(&providers, &names, &n_names) != 0)
        goto done;
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    reg = llmt_manager_registry(mgr);
    cat = llmt_catalog_provider(reg);
    if (!cat) {
        cli_error("costs update: no provider offers a model catalog");
        goto done;
    }
    rc = cli_open_project(ctx, &p);
    if (rc)
        goto done;
    if (llmt_catalog_fetch(mgr, cat, p->dir, from, llmt_manager_opts(mgr)->timeout_ms, &entries,
                           &n_entries, &err) != LLMT_OK) {
        cli_error("costs update: %s", err.message);
        rc = from ? CLI_EXIT_USAGE : cli_exit_for(err.status);
        goto done;
    }
    if (llmt_cost_plan_make(reg, cat, entries, n_entries, (const char *const *)names, n_names,
                            &plan, &err) != LLMT_OK) {
        cli_error("costs update: %s", err.message);
        rc = cli_exit_for(err.status);
        goto done;
    }
    printf("catalog of %s: %zu model(s)%s%s\n", cat->config->name, n_entries, from ? " from " : "",
           from ? from : "");
    for (i = 0; i < plan.n; i++)
        if (plan.changes[i].kind == LLMT_COST_UPDATED || ctx->common.verbose > 0)
            print_change(&plan.changes[i]);
    if (!dry_run && (plan.updated || plan.added)) {
        rc = cli_ensure_project_file(p);
        if (rc)
            goto done;
        if (llmt_cost_plan_apply(reg, &plan, p, &d, &written, &err) != LLMT_OK) {
            cli_print_diags(ctx, &d, false);
            cli_error("costs update: %s", err.message);
            rc = cli_exit_for(err.status);
            goto done;
        }
    }
    printf("%zu updated, %zu added, %zu unchanged%s", plan.updated, plan.added, plan.unchanged,
           plan.not_in_catalog ? "" : "\n");
    if (plan.not_in_catalog)
        printf(" (%zu of our models are not in the catalog)\n", plan.not_in_catalog);
    if (dry_run)
        printf("dry run: nothing written\n");
    else if (written)
        printf("wrote %zu override file(s) under %s/providers\n", written, p->dir);
    rc = CLI_EXIT_OK;
done:
    llmt_catalog_entries_free(entries, n_entries);
    llmt_cost_plan_free(&plan);
    llmt_diags_free(&d);
    llmt_project_free(p);
    llmt_manager_free(mgr);
    free(names);
    cli_strings_free(&providers);
    return rc < 0 ? 0 : rc;
}
