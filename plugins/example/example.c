/*
 * example: a complete external provider (plugin) for any server speaking the
 * widely used Chat Completions format (POST {base_url}/chat/completions).
 *
 * It is compiled against include/llmt/provider.h alone (plus jansson, which it links
 * itself) and exports one symbol, llmt_provider_entry(). Everything it puts into an
 * output struct is malloc'd; the library frees it. It never calls llmt_* functions
 * that are not static inline in provider.h: a plugin must load into any host (the
 * llm-tester binary, or an application that links libllmtester statically).
 *
 * Build: see plugins/example/Makefile (or the CMake build, which puts it into
 * build/plugins/example/). Load: LLMT_PLUGIN_PATH=<dir containing example/>.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmt/provider.h"

typedef struct example_state {
    char *url;     /* {base_url}/chat/completions */
    char *auth;    /* "Bearer <key>", or NULL when the config's env_key is "" */
} example_state;

/* Fills an error detail without any library call (the plugin is self-contained). */
static llmt_status fail(llmt_error *err, llmt_status st, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static llmt_status fail(llmt_error *err, llmt_status st, bool retryable, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return st;
    err->status = st;
    err->retryable = retryable;
    err->retry_after_s = -1;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return st;
}

static void example_destroy(void *state)
{
    example_state *s = state;
    if (!s)
        return;
    free(s->url);
    free(s->auth);
    free(s);
}

static llmt_status example_init(void **state, const llmt_provider_settings *settings,
                                llmt_error *err)
{
    example_state *s = calloc(1, sizeof(*s));
    size_t n;
    if (!s)
        return fail(err, LLMT_E_NOMEM, false, "out of memory");
    if (!settings->base_url || !settings->base_url[0]) {
        example_destroy(s);
        return fail(err, LLMT_E_CONFIG, false,
                    "%s: base_url is empty (set it in config.json or LLMT_EXAMPLE_BASE_URL)",
                    settings->config_path);
    }
    n = strlen(settings->base_url) + sizeof "/chat/completions";
    s->url = malloc(n);
    if (s->url)
        snprintf(s->url, n, "%s/chat/completions", settings->base_url);
    if (settings->api_key) {
        n = strlen(settings->api_key) + sizeof "Bearer ";
        s->auth = malloc(n);
        if (s->auth)
            snprintf(s->auth, n, "Bearer %s", settings->api_key);
    }
    if (!s->url || (settings->api_key && !s->auth)) {
        example_destroy(s);
        return fail(err, LLMT_E_NOMEM, false, "out of memory");
    }
    *state = s;
    return LLMT_OK;
}

static llmt_status example_build_request(void *state, const llmt_request *req,
                                         llmt_http_request *out, llmt_error *err)
{
    example_state *s = state;
    json_t *body = json_object(), *msgs = json_array();
    char *text = NULL;
    size_t i;
    llmt_status st = LLMT_OK;
    if (!body || !msgs) {
        st = fail(err, LLMT_E_NOMEM, false, "out of memory");
        goto done;
    }
    if (req->n_files) {
        st = fail(err, LLMT_E_UNSUPPORTED, false, "example: files are not supported");
        goto done;
    }
    if (req->system_prompt)
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content",
                                              req->system_prompt));
    for (i = 0; i < req->n_messages; i++)
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", req->messages[i].role,
                                              "content", req->messages[i].content
                                                             ? req->messages[i].content
                                                             : ""));
    json_object_set_new(body, "model", json_string(req->model));
    json_object_set(body, "messages", msgs);
    if (req->max_tokens > 0)
        json_object_set_new(body, "max_tokens", json_integer(req->max_tokens));
    if (req->temperature >= 0)
        json_object_set_new(body, "temperature", json_real(req->temperature));
    if (req->structured_mode == LLMT_STRUCTURED_JSON_OBJECT)
        json_object_set_new(body, "response_format", json_pack("{s:s}", "type", "json_object"));
    text = json_dumps(body, JSON_COMPACT);
    if (!text) {
        st = fail(err, LLMT_E_NOMEM, false, "out of memory");
        goto done;
    }
    out->method = llmt_strdup_("POST");
    out->url = llmt_strdup_(s->url);
    out->body = text;
    out->body_len = strlen(text);
    text = NULL;
    if (!out->method || !out->url ||
        !llmt_http_request_add_header(out, "Content-Type", "application/json") ||
        (s->auth && !llmt_http_request_add_header(out, "Authorization", s->auth)))
        st = fail(err, LLMT_E_NOMEM, false, "out of memory");
done:
    free(text);
    json_decref(msgs);
    json_decref(body);
    return st;
}

static llmt_status example_parse_response(void *state, const llmt_request *req,
                                          const llmt_http_response *http, llmt_response *out,
                                          llmt_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(http->body, http->body_len, 0, &je);
    json_t *choice, *usage;
    const char *content, *model, *finish, *id;
    llmt_status st = LLMT_OK;
    (void)state;
    if (!root)
        return fail(err, LLMT_E_BAD_RESPONSE, false, "example: reply is not JSON: %s", je.text);
    choice = json_array_get(json_object_get(root, "choices"), 0);
    content = json_string_value(json_object_get(json_object_get(choice, "message"), "content"));
    if (!content || !content[0]) {
        st = fail(err, LLMT_E_BAD_RESPONSE, false, "example: reply has no choices[0].message.content");
        goto done;
    }
    model = json_string_value(json_object_get(root, "model"));
    finish = json_string_value(json_object_get(choice, "finish_reason"));
    id = json_string_value(json_object_get(root, "id"));
    out->text = llmt_strdup_(content);
    out->model = llmt_strdup_(model ? model : req->model);
    out->stop_reason = finish ? llmt_strdup_(finish) : NULL;
    out->request_id = id ? llmt_strdup_(id) : NULL;
    usage = json_object_get(root, "usage");
    out->usage.input_tokens = (long)json_integer_value(json_object_get(usage, "prompt_tokens"));
    out->usage.output_tokens =
        (long)json_integer_value(json_object_get(usage, "completion_tokens"));
    out->usage.cached_input_tokens = -1;
    out->usage.reasoning_tokens = -1;
    if (!out->text || !out->model)
        st = fail(err, LLMT_E_NOMEM, false, "out of memory");
done:
    json_decref(root);
    return st;
}

/* Error classification: HTTP status first, refined by the body's error.code, since a
 * 429 can mean "slow down" (retryable) or "out of credit" (never retried). */
static llmt_status example_classify_error(void *state, const llmt_http_response *http,
                                          llmt_error *err)
{
    json_t *root = json_loadb(http->body, http->body_len, 0, NULL);
    json_t *e = json_object_get(root, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *ra = llmt_http_response_header(http, "retry-after");
    llmt_status st;
    bool retry = false;
    (void)state;
    switch (http->status) {
    case 400: st = code && strcmp(code, "context_length_exceeded") == 0 ? LLMT_E_CONTEXT_LENGTH
                                                                         : LLMT_E_BAD_REQUEST; break;
    case 401: st = LLMT_E_AUTH; break;
    case 403: st = LLMT_E_PERMISSION; break;
    case 404: st = LLMT_E_NOT_FOUND; break;
    case 429:
        if (code && strcmp(code, "insufficient_quota") == 0) {
            st = LLMT_E_QUOTA;
        } else {
            st = LLMT_E_RATE_LIMIT;
            retry = true;
        }
        break;
    case 503: st = LLMT_E_OVERLOADED; retry = true; break;
    default:
        st = http->status >= 500 ? LLMT_E_SERVER : LLMT_E_BAD_REQUEST;
        retry = http->status >= 500;
        break;
    }
    fail(err, st, retry, "example: HTTP %ld: %s", http->status, msg ? msg : "no message");
    if (err) {
        err->http_status = (int)http->status;
        if (code)
            snprintf(err->code, sizeof err->code, "%s", code);
        if (ra)
            err->retry_after_s = strtod(ra, NULL);
    }
    json_decref(root);
    return st;
}

static const llmt_provider_ops example_ops = {
    LLMT_PROVIDER_ABI_VERSION,
    "example",
    LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT,
    example_init,
    example_destroy,
    example_build_request,
    example_parse_response,
    example_classify_error,
    NULL, /* call: HTTP providers let the library do the exchange */
    NULL, /* build_catalog_request */
    NULL, /* parse_catalog */
    NULL, /* check_files */
};

/* The one exported symbol. Visible even when built with -fvisibility=hidden. */
__attribute__((visibility("default"))) const llmt_provider_ops *llmt_provider_entry(void);
const llmt_provider_ops *llmt_provider_entry(void)
{
    return &example_ops;
}
