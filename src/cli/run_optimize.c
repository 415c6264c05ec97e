#include "cli/run_optimize.h"
#include "cli/common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run/optimize.h"

int cli_optimize_check(const cli_optimize_opts *o, llmt_manager *mgr, const char *output_dir)
{
    if (!o->on) {
        if (o->optimizer_model || o->save_optimized) {
            cli_error("run: --optimizer-model and --save-optimized go with --optimize");
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    if (!output_dir) {
        cli_error("run: --optimize needs an output folder: --output DIR (or output_dir in "
                  "llm-tester.json)");
        return CLI_EXIT_USAGE;
    }
    if (o->optimizer_model) {
        char *one[1], **resolved = NULL;
        int rc;
        if (!strchr(o->optimizer_model, ':')) {
            cli_error("run: --optimizer-model: expected provider:model, got '%s'", o->optimizer_model);
            return CLI_EXIT_USAGE;
        }
        one[0] = (char *)o->optimizer_model;
        /* the one check every model of a run gets: known, enabled, the provider's too */
        rc = cli_models_resolve(mgr, "run: --optimizer-model", one, 1, &resolved);
        llmt_free_strv(resolved, resolved ? 1 : 0);
        return rc ? CLI_EXIT_USAGE : 0;
    }
    return 0;
}

static void print_rows(const llmt_optimize_result *r)
{
    size_t i;
    printf("%-22s %-28s %-18s %9s %10s %8s\n", "TASK", "CASE", "MODEL", "ORIGINAL", "OPTIMIZED",
           "CHANGE");
    for (i = 0; i < r->n_rows; i++) {
        const llmt_optimize_row *w = &r->rows[i];
        if (isnan(w->optimized))
            printf("%-22s %-28s %-18s %8.2f%% %10s %8s\n", w->task, w->case_name, w->model_ref,
                   w->original, "-", "-");
        else
            printf("%-22s %-28s %-18s %8.2f%% %9.2f%% %+8.2f\n", w->task, w->case_name,
                   w->model_ref, w->original, w->optimized, w->optimized - w->original);
    }
}

int cli_optimize_after(cli_ctx *ctx, const cli_optimize_opts *o, llmt_manager *mgr,
                       const llmt_run_options *ro, const char *output_dir)
{
    llmt_optimize_options oo;
    llmt_optimize_result r;
    llmt_diags diags = {0};
    llmt_error err;
    llmt_status st;
    memset(&oo, 0, sizeof oo);
    oo.run = ro;
    oo.output_dir = output_dir;
    oo.optimizer_model = o->optimizer_model;
    oo.save_optimized = o->save_optimized;
    st = llmt_optimize_run(mgr, &oo, &r, &diags, &err);
    cli_print_diags(ctx, &diags, true);
    llmt_diags_free(&diags);
    if (st != LLMT_OK) {
        cli_error("run --optimize: %s", err.message);
        llmt_optimize_result_free(&r);
        return cli_exit_for(st);
    }
    if (r.n_cases == 0) {
        printf("\nPrompt optimization: every case scored 100 %% (or failed at the provider); "
               "nothing to optimize.\n");
    } else {
        printf("\nPrompt optimization: %zu case(s) below 100 %% re-run with amended prompts "
               "(optimizer: %s)\n",
               r.n_cases, o->optimizer_model ? o->optimizer_model : "rules");
        print_rows(&r);
        if (o->optimizer_model) {
            if (r.optimizer_cost_known)
                printf("Optimizer: %zu call(s), $%.6f\n", r.optimizer_calls, r.optimizer_cost_usd);
            else
                printf("Optimizer: %zu call(s), cost unknown\n", r.optimizer_calls);
        }
        printf("Re-run cost: $%.6f; optimization in all: $%.6f%s\n", r.rerun.summary.total_cost,
               r.rerun.summary.total_cost + r.optimizer_cost_usd,
               r.optimizer_cost_known ? "" : " and the optimizer's unknown cost");
        printf("Optimized prompts in %s/optimized_prompts/%s; re-run results in %s/optimized/; "
               "comparison in %s/optimize.json\n",
               output_dir, o->save_optimized ? " (and tests/prompts/optimized/ of each task)" : "",
               output_dir, output_dir);
    }
    llmt_optimize_result_free(&r);
    return 0;
}
