/* Between the engine and the cassettes (store/cassette.h): what one attempt sent and
 * got, recorded (`run --record DIR`) or answered from a cassette (`run --replay DIR`).
 *
 * The engine calls these where it would send: with a replay cassette it builds the
 * request as usual and, instead of a transfer (or a local provider's `call`), looks it
 * up here; the recorded reply goes through the same reply handling
 * (llmt_call_handle_http), so usage, text and errors come out as when recorded. With a
 * record cassette it keeps the body as built and the reply as received, and puts the
 * exchange in once the attempt has been priced. Only run jobs take part (a job that
 * names its task); library calls and fetch jobs never do. Called under the engine's
 * lock. */
#ifndef LLMT_TAPE_H
#define LLMT_TAPE_H

#include "exec/batch.h"
#include "exec/engine.h"
#include "provider/call.h"
#include "store/cassette.h"

/* One attempt's exchange, held by the engine's job between sending and pricing. */
typedef struct llmt_tape_slot {
    char *request;            /* owned: the body as built, or a local provider's request key */
    char *reply;              /* owned: the reply body (HTTP) */
    size_t reply_len;
    long http_status;
    llmt_http_header *headers; /* owned: the reply's headers the cassette keeps */
    size_t n_headers;
    double received_at;       /* wall clock when the reply came */
    bool batch;               /* a batch job's (run --batch): request and reply are its
                                 batch line and result */
    bool replayed;            /* answered from the cassette: the fields below stand */
    double latency_ms;        /* recorded */
    bool cost_known;
    double cost_usd;
    double at_ms;             /* recorded start, after the job's first attempt; < 0 unknown */
    const llmt_cassette_entry *hit; /* the recorded exchange (borrowed from the cassette) */
} llmt_tape_slot;

void llmt_tape_slot_clear(llmt_tape_slot *s);

/* Whether a job takes part in record/replay (a run job that names its task). */
bool llmt_tape_applies(const llmt_cassette *c, const llmt_engine_job *job);

/* RECORD: every configured API key (each provider's env_key, from the environment or
 * the project's .env) is redacted from what is recorded, whether or not the run uses
 * its provider (a reply may echo any of them). */
void llmt_tape_redact_keys(llmt_cassette *c, llmt_registry *reg, const char *project_dir);

/* RECORD, HTTP: keeps the body that was sent and the reply received (moved out of res,
 * which is being released anyway) with the headers the cassette keeps and the wall
 * time `received_at` its hints were read against; res NULL: a transport failure, no
 * reply. */
void llmt_tape_keep_http(llmt_tape_slot *s, llmt_http_request *req, llmt_http_result *res,
                         double received_at);

/* RECORD/REPLAY, local providers: the canonical request key stands in for the body. */
void llmt_tape_keep_local(llmt_tape_slot *s, const llmt_call *call);

/* RECORD: the attempt of chain entry `model` that started at_ms after the job's first
 * attempt, ended with st (resp when LLMT_OK, else err) and took latency_ms; `done` are
 * the job's attempts before it (to number it). The provider's API key is redacted. A
 * failure to record is logged. */
void llmt_tape_put(llmt_cassette *c, const llmt_engine_job *job, const char *model,
                   const llmt_attempts *done, const llmt_call *call, llmt_tape_slot *s,
                   llmt_status st, const llmt_response *resp, const llmt_error *err,
                   double at_ms, double latency_ms, const llmt_logger *lg);

/* RECORD: the run chose not to send the attempt of chain entry `model` (its provider
 * paused for longer than the job had left): err, what the job was told, is kept with the
 * time (at_ms after the job's first attempt), so that a replay, which has no pauses,
 * decides the same. */
void llmt_tape_put_unsent(llmt_cassette *c, const llmt_engine_job *job, const char *model,
                          const llmt_attempts *done, const llmt_error *err, double at_ms,
                          const llmt_logger *lg);

/* REPLAY: whether the recorded run chose not to send this attempt; then err is what the
 * job was told and *at_ms when (< 0 unknown). */
bool llmt_tape_unsent(llmt_cassette *c, const llmt_engine_job *job, const char *model,
                      const llmt_attempts *done, llmt_error *err, double *at_ms);

/* RECORD, run --batch: a job its batch line answered (st, resp or err, as the batch
 * set's llmt_batch_answer_call made them), `custom_id` its line's id in `set`. The
 * batch line stands for the request, its result's body for the reply. A job with no
 * result (an interrupted run) is not recorded. */
void llmt_tape_put_batch(llmt_cassette *c, const llmt_engine_job *job, llmt_call *call,
                         llmt_batch_set *set, const char *custom_id, llmt_status st,
                         const llmt_response *resp, const llmt_error *err,
                         const llmt_logger *lg);

/* REPLAY, run --batch (the engine's preanswer): answers a batch job from the cassette
 * without any batch API, its line built as for submitting it and compared with the
 * recorded one; the recorded result goes through the provider's parse path and is
 * priced at the batch rate, as when recorded. False when the cassette has no batch
 * exchange for the job (recorded interactively, or not at all): it then runs as the
 * engine runs it, replayed or missed there. */
bool llmt_tape_replay_batch(llmt_cassette *c, const llmt_engine_job *job, llmt_call *call,
                            const char *custom_id, llmt_response *resp, llmt_status *st,
                            llmt_error *err);

/* REPLAY: answers the attempt of chain entry `model` whose request is `body` (HTTP:
 * req->body; local: NULL, the slot's request key is used) from the cassette. A hit
 * fills resp (or err with the recorded failure) exactly as the provider code does for
 * that reply and marks the slot replayed; a miss is LLMT_E_NOT_RECORDED (not retried)
 * with the cassette's message. */
llmt_status llmt_tape_replay(llmt_cassette *c, const llmt_engine_job *job, const char *model,
                             const llmt_attempts *done, llmt_call *call,
                             const llmt_http_request *req, llmt_tape_slot *s,
                             llmt_response *resp, llmt_error *err);

/* REPLAY: the recorded HTTP reply of a replayed slot (headers included, and the time it
 * arrived as view->received_at), to read as a live one is read after its handling (the
 * learned limits); false when there is none. */
bool llmt_tape_reply(const llmt_tape_slot *s, llmt_http_response *view);

/* The job's clock at the end of an attempt, for its retry time limit: `now`, or for a
 * replayed attempt the recorded one (first_start_ms + when it started + its latency),
 * so that a replay gives up where the recorded run gave up though it never waits. */
double llmt_tape_clock(const llmt_tape_slot *s, double first_start_ms, double now);

/* REPLAY, after the engine priced a replayed answer: the recorded latency and cost
 * stand (*latency_ms too; resp NULL for a failure: the latency only). No-op for a slot
 * that was not replayed. */
void llmt_tape_apply(const llmt_tape_slot *s, llmt_response *resp, double *latency_ms);

#endif
