/*
 * Gemini Batch API. Each batch line is a line of Gemini's JSONL input file,
 * {"key": custom_id, "request": <the generateContent body>}. A batch whose create request
 * fits the inline limit (20 MB documented; config option batch_inline_max_bytes) goes
 * inline: POST /models/{model}:batchGenerateContent {"batch": {"display_name",
 * "input_config": {"requests": {"requests": [{"request", "metadata": {"key"}}]}}}}.
 * A larger one is uploaded through the Files API's resumable protocol (POST
 * /upload/v1beta/files with X-Goog-Upload-Protocol: resumable and Command: start, whose
 * reply names the session in x-goog-upload-url; then one POST of the whole file there
 * with Command: "upload, finalize" and Offset: 0, answered {"file": {"name": "files/…"}})
 * and created with "input_config": {"file_name"}. Either way the reply is a
 * long-running operation named "batches/{id}"; GET /batches/{id} polls it
 * (metadata.state BATCH_STATE_PENDING, _RUNNING, _SUCCEEDED, _FAILED, _CANCELLED,
 * _EXPIRED; metadata.batchStats counts as strings); once done, response.inlinedResponses
 * .inlinedResponses holds one {response | error, metadata.key} per inline request, and
 * response.responsesFile names the results file of a file batch, read from
 * /download/v1beta/{file}:download?alt=media as JSON Lines {key, response | error}.
 * POST /batches/{id}:cancel cancels. Limit: input file 2 GB. Wire notes:
 * docs/providers.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

/* The inline limit is on the whole create request: 20 MB documented, less a margin for
 * the envelope's own bytes. Above it the input goes up as a file (up to 2 GB). */
#define INLINE_MAX_BYTES (20LL * 1000 * 1000 - 64 * 1024)
#define FILE_MAX_BYTES (2LL * 1000 * 1000 * 1000)

void gemini_batch_limits(void *state, llmt_batch_limits *out)
{
    (void)state;
    out->max_requests = 0; /* no count documented: the size bounds it */
    out->max_bytes = FILE_MAX_BYTES;
}

/* One line of the input file: {"key": custom_id, "request": <body>}. */
llmt_status gemini_batch_line(void *state, const llmt_request *req, const char *custom_id,
                              char **line, size_t *len, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_http_request hr;
    llmt_host_jw *w = NULL;
    llmt_status st;
    memset(&hr, 0, sizeof hr);
    st = gemini_build(state, req, &hr, err);
    if (st == LLMT_OK && (w = h->jw_new()) != NULL) {
        h->jw_raw(w, "{\"key\":");
        h->jw_string(w, custom_id);
        h->jw_raw(w, ",\"request\":");
        h->jw_bytes(w, hr.body ? hr.body : "null", hr.body ? hr.body_len : 4);
        h->jw_raw(w, "}");
    }
    h->http_request_clear(&hr);
    if (st != LLMT_OK)
        return st;
    *line = h->jw_finish(w, len);
    return *line ? LLMT_OK : h->error_set(err, LLMT_E_NOMEM, "out of memory");
}

static llmt_status request(const llmt_host_wire *b, const char *method, const char *path,
                           char *body, size_t body_len, llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = b->host;
    return h->http_request(b, method, path, body, body_len, "x-goog-api-key", out, err);
}

/* Where inline batches stop: the config option batch_inline_max_bytes (0 = always a
 * file), else the documented 20 MB. */
static long long inline_max(const llmt_host_wire *b)
{
    long long v = b->host->option_integer(b, "batch_inline_max_bytes", INLINE_MAX_BYTES);
    return v >= 0 ? v : INLINE_MAX_BYTES;
}

/* Whether the inline create request fits: the lines plus what each gains as an inline
 * request ({"request":…,"metadata":{"key":…}} is 13 bytes longer than the file line)
 * plus the envelope. Decided from the sizes alone so every submit step agrees. */
static bool goes_inline(const llmt_host_wire *b, const llmt_batch_submit *s)
{
    long long max = inline_max(b);
    return max > 0 && (long long)(s->lines_len + 16 * s->n_lines + 256) <= max;
}

/* batch_join_with's writer: the file line {"key":K,"request":R} (n bytes at p) written
 * as the inline {"request":R,"metadata":{"key":K}}; the body R is copied byte for byte.
 * A line that is not one of ours is refused. */
static llmt_status put_inline(void *state, llmt_host_jw *w, const char *p, size_t n,
                              llmt_error *err)
{
    static const char k[] = "{\"key\":\"", r[] = ",\"request\":";
    const llmt_host_api *h = LLMT_HOST_OF(state);
    size_t i = sizeof k - 1, key_end;
    if (n < sizeof k + sizeof r || memcmp(p, k, sizeof k - 1) != 0 || p[n - 1] != '}')
        goto bad;
    for (; i < n && p[i] != '"'; i++)
        if (p[i] == '\\')
            i++;
    key_end = i + 1; /* after the closing quote */
    if (key_end + sizeof r - 1 >= n || memcmp(p + key_end, r, sizeof r - 1) != 0)
        goto bad;
    h->jw_raw(w, "{\"request\":");
    h->jw_bytes(w, p + key_end + sizeof r - 1, n - 1 - (key_end + sizeof r - 1));
    h->jw_raw(w, ",\"metadata\":{\"key\":");
    h->jw_bytes(w, p + sizeof k - 2, key_end - (sizeof k - 2));
    h->jw_raw(w, "}}");
    return LLMT_OK;
bad:
    return h->error_set(err, LLMT_E_INVALID_ARG,
                        "gemini: a batch line is not {\"key\", \"request\"}");
}

/* The name a batch and its input file get in the console: "llm-tester <label>". */
static void display_name(const llmt_batch_submit *s, char *name, size_t n)
{
    snprintf(name, n, "llm-tester %s", s->label ? s->label : "run");
}

/* The create request up to its input: {"batch":{"display_name":…,"input_config":{ then
 * `input` (JSON text the caller spelled); the caller writes the rest. NULL: out of memory. */
static llmt_host_jw *create_start(const llmt_host_api *h, const llmt_batch_submit *s,
                                  const char *input)
{
    llmt_host_jw *w = h->jw_new();
    char name[128];
    if (!w)
        return NULL;
    display_name(s, name, sizeof name);
    h->jw_raw(w, "{\"batch\":{\"display_name\":");
    h->jw_string(w, name);
    h->jw_raw(w, ",\"input_config\":{");
    h->jw_raw(w, input);
    return w;
}

/* POST models/{model}:batchGenerateContent with the create body (taken over). */
static llmt_status post_create(const llmt_host_wire *b, const llmt_batch_submit *s, char *body,
                               size_t len, llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = b->host;
    char *path = h->format("models/%s:batchGenerateContent", s->model);
    llmt_status st;
    if (!path || !body) {
        free(path);
        free(body);
        return h->error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    st = request(b, "POST", path, body, len, out, err);
    free(path);
    return st;
}

/* The inline create request: every line rewritten as an inline request. */
static llmt_status submit_inline(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                 llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    char *prefix = h->jw_finish(create_start(h, s, "\"requests\":{\"requests\":["), NULL);
    char *body = NULL;
    size_t len = 0;
    llmt_status st;
    if (!prefix)
        return h->error_set(err, LLMT_E_NOMEM, "out of memory");
    st = h->batch_join_with(s, prefix, "]}}}}", put_inline, state, &body, &len, err);
    free(prefix);
    return st == LLMT_OK ? post_create(state, s, body, len, out, err) : st;
}

/* {base without its version}/<prefix>/<version>/<rest>: the upload and download roots
 * sit beside the API version (…/upload/v1beta/files, …/download/v1beta/files/x). */
static char *beside_version(const llmt_host_api *h, const char *base, const char *prefix,
                            const char *rest)
{
    const char *host = strstr(base, "://"), *end = base + strlen(base), *ver;
    while (end > base && end[-1] == '/')
        end--; /* ".../v1beta/" names the same version */
    for (ver = end; ver > base && ver[-1] != '/'; ver--)
        ;
    if (!host || ver <= host + 3 || ver == end)
        return NULL; /* no path: no version to put the prefix before */
    return h->format("%.*s/%s/%.*s/%s", (int)(ver - 1 - base), base, prefix, (int)(end - ver),
                     ver, rest);
}

/* Step 0 of a file batch: start a resumable upload of the JSONL. */
static llmt_status upload_start(const llmt_host_wire *b, const llmt_batch_submit *s,
                                llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = b->host;
    char *url = beside_version(h, b->base_url, "upload", "files"), len[32];
    llmt_host_jw *w;
    llmt_status st;
    if (!url)
        return h->error_set(err, LLMT_E_CONFIG, "gemini: base URL %s has no API version",
                            b->base_url);
    st = h->set_json_request(out, "POST", url, NULL, err);
    free(url);
    if (st == LLMT_OK && (w = h->jw_new()) != NULL) {
        char name[128];
        display_name(s, name, sizeof name);
        h->jw_raw(w, "{\"file\":{\"display_name\":");
        h->jw_string(w, name);
        h->jw_raw(w, "}}");
        out->body = h->jw_finish(w, &out->body_len);
    }
    if (st == LLMT_OK && !out->body)
        st = h->error_set(err, LLMT_E_NOMEM, "out of memory");
    snprintf(len, sizeof len, "%zu", s->lines_len);
    if (st == LLMT_OK)
        st = h->add_header(out, "Content-Type", "application/json", err);
    if (st == LLMT_OK)
        st = h->add_header(out, "X-Goog-Upload-Protocol", "resumable", err);
    if (st == LLMT_OK)
        st = h->add_header(out, "X-Goog-Upload-Command", "start", err);
    if (st == LLMT_OK)
        st = h->add_header(out, "X-Goog-Upload-Header-Content-Length", len, err);
    if (st == LLMT_OK)
        st = h->add_header(out, "X-Goog-Upload-Header-Content-Type", "application/jsonl", err);
    if (st == LLMT_OK && b->api_key)
        st = h->add_header(out, "x-goog-api-key", b->api_key, err);
    return st;
}

/* The upload session URL moved onto the base URL's scheme and host, as the SDK does: the
 * file goes to the server the user configured (a proxy, a test server), never elsewhere. */
static char *session_url(const llmt_host_api *h, const char *base, const char *upload_url)
{
    const char *bs = strstr(base, "://"), *us = strstr(upload_url, "://"), *bpath, *upath;
    if (!bs)
        return NULL;
    bpath = strchr(bs + 3, '/');
    if (!bpath)
        bpath = bs + strlen(bs);
    upath = us ? strchr(us + 3, '/') : upload_url;
    if (!upath || *upath != '/')
        return NULL;
    return h->format("%.*s%s", (int)(bpath - base), base, upath);
}

/* Step 1: the whole file in one "upload, finalize" at offset 0. The session URL is the
 * credential here: the key is not sent with the file (nor does the SDK send it). */
static llmt_status upload_bytes(const llmt_host_wire *b, llmt_batch_submit *s,
                                llmt_http_request *out, llmt_error *err)
{
    static const char *const names[] = {"x-goog-upload-url", NULL};
    const llmt_host_api *h = b->host;
    char *got = h->header_dup(s->reply, names), *url;
    llmt_status st;
    if (!got)
        return h->error_set(err, LLMT_E_BAD_RESPONSE,
                            "gemini: the upload start reply has no x-goog-upload-url");
    url = session_url(h, b->base_url, got);
    free(got);
    if (!url)
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "gemini: the upload URL is not a URL");
    st = h->set_json_request(out, "POST", url, NULL, err);
    free(url);
    if (st == LLMT_OK && (out->body = malloc(s->lines_len + 1)) != NULL) {
        memcpy(out->body, s->lines, s->lines_len);
        out->body[s->lines_len] = '\0';
        out->body_len = s->lines_len;
    }
    if (st == LLMT_OK && !out->body)
        st = h->error_set(err, LLMT_E_NOMEM, "out of memory");
    if (st == LLMT_OK)
        st = h->add_header(out, "X-Goog-Upload-Command", "upload, finalize", err);
    if (st == LLMT_OK)
        st = h->add_header(out, "X-Goog-Upload-Offset", "0", err);
    return st;
}

/* Step 2: the uploaded file's name ({"file": {"name": "files/…"}}), then the create. */
static llmt_status create_from_file(const llmt_host_wire *b, llmt_batch_submit *s,
                                    llmt_http_request *out, llmt_error *err)
{
    static const char *const names[] = {"x-goog-upload-status", NULL};
    const llmt_host_api *h = b->host;
    char *status = h->header_dup(s->reply, names), *body;
    llmt_host_jw *w = NULL;
    json_t *root = NULL;
    llmt_status st = LLMT_OK;
    size_t len = 0;
    if (status && strcmp(status, "final") != 0)
        st = h->error_set(err, LLMT_E_BAD_RESPONSE, "gemini: the upload ended %s, not final",
                          status);
    free(status);
    if (st == LLMT_OK)
        st = h->parse_object(s->reply, &root, err);
    if (st != LLMT_OK)
        return st;
    s->scratch = h->dup_string(
        json_string_value(json_object_get(json_object_get(root, "file"), "name")));
    json_decref(root);
    if (!s->scratch)
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "gemini: the upload reply has no file.name");
    if ((w = create_start(h, s, "\"file_name\":")) != NULL) {
        h->jw_string(w, s->scratch);
        h->jw_raw(w, "}}}");
    }
    body = h->jw_finish(w, &len);
    return post_create(b, s, body, len, out, err);
}

llmt_status gemini_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                llmt_error *err)
{
    const llmt_host_wire *b = state;
    if (goes_inline(b, s))
        return s->step == 0 ? submit_inline(state, s, out, err)
                            : b->host->batch_take_id(s, "name", err);
    switch (s->step) {
    case 0:
        return upload_start(b, s, out, err);
    case 1:
        return upload_bytes(b, s, out, err);
    case 2:
        return create_from_file(b, s, out, err);
    default:
        return b->host->batch_take_id(s, "name", err);
    }
}
llmt_status gemini_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                              llmt_error *err)
{
    return request(state, "GET", batch_id, NULL, 0, out, err);
}

/* A batchStats count: int64 values come as strings in JSON. */
static long stat_count(const json_t *stats, const char *key)
{
    const json_t *v = json_object_get(stats, key);
    if (json_is_string(v))
        return strtol(json_string_value(v), NULL, 10);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

/* The inline responses as JSON Lines {key, response | error} (the file output's shape). */
static char *inline_lines(const llmt_host_api *h, const json_t *responses)
{
    llmt_host_jw *w = h->jw_new();
    size_t i;
    json_t *r;
    if (!w)
        return NULL;
    json_array_foreach(responses, i, r) {
        json_t *line = json_object();
        json_object_set(line, "key", json_object_get(json_object_get(r, "metadata"), "key"));
        if (json_object_get(r, "response"))
            json_object_set(line, "response", json_object_get(r, "response"));
        if (json_object_get(r, "error"))
            json_object_set(line, "error", json_object_get(r, "error"));
        char *text = h->json_print(line);
        h->jw_raw(w, text ? text : "");
        h->jw_raw(w, "\n");
        json_decref(line);
        if (!text) {
            free(h->jw_finish(w, NULL));
            return NULL;
        }
        free(text);
    }
    return h->jw_finish(w, NULL);
}

llmt_status gemini_batch_status(void *state, const llmt_http_response *http,
                                llmt_batch_status *st, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_t *root = NULL, *meta, *stats, *resp, *inl;
    const char *s, *file;
    llmt_status rc = h->parse_object(http, &root, err);
    if (rc != LLMT_OK)
        return rc;
    meta = json_object_get(root, "metadata");
    s = json_string_value(json_object_get(meta, "state"));
    if (!s) {
        json_decref(root);
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "the batch operation has no metadata.state");
    }
    st->state_text = h->dup_string(s);
    if (strstr(s, "PENDING") || strstr(s, "RUNNING") || strstr(s, "UNSPECIFIED"))
        st->state = LLMT_BATCH_RUNNING;
    else if (strstr(s, "FAILED"))
        st->state = LLMT_BATCH_FAILED;
    else
        st->state = LLMT_BATCH_ENDED; /* SUCCEEDED, CANCELLED, EXPIRED */
    stats = json_object_get(meta, "batchStats");
    st->total = stat_count(stats, "requestCount");
    st->succeeded = stat_count(stats, "successfulRequestCount");
    st->failed = stat_count(stats, "failedRequestCount");
    resp = json_object_get(root, "response");
    if (!resp)
        resp = json_object_get(meta, "output");
    inl = json_object_get(json_object_get(resp, "inlinedResponses"), "inlinedResponses");
    if (json_is_array(inl))
        st->inline_results = inline_lines(h, inl);
    file = json_string_value(json_object_get(resp, "responsesFile"));
    st->results[0] = h->dup_string(file);
    st->message = h->dup_string(
        json_string_value(json_object_get(json_object_get(root, "error"), "message")));
    json_decref(root);
    return LLMT_OK;
}

/* A responses file: {base without version}/download/{version}/{file}:download?alt=media. */
llmt_status gemini_batch_results(void *state, const llmt_batch_status *st, unsigned part,
                                 llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    const llmt_host_wire *b = state;
    char *rest, *url;
    llmt_status rc;
    if (part > 0 || !st->results[0])
        return h->error_set(err, LLMT_E_NOT_FOUND, "no results part %u", part);
    rest = h->format("%s:download?alt=media", st->results[0]);
    url = rest ? beside_version(h, b->base_url, "download", rest) : NULL;
    free(rest);
    if (!url)
        return h->error_set(err, LLMT_E_CONFIG, "gemini: base URL %s has no API version",
                            b->base_url);
    rc = h->set_json_request(out, "GET", url, NULL, err);
    free(url);
    if (rc == LLMT_OK && b->api_key)
        rc = h->add_header(out, "x-goog-api-key", b->api_key, err);
    return rc;
}

llmt_status gemini_batch_result_line(void *state, const char *line, size_t len,
                                     llmt_batch_result *out, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_error_t je;
    json_t *root = json_loadb(line, len, 0, &je), *resp, *e;
    if (!json_is_object(root)) {
        json_decref(root);
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "a batch result line is not a JSON object");
    }
    out->custom_id = h->dup_string(json_string_value(json_object_get(root, "key")));
    resp = json_object_get(root, "response");
    e = json_object_get(root, "error");
    if (json_is_object(resp)) {
        out->http_status = 200;
        out->body = h->json_print(resp);
    } else if (json_is_object(e)) {
        /* a google.rpc.Status: the body a live call would have had is {"error": status} */
        json_t *env = json_pack("{s:O}", "error", e);
        long code = json_is_integer(json_object_get(e, "code"))
                        ? (long)json_integer_value(json_object_get(e, "code"))
                        : 500;
        out->http_status = code >= 400 && code < 600 ? code : 500;
        out->body = env ? h->json_print(env) : NULL;
        json_decref(env);
    } else {
        out->failure = LLMT_E_SERVER;
        out->message = h->dup_string("batch line without a response or an error");
    }
    out->body_len = out->body ? strlen(out->body) : 0;
    json_decref(root);
    if (!out->custom_id)
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "a batch result line has no key");
    return LLMT_OK;
}

llmt_status gemini_batch_cancel(void *state, const char *batch_id, llmt_http_request *out,
                                llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    char *path = h->format("%s:cancel", batch_id);
    llmt_status st = path ? request(state, "POST", path, NULL, 0, out, err)
                          : h->error_set(err, LLMT_E_NOMEM, "out of memory");
    free(path);
    return st;
}
