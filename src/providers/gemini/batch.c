/*
 * Gemini Batch API with inline requests: POST /models/{model}:batchGenerateContent
 * {"batch": {"display_name", "input_config": {"requests": {"requests": [{"request":
 * <the generateContent body>, "metadata": {"key": custom_id}}]}}}} answers with a
 * long-running operation named "batches/{id}"; GET /batches/{id} polls it
 * (metadata.state BATCH_STATE_PENDING, _RUNNING, _SUCCEEDED, _FAILED, _CANCELLED,
 * _EXPIRED; metadata.batchStats counts as strings); once done, response.inlinedResponses
 * .inlinedResponses holds one {response | error, metadata.key} per request (a batch whose
 * output went to a file names it in response.responsesFile, read from
 * /download/v1beta/{file}:download?alt=media as JSON Lines {key, response | error});
 * POST /batches/{id}:cancel cancels. Limit: the create request (inline) up to 20 MB.
 * Wire notes: docs/providers.md.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

void gemini_batch_limits(void *state, llmt_batch_limits *out)
{
    (void)state;
    out->max_requests = 0; /* no count documented: the size bounds it */
    out->max_bytes = 20LL * 1000 * 1000 - 64 * 1024;
}

/* One inline request: {"request": <body>, "metadata": {"key": custom_id}}. */
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
        h->jw_raw(w, "{\"request\":");
        h->jw_raw(w, hr.body ? hr.body : "null");
        h->jw_raw(w, ",\"metadata\":{\"key\":");
        h->jw_string(w, custom_id);
        h->jw_raw(w, "}}");
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

llmt_status gemini_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_jw *w;
    char *body = NULL, *path, *prefix;
    size_t len = 0;
    llmt_status st;
    if (s->step > 0)
        return h->batch_take_id(s, "name", err);
    if ((w = h->jw_new()) != NULL) {
        char name[128];
        snprintf(name, sizeof name, "llm-tester %s", s->label ? s->label : "run");
        h->jw_raw(w, "{\"batch\":{\"display_name\":");
        h->jw_string(w, name);
        h->jw_raw(w, ",\"input_config\":{\"requests\":{\"requests\":[");
    }
    prefix = h->jw_finish(w, NULL);
    st = !prefix ? h->error_set(err, LLMT_E_NOMEM, "out of memory")
                 : h->batch_join(s, prefix, "]}}}}", &body, &len, err);
    free(prefix);
    if (st != LLMT_OK)
        return st;
    path = h->format("models/%s:batchGenerateContent", s->model);
    if (!path) {
        free(body);
        return h->error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    st = request(state, "POST", path, body, len, out, err);
    free(path);
    return st;
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

/* A responses file: {base}/../download/<version>/{file}:download?alt=media. */
llmt_status gemini_batch_results(void *state, const llmt_batch_status *st, unsigned part,
                                 llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    const llmt_host_wire *b = state;
    const char *base = b->base_url, *ver;
    char *url;
    llmt_status rc;
    if (part > 0 || !st->results[0])
        return h->error_set(err, LLMT_E_NOT_FOUND, "no results part %u", part);
    ver = strrchr(base, '/');
    if (!ver)
        return h->error_set(err, LLMT_E_CONFIG, "gemini: base URL %s has no API version", base);
    url = h->format("%.*s/download%s/%s:download?alt=media", (int)(ver - base), base, ver,
                        st->results[0]);
    rc = url ? h->set_json_request(out, "GET", url, NULL, err)
             : h->error_set(err, LLMT_E_NOMEM, "out of memory");
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
