/*
 * What an application calls beyond llmt_manager_complete(): a completion that falls back
 * to other models, and a one-call structured extraction
 *     schema + prompt + source → validated JSON + usage + cost
 * with a secondary model as fallback (the Python tool's "bridge").
 *
 * Thread-safety: like the manager these functions use, one manager must be used from one
 * thread at a time. Everything else here is plain data owned by the caller.
 *
 * Blocking: these calls wait for the answer. Retryable failures (rate_limit, timeout,
 * network, server, overloaded) are retried after the server's hint or a full-jitter
 * backoff, so a call may wait; a mock model's simulated latency is waited out too.
 */
#ifndef LLMT_EXTRACT_API_H
#define LLMT_EXTRACT_API_H

#include "common.h"
#include "error.h"
#include "manager.h"
#include "provider.h"

LLMT_BEGIN_DECLS

/* ---- completion with fallbacks ------------------------------------------------------ */

typedef struct llmt_fallback_options {
    unsigned int version;              /* LLMT_FALLBACK_OPTIONS_VERSION */
    const char *const *fallbacks;      /* "provider:model" tried in order after the first
                                          model failed; borrowed; may be NULL */
    size_t n_fallbacks;
    bool skip_config_fallbacks;        /* false: then the failed model's configured
                                          "fallbacks" chain (config.json) is tried too */
    int max_attempts;                  /* attempts of retryable failures, shared by the
                                          whole chain (max_attempts - 1 retries); 0 = 3 */
    long backoff_ms;                   /* ceiling of the first backoff when the provider gave
                                          no hint (full jitter: a uniform wait below it);
                                          doubles each time; 0 = 500 */
    long max_backoff_ms;               /* largest backoff ceiling; a provider's hint is
                                          obeyed up to a day, within the 300 s that retries
                                          may take in all; 0 = 30000 */
} llmt_fallback_options;

#define LLMT_FALLBACK_OPTIONS_VERSION 1u
#define LLMT_FALLBACK_OPTIONS_INIT {LLMT_FALLBACK_OPTIONS_VERSION, NULL, 0, false, 0, 0, 0}

/* Fills opts with the defaults of `version` (pass LLMT_FALLBACK_OPTIONS_VERSION), as
 * LLMT_FALLBACK_OPTIONS_INIT does. LLMT_E_INVALID_ARG, opts untouched, for an unknown
 * version. */
LLMT_API llmt_status llmt_fallback_options_init(llmt_fallback_options *opts, unsigned int version);

typedef struct llmt_completion {
    llmt_response response;            /* the answer (owned; see llmt_completion_clear) */
    char answered_by[256];             /* "provider:model" that answered */
    unsigned calls;                    /* provider calls made, retries and fallbacks included */
    unsigned models_tried;             /* 1 when the first model answered */
    llmt_error first_failure;          /* why the first model failed (status LLMT_OK if it
                                          did not) */
} llmt_completion;

/* Sends `req` to `model_ref` as one job of the run engine (its retry and fallback
 * policy, docs/architecture.md): when that fails (after retries) with a provider-side
 * error (not bad_request, invalid_arg, the library's own failures, cancelled or
 * budget), tries the model's configured chain (unless skip_config_fallbacks), then
 * opts->fallbacks in order, then the fallbacks' configured chains, each model once.
 * On success *out holds the answer; on failure *out holds no response (but calls,
 * models_tried and first_failure are set) and err describes the last failure.
 * `opts` may be NULL for defaults. The caller clears *out with llmt_completion_clear()
 * in both cases. */
LLMT_API llmt_status llmt_complete_with_fallbacks(llmt_manager *mgr, const char *model_ref,
                                                  const llmt_request *req,
                                                  const llmt_fallback_options *opts,
                                                  llmt_completion *out, llmt_error *err);

/* Frees the response and zeroes *c. NULL ok. */
LLMT_API void llmt_completion_clear(llmt_completion *c);

/* ---- structured extraction ---------------------------------------------------------- */

typedef struct llmt_extraction_options {
    unsigned int version;              /* LLMT_EXTRACTION_OPTIONS_VERSION */
    const char *model;                 /* primary "provider:model" (required) */
    const char *secondary_model;       /* asked when the primary fails or its answer is not
                                          valid JSON for the schema; NULL = none */
    const char *system_prompt;         /* NULL: the provider's configured one */
    const char *schema_name;           /* for providers that name schemas; NULL = "answer" */
    long max_tokens;                   /* 0 = model default */
    double temperature;                /* < 0 = provider default; INIT sets 0 */
    llmt_fallback_options retry;       /* retries per model (fallbacks lists ignored: the
                                          secondary model is the fallback) */
} llmt_extraction_options;

#define LLMT_EXTRACTION_OPTIONS_VERSION 1u
#define LLMT_EXTRACTION_OPTIONS_INIT                                                          \
    {LLMT_EXTRACTION_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0.0,                         \
     {LLMT_FALLBACK_OPTIONS_VERSION, NULL, 0, true, 0, 0, 0}}

/* Fills opts with the defaults of `version` (pass LLMT_EXTRACTION_OPTIONS_VERSION), as
 * LLMT_EXTRACTION_OPTIONS_INIT does. LLMT_E_INVALID_ARG, opts untouched, for an unknown
 * version. */
LLMT_API llmt_status llmt_extraction_options_init(llmt_extraction_options *opts,
                                                  unsigned int version);

typedef struct llmt_extraction {
    char *json;                        /* the validated answer, compact JSON (owned); NULL
                                          when no model produced a valid one */
    char *raw_reply;                   /* the last reply text as received (owned), or NULL */
    char answered_by[256];             /* "provider:model" of `json` (or of the last reply) */
    bool used_secondary;               /* the secondary model was asked */
    llmt_usage usage;                  /* summed over every call made */
    double cost_usd;                   /* summed over every call made */
    bool cost_known;                   /* false when a model used has no price */
    unsigned calls;                    /* provider calls made */
    char **violations;                 /* schema violations of the last invalid answer,
                                          "/path: message" (owned), or NULL */
    size_t n_violations;
} llmt_extraction;

/* Asks opts->model to answer `prompt` about `source` with JSON matching `schema_json`
 * (a JSON Schema, text), extracts the JSON from the reply (whole text, fenced block or
 * first {...}) and validates it. If the call fails or the answer is invalid and a
 * secondary model is set, asks it the same. Returns LLMT_OK with out->json set when a
 * valid answer came back; LLMT_E_BAD_RESPONSE when answers came back but none was valid
 * (out->violations and raw_reply say why); LLMT_E_CONFIG when the schema itself is
 * invalid; the provider's error class when no model answered. In every case the caller
 * frees *out with llmt_extraction_clear(); usage and cost count every call made. */
LLMT_API llmt_status llmt_extract_structured(llmt_manager *mgr, const char *schema_json,
                                             const char *prompt, const char *source,
                                             const llmt_extraction_options *opts,
                                             llmt_extraction *out, llmt_error *err);

/* Frees what *x owns and zeroes it. NULL ok. */
LLMT_API void llmt_extraction_clear(llmt_extraction *x);

LLMT_END_DECLS

#endif
