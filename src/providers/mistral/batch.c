/*
 * Mistral batch jobs: the JSONL input (one {"custom_id", "body": <the chat completions
 * body>} per line) is uploaded with POST /files (multipart, purpose=batch), then POST
 * /batch/jobs {input_files: [id], endpoint "/v1/chat/completions", model, metadata,
 * timeout_hours 24} creates the job; GET /batch/jobs/{id} polls it (QUEUED, RUNNING,
 * SUCCESS, FAILED, TIMEOUT_EXCEEDED, CANCELLATION_REQUESTED, CANCELLED); output_file and
 * error_file are read with GET /files/{id}/content (lines {custom_id, response:
 * {status_code, body}, error}); POST /batch/jobs/{id}/cancel cancels. Limits: 100,000
 * requests and 512 MB per batch file. Wire notes: docs/providers.md.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "llmt/provider.h"
#include "providers/toolkit/wire.h"
#include "providers/toolkit/wire_batch.h"
#include "providers/mistral/batch.h"

void mistral_batch_limits(void *state, llmt_batch_limits *out)
{
    (void)state;
    out->max_requests = 100000;
    out->max_bytes = 512LL * 1000 * 1000;
}

llmt_status mistral_batch_line(void *state, const llmt_request *req, const char *custom_id,
                               char **line, size_t *len, llmt_error *err)
{
    return llmt_wire_batch_line_from(mistral_build, state, req, custom_id, NULL, "body", line, len,
                                     err);
}

static json_t *create_body(const llmt_batch_submit *s)
{
    return json_pack("{s:[s], s:s, s:s, s:{s:s}, s:i}", "input_files", s->scratch, "endpoint",
                     "/v1/chat/completions", "model", s->model, "metadata", "llm_tester",
                     s->label ? s->label : "run", "timeout_hours", 24);
}

llmt_status mistral_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                 llmt_error *err)
{
    return llmt_wire_files_batch_submit(state, s, "batch/jobs", create_body, out, err);
}

llmt_status mistral_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                               llmt_error *err)
{
    return llmt_wire_bearer_id_request(state, "GET", "batch/jobs/%s", batch_id, out, err);
}

llmt_status mistral_batch_status(void *state, const llmt_http_response *http,
                                 llmt_batch_status *st, llmt_error *err)
{
    json_t *root = NULL;
    const char *s;
    llmt_status rc = llmt_wire_parse_body(http, &root, err);
    (void)state;
    if (rc != LLMT_OK)
        return rc;
    s = json_string_value(json_object_get(root, "status"));
    if (!s) {
        json_decref(root);
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "the batch job has no status");
    }
    st->state_text = llmt_strdup(s);
    st->results[0] = llmt_strdup(json_string_value(json_object_get(root, "output_file")));
    st->results[1] = llmt_strdup(json_string_value(json_object_get(root, "error_file")));
    if (strcmp(s, "QUEUED") == 0 || strcmp(s, "RUNNING") == 0)
        st->state = LLMT_BATCH_RUNNING;
    else if (strcmp(s, "CANCELLATION_REQUESTED") == 0)
        st->state = LLMT_BATCH_CANCELLING;
    else if (strcmp(s, "FAILED") == 0 && !st->results[0] && !st->results[1])
        st->state = LLMT_BATCH_FAILED; /* nothing ran: the job itself was refused */
    else
        st->state = LLMT_BATCH_ENDED; /* SUCCESS, TIMEOUT_EXCEEDED, CANCELLED, FAILED */
    st->total = llmt_wire_json_long(root, "total_requests");
    st->succeeded = llmt_wire_json_long(root, "succeeded_requests");
    st->failed = llmt_wire_json_long(root, "failed_requests");
    st->message = llmt_strdup(json_string_value(
        json_object_get(json_array_get(json_object_get(root, "errors"), 0), "message")));
    json_decref(root);
    return LLMT_OK;
}

llmt_status mistral_batch_cancel(void *state, const char *batch_id, llmt_http_request *out,
                                 llmt_error *err)
{
    return llmt_wire_bearer_id_request(state, "POST", "batch/jobs/%s/cancel", batch_id, out, err);
}
