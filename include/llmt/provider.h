/*
 * The provider ABI: what a provider (built-in or plugin) implements.
 *
 * A provider is one const table of function pointers, llmt_provider_ops, plus a
 * config.json. Built-ins live in src/providers/<name>/ and define
 *     const llmt_provider_ops llmt_provider_<name>;
 * plugins are shared objects exporting
 *     const llmt_provider_ops *llmt_provider_entry(void);   (LLMT_PROVIDER_ENTRY_SYMBOL)
 *
 * Two kinds of provider share the table:
 *   - HTTP providers implement build_request + parse_response + classify_error.
 *     The library performs the HTTP exchange itself (curl easy or the multi event
 *     loop), so a provider never blocks and never owns a socket.
 *   - Local providers (the mock, simulators) implement `call` and answer directly;
 *     they may ask for a simulated latency, which the engine waits out without
 *     blocking other requests.
 *
 * Versioning (as sqlite3_vfs / git_odb_backend): `abi_version` comes first. The
 * major part (abi_version >> 16) must equal LLMT_PROVIDER_ABI_MAJOR; the minor part
 * says which optional trailing slots exist. Slots are only ever appended.
 *
 * Memory rule: every char* that a provider stores into an output struct
 * (llmt_http_request, llmt_response) is allocated with malloc() and becomes owned
 * by the library, which frees it with free(). Inputs (const) are borrowed and
 * stay valid only for the duration of the call.
 *
 * Threading: the engine may run several event loops ("lanes") on their own threads,
 * so the ops of one instance are called from more than one thread, but never two at
 * once: the engine holds one lock around every provider call. `state` needs no
 * locking of its own unless the provider shares it across instances.
 *
 * This header is self-sufficient: a plugin compiles against it alone (plus libc).
 */
#ifndef LLMT_PROVIDER_H
#define LLMT_PROVIDER_H

#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "error.h"

LLMT_BEGIN_DECLS

#define LLMT_PROVIDER_ABI_MAJOR 1u
#define LLMT_PROVIDER_ABI_MINOR 3u
#define LLMT_PROVIDER_ABI_VERSION ((LLMT_PROVIDER_ABI_MAJOR << 16) | LLMT_PROVIDER_ABI_MINOR)
#define LLMT_PROVIDER_ENTRY_SYMBOL "llmt_provider_entry"

/* Capability flags of a provider (llmt_provider_ops.capabilities). */
enum {
    LLMT_CAP_SYSTEM_PROMPT = 1u << 0, /* has a system prompt slot */
    LLMT_CAP_JSON_OBJECT   = 1u << 1, /* a JSON mode ("any JSON object") */
    LLMT_CAP_JSON_SCHEMA   = 1u << 2, /* schema-constrained output */
    LLMT_CAP_FILES         = 1u << 3, /* images/files in the request */
    LLMT_CAP_LOCAL         = 1u << 4, /* answers without HTTP (implements `call`) */
    LLMT_CAP_NEEDS_REFERENCE = 1u << 5 /* simulates answers from the expected JSON */
};

/* How the answer's structure was requested (recorded in every result). */
typedef enum llmt_structured_mode {
    LLMT_STRUCTURED_PROMPT_ONLY = 0, /* schema described in the prompt only */
    LLMT_STRUCTURED_JSON_OBJECT = 1, /* provider JSON mode */
    LLMT_STRUCTURED_JSON_SCHEMA = 2  /* provider schema-constrained output */
} llmt_structured_mode;

typedef struct llmt_message {
    const char *role;    /* "user" or "assistant" */
    const char *content;
} llmt_message;

typedef struct llmt_file {
    const char *path;       /* for messages only */
    const char *mime_type;  /* "image/png", "application/pdf", ... */
    const unsigned char *data;
    size_t size;
} llmt_file;

/* What a model of a provider can do, from config.json (user-overridable). */
typedef struct llmt_model_info {
    const char *name;          /* API model name */
    long max_input_tokens;     /* 0 = unknown */
    long max_output_tokens;    /* 0 = unknown */
    bool json_schema;          /* supports schema-constrained output */
    bool json_object;          /* supports a JSON mode */
    bool images;               /* accepts images */
    bool reasoning;            /* reasoning model: no temperature, other token field */
} llmt_model_info;

/* One request to one model. All pointers are borrowed for the duration of a call. */
typedef struct llmt_request {
    unsigned int version;          /* LLMT_REQUEST_VERSION */
    const char *model;             /* API model name (the part after "provider:") */
    const llmt_model_info *model_info; /* never NULL when given to a provider */
    const char *system_prompt;     /* may be NULL */
    const llmt_message *messages;
    size_t n_messages;
    const char *json_schema;       /* JSON Schema text, or NULL */
    const char *schema_name;       /* name for providers that need one, or NULL */
    llmt_structured_mode structured_mode; /* the mode the library chose */
    const llmt_file *files;
    size_t n_files;
    long max_tokens;               /* 0 = provider default; already capped to the model */
    double temperature;            /* < 0 = provider default */
    const char *reference;         /* expected answer (JSON); only simulating providers use it */
    const char *prompt_text;       /* the case's prompt alone (also inside messages), or NULL */
    const char *source_text;       /* the case's source alone (also inside messages), or NULL */
    uint64_t seed;                 /* for deterministic simulation */
    const char *case_id;           /* "task/case", for simulating providers and logs */
    /* version 2: */
    const char *task_dir;          /* the case's task folder, or NULL; simulating providers
                                      read task-local files there (mock_rules.json) */
    /* version 3: */
    bool schema_strict;            /* in JSON-schema mode: json_schema is already rewritten by
                                      the provider's "schema_transform" rules
                                      (llmt/schema_xform.h) and may be sent with the
                                      provider's strict flag set; false: send it unenforced */
} llmt_request;
#define LLMT_REQUEST_VERSION 3u

typedef struct llmt_usage {
    long input_tokens;
    long output_tokens;
    long cached_input_tokens;   /* -1 when not reported */
    long reasoning_tokens;      /* -1 when not reported */
} llmt_usage;

/* A provider's answer. Strings are malloc'd and owned by whoever holds the struct;
 * llmt_response_clear() frees them. */
typedef struct llmt_response {
    char *text;                 /* reply text (required, non-empty on success) */
    char *model;                /* model that answered, as the provider named it */
    char *stop_reason;          /* "stop", "length", "end_turn", ... or NULL */
    char *request_id;           /* provider request id, or NULL */
    llmt_usage usage;
    double latency_ms;          /* set by the library */
    double simulated_latency_ms;/* local providers: how long the engine should wait */
    double cost_usd;            /* set by the library from the model's rates */
    bool cost_known;            /* false when the model has no price: cost is "null" */
    llmt_structured_mode structured_mode; /* set by the library */
    bool from_cache;            /* set by the library: answered from the response cache */
    bool schema_strict;         /* set by the library: the schema was sent to be enforced */
    char *schema_relaxed;       /* set by the library: JSON array of the schema keywords the
                                   provider's rules moved out of what was sent, or NULL */
    bool from_batch;            /* set by the library: answered through the batch API */
} llmt_response;

typedef struct llmt_http_header {
    char *name;
    char *value;
} llmt_http_header;

/* Built by a provider; performed by the library. */
typedef struct llmt_http_request {
    char *method;               /* "POST" (NULL means POST) */
    char *url;
    llmt_http_header *headers;  /* array of n_headers, malloc'd */
    size_t n_headers;
    char *body;                 /* may be NULL for GET */
    size_t body_len;
    /* Logs (-vv) show the values of Authorization, x-api-key, x-goog-api-key and
     * api-key redacted, and the API key redacted wherever it appears. */
} llmt_http_request;

/* What came back; borrowed by the provider during parse_response/classify_error. */
typedef struct llmt_http_response {
    long status;
    const char *body;
    size_t body_len;
    const llmt_http_header *headers; /* names lower-cased */
    size_t n_headers;
    /* When the reply arrived (Unix seconds; 0: not known, read as now). Date-valued
     * hints (an HTTP-date Retry-After, a reset time) are read against it, so a replayed
     * reply, which carries its recorded time, reads them as the live run did. */
    double received_at;
} llmt_http_response;

/* One model of a price/model catalog (a provider that lists models and prices of many
 * providers, such as a gateway). Strings malloc'd; free with llmt_catalog_entries_free(). */
typedef struct llmt_catalog_entry {
    char *id;                   /* "<provider>/<model>" as the catalog names it */
    char *name;                 /* display name, or NULL */
    double cost_input;          /* USD per 1M input tokens; < 0 when unknown */
    double cost_output;         /* USD per 1M output tokens; < 0 when unknown */
    long context_length;        /* 0 when unknown */
    long max_output_tokens;     /* 0 when unknown */
} llmt_catalog_entry;

/* What a reply's rate-limit headers say about the account (read_rate_limits). Every
 * field is < 0 when the reply does not say; llmt_rate_info_init sets them so. */
typedef struct llmt_rate_info {
    double requests_limit;      /* requests allowed per window */
    double requests_remaining;  /* left in the current window */
    double requests_reset_s;    /* seconds until the window's requests refill */
    double tokens_limit;        /* tokens allowed per window (input + output) */
    double tokens_remaining;
    double tokens_reset_s;
    double window_s;            /* the window the limits count over; < 0 = a minute */
} llmt_rate_info;

static inline void llmt_rate_info_init(llmt_rate_info *ri)
{
    ri->requests_limit = ri->requests_remaining = ri->requests_reset_s = -1;
    ri->tokens_limit = ri->tokens_remaining = ri->tokens_reset_s = -1;
    ri->window_s = -1;
}

/* ---- batch APIs (provider ABI 1.3) ----
 * A provider with a batch API turns prepared requests into lines of its batch input,
 * builds the HTTP requests that submit, poll, fetch and cancel a batch, and turns each
 * result line back into the HTTP status and body the interactive call would have had,
 * so that parse_response/classify_error read it exactly as they read a live reply. The
 * library performs every exchange; the provider never does I/O. */

/* What one batch may hold (batch_limits); 0 = no documented limit. The library zeroes it
 * before the call: a provider fills what applies. */
typedef struct llmt_batch_limits {
    long max_requests;          /* lines per batch */
    long long max_bytes;        /* bytes of the batch input (the JSONL file or the body) */
    bool one_format;            /* every line of one batch must ask for the same structured
                                   output (mode and schema): the library starts a batch per
                                   format */
} llmt_batch_limits;

/* The submit state machine (batch_submit). The library zeroes it, sets the inputs and
 * calls batch_submit with step 0; the provider fills the request of that step; the
 * library performs it and calls again with step + 1 and `reply` set to the 2xx answer
 * (a non-2xx answer goes to classify_error and ends the submit). The provider sets
 * batch_id (malloc'd) when a reply names the batch, then done = true. */
typedef struct llmt_batch_submit {
    /* inputs, borrowed */
    const char *lines;          /* batch_line outputs, each ending with '\n' */
    size_t lines_len;
    size_t n_lines;
    const char *model;          /* the API model name every line uses */
    const char *label;          /* a display name/metadata for the batch (run id) */
    unsigned step;              /* 0, 1, ... */
    const llmt_http_response *reply; /* the previous step's 2xx reply; NULL at step 0 */
    /* outputs, malloc'd, owned by the library once set */
    char *scratch;              /* what a step needs from an earlier one (a file id) */
    char *batch_id;
    bool done;
} llmt_batch_submit;

/* Where a batch is (batch_status). */
typedef enum llmt_batch_state {
    LLMT_BATCH_RUNNING = 0,     /* validating, queued, in progress, finalizing */
    LLMT_BATCH_CANCELLING = 1,
    LLMT_BATCH_ENDED = 2,       /* completed, expired, cancelled, failed: results final */
    LLMT_BATCH_FAILED = 3       /* ended without results (the whole batch was refused) */
} llmt_batch_state;

typedef struct llmt_batch_status {
    llmt_batch_state state;
    char *state_text;           /* the provider's own word ("in_progress"), malloc'd */
    long total, succeeded, failed; /* request counts; < 0 when not said */
    char *results[2];           /* where results are (file ids, URLs), malloc'd or NULL */
    char *message;              /* why a batch failed, malloc'd or NULL */
    char *inline_results;       /* results the status reply carried itself (a provider
                                   that returns them inline), rewritten by the provider as
                                   JSON Lines for batch_result_line; malloc'd or NULL */
} llmt_batch_status;

/* One result line read back (batch_result_line). Exactly one of the two shapes:
 * a reply (http_status > 0 and body: what the interactive call would have received),
 * or a failure without a reply (http_status 0, `failure` its class and message). */
typedef struct llmt_batch_result {
    char *custom_id;            /* malloc'd */
    long http_status;
    char *body;                 /* malloc'd */
    size_t body_len;
    llmt_status failure;        /* e.g. LLMT_E_TIMEOUT for an expired line */
    char *message;              /* malloc'd or NULL */
} llmt_batch_result;

struct llmt_host_api;
struct json_t; /* jansson's, for the JSON tree slots of llmt_host_api */

/* What a provider instance is created with. Borrowed during init; copy what you keep. */
typedef struct llmt_provider_settings {
    unsigned int version;       /* LLMT_PROVIDER_SETTINGS_VERSION */
    const char *name;           /* provider name */
    const char *base_url;       /* after LLMT_<NAME>_BASE_URL override */
    const char *api_key;        /* NULL when env_key is "" (no key needed) */
    const char *config_json;    /* the provider's full config.json text, for custom fields */
    const char *config_path;    /* where it came from, for messages */
    uint64_t seed;              /* run seed (simulators) */
    const char *options_json;   /* provider-specific run options (e.g. mock rules), or NULL */
    /* version 2: */
    const struct llmt_host_api *host; /* the host's toolkit; lives as long as the library */
} llmt_provider_settings;
#define LLMT_PROVIDER_SETTINGS_VERSION 2u

/* ---- the host's toolkit (settings->host) ----
 * The library's wire helpers (src/providers/toolkit/) behind one table, handed to every
 * provider's init, built-in or plugin, as SQLite hands extensions sqlite3_api_routines
 * and Redis hands modules its API: a provider calls the library through it instead of
 * linking libllmtester, so one source builds into the library or as a plugin that loads
 * into any host, and no provider re-implements what the others share. Fields are only
 * ever appended: read one only when `version` says it is there (LLMT_HOST_HAS_V2).
 *
 * Ownership, for every slot below: inputs are borrowed for the call; a returned char*
 * is malloc'd and the caller's (free() it, or hand it to an output struct, which the
 * library frees); a `wire` is the instance state chat_init made, owned by the provider
 * until it calls chat_destroy. */

/* The public view of a `wire` state (what chat_init made): it starts with this, so a
 * provider may read it through a cast; the strings live as long as the state. */
typedef struct llmt_host_wire {
    const struct llmt_host_api *host; /* the table that made it */
    const char *name;           /* provider name, for messages */
    const char *base_url;       /* after the LLMT_<NAME>_BASE_URL override, never empty */
    const char *api_key;        /* NULL when the provider needs none; never log it */
} llmt_host_wire;

/* What a provider's error body said (error_fields), read tolerantly from the common
 * envelopes {"error": {"message", "type", "code", "status"}}, {"error": "message"},
 * {"message", "type", "code", "detail"}; a body that is not JSON gives its excerpt as
 * message. Strings are truncated to fit. */
typedef struct llmt_host_err_fields {
    char type[64];
    char code[64];
    char status[64];            /* e.g. a gRPC status name */
    char message[640];
} llmt_host_err_fields;

/* The differences a chat-completions service may have (chat_request_with). Zero it, set
 * version to LLMT_HOST_CHAT_OPTS_VERSION, then what differs; fields are only appended. */
typedef struct llmt_host_chat_opts {
    unsigned int version;
    const char *max_tokens_field;  /* "max_tokens" (NULL) or "max_completion_tokens" */
    bool omit_temperature;         /* models that only accept their default */
    bool strict_schema;            /* json_schema.strict = req->schema_strict; false: the
                                      strict key is not sent */
    bool image_url_string;         /* image part {"image_url": "data:..."} instead of
                                      {"image_url": {"url": "data:..."}} */
    const char *members_with_format; /* JSON object members (text without braces) added
                                      last when the body has a response_format */
} llmt_host_chat_opts;
#define LLMT_HOST_CHAT_OPTS_VERSION 1u

/* A JSON text being written (jw_* slots): opaque, made by jw_new, ended by jw_finish. */
typedef struct llmt_host_jw llmt_host_jw;

/* batch_join_with's writer of one line: writes the line (n bytes at `line`, no newline)
 * into w as the joined body wants it; ud is the caller's. A failure fills err and ends
 * the join with that status. */
typedef llmt_status (*llmt_host_line_fn)(void *ud, llmt_host_jw *w, const char *line, size_t n,
                                         llmt_error *err);

/* A build_request op (batch_line_from builds the interactive request through it). */
typedef llmt_status (*llmt_host_build_fn)(void *state, const llmt_request *req,
                                          llmt_http_request *out, llmt_error *err);

/* A batch API of the "files + batches" shape (a JSONL file uploaded with purpose=batch,
 * a job created from it, result files of lines {custom_id, response: {status_code,
 * body}, error}), described once by its provider: the host's files_batch_* slots and the
 * llmt_host_files_batch_*_op helpers below are then that provider's batch ops, all but
 * batch_status, whose reply is the provider's own. Static: it must outlive the state. */
typedef struct llmt_host_files_batch {
    llmt_batch_limits limits;   /* the documented limits of one batch */
    llmt_host_build_fn build;   /* the provider's build_request: a line carries its body */
    const char *line_members;   /* a line's members besides custom_id and "body" (JSON
                                   text without braces), or NULL */
    const char *jobs_path;      /* create: POST {base}/{jobs_path}; poll: GET
                                   {base}/{jobs_path}/{id}; cancel: POST .../{id}/cancel */
    /* The create request's JSON body (malloc'd; NULL: out of memory) for the uploaded
     * file s->scratch. */
    char *(*create_body)(const struct llmt_host_api *host, const llmt_batch_submit *s);
    /* The rest of a batch object once its "status" (st->state_text, a copy of `status`)
     * is read: st->state, the counts, the result file ids, the message. root is the
     * reply's object, borrowed. */
    void (*read_status)(const struct llmt_host_api *host, const struct json_t *root,
                        const char *status, llmt_batch_status *st);
} llmt_host_files_batch;

typedef struct llmt_host_api {
    unsigned int version;       /* LLMT_HOST_API_VERSION */
    /* Fills err (NULL ok: nothing is written) and returns st; retryable follows the class. */
    llmt_status (*error_set)(llmt_error *err, llmt_status st, const char *fmt, ...);
    /* Memory the library frees with free(): for what a provider puts into outputs. */
    char *(*dup_string)(const char *s);
    /* s as a JSON string literal, quotes included (malloc'd), or NULL when s is not
     * UTF-8 text or out of memory. */
    char *(*json_quote)(const char *s);
    /* The common chat-completions wire format (POST {base_url}/<path>, bearer key):
     * an instance state made from the settings (name, base URL, key, config options),
     * the request for req (model, messages, files as image parts, temperature,
     * max_tokens, response_format for the structured mode), the reply's parse and the
     * usual error classification (status, error envelope, Retry-After and the like).
     * The last three have the signatures of the ops they serve. chat_init's state is a
     * `wire` (llmt_host_wire), which every HTTP provider may use as its state. */
    llmt_status (*chat_init)(void **state, const llmt_provider_settings *s, llmt_error *err);
    void (*chat_destroy)(void *state);
    llmt_status (*chat_request)(void *state, const llmt_request *req, const char *path,
                                llmt_http_request *out, llmt_error *err);
    llmt_status (*chat_parse)(void *state, const llmt_request *req,
                              const llmt_http_response *http, llmt_response *out,
                              llmt_error *err);
    llmt_status (*classify_error)(void *state, const llmt_http_response *http,
                                  llmt_error *err);
    /* The server's hint of when to retry (seconds, finite, at most a day), or -1. */
    double (*retry_after)(const llmt_http_response *http);

    /* ---- version 2: the rest of the wire toolkit ---- */

    /* -- text and memory -- */
    /* printf into a malloc'd string; NULL when out of memory. */
    char *(*format)(const char *fmt, ...);
    /* Whether `hay` contains `needle`, ASCII case ignored (NULL: false). */
    bool (*contains_ci)(const char *hay, const char *needle);
    /* Standard base64 (RFC 4648, padded), malloc'd; NULL when out of memory. */
    char *(*base64)(const unsigned char *data, size_t n);
    /* Free what the library owns in an output struct, as the llmt_*_clear functions of
     * this header do (a plugin cannot link those). */
    void (*response_clear)(llmt_response *r);
    void (*http_request_clear)(llmt_http_request *r);
    void (*catalog_entries_free)(llmt_catalog_entry *entries, size_t n);

    /* -- the instance's configuration (w: a `wire`) -- */
    /* A string of the config's "options" object, or dflt (borrowed from the state). */
    const char *(*option)(const void *w, const char *key, const char *dflt);
    /* An integer of the config's "options" object, or dflt when absent or not one. */
    long long (*option_integer)(const void *w, const char *key, long long dflt);

    /* -- requests -- */
    /* chat_request with the service's differences (o may be NULL: chat_request's). */
    llmt_status (*chat_request_with)(void *w, const llmt_request *req,
                                      const llmt_host_chat_opts *o, const char *path,
                                      llmt_http_request *out, llmt_error *err);
    /* METHOD {base_url}/{path} with body (JSON text or NULL; taken over: `out` owns it
     * afterwards, even on failure) and Content-Type application/json when there is one,
     * and the key: in header key_header when given, else "Authorization: Bearer <key>"
     * (nothing when the provider has no key). */
    llmt_status (*http_request)(const void *w, const char *method, const char *path, char *body,
                                size_t body_len, const char *key_header,
                                llmt_http_request *out, llmt_error *err);
    /* As http_request without a body and with a bearer key, the path `fmt` with its one
     * %s replaced by id (polls, cancels). */
    llmt_status (*id_request)(const void *w, const char *method, const char *fmt, const char *id,
                              llmt_http_request *out, llmt_error *err);
    /* Adds a header (copies both) or fails with LLMT_E_NOMEM. */
    llmt_status (*add_header)(llmt_http_request *out, const char *name, const char *value,
                              llmt_error *err);
    /* Every file of req is an image type in `allowed` (NULL-terminated; NULL = png, jpeg,
     * gif, webp) and the model takes images; else LLMT_E_UNSUPPORTED naming the file. */
    llmt_status (*check_images)(const llmt_request *req, const char *provider,
                                const char *const *allowed, llmt_error *err);
    /* Every text of req is UTF-8 that JSON can carry; else LLMT_E_INVALID_ARG naming the
     * case, the text and the byte offset. */
    llmt_status (*check_texts)(const llmt_request *req, const char *provider, llmt_error *err);
    /* The last message with role "user" (files go there), or n_messages when none. */
    size_t (*last_user)(const llmt_request *req);

    /* -- writing JSON text, as the library prints it (request bodies are byte for byte
     *    what the library's own writer makes) -- */
    llmt_host_jw *(*jw_new)(void);   /* NULL when out of memory */
    /* Appends text as it is (JSON the caller spelled: keys, punctuation). */
    void (*jw_raw)(llmt_host_jw *w, const char *text);
    /* Appends s as a JSON string literal; false when s is not UTF-8. */
    bool (*jw_string)(llmt_host_jw *w, const char *s);
    /* Appends a number (shortest form that reads back the same); false when not finite. */
    bool (*jw_number)(llmt_host_jw *w, double d);
    void (*jw_integer)(llmt_host_jw *w, long long v);
    /* Appends req->json_schema printed compactly (parsed once per schema text and kept in
     * the wire state); LLMT_E_INVALID_ARG when it is not JSON. */
    llmt_status (*jw_schema)(void *wire, llmt_host_jw *w, const llmt_request *req,
                             llmt_error *err);
    /* Ends the writer (freed) and returns its text (malloc'd, *len set when len is not
     * NULL); NULL when anything ran out of memory. */
    char *(*jw_finish)(llmt_host_jw *w, size_t *len);

    /* -- replies -- */
    /* A one-line excerpt of a body for messages (at most ~160 bytes, "..." when cut);
     * always NUL-terminates out (n > 0). */
    void (*excerpt)(const char *body, size_t len, char *out, size_t n);
    /* Fills err for a reply that is not the JSON object it should be and returns
     * LLMT_E_BAD_RESPONSE: "HTTP <status>: the reply is not a JSON object (<why>): <excerpt>". */
    llmt_status (*not_json_object)(const llmt_http_response *http, const char *why,
                                   llmt_error *err);
    /* Whether the body contains needle (bounded by body_len). */
    bool (*body_has)(const llmt_http_response *http, const char *needle);
    /* The first present header of names (NULL-terminated), malloc'd; NULL when none. */
    char *(*header_dup)(const llmt_http_response *http, const char *const *names);
    /* A header as a finite number >= 0; -1 when absent or not one. */
    double (*header_number)(const llmt_http_response *http, const char *name);
    /* A reset header (a duration "1.2s", "6m0s", or an RFC 3339 time) as seconds from
     * now, clamped like every hint; -1 when absent or not understood. */
    double (*header_reset)(const llmt_http_response *http, const char *name);
    /* Seconds from the reply's arrival (http->received_at; now when 0 or http is NULL)
     * until the wall-clock time epoch_s (>= 0), clamped like every hint. */
    double (*seconds_until)(const llmt_http_response *http, double epoch_s);
    /* A duration such as "37s" or "1.5s" in seconds, clamped like every hint; -1 when it
     * is not one. */
    double (*duration)(const char *text);

    /* -- errors -- */
    void (*error_fields)(const llmt_http_response *http, llmt_host_err_fields *f);
    /* The class of an error reply: the status's default class (400/413/422 bad_request,
     * 401 auth, 402 quota, 403 permission, 404 not_found, 408 timeout, 429 rate_limit,
     * 503/529 overloaded, other 5xx server) refined by the vocabulary of the
     * chat-completions family (insufficient_quota, context length, content filter). */
    llmt_status (*classify)(const llmt_http_response *http, const llmt_host_err_fields *f);
    /* Fills err for a failed exchange and returns st: "HTTP <status>: <message>", code,
     * HTTP status, request id (first of request_id_headers, NULL = x-request-id,
     * request-id), retryable from the class and then the server's retry hint. */
    llmt_status (*fail)(llmt_error *err, const llmt_http_response *http, llmt_status st,
                        const llmt_host_err_fields *f, const char *const *request_id_headers);

    /* -- JSON trees: jansson's json_t of the host's libjansson.so.4. A provider that uses
     *    these links the same library (the built-ins do; a plugin links -ljansson), and
     *    owns the references it is given (json_decref). -- */
    /* The reply body as a JSON object (*root a new reference); not one: as not_json_object. */
    llmt_status (*parse_object)(const llmt_http_response *http, struct json_t **root,
                                llmt_error *err);
    /* req->json_schema parsed (*out a new reference; NULL and LLMT_OK without a schema);
     * not JSON: LLMT_E_INVALID_ARG. */
    llmt_status (*parse_schema)(const llmt_request *req, struct json_t **out, llmt_error *err);
    /* out's method (NULL: POST), url and body, the body printed by the library's writer
     * (byte for byte what the built-ins send) with Content-Type application/json; body
     * NULL: none. body stays the caller's. */
    llmt_status (*set_json_request)(llmt_http_request *out, const char *method, const char *url,
                                    const struct json_t *body, llmt_error *err);
    /* v printed compactly by the library's writer, malloc'd; NULL when out of memory. */
    char *(*json_print)(const struct json_t *v);
    /* v as a long when it is a JSON integer, else dflt. */
    long (*json_long)(const struct json_t *v, long dflt);
    /* base + "/" + path with exactly one slash between them, malloc'd; NULL: out of memory. */
    char *(*url)(const char *base, const char *path);

    /* -- batch APIs of the "files + batches" shape (a JSONL file uploaded with
     *    purpose=batch, result lines {custom_id, response: {status_code, body}, error}) -- */
    /* One batch line {"custom_id":ID,<members>,"<body_key>":BODY}: BODY is the body that
     * build makes for req (so the line carries exactly the interactive request); members
     * is JSON object text without braces, or NULL. *line malloc'd, without a newline. */
    llmt_status (*batch_line_from)(llmt_host_build_fn build, void *state,
                                   const llmt_request *req, const char *custom_id,
                                   const char *members, const char *body_key, char **line,
                                   size_t *len, llmt_error *err);
    /* Gives the wire state its files + batches API (once, at init; see
     * llmt_host_files_batch_init). The slots after it are then the batch ops, with the
     * ops' signatures (LLMT_E_INTERNAL when no API was given): */
    void (*set_files_batch)(void *w, const llmt_host_files_batch *api);
    void (*files_batch_limits)(void *w, llmt_batch_limits *out);
    /* {"custom_id":ID,<line_members>,"body":<the body api->build makes>} */
    llmt_status (*files_batch_line)(void *w, const llmt_request *req, const char *custom_id,
                                    char **line, size_t *len, llmt_error *err);
    /* step 0 uploads s->lines to {base}/files; step 1 keeps the file id in s->scratch and
     * POSTs create_body to {base}/{jobs_path}; step 2 takes the batch id from "id". */
    llmt_status (*files_batch_submit)(void *w, llmt_batch_submit *s, llmt_http_request *out,
                                      llmt_error *err);
    llmt_status (*files_batch_poll)(void *w, const char *batch_id, llmt_http_request *out,
                                    llmt_error *err);
    llmt_status (*files_batch_cancel)(void *w, const char *batch_id, llmt_http_request *out,
                                      llmt_error *err);
    /* The reply a JSON object with a string "status" (else LLMT_E_BAD_RESPONSE), then
     * api->read_status. */
    llmt_status (*files_batch_status)(void *w, const llmt_http_response *http,
                                      llmt_batch_status *st, llmt_error *err);
    /* The batch_results op of the shape (state: a wire): GET
     * {base}/files/<st->results[part]>/content; LLMT_E_NOT_FOUND when there is none. */
    llmt_status (*batch_file_content)(void *w, const llmt_batch_status *st, unsigned part,
                                      llmt_http_request *out, llmt_error *err);
    /* The batch_result_line op of the shape: an expired line is LLMT_E_TIMEOUT, a
     * cancelled one LLMT_E_CANCELLED, another line without a response LLMT_E_SERVER. */
    llmt_status (*batch_compat_result)(void *w, const char *line, size_t len,
                                       llmt_batch_result *out, llmt_error *err);
    /* A last submit step: the 2xx reply's `key` member names the batch (s->batch_id,
     * s->done); LLMT_E_BAD_RESPONSE without it. */
    llmt_status (*batch_take_id)(llmt_batch_submit *s, const char *key, llmt_error *err);
    /* prefix + the submit's lines joined with commas + suffix, malloc'd into *body. */
    llmt_status (*batch_join)(const llmt_batch_submit *s, const char *prefix,
                              const char *suffix, char **body, size_t *len, llmt_error *err);

    /* -- the two ends of a provider's own build and parse -- */
    /* check_images, then check_texts. */
    llmt_status (*check_request)(const llmt_request *req, const char *provider,
                                 const char *const *allowed, llmt_error *err);
    /* The end of a parse_response: st is the parse so far; when LLMT_OK, a reply without
     * text is LLMT_E_BAD_RESPONSE "the reply has no text (<label> <reason or none>):
     * <excerpt>". When the result fails, out is cleared. Returns the result. */
    llmt_status (*reply_end)(const llmt_http_response *http, llmt_status st, const char *label,
                             const char *reason, llmt_response *out, llmt_error *err);

    /* -- batch APIs whose batch object has the common `/batches` shape ({id, status,
     *    request_counts}, the status words below), files + batches or inline -- */
    /* Reads the object root (borrowed), its "status" already read into `status`:
     * st->state (validating, in_progress, finalizing: running; cancelling; completed,
     * expired, cancelled: ended; failed: refused, no results) and request_counts {total,
     * completed, failed} as st->total, st->succeeded (= completed as sent: whether it
     * includes the failed ones differs per API) and st->failed, -1 when absent. Sets
     * nothing else (not state_text) and allocates nothing. */
    void (*batch_object_read)(const struct json_t *root, const char *status,
                              llmt_batch_status *st);
    /* -- appended to version 2 before its first release: for a batch API whose inline
     *    requests are its file lines rewritten -- */
    /* Appends the n bytes at text as they are (JSON text cut out of a longer text, which
     * need not end there); text is borrowed. */
    void (*jw_bytes)(llmt_host_jw *w, const char *text, size_t n);
    /* batch_join with each non-empty line written by put(ud, ...) instead of copied (put
     * NULL: copied); *body malloc'd. A put failure is the result, *body then untouched. */
    llmt_status (*batch_join_with)(const llmt_batch_submit *s, const char *prefix,
                                   const char *suffix, llmt_host_line_fn put, void *ud,
                                   char **body, size_t *len, llmt_error *err);
} llmt_host_api;
#define LLMT_HOST_API_VERSION 2u
/* Whether host has the version 2 slots (everything after retry_after). */
#define LLMT_HOST_HAS_V2(host) ((host) != NULL && (host)->version >= 2u)

/* Where a provider's check_files reports problems: one call per problem, `file` the
 * file at fault, `json_path` a JSON pointer in it ("" for the whole file). */
typedef struct llmt_check_sink {
    void (*report)(void *ud, bool error, const char *file, const char *json_path,
                   const char *message);
    void *ud;
} llmt_check_sink;

typedef struct llmt_provider_ops {
    unsigned int abi_version;   /* LLMT_PROVIDER_ABI_VERSION */
    const char *name;           /* must equal the folder/plugin name */
    unsigned int capabilities;  /* LLMT_CAP_* */

    /* Creates per-instance state (may set *state to NULL). Required. */
    llmt_status (*init)(void **state, const llmt_provider_settings *settings, llmt_error *err);
    /* Frees the state. Required. */
    void (*destroy)(void *state);

    /* HTTP providers: fill `out` for `req`. */
    llmt_status (*build_request)(void *state, const llmt_request *req,
                                 llmt_http_request *out, llmt_error *err);
    /* HTTP providers: parse a 2xx reply into `out`. Empty reply text is LLMT_E_BAD_RESPONSE. */
    llmt_status (*parse_response)(void *state, const llmt_request *req,
                                  const llmt_http_response *http, llmt_response *out,
                                  llmt_error *err);
    /* HTTP providers: turn a non-2xx reply into a status + detail (always fails). */
    llmt_status (*classify_error)(void *state, const llmt_http_response *http, llmt_error *err);

    /* Local providers: answer directly. */
    llmt_status (*call)(void *state, const llmt_request *req, llmt_response *out, llmt_error *err);

    /* Optional: a price/model catalog (`llm-tester costs update`). build_catalog_request
     * fills a GET request; parse_catalog turns the reply body into a malloc'd array of
     * *n entries. NULL when the provider has no catalog. */
    llmt_status (*build_catalog_request)(void *state, llmt_http_request *out, llmt_error *err);
    llmt_status (*parse_catalog)(void *state, const llmt_http_response *http,
                                 llmt_catalog_entry **entries, size_t *n, llmt_error *err);

    /* ---- ABI 1.1 (read only when LLMT_OPS_HAS(ops, check_files)) ---- */

    /* Optional: checks the provider's own files for `config validate`, without an
     * instance. `path` is a task folder (is_dir: check the files the provider reads
     * there) or a file the user named (not one of this provider's files: return 0).
     * Reports problems to `sink`; returns how many files it checked. */
    size_t (*check_files)(const char *path, bool is_dir, const llmt_check_sink *sink);

    /* ---- ABI 1.2 (read only when LLMT_OPS_HAS(ops, read_rate_limits)) ---- */

    /* Optional (HTTP providers): what a reply's rate-limit headers say about the account,
     * for every reply, success or not. `out` comes initialised (nothing said); fill what
     * the headers give. The engine paces the provider by it unless the user set limits. */
    void (*read_rate_limits)(void *state, const llmt_http_response *http, llmt_rate_info *out);

    /* ---- ABI 1.3: batch API (all or none; see llmt_batch_submit; read only when
     * LLMT_OPS_HAS(ops, batch_...)) ---- */
    /* The documented limits of one batch. */
    void (*batch_limits)(void *state, llmt_batch_limits *out);
    /* One batch input line (no newline, malloc'd into *line) carrying exactly the body
     * build_request makes for `req`, tagged with custom_id ([A-Za-z0-9_-], <= 64).
     * LLMT_E_UNSUPPORTED (err says why): the batch API cannot take this request; the
     * library leaves it out of the batch and sends it interactively. */
    llmt_status (*batch_line)(void *state, const llmt_request *req, const char *custom_id,
                              char **line, size_t *len, llmt_error *err);
    /* The request of submit step s->step (see llmt_batch_submit). */
    llmt_status (*batch_submit)(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                llmt_error *err);
    /* The GET that polls batch_id. */
    llmt_status (*batch_poll)(void *state, const char *batch_id, llmt_http_request *out,
                              llmt_error *err);
    /* Parses a 2xx reply of batch_poll (or of the submit's last step) into *st (zeroed
     * by the library; free with llmt_batch_status_clear). */
    llmt_status (*batch_status)(void *state, const llmt_http_response *http,
                                llmt_batch_status *st, llmt_error *err);
    /* The GET of results part `part` of an ended batch (st->results[part]); LLMT_E_NOT_FOUND
     * when the batch has no such part. The reply is JSON Lines for batch_result_line. */
    llmt_status (*batch_results)(void *state, const llmt_batch_status *st, unsigned part,
                                 llmt_http_request *out, llmt_error *err);
    /* Reads one result line into *out (zeroed by the library). */
    llmt_status (*batch_result_line)(void *state, const char *line, size_t len,
                                     llmt_batch_result *out, llmt_error *err);
    /* The request that cancels batch_id. */
    llmt_status (*batch_cancel)(void *state, const char *batch_id, llmt_http_request *out,
                                llmt_error *err);
} llmt_provider_ops;

/* The ABI minor version that added each optional trailing slot. */
#define LLMT_OPS_SLOT_MINOR_check_files 1u
#define LLMT_OPS_SLOT_MINOR_read_rate_limits 2u
#define LLMT_OPS_SLOT_MINOR_batch_limits 3u
#define LLMT_OPS_SLOT_MINOR_batch_line 3u
#define LLMT_OPS_SLOT_MINOR_batch_submit 3u
#define LLMT_OPS_SLOT_MINOR_batch_poll 3u
#define LLMT_OPS_SLOT_MINOR_batch_status 3u
#define LLMT_OPS_SLOT_MINOR_batch_results 3u
#define LLMT_OPS_SLOT_MINOR_batch_result_line 3u
#define LLMT_OPS_SLOT_MINOR_batch_cancel 3u
/* Whether `ops` has the trailing slot `slot` and fills it: a table built against an
 * older minor version ends before the slot, which must then not be read at all. */
#define LLMT_OPS_HAS(ops, slot)                                                              \
    (((ops)->abi_version & 0xffffu) >= LLMT_OPS_SLOT_MINOR_##slot && (ops)->slot != NULL)

/* The entry point a plugin exports under LLMT_PROVIDER_ENTRY_SYMBOL. */
typedef const llmt_provider_ops *(*llmt_provider_entry_fn)(void);

/* ---- small helpers usable by providers (static inline: no link dependency) ---- */

static inline char *llmt_strdup_(const char *s)
{
    size_t n;
    char *p;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    p = (char *)malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Appends a header (copies name and value). Returns false on allocation failure. */
static inline bool llmt_http_request_add_header(llmt_http_request *r, const char *name,
                                                const char *value)
{
    llmt_http_header *h = (llmt_http_header *)realloc(r->headers,
                                                      (r->n_headers + 1) * sizeof(*h));
    if (!h)
        return false;
    r->headers = h;
    h[r->n_headers].name = llmt_strdup_(name);
    h[r->n_headers].value = llmt_strdup_(value);
    if (!h[r->n_headers].name || !h[r->n_headers].value) {
        free(h[r->n_headers].name);
        free(h[r->n_headers].value);
        return false;
    }
    r->n_headers++;
    return true;
}

/* Case-insensitive header lookup in a response; NULL when absent. */
static inline const char *llmt_http_response_header(const llmt_http_response *r, const char *name)
{
    size_t i, j;
    for (i = 0; i < r->n_headers; i++) {
        const char *a = r->headers[i].name, *b = name;
        for (j = 0; a[j] && b[j]; j++) {
            char ca = a[j], cb = b[j];
            if (ca >= 'A' && ca <= 'Z') ca = (char)(ca - 'A' + 'a');
            if (cb >= 'A' && cb <= 'Z') cb = (char)(cb - 'A' + 'a');
            if (ca != cb)
                break;
        }
        if (!a[j] && !b[j])
            return r->headers[i].value;
    }
    return NULL;
}

/* ---- ops of a provider whose state is the host's `wire` (chat_init) ----
 * Usable directly in an ops table, so that a provider that needs nothing else of its
 * own writes no wrapper. The state's first member is its host (llmt_host_wire). */

#define LLMT_HOST_OF(state) (((const llmt_host_wire *)(state))->host)

/* init: the wire state, from a host of version 2 or later (else LLMT_E_PLUGIN). */
static inline llmt_status llmt_host_wire_init_op(void **state, const llmt_provider_settings *s,
                                                 llmt_error *err)
{
    if (s->version < 2 || !LLMT_HOST_HAS_V2(s->host)) {
        static const char msg[] = "this provider needs the host's toolkit, version 2 or later";
        if (err) {
            memset(err, 0, sizeof(*err));
            err->status = LLMT_E_PLUGIN;
            err->retry_after_s = -1;
            memcpy(err->message, msg, sizeof msg);
        }
        return LLMT_E_PLUGIN;
    }
    return s->host->chat_init(state, s, err);
}

static inline void llmt_host_wire_destroy_op(void *state)
{
    if (state)
        LLMT_HOST_OF(state)->chat_destroy(state);
}

static inline llmt_status llmt_host_chat_parse_op(void *state, const llmt_request *req,
                                                  const llmt_http_response *http,
                                                  llmt_response *out, llmt_error *err)
{
    return LLMT_HOST_OF(state)->chat_parse(state, req, http, out, err);
}

static inline llmt_status llmt_host_classify_op(void *state, const llmt_http_response *http,
                                                llmt_error *err)
{
    return LLMT_HOST_OF(state)->classify_error(state, http, err);
}

/* init of a provider with a files + batches API: the wire state, given `api`. */
static inline llmt_status llmt_host_files_batch_init(void **state,
                                                     const llmt_provider_settings *s,
                                                     llmt_error *err,
                                                     const llmt_host_files_batch *api)
{
    llmt_status st = llmt_host_wire_init_op(state, s, err);
    if (st == LLMT_OK)
        LLMT_HOST_OF(*state)->set_files_batch(*state, api);
    return st;
}

static inline void llmt_host_files_batch_limits_op(void *state, llmt_batch_limits *out)
{
    LLMT_HOST_OF(state)->files_batch_limits(state, out);
}

static inline llmt_status llmt_host_files_batch_line_op(void *state, const llmt_request *req,
                                                        const char *custom_id, char **line,
                                                        size_t *len, llmt_error *err)
{
    return LLMT_HOST_OF(state)->files_batch_line(state, req, custom_id, line, len, err);
}

static inline llmt_status llmt_host_files_batch_submit_op(void *state, llmt_batch_submit *s,
                                                          llmt_http_request *out,
                                                          llmt_error *err)
{
    return LLMT_HOST_OF(state)->files_batch_submit(state, s, out, err);
}

static inline llmt_status llmt_host_files_batch_poll_op(void *state, const char *batch_id,
                                                        llmt_http_request *out, llmt_error *err)
{
    return LLMT_HOST_OF(state)->files_batch_poll(state, batch_id, out, err);
}

static inline llmt_status llmt_host_files_batch_cancel_op(void *state, const char *batch_id,
                                                          llmt_http_request *out,
                                                          llmt_error *err)
{
    return LLMT_HOST_OF(state)->files_batch_cancel(state, batch_id, out, err);
}

static inline llmt_status llmt_host_files_batch_status_op(void *state,
                                                          const llmt_http_response *http,
                                                          llmt_batch_status *st,
                                                          llmt_error *err)
{
    return LLMT_HOST_OF(state)->files_batch_status(state, http, st, err);
}

static inline llmt_status llmt_host_batch_file_content_op(void *state,
                                                          const llmt_batch_status *st,
                                                          unsigned part, llmt_http_request *out,
                                                          llmt_error *err)
{
    return LLMT_HOST_OF(state)->batch_file_content(state, st, part, out, err);
}

static inline llmt_status llmt_host_batch_compat_result_op(void *state, const char *line,
                                                           size_t len, llmt_batch_result *out,
                                                           llmt_error *err)
{
    return LLMT_HOST_OF(state)->batch_compat_result(state, line, len, out, err);
}

/* The batch slots of an ops table whose provider described a files + batches API
 * (llmt_host_files_batch_init as its init): `.name = ..., LLMT_HOST_FILES_BATCH_OPS,`. */
#define LLMT_HOST_FILES_BATCH_OPS                                                            \
    .batch_limits = llmt_host_files_batch_limits_op,                                         \
    .batch_line = llmt_host_files_batch_line_op,                                             \
    .batch_submit = llmt_host_files_batch_submit_op,                                         \
    .batch_poll = llmt_host_files_batch_poll_op,                                             \
    .batch_status = llmt_host_files_batch_status_op,                                         \
    .batch_results = llmt_host_batch_file_content_op,                                        \
    .batch_result_line = llmt_host_batch_compat_result_op,                                   \
    .batch_cancel = llmt_host_files_batch_cancel_op

/* Frees what a provider put into an llmt_http_request and zeroes it. */
LLMT_API void llmt_http_request_clear(llmt_http_request *r);
/* Frees an array returned by parse_catalog. NULL ok. */
LLMT_API void llmt_catalog_entries_free(llmt_catalog_entry *entries, size_t n);
/* Frees the strings of a response and zeroes it. */
LLMT_API void llmt_response_clear(llmt_response *r);
/* Free the strings of a batch status / result and zero it. */
LLMT_API void llmt_batch_status_clear(llmt_batch_status *s);
LLMT_API void llmt_batch_result_clear(llmt_batch_result *r);

LLMT_END_DECLS

#endif
