/*
 * The manager: what applications call. It knows every provider (built-ins and
 * plugins), creates instances on first use, sends a request to "provider:model",
 * and prices the answer from the model's configured rates.
 *
 * Thread-safety: one manager must be used from one thread at a time (it caches
 * provider instances). Create one manager per thread, or lock around calls.
 */
#ifndef LLMT_MANAGER_H
#define LLMT_MANAGER_H

#include "common.h"
#include "error.h"
#include "log.h"
#include "provider.h"

LLMT_BEGIN_DECLS

typedef struct llmt_manager llmt_manager;

typedef struct llmt_manager_options {
    unsigned int version;            /* LLMT_MANAGER_OPTIONS_VERSION */
    const char *project_dir;         /* where .env lives; NULL = current directory */
    llmt_logger logger;              /* where diagnostics go; zeroed = nowhere */
    uint64_t seed;                   /* for simulating providers */
    const char *mock_rules_path;     /* kept for compatibility: the same as the provider
                                        option "mock.rules=PATH" (see provider_options) */
    long timeout_ms;                 /* total per request; 0 = 120000 */
    long connect_timeout_ms;         /* 0 = 10000 */
    long max_file_bytes;             /* files larger than this are refused before sending;
                                        0 = 20 MB (LLMT_DEFAULT_MAX_FILE_BYTES) */
    /* version 2: */
    const char *plugin_path;         /* colon-separated directories holding plugins as
                                        <dir>/<name>/<name>.so + config.json; NULL = none.
                                        The library never reads LLMT_PLUGIN_PATH itself:
                                        the application decides (the CLI passes it). */
    /* version 3: */
    const char *project_config_path; /* llm-tester.json (or a pyllm_config.json, migrated in
                                        memory); NULL = no project. Its folder becomes the
                                        project folder (.env, providers/<name>.json overrides)
                                        unless project_dir is set; its enabled/disabled
                                        providers apply. */
    /* version 4: */
    const char *const *provider_options; /* "provider.key=value" strings, e.g.
                                        "mock.rules=rules.json": each goes to that provider
                                        only (its init's options_json, {"key": "value"}),
                                        over the "options" of its config and project
                                        override. An unknown provider or a string without
                                        '.' or '=' fails llmt_manager_new. Borrowed. */
    size_t n_provider_options;
} llmt_manager_options;

#define LLMT_DEFAULT_MAX_FILE_BYTES (20L * 1024 * 1024)

#define LLMT_MANAGER_OPTIONS_VERSION 4u
#define LLMT_MANAGER_OPTIONS_INIT {LLMT_MANAGER_OPTIONS_VERSION, NULL, {NULL, NULL, LLMT_LOG_WARN}, 0, NULL, 0, 0, 0, NULL, NULL, NULL, 0}

/* Fills opts with the defaults of `version` (pass LLMT_MANAGER_OPTIONS_VERSION: the
 * version this header describes), as LLMT_MANAGER_OPTIONS_INIT does, writing only the
 * fields that version has (an older caller's struct is shorter). LLMT_E_INVALID_ARG,
 * opts untouched, for a version this library does not know. */
LLMT_API llmt_status llmt_manager_options_init(llmt_manager_options *opts, unsigned int version);

/* Creates a manager with all built-in providers whose configuration is valid, plus the
 * plugins found on opts->plugin_path. A refused plugin (wrong ABI, missing op, invalid
 * config.json, name clash) is logged at warning level and skipped: it never makes this
 * call fail.
 * On success *out owns everything; free it with llmt_manager_free(). On failure *out
 * is left untouched and err says why (an invalid provider config is LLMT_E_CONFIG
 * naming the file and JSON path). `opts` may be NULL for defaults; it is copied. */
LLMT_API llmt_status llmt_manager_new(llmt_manager **out, const llmt_manager_options *opts,
                                      llmt_error *err);

/* NULL is ignored. */
LLMT_API void llmt_manager_free(llmt_manager *mgr);

/* Sends `req` to `model_ref` ("provider:model", split at the first ':'), waits for the
 * answer and fills `out` (which the caller clears with llmt_response_clear()).
 * req->model and req->model_info are ignored: they come from model_ref and the config.
 * The library chooses the structured-output mode the model supports and records it in
 * out->structured_mode; out->cost_usd is priced from the config (cost_known false when
 * the model has no price). On failure `out` is left empty and `err` is filled. */
LLMT_API llmt_status llmt_manager_complete(llmt_manager *mgr, const char *model_ref,
                                           const llmt_request *req, llmt_response *out,
                                           llmt_error *err);

LLMT_END_DECLS

#endif
