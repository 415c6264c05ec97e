/*
 * OpenRouter Batch API (beta), inline requests, one submit step: POST {base}/batches
 * {"endpoint": "/v1/chat/completions", "model", "requests": [{"custom_id", "body": <the
 * chat completions body>}]} — endpoint and model before requests, as the API
 * stream-parses the body and refuses requests first — answers 202 {id, status:
 * "validating"}; GET /batches/{id} polls it (validating, in_progress, finalizing,
 * cancelling; completed, failed, expired, cancelled; request_counts {total, completed,
 * failed}) and a terminal batch carries its `results` inline, one {id, custom_id,
 * response: {status_code, request_id, body} | null, error: {message, type, param} |
 * null} per request; POST /batches/{id}/cancel cancels (DELETE /batches/{id} only
 * deletes an ended batch and is not used). Limits: 5,000 requests and 200 MB per batch,
 * one response_format per batch (Google-routed batches).
 * Files are taken only as public URLs, never inline data: a request with files is left
 * out of the batch and runs interactively. Wire notes: docs/providers.md.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

#define OR_ENDPOINT "/v1/chat/completions"

void openrouter_batch_limits(void *state, llmt_batch_limits *out)
{
    (void)state;
    out->max_requests = 5000;
    /* the body holds the lines plus the envelope (endpoint, model, commas) */
    out->max_bytes = 200LL * 1000 * 1000 - 64 * 1024;
    /* a batch routed to Google must ask one response_format (one schema) of every
     * request; where a batch is routed is not known here, so every batch keeps to one */
    out->one_format = true;
}

llmt_status openrouter_batch_line(void *state, const llmt_request *req, const char *custom_id,
                                  char **line, size_t *len, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    /* the interactive body carries files as data: URLs, which the batch API refuses */
    if (req->n_files > 0)
        return h->error_set(err, LLMT_E_UNSUPPORTED,
                            "OpenRouter's batch API takes files only as public URLs, not "
                            "inline data");
    return h->batch_line_from(openrouter_build, state, req, custom_id, NULL, "body", line, len,
                              err);
}

/* METHOD {base}/{fmt with id} with the key and the attribution headers. */
static llmt_status request(const llmt_host_wire *b, const char *method, const char *fmt,
                           const char *id, llmt_http_request *out, llmt_error *err)
{
    llmt_status st = b->host->id_request(b, method, fmt, id, out, err);
    return st == LLMT_OK ? openrouter_attribution(b, out, err) : st;
}

llmt_status openrouter_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                    llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_jw *w;
    char *body = NULL, *prefix;
    size_t len = 0;
    llmt_status st;
    if (s->step > 0)
        return h->batch_take_id(s, "id", err);
    if ((w = h->jw_new()) != NULL) {
        h->jw_raw(w, "{\"endpoint\":\"" OR_ENDPOINT "\",\"model\":");
        h->jw_string(w, s->model);
        h->jw_raw(w, ",\"requests\":[");
    }
    prefix = h->jw_finish(w, NULL);
    st = !prefix ? h->error_set(err, LLMT_E_NOMEM, "out of memory")
                 : h->batch_join(s, prefix, "]}", &body, &len, err);
    free(prefix);
    if (st != LLMT_OK)
        return st;
    /* the body is taken over; Content-Type application/json comes with it */
    st = h->http_request(state, "POST", "batches", body, len, NULL, out, err);
    return st == LLMT_OK ? openrouter_attribution(state, out, err) : st;
}

llmt_status openrouter_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                                  llmt_error *err)
{
    return request(state, "GET", "batches/%s", batch_id, out, err);
}

/* The inline results as JSON Lines, one result object each; NULL when there are none. */
static char *results_lines(const llmt_host_api *h, const json_t *results)
{
    llmt_host_jw *w;
    size_t i;
    json_t *r;
    if (!json_array_size(results) || !(w = h->jw_new()))
        return NULL;
    json_array_foreach(results, i, r) {
        char *text = h->json_print(r);
        if (!text) {
            free(h->jw_finish(w, NULL));
            return NULL;
        }
        h->jw_raw(w, text);
        h->jw_raw(w, "\n");
        free(text);
    }
    return h->jw_finish(w, NULL);
}

llmt_status openrouter_batch_status(void *state, const llmt_http_response *http,
                                    llmt_batch_status *st, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_t *root = NULL;
    const char *s;
    llmt_status rc = h->parse_object(http, &root, err);
    if (rc != LLMT_OK)
        return rc;
    s = json_string_value(json_object_get(root, "status"));
    if (!s) {
        json_decref(root);
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "the batch object has no status");
    }
    st->state_text = h->dup_string(s);
    /* OpenAI's batch object; its request_counts.completed excludes the failed ones here
     * (completed + failed = total) */
    h->batch_object_read(root, s, st);
    /* a failed batch (validation refused it) says why in error.message */
    st->message = h->dup_string(
        json_string_value(json_object_get(json_object_get(root, "error"), "message")));
    if (st->state == LLMT_BATCH_ENDED)
        st->inline_results = results_lines(h, json_object_get(root, "results"));
    json_decref(root);
    return LLMT_OK;
}

/* Every result comes inline with the poll: there is nothing else to fetch (the paginated
 * GET /batches/{id}/results holds the same rows). */
llmt_status openrouter_batch_results(void *state, const llmt_batch_status *st, unsigned part,
                                     llmt_http_request *out, llmt_error *err)
{
    (void)st;
    (void)out;
    return LLMT_HOST_OF(state)->error_set(err, LLMT_E_NOT_FOUND, "no results part %u", part);
}

/* The HTTP status a live call would have had for a line's error: its numeric code (as
 * OpenRouter's live errors carry one), else its OpenAI-style type; 0 when unknown. */
static long error_status(const json_t *e)
{
    static const struct {
        const char *type;
        long status;
    } map[] = {{"invalid_request", 400}, {"authentication", 401}, {"permission", 403},
               {"not_found", 404},       {"rate_limit", 429}};
    json_int_t code = json_integer_value(json_object_get(e, "code"));
    const char *type = json_string_value(json_object_get(e, "type"));
    size_t i;
    if (code >= 400 && code < 600)
        return (long)code;
    for (i = 0; type && i < sizeof map / sizeof map[0]; i++)
        if (strstr(type, map[i].type))
            return map[i].status;
    return 0;
}

/* A line with an error and no response: expired and cancelled lines get their class; an
 * error a live call would have had goes back as that reply for classify_error. */
static void error_line(const llmt_host_api *h, const json_t *e, llmt_batch_result *out)
{
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *word = code ? code : type ? type : "no response";
    long status = error_status(e);
    if (strstr(word, "expire")) {
        out->failure = LLMT_E_TIMEOUT;
    } else if (strstr(word, "cancel")) {
        out->failure = LLMT_E_CANCELLED;
    } else if (status > 0) {
        json_t *env = json_pack("{s:O}", "error", e);
        out->http_status = status;
        out->body = env ? h->json_print(env) : NULL;
        out->body_len = out->body ? strlen(out->body) : 0;
        json_decref(env);
        return;
    } else {
        out->failure = LLMT_E_SERVER;
    }
    out->message = h->format("batch line failed: %s%s%s", word, msg ? ": " : "", msg ? msg : "");
}

llmt_status openrouter_batch_result_line(void *state, const char *line, size_t len,
                                         llmt_batch_result *out, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_error_t je;
    json_t *root = json_loadb(line, len, 0, &je), *e;
    e = json_object_get(root, "error");
    if (!json_is_object(e) || json_is_object(json_object_get(root, "response"))) {
        /* a reply: the OpenAI result-line shape */
        json_decref(root);
        return h->batch_compat_result(state, line, len, out, err);
    }
    out->custom_id = h->dup_string(json_string_value(json_object_get(root, "custom_id")));
    error_line(h, e, out);
    json_decref(root);
    if (!out->custom_id)
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "a batch result line has no custom_id");
    return LLMT_OK;
}

llmt_status openrouter_batch_cancel(void *state, const char *batch_id, llmt_http_request *out,
                                    llmt_error *err)
{
    return request(state, "POST", "batches/%s/cancel", batch_id, out, err);
}
