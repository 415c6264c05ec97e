/*
 * OpenAI Batch API: the JSONL input (one {"custom_id","method":"POST",
 * "url":"/v1/chat/completions","body"} per line) is uploaded with POST /files
 * (multipart, purpose=batch), then POST /batches {input_file_id, endpoint,
 * completion_window "24h"} creates the batch; GET /batches/{id} polls it; the output and
 * error files are read with GET /files/{id}/content; POST /batches/{id}/cancel cancels.
 * Limits: 50,000 requests and 200 MB per input file. Wire notes: docs/providers.md.
 */
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/util.h"
#include "llmt/provider.h"
#include "provider/wire.h"
#include "provider/wire_batch.h"
#include "providers/openai/batch.h"

void openai_batch_limits(void *state, llmt_batch_limits *out)
{
    (void)state;
    out->max_requests = 50000;
    out->max_bytes = 200LL * 1000 * 1000;
}

llmt_status openai_batch_line(void *state, const llmt_request *req, const char *custom_id,
                              char **line, size_t *len, llmt_error *err)
{
    return llmt_wire_batch_line_from(openai_build, state, req, custom_id,
                                     "\"method\":\"POST\",\"url\":\"/v1/chat/completions\"",
                                     "body", line, len, err);
}

static json_t *create_body(const llmt_batch_submit *s)
{
    return json_pack("{s:s, s:s, s:s, s:{s:s}}", "input_file_id", s->scratch, "endpoint",
                     "/v1/chat/completions", "completion_window", "24h", "metadata", "llm_tester",
                     s->label ? s->label : "run");
}

llmt_status openai_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                llmt_error *err)
{
    return llmt_wire_files_batch_submit(state, s, "batches", create_body, out, err);
}

llmt_status openai_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                              llmt_error *err)
{
    return llmt_wire_bearer_id_request(state, "GET", "batches/%s", batch_id, out, err);
}

llmt_status openai_batch_status(void *state, const llmt_http_response *http,
                                llmt_batch_status *st, llmt_error *err)
{
    json_t *root = NULL;
    const char *msg;
    llmt_status rc = llmt_wire_batch_object_status(http, st, &root, err);
    (void)state;
    if (rc != LLMT_OK)
        return rc;
    if (st->succeeded >= 0 && st->failed >= 0)
        st->succeeded -= st->failed; /* "completed" counts every finished request */
    if (st->succeeded < 0 && st->total >= 0)
        st->succeeded = 0;
    st->results[0] = llmt_strdup(json_string_value(json_object_get(root, "output_file_id")));
    st->results[1] = llmt_strdup(json_string_value(json_object_get(root, "error_file_id")));
    msg = json_string_value(
        json_object_get(json_array_get(json_object_get(json_object_get(root, "errors"), "data"), 0),
                        "message"));
    st->message = llmt_strdup(msg);
    json_decref(root);
    return LLMT_OK;
}

llmt_status openai_batch_cancel(void *state, const char *batch_id, llmt_http_request *out,
                                llmt_error *err)
{
    return llmt_wire_bearer_id_request(state, "POST", "batches/%s/cancel", batch_id, out, err);
}
