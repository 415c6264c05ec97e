/*
 * run --batch: the share of a run that goes through providers' batch APIs.
 *
 * The runner first walks the run's pending jobs and hands every prepared call of a
 * batch-capable provider to llmt_batch_add (grouped per provider and model, split at
 * the provider's documented limits). llmt_batch_run submits the new groups (recording
 * each batch id in <output>/batches.jsonl, appended and synced, as soon as the provider
 * names it), polls every batch that still has unanswered lines until it has ended
 * (backing off from poll_ms to poll_max_ms), and reads the results. The engine then
 * answers those jobs with llmt_batch_answer instead of sending them: the result line's
 * status and body go through the provider's interactive parse path.
 *
 * On --resume the recorded batches are polled again instead of being submitted twice;
 * a batch whose lines all have results is not contacted at all, and an ended batch's
 * results files are downloaded only while some of its pending lines lack a result (the
 * APIs return whole files; a file read once is not read again).
 */
#ifndef LLMT_RUN_BATCH_H
#define LLMT_RUN_BATCH_H

#include <signal.h>
#include "llmt/manager.h"
#include "provider/call.h"

typedef struct llmt_batch_set llmt_batch_set;

typedef struct llmt_batch_progress {
    size_t batches, ended;      /* batches of this run, and how many have ended */
    long total, succeeded, failed; /* request counts summed over them */
    const char *last_state;     /* the provider's word for the batch polled last */
} llmt_batch_progress;

typedef struct llmt_batch_options {
    const char *dir;            /* output folder: batches.jsonl lives there */
    const char *label;          /* run id, sent as batch metadata */
    double poll_ms;             /* first poll interval (0 = 5 s; LLMT_BATCH_POLL_MS) */
    double poll_max_ms;         /* backoff cap (0 = 5 min) */
    double budget_usd;          /* < 0: none; lines past it are not submitted */
    const volatile sig_atomic_t *interrupted;
    void (*progress)(void *ud, const llmt_batch_progress *p);
    void *progress_ud;
} llmt_batch_options;

/* Whether the provider implements every batch slot (and runs batches). */
bool llmt_batch_capable(const llmt_provider_entry *e);

/* Reads <dir>/batches.jsonl when there is one (a resumed run). */
llmt_status llmt_batch_set_new(llmt_manager *mgr, const llmt_batch_options *o,
                               llmt_batch_set **out, llmt_error *err);
void llmt_batch_set_free(llmt_batch_set *s);

/* The custom_id of a job: "llmt-" + 16 hex digits of a hash of task, case, model
 * reference and repeat (stable across invocations). Writes into buf (>= 22 bytes). */
void llmt_batch_custom_id(const char *task, const char *kase, const char *model_ref, int repeat,
                          char *buf, size_t n);

/* A pending job: already in a recorded batch (that batch will be polled), or added to
 * a new one as its provider's batch line. `max_cost_usd` (< 0 unknown) counts against
 * the budget; a line past it is not added (llmt_batch_answer then has nothing). */
llmt_status llmt_batch_add(llmt_batch_set *s, const llmt_call *call, const char *custom_id,
                           double max_cost_usd, llmt_error *err);

/* Whether model_ref ("provider:model") goes through a batch API: its provider has one
 * and starts (a provider without its key fails its jobs when they run, interactively). */
bool llmt_batch_model(llmt_manager *mgr, const char *model_ref);

/* What a batch request to model_ref costs relative to an interactive one (1 for a
 * provider without a batch API). */
double llmt_batch_factor(llmt_manager *mgr, const char *model_ref);

/* llmt_batch_add for a job's request to model_ref: prepared exactly as the engine
 * prepares it, its worst-case cost at the batch price counted against the budget. A job
 * that cannot be prepared or sent (files the model does not take) is left out: it fails
 * with its class when it runs. */
llmt_status llmt_batch_add_job(llmt_batch_set *s, const char *model_ref, const llmt_request *req,
                               const char *custom_id, llmt_error *err);

/* The engine's preanswer for a batch job: false when custom_id is not a batch job;
 * otherwise *st is how it ended (llmt_batch_answer's classes, or what the provider's
 * parse_response/classify_error made of its result line) and on success *resp is
 * stamped and priced at the batch rate, "from_batch". */
bool llmt_batch_answer_call(llmt_batch_set *s, const char *custom_id, llmt_call *call,
                            llmt_response *resp, llmt_status *st, llmt_error *err);

/* A batch job's answer as results show it, from a batch API or a cassette: stamped
 * (llmt_call_stamp), priced at the batch rate, "from_batch". */
void llmt_batch_stamp(llmt_call *call, llmt_response *resp);

/* The worst-case cost of the lines added to new batches (what --budget reserves). */
double llmt_batch_reserved(const llmt_batch_set *s);

/* Submits the new batches, recording each one in batches.jsonl as soon as it is named.
 * A batch the provider refuses is recorded as the failure of its lines, not returned. */
llmt_status llmt_batch_submit_all(llmt_batch_set *s, llmt_error *err);
/* Polls until every needed batch has ended (or *interrupted) and reads their results.
 * Provider failures of one batch are recorded for its lines, not returned. */
void llmt_batch_wait(llmt_batch_set *s);

/* What the batch said for custom_id: LLMT_OK with *http filled (status and body, borrowed
 * from s) for a line with a reply; a failure class with err filled for a failed or
 * expired line; LLMT_E_CANCELLED when the line has no result yet (an interrupted run,
 * a cancelled batch); LLMT_E_BUDGET when it was not submitted for the budget;
 * LLMT_E_NOT_FOUND when the job is not a batch job at all. */
llmt_status llmt_batch_answer(llmt_batch_set *s, const char *custom_id,
                              llmt_http_response *http, llmt_error *err);

/* `batches list|cancel DIR`: the recorded batches of a run, polled now (one line each
 * through `line`), and with cancel=true each one not yet ended is cancelled. */
llmt_status llmt_batch_list(llmt_manager *mgr, const char *dir, bool cancel,
                            void (*line)(void *ud, const char *text), void *ud, llmt_error *err);

#endif
