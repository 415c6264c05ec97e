/*
 * The run engine: event loops over the curl multi interface that drive every request
 * of a run (no thread per request). Usually one loop; at high concurrency on several
 * CPUs a few "lanes", each a loop with its own multi handle on its own thread and a
 * share of the global concurrency, because one loop is then bound by curl's socket
 * work. The lanes share one lock for everything except that socket work, so the
 * limiters, the budget, provider code and the callbacks below see one lane at a time.
 *
 * Jobs come from a producer callback, lazily, so a run of 100,000 cases holds only
 * the jobs in its dispatch window. Each job is one request with a chain of models
 * (the primary, then its fallbacks). The engine
 *   - dispatches within the global concurrency and each provider's limiter
 *     (run/ratelimit.h: adaptive concurrency, rpm, tpm, pause after a 429);
 *   - keeps per-transfer state on CURLOPT_PRIVATE and drains results with
 *     curl_multi_info_read;
 *   - answers local providers (LLMT_CAP_LOCAL, `call`) inline and waits out their
 *     simulated_latency_ms as a timer, without blocking other requests;
 *   - retries retryable classes after a due time (backoff with full jitter, or the
 *     server's Retry-After / reset hint), never sleeping in the loop; one retry limit
 *     and one time limit bound the attempts of the whole chain; `quota` and other
 *     non-retryable classes the fallback policy covers go to the next model at once;
 *   - never starts an attempt whose worst-case cost could take the run past its
 *     budget (those jobs end with LLMT_E_BUDGET);
 *   - stops dispatching when *interrupted becomes non-zero, lets in-flight requests
 *     finish for grace_ms, then ends the rest with LLMT_E_CANCELLED.
 * Every finished job is handed to done() at once (the runner streams it to disk).
 */
#ifndef LLMT_ENGINE_H
#define LLMT_ENGINE_H

#include <signal.h>
#include <jansson.h>
#include "llmt/manager.h"
#include "exec/retry.h"
#include "http/http.h"

struct llmt_call;

/* One unit of work, owned by the producer from next() until done() returns. */
typedef struct llmt_engine_job {
    llmt_request req;            /* contents borrowed until done(); model fields ignored */
    const char *const *chain;    /* chain[0]: "provider:model"; then fallbacks in order */
    size_t n_chain;              /* >= 1 */
    void *user;                  /* for the producer */
    /* A fetch instead of a completion when not NULL: this request is sent as it is
     * (no provider code, no key, no limiter, no cache, no price) and its reply, whatever
     * its HTTP status, is the outcome's `fetched`. chain[0] names it in messages;
     * transport failures are retried under the job's policy. Borrowed until done(). */
    const llmt_http_request *fetch;
    const char *fetch_secret;    /* a key the fetch carries: redacted from logs and errors */
    /* Who asks, for the cassettes (llmt_engine_options.record/replay): a run's task,
     * case and 0-based repeat. NULL task: the job takes no part. Borrowed until done(). */
    const char *task, *kase;
    int repeat;
} llmt_engine_job;

/* One attempt of a job, as results.jsonl's "attempts" records it. A plain struct, not
 * a JSON object: attempts are recorded on the event-loop thread for every request. */
typedef struct llmt_attempt {
    const char *model;       /* the chain entry tried; borrowed from the job's chain */
    llmt_status status;      /* LLMT_OK, or the failure's class */
    double latency_ms;
    int http_status;         /* of a failure; 0 = none */
    char *message;           /* a failure's message (owned); NULL for a success */
    long input_tokens;       /* billed for this attempt (0 for a failure) */
    long output_tokens;
    bool cost_known;         /* false: the answering model has no price */
    double cost_usd;
    bool cached;             /* answered from the response cache */
    bool replayed;           /* answered from the replay cassette */
} llmt_attempt;

/* A job's attempts in order; owned by its holder, freed with llmt_attempts_free. */
typedef struct llmt_attempts {
    llmt_attempt *v;
    unsigned n, cap;
} llmt_attempts;
void llmt_attempts_free(llmt_attempts *a);

/* How a job ended; valid only during done(). done() may move `response` and `attempts`
 * out to keep them longer (e.g. to score on another thread): copy *response and zero
 * it, copy `attempts` and zero it; the engine then frees nothing. */
typedef struct llmt_engine_outcome {
    llmt_status status;              /* LLMT_OK, or the class of the last failure */
    const llmt_error *error;         /* when status != LLMT_OK */
    llmt_response *response;         /* when LLMT_OK: latency_ms is the answering attempt's */
    const char *answered_by;         /* the chain entry that answered, or NULL */
    size_t chain_index;              /* the last chain entry tried (answered_by's) */
    const llmt_error *first_failure; /* why chain[0] failed, once the job moved on to a
                                        fallback; else NULL */
    llmt_attempts attempts;          /* every attempt, in order */
    unsigned n_attempts;
    llmt_usage usage;                /* summed over every attempt that reported usage */
    double cost_usd;                 /* likewise */
    bool cost_known;                 /* false when an attempt with usage had no price */
    double elapsed_ms;               /* first dispatch to the end */
    bool preanswered;                /* answered by llmt_engine_options.preanswer */
    llmt_http_result *fetched;       /* a fetch job's reply when LLMT_OK; done() may move it
                                        out (copy it and zero it) */
} llmt_engine_outcome;

/* Lines of llmt_engine_stats.limits: one per provider a run sent to, at most. */
#define LLMT_ENGINE_MAX_LIMIT_LINES 8

typedef struct llmt_engine_stats {
    size_t done, failed, cancelled, budget_skipped;
    size_t attempts, retries, fallbacks, throttled;
    size_t in_flight;
    double spent_usd;
    /* answers whose reported usage cost more than their budget reservation (the estimate
     * of the input plus the output bound), and by how much in total */
    size_t over_estimate_calls;
    double over_estimate_usd;
    double elapsed_ms;
    bool interrupted;
    /* what holds the run back: the limit that held dispatch back most often so far, e.g.
     * "NAME: 500 requests/min (shipped default; its replies named no limit)" or
     * "--concurrency 8";
     * "" while nothing has */
    char binding[192];
    /* at the end: per provider sent to, the limits in force and where they came from */
    char limits[LLMT_ENGINE_MAX_LIMIT_LINES][192];
    size_t n_limits;
} llmt_engine_stats;

/* The callbacks are called one at a time, but not always on the thread that called
 * llmt_engine_run: with several lanes, on any lane's thread. */
typedef struct llmt_engine_callbacks {
    /* Hands out the next job (*job stays the producer's), or returns false when none is
     * left. Called only while the engine has room for it. */
    bool (*next)(void *ud, llmt_engine_job **job);
    /* A job ended (every job handed out ends exactly once). */
    void (*done)(void *ud, llmt_engine_job *job, llmt_engine_outcome *o);
    /* Optional; called about every 100 ms and once at the end. */
    void (*progress)(void *ud, const llmt_engine_stats *s);
    void *ud;
} llmt_engine_callbacks;

/* Most event loops one run uses (llmt_engine_options.lanes). */
#define LLMT_ENGINE_MAX_LANES 16

/* A provider's rate limit for one run (run --provider-limit), over its configured
 * rate_limit; the configuration itself is left alone. */
typedef struct llmt_rate_override {
    const char *provider;
    long concurrency, rpm, tpm;  /* -1 = the configured value; 0 = unlimited */
} llmt_rate_override;

typedef struct llmt_engine_options {
    long concurrency;            /* requests in flight at once, all providers; >= 1 */
    long lanes;                  /* event loops sharing the concurrency, each on its own
                                    thread; 0 = automatic (one per CPU while each gets
                                    16 slots: 1 below concurrency 32) */
    long timeout_ms;             /* total per HTTP request; 0 = manager's/120 s */
    long connect_timeout_ms;     /* 0 = manager's/10 s */
    llmt_retry_policy retry;
    double budget_usd;           /* < 0: no budget */
    double grace_ms;             /* in-flight time allowed after an interrupt */
    const volatile sig_atomic_t *interrupted; /* non-zero: stop; NULL = never */
    uint64_t seed;               /* for backoff jitter */
    /* Optional (run --batch): answers a job's first model without sending anything.
     * Called once the call is prepared; returns false to send it as usual, true when it
     * answered: *st LLMT_OK with *resp filled and priced, or a failure class with err
     * filled (the job ends with it; no fallback, no retry). */
    bool (*preanswer)(void *ud, const llmt_engine_job *job, struct llmt_call *call,
                      llmt_response *resp, llmt_status *st, llmt_error *err);
    void *preanswer_ud;
    const llmt_rate_override *rate_overrides; /* borrowed for the run; may be NULL */
    size_t n_rate_overrides;
    double limit_share;          /* this process's share of every provider's rpm/tpm, shipped,
                                    configured or learned (--limit-share; run: 1/N with
                                    --shard K/N); 0 or 1 = all */
    /* Cassettes (store/cassette.h, borrowed; NULL = none): `record` gets every attempt
     * of the jobs that name their task; with `replay` those jobs are answered from it
     * and never sent (no connection, no limiter waits, no backoff sleeps, no simulated
     * latency; a request it lacks ends the job with LLMT_E_NOT_RECORDED). The response
     * cache is not used for them. The caller writes `record` after the run. */
    struct llmt_cassette *record, *replay;
} llmt_engine_options;

/* Defaults: concurrency 8, 3 retries, backoff 500 ms doubling up to 30 s, 300 s per
 * job, no budget, 3 s grace. */
void llmt_engine_options_init(llmt_engine_options *o);

/* Runs until the producer is exhausted and every job has ended (or the run was
 * interrupted). Provider failures are outcomes, not a failed run; the status fails
 * only when the engine itself cannot work (no memory, curl unusable). */
llmt_status llmt_engine_run(llmt_manager *mgr, const llmt_engine_options *o,
                            const llmt_engine_callbacks *cb, llmt_engine_stats *stats,
                            llmt_error *err);

/* Cost range of one request to `model_ref` before sending: min assumes no output,
 * max assumes the output bound (max_tokens, else the model's max output, else 4096).
 * *known is false when the model has no price (both are then 0). Also gives the input
 * token estimate. */
llmt_status llmt_engine_estimate(llmt_manager *mgr, const char *model_ref,
                                 const llmt_request *req, double *min_usd, double *max_usd,
                                 bool *known, long *input_tokens, llmt_error *err);

/* Whether the fallback policy moves on to the next model after a failure of class st
 * (every provider-call class except bad_request; never budget/cancelled/internal). */
bool llmt_engine_fallback_covers(llmt_status st);

/* ---- the job API for callers that are not a run ---------------------------------------
 * llmt_manager_complete, llmt_complete_with_fallbacks, and the CLI's one-off calls are
 * one-job runs of the engine: the same retries, fallbacks, cache and checks as a run. */

/* Whether a model of the chain is a reasoning model: its request's output bound then
 * leaves room for the reasoning. Unknown models count as not reasoning. */
bool llmt_engine_chain_reasons(llmt_manager *mgr, const char *const *chain, size_t n);

/* The one fallback chain of a model, each model once: the model; with follow_config its
 * configured `fallbacks`, then its provider's; then `extra` in order; then, with
 * follow_config, the configured chains of each fallback in turn (breadth-first), so a
 * fallback's own fallbacks are tried before giving up. Returns an owned vector of owned
 * strings (llmt_free_strv(v, *n)), or NULL when out of memory. An unknown model keeps
 * its place: trying it records why it failed. */
char **llmt_engine_chain(llmt_manager *mgr, const char *model_ref, const char *const *extra,
                         size_t n_extra, bool follow_config, size_t *n);

/* How a one-job run ended. Owned by the caller: llmt_job_result_clear(). */
typedef struct llmt_job_result {
    llmt_status status;
    llmt_error error;                /* when status != LLMT_OK */
    llmt_error first_failure;        /* why chain[0] failed (status LLMT_OK if it did not) */
    llmt_response response;          /* when LLMT_OK */
    const char *answered_by;         /* borrowed from the chain; NULL on failure */
    size_t models_tried;
    unsigned n_attempts;
    llmt_usage usage;                /* summed over every attempt */
    double cost_usd;
    bool cost_known;
} llmt_job_result;

/* Runs one job (req sent to chain[0], then the fallbacks) to its end under `retry`,
 * with the manager's timeouts. Fills *out in every case; the status is out->status, or
 * the engine's own failure (no memory). */
llmt_status llmt_engine_run_one(llmt_manager *mgr, const llmt_request *req,
                                const char *const *chain, size_t n_chain,
                                const llmt_retry_policy *retry, llmt_job_result *out,
                                llmt_error *err);
void llmt_job_result_clear(llmt_job_result *r);

/* Who a one-job run is, for the cassettes: a call a run makes besides its jobs (the
 * optimizer model's, run --optimize) is recorded and replayed under this name. */
typedef struct llmt_engine_tape {
    const char *task, *kase;         /* as a run job's; repeat 0 */
    struct llmt_cassette *record, *replay; /* borrowed; NULL: none */
} llmt_engine_tape;

/* llmt_engine_run_one, recorded into tape->record or answered from tape->replay (tape
 * NULL: neither). */
llmt_status llmt_engine_run_one_taped(llmt_manager *mgr, const llmt_request *req,
                                      const char *const *chain, size_t n_chain,
                                      const llmt_retry_policy *retry,
                                      const llmt_engine_tape *tape, llmt_job_result *out,
                                      llmt_error *err);

/* One fetch job (see llmt_engine_job.fetch) run to its end with the manager's
 * timeouts, or timeout_ms when > 0, and `retry` for transport failures: the same
 * transfer, redaction and logging as every provider call. On LLMT_OK *out holds the
 * reply, whatever its HTTP status (free it with llmt_http_result_free); else err says
 * why nothing came back, naming `who`. `secret` (NULL: none) is redacted. */
llmt_status llmt_engine_fetch(llmt_manager *mgr, const char *who, const llmt_http_request *req,
                              const char *secret, long timeout_ms,
                              const llmt_retry_policy *retry, llmt_http_result *out,
                              llmt_error *err);

#endif
