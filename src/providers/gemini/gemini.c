/*
 * Google Gemini API, generateContent with an API key
 * (POST {base_url}/models/{model}:generateContent, header x-goog-api-key).
 *
 * Quirks handled here:
 *   - the model is in the URL path, not the body; roles are "user"/"model"; the system
 *     prompt is systemInstruction; the output cap is generationConfig.maxOutputTokens;
 *   - structured output: responseMimeType "application/json" plus responseJsonSchema
 *     (standard JSON Schema, which takes the $defs/$ref of our task schemas; the older
 *     responseSchema is an OpenAPI subset without $ref). JSON mode is the MIME type alone;
 *   - images are inlineData parts (png, jpeg, webp; no gif);
 *   - usage: promptTokenCount includes cachedContentTokenCount; thinking tokens
 *     (thoughtsTokenCount) are billed as output, so output = candidates + thoughts and
 *     reasoning_tokens = thoughts; parts flagged "thought" are not reply text;
 *   - a blocked prompt (promptFeedback.blockReason, no candidates) or a safety finish
 *     reason without text is content_filter;
 *   - errors use the Google RPC envelope {error:{code,message,status,details}}: an
 *     invalid key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID (auth); 429
 *     RESOURCE_EXHAUSTED is a rate limit whose wait is RetryInfo.retryDelay ("37s"),
 *     unless the exhausted quota is a per-day one (quota: waiting minutes won't help).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"
#include "batch.h"

static const char *const gemini_images[] = {"image/png", "image/jpeg", "image/webp", NULL};

llmt_status gemini_build(void *state, const llmt_request *req, llmt_http_request *out,
                                llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_wire *b = state;
    json_t *body = NULL, *contents = NULL, *gen = NULL, *schema = NULL;
    char *url = NULL, *path = NULL;
    size_t i, j, last_user = h->last_user(req);
    llmt_status st = h->check_request(req, b->name, gemini_images, err);
    if (st != LLMT_OK)
        return st;
    body = json_object();
    contents = json_array();
    gen = json_object();
    if (req->system_prompt && req->system_prompt[0])
        json_object_set_new(body, "systemInstruction",
                            json_pack("{s:[{s:s}]}", "parts", "text", req->system_prompt));
    for (i = 0; i < req->n_messages; i++) {
        const llmt_message *m = &req->messages[i];
        json_t *parts = json_array();
        bool is_user = !m->role || strcmp(m->role, "assistant") != 0;
        if (i == last_user) {
            for (j = 0; j < req->n_files; j++) {
                char *b64 = h->base64(req->files[j].data, req->files[j].size);
                if (!b64) {
                    json_decref(parts);
                    st = h->error_set(err, LLMT_E_NOMEM, "out of memory");
                    goto done;
                }
                json_array_append_new(parts, json_pack("{s:{s:s, s:s}}", "inlineData", "mimeType",
                                                       req->files[j].mime_type, "data", b64));
                free(b64);
            }
        }
        json_array_append_new(parts, json_pack("{s:s}", "text", m->content ? m->content : ""));
        json_array_append_new(contents, json_pack("{s:s, s:o}", "role", is_user ? "user" : "model",
                                                  "parts", parts));
    }
    if (json_array_size(contents) != req->n_messages ||
        (req->system_prompt && req->system_prompt[0] && !json_object_get(body, "systemInstruction"))) {
        st = h->error_set(err, LLMT_E_NOMEM, "out of memory building the request body");
        goto done;
    }
    json_object_set(body, "contents", contents);
    if (req->temperature >= 0 && !(req->model_info && req->model_info->reasoning))
        json_object_set_new(gen, "temperature", json_real(req->temperature));
    if (req->max_tokens > 0)
        json_object_set_new(gen, "maxOutputTokens", json_integer(req->max_tokens));
    if (req->structured_mode == LLMT_STRUCTURED_JSON_SCHEMA && req->json_schema) {
        st = h->parse_schema(req, &schema, err);
        if (st != LLMT_OK)
            goto done;
        json_object_set_new(gen, "responseMimeType", json_string("application/json"));
        json_object_set(gen, "responseJsonSchema", schema);
    } else if (req->structured_mode == LLMT_STRUCTURED_JSON_OBJECT) {
        json_object_set_new(gen, "responseMimeType", json_string("application/json"));
    }
    if (json_object_size(gen))
        json_object_set(body, "generationConfig", gen);
    /* ids may be stored with or without the "models/" prefix */
    path = h->format("models/%s:generateContent",
                         strncmp(req->model, "models/", 7) == 0 ? req->model + 7 : req->model);
    url = path ? h->url(b->base_url, path) : NULL;
    if (!url) {
        st = h->error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    st = h->set_json_request(out, "POST", url, body, err);
    if (st == LLMT_OK)
        st = h->add_header(out, "x-goog-api-key", b->api_key, err);
done:
    free(path);
    free(url);
    json_decref(schema);
    json_decref(gen);
    json_decref(contents);
    json_decref(body);
    return st;
}

static bool is_safety_reason(const char *r)
{
    static const char *const reasons[] = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT",
                                          "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", NULL};
    size_t i;
    for (i = 0; r && reasons[i]; i++)
        if (strcmp(r, reasons[i]) == 0)
            return true;
    return false;
}

static llmt_status gemini_parse(void *state, const llmt_request *req,
                                const llmt_http_response *http, llmt_response *out,
                                llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_t *root = NULL, *cand, *parts, *part, *usage;
    llmt_host_jw *text = NULL;
    const char *finish = NULL, *block;
    char ex[200];
    size_t i;
    long thoughts;
    llmt_status st = h->parse_object(http, &root, err);
    (void)req;
    if (st != LLMT_OK)
        return st;
    cand = json_array_get(json_object_get(root, "candidates"), 0);
    block = json_string_value(json_object_get(json_object_get(root, "promptFeedback"), "blockReason"));
    if (!cand && block) {
        st = h->error_set(err, LLMT_E_CONTENT_FILTER, "the prompt was blocked (%s)", block);
        if (err)
            snprintf(err->code, sizeof err->code, "%s", block);
        goto done;
    }
    if (!json_is_object(cand)) {
        h->excerpt(http->body, http->body_len, ex, sizeof ex);
        st = h->error_set(err, LLMT_E_BAD_RESPONSE, "the reply has no candidates: %s", ex);
        goto done;
    }
    finish = json_string_value(json_object_get(cand, "finishReason"));
    parts = json_object_get(json_object_get(cand, "content"), "parts");
    json_array_foreach(parts, i, part)
    {
        const char *t = json_string_value(json_object_get(part, "text"));
        if (t && t[0] && !json_is_true(json_object_get(part, "thought")) &&
            (text || (text = h->jw_new())))
            h->jw_raw(text, t);
    }
    if (!text && is_safety_reason(finish)) {
        st = h->error_set(err, LLMT_E_CONTENT_FILTER, "the answer was blocked (finishReason %s)",
                            finish);
        if (err)
            snprintf(err->code, sizeof err->code, "%s", finish);
        goto done;
    }
    out->text = h->jw_finish(text, NULL); /* NULL without text */
    text = NULL;
    out->stop_reason = h->dup_string(finish);
    out->model = h->dup_string(json_string_value(json_object_get(root, "modelVersion")));
    out->request_id = h->dup_string(json_string_value(json_object_get(root, "responseId")));
    usage = json_object_get(root, "usageMetadata");
    thoughts = h->json_long(json_object_get(usage, "thoughtsTokenCount"), -1);
    out->usage.input_tokens = h->json_long(json_object_get(usage, "promptTokenCount"), 0);
    out->usage.output_tokens = h->json_long(json_object_get(usage, "candidatesTokenCount"), 0) +
                               (thoughts > 0 ? thoughts : 0);
    out->usage.cached_input_tokens =
        h->json_long(json_object_get(usage, "cachedContentTokenCount"), -1);
    out->usage.reasoning_tokens = thoughts;
done:
    st = h->reply_end(http, st, "finishReason", finish, out, err); /* finish borrowed from root */
    free(h->jw_finish(text, NULL));
    json_decref(root);
    return st;
}

/* Reads the RPC details: RetryInfo.retryDelay, ErrorInfo.reason, and whether a
 * QuotaFailure names a per-day quota. */
static void read_details(const llmt_host_api *h, const llmt_http_response *http, double *retry, char *reason, size_t rn,
                         bool *per_day)
{
    json_t *root = json_loadb(http->body ? http->body : "", http->body_len, 0, NULL);
    json_t *details = json_object_get(json_object_get(root, "error"), "details"), *d, *v, *viol;
    size_t i, j;
    *retry = -1;
    *per_day = false;
    reason[0] = '\0';
    json_array_foreach(details, i, d)
    {
        const char *type = json_string_value(json_object_get(d, "@type"));
        if (!type)
            continue;
        if (strstr(type, "RetryInfo"))
            *retry = h->duration((json_string_value(json_object_get(d, "retryDelay"))));
        else if (strstr(type, "ErrorInfo") && json_is_string(json_object_get(d, "reason")))
            snprintf(reason, rn, "%s", json_string_value(json_object_get(d, "reason")));
        else if (strstr(type, "QuotaFailure")) {
            viol = json_object_get(d, "violations");
            json_array_foreach(viol, j, v)
            {
                const char *id = json_string_value(json_object_get(v, "quotaId"));
                const char *metric = json_string_value(json_object_get(v, "quotaMetric"));
                if ((id && strstr(id, "PerDay")) || (metric && strstr(metric, "per_day")))
                    *per_day = true;
            }
        }
    }
    json_decref(root);
}

static llmt_status gemini_classify(void *state, const llmt_http_response *http, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_err_fields f;
    llmt_status st;
    char reason[64];
    double retry;
    bool per_day;
    h->error_fields(http, &f);
    read_details(h, http, &retry, reason, sizeof reason, &per_day);
    st = h->classify(http, &f);
    if (strcmp(reason, "API_KEY_INVALID") == 0 || strcmp(f.status, "UNAUTHENTICATED") == 0)
        st = LLMT_E_AUTH;
    else if (strcmp(f.status, "PERMISSION_DENIED") == 0 ||
             strcmp(f.status, "FAILED_PRECONDITION") == 0)
        st = LLMT_E_PERMISSION;
    else if (strcmp(f.status, "RESOURCE_EXHAUSTED") == 0)
        st = per_day ? LLMT_E_QUOTA : LLMT_E_RATE_LIMIT;
    else if (strcmp(f.status, "UNAVAILABLE") == 0)
        st = LLMT_E_OVERLOADED;
    if (reason[0])
        snprintf(f.code, sizeof f.code, "%s", reason);
    else if (f.status[0])
        snprintf(f.code, sizeof f.code, "%s", f.status);
    st = h->fail(err, http, st, &f, NULL);
    /* the body's RetryInfo is the documented hint; a header, if any, was read above */
    if (err && err->retryable && err->retry_after_s < 0 && retry >= 0)
        err->retry_after_s = retry;
    return st;
}

const llmt_provider_ops llmt_provider_gemini = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "gemini",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES,
    .init = llmt_host_wire_init_op,
    .destroy = llmt_host_wire_destroy_op,
    .build_request = gemini_build,
    .parse_response = gemini_parse,
    .classify_error = gemini_classify,
    .batch_limits = gemini_batch_limits,
    .batch_line = gemini_batch_line,
    .batch_submit = gemini_batch_submit,
    .batch_poll = gemini_batch_poll,
    .batch_status = gemini_batch_status,
    .batch_results = gemini_batch_results,
    .batch_result_line = gemini_batch_result_line,
    .batch_cancel = gemini_batch_cancel,
};
