#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The one piece of global state the signal handler may touch (a signal handler has no
 * context pointer). First Ctrl-C: the engine stops dispatching and finishes up. Second:
 * exit at once; results.jsonl is flushed line by line, so it stays valid. */
static volatile sig_atomic_t run_interrupts;

enum { CLI_EXIT_INTERRUPTED = 130 }; /* 128 + SIGINT, also after SIGTERM */

static void on_signal(int sig)
{
    (void)sig;
    if (run_interrupts)
        _exit(130);
    run_interrupts = 1;
}

static void install_signals(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

typedef struct progress_ui {
    bool on;
    bool shown;
} progress_ui;

static void show_progress(void *ud, const llmt_run_progress *p)
{
    progress_ui *ui = ud;
    char line[200];
    if (!ui->on)
        return;
    llmt_progress_format(p, line, sizeof line);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    ui->shown = true;
}

static void print_error_summary(const llmt_run_result *r)
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

/* --provider-limit NAME:concurrency=N,rpm=N,tpm=N (0 = unlimited): replaces fields of a
 * provider's configured rate_limit for this run (a higher account tier, a local server). */
static int apply_provider_limits(llmt_manager *mgr, const cli_strings *limits)
{
    size_t i;
    for (i = 0; i < limits->n; i++) {
        const char *v = limits->v[i], *colon = strchr(v, ':'), *p;
        llmt_provider_entry *e;
        char name[64];
        if (!colon || colon == v || (size_t)(colon - v) >= sizeof name) {
            cli_error("run: --provider-limit expects NAME:concurrency=N,rpm=N,tpm=N, got '%s'", v);
            return CLI_EXIT_USAGE;
        }
        snprintf(name, sizeof name, "%.*s", (int)(colon - v), v);
        e = llmt_registry_find(llmt_manager_registry(mgr), name);
        if (!e) {
            cli_error("run: --provider-limit: unknown provider '%s'", name);
            return CLI_EXIT_USAGE;
        }
        for (p = colon + 1; *p;) {
            const char *eq = strchr(p, '='), *end;
            char *num_end;
            long n;
            size_t klen;
            if (!eq) {
                cli_error("run: --provider-limit %s: expected key=value at '%s'", name, p);
                return CLI_EXIT_USAGE;
            }
            klen = (size_t)(eq - p);
            n = strtol(eq + 1, &num_end, 10);
            end = num_end;
            if (num_end == eq + 1 || n < 0 || (*end && *end != ',')) {
                cli_error("run: --provider-limit %s: '%.*s' needs a whole number >= 0", name, (int)klen, p);
                return CLI_EXIT_USAGE;
            }
            if (klen == 11 && strncmp(p, "concurrency", 11) == 0)
                e->config->rate_limit.concurrency = n;
            else if (klen == 3 && strncmp(p, "rpm", 3) == 0)
                e->config->rate_limit.rpm = n;
            else if (klen == 3 && strncmp(p, "tpm", 3) == 0)
                e->config->rate_limit.tpm = n;
            else {
                cli_error("run: --provider-limit %s: unknown limit '%.*s' (concurrency, rpm, tpm)", name,
                          (int)klen, p);
                return CLI_EXIT_USAGE;
            }
            p = *end ? end + 1 : end;
        }
    }
    return 0;
}

static void print_estimate(const llmt_run_estimate *e, const char *const *models, size_t n)
{
    size_t i, calls = 0;
    double lo = 0, hi = 0;
    bool unknown = false;
    printf("Dry run: nothing was sent.\n\n%-28s %8s %14s %26s\n", "MODEL", "CALLS", "INPUT TOKENS",
           "ESTIMATED COST (USD)");
    for (i = 0; i < n; i++) {
        char range[64];
        if (e[i].cost_known)
            snprintf(range, sizeof range, "$%.6f - $%.6f", e[i].min_usd, e[i].max_usd);
        else
            snprintf(range, sizeof range, "unknown (no price)");
        printf("%-28.28s %8zu %14ld %26s\n", models[i], e[i].calls, e[i].input_tokens, range);
        calls += e[i].calls;
        lo += e[i].min_usd;
        hi += e[i].max_usd;
        unknown |= !e[i].cost_known;
    }
    printf("\nTotal: %zu calls, $%.6f - $%.6f%s (without retries and fallbacks; the upper bound "
           "assumes every answer uses its whole output limit)\n",
           calls, lo, hi, unknown ? " plus models without a price" : "");
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
    if (llmt_summary_max_repeats(&r->summary) > 1) {
        llmt_case_stats *cs = NULL;
        size_t n = 0;
        if (llmt_summary_case_stats(&r->summary, &cs, &n) && n <= max_rows) {
            printf("%-22s %-22s %-18s %4s %8s %7s %7s %7s %9s %8s\n", "TASK", "CASE", "MODEL", "RUNS",
                   "ACC MEAN", "STDDEV", "MIN", "MAX", "LAT MEAN", "STDDEV");
            for (i = 0; i < n; i++) {
                const llmt_case_stats *c = &cs[i];
                const llmt_task *t = &ts->tasks[c->task];
                printf("%-22.22s %-22.22s %-18.18s %4zu %7.2f%% %7.2f %7.2f %7.2f %7.0fms %6.0fms\n",
                       t->name, t->cases[c->kase].name, models[c->model], c->n, c->acc_mean,
                       c->acc_stddev, c->acc_min, c->acc_max, c->lat_mean, c->lat_stddev);
            }
            putchar('\n');
        }
        free(cs);
    }
    printf("%-24s %6s %6s %6s %6s %9s %8s %10s %12s %10s\n", "MODEL", "CASES", "ERRORS", "VALID",
           "1ST-OK", "ACCURACY", "STDDEV", "TOKENS", "COST", "LATENCY");
    for (i = 0; i < r->summary.n_models; i++) {
        const llmt_model_summary *m = &r->summary.models[i];
        printf("%-24.24s %6zu %6zu %5.0f%% %5.0f%% %8.2f%% %8.2f %10ld %s$%.6f %8.0fms\n", m->model_ref,
               m->results, m->errors,
               m->results ? 100.0 * (double)m->valid / (double)m->results : 0.0,
               m->results ? 100.0 * (double)m->first_attempt_valid / (double)m->results : 0.0,
               llmt_summary_mean(m->acc_sum, m->results),
               llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->results),
               m->input_tokens + m->output_tokens, m->cost_unknown ? ">=" : "  ", m->cost_usd,
               llmt_summary_mean(m->latency_sum, m->results));
    }
    printf("\nTotal cost: $%.6f\n", r->summary.total_cost);
}

/* Which models run for which task, from the project config's "tasks": a task with
 * "enabled": false runs none, one with "models" runs those, any other runs the project's
 * default models (the first n_default of `models`). Used only without --models. */
static unsigned char *task_model_mask(const llmt_taskset *ts, const json_t *settings,
                                      size_t n_default, const char *const *models, size_t n)
{
    unsigned char *mask = calloc(ts->n_tasks * n + 1, 1);
    size_t ti, mi, j;
    if (!mask)
        return NULL;
    for (ti = 0; ti < ts->n_tasks; ti++) {
        json_t *entry = json_object_get(settings, ts->tasks[ti].name);
        json_t *list = json_object_get(entry, "models"), *m;
        if (json_is_false(json_object_get(entry, "enabled")))
            continue;
        if (json_is_array(list)) {
            json_array_foreach(list, j, m)
                for (mi = 0; mi < n; mi++)
                    if (json_is_string(m) && strcmp(models[mi], json_string_value(m)) == 0)
                        mask[ti * n + mi] = 1;
        } else {
            for (mi = 0; mi < n_default && mi < n; mi++)
                mask[ti * n + mi] = 1;
        }
    }
    return mask;
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
    bool from_project;
    const char *tasks_dir = NULL, *filter = NULL, *output = NULL, *mock_rules = NULL;
    const char *shard = NULL;
    bool models_from_cli = false;
    unsigned char *task_mask = NULL;
    size_t diags_shown = 0;
    const char *list_mode = NULL, *resume = NULL, *history = NULL, *label = NULL;
    const char *cache_mode_text = NULL, *cache_db = NULL;
    llmt_cache *cache = NULL;
    bool no_history = false, follow_symlinks = false;
    cli_strings models = {0}, formats = {0}, fallbacks = {0}, provider_limits = {0}, weights = {0};
    long repeat = 1, concurrency = 8, max_retries = 3;
    double timeout_s = 0, connect_timeout_s = 0, retry_max_time_s = 0, budget = -1;
    bool budget_seen = false, dry_run = false, conc_seen = false, retries_seen = false;
    double tolerance = 0, threshold = 80, min_accuracy = -1;
    bool tol_seen = false, thr_seen = false, repeat_seen = false;
    cli_project_defaults pd;
    const cli_option opts[] = {
        {"tasks", 't', OPT_STRING, "DIR", "folder of task folders, or one task folder", &tasks_dir, NULL},
        {"models", 'm', OPT_STRINGS, "P:M", "model to run, as provider:model (comma-separated ok)", &models, NULL},
        {"filter", 'f', OPT_STRING, "TEXT", "only cases whose \"task/case\" contains TEXT", &filter, NULL},
        {"shard", 0, OPT_STRING, "K/N", "run only shard K of N (cases dealt round-robin; join with 'merge')", &shard, NULL},
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
        {"concurrency", 'j', OPT_LONG, "N", "requests in flight at once, all providers (default 8)", &concurrency, &conc_seen},
        {"timeout", 0, OPT_DOUBLE, "SECONDS", "total time allowed per request (default 120)", &timeout_s, NULL},
        {"connect-timeout", 0, OPT_DOUBLE, "SECONDS", "time allowed to connect (default 10)", &connect_timeout_s, NULL},
        {"max-retries", 0, OPT_LONG, "N", "retries of retryable failures per case, fallbacks included (default 3; 0 = none)", &max_retries, &retries_seen},
        {"retry-max-time", 0, OPT_DOUBLE, "SECONDS", "no new attempt for a case after this long (default 300)", &retry_max_time_s, NULL},
        {"fallback", 0, OPT_STRINGS, "P:M", "model to try when a model fails (repeatable; after config fallbacks)", &fallbacks, NULL},
        {"budget", 0, OPT_DOUBLE, "USD", "never start a request that could take the spend past USD", &budget, &budget_seen},
        {"dry-run", 0, OPT_FLAG, NULL, "print the calls and their estimated cost per model; send nothing", &dry_run, NULL},
        {"resume", 0, OPT_STRING, "DIR", "continue the run in DIR: send only what its results.jsonl lacks", &resume, NULL},
        {"follow-symlinks", 0, OPT_FLAG, NULL, "read case files through symbolic links that lead outside the tasks folder (refused by default)", &follow_symlinks, NULL},
        {"provider-limit", 0, OPT_STRINGS, "P:K=N,..", "override a provider's rate_limit: concurrency, rpm, tpm (0 = none)", &provider_limits, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_taskset ts;
    llmt_diags diags = {0};
    llmt_run_options ro;
    llmt_run_result rr;
    llmt_score_options so;
    llmt_error err;
    char **model_list = NULL, **fallback_list = NULL;
    size_t n_models = 0, n_fallbacks = 0, i;
    llmt_run_estimate *estimate = NULL;
    struct sigaction old_int, old_term;
    bool signals_installed = false;
    progress_ui ui = {false, false};
    unsigned fmt = 0;
    int npos, rc;
    memset(&ts, 0, sizeof ts);
    memset(&rr, 0, sizeof rr);
    memset(&pd, 0, sizeof pd);
    llmt_run_options_init(&ro);
    llmt_score_options_init(&so);
    rc = cli_parse(ctx, self(), opts, argc, argv, &npos);
    if (rc)
        goto done;
    /* the project config's defaults fill what the command line left out */
    rc = cli_project_defaults_load(ctx, &pd);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    from_project = !tasks_dir;
    if (!tasks_dir)
        tasks_dir = pd.tasks_dir;
    if (!output)
        output = pd.output_dir;
    if (!repeat_seen && pd.repeat > 0)
        repeat = pd.repeat;
    if (!conc_seen && pd.concurrency > 0)
        concurrency = pd.concurrency;
    if (!retries_seen && pd.max_retries >= 0)
        max_retries = pd.max_retries;
    if (timeout_s == 0 && pd.timeout_ms > 0)
        timeout_s = (double)pd.timeout_ms / 1000.0;
    if (connect_timeout_s == 0 && pd.connect_timeout_ms > 0)
        connect_timeout_s = (double)pd.connect_timeout_ms / 1000.0;
    if (!budget_seen && pd.budget_usd >= 0) {
        budget = pd.budget_usd;
        budget_seen = true;
    }
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
    models_from_cli = models.n > 0;
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
    if (concurrency < 1 || concurrency > 10000) {
        cli_error("run: --concurrency must be between 1 and 10000, got %ld", concurrency);
        goto done;
    }
    if (max_retries < 0 || max_retries > 100) {
        cli_error("run: --max-retries must be between 0 and 100, got %ld", max_retries);
        goto done;
    }
    if (timeout_s < 0 || connect_timeout_s < 0 || retry_max_time_s < 0) {
        cli_error("run: --timeout, --connect-timeout and --retry-max-time must be >= 0 seconds");
        goto done;
    }
    if (budget_seen && !(budget >= 0)) {
        cli_error("run: --budget must be a number of USD >= 0");
        goto done;
    }
    if (cli_split_list(&fallbacks, &fallback_list, &n_fallbacks) != 0)
        goto done;
    for (i = 0; i < n_fallbacks; i++) {
        if (!strchr(fallback_list[i], ':')) {
            cli_error("run: --fallback expects provider:model, got '%s'", fallback_list[i]);
            goto done;
        }
    }
    if (resume && output && strcmp(resume, output) != 0) {
        cli_error("run: --resume %s writes to that folder; drop --output %s or make it the same", resume, output);
        goto done;
    }
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
    if (apply_provider_limits(mgr, &provider_limits) != 0)
        goto done;
    if (llmt_run_check_models(mgr, (const char *const *)model_list, n_models, &err) != LLMT_OK ||
        llmt_run_check_models(mgr, (const char *const *)fallback_list, n_fallbacks, &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (llmt_tasks_discover_links(tasks_dir, follow_symlinks, &ts, &diags, &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    /* tasks kept elsewhere (tasks.<name>.path) belong to the project's tasks, not to a
     * folder given with --tasks */
    if (from_project)
        cli_project_add_task_paths(&pd, &ts, &diags);
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
    if (!models_from_cli && pd.task_settings) {
        task_mask = task_model_mask(&ts, pd.task_settings, pd.n_default_models,
                                    (const char *const *)model_list, n_models);
        if (!task_mask)
            goto done;
        ro.task_model_mask = task_mask;
    }
    ro.filter = filter;
    if (shard && !llmt_shard_parse(shard, &ro.shard_k, &ro.shard_n)) {
        cli_error("run: --shard must be K/N with 1 <= K <= N, got '%s'", shard);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    ro.output_dir = output;
    ro.formats = fmt;
    ro.repeat = (int)repeat;
    ro.scoring_override = &so;
    ro.concurrency = concurrency;
    ro.timeout_ms = (long)(timeout_s * 1000.0);
    ro.connect_timeout_ms = (long)(connect_timeout_s * 1000.0);
    ro.max_retries = (int)max_retries;
    ro.retry_max_time_ms = retry_max_time_s * 1000.0;
    ro.fallbacks = (const char *const *)fallback_list;
    ro.n_fallbacks = n_fallbacks;
    ro.budget_usd = budget_seen ? budget : -1;
    ro.resume_dir = resume;
    if (dry_run) {
        if (llmt_run_estimate_cost(mgr, &ro, &estimate, &diags, &err) != LLMT_OK) {
            cli_error("run: %s", err.message);
            rc = cli_exit_for(err.status);
            goto done;
        }
        print_estimate(estimate, (const char *const *)model_list, n_models);
        rc = CLI_EXIT_OK;
        goto done;
    }
    ui.on = !ctx->common.quiet && isatty(STDERR_FILENO);
    ro.progress = show_progress;
    ro.progress_ud = &ui;
    run_interrupts = 0;
    ro.interrupted = &run_interrupts;
    install_signals(&old_int, &old_term);
    signals_installed = true;
    diags_shown = diags.count;
    if (llmt_run_execute(mgr, &ro, &rr, &diags, &err) != LLMT_OK) {
        if (ui.shown)
            fputs("\r\033[K", stderr);
        cli_error("run: %s", err.message);
        rc = cli_exit_for(err.status);
        goto done;
    }
    if (ui.shown)
        fputs("\r\033[K", stderr);
    {
        /* what the run itself found (e.g. unsupported schema keywords): always shown */
        llmt_diags fresh = diags;
        fresh.items += diags_shown;
        fresh.count -= diags_shown;
        cli_print_diags(ctx, &fresh, true);
    }
    print_error_summary(&rr);
    if (rr.interrupted) {
        cli_warn("run: interrupted: %zu result(s) finished and written, %zu not finished%s%s",
                 rr.summary.n_rows - rr.resumed, rr.planned - (rr.summary.n_rows - rr.resumed),
                 rr.output_dir ? "; continue with --resume " : "", rr.output_dir ? rr.output_dir : "");
    }
    if (rr.summary.n_rows == 0 && rr.interrupted) {
        rc = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (rr.summary.n_rows == 0) {
        cli_error("run: no case matched%s%s", filter ? " --filter " : "", filter ? filter : "");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (resume && rr.planned == 0)
        printf("Nothing left to run in %s; the reports were rewritten.\n\n", resume);
    print_table(ctx, &rr, &ts, (const char *const *)model_list);
    if (!no_history)
        record_history(history, label, &rr);
    if (rr.output_dir)
        printf("Results written to %s/\n", rr.output_dir);
    rc = CLI_EXIT_OK;
    for (i = 0; i < rr.summary.n_models; i++) {
        const llmt_model_summary *m = &rr.summary.models[i];
        /* a model no task ran (its tasks are elsewhere or disabled) made no call */
        if (m->results > 0 && m->errors == m->results) {
            cli_error("run: every call to %s failed", m->model_ref);
            rc = CLI_EXIT_PROVIDER;
        }
    }
    {
        /* a case whose files cannot be read or parsed is the user's input to fix, not a
         * provider failure: exit 2, as for any other bad input */
        size_t input_errors = 0;
        for (i = 0; i < rr.summary.n_errors; i++) {
            llmt_status cls;
            if (llmt_status_from_name(rr.summary.errors[i].error_class, &cls) &&
                (cls == LLMT_E_PARSE || cls == LLMT_E_IO))
                input_errors += rr.summary.errors[i].count;
        }
        if (input_errors) {
            cli_error("run: %zu result(s) failed on unreadable case files (named above); nothing "
                      "was sent for them",
                      input_errors);
            rc = CLI_EXIT_USAGE;
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
    if (rr.interrupted)
        rc = CLI_EXIT_INTERRUPTED; /* what a shell expects after Ctrl-C, results written */
done:
    if (signals_installed) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    free(estimate);
    free(fallback_list);
    cli_strings_free(&fallbacks);
    cli_strings_free(&provider_limits);
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
    free(task_mask);
    cli_strings_free(&models);
    cli_strings_free(&formats);
    cli_strings_free(&weights);
    llmt_score_options_free(&so);
    return rc < 0 ? 0 : rc;
}
