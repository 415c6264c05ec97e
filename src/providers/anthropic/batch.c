/*
 * Anthropic Message Batches: POST /v1/messages/batches {"requests": [{"custom_id",
 * "params": <the Messages body>}]} creates the batch in one step; GET
 * /v1/messages/batches/{id} polls it (processing_status in_progress, canceling, ended;
 * request_counts processing/succeeded/errored/canceled/expired); GET
 * /v1/messages/batches/{id}/results (the results_url) streams JSON Lines
 * {"custom_id", "result": {"type": succeeded|errored|canceled|expired, ...}}; POST
 * /v1/messages/batches/{id}/cancel cancels. Limits: 100,000 requests or 256 MB per
 * batch. Wire notes: docs/providers.md.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

void anthropic_batch_limits(void *state, llmt_batch_limits *out)
{
    (void)state;
    out->max_requests = 100000;
    /* the request body holds the lines plus {"requests":[...]} and commas */
    out->max_bytes = 256LL * 1000 * 1000 - 64 * 1024;
}

llmt_status anthropic_batch_line(void *state, const llmt_request *req, const char *custom_id,
                                 char **line, size_t *len, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    return h->batch_line_from(anthropic_build, state, req, custom_id, NULL, "params", line,
                                     len, err);
}

/* METHOD {base_url}/{path} with Anthropic's auth headers and an optional JSON body
 * (text, owned by `out` afterwards). */
static llmt_status request(const llmt_host_wire *b, const char *method, const char *path,
                           char *body, size_t body_len, llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = b->host;
    llmt_status st = h->http_request(b, method, path, body, body_len, "x-api-key", out, err);
    if (st == LLMT_OK)
        st = h->add_header(out, "anthropic-version",
                                  h->option(b, "anthropic_version", "2023-06-01"), err);
    return st;
}

static llmt_status batch_path_request(void *state, const char *method, const char *fmt,
                                      const char *id, llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    char *path = h->format(fmt, id);
    llmt_status st = path ? request(state, method, path, NULL, 0, out, err)
                          : h->error_set(err, LLMT_E_NOMEM, "out of memory");
    free(path);
    return st;
}

llmt_status anthropic_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                   llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    char *body;
    size_t len;
    llmt_status st;
    if (s->step > 0)
        return h->batch_take_id(s, "id", err);
    st = h->batch_join(s, "{\"requests\":[", "]}", &body, &len, err);
    return st == LLMT_OK ? request(state, "POST", "v1/messages/batches", body, len, out, err) : st;
}

llmt_status anthropic_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                                 llmt_error *err)
{
    return batch_path_request(state, "GET", "v1/messages/batches/%s", batch_id, out, err);
}

llmt_status anthropic_batch_status(void *state, const llmt_http_response *http,
                                   llmt_batch_status *st, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_t *root = NULL, *c;
    const char *s, *id;
    long ok, errored, canceled, expired, processing;
    llmt_status rc = h->parse_object(http, &root, err);
    if (rc != LLMT_OK)
        return rc;
    s = json_string_value(json_object_get(root, "processing_status"));
    id = json_string_value(json_object_get(root, "id"));
    if (!s || !id) {
        json_decref(root);
        return h->error_set(err, LLMT_E_BAD_RESPONSE,
                              "the message batch has no id or processing_status");
    }
    st->state_text = h->dup_string(s);
    st->state = strcmp(s, "ended") == 0       ? LLMT_BATCH_ENDED
                : strcmp(s, "canceling") == 0 ? LLMT_BATCH_CANCELLING
                                              : LLMT_BATCH_RUNNING;
    c = json_object_get(root, "request_counts");
    ok = h->json_long(json_object_get(c, "succeeded"), -1);
    errored = h->json_long(json_object_get(c, "errored"), -1);
    canceled = h->json_long(json_object_get(c, "canceled"), -1);
    expired = h->json_long(json_object_get(c, "expired"), -1);
    processing = h->json_long(json_object_get(c, "processing"), -1);
    st->succeeded = ok;
    st->failed = (errored > 0 ? errored : 0) + (canceled > 0 ? canceled : 0) +
                 (expired > 0 ? expired : 0);
    st->total = (ok > 0 ? ok : 0) + st->failed + (processing > 0 ? processing : 0);
    /* results_url is this path on the API host; the base URL keeps a proxy or test
     * server in the loop */
    if (st->state == LLMT_BATCH_ENDED)
        st->results[0] = h->format("v1/messages/batches/%s/results", id);
    if (st->state == LLMT_BATCH_ENDED && canceled > 0) {
        /* a cancelled batch ends as "ended": the word says so, for batches list and for
         * --resume --batch, which sends its canceled lines again */
        free(st->state_text);
        st->state_text = h->dup_string("ended (canceled)");
    }
    json_decref(root);
    return LLMT_OK;
}

llmt_status anthropic_batch_results(void *state, const llmt_batch_status *st, unsigned part,
                                    llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    if (part > 0 || !st->results[0])
        return h->error_set(err, LLMT_E_NOT_FOUND, "no results part %u", part);
    return request(state, "GET", st->results[0], NULL, 0, out, err);
}

/* The HTTP status an interactive call would have had for an error type. */
static long error_status(const char *type)
{
    static const struct {
        const char *type;
        long status;
    } map[] = {{"invalid_request_error", 400}, {"authentication_error", 401},
               {"billing_error", 402},         {"permission_error", 403},
               {"not_found_error", 404},       {"request_too_large", 413},
               {"rate_limit_error", 429},      {"api_error", 500},
               {"overloaded_error", 529}};
    size_t i;
    for (i = 0; type && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].type, type) == 0)
            return map[i].status;
    return 500;
}

llmt_status anthropic_batch_result_line(void *state, const char *line, size_t len,
                                        llmt_batch_result *out, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_error_t je;
    json_t *root = json_loadb(line, len, 0, &je), *res, *payload = NULL;
    const char *type;
    if (!json_is_object(root)) {
        json_decref(root);
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "a batch result line is not a JSON object");
    }
    out->custom_id = h->dup_string(json_string_value(json_object_get(root, "custom_id")));
    res = json_object_get(root, "result");
    type = json_string_value(json_object_get(res, "type"));
    if (type && strcmp(type, "succeeded") == 0) {
        out->http_status = 200;
        payload = json_object_get(res, "message");
    } else if (type && strcmp(type, "errored") == 0) {
        /* the error envelope {"type":"error","error":{type, message}} as a live 4xx/5xx */
        payload = json_object_get(res, "error");
        out->http_status = error_status(
            json_string_value(json_object_get(json_object_get(payload, "error"), "type")));
    } else {
        out->failure = type && strcmp(type, "expired") == 0 ? LLMT_E_TIMEOUT
                       : type && strcmp(type, "canceled") == 0 ? LLMT_E_CANCELLED
                                                               : LLMT_E_SERVER;
        out->message = h->format("batch line %s", type ? type : "without a result");
    }
    if (payload) {
        out->body = h->json_print(payload);
        out->body_len = out->body ? strlen(out->body) : 0;
    }
    json_decref(root);
    if (!out->custom_id)
        return h->error_set(err, LLMT_E_BAD_RESPONSE, "a batch result line has no custom_id");
    return LLMT_OK;
}

llmt_status anthropic_batch_cancel(void *state, const char *batch_id, llmt_http_request *out,
                                   llmt_error *err)
{
    return batch_path_request(state, "POST", "v1/messages/batches/%s/cancel", batch_id, out, err);
}
