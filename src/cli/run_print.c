#include "cli/run_print.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/common.h"

void cli_run_print_estimate(const llmt_run_estimate *e, const char *const *models, size_t n)
{
    size_t i, calls = 0, w = 5;
    double lo = 0, hi = 0;
    bool unknown = false;
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
        printf(" %8zu %14ld %26s\n", e[i].calls, e[i].input_tokens, range);
        calls += e[i].calls;
        lo += e[i].min_usd;
        hi += e[i].max_usd;
        unknown |= !e[i].cost_known;
    }
    printf("\nTotal: %zu calls, $%.6f - $%.6f%s (without retries and fallbacks; the upper bound "
           "assumes every answer uses its whole output limit)\n",
           calls, lo, hi, unknown ? " plus models without a price" : "");
}

void cli_run_print_errors(const llmt_run_result *r)
{
    size_t i;
    if (!r->summary.n_errors)
        return;
    fprintf(stderr, "Errors by provider and class:\n");
    for (i = 0; i < r->summary.n_errors; i++) {
        const llmt_error_group *g = &r->summary.errors[i];
        fprintf(stderr, "  %-12s %-16s %6zu  e.g. %.160s\n", g->provider[0] ? g->provider : "-",
                g->error_class, g->count, g->example ? g->example : "");
    }
}

/* Column widths of the tables: model names are never shortened (two models that differ
 * only at the end must not look alike); task and case names up to a cap, then shortened
 * in the middle. Widths count columns on screen, so non-ASCII names stay aligned. */
typedef struct table_widths {
    size_t task, kase, model;
} table_widths;

enum { TASK_CAP = 32, CASE_CAP = 40 };

static table_widths widths_of(const llmt_run_result *r, const llmt_taskset *ts,
                              const char *const *models)
{
    table_widths w = {4, 4, 5};
    size_t i;
    for (i = 0; i < r->summary.n_rows; i++) {
        const llmt_result_row *row = &r->summary.rows[i];
        w.task = cli_column_width(w.task, ts->tasks[row->task].name, TASK_CAP);
        w.kase = cli_column_width(w.kase, ts->tasks[row->task].cases[row->kase].name, CASE_CAP);
        w.model = cli_column_width(w.model, models[row->model], (size_t)-1);
    }
    for (i = 0; i < r->summary.n_models; i++)
        w.model = cli_column_width(w.model, r->summary.models[i].model_ref, (size_t)-1);
    return w;
}

static void put_names(const table_widths *w, const char *task, const char *kase, const char *model)
{
    if (task) {
        cli_put_cell(stdout, task, w->task);
        putchar(' ');
        cli_put_cell(stdout, kase, w->kase);
        putchar(' ');
    }
    cli_put_cell(stdout, model, w->model);
}

static void print_rows(const llmt_run_result *r, const llmt_taskset *ts, const char *const *models,
                       const table_widths *w)
{
    size_t i, n = r->summary.n_rows;
    const llmt_result_row **order = malloc((n ? n : 1) * sizeof(*order));
    if (!order) {
        cli_error("run: out of memory printing the results table (the output files have them)");
        return;
    }
    for (i = 0; i < n; i++)
        order[i] = &r->summary.rows[i];
    /* in task, case, model, repeat order whatever order the answers came back in */
    qsort(order, n, sizeof(*order), llmt_result_row_cmp);
    put_names(w, "TASK", "CASE", "MODEL");
    printf(" %9s %6s %8s %11s %9s\n", "ACCURACY", "VALID", "TOKENS", "COST", "LATENCY");
    for (i = 0; i < n; i++) {
        const llmt_result_row *row = order[i];
        const llmt_task *t = &ts->tasks[row->task];
        char cost[32];
        if (row->cost_known)
            snprintf(cost, sizeof cost, "$%.6f", row->cost_usd);
        else
            snprintf(cost, sizeof cost, "unknown");
        put_names(w, t->name, t->cases[row->kase].name, models[row->model]);
        printf(" %8.2f%% %6s %8ld %11s %7.0fms%s%s\n", row->accuracy, row->valid ? "yes" : "no",
               row->tokens, cost, row->latency_ms, row->failed ? "  error: " : "",
               row->failed ? row->error_class : "");
    }
    putchar('\n');
    free(order);
}

static void print_case_stats(const llmt_run_result *r, const llmt_taskset *ts,
                             const char *const *models, const table_widths *w, size_t max_rows)
{
    llmt_case_stats *cs = NULL;
    size_t n = 0, i;
    if (llmt_summary_case_stats(&r->summary, &cs, &n) && n <= max_rows) {
        put_names(w, "TASK", "CASE", "MODEL");
        printf(" %4s %8s %7s %7s %7s %9s %8s\n", "RUNS", "ACC MEAN", "STDDEV", "MIN", "MAX",
               "LAT MEAN", "STDDEV");
        for (i = 0; i < n; i++) {
            const llmt_case_stats *c = &cs[i];
            const llmt_task *t = &ts->tasks[c->task];
            put_names(w, t->name, t->cases[c->kase].name, models[c->model]);
            printf(" %4zu %7.2f%% %7.2f %7.2f %7.2f %7.0fms %6.0fms\n", c->n, c->acc_mean,
                   c->acc_stddev, c->acc_min, c->acc_max, c->lat_mean, c->lat_stddev);
        }
        putchar('\n');
    }
    free(cs);
}

static void print_models(const llmt_run_result *r, const table_widths *w)
{
    size_t i;
    put_names(w, NULL, NULL, "MODEL");
    printf(" %6s %6s %6s %6s %9s %8s %10s %12s %10s\n", "CASES", "ERRORS", "VALID", "1ST-OK",
           "ACCURACY", "STDDEV", "TOKENS", "COST", "LATENCY");
    for (i = 0; i < r->summary.n_models; i++) {
        const llmt_model_summary *m = &r->summary.models[i];
        put_names(w, NULL, NULL, m->model_ref);
        printf(" %6zu %6zu %5.0f%% %5.0f%% %8.2f%% %8.2f %10ld %s$%.6f %8.0fms\n", m->results,
               m->errors, m->results ? 100.0 * (double)m->valid / (double)m->results : 0.0,
               m->results ? 100.0 * (double)m->first_attempt_valid / (double)m->results : 0.0,
               llmt_summary_mean(m->acc_sum, m->results),
               llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->results),
               m->input_tokens + m->output_tokens, m->cost_unknown ? ">=" : "  ", m->cost_usd,
               llmt_summary_mean(m->latency_sum, m->results));
    }
}

void cli_run_print_table(const llmt_run_result *r, const llmt_taskset *ts, const char *const *models)
{
    const size_t max_rows = 200;
    table_widths w = widths_of(r, ts, models);
    if (r->summary.n_rows <= max_rows)
        print_rows(r, ts, models, &w);
    else
        printf("(%zu results; per-result rows are in the output files)\n\n", r->summary.n_rows);
    if (llmt_summary_max_repeats(&r->summary) > 1)
        print_case_stats(r, ts, models, &w, max_rows);
    print_models(r, &w);
    printf("\nTotal cost: $%.6f\n", r->summary.total_cost);
}

