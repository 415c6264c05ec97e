/* The steps of one call, for the engine (the one execution path): resolve
 * "provider:model", prepare the request for the model, check its files, handle the
 * HTTP reply, price the answer. */
#ifndef LLMT_CALL_H
#define LLMT_CALL_H

#include "core/util.h"
#include "provider/registry.h"
#include "provider/schema_xform.h"

typedef struct llmt_call {
    llmt_provider_entry *entry;
    const llmt_model_config *model;
    llmt_request req;          /* prepared copy; borrowed pointers into `in` and `owned` */
    llmt_buf system_prompt;    /* owned storage for the merged system prompt */
    llmt_schema_plan schema;   /* what the task schema became for this provider (owned) */
} llmt_call;

/* Finds the provider and model; errors name what is unknown and what exists. A
 * disabled provider or model is LLMT_E_CONFIG. */
llmt_status llmt_call_resolve(llmt_registry *reg, const char *model_ref,
                              llmt_provider_entry **entry, const llmt_model_config **model,
                              llmt_error *err);

/* Prepares call->req from `in` for the resolved model: model name and info, max tokens
 * capped at the model's limit, structured mode from the model's capabilities, the
 * schema rewritten by the provider's "schema_transform" rules (when the rules cannot
 * produce a sendable schema: JSON mode or the prompt, with one warning per model), the
 * task's own schema described in the system prompt when the provider does not enforce
 * one. `in` must outlive the call. */
void llmt_call_prepare(llmt_call *call, llmt_provider_entry *entry,
                       const llmt_model_config *model, const llmt_request *in);
void llmt_call_clear(llmt_call *call);

/* Checks a prepared call's files before anything is sent: the provider must take files
 * (LLMT_CAP_FILES and supports_file_upload in its config) and the model images, else
 * LLMT_E_UNSUPPORTED; a file larger than max_file_bytes (<= 0: the 20 MB default) is
 * LLMT_E_UNSUPPORTED naming the file, its size and the limit. */
llmt_status llmt_call_check_files(const llmt_call *call, long max_file_bytes, llmt_error *err);

/* Records in resp how the structure was asked for: structured_mode, schema_strict and
 * a copy of schema_relaxed (resp owns it). */
void llmt_call_stamp(const llmt_call *call, llmt_response *resp);

/* Input tokens of a prepared call, estimated before sending: the texts' (tokens.h), plus
 * an upper bound per image (the model's image_input_tokens, else
 * LLMT_DEFAULT_IMAGE_TOKENS). */
long llmt_call_input_tokens(const llmt_call *call);

/* Refuses a prepared call whose input estimate exceeds the model's max_input_tokens:
 * LLMT_E_CONTEXT_LENGTH naming both numbers, before anything is sent (a 200 MB source
 * was sent, and billed, three times). *tokens (when not NULL) is the estimate, or -1 when
 * the input has fewer bytes than the limit allows tokens and was not counted (the
 * estimate never counts more tokens than a text has bytes). */
llmt_status llmt_call_check_input(const llmt_call *call, long *tokens, llmt_error *err);

/* Sets resp->cost_usd / cost_known from the model's rates: tokens / 1e6 × rate. */
void llmt_call_price(const llmt_model_config *model, llmt_response *resp);

/* Prices a batch answer: the model's batch_cost_input/batch_cost_output when given,
 * else its interactive rates less the provider's batch_discount. */
void llmt_call_price_batch(const llmt_provider_config *p, const llmt_model_config *model,
                           llmt_response *resp);
/* What a batch request costs relative to the interactive one, for estimates and the
 * budget (the larger of the input and output ratios when batch prices are explicit). */
double llmt_call_batch_factor(const llmt_provider_config *p, const llmt_model_config *model);

/* After an HTTP exchange: parse a 2xx or classify an error, fill provider/request id. */
llmt_status llmt_call_handle_http(llmt_call *call, const llmt_http_response *http,
                                  llmt_response *out, llmt_error *err);

/* What the reply's rate-limit headers say (the provider's optional read_rate_limits);
 * false when the provider reads none or the reply said nothing. */
bool llmt_call_read_rate_limits(const llmt_call *call, const llmt_http_response *http,
                                llmt_rate_info *out);

#endif
