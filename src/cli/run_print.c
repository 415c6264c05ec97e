#include "cli/run_print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/common.h"

void cli_run_print_estimate(const llmt_run_estimate *e, const char *const *models, size_t n)
{
    size_t i, calls = 0, w = 5;
    double lo = 0, hi = 0;
    bool unknown = false, batch = false;
    for (i = 0; i < n; i++)
        w = cli_column_width(w, models[i], (size_t)-1);
    printf("Dry run: nothing was sent.\n\n");
    cli_put_cell(stdout, "MODEL", w);
    printf(" %8s %14s %26s\n", "CALLS", "INPUT TOKENS", "ESTIMATED COST (USD)");
    for (i = 0; i < n; i++) {
        char range[64];
        if (e[i].cost_known)
            snprintf(range, sizeof range, "$%.6f - $%.6f", e[i].min_usd, e[i].max_usd);
        else
            snprintf(range, sizeof range, "unknown (no price)");
        cli_put_cell(stdout, models[i], w);
        printf(" %8zu %14ld %26s%s\n", e[i].calls, e[i].input_tokens, range,
               e[i].batch ? "  batch" : "");
        batch |= e[i].batch;
        calls += e[i].calls;
        lo += e[i].min_usd;
        hi += e[i].max_usd;
        unknown |= !e[i].cost_known;
    }
    printf("\nTotal: %zu calls, $%.6f - $%.6f%s (without retries and fallbacks; the upper bound "
           "assumes every answer uses the whole output bound its request states)\n",
           calls, lo, hi, unknown ? " plus models without a price" : "");
    if (batch)
        printf("Models marked batch are priced at their provider's batch rate (run --batch); "
               "the others run interactively at the usual rate.\n");
}

void cli_run_print_errors(const llmt_run_result *r)
{
    size_t i;
    if (!r->summary.n_errors)
        return;
    fprintf(stderr, "Errors by provider and class:\n");
    for (i = 0; i < r->summary.n_errors; i++) {
        const llmt_error_group *g = &r->summary.errors[i];
        /* a replay's miss says how to record it: that part must not be cut off */
        int cut = strcmp(g->error_class, "not_recorded") == 0 ? 1000 : 160;
        fprintf(stderr, "  %-12s %-16s %6zu  e.g. %.*s\n", g->provider[0] ? g->provider : "-",
                g->error_class, g->count, cut, g->example ? g->example : "");
    }
}
