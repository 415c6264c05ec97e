/*
 * Wire helpers for batch APIs, shared by the providers whose batch endpoints follow
 * the de-facto "files + batches" shape (a JSONL file uploaded with purpose=batch, result
 * lines {custom_id, response: {status_code, body}, error}). Names no provider.
 */
#ifndef LLMT_WIRE_BATCH_H
#define LLMT_WIRE_BATCH_H

#include <jansson.h>
#include "core/util.h"
#include "providers/toolkit/wire.h"

/* The host table's JSON writer (jw_* slots, provider.h): the library's printer over a
 * buffer. Defined here so the toolkit's joins write into it. */
struct llmt_host_jw {
    llmt_buf b;
};

/* One batch input line: {"custom_id":ID,<members>,"<body_key>":BODY} where `members` is
 * JSON object text without braces (or NULL) and BODY the request body as built (JSON
 * text, copied verbatim). *line is malloc'd, without a newline. */
llmt_status llmt_wire_batch_line(const char *custom_id, const char *members, const char *body_key,
                                 const char *body, size_t body_len, char **line, size_t *len,
                                 llmt_error *err);

/* Builds an interactive request with `build` and wraps its body as llmt_wire_batch_line
 * does: the batch line carries exactly the body the interactive call would send. */
llmt_status llmt_wire_batch_line_from(
    llmt_status (*build)(void *, const llmt_request *, llmt_http_request *, llmt_error *),
    void *state, const llmt_request *req, const char *custom_id, const char *members,
    const char *body_key, char **line, size_t *len, llmt_error *err);

/* POST {base_url}/{path} as multipart/form-data with a "purpose" field and a "file" part
 * (filename, application/jsonl) holding data; bearer auth as llmt_wire_bearer_request. */
llmt_status llmt_wire_upload_jsonl(const llmt_wire_basic *b, const char *path, const char *purpose,
                                   const char *filename, const char *data, size_t len,
                                   llmt_http_request *out, llmt_error *err);

/* A string member of a 2xx JSON reply's top-level object, malloc'd into *out (NULL
 * when absent or null). A reply that is not a JSON object is LLMT_E_BAD_RESPONSE. */
llmt_status llmt_wire_reply_string(const llmt_http_response *http, const char *key, char **out,
                                   llmt_error *err);

/* Reads a result line of the files + batches shape:
 *   {"custom_id": ..., "response": {"status_code": 200, "body": {...}}, "error": null}
 *   {"custom_id": ..., "response": null, "error": {"code": "batch_expired", "message": ...}}
 * A line without a response is a failure: an error code speaking of expiry is
 * LLMT_E_TIMEOUT, of cancelling LLMT_E_CANCELLED (left out of the results, so that
 * --resume sends it again), anything else LLMT_E_SERVER; the message is the provider's. */
llmt_status llmt_wire_batch_compat_result(const char *line, size_t len, llmt_batch_result *out,
                                          llmt_error *err);

/* METHOD {base_url}/<fmt with %s = id>, no body, bearer auth (polls, cancels). */
llmt_status llmt_wire_bearer_id_request(const llmt_wire_basic *b, const char *method,
                                        const char *fmt, const char *id, llmt_http_request *out,
                                        llmt_error *err);

/* The batch_results op of the files + batches shape (state: an llmt_wire_basic): GET
 * {base_url}/files/<st->results[part]>/content (part 0 output, part 1 errors);
 * LLMT_E_NOT_FOUND when there is none. */
llmt_status llmt_wire_batch_file_content(void *state, const llmt_batch_status *st,
                                         unsigned part, llmt_http_request *out, llmt_error *err);

/* The batch_result_line op of the files + batches shape: llmt_wire_batch_compat_result. */
llmt_status llmt_wire_batch_compat_result_op(void *state, const char *line, size_t len,
                                             llmt_batch_result *out, llmt_error *err);

/* The last submit step: the reply's `key` member names the batch (s->batch_id, s->done).
 * A reply without it is LLMT_E_BAD_RESPONSE. */
llmt_status llmt_wire_batch_take_id(llmt_batch_submit *s, const char *key, llmt_error *err);

/* The batch ops of a wire state's files + batches API (b->files_batch, set by the
 * provider's init; llmt_host_files_batch in provider.h), with the ops' signatures:
 * LLMT_E_INTERNAL when the state has none. */
void llmt_wire_files_batch_limits(void *state, llmt_batch_limits *out);
llmt_status llmt_wire_files_batch_line(void *state, const llmt_request *req, const char *custom_id,
                                       char **line, size_t *len, llmt_error *err);
llmt_status llmt_wire_files_batch_submit_op(void *state, llmt_batch_submit *s,
                                            llmt_http_request *out, llmt_error *err);
llmt_status llmt_wire_files_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                                       llmt_error *err);
llmt_status llmt_wire_files_batch_cancel(void *state, const char *batch_id,
                                         llmt_http_request *out, llmt_error *err);
llmt_status llmt_wire_files_batch_status(void *state, const llmt_http_response *http,
                                         llmt_batch_status *st, llmt_error *err);

/* The submit of the files + batches shape: step 0 uploads s->lines to {base}/files
 * (purpose=batch), step 1 keeps the file id in s->scratch and POSTs create_body(host, s) to
 * {base}/{create_path}, step 2 takes the batch id from the reply's "id". */
llmt_status llmt_wire_files_batch_submit(const llmt_wire_basic *b, llmt_batch_submit *s,
                                         const char *create_path,
                                         char *(*create_body)(const llmt_host_api *host, const llmt_batch_submit *s),
                                         llmt_http_request *out, llmt_error *err);

/* prefix + the submit's lines joined with commas + suffix (a JSON array of inline
 * requests), malloc'd into *body. */
llmt_status llmt_wire_batch_join(const llmt_batch_submit *s, const char *prefix, const char *suffix,
                                 char **body, size_t *len, llmt_error *err);

/* llmt_wire_batch_join with each non-empty line written by put(ud, ...) (NULL: copied);
 * the first failure of put is the result. The one place that splits submit lines. */
llmt_status llmt_wire_batch_join_with(const llmt_batch_submit *s, const char *prefix,
                                      const char *suffix, llmt_host_line_fn put, void *ud,
                                      char **body, size_t *len, llmt_error *err);

/* An integer member of obj as long; -1 when absent or not a number. */
long llmt_wire_json_long(const json_t *obj, const char *key);

/* The batch object common to `/batches` APIs ({id, status, request_counts}), its "status"
 * already read: st->state from status (validating, in_progress, finalizing: running;
 * cancelling; completed, expired, cancelled: ended; failed: refused, no results) and
 * request_counts {total, completed, failed} as st->total, st->succeeded (= completed, as
 * sent: what it counts differs per API) and st->failed, -1 when absent. root borrowed. */
void llmt_wire_batch_object_read(const json_t *root, const char *status,
                                 llmt_batch_status *st);

#endif
