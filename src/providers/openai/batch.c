/*
 * OpenAI Batch API: the JSONL input (one {"custom_id","method":"POST",
 * "url":"/v1/chat/completions","body"} per line) is uploaded with POST /files
 * (multipart, purpose=batch), then POST /batches {input_file_id, endpoint,
 * completion_window "24h"} creates the batch; GET /batches/{id} polls it; the output and
 * error files are read with GET /files/{id}/content; POST /batches/{id}/cancel cancels.
 * Limits: 50,000 requests and 200 MB per input file. Wire notes: docs/providers.md.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "llmt/provider.h"
#include "batch.h"

/* What creates the batch from the uploaded file (s->scratch). */
static char *create_body(const llmt_host_api *h, const llmt_batch_submit *s)
{
    char *file = h->json_quote(s->scratch), *label = h->json_quote(s->label ? s->label : "run");
    char *body = file && label ? h->format("{\"input_file_id\":%s,\"endpoint\":"
                                           "\"/v1/chat/completions\",\"completion_window\":"
                                           "\"24h\",\"metadata\":{\"llm_tester\":%s}}",
                                           file, label)
                               : NULL;
    free(file);
    free(label);
    return body;
}

/* The rest of a batch object (see llmt_host_files_batch.read_status). */
static void read_status(const llmt_host_api *h, const json_t *root, const char *s,
                        llmt_batch_status *st)
{
    const char *msg;
    h->batch_object_read(root, s, st);
    if (st->succeeded >= 0 && st->failed >= 0)
        st->succeeded -= st->failed; /* "completed" counts every finished request */
    if (st->succeeded < 0 && st->total >= 0)
        st->succeeded = 0;
    st->results[0] = h->dup_string(json_string_value(json_object_get(root, "output_file_id")));
    st->results[1] = h->dup_string(json_string_value(json_object_get(root, "error_file_id")));
    msg = json_string_value(
        json_object_get(json_array_get(json_object_get(json_object_get(root, "errors"), "data"), 0),
                        "message"));
    st->message = h->dup_string(msg);
}

static const llmt_host_files_batch openai_batches = {
    .limits = {.max_requests = 50000, .max_bytes = 200LL * 1000 * 1000},
    .build = openai_build,
    .line_members = "\"method\":\"POST\",\"url\":\"/v1/chat/completions\"",
    .jobs_path = "batches",
    .create_body = create_body,
    .read_status = read_status,
};

llmt_status openai_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    return llmt_host_files_batch_init(state, s, err, &openai_batches);
}
