/* Mistral's batch jobs: the batch ops of the mistral provider. */
#ifndef LLMT_MISTRAL_BATCH_H
#define LLMT_MISTRAL_BATCH_H

#include "llmt/provider.h"

llmt_status mistral_build(void *state, const llmt_request *req, llmt_http_request *out,
                          llmt_error *err);
/* init: the wire state with the files + batches API described in batch.c. */
llmt_status mistral_init(void **state, const llmt_provider_settings *s, llmt_error *err);

#endif
