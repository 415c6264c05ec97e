/* Mistral's batch jobs: the batch ops of the mistral provider. */
#ifndef LLMT_MISTRAL_BATCH_H
#define LLMT_MISTRAL_BATCH_H

#include "llmt/provider.h"

llmt_status mistral_build(void *state, const llmt_request *req, llmt_http_request *out,
                          llmt_error *err);
void mistral_batch_limits(void *state, llmt_batch_limits *out);
llmt_status mistral_batch_line(void *state, const llmt_request *req, const char *custom_id,
                               char **line, size_t *len, llmt_error *err);
llmt_status mistral_batch_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                                 llmt_error *err);
llmt_status mistral_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                               llmt_error *err);
llmt_status mistral_batch_status(void *state, const llmt_http_response *http,
                                 llmt_batch_status *st, llmt_error *err);
llmt_status mistral_batch_cancel(void *state, const char *batch_id, llmt_http_request *out,
                                 llmt_error *err);

#endif
