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
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

llmt_status openai_build(void *state, const llmt_request *req, llmt_http_request *out,
                                llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    const char *org = h->option(state, "organization", NULL);
    llmt_host_chat_opts o;
    memset(&o, 0, sizeof o);
    o.version = LLMT_HOST_CHAT_OPTS_VERSION;
    llmt_status st;
    o.max_tokens_field = "max_completion_tokens";
    o.omit_temperature = req->model_info && req->model_info->reasoning;
    o.strict_schema = true;
    st = h->chat_request_with(state, req, &o, "chat/completions", out, err);
    if (st == LLMT_OK && org)
        st = h->add_header(out, "OpenAI-Organization", org, err);
    return st;
}

/* x-ratelimit-{limit,remaining,reset}-{requests,tokens}: per-minute limits, resets as
 * durations ("1.2s", "6m0s"). */
static void openai_rate_limits(void *state, const llmt_http_response *http, llmt_rate_info *out)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    out->requests_limit = h->header_number(http, "x-ratelimit-limit-requests");
    out->requests_remaining = h->header_number(http, "x-ratelimit-remaining-requests");
    out->requests_reset_s = h->header_reset(http, "x-ratelimit-reset-requests");
    out->tokens_limit = h->header_number(http, "x-ratelimit-limit-tokens");
    out->tokens_remaining = h->header_number(http, "x-ratelimit-remaining-tokens");
    out->tokens_reset_s = h->header_reset(http, "x-ratelimit-reset-tokens");
}

const llmt_provider_ops llmt_provider_openai = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "openai",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES,
    .init = openai_init,
    .destroy = llmt_host_wire_destroy_op,
    .build_request = openai_build,
    .parse_response = llmt_host_chat_parse_op,
    .classify_error = llmt_host_classify_op,
    .read_rate_limits = openai_rate_limits,
    LLMT_HOST_FILES_BATCH_OPS,
};
