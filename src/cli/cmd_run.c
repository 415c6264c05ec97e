/* `run`: parse the command line, resolve the settings (command line > llm-tester.json >
 * the settings table's defaults), execute, report. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cfgedit.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/run_optimize.h"
#include "cli/run_table.h"
#include "cli/run_print.h"
#include "core/util.h"
#include "provider/manager_info.h"
#include "exec/batch.h"
#include "run/formats.h"
#include "run/runner.h"
#include "store/cache.h"
#include "store/cassette.h"
#include "store/history.h"

/* The one piece of global state the signal handler may touch (a signal handler has no
 * context pointer). First Ctrl-C: the engine stops dispatching and finishes up. Second:
 * exit at once; results.jsonl is flushed line by line, so it stays valid. */
static volatile sig_atomic_t run_interrupts;

static void on_signal(int sig)
{
    (void)sig;
    if (run_interrupts)
        _exit(CLI_EXIT_INTERRUPTED);
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
    bool quiet;
    char last[200];            /* the batch progress line shown last */
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

/* Batch states while polling: on a terminal one line redrawn, else a line per change. */
static void show_batch_progress(void *ud, const llmt_batch_progress *p)
{
    progress_ui *ui = ud;
    char line[200];
    snprintf(line, sizeof line, "batches: %zu of %zu ended; requests: %ld, %ld succeeded, %ld failed%s%s%s",
             p->ended, p->batches, p->total, p->succeeded, p->failed, p->last_state ? " (" : "",
             p->last_state ? p->last_state : "", p->last_state ? ")" : "");
    if (ui->on) {
        fprintf(stderr, "\r\033[K%s", line);
        ui->shown = true;
    } else if (!ui->quiet && strcmp(line, ui->last) != 0) {
        fprintf(stderr, "llm-tester: %s\n", line);
    }
    snprintf(ui->last, sizeof ui->last, "%s", line);
    fflush(stderr);
}

/* The command line as given. */
typedef struct run_args {
    const char *tasks_dir, *filter, *output, *mock_rules, *shard, *list_mode, *resume;
    const char *history, *label, *cache_mode, *cache_db;
    const char *record, *replay;            /* cassette folders */
    cli_strings models, formats, fallbacks, provider_limits, weights;
    long repeat, concurrency, max_retries;
    double timeout_s, connect_timeout_s, retry_max_time_s, budget, tolerance, threshold;
    double min_accuracy;
    bool repeat_seen, conc_seen, retries_seen, timeout_seen, connect_seen, retry_time_seen;
    bool budget_seen, tol_seen, thr_seen, min_accuracy_seen, dry_run, no_history, overwrite;
    bool follow_symlinks, batch;
    double batch_poll_s;
    double limit_share;
    bool share_seen;
    cli_optimize_opts optimize;
} run_args;

/* What the run is, once the settings are resolved and the pieces opened. */
typedef struct run_plan {
    cli_project_defaults pd;
    bool tasks_from_project;
    bool models_from_cli;
    llmt_manager *mgr;
    llmt_cache *cache;
    llmt_cassette *cassette;                /* --record or --replay */
    progress_ui ui;                         /* lives as long as the plan: --optimize's
                                               re-run reports progress through it too */
    llmt_taskset ts;
    llmt_diags diags;
    llmt_run_options ro;
    llmt_score_options so;
    char **given_models, **given_fallbacks; /* split lists, pointing into one block each */
    size_t n_given_models, n_given_fallbacks;
    char **models, **fallbacks;             /* resolved: "provider:model", owned */
    size_t n_models, n_fallbacks;
    llmt_rate_override *limits;             /* --provider-limit, names borrowed from argv */
    size_t n_limits;
    unsigned char *task_mask;
    char seed_text[32];                     /* run.seed of the project, for --seed */
} run_plan;

enum { N_SETTING_OPTS = 20, HELP_LEN = 320 };

/* The option table of `run`; the options that override a project setting get their
 * kind and help from the settings table. */
static void run_options(run_args *a, cli_option *o, char (*help)[HELP_LEN])
{
    size_t h = 0, k = 0;
#define SET(key, s, mv, t, seen) o[k++] = cli_setting_option(key, s, mv, t, seen, help[h], HELP_LEN), h++
#define OPT(...) o[k++] = (cli_option){__VA_ARGS__}
    SET("tasks_dir", 't', "DIR", &a->tasks_dir, NULL);
    SET("models", 'm', "P[:M]", &a->models, NULL);
    OPT("filter", 'f', OPT_STRING, "TEXT", "only cases whose \"task/case\" contains TEXT", &a->filter, NULL);
    OPT("limit-share", 0, OPT_DOUBLE, "F", "share of every provider's rpm/tpm this run takes, 0 < F <= 1 (default 1/N with --shard K/N)", &a->limit_share, &a->share_seen);
    OPT("shard", 0, OPT_STRING, "K/N|auto", "run only shard K of N (cases dealt round-robin; join with 'merge'); auto: from Kubernetes, Slurm, GNU parallel or LLMT_SHARD (docs/scale-out.md)", &a->shard, NULL);
    SET("output_dir", 'o', "DIR", &a->output, NULL);
    SET("run/formats", 0, "LIST", &a->formats, NULL);
    {
        char names[96], *was = llmt_strdup(help[h - 1]);
        llmt_formats_names(names, sizeof names, ",");
        snprintf(help[h - 1], HELP_LEN, "%s; any of %s", was ? was : "", names);
        free(was);
    }
    SET("run/repeat", 'n', "N", &a->repeat, &a->repeat_seen);
    OPT("mock-rules", 0, OPT_STRING, "FILE", "rules file for mock:rules", &a->mock_rules, NULL);
    SET("scoring/list_mode", 0, "MODE", &a->list_mode, NULL);
    SET("scoring/tolerance", 0, "X", &a->tolerance, &a->tol_seen);
    SET("scoring/threshold", 0, "T", &a->threshold, &a->thr_seen);
    SET("scoring/weights", 0, "KEY=W", &a->weights, NULL);
    SET("cache/mode", 0, "MODE", &a->cache_mode, NULL);
    SET("cache/path", 0, "FILE", &a->cache_db, NULL);
    OPT("history", 0, OPT_STRING, "FILE", "record the run in this history database (default .llm-tester/history.db)", &a->history, NULL);
    OPT("no-history", 0, OPT_FLAG, NULL, "do not record the run in the history", &a->no_history, NULL);
    OPT("label", 0, OPT_STRING, "TEXT", "a label for this run in the history (e.g. a commit or prompt version); names the run in 'history'", &a->label, NULL);
    OPT("min-accuracy", 0, OPT_DOUBLE, "PCT", "exit 1 when a model's mean accuracy is below PCT (0-100)", &a->min_accuracy, &a->min_accuracy_seen);
    SET("run/concurrency", 'j', "N", &a->concurrency, &a->conc_seen);
    SET("run/timeout_ms", 0, "SECONDS", &a->timeout_s, &a->timeout_seen);
    SET("run/connect_timeout_ms", 0, "SECONDS", &a->connect_timeout_s, &a->connect_seen);
    SET("run/max_retries", 0, "N", &a->max_retries, &a->retries_seen);
    SET("run/retry_max_time_ms", 0, "SECONDS", &a->retry_max_time_s, &a->retry_time_seen);
    OPT("fallback", 0, OPT_STRINGS, "P:M", "model to try when a model fails, after the model's and provider's configured fallbacks", &a->fallbacks, NULL);
    SET("run/budget_usd", 0, "USD", &a->budget, &a->budget_seen);
    OPT("dry-run", 0, OPT_FLAG, NULL, "send nothing: print per model the number of calls, the input tokens and the cost range (and warn about missing API keys)", &a->dry_run, NULL);
    OPT("resume", 0, OPT_STRING, "DIR", "continue the run in DIR: send only what its results.jsonl lacks", &a->resume, NULL);
    OPT("batch", 0, OPT_FLAG, NULL, "send each batch-capable provider's share through its batch API (about half price, results within 24 h); the others run interactively", &a->batch, NULL);
    OPT("batch-poll", 0, OPT_DOUBLE, "SECONDS", "first interval between batch polls (default 5; backs off to 300)", &a->batch_poll_s, NULL);
    OPT("record", 0, OPT_STRING, "DIR", "record every provider exchange into cassettes in DIR (one <task>.jsonl each, API keys redacted), to replay with --replay", &a->record, NULL);
    OPT("replay", 0, OPT_STRING, "DIR", "answer every request from the cassettes in DIR, sending nothing; a request not recorded there fails its case", &a->replay, NULL);
    OPT("overwrite", 0, OPT_FLAG, NULL, "replace the results already in --output DIR (refused otherwise)", &a->overwrite, NULL);
    OPT("follow-symlinks", 0, OPT_FLAG, NULL, "read case files through symbolic links that lead outside the tasks folder (refused by default)", &a->follow_symlinks, NULL);
    OPT("provider-limit", 0, OPT_STRINGS, "P:K=N,..", "this run's rate limit of a provider: concurrency, rpm, tpm (0 = none), over its rate_limit", &a->provider_limits, NULL);
    {
        const cli_option optimize[] = {CLI_OPTIMIZE_OPTIONS(a->optimize)};
        memcpy(&o[k], optimize, sizeof optimize);
        k += sizeof optimize / sizeof optimize[0];
    }
    OPT(NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL);
#undef SET
#undef OPT
}

/* --provider-limit NAME:concurrency=N,rpm=N,tpm=N (0 = unlimited): this run's limits of
 * a provider (a higher account tier, a local server), handed to the engine; the
 * provider's configuration is left as it is. */
static int parse_limit(llmt_manager *mgr, const char *v, llmt_rate_override *out)
{
    const char *colon = strchr(v, ':'), *p;
    char name[64];
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof name) {
        cli_error("run: --provider-limit expects NAME:concurrency=N,rpm=N,tpm=N, got '%s'", v);
        return CLI_EXIT_USAGE;
    }
    snprintf(name, sizeof name, "%.*s", (int)(colon - v), v);
    if (!llmt_registry_find(llmt_manager_registry(mgr), name)) {
        cli_error("run: --provider-limit: unknown provider '%s'", name);
        return CLI_EXIT_USAGE;
    }
    out->provider = llmt_registry_find(llmt_manager_registry(mgr), name)->config->name;
    out->concurrency = out->rpm = out->tpm = -1;
    for (p = colon + 1; *p;) {
        const char *eq = strchr(p, '=');
        char *end;
        long n;
        size_t klen;
        if (!eq) {
            cli_error("run: --provider-limit %s: expected key=value at '%s'", name, p);
            return CLI_EXIT_USAGE;
        }
        klen = (size_t)(eq - p);
        n = strtol(eq + 1, &end, 10);
        if (end == eq + 1 || n < 0 || (*end && *end != ',')) {
            cli_error("run: --provider-limit %s: '%.*s' needs a whole number >= 0", name, (int)klen, p);
            return CLI_EXIT_USAGE;
        }
        if (klen == 11 && strncmp(p, "concurrency", 11) == 0)
            out->concurrency = n;
        else if (klen == 3 && strncmp(p, "rpm", 3) == 0)
            out->rpm = n;
        else if (klen == 3 && strncmp(p, "tpm", 3) == 0)
            out->tpm = n;
        else {
            cli_error("run: --provider-limit %s: unknown limit '%.*s' (concurrency, rpm, tpm)", name,
                      (int)klen, p);
            return CLI_EXIT_USAGE;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

static int parse_limits(run_plan *pl, const cli_strings *limits)
{
    size_t i;
    if (!limits->n)
        return 0;
    pl->limits = calloc(limits->n, sizeof(*pl->limits));
    if (!pl->limits) {
        cli_error("run: out of memory");
        return CLI_EXIT_USAGE;
    }
    for (i = 0; i < limits->n; i++, pl->n_limits++)
        if (parse_limit(pl->mgr, limits->v[i], &pl->limits[i]) != 0)
            return CLI_EXIT_USAGE;
    pl->ro.engine.rate_overrides = pl->limits;
    pl->ro.engine.n_rate_overrides = pl->n_limits;
    return 0;
}

/* The numeric settings of the engine and the run: command line, else llm-tester.json
 * (run.*), else the table's defaults; every value range-checked by the table. The
 * timeouts are left at 0 when not given: the manager applied the project's already. */
static int resolve_numbers(run_args *a, run_plan *pl)
{
    const llmt_project *p = pl->pd.project;
    llmt_engine_options *e = &pl->ro.engine;
    double retry_s = a->retry_max_time_s;
    bool budget_set = false;
    if (cli_setting_long("run", p, "run/repeat", a->repeat_seen, &a->repeat) ||
        cli_setting_long("run", p, "run/concurrency", a->conc_seen, &a->concurrency) ||
        cli_setting_long("run", p, "run/max_retries", a->retries_seen, &a->max_retries) ||
        cli_setting_number("run", p, "run/retry_max_time_ms", a->retry_time_seen, &retry_s, NULL) ||
        cli_setting_number("run", p, "run/budget_usd", a->budget_seen, &a->budget, &budget_set) ||
        (a->timeout_seen &&
         cli_setting_number("run", p, "run/timeout_ms", true, &a->timeout_s, NULL)) ||
        (a->connect_seen &&
         cli_setting_number("run", p, "run/connect_timeout_ms", true, &a->connect_timeout_s, NULL)) ||
        (a->tol_seen && cli_setting_number("run", p, "scoring/tolerance", true, &a->tolerance, NULL)) ||
        (a->thr_seen && cli_setting_number("run", p, "scoring/threshold", true, &a->threshold, NULL)))
        return CLI_EXIT_USAGE;
    if (a->min_accuracy_seen && !(a->min_accuracy >= 0 && a->min_accuracy <= 100)) {
        cli_error("run: --min-accuracy must be a percentage between 0 and 100, got %g", a->min_accuracy);
        return CLI_EXIT_USAGE;
    }
    pl->ro.repeat = (int)a->repeat;
    e->concurrency = a->concurrency;
    e->retry.max_retries = (int)a->max_retries;
    e->retry.max_time_ms = retry_s * 1000.0;
    e->timeout_ms = a->timeout_seen ? (long)(a->timeout_s * 1000.0) : 0;
    e->connect_timeout_ms = a->connect_seen ? (long)(a->connect_timeout_s * 1000.0) : 0;
    e->budget_usd = budget_set ? a->budget : -1;
    return 0;
}

/* Scoring given on the command line: above task.json and the project's "scoring",
 * which the runner applies (their order is the runner's, not a merge here). */
static int resolve_scoring(run_args *a, run_plan *pl)
{
    llmt_error err;
    size_t i;
    for (i = 0; i < a->weights.n; i++) {
        if (llmt_score_options_parse_weight(&pl->so, a->weights.v[i], &err) != LLMT_OK) {
            cli_error("run: %s", err.message);
            return CLI_EXIT_USAGE;
        }
    }
    if (a->list_mode) {
        if (!llmt_list_mode_parse(a->list_mode, &pl->so.list_mode)) {
            cli_error("run: --list-mode must be ordered_exact, ordered_similarity or set_similarity, got '%s'",
                      a->list_mode);
            return CLI_EXIT_USAGE;
        }
        pl->ro.scoring_override_mask |= LLMT_SCORE_SET_LIST_MODE;
    }
    if (a->tol_seen) {
        pl->so.tolerance = a->tolerance;
        pl->ro.scoring_override_mask |= LLMT_SCORE_SET_TOLERANCE;
    }
    if (a->thr_seen) {
        pl->so.threshold = a->threshold;
        pl->ro.scoring_override_mask |= LLMT_SCORE_SET_THRESHOLD;
    }
    pl->ro.scoring_override = &pl->so;
    return 0;
}

/* --shard K/N, or auto: from the scheduler's environment (run/shard.h). */
static int parse_shard(const char *arg, bool quiet, int *k, int *n)
{
    const char *source = NULL;
    char why[512];
    if (strcmp(arg, "auto") != 0) {
        if (llmt_shard_parse(arg, k, n))
            return 0;
        cli_error("run: --shard must be K/N with 1 <= K <= N, or auto, got '%s'", arg);
        return -1;
    }
    if (!llmt_shard_auto(llmt_env_getenv, NULL, k, n, &source, why, sizeof why)) {
        cli_error("run: --shard auto: %s", why);
        return -1;
    }
    if (!quiet)
        fprintf(stderr, "llm-tester: shard %d/%d (from %s)\n", *k, *n, source);
    return 0;
}

/* Formats, output folder, shard, resume and the lists of models: the parts that need
 * no provider. */
static int resolve_run_shape(cli_ctx *ctx, run_args *a, run_plan *pl, int npos, char **argv)
{
    json_t *pf = llmt_project_get(pl->pd.project, "run/formats");
    size_t i;
    if (npos > 0) {
        cli_error("run: unexpected argument '%s' (see: llm-tester run --help)", argv[0]);
        return CLI_EXIT_USAGE;
    }
    if (a->formats.n == 0 && json_array_size(pf)) {
        cli_strings fs = {NULL, 0};
        int rc;
        fs.v = calloc(json_array_size(pf), sizeof(*fs.v));
        for (i = 0; fs.v && i < json_array_size(pf); i++)
            fs.v[fs.n++] = (char *)json_string_value(json_array_get(pf, i)); /* borrowed */
        if (!fs.v)
            cli_error("run: out of memory");
        rc = fs.v ? cli_parse_formats(&fs, &pl->ro.formats, 0) : CLI_EXIT_USAGE;
        free(fs.v);
        if (rc)
            return rc;
    } else if (cli_parse_formats(&a->formats, &pl->ro.formats, LLMT_FORMAT_JSON | LLMT_FORMAT_MD)) {
        return CLI_EXIT_USAGE;
    }
    pl->tasks_from_project = !a->tasks_dir;
    if (!a->tasks_dir)
        a->tasks_dir = pl->pd.tasks_dir;
    if (!a->output)
        a->output = pl->pd.output_dir;
    if (!ctx->common.seed_text) {
        json_t *seed = llmt_project_get(pl->pd.project, "run/seed");
        if (json_is_integer(seed))
            snprintf(pl->seed_text, sizeof pl->seed_text, "%lld", (long long)json_integer_value(seed));
        if (json_is_integer(seed))
            ctx->common.seed_text = pl->seed_text;
    }
    if (!a->tasks_dir) {
        cli_error("run: --tasks DIR is required, or tasks_dir in llm-tester.json (see: llm-tester run --help)");
        return CLI_EXIT_USAGE;
    }
    if (a->resume && a->output && strcmp(a->resume, a->output) != 0) {
        cli_error("run: --resume %s writes to that folder; drop --output %s or make it the same",
                  a->resume, a->output);
        return CLI_EXIT_USAGE;
    }
    if (a->shard && parse_shard(a->shard, ctx->common.quiet, &pl->ro.shard_k, &pl->ro.shard_n) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (a->share_seen && !(a->limit_share > 0 && a->limit_share <= 1)) {
        cli_error("run: --limit-share must be a number above 0 and at most 1, got %g", a->limit_share);
        return CLI_EXIT_USAGE;
    }
    if (a->share_seen) {
        pl->ro.engine.limit_share = a->limit_share;
    }
    pl->models_from_cli = a->models.n > 0;
    if (!pl->models_from_cli && pl->pd.n_models) {
        /* the project's models, borrowed: split_list copies them into its own block */
        a->models.v = pl->pd.models;
        a->models.n = pl->pd.n_models;
    }
    if (cli_split_list(&a->models, &pl->given_models, &pl->n_given_models) != 0 ||
        cli_split_list(&a->fallbacks, &pl->given_fallbacks, &pl->n_given_fallbacks) != 0)
        return CLI_EXIT_USAGE;
    if (!pl->models_from_cli) {
        a->models.v = NULL; /* not ours to free */
        a->models.n = 0;
    }
    for (i = 0; i < pl->n_given_fallbacks; i++) {
        if (!strchr(pl->given_fallbacks[i], ':')) {
            cli_error("run: --fallback expects provider:model, got '%s'", pl->given_fallbacks[i]);
            return CLI_EXIT_USAGE;
        }
    }
    pl->ro.filter = a->filter;
    pl->ro.output_dir = a->output;
    pl->ro.resume_dir = a->resume;
    return 0;
}

static int open_cache(run_args *a, run_plan *pl)
{
    const char *mode_text = cli_setting_string(pl->pd.project, "cache/mode", a->cache_mode);
    char *project_db = NULL, *path;
    llmt_cache_mode mode;
    llmt_error err;
    int rc = 0;
    if (!mode_text)
        return 0;
    if (!llmt_cache_mode_parse(mode_text, &mode)) {
        cli_error("run: --cache must be off, read, write or readwrite, got '%s'", mode_text);
        return CLI_EXIT_USAGE;
    }
    /* command line > environment > project > default */
    if (!a->cache_db && !getenv("LLMT_CACHE_DB"))
        project_db = llmt_project_path_setting(pl->pd.project, "cache/path");
    path = cli_cache_path(a->cache_db ? a->cache_db : project_db);
    if (mode != LLMT_CACHE_OFF && llmt_cache_open(&pl->cache, path, &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        rc = CLI_EXIT_USAGE;
    } else {
        llmt_manager_set_cache(pl->mgr, pl->cache, mode);
    }
    free(project_db);
    free(path);
    return rc;
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

/* The manager, the cache, the models (given, the project's, or the keyed providers'
 * defaults) and the tasks. */
/* --record DIR / --replay DIR: the cassette the engine records into or answers from. */
static int open_cassette(run_args *a, run_plan *pl)
{
    llmt_error err;
    const char *dir = a->record ? a->record : a->replay;
    if (!dir)
        return 0;
    if (a->record && a->replay) {
        cli_error("run: --record and --replay exclude each other (record once, then replay)");
        return CLI_EXIT_USAGE;
    }
    if (llmt_cassette_open(&pl->cassette, dir,
                           a->record ? LLMT_CASSETTE_RECORD : LLMT_CASSETTE_REPLAY,
                           &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        return CLI_EXIT_USAGE;
    }
    if (a->record)
        pl->ro.engine.record = pl->cassette;
    else
        pl->ro.engine.replay = pl->cassette;
    return 0;
}

static int open_run(cli_ctx *ctx, run_args *a, run_plan *pl)
{
    llmt_error err;
    int rc = cli_manager(ctx, &pl->mgr, a->mock_rules);
    if (rc || (rc = open_cache(a, pl)) != 0 || (rc = parse_limits(pl, &a->provider_limits)) != 0 ||
        (rc = open_cassette(a, pl)) != 0)
        return rc;
    if (pl->n_given_models
            ? cli_models_resolve(pl->mgr, "run", pl->given_models, pl->n_given_models, &pl->models)
            : cli_models_default(pl->mgr, &pl->models, &pl->n_given_models))
        return CLI_EXIT_USAGE;
    pl->n_models = pl->n_given_models;
    if (pl->n_models == 0) {
        cli_error("run: no models: give --models provider:model, or \"models\" in llm-tester.json; "
                  "without either, each provider whose API key is set runs its default model "
                  "(see: llm-tester models list mock)");
        return CLI_EXIT_USAGE;
    }
    if (cli_models_resolve(pl->mgr, "run: --fallback", pl->given_fallbacks, pl->n_given_fallbacks,
                           &pl->fallbacks))
        return CLI_EXIT_USAGE;
    pl->n_fallbacks = pl->n_given_fallbacks;
    if (llmt_tasks_discover_links(a->tasks_dir, a->follow_symlinks, &pl->ts, &pl->diags, &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        return CLI_EXIT_USAGE;
    }
    /* tasks kept elsewhere (tasks.<name>.path) belong to the project's tasks, not to a
     * folder given with --tasks */
    if (pl->tasks_from_project)
        cli_project_add_task_paths(&pl->pd, &pl->ts, &pl->diags);
    cli_print_diags(ctx, &pl->diags, false);
    if (pl->diags.errors) {
        cli_error("run: %zu problem(s) in the tasks under %s; fix them or run 'llm-tester list' to see them",
                  pl->diags.errors, a->tasks_dir);
        return CLI_EXIT_USAGE;
    }
    if (pl->ts.n_tasks == 0) {
        cli_error("run: no tasks found under %s (a task is a folder with schema.json and tests/)", a->tasks_dir);
        return CLI_EXIT_USAGE;
    }
    pl->ro.tasks = &pl->ts;
    pl->ro.models = (const char *const *)pl->models;
    pl->ro.n_models = pl->n_models;
    pl->ro.fallbacks = (const char *const *)pl->fallbacks;
    pl->ro.n_fallbacks = pl->n_fallbacks;
    if (!pl->models_from_cli && pl->pd.task_settings) {
        pl->task_mask = task_model_mask(&pl->ts, pl->pd.task_settings, pl->pd.n_default_models,
                                        (const char *const *)pl->models, pl->n_models);
        if (!pl->task_mask) {
            cli_error("run: out of memory");
            return CLI_EXIT_USAGE;
        }
        pl->ro.task_model_mask = pl->task_mask;
    }
    return 0;
}

/* Records the run in the history database; a failure there is a warning, never a lost run. */
static void record_history(const char *path_opt, const char *label, uint64_t seed,
                           const llmt_run_result *rr)
{
    llmt_history *h = NULL;
    llmt_error err;
    char *path = cli_history_path(path_opt);
    char *jsonl = rr->output_dir ? llmt_path_join(rr->output_dir, "results.jsonl") : NULL;
    if (llmt_history_open(&h, path, &err) != LLMT_OK ||
        llmt_history_record(h, &rr->meta, label, &rr->summary, jsonl, &err) != LLMT_OK ||
        llmt_history_set_seed(h, rr->meta.run_id, seed, &err) != LLMT_OK)
        cli_warn("run not recorded in the history: %s", err.message);
    llmt_history_close(h);
    free(jsonl);
    free(path);
}

static int dry_run(run_plan *pl)
{
    llmt_run_estimate *estimate = NULL;
    llmt_error err;
    if (llmt_run_estimate_cost(pl->mgr, &pl->ro, &estimate, &pl->diags, &err) != LLMT_OK) {
        cli_error("run: %s", err.message);
        return cli_exit_for(err.status);
    }
    cli_run_print_estimate(estimate, (const char *const *)pl->models, pl->n_models);
    cli_warn_missing_keys(pl->mgr, "run --dry-run", pl->models, pl->n_models);
    cli_warn_missing_keys(pl->mgr, "run --dry-run", pl->fallbacks, pl->n_fallbacks);
    free(estimate);
    return CLI_EXIT_OK;
}

/* Runs it, with the progress line and Ctrl-C handling. Returns 0, or an exit code
 * after printing why the run could not happen. */
static int execute(cli_ctx *ctx, run_plan *pl, llmt_run_result *rr)
{
    struct sigaction old_int, old_term;
    size_t diags_shown = pl->diags.count;
    llmt_error err;
    llmt_status st;
    pl->ui.on = !ctx->common.quiet && isatty(STDERR_FILENO);
    pl->ui.quiet = ctx->common.quiet;
    pl->ro.batch_progress = show_batch_progress;
    pl->ro.progress = show_progress;
    pl->ro.progress_ud = &pl->ui;
    run_interrupts = 0;
    pl->ro.engine.interrupted = &run_interrupts;
    install_signals(&old_int, &old_term);
    st = llmt_run_execute(pl->mgr, &pl->ro, rr, &pl->diags, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (pl->ui.shown)
        fputs("\r\033[K", stderr);
    if (pl->ro.engine.record) { /* what was recorded is kept, interrupted or not */
        llmt_error werr;
        if (llmt_cassette_write(pl->ro.engine.record, &werr) != LLMT_OK) {
            cli_error("run: %s", werr.message);
            if (st == LLMT_OK)
                return cli_exit_for(werr.status);
        }
    }
    if (st != LLMT_OK) {
        cli_error("run: %s", err.message);
        return cli_exit_for(err.status);
    }
    {
        /* what the run itself found (e.g. unsupported schema keywords): always shown */
        llmt_diags fresh = pl->diags;
        fresh.items += diags_shown;
        fresh.count -= diags_shown;
        cli_print_diags(ctx, &fresh, true);
    }
    return 0;
}

static int report(cli_ctx *ctx, const run_args *a, run_plan *pl, const llmt_run_result *rr)
{
    cli_run_print_errors(rr);
    if (rr->interrupted) {
        /* a batch run continues by polling its batches: without --batch the lines still
         * running would be sent (and paid) a second time */
        cli_warn("run: interrupted: %zu result(s) finished and written, %zu not finished%s%s%s",
                 rr->summary.n_rows - rr->resumed, rr->planned - (rr->summary.n_rows - rr->resumed),
                 rr->output_dir ? "; continue with --resume " : "", rr->output_dir ? rr->output_dir : "",
                 rr->output_dir && a->batch ? " --batch" : "");
    }
    if (!rr->interrupted && rr->cancelled > 0)
        /* a batch cancelled (batches cancel, the provider's console) before answering them */
        cli_warn("run: %zu job(s) have no result: their batch was cancelled before answering "
                 "them%s%s%s",
                 rr->cancelled, rr->output_dir ? "; --resume " : "",
                 rr->output_dir ? rr->output_dir : "",
                 rr->output_dir ? " --batch submits them again (without --batch: interactively)" : "");
    if (rr->summary.n_rows == 0 && rr->interrupted)
        return CLI_EXIT_INTERRUPTED;
    if (rr->summary.n_rows == 0 && rr->cancelled > 0)
        return CLI_EXIT_PROVIDER;
    if (rr->summary.n_rows == 0) {
        cli_error("run: no case matched%s%s", a->filter ? " --filter " : "", a->filter ? a->filter : "");
        return CLI_EXIT_USAGE;
    }
    if (a->resume && rr->planned == 0)
        printf("Nothing left to run in %s; the reports were rewritten.\n\n", a->resume);
    cli_run_print_table(rr, &pl->ts);
    if (!a->no_history)
        record_history(a->history, a->label, cli_seed(ctx), rr);
    if (rr->output_dir)
        printf("Results written to %s/\n", rr->output_dir);
    return 0;
}

/* --batch: the batch ids go into the output folder (for --resume); a folder with batches
 * resumed without --batch sends their unanswered lines interactively, which is said. */
static int check_batch(const run_args *a, run_plan *pl)
{
    pl->ro.batch = a->batch;
    pl->ro.batch_poll_ms = a->batch_poll_s * 1000.0;
    if (a->batch_poll_s < 0) {
        cli_error("run: --batch-poll must be a number of seconds > 0");
        return CLI_EXIT_USAGE;
    }
    if (a->batch && (a->record || a->replay)) {
        /* batches are submitted, polled and fetched outside the cassette's exchanges */
        cli_error("run: --batch does not go with --%s: record or replay an interactive run",
                  a->record ? "record" : "replay");
        return CLI_EXIT_USAGE;
    }
    if (a->batch && !pl->ro.output_dir && !a->resume && !a->dry_run) {
        cli_error("run: --batch needs --output DIR (the batch ids are recorded there, for --resume)");
        return CLI_EXIT_USAGE;
    }
    if (a->resume && !a->batch && !a->dry_run) {
        char *rec = llmt_path_join(a->resume, "batches.jsonl");
        if (rec && llmt_path_exists(rec))
            cli_warn("run: %s holds batches of a --batch run; without --batch, what they have not "
                     "answered yet is sent interactively (add --batch to wait for them instead)",
                     a->resume);
        free(rec);
    }
    return 0;
}

/* What needs the manager and the resolved output folder: --optimize's options, and a
 * folder that already holds a run (replaced only with --overwrite). */
static int check_extras(run_args *a, run_plan *pl)
{
    int rc = cli_optimize_check(&a->optimize, pl->mgr, pl->ro.output_dir);
    if (rc)
        return rc;
    if ((rc = check_batch(a, pl)) != 0)
        return rc;
    if (a->optimize.on && (a->record || a->replay)) {
        /* the re-run's amended prompts and the optimizer's calls are not recorded */
        cli_error("run: --optimize does not go with --%s yet: record or replay the run, then "
                  "optimize it without cassettes", a->record ? "record" : "replay");
        return CLI_EXIT_USAGE;
    }
    if (a->optimize.on)
        pl->ro.prompt_label = "original";
    if (!a->dry_run && pl->ro.output_dir && !a->resume && !a->overwrite &&
        cli_has_results(pl->ro.output_dir)) {
        cli_error("run: %s already holds results.jsonl; continue it with --resume %s, or replace "
                  "it with --overwrite",
                  pl->ro.output_dir, pl->ro.output_dir);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* After the report: --optimize, then the exit status the results call for. */
static int finish(cli_ctx *ctx, run_args *a, run_plan *pl, const llmt_run_result *rr)
{
    int rc;
    if (a->optimize.on && !rr->interrupted && rr->output_dir &&
        (rc = cli_optimize_after(ctx, &a->optimize, pl->mgr, &pl->ro, rr->output_dir)) != 0)
        return rc;
    return cli_run_exit_status(rr, a->min_accuracy_seen ? a->min_accuracy : -1);
}

static void plan_free(run_plan *pl)
{
    llmt_taskset_free(&pl->ts);
    llmt_diags_free(&pl->diags);
    llmt_manager_free(pl->mgr);
    llmt_cache_close(pl->cache);
    llmt_cassette_free(pl->cassette);
    free(pl->given_models);
    free(pl->given_fallbacks);
    llmt_free_strv(pl->models, pl->n_models);
    llmt_free_strv(pl->fallbacks, pl->n_fallbacks);
    free(pl->limits);
    free(pl->task_mask);
    llmt_score_options_free(&pl->so);
    cli_project_defaults_free(&pl->pd);
}

int cmd_run(cli_ctx *ctx, int argc, char **argv)
{
    run_args a;
    run_plan pl;
    llmt_run_result rr;
    cli_option opts[48];
    char help[N_SETTING_OPTS][HELP_LEN];
    int npos, rc;
    memset(&a, 0, sizeof a);
    memset(&pl, 0, sizeof pl);
    memset(&rr, 0, sizeof rr);
    llmt_run_options_init(&pl.ro);
    llmt_score_options_init(&pl.so);
    run_options(&a, opts, help);
    rc = cli_parse(ctx, cli_find_command("run"), opts, argc, argv, &npos);
    if (rc == 0)
        rc = cli_project_defaults_load(ctx, &pl.pd);
    if (rc == 0)
        rc = resolve_run_shape(ctx, &a, &pl, npos, argv);
    if (rc == 0)
        rc = resolve_numbers(&a, &pl);
    if (rc == 0)
        rc = resolve_scoring(&a, &pl);
    if (rc == 0)
        rc = open_run(ctx, &a, &pl);
    if (rc == 0)
        rc = check_extras(&a, &pl);
    if (rc == 0 && a.dry_run)
        rc = dry_run(&pl);
    else if (rc == 0 && (rc = execute(ctx, &pl, &rr)) == 0 && (rc = report(ctx, &a, &pl, &rr)) == 0)
        rc = finish(ctx, &a, &pl, &rr);
    llmt_run_result_free(&rr);
    plan_free(&pl);
    cli_strings_free(&a.models);
    cli_strings_free(&a.formats);
    cli_strings_free(&a.fallbacks);
    cli_strings_free(&a.provider_limits);
    cli_strings_free(&a.weights);
    return rc < 0 ? 0 : rc;
}
