/*
 * Mistral chat completions (POST {base_url}/chat/completions, Bearer auth).
 *
 * OpenAI-shaped but strict: unknown request fields are a 422 (extra_forbidden), so the
 * body carries only model, messages, temperature, max_tokens (max_completion_tokens is
 * rejected) and response_format.
 * Quirks handled here:
 *   - image parts are {"type":"image_url","image_url":"data:..."} (a plain string);
 *   - response_format json_schema {name, schema, strict} as OpenAI, the schema rewritten
 *     under config.json's "schema_transform": "closed" (the SDK's rule: every object
 *     additionalProperties:false) and strict:true;
 *   - reasoning (Magistral) replies may carry content as an array of chunks: the text
 *     chunks are concatenated (chat_compat does this);
 *   - errors come without the outer "error" key: {"object":"error","message":...,
 *     "type":...,"code":"1300"}; 422 validation errors put an object in "message";
 *     a 429 that speaks of a monthly/usage limit is quota, not a rate limit.
 */
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

llmt_status mistral_build(void *state, const llmt_request *req, llmt_http_request *out,
                                 llmt_error *err)
{
    llmt_host_chat_opts o;
    memset(&o, 0, sizeof o);
    o.version = LLMT_HOST_CHAT_OPTS_VERSION;
    o.max_tokens_field = "max_tokens";
    o.strict_schema = true;
    o.image_url_string = true;
    return LLMT_HOST_OF(state)->chat_request_with(state, req, &o, "chat/completions", out, err);
}

static llmt_status mistral_classify(void *state, const llmt_http_response *http, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_err_fields f;
    llmt_status st;
    h->error_fields(http, &f);
    st = h->classify(http, &f);
    if (http->status == 429 && (h->contains_ci(f.message, "monthly") || h->contains_ci(f.message, "usage limit") ||
                                h->contains_ci(f.message, "billing") || h->contains_ci(f.message, "payment")))
        st = LLMT_E_QUOTA;
    else if (http->status == 429 || strcmp(f.type, "rate_limited") == 0)
        st = LLMT_E_RATE_LIMIT;
    return h->fail(err, http, st, &f, NULL);
}

/* x-ratelimit-{limit,remaining}-{req,tokens}-minute: per-minute windows with no reset
 * header, so what is left is assumed to last until the minute is over at the latest. */
static void mistral_rate_limits(void *state, const llmt_http_response *http, llmt_rate_info *out)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    out->requests_limit = h->header_number(http, "x-ratelimit-limit-req-minute");
    out->requests_remaining = h->header_number(http, "x-ratelimit-remaining-req-minute");
    out->tokens_limit = h->header_number(http, "x-ratelimit-limit-tokens-minute");
    out->tokens_remaining = h->header_number(http, "x-ratelimit-remaining-tokens-minute");
    out->requests_reset_s = out->requests_remaining >= 0 ? 60 : -1;
    out->tokens_reset_s = out->tokens_remaining >= 0 ? 60 : -1;
    out->window_s = 60;
}

const llmt_provider_ops llmt_provider_mistral = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "mistral",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES,
    .init = mistral_init,
    .destroy = llmt_host_wire_destroy_op,
    .build_request = mistral_build,
    .parse_response = llmt_host_chat_parse_op,
    .classify_error = mistral_classify,
    .read_rate_limits = mistral_rate_limits,
    LLMT_HOST_FILES_BATCH_OPS,
};
