/*
 * Anthropic Messages API (POST {base_url}/v1/messages).
 *
 * Quirks handled here:
 *   - auth is x-api-key plus a required anthropic-version header (config options
 *     "anthropic_version", default 2023-06-01);
 *   - the system prompt is the top-level "system" field; max_tokens is required (4096
 *     when neither the caller nor the model config gives one);
 *   - structured output is output_config.format {type: json_schema, schema} on the
 *     models that support it, with the schema rewritten by the library under config.json's
 *     "schema_transform": "subset" (the SDK's rules: closed objects, unsupported keywords
 *     moved into descriptions; a recursive schema falls back to the prompt). There is no
 *     plain JSON mode: other models get the schema in the system prompt;
 *   - models flagged "reasoning" (Opus 4.7 and later reject non-default sampling) get
 *     no temperature;
 *   - images are base64 "image" blocks placed before the text, as the docs advise;
 *   - usage.input_tokens excludes cache reads and writes: input is reported as
 *     input + cache_creation + cache_read (every prompt token, as other providers
 *     count), cached_input_tokens as cache_read;
 *   - errors: 529 overloaded_error is overloaded; the low-credit 400 ("credit balance is
 *     too low") and usage-limit/spend-cap errors are quota; the request id is the
 *     request-id header (or the body's request_id).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

static const char *const anthropic_images[] = {"image/png", "image/jpeg", "image/gif",
                                               "image/webp", NULL};

static json_t *user_content(const llmt_host_api *h, const llmt_request *req,
                            const llmt_message *m, bool with_files, llmt_error *err,
                            llmt_status *st)
{
    json_t *blocks;
    size_t j;
    if (!with_files) {
        json_t *s = json_string(m->content ? m->content : "");
        if (!s)
            *st = h->error_set(err, LLMT_E_NOMEM, "out of memory building the request body");
        return s;
    }
    blocks = json_array();
    for (j = 0; j < req->n_files; j++) {
        const llmt_file *f = &req->files[j];
        char *b64 = h->base64(f->data, f->size);
        if (!b64) {
            *st = h->error_set(err, LLMT_E_NOMEM, "out of memory encoding %s", f->path);
            json_decref(blocks);
            return NULL;
        }
        json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "image",
                                                "source", "type", "base64", "media_type",
                                                f->mime_type, "data", b64));
        free(b64);
    }
    json_array_append_new(blocks, json_pack("{s:s, s:s}", "type", "text", "text",
                                            m->content ? m->content : ""));
    if (json_array_size(blocks) != req->n_files + 1) {
        *st = h->error_set(err, LLMT_E_NOMEM, "out of memory building the request body");
        json_decref(blocks);
        return NULL;
    }
    return blocks;
}

llmt_status anthropic_build(void *state, const llmt_request *req, llmt_http_request *out,
                                   llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_wire *b = state;
    json_t *body = NULL, *msgs = NULL, *schema = NULL;
    char *url = NULL;
    size_t i, last_user = h->last_user(req);
    llmt_status st = h->check_request(req, b->name, anthropic_images, err);
    if (st != LLMT_OK)
        return st;
    body = json_object();
    msgs = json_array();
    json_object_set_new(body, "model", json_string(req->model));
    json_object_set_new(body, "max_tokens", json_integer(req->max_tokens > 0 ? req->max_tokens : 4096));
    if (req->system_prompt && req->system_prompt[0])
        json_object_set_new(body, "system", json_string(req->system_prompt));
    for (i = 0; i < req->n_messages; i++) {
        const llmt_message *m = &req->messages[i];
        json_t *content = user_content(h, req, m, i == last_user && req->n_files > 0, err, &st);
        if (!content)
            goto done;
        json_array_append_new(msgs, json_pack("{s:s, s:o}", "role",
                                              m->role ? m->role : "user", "content", content));
    }
    if (json_array_size(msgs) != req->n_messages ||
        (req->system_prompt && req->system_prompt[0] && !json_object_get(body, "system"))) {
        st = h->error_set(err, LLMT_E_NOMEM, "out of memory building the request body");
        goto done;
    }
    json_object_set(body, "messages", msgs);
    if (req->temperature >= 0 && !(req->model_info && req->model_info->reasoning))
        json_object_set_new(body, "temperature", json_real(req->temperature > 1 ? 1 : req->temperature));
    if (req->structured_mode == LLMT_STRUCTURED_JSON_SCHEMA && req->json_schema) {
        /* already rewritten by the "subset" rules of config.json (closed objects incl.) */
        st = h->parse_schema(req, &schema, err);
        if (st != LLMT_OK)
            goto done;
        json_object_set_new(body, "output_config",
                            json_pack("{s:{s:s, s:O}}", "format", "type", "json_schema", "schema",
                                      schema));
    }
    url = h->url(b->base_url, "v1/messages");
    if (!url) {
        st = h->error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    st = h->set_json_request(out, "POST", url, body, err);
    if (st == LLMT_OK)
        st = h->add_header(out, "x-api-key", b->api_key, err);
    if (st == LLMT_OK)
        st = h->add_header(out, "anthropic-version",
                                  h->option(b, "anthropic_version", "2023-06-01"), err);
done:
    free(url);
    json_decref(schema);
    json_decref(msgs);
    json_decref(body);
    return st;
}

static llmt_status anthropic_parse(void *state, const llmt_request *req,
                                   const llmt_http_response *http, llmt_response *out,
                                   llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    static const char *const ids[] = {"request-id", "x-request-id", NULL};
    json_t *root = NULL, *content, *blk, *usage, *cr, *cc;
    llmt_host_jw *text = NULL;
    const char *stop = NULL;
    char ex[200];
    size_t i;
    llmt_status st = h->parse_object(http, &root, err);
    (void)req;
    if (st != LLMT_OK)
        return st;
    content = json_object_get(root, "content");
    stop = json_string_value(json_object_get(root, "stop_reason"));
    if (!json_is_array(content)) {
        h->excerpt(http->body, http->body_len, ex, sizeof ex);
        st = h->error_set(err, LLMT_E_BAD_RESPONSE, "the reply has no content array: %s", ex);
        goto done;
    }
    if (stop && strcmp(stop, "refusal") == 0) {
        st = h->error_set(err, LLMT_E_CONTENT_FILTER, "the model refused (stop_reason refusal)");
        if (err)
            snprintf(err->code, sizeof err->code, "refusal");
        goto done;
    }
    json_array_foreach(content, i, blk)
    {
        const char *type = json_string_value(json_object_get(blk, "type"));
        const char *t = json_string_value(json_object_get(blk, "text"));
        if (type && strcmp(type, "text") == 0 && t && (text || (text = h->jw_new())))
            h->jw_raw(text, t);
    }
    out->text = h->jw_finish(text, NULL); /* NULL without text */
    text = NULL;
    out->stop_reason = h->dup_string(stop);
    out->model = h->dup_string(json_string_value(json_object_get(root, "model")));
    out->request_id = h->header_dup(http, ids);
    if (!out->request_id)
        out->request_id = h->dup_string(json_string_value(json_object_get(root, "id")));
    usage = json_object_get(root, "usage");
    cr = json_object_get(usage, "cache_read_input_tokens");
    cc = json_object_get(usage, "cache_creation_input_tokens");
    out->usage.input_tokens = h->json_long(json_object_get(usage, "input_tokens"), 0) +
                              h->json_long(cr, 0) + h->json_long(cc, 0);
    out->usage.output_tokens = h->json_long(json_object_get(usage, "output_tokens"), 0);
    out->usage.cached_input_tokens = h->json_long(cr, -1);
    out->usage.reasoning_tokens = -1;
done:
    st = h->reply_end(http, st, "stop_reason", stop, out, err); /* stop borrowed from root */
    free(h->jw_finish(text, NULL));
    json_decref(root);
    return st;
}

static llmt_status anthropic_classify(void *state, const llmt_http_response *http,
                                      llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    static const char *const ids[] = {"request-id", "x-request-id", NULL};
    llmt_host_err_fields f;
    llmt_status st;
    h->error_fields(http, &f);
    st = h->classify(http, &f);
    if (strcmp(f.type, "overloaded_error") == 0)
        st = LLMT_E_OVERLOADED;
    /* Anthropic reports an exhausted credit balance or spend limit as a plain 400
     * invalid_request_error: its wording is the only signal there is (a provider's
     * reply, not one of our messages), so it is read here and nowhere else */
    else if (strcmp(f.type, "billing_error") == 0 ||
             h->contains_ci(f.message, "credit balance") ||
             h->contains_ci(f.message, "usage limit") ||
             h->contains_ci(f.message, "spend limit") ||
             h->body_has(http, "enforced_spend_limit"))
        st = LLMT_E_QUOTA;
    else if (strcmp(f.type, "authentication_error") == 0)
        st = LLMT_E_AUTH;
    else if (strcmp(f.type, "permission_error") == 0)
        st = LLMT_E_PERMISSION;
    else if (strcmp(f.type, "not_found_error") == 0)
        st = LLMT_E_NOT_FOUND;
    else if (strcmp(f.type, "rate_limit_error") == 0)
        st = LLMT_E_RATE_LIMIT;
    st = h->fail(err, http, st, &f, ids);
    if (err && !err->request_id[0]) {
        /* the body repeats the id; proxies sometimes drop the header */
        json_t *root = json_loadb(http->body ? http->body : "", http->body_len, 0, NULL);
        const char *rid = json_string_value(json_object_get(root, "request_id"));
        if (rid)
            snprintf(err->request_id, sizeof err->request_id, "%s", rid);
        json_decref(root);
    }
    return st;
}

/* anthropic-ratelimit-*-{limit,remaining,reset}, per minute, resets as RFC 3339 times.
 * "tokens" is the most restrictive of the token limits; without it, the input-token limit
 * (what an extraction mostly spends) stands for it. */
static void anthropic_rate_limits(void *state, const llmt_http_response *http, llmt_rate_info *out)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    const char *tok = llmt_http_response_header(http, "anthropic-ratelimit-tokens-limit")
                          ? "anthropic-ratelimit-tokens" : "anthropic-ratelimit-input-tokens";
    char name[64];
    out->requests_limit = h->header_number(http, "anthropic-ratelimit-requests-limit");
    out->requests_remaining = h->header_number(http, "anthropic-ratelimit-requests-remaining");
    out->requests_reset_s = h->header_reset(http, "anthropic-ratelimit-requests-reset");
    snprintf(name, sizeof name, "%s-limit", tok);
    out->tokens_limit = h->header_number(http, name);
    snprintf(name, sizeof name, "%s-remaining", tok);
    out->tokens_remaining = h->header_number(http, name);
    snprintf(name, sizeof name, "%s-reset", tok);
    out->tokens_reset_s = h->header_reset(http, name);
}

const llmt_provider_ops llmt_provider_anthropic = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "anthropic",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES,
    .init = llmt_host_wire_init_op,
    .destroy = llmt_host_wire_destroy_op,
    .build_request = anthropic_build,
    .parse_response = anthropic_parse,
    .classify_error = anthropic_classify,
    .read_rate_limits = anthropic_rate_limits,
    .batch_limits = anthropic_batch_limits,
    .batch_line = anthropic_batch_line,
    .batch_submit = anthropic_batch_submit,
    .batch_poll = anthropic_batch_poll,
    .batch_status = anthropic_batch_status,
    .batch_results = anthropic_batch_results,
    .batch_result_line = anthropic_batch_result_line,
    .batch_cancel = anthropic_batch_cancel,
};
