/*
 * OpenAI Chat Completions (POST {base_url}/chat/completions, Bearer auth).
 *
 * Quirks handled here:
 *   - the output cap is max_completion_tokens (max_tokens is deprecated and rejected by
 *     reasoning models); reasoning models (capabilities.reasoning) get no temperature,
 *     since they accept only the default;
 *   - structured output is response_format json_schema with the schema rewritten by the
 *     library under config.json's "schema_transform": "strict" (the SDK's rules: closed
 *     objects, every property required, optional ones nullable) and strict:true; false
 *     only when the rewritten schema keeps an open map (dict[str, int]);
 *   - 429 with code/type insufficient_quota is quota (never retried), not a rate limit.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "llmt/provider.h"
#include "providers/toolkit/wire.h"
#include "providers/toolkit/wire_batch.h"
#include "providers/openai/batch.h"

llmt_status openai_build(void *state, const llmt_request *req, llmt_http_request *out,
                                llmt_error *err)
{
    const llmt_wire_basic *b = state;
    const char *org = llmt_wire_option(b, "organization", NULL);
    llmt_chat_compat_opts o;
    llmt_status st;
    memset(&o, 0, sizeof o);
    o.max_tokens_field = "max_completion_tokens";
    o.omit_temperature = req->model_info && req->model_info->reasoning;
    o.strict_schema = true;
    st = llmt_chat_compat_bearer_request(b, req, &o, "chat/completions", out, err);
    if (st == LLMT_OK && org)
        st = llmt_wire_add_header(out, "OpenAI-Organization", org, err);
    return st;
}

/* x-ratelimit-{limit,remaining,reset}-{requests,tokens}: per-minute limits, resets as
 * durations ("1.2s", "6m0s"). */
static void openai_rate_limits(void *state, const llmt_http_response *http, llmt_rate_info *out)
{
    (void)state;
    out->requests_limit = llmt_wire_header_number(http, "x-ratelimit-limit-requests");
    out->requests_remaining = llmt_wire_header_number(http, "x-ratelimit-remaining-requests");
    out->requests_reset_s = llmt_wire_header_reset(http, "x-ratelimit-reset-requests");
    out->tokens_limit = llmt_wire_header_number(http, "x-ratelimit-limit-tokens");
    out->tokens_remaining = llmt_wire_header_number(http, "x-ratelimit-remaining-tokens");
    out->tokens_reset_s = llmt_wire_header_reset(http, "x-ratelimit-reset-tokens");
}

const llmt_provider_ops llmt_provider_openai = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "openai",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES,
    .init = llmt_wire_basic_init,
    .destroy = llmt_wire_basic_destroy,
    .build_request = openai_build,
    .parse_response = llmt_chat_compat_parse_op,
    .classify_error = llmt_wire_classify_op,
    .read_rate_limits = openai_rate_limits,
    .batch_limits = openai_batch_limits,
    .batch_line = openai_batch_line,
    .batch_submit = openai_batch_submit,
    .batch_poll = openai_batch_poll,
    .batch_status = openai_batch_status,
    .batch_results = llmt_wire_batch_file_content,
    .batch_result_line = llmt_wire_batch_compat_result_op,
    .batch_cancel = openai_batch_cancel,
};
