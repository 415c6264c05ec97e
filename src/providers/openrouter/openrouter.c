/*
 * OpenRouter, an OpenAI-compatible gateway (POST {base_url}/chat/completions).
 *
 * Quirks handled here:
 *   - model ids are namespaced ("openai/gpt-4.1-mini", suffixes like ":free");
 *   - the output cap is max_tokens (the documented field for every upstream);
 *   - with response_format the request also says provider.require_parameters:true, so
 *     OpenRouter routes only to upstreams that honour it instead of silently ignoring it;
 *   - attribution header X-Title from config options "app_title" (HTTP-Referer from
 *     "app_url" when set);
 *   - errors are {"error":{"code":<number>,"message","metadata"}}: 402 is quota (no
 *     credit), 403 from moderation (metadata.reasons / "flagged") is content_filter,
 *     408 timeout, 502/503 upstream trouble; a failure after generation started comes
 *     as HTTP 200 with choices[0].error or finish_reason "error" (chat_compat: server);
 *   - batch API (run --batch): providers/openrouter/batch.c;
 *   - catalog: GET {base_url}/models lists every model with prices in USD per token as
 *     strings ("0.00000015"), converted to USD per 1M tokens; negative prices ("-1",
 *     variable-price routers) are unknown.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

llmt_status openrouter_attribution(const llmt_host_wire *b, llmt_http_request *out,
                                   llmt_error *err)
{
    const llmt_host_api *h = b->host;
    llmt_status st = LLMT_OK;
    const char *title = h->option(b, "app_title", NULL);
    const char *referer = h->option(b, "app_url", NULL);
    if (title)
        st = h->add_header(out, "X-Title", title, err);
    if (st == LLMT_OK && referer)
        st = h->add_header(out, "HTTP-Referer", referer, err);
    return st;
}

llmt_status openrouter_build(void *state, const llmt_request *req, llmt_http_request *out,
                             llmt_error *err)
{
    const llmt_host_wire *b = state;
    llmt_host_chat_opts o;
    llmt_status st;
    memset(&o, 0, sizeof o);
    o.version = LLMT_HOST_CHAT_OPTS_VERSION;
    o.max_tokens_field = "max_tokens";
    o.omit_temperature = req->model_info && req->model_info->reasoning;
    o.strict_schema = true;
    /* route only to upstreams that honour response_format */
    o.members_with_format = "\"provider\":{\"require_parameters\":true}";
    st = b->host->chat_request_with(state, req, &o, "chat/completions", out, err);
    if (st == LLMT_OK)
        st = openrouter_attribution(b, out, err);
    return st;
}

static llmt_status openrouter_classify(void *state, const llmt_http_response *http,
                                       llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_err_fields f;
    llmt_status st;
    h->error_fields(http, &f);
    st = h->classify(http, &f);
    if (http->status == 403 && (strstr(f.message, "flagged") || strstr(f.message, "moderation") ||
                                h->body_has(http, "\"reasons\"")))
        st = LLMT_E_CONTENT_FILTER;
    return h->fail(err, http, st, &f, NULL);
}

/* ---- catalog -------------------------------------------------------------------- */

static llmt_status openrouter_catalog_request(void *state, llmt_http_request *out,
                                              llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    const llmt_host_wire *b = state;
    llmt_status st = h->http_request(b, "GET", "models", NULL, 0, NULL, out, err);
    if (st == LLMT_OK)
        st = h->add_header(out, "Accept", "application/json", err);
    if (st == LLMT_OK)
        st = openrouter_attribution(b, out, err);
    return st;
}

/* USD per token as a string (or number) -> USD per 1M tokens; < 0 when unknown. */
static double per_million(json_t *v)
{
    double d;
    char *end;
    if (json_is_number(v)) {
        d = json_number_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        d = strtod(s, &end);
        if (end == s || *end != '\0')
            return -1;
    } else {
        return -1;
    }
    return d < 0 ? -1 : d * 1e6;
}

static long positive(json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return (long)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) > 0)
        return (long)json_real_value(v);
    return 0;
}

static llmt_status openrouter_parse_catalog(void *state, const llmt_http_response *http,
                                            llmt_catalog_entry **entries, size_t *n,
                                            llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_t *root = NULL, *data, *m;
    llmt_catalog_entry *v = NULL;
    size_t i, k = 0;
    char ex[200];
    llmt_status st;
    *entries = NULL;
    *n = 0;
    if (http->status < 200 || http->status >= 300)
        return openrouter_classify(state, http, err);
    st = h->parse_object(http, &root, err);
    if (st != LLMT_OK)
        return st;
    data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        h->excerpt(http->body, http->body_len, ex, sizeof ex);
        st = h->error_set(err, LLMT_E_BAD_RESPONSE, "the model list has no \"data\" array: %s", ex);
        goto done;
    }
    v = calloc(json_array_size(data) + 1, sizeof(*v));
    if (!v) {
        st = h->error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    json_array_foreach(data, i, m)
    {
        json_t *pricing = json_object_get(m, "pricing");
        json_t *top = json_object_get(m, "top_provider");
        const char *id = json_string_value(json_object_get(m, "id"));
        if (!id || !*id)
            continue; /* an entry without id cannot be used; skip it rather than fail all */
        v[k].id = h->dup_string(id);
        v[k].name = h->dup_string(json_string_value(json_object_get(m, "name")));
        v[k].cost_input = per_million(json_object_get(pricing, "prompt"));
        v[k].cost_output = per_million(json_object_get(pricing, "completion"));
        v[k].context_length = positive(json_object_get(m, "context_length"));
        if (!v[k].context_length)
            v[k].context_length = positive(json_object_get(top, "context_length"));
        v[k].max_output_tokens = positive(json_object_get(top, "max_completion_tokens"));
        k++;
        if (!v[k - 1].id) {
            st = h->error_set(err, LLMT_E_NOMEM, "out of memory");
            goto done;
        }
    }
    *entries = v;
    *n = k;
    v = NULL;
done:
    if (v)
        h->catalog_entries_free(v, k);
    json_decref(root);
    return st;
}

/* X-RateLimit-Remaining with X-RateLimit-Reset as epoch milliseconds (sent with some
 * replies, 429s mostly). The window of X-RateLimit-Limit is not documented, so only what
 * is left and when it resets are used: they pace the provider, they do not set its rpm. */
static void openrouter_rate_limits(void *state, const llmt_http_response *http, llmt_rate_info *out)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    double reset_ms = h->header_number(http, "x-ratelimit-reset");
    out->requests_remaining = h->header_number(http, "x-ratelimit-remaining");
    if (reset_ms >= 0)
        out->requests_reset_s = h->seconds_until(http, reset_ms / 1000.0);
}

const llmt_provider_ops llmt_provider_openrouter = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "openrouter",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES,
    .init = llmt_host_wire_init_op,
    .destroy = llmt_host_wire_destroy_op,
    .build_request = openrouter_build,
    .parse_response = llmt_host_chat_parse_op,
    .classify_error = openrouter_classify,
    .build_catalog_request = openrouter_catalog_request,
    .parse_catalog = openrouter_parse_catalog,
    .read_rate_limits = openrouter_rate_limits,
    .batch_limits = openrouter_batch_limits,
    .batch_line = openrouter_batch_line,
    .batch_submit = openrouter_batch_submit,
    .batch_poll = openrouter_batch_poll,
    .batch_status = openrouter_batch_status,
    .batch_results = openrouter_batch_results,
    .batch_result_line = openrouter_batch_result_line,
    .batch_cancel = openrouter_batch_cancel,
};
