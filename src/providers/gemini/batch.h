/* Gemini's Batch API (inline, or an uploaded file): the gemini provider's batch ops. */
#ifndef LLMT_GEMINI_BATCH_H
#define LLMT_GEMINI_BATCH_H

#include "llmt/provider.h"

llmt_status gemini_build(void *state, const llmt_request *req, llmt_http_request *out,
                         llmt_error *err);
void gemini_batch_limits(void *state, llmt_batch_limits *out);
llmt_status gemini_batch_line(void *state, const llmt_request *req, const char *custom_id,
                              char **line, size_t *len, llmt_error *err);
llmt_status gemini_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                llmt_error *err);
llmt_status gemini_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                              llmt_error *err);
llmt_status gemini_batch_status(void *state, const llmt_http_response *http,
                                llmt_batch_status *st, llmt_error *err);
llmt_status gemini_batch_results(void *state, const llmt_batch_status *st, unsigned part,
                                 llmt_http_request *out, llmt_error *err);
llmt_status gemini_batch_result_line(void *state, const char *line, size_t len,
                                     llmt_batch_result *out, llmt_error *err);
llmt_status gemini_batch_cancel(void *state, const char *batch_id, llmt_http_request *out,
                                llmt_error *err);

#endif
