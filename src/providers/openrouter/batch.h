/* OpenRouter's Batch API (inline requests): the batch ops of the openrouter provider. */
#ifndef LLMT_OPENROUTER_BATCH_H
#define LLMT_OPENROUTER_BATCH_H

#include "llmt/provider.h"

/* from openrouter.c: the interactive request, and the attribution headers (X-Title,
 * HTTP-Referer) every OpenRouter request carries */
llmt_status openrouter_build(void *state, const llmt_request *req, llmt_http_request *out,
                             llmt_error *err);
llmt_status openrouter_attribution(const llmt_host_wire *b, llmt_http_request *out,
                                   llmt_error *err);

void openrouter_batch_limits(void *state, llmt_batch_limits *out);
llmt_status openrouter_batch_line(void *state, const llmt_request *req, const char *custom_id,
                                  char **line, size_t *len, llmt_error *err);
llmt_status openrouter_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                    llmt_error *err);
llmt_status openrouter_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                                  llmt_error *err);
llmt_status openrouter_batch_status(void *state, const llmt_http_response *http,
                                    llmt_batch_status *st, llmt_error *err);
llmt_status openrouter_batch_results(void *state, const llmt_batch_status *st, unsigned part,
                                     llmt_http_request *out, llmt_error *err);
llmt_status openrouter_batch_result_line(void *state, const char *line, size_t len,
                                         llmt_batch_result *out, llmt_error *err);
llmt_status openrouter_batch_cancel(void *state, const char *batch_id, llmt_http_request *out,
                                    llmt_error *err);

#endif
