#include "providers/toolkit/wire.h"

#include "core/jscan.h"
#include "core/jsonw.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/util.h"
#include "http/hint.h"
#include "provider/host_api.h"

/* ---- bodies --------------------------------------------------------------------- */

void llmt_wire_excerpt(const char *body, size_t len, char *out, size_t n)
{
    size_t i = 0, o = 0, cap, reserve, limit;
    if (!n)
        return;
    cap = n - 1 > 160 ? 160 : n - 1;
    reserve = cap >= 8 ? 3 : 0; /* room for "..." when cut */
    limit = cap - reserve;
    while (body && i < len && isspace((unsigned char)body[i]))
        i++;
    for (; body && i < len && o < limit; i++) {
        unsigned char c = (unsigned char)body[i];
        out[o++] = (char)(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    if (body && i < len) {
        /* cut: do not end inside a UTF-8 sequence */
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0)
            o--;
        memcpy(out + o, "...", reserve);
        o += reserve;
    }
    out[o] = '\0';
    if (!o)
        snprintf(out, n, "(empty body)");
}

llmt_status llmt_wire_parse_body(const llmt_http_response *http, json_t **out, llmt_error *err)
{
    json_error_t je;
    json_t *root;
    *out = NULL;
    root = json_loadb(http->body ? http->body : "", http->body_len, 0, &je);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return llmt_wire_not_json_object(http, root ? "another JSON value" : je.text, err);
    }
    *out = root;
    return LLMT_OK;
}

llmt_status llmt_wire_not_json_object(const llmt_http_response *http, const char *why,
                                      llmt_error *err)
{
    char ex[200];
    llmt_wire_excerpt(http->body, http->body_len, ex, sizeof ex);
    return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "HTTP %ld: the reply is not a JSON object (%s): %s",
                          http->status, why, ex);
}

bool llmt_wire_body_has(const llmt_http_response *http, const char *needle)
{
    size_t nl = strlen(needle), i;
    if (!http->body || !nl || http->body_len < nl)
        return false;
    for (i = 0; i + nl <= http->body_len; i++)
        if (http->body[i] == needle[0] && memcmp(http->body + i, needle, nl) == 0)
            return true;
    return false;
}

char *llmt_wire_base64(const unsigned char *data, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t olen = 4 * ((n + 2) / 3), i, o = 0;
    char *out;
    if (n > ((size_t)-1 - 1) / 4 * 3 - 3)
        return NULL;
    out = malloc(olen + 1);
    if (!out)
        return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)data[i] << 16) | ((unsigned long)data[i + 1] << 8) |
                          data[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < n) {
        unsigned long v = (unsigned long)data[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)data[i + 1] << 8;
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

char *llmt_wire_url(const char *base, const char *path)
{
    size_t bl = base ? strlen(base) : 0;
    while (bl && base[bl - 1] == '/')
        bl--;
    while (path && *path == '/')
        path++;
    return llmt_asprintf("%.*s/%s", (int)bl, base ? base : "", path ? path : "");
}

llmt_status llmt_wire_add_header(llmt_http_request *out, const char *name, const char *value,
                                 llmt_error *err)
{
    if (!llmt_http_request_add_header(out, name, value ? value : ""))
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    return LLMT_OK;
}

llmt_status llmt_wire_set_json_request(llmt_http_request *out, const char *method,
                                       const char *url, const json_t *body, llmt_error *err)
{
    free(out->method);
    free(out->url);
    free(out->body);
    out->method = llmt_strdup(method ? method : "POST");
    out->url = llmt_strdup(url);
    out->body = body ? llmt_json_dumps_compact(body, false) : NULL;
    out->body_len = out->body ? strlen(out->body) : 0;
    if (!out->method || !out->url || (body && !out->body))
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (body)
        return llmt_wire_add_header(out, "Content-Type", "application/json", err);
    return LLMT_OK;
}

llmt_status llmt_wire_schema(const llmt_request *req, json_t **out, llmt_error *err)
{
    json_error_t je;
    *out = NULL;
    if (!req->json_schema)
        return LLMT_OK;
    *out = json_loads(req->json_schema, 0, &je);
    if (!*out)
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "the JSON schema is not valid JSON (line %d: %s)", je.line, je.text);
    return LLMT_OK;
}

/* The parsed form of the last schema text a provider instance was asked to send: a run sends the same task schema thousands of times, and parsing
 * and walking it per request showed in the request-rate benchmark. The mutex makes the
 * state safe for callers on several threads; the parsed schema is shared read-only
 * (jansson's reference counts are atomic). */
typedef struct llmt_wire_schema_cache {
    pthread_mutex_t mu;
    char *text;       /* the request's schema text it was parsed from */
    json_t *schema;
    char *compact;    /* schema printed compactly, as it goes into a request body */
} llmt_wire_schema_cache;

static llmt_wire_schema_cache *schema_cache_new(void)
{
    llmt_wire_schema_cache *c = calloc(1, sizeof(*c));
    if (c && pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

static void schema_cache_free(llmt_wire_schema_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c->text);
    free(c->compact);
    json_decref(c->schema);
    free(c);
}

/* llmt_wire_schema through the cache (c may be NULL): *out is a new reference. */
static llmt_status schema_cached(llmt_wire_schema_cache *c, const llmt_request *req, json_t **out,
                                 llmt_error *err)
{
    llmt_status st;
    *out = NULL;
    if (c && req->json_schema) {
        pthread_mutex_lock(&c->mu);
        if (c->text && strcmp(c->text, req->json_schema) == 0) {
            *out = json_incref(c->schema);
        }
        pthread_mutex_unlock(&c->mu);
        if (*out)
            return LLMT_OK;
    }
    st = llmt_wire_schema(req, out, err);
    if (st != LLMT_OK || !*out)
        return st;
    if (c) {
        char *text = llmt_strdup(req->json_schema);
        char *compact = llmt_json_dumps_compact(*out, false);
        if (text && compact) {
            pthread_mutex_lock(&c->mu);
            free(c->text);
            free(c->compact);
            json_decref(c->schema);
            c->text = text;
            c->compact = compact;
            c->schema = json_incref(*out);
            pthread_mutex_unlock(&c->mu);
        } else {
            free(text);
            free(compact);
        }
    }
    return LLMT_OK;
}

/* Appends the compact text of the request's schema to b (through the cache when it
 * holds this schema: no parse, no print). */
static llmt_status schema_text(llmt_wire_schema_cache *c, const llmt_request *req, llmt_buf *b,
                               llmt_error *err)
{
    json_t *schema = NULL;
    llmt_status st;
    if (c) {
        bool hit = false;
        pthread_mutex_lock(&c->mu);
        if (c->text && c->compact && strcmp(c->text, req->json_schema) == 0) {
            llmt_buf_puts(b, c->compact);
            hit = true;
        }
        pthread_mutex_unlock(&c->mu);
        if (hit)
            return LLMT_OK;
    }
    st = schema_cached(c, req, &schema, err);
    if (st == LLMT_OK && !llmt_json_dump_compact(schema, b, false))
        st = llmt_error_set(err, LLMT_E_INVALID_ARG, "the task schema cannot be printed as JSON");
    json_decref(schema);
    return st;
}

llmt_status llmt_wire_schema_text(const llmt_wire_basic *b, const llmt_request *req,
                                  llmt_buf *out, llmt_error *err)
{
    if (!req->json_schema)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "the request has no JSON schema");
    return schema_text(b->schema_cache, req, out, err);
}

void llmt_wire_schema_name(const char *name, char *buf, size_t n)
{
    size_t o = 0;
    if (!n)
        return;
    for (; name && *name && o + 1 < n && o < 64; name++) {
        char c = *name;
        buf[o++] = (isalnum((unsigned char)c) || c == '_' || c == '-') ? c : '_';
    }
    buf[o] = '\0';
    if (!o)
        snprintf(buf, n, "schema");
}

/* ---- files ---------------------------------------------------------------------- */

static const char *const default_images[] = {"image/png", "image/jpeg", "image/gif",
                                             "image/webp", NULL};

llmt_status llmt_wire_check_images(const llmt_request *req, const char *provider,
                                   const char *const *allowed, llmt_error *err)
{
    size_t i, j;
    if (!req->n_files)
        return LLMT_OK;
    if (!allowed)
        allowed = default_images;
    if (!req->model_info || !req->model_info->images)
        return llmt_error_set(err, LLMT_E_UNSUPPORTED,
                              "%s:%s does not accept images (capabilities.images is false); "
                              "the case has %zu file(s), first %s",
                              provider, req->model, req->n_files,
                              req->files[0].path ? req->files[0].path : "(unnamed)");
    for (i = 0; i < req->n_files; i++) {
        const char *mt = req->files[i].mime_type;
        bool ok = false;
        for (j = 0; allowed[j] && mt; j++)
            ok = ok || strcmp(allowed[j], mt) == 0;
        if (!ok) {
            llmt_buf list = {0};
            llmt_status st;
            for (j = 0; allowed[j]; j++)
                llmt_buf_printf(&list, "%s%s", j ? ", " : "", allowed[j]);
            st = llmt_error_set(err, LLMT_E_UNSUPPORTED,
                                "%s: file %s has type %s; this provider takes only %s", provider,
                                req->files[i].path ? req->files[i].path : "(unnamed)",
                                mt ? mt : "(unknown)", list.data ? list.data : "nothing");
            llmt_buf_free(&list);
            return st;
        }
    }
    return LLMT_OK;
}

/* Byte offset of the first sequence JSON cannot carry, or -1 when s is fine (or NULL). */
static long bad_utf8_at(const char *s)
{
    return s ? llmt_utf8_invalid_at(s, strlen(s)) : -1;
}

llmt_status llmt_wire_check_texts(const llmt_request *req, const char *provider,
                                  llmt_error *err)
{
    const char *who = req->case_id ? req->case_id : "the request";
    long at;
    size_t i;
    if ((at = bad_utf8_at(req->model)) >= 0)
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "%s: the model name is not valid UTF-8 (byte %ld); not sent",
                              provider, at);
    if ((at = bad_utf8_at(req->system_prompt)) >= 0)
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "%s: the system prompt of %s is not valid UTF-8 (byte %ld); it "
                              "cannot be sent as JSON, so nothing was sent",
                              provider, who, at);
    for (i = 0; i < req->n_messages; i++) {
        const llmt_message *m = &req->messages[i];
        if ((at = bad_utf8_at(m->content)) >= 0 || (at = bad_utf8_at(m->role)) >= 0)
            return llmt_error_set(err, LLMT_E_INVALID_ARG,
                                  "%s: message %zu of %s is not valid UTF-8 (byte %ld); it "
                                  "cannot be sent as JSON, so nothing was sent",
                                  provider, i + 1, who, at);
    }
    return LLMT_OK;
}

llmt_status llmt_wire_check_request(const llmt_request *req, const char *provider,
                                    const char *const *allowed, llmt_error *err)
{
    llmt_status st = llmt_wire_check_images(req, provider, allowed, err);
    return st == LLMT_OK ? llmt_wire_check_texts(req, provider, err) : st;
}

size_t llmt_wire_last_user(const llmt_request *req)
{
    size_t i = req->n_messages;
    while (i > 0) {
        i--;
        if (req->messages[i].role && strcmp(req->messages[i].role, "user") == 0)
            return i;
    }
    return req->n_messages;
}

/* ---- errors --------------------------------------------------------------------- */

static void copy_json_scalar(json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        snprintf(buf, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%g", json_real_value(v));
}

static void copy_message(json_t *v, char *buf, size_t n)
{
    if (json_is_string(v)) {
        snprintf(buf, n, "%s", json_string_value(v));
    } else if (v && !json_is_null(v)) {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s)
            snprintf(buf, n, "%s", s);
        free(s);
    }
}

void llmt_wire_error_fields(const llmt_http_response *http, llmt_wire_err_fields *f)
{
    json_t *root = json_loadb(http->body ? http->body : "", http->body_len, 0, NULL);
    json_t *e;
    memset(f, 0, sizeof(*f));
    if (!json_is_object(root)) {
        llmt_wire_excerpt(http->body, http->body_len, f->message, sizeof f->message);
        json_decref(root);
        return;
    }
    e = json_object_get(root, "error");
    if (json_is_object(e)) {
        copy_message(json_object_get(e, "message"), f->message, sizeof f->message);
        copy_json_scalar(json_object_get(e, "type"), f->type, sizeof f->type);
        copy_json_scalar(json_object_get(e, "code"), f->code, sizeof f->code);
        copy_json_scalar(json_object_get(e, "status"), f->status, sizeof f->status);
    } else if (json_is_string(e)) {
        snprintf(f->message, sizeof f->message, "%s", json_string_value(e));
    }
    if (!f->message[0])
        copy_message(json_object_get(root, "message"), f->message, sizeof f->message);
    if (!f->message[0])
        copy_message(json_object_get(root, "detail"), f->message, sizeof f->message);
    if (!f->type[0])
        copy_json_scalar(json_object_get(root, "type"), f->type, sizeof f->type);
    if (!f->code[0])
        copy_json_scalar(json_object_get(root, "code"), f->code, sizeof f->code);
    /* an envelope-level "type":"error" says nothing */
    if (strcmp(f->type, "error") == 0)
        f->type[0] = '\0';
    if (!f->message[0])
        llmt_wire_excerpt(http->body, http->body_len, f->message, sizeof f->message);
    json_decref(root);
}

llmt_status llmt_wire_status_class(long status)
{
    switch (status) {
    case 401:
        return LLMT_E_AUTH;
    case 402:
        return LLMT_E_QUOTA;
    case 403:
        return LLMT_E_PERMISSION;
    case 404:
        return LLMT_E_NOT_FOUND;
    case 408:
        return LLMT_E_TIMEOUT;
    case 429:
        return LLMT_E_RATE_LIMIT;
    case 503:
    case 529:
        return LLMT_E_OVERLOADED;
    default:
        return status >= 500 ? LLMT_E_SERVER : LLMT_E_BAD_REQUEST;
    }
}


/* Providers that give no code for an input that is too long say so only in words: the
 * provider's reply text is the one signal, read here for all of them. */
bool llmt_wire_says_context_length(const char *text)
{
    static const char *const hints[] = {"context_length",    "context length",
                                        "context window",    "maximum context",
                                        "prompt is too long", "input is too long",
                                        "too many tokens",   "exceeds the maximum number of tokens",
                                        "input token count", NULL};
    size_t i;
    for (i = 0; text && hints[i]; i++)
        if (llmt_str_contains_ci(text, hints[i]))
            return true;
    return false;
}

char *llmt_wire_header_dup(const llmt_http_response *http, const char *const *names)
{
    size_t i;
    for (i = 0; names && names[i]; i++) {
        const char *v = llmt_http_response_header(http, names[i]);
        if (v && *v)
            return llmt_strdup(v);
    }
    return NULL;
}

double llmt_wire_header_number(const llmt_http_response *http, const char *name)
{
    const char *v = llmt_http_response_header(http, name);
    char *end = NULL;
    double d;
    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    d = strtod(v, &end);
    if (end == v || !isfinite(d) || d < 0)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    return *end ? -1 : d;
}

double llmt_wire_header_reset(const llmt_http_response *http, const char *name)
{
    const char *v = llmt_http_response_header(http, name);
    return v ? llmt_parse_reset(v, llmt_hint_now(http)) : -1;
}

llmt_status llmt_wire_fail(llmt_error *err, const llmt_http_response *http, llmt_status st,
                           const llmt_wire_err_fields *f, const char *const *request_id_headers)
{
    static const char *const default_ids[] = {"x-request-id", "request-id", NULL};
    const char *what = f && f->message[0] ? f->message : "(no message)";
    char *rid;
    if (!err)
        return st;
    llmt_error_set(err, st, "HTTP %ld: %s", http->status, what);
    err->http_status = (int)http->status;
    if (f && f->code[0])
        snprintf(err->code, sizeof err->code, "%s", f->code);
    else if (f && f->type[0])
        snprintf(err->code, sizeof err->code, "%s", f->type);
    else if (f && f->status[0])
        snprintf(err->code, sizeof err->code, "%s", f->status);
    rid = llmt_wire_header_dup(http, request_id_headers ? request_id_headers : default_ids);
    if (rid)
        snprintf(err->request_id, sizeof err->request_id, "%s", rid);
    free(rid);
    /* quota, auth and the other permanent classes are never retried, whatever headers say */
    err->retryable = llmt_status_retryable(st);
    if (err->retryable)
        err->retry_after_s = llmt_retry_after_from_headers(http, llmt_hint_now(http));
    return st;
}

static bool code_has(const llmt_wire_err_fields *f, const char *what)
{
    return llmt_str_contains_ci(f->code, what) || llmt_str_contains_ci(f->type, what);
}

llmt_status llmt_wire_classify(const llmt_http_response *http, const llmt_wire_err_fields *f)
{
    llmt_status st = llmt_wire_status_class(http->status);
    if (code_has(f, "insufficient_quota"))
        return LLMT_E_QUOTA;
    if ((st == LLMT_E_BAD_REQUEST) &&
        (code_has(f, "context_length") || llmt_wire_says_context_length(f->message)))
        return LLMT_E_CONTEXT_LENGTH;
    if (st == LLMT_E_BAD_REQUEST &&
        (code_has(f, "content_filter") || code_has(f, "content_policy")))
        return LLMT_E_CONTENT_FILTER;
    return st;
}

llmt_status llmt_wire_classify_op(void *state, const llmt_http_response *http, llmt_error *err)
{
    llmt_wire_err_fields f;
    (void)state;
    llmt_wire_error_fields(http, &f);
    return llmt_wire_fail(err, http, llmt_wire_classify(http, &f), &f, NULL);
}

/* ---- per-instance state --------------------------------------------------------- */

void llmt_wire_basic_destroy(void *state)
{
    llmt_wire_basic *b = state;
    if (!b)
        return;
    free(b->name);
    free(b->base_url);
    if (b->api_key) {
        memset(b->api_key, 0, strlen(b->api_key));
        free(b->api_key);
    }
    json_decref(b->options);
    schema_cache_free(b->schema_cache);
    free(b);
}

llmt_status llmt_wire_basic_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    llmt_wire_basic *b = calloc(1, sizeof(*b));
    if (!b)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    b->name = llmt_strdup(s->name ? s->name : "?");
    b->base_url = llmt_strdup(s->base_url ? s->base_url : "");
    b->api_key = s->api_key ? llmt_strdup(s->api_key) : NULL;
    b->schema_cache = schema_cache_new(); /* NULL (out of memory) only disables caching */
    /* a caller of the toolkit itself (a test) may pass no host: the library's own */
    b->pub.host = s->version >= 2 && s->host ? s->host : llmt_host();
    b->pub.name = b->name;
    b->pub.base_url = b->base_url;
    b->pub.api_key = b->api_key;
    if (s->config_json) {
        json_t *root = json_loads(s->config_json, 0, NULL);
        json_t *o = json_object_get(root, "options");
        if (json_is_object(o))
            b->options = json_incref(o);
        json_decref(root);
    }
    if (!b->name || !b->base_url || (s->api_key && !b->api_key)) {
        llmt_wire_basic_destroy(b);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    if (!b->base_url[0]) {
        char upper[64];
        size_t i;
        llmt_status st;
        for (i = 0; b->name[i] && i + 1 < sizeof upper; i++)
            upper[i] = isalnum((unsigned char)b->name[i]) ? (char)toupper((unsigned char)b->name[i]) : '_';
        upper[i] = '\0';
        st = llmt_error_set(err, LLMT_E_CONFIG, "%s: no base_url (set it in %s or LLMT_%s_BASE_URL)",
                            b->name, s->config_path ? s->config_path : "config.json", upper);
        llmt_wire_basic_destroy(b);
        return st;
    }
    *state = b;
    return LLMT_OK;
}

const char *llmt_wire_option(const llmt_wire_basic *b, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(b->options, key));
    return v ? v : dflt;
}

long long llmt_wire_option_integer(const llmt_wire_basic *b, const char *key, long long dflt)
{
    const json_t *v = json_object_get(b->options, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

/* ---- chat_compat ---------------------------------------------------------------- */

static bool put_member_string(llmt_buf *b, const char *key, const char *value)
{
    llmt_buf_puts(b, key); /* `"name":` spelled by the caller */
    return llmt_json_put_string(b, value, strlen(value), false);
}

/* `,"content":[{"type":"text","text":...}, image parts]` of the message that carries the
 * request's files (the last user message), each image a data: URL. *ok turns false when
 * a text is not UTF-8. */
static llmt_status content_with_images(const llmt_request *req, const llmt_message *m,
                                       const llmt_chat_compat_opts *o, llmt_buf *b, bool *ok,
                                       llmt_error *err)
{
    size_t j;
    *ok = *ok && put_member_string(b, ",\"content\":[{\"type\":\"text\",\"text\":",
                                   m->content ? m->content : "");
    llmt_buf_puts(b, "}");
    for (j = 0; j < req->n_files && *ok; j++) {
        const llmt_file *f = &req->files[j];
        char *b64 = llmt_wire_base64(f->data, f->size);
        char *url = b64 ? llmt_asprintf("data:%s;base64,%s", f->mime_type ? f->mime_type : "", b64)
                        : NULL;
        free(b64);
        if (!url)
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory encoding %s",
                                  f->path ? f->path : "a file");
        *ok = put_member_string(b, o->image_url_string
                                       ? ",{\"type\":\"image_url\",\"image_url\":"
                                       : ",{\"type\":\"image_url\",\"image_url\":{\"url\":",
                                url);
        llmt_buf_puts(b, o->image_url_string ? "}" : "}}");
        free(url);
    }
    llmt_buf_puts(b, "]");
    return LLMT_OK;
}

/* The chat_compat body written straight into a buffer, without a jansson tree: requests
 * are built on the engine's event-loop thread, where building and printing a tree cost
 * more than the rest of starting a transfer. */
static llmt_status chat_compat_body_text(const char *provider, const llmt_request *req,
                                         const llmt_chat_compat_opts *o, llmt_buf *b,
                                         llmt_error *err)
{
    size_t i, last_user = llmt_wire_last_user(req),
              est = 256 + (req->model ? strlen(req->model) : 0) +
                    (req->system_prompt ? strlen(req->system_prompt) : 0) +
                    (req->json_schema ? strlen(req->json_schema) : 0);
    bool ok;
    llmt_status st;
    for (i = 0; i < req->n_messages; i++)
        est += 32 + (req->messages[i].content ? strlen(req->messages[i].content) : 0);
    for (i = 0; i < req->n_files; i++)
        est += 96 + req->files[i].size / 3 * 4 + (req->files[i].mime_type ? strlen(req->files[i].mime_type) : 0);
    if (!b->data) {
        /* one allocation of about the final size instead of doubling from 64 bytes */
        b->data = malloc(est);
        b->cap = b->data ? est : 0;
    }
    ok = put_member_string(b, "{\"model\":", req->model ? req->model : "");
    llmt_buf_puts(b, ",\"messages\":[");
    if (req->system_prompt && req->system_prompt[0]) {
        ok = ok && put_member_string(b, "{\"role\":\"system\",\"content\":", req->system_prompt);
        llmt_buf_puts(b, "}");
    }
    for (i = 0; i < req->n_messages && ok; i++) {
        const llmt_message *m = &req->messages[i];
        if (i || (req->system_prompt && req->system_prompt[0]))
            llmt_buf_puts(b, ",");
        ok = put_member_string(b, "{\"role\":", m->role ? m->role : "user");
        if (i == last_user && req->n_files) {
            st = content_with_images(req, m, o, b, &ok, err);
            if (st != LLMT_OK)
                return st;
        } else {
            ok = ok && put_member_string(b, ",\"content\":", m->content ? m->content : "");
        }
        llmt_buf_puts(b, "}");
    }
    if (!ok)
        return (st = llmt_wire_check_texts(req, provider, err)) != LLMT_OK
                   ? st /* names the text and the byte */
                   : llmt_error_set(err, LLMT_E_INVALID_ARG,
                                    "the request's text is not valid UTF-8 (model %s)",
                                    req->model ? req->model : "?");
    llmt_buf_puts(b, "]");
    if (req->temperature >= 0 && !o->omit_temperature) {
        llmt_buf_puts(b, ",\"temperature\":");
        llmt_json_put_real(b, req->temperature);
    }
    if (req->max_tokens > 0) {
        llmt_buf_puts(b, ",");
        llmt_json_put_string(b, o->max_tokens_field ? o->max_tokens_field : "max_tokens",
                             strlen(o->max_tokens_field ? o->max_tokens_field : "max_tokens"),
                             false);
        llmt_buf_puts(b, ":");
        llmt_json_put_int(b, req->max_tokens);
    }
    if (req->structured_mode == LLMT_STRUCTURED_JSON_SCHEMA && req->json_schema) {
        char name[80];
        llmt_wire_schema_name(req->schema_name, name, sizeof name);
        put_member_string(b, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":",
                          name);
        llmt_buf_puts(b, ",\"schema\":");
        st = schema_text(o->schema_cache, req, b, err);
        if (st != LLMT_OK)
            return st;
        if (o->strict_schema)
            llmt_buf_puts(b, req->schema_strict ? ",\"strict\":true" : ",\"strict\":false");
        llmt_buf_puts(b, "}}");
    } else if (req->structured_mode == LLMT_STRUCTURED_JSON_OBJECT) {
        llmt_buf_puts(b, ",\"response_format\":{\"type\":\"json_object\"}");
    }
    if (o->members_with_format && (req->structured_mode == LLMT_STRUCTURED_JSON_OBJECT ||
                                   (req->structured_mode == LLMT_STRUCTURED_JSON_SCHEMA &&
                                    req->json_schema))) {
        llmt_buf_puts(b, ",");
        llmt_buf_puts(b, o->members_with_format);
    }
    llmt_buf_puts(b, "}");
    if (b->oom)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    return LLMT_OK;
}

/* Text of a message content: a string, or the concatenated "text" of typed parts. */
static char *content_text(llmt_jval content)
{
    llmt_buf b = {0};
    size_t i, n;
    if (llmt_jval_type(content) == LLMT_J_STRING)
        return llmt_jval_strdup(content, NULL);
    if (llmt_jval_type(content) != LLMT_J_ARRAY)
        return NULL;
    n = llmt_jval_size(content);
    for (i = 0; i < n; i++) {
        llmt_jval part = llmt_jval_at(content, i), type = llmt_jval_get(part, "type");
        char *t = llmt_jval_strdup(llmt_jval_type(part) == LLMT_J_STRING
                                       ? part
                                       : llmt_jval_get(part, "text"),
                                   NULL);
        if (t && (llmt_jval_type(part) == LLMT_J_STRING || llmt_jval_type(type) != LLMT_J_STRING ||
                  llmt_jval_streq(type, "text")))
            llmt_buf_puts(&b, t);
        free(t);
    }
    return b.data ? llmt_buf_steal(&b) : NULL;
}

llmt_status llmt_wire_scan_body(const llmt_http_response *http, llmt_jval *root, llmt_error *err)
{
    char why[128], ex[200];
    bool parsed = llmt_jscan_parse(http->body, http->body_len, root, why, sizeof why);
    if (parsed && llmt_jval_type(*root) == LLMT_J_OBJECT)
        return LLMT_OK;
    llmt_wire_excerpt(http->body, http->body_len, ex, sizeof ex);
    root->p = NULL;
    root->n = 0;
    return llmt_error_set(err, LLMT_E_BAD_RESPONSE,
                          "HTTP %ld: the reply is not a JSON object (%s): %s", http->status,
                          parsed ? "another JSON value" : why, ex);
}

/* Reads the few fields of a chat completion with the scanning reader (core/jscan.h)
 * rather than a jansson tree: this runs on the engine's event-loop thread for every
 * reply, where building and freeing a tree was the largest cost of a reply. */
llmt_status llmt_chat_compat_parse(const llmt_http_response *http, llmt_response *out,
                                   llmt_error *err)
{
    static const char *const ids[] = {"x-request-id", "request-id", NULL};
    static const char *const root_keys[] = {"choices", "error", "model", "id", "usage"};
    static const char *const choice_keys[] = {"message", "finish_reason", "error"};
    static const char *const msg_keys[] = {"content", "refusal"};
    llmt_jval root, choice, msg, usage, cerr, top[5], ch[3], mv[2];
    char *finish = NULL, *refusal = NULL;
    llmt_status st = llmt_wire_scan_body(http, &root, err);
    char ex[200];
    if (st != LLMT_OK)
        return st;
    /* one pass over each object for the members read from it */
    llmt_jval_get_many(root, root_keys, top, 5);
    choice = llmt_jval_at(top[0], 0);
    llmt_jval_get_many(choice, choice_keys, ch, 3);
    msg = ch[0];
    if (llmt_jval_type(choice) != LLMT_J_OBJECT || llmt_jval_type(msg) != LLMT_J_OBJECT) {
        bool has_error = llmt_jval_type(top[1]) != LLMT_J_NONE;
        llmt_wire_excerpt(http->body, http->body_len, ex, sizeof ex);
        st = llmt_error_set(err, has_error ? LLMT_E_SERVER : LLMT_E_BAD_RESPONSE,
                            "HTTP %ld: the reply has no choices[0].message: %s", http->status, ex);
        goto done;
    }
    finish = llmt_jval_strdup(ch[1], NULL);
    cerr = ch[2];
    if (llmt_jval_type(cerr) == LLMT_J_OBJECT || (finish && strcmp(finish, "error") == 0)) {
        char *m = llmt_jval_strdup(llmt_jval_get(cerr, "message"), NULL);
        st = llmt_error_set(err, LLMT_E_SERVER, "HTTP %ld but the generation failed: %s",
                            http->status, m ? m : "finish_reason \"error\"");
        free(m);
        goto done;
    }
    llmt_jval_get_many(msg, msg_keys, mv, 2);
    refusal = llmt_jval_strdup(mv[1], NULL);
    if ((refusal && refusal[0]) || (finish && strcmp(finish, "content_filter") == 0)) {
        st = llmt_error_set(err, LLMT_E_CONTENT_FILTER, "the model refused: %s",
                            refusal && refusal[0] ? refusal : "finish_reason \"content_filter\"");
        if (err)
            snprintf(err->code, sizeof err->code, "%s", refusal ? "refusal" : "content_filter");
        goto done;
    }
    out->text = content_text(mv[0]);
    out->stop_reason = finish;
    finish = NULL;
    out->model = llmt_jval_strdup(top[2], NULL);
    out->request_id = llmt_wire_header_dup(http, ids);
    if (!out->request_id)
        out->request_id = llmt_jval_strdup(top[3], NULL);
    usage = top[4];
    out->usage.input_tokens = (long)llmt_jval_integer_or(llmt_jval_get(usage, "prompt_tokens"), 0);
    out->usage.output_tokens =
        (long)llmt_jval_integer_or(llmt_jval_get(usage, "completion_tokens"), 0);
    out->usage.cached_input_tokens = (long)llmt_jval_integer_or(
        llmt_jval_get(llmt_jval_get(usage, "prompt_tokens_details"), "cached_tokens"), -1);
    out->usage.reasoning_tokens = (long)llmt_jval_integer_or(
        llmt_jval_get(llmt_jval_get(usage, "completion_tokens_details"), "reasoning_tokens"), -1);
done:
    st = llmt_wire_reply_end(http, st, "finish_reason", out->stop_reason, out, err);
    free(finish);
    free(refusal);
    return st;
}

llmt_status llmt_wire_reply_end(const llmt_http_response *http, llmt_status st, const char *label,
                                const char *reason, llmt_response *out, llmt_error *err)
{
    char ex[200];
    if (st == LLMT_OK && (!out->text || !out->text[0])) {
        llmt_wire_excerpt(http->body, http->body_len, ex, sizeof ex);
        st = llmt_error_set(err, LLMT_E_BAD_RESPONSE, "the reply has no text (%s %s): %s", label,
                            reason ? reason : "none", ex);
    }
    if (st != LLMT_OK)
        llmt_response_clear(out);
    return st;
}

llmt_status llmt_chat_compat_parse_op(void *state, const llmt_request *req,
                                      const llmt_http_response *http, llmt_response *out,
                                      llmt_error *err)
{
    (void)state;
    (void)req;
    return llmt_chat_compat_parse(http, out, err);
}

llmt_status llmt_wire_http_request(const llmt_wire_basic *b, const char *method, const char *path,
                                   char *body, size_t body_len, const char *key_header,
                                   llmt_http_request *out, llmt_error *err)
{
    char *url = llmt_wire_url(b->base_url, path), *auth = NULL;
    llmt_status st = LLMT_OK;
    free(out->method);
    free(out->url);
    free(out->body);
    out->method = llmt_strdup(method ? method : "POST");
    out->url = url;
    out->body = body;
    out->body_len = body ? body_len : 0;
    if (!out->method || !out->url)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (body)
        st = llmt_wire_add_header(out, "Content-Type", "application/json", err);
    if (st != LLMT_OK || !b->api_key)
        return st;
    if (key_header)
        return llmt_wire_add_header(out, key_header, b->api_key, err);
    auth = llmt_asprintf("Bearer %s", b->api_key);
    if (!auth)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    st = llmt_wire_add_header(out, "Authorization", auth, err);
    memset(auth, 0, strlen(auth));
    free(auth);
    return st;
}

llmt_status llmt_wire_bearer_request(const llmt_wire_basic *b, const char *method, const char *path,
                                     const json_t *body, llmt_http_request *out,
                                     llmt_error *err)
{
    char *text = body ? llmt_json_dumps_compact(body, false) : NULL;
    if (body && !text)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    return llmt_wire_http_request(b, method, path, text, text ? strlen(text) : 0, NULL, out, err);
}

llmt_status llmt_chat_compat_bearer_request(const llmt_wire_basic *b, const llmt_request *req,
                                            const llmt_chat_compat_opts *o, const char *path,
                                            llmt_http_request *out, llmt_error *err)
{
    llmt_chat_compat_opts oc = *o;
    llmt_buf body = {0};
    llmt_status st = llmt_wire_check_images(req, b->name, NULL, err);
    size_t len;
    if (st != LLMT_OK)
        return st;
    if (!oc.schema_cache)
        oc.schema_cache = b->schema_cache;
    st = chat_compat_body_text(b->name, req, &oc, &body, err);
    if (st != LLMT_OK) {
        llmt_buf_free(&body);
        return st;
    }
    len = body.len;
    return llmt_wire_http_request(b, "POST", path, llmt_buf_steal(&body), len, NULL, out, err);
}
