/*
 * Wire helpers shared by the HTTP providers: what several provider folders need and
 * what is defined by HTTP or by a protocol rather than by one vendor.
 *
 *   - (server hints — Retry-After and the like — are read by http/hint.h, included here
 *     for the providers' convenience);
 *   - error-body excerpts and a tolerant reader of the common error envelopes;
 *   - the default mapping of HTTP statuses to llmt_status classes;
 *   - base64 and image checks for request bodies;
 *   - the de-facto standard "chat completions" request/response shape ("chat_compat"),
 *     spoken by several services with small differences selected by options.
 *
 * Nothing here names a provider: provider quirks live in src/providers/<name>/.
 * Functions never print; allocation failures are reported as LLMT_E_NOMEM.
 */
#ifndef LLMT_WIRE_H
#define LLMT_WIRE_H

#include <jansson.h>

#include "llmt/provider.h"
#include "core/jscan.h"
#include "http/hint.h"

struct llmt_wire_basic;
struct llmt_buf;

/* ---- bodies --------------------------------------------------------------------- */

/* A short one-line excerpt of a body for error messages: control characters become
 * spaces, at most ~160 bytes, "..." when cut. Always NUL-terminates out (n > 0). */
void llmt_wire_excerpt(const char *body, size_t len, char *out, size_t n);

/* Parses a reply body as a JSON object. Not JSON (or truncated), or not an object:
 * LLMT_E_BAD_RESPONSE with an excerpt. *out is owned by the caller (json_decref). */
llmt_status llmt_wire_parse_body(const llmt_http_response *http, json_t **out, llmt_error *err);

/* The error of llmt_wire_parse_body for a reply that is not a JSON object: "HTTP
 * <status>: the reply is not a JSON object (<why>): <excerpt>", LLMT_E_BAD_RESPONSE. */
llmt_status llmt_wire_not_json_object(const llmt_http_response *http, const char *why,
                                      llmt_error *err);

/* The same check as llmt_wire_parse_body with the scanning reader (core/jscan.h):
 * *root spans the reply's top-level object, borrowed from http->body. */
llmt_status llmt_wire_scan_body(const llmt_http_response *http, llmt_jval *root, llmt_error *err);

/* Whether the body contains `needle` (bounded by body_len: bodies need not be
 * NUL-terminated). */
bool llmt_wire_body_has(const llmt_http_response *http, const char *needle);

/* Standard base64 (RFC 4648, with padding). Returns a malloc'd string or NULL (oom). */
char *llmt_wire_base64(const unsigned char *data, size_t n);

/* "base" + "path" with exactly one '/' between them. malloc'd; NULL on oom. */
char *llmt_wire_url(const char *base, const char *path);

/* Fills out->url/method/body (body = compact JSON of `body`, borrowed) and adds
 * "Content-Type: application/json". method NULL means POST. */
llmt_status llmt_wire_set_json_request(llmt_http_request *out, const char *method,
                                       const char *url, const json_t *body, llmt_error *err);

/* Adds a header or fails with LLMT_E_NOMEM. */
llmt_status llmt_wire_add_header(llmt_http_request *out, const char *name, const char *value,
                                 llmt_error *err);

/* Parses req->json_schema into *out (caller decrefs). No schema: *out = NULL, LLMT_OK.
 * Invalid JSON: LLMT_E_INVALID_ARG. */
llmt_status llmt_wire_schema(const llmt_request *req, json_t **out, llmt_error *err);

/* Appends req->json_schema (not NULL) printed compactly to out, through the instance's
 * cache of the last schema (parsed once per schema text). Not JSON: LLMT_E_INVALID_ARG. */
llmt_status llmt_wire_schema_text(const struct llmt_wire_basic *b, const llmt_request *req,
                                  struct llmt_buf *out, llmt_error *err);

/* A name for the schema made of [A-Za-z0-9_-], at most 64 characters ("schema" when
 * empty). Writes into buf. */
void llmt_wire_schema_name(const char *name, char *buf, size_t n);

/* ---- files ---------------------------------------------------------------------- */

/* Checks that every file of req is an image type listed in `allowed` (NULL-terminated;
 * NULL = image/png, image/jpeg, image/gif, image/webp) and that the model takes images. Otherwise
 * LLMT_E_UNSUPPORTED naming the file, its type and the provider. */
llmt_status llmt_wire_check_images(const llmt_request *req, const char *provider,
                                   const char *const *allowed, llmt_error *err);

/* Checks that every text of req (model, system prompt, roles, message contents) is UTF-8
 * that JSON can carry: otherwise LLMT_E_INVALID_ARG naming the provider, the case, the
 * text and the byte offset, so that nothing is sent without its text (jansson's
 * constructors return NULL for such a string, which a builder would otherwise drop
 * silently). */
llmt_status llmt_wire_check_texts(const llmt_request *req, const char *provider,
                                  llmt_error *err);

/* llmt_wire_check_images, then llmt_wire_check_texts: what a provider that builds its
 * body with jansson checks first. */
llmt_status llmt_wire_check_request(const llmt_request *req, const char *provider,
                                    const char *const *allowed, llmt_error *err);

/* The last message with role "user" (files are attached there), or n_messages when none. */
size_t llmt_wire_last_user(const llmt_request *req);

/* ---- errors --------------------------------------------------------------------- */

/* What a provider's error body said, read tolerantly from the common envelopes:
 *   {"error": {"message", "type", "code", "status"}}   (code string or number)
 *   {"error": "message"}
 *   {"message": "..." | {...}, "type", "code", "detail"} (no envelope)
 * A body that is not JSON gives its excerpt as message. Strings are truncated. */
typedef llmt_host_err_fields llmt_wire_err_fields; /* provider.h */

void llmt_wire_error_fields(const llmt_http_response *http, llmt_wire_err_fields *f);

/* The default class of an HTTP status: 400/413/422 bad_request, 401 auth, 402 quota,
 * 403 permission, 404 not_found, 408 timeout, 429 rate_limit, 503/529 overloaded,
 * other 5xx server, anything else bad_request. */
llmt_status llmt_wire_status_class(long status);

/* Whether an error text says the input was too long for the model. */
bool llmt_wire_says_context_length(const char *text);

/* Fills err for a failed HTTP exchange and returns st: message "HTTP <status>: <what the
 * provider said>", provider code, http status, request id (first of the header names
 * given, NULL-terminated; NULL = x-request-id, request-id), retryable from the class
 * (quota and the other permanent classes are never retryable) and, for retryable
 * classes, retry_after_s from the headers. */
llmt_status llmt_wire_fail(llmt_error *err, const llmt_http_response *http, llmt_status st,
                           const llmt_wire_err_fields *f, const char *const *request_id_headers);

/* The classify_error op of a provider whose errors need nothing of their own: the
 * status class refined by the common envelope (llmt_wire_classify), filled in by
 * llmt_wire_fail. */
llmt_status llmt_wire_classify_op(void *state, const llmt_http_response *http, llmt_error *err);

/* Copies the first present header of `names` (NULL-terminated) into a malloc'd string;
 * NULL when none. */
char *llmt_wire_header_dup(const llmt_http_response *http, const char *const *names);

/* ---- rate-limit headers (what each provider's read_rate_limits reads) ---- */

/* A header's value as a finite number >= 0; -1 when absent or not one. */
double llmt_wire_header_number(const llmt_http_response *http, const char *name);
/* A reset header: a duration ("1.2s", "6m0s", "264ms") or an RFC 3339 time, as seconds
 * from now (clamped like every hint); -1 when absent or not understood. */
double llmt_wire_header_reset(const llmt_http_response *http, const char *name);

/* The class of an error reply from its status and the vocabulary common to the
 * chat-completions family: code/type "insufficient_quota" is quota; a 400/413/422 whose
 * text speaks of the context length is context_length; code/type naming a content
 * filter or content policy is content_filter. Providers refine the result. */
llmt_status llmt_wire_classify(const llmt_http_response *http, const llmt_wire_err_fields *f);

/* ---- per-instance state most HTTP providers need -------------------------------- */

typedef struct llmt_wire_basic {
    llmt_host_wire pub; /* first: what a provider reads through the host's toolkit
                           (the same strings as below, and the host) */
    char *name;        /* provider name, for messages */
    char *base_url;    /* after the LLMT_<NAME>_BASE_URL override */
    char *api_key;     /* NULL when the provider needs none; never logged */
    json_t *options;   /* the config's "options" object (owned reference), or NULL */
    struct llmt_wire_schema_cache *schema_cache; /* last parsed schema (owned), or NULL */
    const llmt_host_files_batch *files_batch; /* the provider's batch API (static), or NULL */
} llmt_wire_basic;

/* init/destroy ops usable directly in a provider table: copies name, base URL and key
 * and keeps the config's "options" object. */
llmt_status llmt_wire_basic_init(void **state, const llmt_provider_settings *s, llmt_error *err);
void llmt_wire_basic_destroy(void *state);
/* A string from the options object, or dflt. */
const char *llmt_wire_option(const llmt_wire_basic *b, const char *key, const char *dflt);
/* An integer from the options object, or dflt when absent or not an integer. */
long long llmt_wire_option_integer(const llmt_wire_basic *b, const char *key, long long dflt);

/* ---- the common chat-completions shape (chat_compat) ---------------------------- */

typedef struct llmt_chat_compat_opts {
    const char *max_tokens_field;  /* "max_tokens" (default) or "max_completion_tokens" */
    bool omit_temperature;         /* models that only accept their default */
    bool strict_schema;            /* json_schema.strict = req->schema_strict (the schema
                                      is already rewritten by the provider's rules);
                                      false: the strict key is not sent */
    bool image_url_string;         /* image part {"image_url": "data:..."} instead of
                                      {"image_url": {"url": "data:..."}} */
    struct llmt_wire_schema_cache *schema_cache; /* NULL: the provider state's cache
                                      (set by llmt_chat_compat_bearer_request) */
    const char *members_with_format; /* JSON object members (text without the braces)
                                      added last when the body has a response_format,
                                      e.g. "\"provider\":{\"require_parameters\":true}" */
} llmt_chat_compat_opts;

/* Parses a chat-completions reply: choices[0].message.content (string or array of text
 * parts), finish_reason, model, usage (prompt/completion tokens, cached and reasoning
 * details when present, else -1), request id header. A refusal or finish_reason
 * "content_filter" is LLMT_E_CONTENT_FILTER; an error inside a 200
 * (choices[0].error or finish_reason "error") is LLMT_E_SERVER; a missing shape is
 * LLMT_E_BAD_RESPONSE with an excerpt. */
llmt_status llmt_chat_compat_parse(const llmt_http_response *http, llmt_response *out,
                                   llmt_error *err);

/* The end of every parse_response: with st LLMT_OK, a reply without text is
 * LLMT_E_BAD_RESPONSE "the reply has no text (<label> <reason or none>): <excerpt>"; when
 * the result fails, out is cleared. Returns the result. */
llmt_status llmt_wire_reply_end(const llmt_http_response *http, llmt_status st, const char *label,
                                const char *reason, llmt_response *out, llmt_error *err);

/* The parse_response op of a provider whose replies are plain chat_compat. */
llmt_status llmt_chat_compat_parse_op(void *state, const llmt_request *req,
                                      const llmt_http_response *http, llmt_response *out,
                                      llmt_error *err);

/* METHOD {base_url}/{path} with a JSON text body (or NULL; taken over: `out` owns it
 * afterwards, even on failure), Content-Type when there is a body, and the key in header
 * key_header, or when key_header is NULL as "Authorization: Bearer <key>" (the temporary
 * header text is wiped after use); nothing when the provider has no key. */
llmt_status llmt_wire_http_request(const llmt_wire_basic *b, const char *method, const char *path,
                                   char *body, size_t body_len, const char *key_header,
                                   llmt_http_request *out, llmt_error *err);

/* METHOD {base_url}/{path} with a JSON body (or none) and "Authorization: Bearer <key>"
 * when the provider has a key. */
llmt_status llmt_wire_bearer_request(const llmt_wire_basic *b, const char *method, const char *path,
                                     const json_t *body, llmt_http_request *out,
                                     llmt_error *err);

/* POST {base_url}/{path} with the chat_compat body of req and the bearer header. The
 * body: model, messages (system prompt first, files as image parts of the last user
 * message, after checking the model takes images), temperature, the output cap, and
 * response_format for req->structured_mode (then o->members_with_format), written as
 * text without a jansson tree. */
llmt_status llmt_chat_compat_bearer_request(const llmt_wire_basic *b, const llmt_request *req,
                                            const llmt_chat_compat_opts *o, const char *path,
                                            llmt_http_request *out, llmt_error *err);

#endif
