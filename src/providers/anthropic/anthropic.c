/*
 * Anthropic Messages API (POST {base_url}/v1/messages).
 *
 * Quirks handled here:
 *   - auth is x-api-key plus a required anthropic-version header (config options
 *     "anthropic_version", default 2023-06-01);
 *   - the system prompt is the top-level "system" field; max_tokens is required (4096
 *     when neither the caller nor the model config gives one);
 *   - structured output is output_config.format {type: json_schema, schema} on the
 *     models that support it; the API insists on closed objects, so object schemas
 *     without additionalProperties get additionalProperties:false. There is no plain
 *     JSON mode: other models get the schema in the system prompt;
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

#include "core/util.h"
#include "llmt/provider.h"
#include "provider/wire.h"

static const char *const anthropic_images[] = {"image/png", "image/jpeg", "image/gif",
                                               "image/webp", NULL};

static json_t *user_content(const llmt_request *req, const llmt_message *m, bool with_files,
                            llmt_error *err, llmt_status *st)
{
    json_t *blocks;
    size_t j;
    if (!with_files)
        return json_string(m->content ? m->content : "");
    blocks = json_array();
    for (j = 0; j < req->n_files; j++) {
        const llmt_file *f = &req->files[j];
        char *b64 = llmt_wire_base64(f->data, f->size);
        if (!b64) {
            *st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory encoding %s", f->path);
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
    return blocks;
}

static llmt_status anthropic_build(void *state, const llmt_request *req, llmt_http_request *out,
                                   llmt_error *err)
{
    llmt_wire_basic *b = state;
    json_t *body = NULL, *msgs = NULL, *schema = NULL;
    char *url = NULL;
    size_t i, last_user = llmt_wire_last_user(req);
    llmt_status st = llmt_wire_check_images(req, b->name, anthropic_images, err);
    if (st != LLMT_OK)
        return st;
    if ((st = llmt_wire_check_texts(req, b->name, err)) != LLMT_OK)
        return st;
    body = json_object();
    msgs = json_array();
    json_object_set_new(body, "model", json_string(req->model));
    json_object_set_new(body, "max_tokens", json_integer(req->max_tokens > 0 ? req->max_tokens : 4096));
    if (req->system_prompt && req->system_prompt[0])
        json_object_set_new(body, "system", json_string(req->system_prompt));
    for (i = 0; i < req->n_messages; i++) {
        const llmt_message *m = &req->messages[i];
        json_t *content = user_content(req, m, i == last_user && req->n_files > 0, err, &st);
        if (!content)
            goto done;
        json_array_append_new(msgs, json_pack("{s:s, s:o}", "role",
                                              m->role ? m->role : "user", "content", content));
    }
    json_object_set(body, "messages", msgs);
    if (req->temperature >= 0 && !(req->model_info && req->model_info->reasoning))
        json_object_set_new(body, "temperature", json_real(req->temperature > 1 ? 1 : req->temperature));
    if (req->structured_mode == LLMT_STRUCTURED_JSON_SCHEMA && req->json_schema) {
        st = llmt_wire_schema(req, &schema, err);
        if (st != LLMT_OK)
            goto done;
        llmt_wire_schema_close_objects(schema);
        json_object_set_new(body, "output_config",
                            json_pack("{s:{s:s, s:O}}", "format", "type", "json_schema", "schema",
                                      schema));
    }
    url = llmt_wire_url(b->base_url, "v1/messages");
    if (!url) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    st = llmt_wire_set_json_request(out, "POST", url, body, err);
    if (st == LLMT_OK)
        st = llmt_wire_add_header(out, "x-api-key", b->api_key, err);
    if (st == LLMT_OK)
        st = llmt_wire_add_header(out, "anthropic-version",
                                  llmt_wire_option(b, "anthropic_version", "2023-06-01"), err);
done:
    free(url);
    json_decref(schema);
    json_decref(msgs);
    json_decref(body);
    return st;
}

static long num(json_t *v, long dflt)
{
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static llmt_status anthropic_parse(void *state, const llmt_request *req,
                                   const llmt_http_response *http, llmt_response *out,
                                   llmt_error *err)
{
    static const char *const ids[] = {"request-id", "x-request-id", NULL};
    json_t *root = NULL, *content, *blk, *usage, *cr, *cc;
    llmt_buf text = {0};
    const char *stop;
    char ex[200];
    size_t i;
    llmt_status st = llmt_wire_parse_body(http, &root, err);
    (void)state;
    (void)req;
    if (st != LLMT_OK)
        return st;
    content = json_object_get(root, "content");
    stop = json_string_value(json_object_get(root, "stop_reason"));
    if (!json_is_array(content)) {
        llmt_wire_excerpt(http->body, http->body_len, ex, sizeof ex);
        st = llmt_error_set(err, LLMT_E_BAD_RESPONSE, "the reply has no content array: %s", ex);
        goto done;
    }
    if (stop && strcmp(stop, "refusal") == 0) {
        st = llmt_error_set(err, LLMT_E_CONTENT_FILTER, "the model refused (stop_reason refusal)");
        if (err)
            snprintf(err->code, sizeof err->code, "refusal");
        goto done;
    }
    json_array_foreach(content, i, blk)
    {
        const char *type = json_string_value(json_object_get(blk, "type"));
        const char *t = json_string_value(json_object_get(blk, "text"));
        if (type && strcmp(type, "text") == 0 && t)
            llmt_buf_puts(&text, t);
    }
    out->text = text.data ? llmt_buf_steal(&text) : NULL;
    out->stop_reason = llmt_strdup(stop);
    out->model = llmt_strdup(json_string_value(json_object_get(root, "model")));
    out->request_id = llmt_wire_header_dup(http, ids);
    if (!out->request_id)
        out->request_id = llmt_strdup(json_string_value(json_object_get(root, "id")));
    usage = json_object_get(root, "usage");
    cr = json_object_get(usage, "cache_read_input_tokens");
    cc = json_object_get(usage, "cache_creation_input_tokens");
    out->usage.input_tokens = num(json_object_get(usage, "input_tokens"), 0) + num(cr, 0) + num(cc, 0);
    out->usage.output_tokens = num(json_object_get(usage, "output_tokens"), 0);
    out->usage.cached_input_tokens = num(cr, -1);
    out->usage.reasoning_tokens = -1;
    if (!out->text || !out->text[0]) {
        llmt_wire_excerpt(http->body, http->body_len, ex, sizeof ex);
        st = llmt_error_set(err, LLMT_E_BAD_RESPONSE, "the reply has no text (stop_reason %s): %s",
                            stop ? stop : "none", ex);
    }
done:
    llmt_buf_free(&text);
    json_decref(root);
    if (st != LLMT_OK)
        llmt_response_clear(out);
    return st;
}

static bool has(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i;
        for (i = 0; i < n; i++) {
            char a = hay[i], c = needle[i];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (!a || a != c)
                break;
        }
        if (i == n)
            return true;
    }
    return false;
}

static llmt_status anthropic_classify(void *state, const llmt_http_response *http,
                                      llmt_error *err)
{
    static const char *const ids[] = {"request-id", "x-request-id", NULL};
    llmt_wire_err_fields f;
    llmt_status st;
    (void)state;
    llmt_wire_error_fields(http, &f);
    st = llmt_wire_classify(http, &f);
    if (strcmp(f.type, "overloaded_error") == 0)
        st = LLMT_E_OVERLOADED;
    else if (strcmp(f.type, "billing_error") == 0 || has(f.message, "credit balance") ||
             has(f.message, "usage limit") || has(f.message, "spend limit") ||
             llmt_wire_body_has(http, "enforced_spend_limit"))
        st = LLMT_E_QUOTA;
    else if (strcmp(f.type, "authentication_error") == 0)
        st = LLMT_E_AUTH;
    else if (strcmp(f.type, "permission_error") == 0)
        st = LLMT_E_PERMISSION;
    else if (strcmp(f.type, "not_found_error") == 0)
        st = LLMT_E_NOT_FOUND;
    else if (strcmp(f.type, "rate_limit_error") == 0)
        st = LLMT_E_RATE_LIMIT;
    st = llmt_wire_fail(err, http, st, &f, ids);
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

const llmt_provider_ops llmt_provider_anthropic = {
    LLMT_PROVIDER_ABI_VERSION,
    "anthropic",
    LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES,
    llmt_wire_basic_init,
    llmt_wire_basic_destroy,
    anthropic_build,
    anthropic_parse,
    anthropic_classify,
    NULL,
    NULL,
    NULL,
};
