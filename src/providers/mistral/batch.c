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

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

/* What creates the job from the uploaded file (s->scratch). */
static char *create_body(const llmt_host_api *h, const llmt_batch_submit *s)
{
    char *file = h->json_quote(s->scratch), *model = h->json_quote(s->model);
    char *label = h->json_quote(s->label ? s->label : "run");
    char *body = file && model && label
                     ? h->format("{\"input_files\":[%s],\"endpoint\":\"/v1/chat/completions\","
                                 "\"model\":%s,\"metadata\":{\"llm_tester\":%s},"
                                 "\"timeout_hours\":24}",
                                 file, model, label)
                     : NULL;
    free(file);
    free(model);
    free(label);
    return body;
}

/* The rest of a batch object (see llmt_host_files_batch.read_status). */
static void read_status(const llmt_host_api *h, const json_t *root, const char *s,
                        llmt_batch_status *st)
{
    st->results[0] = h->dup_string(json_string_value(json_object_get(root, "output_file")));
    st->results[1] = h->dup_string(json_string_value(json_object_get(root, "error_file")));
    if (strcmp(s, "QUEUED") == 0 || strcmp(s, "RUNNING") == 0)
        st->state = LLMT_BATCH_RUNNING;
    else if (strcmp(s, "CANCELLATION_REQUESTED") == 0)
        st->state = LLMT_BATCH_CANCELLING;
    else if (strcmp(s, "FAILED") == 0 && !st->results[0] && !st->results[1])
        st->state = LLMT_BATCH_FAILED; /* nothing ran: the job itself was refused */
    else
        st->state = LLMT_BATCH_ENDED; /* SUCCESS, TIMEOUT_EXCEEDED, CANCELLED, FAILED */
    st->total = h->json_long(json_object_get(root, "total_requests"), -1);
    st->succeeded = h->json_long(json_object_get(root, "succeeded_requests"), -1);
    st->failed = h->json_long(json_object_get(root, "failed_requests"), -1);
    st->message = h->dup_string(json_string_value(
        json_object_get(json_array_get(json_object_get(root, "errors"), 0), "message")));
}

static const llmt_host_files_batch mistral_batches = {
    .limits = {.max_requests = 100000, .max_bytes = 512LL * 1000 * 1000},
    .build = mistral_build,
    .line_members = NULL,
    .jobs_path = "batch/jobs",
    .create_body = create_body,
    .read_status = read_status,
};

llmt_status mistral_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    return llmt_host_files_batch_init(state, s, err, &mistral_batches);
}
