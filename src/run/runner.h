/* `run`: discover tasks, expand cases × models × repeats, call, score, stream results,
 * write reports. The library part of the command; the CLI only parses and prints. */
#ifndef LLMT_RUNNER_H
#define LLMT_RUNNER_H

#include <signal.h>
#include "core/diag.h"
#include "llmt/manager.h"
#include "exec/engine.h"
#include "run/output.h"
#include "run/shard.h"
#include "run/summary.h"
#include "score/score.h"
#include "task/task.h"

struct llmt_run_progress;
struct llmt_batch_progress;

typedef struct llmt_run_options {
    const llmt_taskset *tasks;
    const char *const *models;     /* "provider:model" */
    size_t n_models;
    const char *filter;            /* substring of "task/case", or NULL */
    const char *output_dir;        /* NULL: no files */
    unsigned formats;              /* LLMT_FORMAT_* */
    int repeat;                    /* >= 1 */
    const llmt_score_options *scoring_override; /* command-line scoring, or NULL */
    unsigned scoring_override_mask;             /* which fields of it were given */
    /* ---- execution: the engine's own options (concurrency, timeouts, retries, budget,
     * grace, interrupt flag), set to the engine's defaults by llmt_run_options_init; the
     * seed comes from the manager. Timeouts of 0 mean the manager's (its project's). */
    llmt_engine_options engine;
    const char *const *fallbacks;  /* --fallback, appended to every model's chain */
    size_t n_fallbacks;
    const char *resume_dir;        /* continue this run: skip what its results.jsonl holds */
    void (*progress)(void *ud, const struct llmt_run_progress *p); /* optional */
    void *progress_ud;
    /* ---- sharding: this invocation runs shard shard_k (1-based) of shard_n; the cases
     * (in discovery order, across all tasks) are dealt round-robin, so every shard gets
     * a deterministic, near-equal share and the shards together cover every case once. */
    int shard_k;                   /* 0 = no sharding */
    int shard_n;
    /* per task × model (index ti * n_models + mi): nonzero = run it; NULL = every
     * model for every task (the project config's per-task model lists) */
    const unsigned char *task_model_mask;
    /* written into every result line as "prompt" (run --optimize: "original" for the run,
     * "optimized" for the re-run with amended prompts); NULL: no such member */
    const char *prompt_label;
    /* The cassettes (engine.record/replay) name this run's jobs "<task>@<tape_phase>"
     * (the --optimize re-run: "optimized", so that its amended requests do not take the
     * place of the run's own); NULL: "<task>". */
    const char *tape_phase;
    /* ---- run --batch (run/batch.h): jobs of providers with a batch API go through it;
     * the others run interactively */
    bool batch;
    double batch_poll_ms;          /* first poll interval; 0 = 5 s */
    double batch_poll_max_ms;      /* backoff cap; 0 = 5 min */
    void (*batch_progress)(void *ud, const struct llmt_batch_progress *p); /* progress_ud */
} llmt_run_options;

/* Zeroes o and sets the defaults (repeat 1, the engine's defaults). */
void llmt_run_options_init(llmt_run_options *o);

typedef struct llmt_run_progress {
    size_t total;                  /* calls planned in this invocation */
    size_t done, failed, in_flight;
    double elapsed_ms, spent_usd;
    const char *binding;           /* what holds the run back ("" = nothing); borrowed */
} llmt_run_progress;

/* One line "done/total, failures, rate, ETA, spend" (no newline) into buf. */
void llmt_progress_format(const llmt_run_progress *p, char *buf, size_t n);

enum { LLMT_SCORE_SET_LIST_MODE = 1, LLMT_SCORE_SET_TOLERANCE = 2, LLMT_SCORE_SET_THRESHOLD = 4 };

typedef struct llmt_run_result {
    llmt_run_meta meta;
    llmt_summary summary;          /* rows and per-model aggregates */
    size_t planned;                /* calls planned (excluding those resumed) */
    size_t resumed;                /* results kept from --resume */
    size_t cancelled;              /* not finished: an interrupt, or a batch cancelled before
                                      answering them */
    bool interrupted;
    size_t attempts, retries, fallbacks, throttled;
    /* per provider sent to: its limits in force, where they came from, what held it back */
    char limits[LLMT_ENGINE_MAX_LIMIT_LINES][192];
    size_t n_limits;
    char *output_dir;              /* where files went, or NULL */
} llmt_run_result;

/* Estimated cost of a run, per model (--dry-run): nothing is sent. */
typedef struct llmt_run_estimate {
    size_t calls;
    long input_tokens;             /* estimated */
    double min_usd, max_usd;       /* no output .. the output bound */
    bool cost_known;               /* false when the model has no price */
    bool batch;                    /* priced at its batch rate (run --batch, a provider
                                      with a batch API and a batch price) */
} llmt_run_estimate;

/* Runs everything. Provider failures are results, not a failed run; the status fails
 * only when the run could not happen (unwritable output, invalid schema...). */
llmt_status llmt_run_execute(llmt_manager *mgr, const llmt_run_options *o, llmt_run_result *out,
                             llmt_diags *diags, llmt_error *err);
void llmt_run_result_free(llmt_run_result *r);

/* Counts the calls of a run per model (array of o->n_models, malloc'd into *out) and
 * their cost range, without sending anything. Resume and filter apply. */
llmt_status llmt_run_estimate_cost(llmt_manager *mgr, const llmt_run_options *o,
                                   llmt_run_estimate **out, llmt_diags *diags, llmt_error *err);

#endif
