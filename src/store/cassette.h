/* Cassettes: a run's provider exchanges recorded as reviewable text files, committed
 * beside the tasks and replayed offline (`run --record DIR`, `run --replay DIR`).
 *
 * The response cache (store/cache.h) is a private SQLite file with a TTL; a cassette is
 * a fixture: one JSON Lines file per task (DIR/<task>.jsonl), one line per exchange in a
 * stable order (case, model, repeat, attempt), holding the request body as sent (never
 * headers, never keys), the reply body byte for byte, the HTTP status, usage, latency
 * and cost. Replaying feeds the recorded reply to the same provider code that parsed it
 * the first time, so a replayed run scores exactly what the recorded run scored.
 *
 * An exchange is found by who asked (task, case, the chain entry "provider:model", the
 * repeat and the attempt number of that model within the job), then checked: the
 * request that would be sent now must equal the recorded one. A request that changed
 * (a new prompt, another schema transform) is a miss that names the first field that
 * differs, so a cassette recorded with one version replays with the next unless what it
 * sends changed.
 *
 * Thread safety: put() and find() may be called from several threads (the engine's
 * lanes); the cassette locks itself. */
#ifndef LLMT_CASSETTE_H
#define LLMT_CASSETTE_H

#include <stdbool.h>
#include <stddef.h>
#include "llmt/error.h"
#include "llmt/provider.h"

/* The format written: each line says "format": 2. A line without it is format 1 (no
 * reply headers, no attempt times, a failure's class and message only), still read. */
#define LLMT_CASSETTE_FORMAT 2

typedef struct llmt_cassette llmt_cassette;

typedef enum llmt_cassette_mode {
    LLMT_CASSETTE_RECORD = 1, /* keep what is there, add and replace exchanges, write at close */
    LLMT_CASSETTE_REPLAY = 2  /* answer from the files; never write */
} llmt_cassette_mode;

/* One exchange. Strings are borrowed by put() (copied) and owned by the cassette in what
 * find() returns (valid until llmt_cassette_free). */
typedef struct llmt_cassette_entry {
    const char *task, *kase;
    const char *model;          /* the chain entry asked, "provider:model" */
    int repeat;                 /* 0-based */
    int attempt;                /* 1-based, counting the attempts to this model in the job */
    const char *key;            /* canonical request key (store/cache.h), or NULL */
    const char *request;        /* the body as sent: JSON text (a local provider's request
                                   key stands in for it) */
    const char *reply;          /* the reply body, byte for byte (NULL: none, e.g. a
                                   transport error) */
    size_t reply_len;
    long http_status;           /* 0 for local providers and transport errors */
    const char *error_class;    /* a failure without a reply (timeout, network), or NULL */
    const char *error_message;
    long input_tokens, output_tokens; /* -1: not reported */
    double latency_ms;
    bool cost_known;
    double cost_usd;
    /* format 2 (format 1 lines leave them empty / unknown): */
    double at_ms;               /* when the attempt started, ms after the job's first
                                   attempt started; < 0 unknown */
    const llmt_http_header *headers; /* the reply's headers that steer what happens next
                                   (llmt_cassette_keeps_header); put() keeps only those */
    size_t n_headers;
    double received_at;         /* wall clock (s since the epoch) when the reply came, what
                                   its date-valued hints were read against; 0 unknown */
    bool error_detail;          /* a failure without a reply: the fields below are known */
    bool error_retryable;
    int error_http_status;
    double error_retry_after_s; /* < 0: no hint */
    const char *error_code;     /* or NULL */
    bool unsent;                /* not sent: the run chose not to (its provider paused for
                                   longer than the job had left); no request, error_* say
                                   what the job was told */
    bool batch;                 /* answered through a batch API (run --batch): the request
                                   is the job's batch line, the reply its result's body */
} llmt_cassette_entry;

/* Whether a reply header is recorded: the ones that steer retries, learned limits and
 * reply handling (Retry-After and retry-after-ms, any *ratelimit* header, the request
 * ids, Content-Length and Transfer-Encoding). Nothing else is ever written: not
 * Authorization, cookies, keys or any other header. `name` is lower-case. */
bool llmt_cassette_keeps_header(const char *name);
/* Frees n kept headers (names and values, malloc'd) and the array h. */
void llmt_cassette_headers_free(llmt_http_header *h, size_t n);

/* Opens DIR for the mode. RECORD creates DIR and loads its files (to keep exchanges not
 * recorded again); REPLAY requires DIR with at least one .jsonl file. Problems name the
 * file and line. On success *out owns everything; free with llmt_cassette_free(). */
llmt_status llmt_cassette_open(llmt_cassette **out, const char *dir, llmt_cassette_mode mode,
                               llmt_error *err);

/* Secrets (API key values) to blank out of every stored request and reply: any
 * occurrence is written as "[REDACTED]". The strings are copied; a value already known
 * (or shorter than 8 bytes) is skipped, so callers may name a key at every put. */
llmt_status llmt_cassette_redact(llmt_cassette *c, const char *const *secrets, size_t n);

/* Records an exchange, replacing one with the same identity. */
llmt_status llmt_cassette_put(llmt_cassette *c, const llmt_cassette_entry *e, llmt_error *err);

/* REPLAY: the exchange recorded for this identity whose request equals `request` (JSON
 * text, compared as JSON values). On a miss returns LLMT_E_NOT_RECORDED with a message
 * naming the task, case, model and repeat, why (never recorded, or which field of the
 * request changed: its JSON pointer) and how to record it. *out points into the
 * cassette. */
llmt_status llmt_cassette_find(llmt_cassette *c, const llmt_cassette_entry *who,
                               const char *request, const llmt_cassette_entry **out,
                               llmt_error *err);

/* REPLAY: the exchange recorded for this identity, whatever its request; NULL when none.
 * Points into the cassette. */
const llmt_cassette_entry *llmt_cassette_get(llmt_cassette *c, const llmt_cassette_entry *who);

/* RECORD: writes every task's file (sorted, atomically). Idempotent. */
llmt_status llmt_cassette_write(llmt_cassette *c, llmt_error *err);

/* Frees everything (does not write). NULL ok. */
void llmt_cassette_free(llmt_cassette *c);

/* Number of exchanges held. */
size_t llmt_cassette_count(const llmt_cassette *c);

#endif
