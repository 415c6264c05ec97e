#include "cli/run_table.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "llmt/error.h"
#include "run/report_stats.h"

#define MAX_ROWS 200

/* "12.34%", or "-" for a model without answers. */
static const char *pct_or_dash(char *buf, size_t n, bool has, double v)
{
    if (!has)
        return "-";
    snprintf(buf, n, "%.2f%%", v);
    return buf;
}

/* Column widths of the tables: model names are never shortened (two models that differ
 * only at the end must not look alike); task and case names up to a cap, then shortened
 * in the middle. Widths count columns on screen, so non-ASCII names stay aligned. */
typedef struct table_widths {
    size_t task, kase, model;
} table_widths;

enum { TASK_CAP = 32, CASE_CAP = 40 };

static table_widths widths_of(const llmt_summary *s, const llmt_taskset *ts)
{
    table_widths w = {4, 4, 8};
    size_t i;
    for (i = 0; i < s->n_rows; i++) {
        const llmt_result_row *row = &s->rows[i];
        w.task = cli_column_width(w.task, ts->tasks[row->task].name, TASK_CAP);
        w.kase = cli_column_width(w.kase, ts->tasks[row->task].cases[row->kase].name, CASE_CAP);
    }
    for (i = 0; i < s->n_models; i++)
        w.model = cli_column_width(w.model, s->models[i].model_ref, (size_t)-1);
    for (i = 0; i < s->n_fallbacks; i++)
        w.model = cli_column_width(w.model, s->fallbacks[i].model_ref, (size_t)-1);
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

static void print_row(const llmt_summary *s, const llmt_taskset *ts, const table_widths *w,
                      const llmt_result_row *row)
{
    const llmt_task *t = &ts->tasks[row->task];
    bool has_answer = row->answered || row->by_fallback;
    char cost[32], acc[16];
    if (row->cached && row->cost_known)
        snprintf(cost, sizeof cost, "cached");
    else if (row->cost_known)
        snprintf(cost, sizeof cost, "$%.6f", row->cost_usd);
    else
        snprintf(cost, sizeof cost, "unknown");
    put_names(w, t->name, t->cases[row->kase].name, s->models[row->model].model_ref);
    printf(" %9s %6s %8ld %11s %7.0fms  ", pct_or_dash(acc, sizeof acc, has_answer, row->accuracy),
           has_answer ? (row->valid ? "yes" : "no") : "-", row->tokens, cost, row->latency_ms);
    cli_put_cell(stdout, row->by_fallback ? s->fallbacks[row->answerer].model_ref : "-", 8);
    printf("%s%s\n", row->failed ? (row->skipped ? "  skipped: " : "  error: ") : "",
           row->failed ? row->error_class : "");
}

static void print_rows(const llmt_summary *s, const llmt_taskset *ts, const table_widths *w)
{
    size_t i, n = s->n_rows;
    const llmt_result_row **order = malloc((n ? n : 1) * sizeof(*order));
    if (!order) {
        cli_error("run: out of memory printing the results table (the output files have them)");
        return;
    }
    for (i = 0; i < n; i++)
        order[i] = &s->rows[i];
    /* in task, case, model, repeat order whatever order the answers came back in */
    qsort(order, n, sizeof(*order), llmt_result_row_cmp);
    put_names(w, "TASK", "CASE", "MODEL");
    printf(" %9s %6s %8s %11s %9s  %s\n", "ACCURACY", "VALID", "TOKENS", "COST", "LATENCY",
           "FALLBACK");
    for (i = 0; i < n; i++)
        print_row(s, ts, w, order[i]);
    putchar('\n');
    free(order);
}

static void print_repeat_stats(const llmt_summary *s, const llmt_taskset *ts, const table_widths *w)
{
    llmt_case_stats *cs = NULL;
    size_t n = 0, i;
    if (llmt_summary_case_stats(s, &cs, &n) && n <= MAX_ROWS) {
        put_names(w, "TASK", "CASE", "MODEL");
        printf(" %4s %8s %7s %7s %7s %9s %8s\n", "RUNS", "ACC MEAN", "STDDEV", "MIN", "MAX",
               "LAT MEAN", "STDDEV");
        for (i = 0; i < n; i++) {
            const llmt_case_stats *c = &cs[i];
            const llmt_task *t = &ts->tasks[c->task];
            put_names(w, t->name, t->cases[c->kase].name, s->models[c->model].model_ref);
            printf(" %4zu %7.2f%% %7.2f %7.2f %7.2f %7.0fms %6.0fms\n", c->n, c->acc_mean,
                   c->acc_stddev, c->acc_min, c->acc_max, c->lat_mean, c->lat_stddev);
        }
        putchar('\n');
    }
    free(cs);
}

static void print_fallbacks(const llmt_summary *s, const table_widths *w)
{
    size_t i;
    if (!s->n_fallbacks)
        return;
    printf("\nAnswered by fallbacks (counted above as errors of the model under test):\n");
    put_names(w, NULL, NULL, "FALLBACK");
    printf(" %6s %6s %9s %10s\n", "CASES", "VALID", "ACCURACY", "LATENCY");
    for (i = 0; i < s->n_fallbacks; i++) {
        const llmt_model_summary *m = &s->fallbacks[i];
        char acc[16];
        put_names(w, NULL, NULL, m->model_ref);
        printf(" %6zu %6zu %9s %8.0fms\n", m->results, m->valid,
               pct_or_dash(acc, sizeof acc, m->answered > 0, llmt_summary_mean(m->acc_sum, m->answered)),
               llmt_summary_mean(m->latency_sum, m->answered));
    }
}

static void print_models(const llmt_summary *s, const table_widths *w)
{
    size_t i;
    put_names(w, NULL, NULL, "MODEL");
    printf(" %6s %6s %7s %6s %6s %9s %8s %10s %12s %10s\n", "CASES", "ERRORS", "SKIPPED", "VALID",
           "1ST-OK", "ACCURACY", "STDDEV", "TOKENS", "COST", "LATENCY");
    for (i = 0; i < s->n_models; i++) {
        const llmt_model_summary *m = &s->models[i];
        bool has = m->answered > 0;
        char acc[16], sd[16], lat[16];
        snprintf(sd, sizeof sd, "%.2f", llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->answered));
        snprintf(lat, sizeof lat, "%.0fms", llmt_summary_mean(m->latency_sum, m->answered));
        put_names(w, NULL, NULL, m->model_ref);
        printf(" %6zu %6zu %7zu %5.0f%% %5.0f%% %9s %8s %10ld %s$%.6f %10s\n", m->results, m->errors,
               m->skipped, m->results ? 100.0 * (double)m->valid / (double)m->results : 0.0,
               m->results ? 100.0 * (double)m->first_attempt_valid / (double)m->results : 0.0,
               pct_or_dash(acc, sizeof acc, has, llmt_summary_mean(m->acc_sum, m->answered)),
               has ? sd : "-", m->input_tokens + m->output_tokens, m->cost_unknown ? ">=" : "  ",
               m->cost_usd, has ? lat : "-");
    }
    print_fallbacks(s, w);
}

/* Per model, the fields that lost points in most answers (from results.jsonl). */
static void print_most_lost(const char *output_dir)
{
    char *jsonl = output_dir ? llmt_path_join(output_dir, "results.jsonl") : NULL;
    llmt_report_stats rs;
    llmt_error err;
    llmt_report_stats_init(&rs);
    if (jsonl && llmt_report_stats_from_jsonl(&rs, jsonl, &err) == LLMT_OK && rs.n_fields) {
        putchar('\n');
        llmt_report_stats_print_most_lost(stdout, &rs, 3);
    }
    llmt_report_stats_free(&rs);
    free(jsonl);
}

/* What held each provider back: the limit in force and where it came from. */
static void print_limits(const llmt_run_result *r)
{
    size_t i;
    for (i = 0; i < r->n_limits; i++)
        printf("%s%s\n", i ? "        " : "Limits: ", r->limits[i]);
}

void cli_run_print_table(const llmt_run_result *r, const llmt_taskset *ts)
{
    const llmt_summary *s = &r->summary;
    table_widths w = widths_of(s, ts);
    if (s->n_rows <= MAX_ROWS)
        print_rows(s, ts, &w);
    else
        printf("(%zu results; per-result rows are in the output files)\n\n", s->n_rows);
    if (llmt_summary_max_repeats(s) > 1)
        print_repeat_stats(s, ts, &w);
    print_models(s, &w);
    print_most_lost(r->output_dir);
    if (s->total_saved > 0)
        printf("\nTotal cost: $%.6f paid by this run ($%.6f of cached answers not paid again)\n",
               s->total_cost, s->total_saved);
    else
        printf("\nTotal cost: $%.6f\n", s->total_cost);
    /* a budget holds back the estimate of each call; a provider may bill more */
    if (s->over_estimate_calls)
        printf("Usage over the estimates: %zu call%s reported more usage than estimated "
               "(input estimate + output bound), $%.6f more in all\n",
               s->over_estimate_calls, s->over_estimate_calls == 1 ? "" : "s",
               s->over_estimate_usd);
    print_limits(r);
}

/* Results that failed on the user's case files (unreadable, not JSON, not UTF-8): input
 * to fix, not a provider failure. */
static size_t input_errors(const llmt_summary *s)
{
    size_t i, n = 0;
    for (i = 0; i < s->n_errors; i++) {
        llmt_status cls;
        if (llmt_status_from_name(s->errors[i].error_class, &cls) &&
            (cls == LLMT_E_PARSE || cls == LLMT_E_IO))
            n += s->errors[i].count;
    }
    return n;
}

int cli_run_exit_status(const llmt_run_result *r, double min_accuracy)
{
    const llmt_summary *s = &r->summary;
    size_t i, errors = 0, skipped = 0, by_fallback = 0, bad_input = input_errors(s);
    int rc = CLI_EXIT_OK;
    for (i = 0; i < s->n_models; i++) {
        errors += s->models[i].errors;
        skipped += s->models[i].skipped;
        by_fallback += s->models[i].by_fallback;
    }
    if (bad_input) {
        cli_error("run: %zu result(s) failed on unreadable case files (named above); nothing "
                  "was sent for them",
                  bad_input);
        rc = CLI_EXIT_USAGE;
    } else if (errors + skipped) {
        cli_error("run: %zu result(s) without an answer from the model under test (%zu error(s), "
                  "%zu of them answered only by a fallback; %zu skipped by the budget)",
                  errors + skipped, errors, by_fallback, skipped);
        rc = CLI_EXIT_PROVIDER;
    }
    if (rc == CLI_EXIT_OK && min_accuracy >= 0) {
        for (i = 0; i < s->n_models; i++) {
            double mean;
            /* a model without answers has no mean: it failed above already */
            if (!llmt_summary_model_mean(&s->models[i], &mean) || mean >= min_accuracy)
                continue;
            fprintf(stderr, "llm-tester: gate: %s mean accuracy %.2f%% is below --min-accuracy %.2f%%\n",
                    s->models[i].model_ref, mean, min_accuracy);
            rc = CLI_EXIT_GATE;
        }
    }
    if (rc == CLI_EXIT_OK && r->cancelled > 0)
        rc = CLI_EXIT_PROVIDER; /* jobs left without a result (said by the caller) */
    if (r->interrupted)
        rc = CLI_EXIT_INTERRUPTED; /* what a shell expects after Ctrl-C, results written */
    return rc;
}

bool cli_has_results(const char *dir)
{
    char *path = llmt_path_join(dir, "results.jsonl");
    bool has = path && llmt_path_exists(path);
    free(path);
    return has;
}
