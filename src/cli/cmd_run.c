#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cfgedit.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "provider/manager_internal.h"
#include "run/runner.h"
#include "store/cache.h"
#include "store/history.h"

static const cli_command *self(void)
{
    return cli_find_command("run");
}

static void print_table(const cli_ctx *ctx, const llmt_run_result *r, const llmt_taskset *ts,
                        const char *const *models)
{
    size_t i;
    const size_t max_rows = 200;
    (void)ctx;
    if (r->summary.n_rows <= max_rows) {
        printf("%-22s %-28s %-18s %9s %6s %8s %11s %9s\n", "TASK", "CASE", "MODEL", "ACCURACY",
               "VALID", "TOKENS", "COST", "LATENCY");
        for (i = 0; i < r->summary.n_rows; i++) {
            const llmt_result_row *row = &r->summary.rows[i];
            const llmt_task *t = &ts->tasks[row->task];
            char cost[32];
            if (row->cost_known)
                snprintf(cost, sizeof cost, "$%.6f", row->cost_usd);
            else
                snprintf(cost, sizeof cost, "unknown");
            printf("%-22.22s %-28.28s %-18.18s %8.2f%% %6s %8ld %11s %7.0fms%s%s\n", t->name,
                   t->cases[row->kase].name, models[row->model], row->accuracy,
                   row->valid ? "yes" : "no", row->tokens, cost, row->latency_ms,
                   row->failed ? "  error: " : "", row->failed ? row->error_class : "");
        }
        putchar('\n');
    } else {
        printf("(%zu results; per-result rows are in the output files)\n\n", r->summary.n_rows);
    }
    printf("%-24s %6s %6s %6s %9s %8s %10s %12s %10s\n", "MODEL", "CASES", "ERRORS", "VALID",
           "ACCURACY", "STDDEV", "TOKENS", "COST", "LATENCY");
    for (i = 0; i < r->summary.n_models; i++) {
        const llmt_model_summary *m = &r->summary.models[i];
        printf("%-24.24s %6zu %6zu %5.0f%% %8.2f%% %8.2f %10ld %s$%.6f %8.0fms\n", m->model_ref,
               m->results, m->errors,
               m->results ? 100.0 * (double)m->valid / (double)m->results : 0.0,
               llmt_summary_mean(m->acc_sum, m->results),
               llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->results),
               m->input_tokens + m->output_tokens, m->cost_unknown ? ">=" : "  ", m->cost_usd,
               llmt_summary_mean(m->latency_sum, m->results));
    }
    printf("\nTotal cost: $%.6f\n", r->summary.total_cost);
}

/* Records the run in the history database; a failure there is a warning, never a lost run. */
static void record_history(const char *path_opt, const char *label, const llmt_run_result *rr)
{
    llmt_history *h = NULL;
    llmt_error err;
    char *path = cli_history_path(path_opt);
    char *jsonl = rr->output_dir ? llmt_path_join(rr->output_dir, "results.jsonl") : NULL;
    if (llmt_history_open(&h, path, &err) != LLMT_OK ||
        llmt_history_record(h, &rr->meta, label, &rr->summary, jsonl, &err) != LLMT_OK)
        cli_warn("run not recorded in the history: %s", err.message);
    llmt_history_close(h);
    free(jsonl);
    free(path);
}

int cmd_run(cli_ctx *ctx, int argc, char **argv)
{
    const char *tasks_dir = NULL, *filter = NULL, *output = NULL, *mock_rules = NULL;
    const char *list_mode = NULL, *history = NULL, *label = NULL;
    const char *cache_mode_text = NULL, *cache_db = NULL;
    llmt_cache *cache = NULL;
    bool no_history = false;
    cli_strings models = {0}, formats = {0}, weights = {0};
    long repeat = 1;
    double tolerance = 0, threshold = 80, min_accuracy = -1;
    bool tol_seen = false, thr_seen = false, repeat_seen = false;
    cli_project_defaults pd;
    const cli_option opts[] = {
        {"tasks", 't', OPT_STRING, "DIR", "folder of task folders, or one task folder", &tasks_dir, NULL},
        {"models", 'm', OPT_STRINGS, "P:M", "model to run, as provider:model (comma-separated ok)", &models, NULL},
        {"filter", 'f', OPT_STRING, "TEXT", "only cases whose \"task/case\" contains TEXT", &filter, NULL},
        {"output", 'o', OPT_STRING, "DIR", "write results.jsonl, results.json and reports here", &output, NULL},
        {"format", 0, OPT_STRINGS, "LIST", "reports: md,json,html,junit,csv (default: md,json)", &formats, NULL},
        {"repeat", 'n', OPT_LONG, "N", "run each case × model N times (default 1)", &repeat, &repeat_seen},
        {"mock-rules", 0, OPT_STRING, "FILE", "rules file for mock:rules", &mock_rules, NULL},
        {"list-mode", 0, OPT_STRING, "MODE", "ordered_exact | ordered_similarity | set_similarity", &list_mode, NULL},
        {"tolerance", 0, OPT_DOUBLE, "X", "relative tolerance for numbers (e.g. 0.05)", &tolerance, &tol_seen},
        {"threshold", 0, OPT_DOUBLE, "T", "fuzzy string threshold 0-100 (default 80)", &threshold, &thr_seen},
        {"weight", 0, OPT_STRINGS, "KEY=W", "weight of a field (name or JSON pointer), e.g. title=3", &weights, NULL},
        {"cache", 0, OPT_STRING, "MODE", "response cache: off, read, write, readwrite (default off)", &cache_mode_text, NULL},
        {"cache-db", 0, OPT_STRING, "FILE", "cache database (default .llm-tester/cache.db or $LLMT_CACHE_DB)", &cache_db, NULL},
        {"history", 0, OPT_STRING, "FILE", "record the run in this history database (default .llm-tester/history.db)", &history, NULL},
        {"no-history", 0, OPT_FLAG, NULL, "do not record the run in the history", &no_history, NULL},
        {"label", 0, OPT_STRING, "TEXT", "a label for this run in the history (e.g. a commit or prompt version)", &label, NULL},
        {"min-accuracy", 0, OPT_DOUBLE, "PCT", "exit 1 when a model's mean accuracy is below PCT", &min_accuracy, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_taskset ts;
    llmt_diags diags = {0};
    llmt_run_options ro;
    llmt_run_result rr;
    llmt_score_options so;
    llmt_error err;
    char **model_list = NULL;
    size_t n_models = 0, i;
    unsigned fmt = 0;
    int npos, rc;
    memset(&ts, 0, sizeof ts);
    memset(&rr, 0, sizeof rr);
    memset(&pd, 0, sizeof pd);
    llmt_score_options_init(&so);
    rc = cli_parse(ctx, self(), opts, argc, argv, &npos);
    if (rc)
        goto done;
    /* the project config's defaults fill what the command line left out */
    rc = cli_project_defaults_load(ctx, &pd);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    if (!tasks_dir)
        tasks_dir = pd.tasks_dir;
    if (!output)
        output = pd.output_dir;
    if (!repeat_seen && pd.repeat > 0)
        repeat = pd.repeat;
    if (!cache_mode_text)
        cache_mode_text = pd.cache_mode;
    if (!cache_db && !getenv("LLMT_CACHE_DB"))
        cache_db = pd.cache_path; /* command line > environment > project > default */
    if (!ctx->common.seed_text && pd.has_seed)
        ctx->common.seed_text = pd.seed_text;
    if (formats.n == 0 && pd.n_formats) {
        formats.v = malloc(pd.n_formats * sizeof(*formats.v));
        if (!formats.v)
            goto done;
        for (i = 0; i < pd.n_formats; i++)
            formats.v[formats.n++] = pd.formats[i]; /* borrowed from pd, freed with it */
    }
    if (models.n == 0 && pd.n_models) {
        models.v = pd.models;
        models.n = pd.n_models;
        pd.models = NULL; /* now freed with `models` (the strings below) */
    }
    if (npos > 0) {
        cli_error("run: unexpected argument '%s' (see: llm-tester run --help)", argv[0]);
        goto done;
    }
    if (!tasks_dir) {
        cli_error("run: --tasks DIR is required, or tasks_dir in llm-tester.json (see: llm-tester run --help)");
        goto done;
    }
    if (cli_split_list(&models, &model_list, &n_models) != 0 || n_models == 0) {
        cli_error("run: give at least one --models provider:model (see: llm-tester models list mock)");
        goto done;
    }
    if (cli_parse_formats(&formats, &fmt) != 0)
        goto done;
    if (repeat < 1 || repeat > 1000) {
        cli_error("run: --repeat must be between 1 and 1000, got %ld", repeat);
        goto done;
    }
    ro.scoring_override_mask = 0;
    for (i = 0; i < weights.n; i++) {
        if (llmt_score_options_parse_weight(&so, weights.v[i], &err) != LLMT_OK) {
            cli_error("run: %s", err.message);
            goto done;
        }
    }
    if (list_mode) {
        if (!llmt_list_mode_parse(list_mode, &so.list_mode)) {
            cli_error("run: --list-mode must be ordered_exact, ordered_similarity or set_similarity, got '%s'",
                      list_mode);
            goto done;
        }
        ro.scoring_override_mask |= LLMT_SCORE_SET_LIST_MODE;
    }
    if (tol_seen) {
        if (tolerance < 0) {
            cli_error("run: --tolerance must be >= 0");
            goto done;
        }
        so.tolerance = tolerance;
        ro.scoring_override_mask |= LLMT_SCORE_SET_TOLERANCE;
    }
    if (thr_seen) {
        if (threshold < 0 || threshold > 100) {
            cli_error("run: --threshold must be between 0 and 100");
            goto done;
        }
        so.threshold = threshold;
        ro.scoring_override_mask |= LLMT_SCORE_SET_THRESHOLD;
    }
    rc = cli_manager(ctx, &mgr, mock_rules);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    if (cache_mode_text) {
        llmt_cache_mode mode;
        char *path;
        if (!llmt_cache_mode_parse(cache_mode_text, &mode)) {
            cli_error("run: --cache must be off, read, write or readwrite, got '%s'", cache_mode_text);
            goto done;
        }
        path = cli_cache_path(cache_db);
        if (mode != LLMT_CACHE_OFF && llmt_cache_open(&cache, path, &err) != LLMT_OK) {
            cli_error("run: %s", err.message);
            free(path);
            goto done;
        }
        free(path);
        llmt_manager_set_cache(mgr, cache, mode);
    }
    if (llmt_run_check_models(mgr, (const char *const *)model_list, n_models, &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (llmt_tasks_discover(tasks_dir, &ts, &diags, &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    cli_print_diags(ctx, &diags, false);
    if (diags.errors) {
        cli_error("run: %zu problem(s) in the tasks under %s; fix them or run 'llm-tester list' to see them",
                  diags.errors, tasks_dir);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (ts.n_tasks == 0) {
        cli_error("run: no tasks found under %s (a task is a folder with schema.json and tests/)", tasks_dir);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    ro.tasks = &ts;
    ro.models = (const char *const *)model_list;
    ro.n_models = n_models;
    ro.filter = filter;
    ro.output_dir = output;
    ro.formats = fmt;
    ro.repeat = (int)repeat;
    ro.scoring_override = &so;
    if (llmt_run_execute(mgr, &ro, &rr, &diags, &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        rc = cli_exit_for(err.status);
        goto done;
    }
    if (rr.summary.n_rows == 0) {
        cli_error("run: no case matched%s%s", filter ? " --filter " : "", filter ? filter : "");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    print_table(ctx, &rr, &ts, (const char *const *)model_list);
    if (!no_history)
        record_history(history, label, &rr);
    if (rr.output_dir)
        printf("Results written to %s/\n", rr.output_dir);
    rc = CLI_EXIT_OK;
    for (i = 0; i < rr.summary.n_models; i++) {
        const llmt_model_summary *m = &rr.summary.models[i];
        if (m->errors == m->results) {
            cli_error("run: every call to %s failed", m->model_ref);
            rc = CLI_EXIT_PROVIDER;
        }
    }
    if (rc == CLI_EXIT_OK && min_accuracy >= 0) {
        for (i = 0; i < rr.summary.n_models; i++) {
            const llmt_model_summary *m = &rr.summary.models[i];
            double mean = llmt_summary_mean(m->acc_sum, m->results);
            if (mean < min_accuracy) {
                fprintf(stderr, "llm-tester: gate: %s mean accuracy %.2f%% is below --min-accuracy %.2f%%\n",
                        m->model_ref, mean, min_accuracy);
                rc = CLI_EXIT_GATE;
            }
        }
    }
done:
    llmt_run_result_free(&rr);
    llmt_taskset_free(&ts);
    llmt_diags_free(&diags);
    llmt_manager_free(mgr);
    llmt_cache_close(cache);
    free(model_list);
    if (pd.n_models && !pd.models) {
        llmt_free_strv(models.v, models.n);
        models.v = NULL;
        models.n = 0;
    }
    cli_project_defaults_free(&pd);
    cli_strings_free(&models);
    cli_strings_free(&formats);
    cli_strings_free(&weights);
    llmt_score_options_free(&so);
    return rc < 0 ? 0 : rc;
}
