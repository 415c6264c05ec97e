#include "provider/call.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"
#include "core/log.h"
#include "http/hint.h"
#include "http/http.h"
#include "llmt/manager.h"
#include "provider/tokens.h"

llmt_status llmt_call_resolve(llmt_registry *reg, const char *model_ref,
                              llmt_provider_entry **entry, const llmt_model_config **model,
                              llmt_error *err)
{
    char *pname = NULL, *mname = NULL;
    llmt_provider_entry *e;
    const llmt_model_config *m;
    llmt_status st = llmt_split_model_ref(model_ref, &pname, &mname, err);
    if (st != LLMT_OK)
        return st;
    e = llmt_registry_find(reg, pname);
    if (!e) {
        llmt_buf known = {0};
        size_t i;
        for (i = 0; i < llmt_registry_count(reg); i++)
            llmt_buf_printf(&known, "%s%s", i ? ", " : "", llmt_registry_at(reg, i)->ops->name);
        st = llmt_error_set(err, LLMT_E_NOT_FOUND, "unknown provider '%s' (known: %s)", pname,
                            known.data ? known.data : "none");
        llmt_buf_free(&known);
        goto done;
    }
    m = llmt_provider_config_model(e->config, mname);
    if (!m) {
        st = llmt_error_set(err, LLMT_E_NOT_FOUND,
                            "unknown model '%s' for provider '%s' (see: llm-tester models list %s)",
                            mname, pname, pname);
        goto done;
    }
    if (!e->config->enabled) {
        st = llmt_error_set(err, LLMT_E_CONFIG, "provider '%s' is disabled", pname);
        goto done;
    }
    *entry = e;
    *model = m;
done:
    if (st != LLMT_OK && err)
        snprintf(err->provider, sizeof err->provider, "%s", pname);
    free(pname);
    free(mname);
    return st;
}

/* JSON-schema mode with the schema as the provider's rules rewrite it; when they cannot
 * (or out of memory), JSON mode if the model has it, else the prompt. */
static void prepare_schema(llmt_call *call, const char *schema, bool json_object)
{
    const char *fallback = json_object ? "json_object" : "prompt_only (schema in the prompt)";
    llmt_provider_entry *e = call->entry;
    if (e->schema_plans && llmt_schema_plans_get(e->schema_plans, e->config->schema_transform,
                                                 schema, call->model->name, fallback,
                                                 &call->schema) &&
        call->schema.sent) {
        call->req.structured_mode = LLMT_STRUCTURED_JSON_SCHEMA;
        call->req.json_schema = call->schema.sent;
        call->req.schema_strict = call->schema.strict;
        return;
    }
    llmt_schema_plan_clear(&call->schema);
    call->req.structured_mode = json_object ? LLMT_STRUCTURED_JSON_OBJECT
                                            : LLMT_STRUCTURED_PROMPT_ONLY;
}

void llmt_call_prepare(llmt_call *call, llmt_provider_entry *entry,
                       const llmt_model_config *model, const llmt_request *in)
{
    unsigned caps = entry->ops->capabilities;
    memset(call, 0, sizeof(*call));
    call->entry = entry;
    call->model = model;
    if (in->version < 2) {
        /* a version-1 caller's struct ends before task_dir: copy only its part */
        memcpy(&call->req, in, offsetof(llmt_request, task_dir));
        call->req.task_dir = NULL;
    } else if (in->version < 3) {
        memcpy(&call->req, in, offsetof(llmt_request, schema_strict));
    } else {
        call->req = *in;
    }
    call->req.version = LLMT_REQUEST_VERSION;
    call->req.model = model->name;
    call->req.model_info = &model->info;
    if (model->info.max_output_tokens > 0 &&
        (call->req.max_tokens <= 0 || call->req.max_tokens > model->info.max_output_tokens))
        call->req.max_tokens = model->info.max_output_tokens;
    call->req.structured_mode = LLMT_STRUCTURED_PROMPT_ONLY;
    call->req.schema_strict = false;
    if (in->json_schema) {
        bool json_object = (caps & LLMT_CAP_JSON_OBJECT) && model->info.json_object;
        if ((caps & LLMT_CAP_JSON_SCHEMA) && model->info.json_schema) {
            prepare_schema(call, in->json_schema, json_object);
        } else {
            if (json_object)
                call->req.structured_mode = LLMT_STRUCTURED_JSON_OBJECT;
            if (entry->schema_plans)
                llmt_schema_plans_warn_once(entry->schema_plans, model->name,
                                            "no schema-constrained output (capabilities)",
                                            json_object ? "json_object"
                                                        : "prompt_only (schema in the prompt)");
        }
    }
    /* The system prompt: the caller's, else the provider's configured one; plus the schema
     * when the provider does not enforce it itself. */
    if (in->system_prompt && in->system_prompt[0])
        llmt_buf_puts(&call->system_prompt, in->system_prompt);
    else if (entry->config->system_prompt[0])
        llmt_buf_puts(&call->system_prompt, entry->config->system_prompt);
    if (in->json_schema && call->req.structured_mode != LLMT_STRUCTURED_JSON_SCHEMA) {
        if (call->system_prompt.len)
            llmt_buf_puts(&call->system_prompt, "\n\n");
        llmt_buf_puts(&call->system_prompt,
                      "Answer with one JSON object only, no prose, matching this JSON Schema:\n");
        llmt_buf_puts(&call->system_prompt, in->json_schema);
    }
    call->req.system_prompt = call->system_prompt.len ? call->system_prompt.data : NULL;
}

void llmt_call_clear(llmt_call *call)
{
    llmt_buf_free(&call->system_prompt);
    llmt_schema_plan_clear(&call->schema);
    memset(call, 0, sizeof(*call));
}

long llmt_call_input_tokens(const llmt_call *call)
{
    const llmt_request *r = &call->req;
    long n = 0, per_image;
    size_t i;
    if (r->system_prompt)
        n += llmt_estimate_tokens(r->system_prompt);
    for (i = 0; i < r->n_messages; i++)
        n += llmt_estimate_tokens(r->messages[i].content) + 4; /* role framing */
    per_image = call->model->image_input_tokens > 0 ? call->model->image_input_tokens
                                                    : LLMT_DEFAULT_IMAGE_TOKENS;
    n += (long)r->n_files * per_image;
    return n;
}

/* An upper bound of llmt_call_input_tokens without counting: a text's estimate is at
 * most its length in bytes (every counted token takes at least one byte). */
static long input_bound(const llmt_call *call)
{
    const llmt_request *r = &call->req;
    size_t n = r->system_prompt ? strlen(r->system_prompt) : 0, i;
    for (i = 0; i < r->n_messages; i++)
        n += (r->messages[i].content ? strlen(r->messages[i].content) : 0) + 4;
    return (long)n + (long)r->n_files * (call->model->image_input_tokens > 0
                                             ? call->model->image_input_tokens
                                             : LLMT_DEFAULT_IMAGE_TOKENS);
}

llmt_status llmt_call_check_input(const llmt_call *call, long *tokens, llmt_error *err)
{
    long limit = call->model->info.max_input_tokens, n;
    llmt_status st;
    if (tokens)
        *tokens = -1;
    if (limit <= 0 || input_bound(call) <= limit) /* short enough: no counting pass */
        return LLMT_OK;
    n = llmt_call_input_tokens(call);
    if (tokens)
        *tokens = n;
    if (n <= limit)
        return LLMT_OK;
    st = llmt_error_set(err, LLMT_E_CONTEXT_LENGTH,
                        "the input is about %ld tokens, over the %ld of %s:%s "
                        "(max_input_tokens); not sent",
                        n, limit, call->entry->config->name, call->model->name);
    if (err)
        snprintf(err->provider, sizeof err->provider, "%s", call->entry->config->name);
    return st;
}

llmt_status llmt_call_check_files(const llmt_call *call, long max_file_bytes, llmt_error *err)
{
    const llmt_request *r = &call->req;
    const char *pname = call->entry->config->name;
    size_t i;
    llmt_status st = LLMT_OK;
    if (!r->n_files)
        return LLMT_OK;
    if (max_file_bytes <= 0)
        max_file_bytes = LLMT_DEFAULT_MAX_FILE_BYTES;
    for (i = 0; i < r->n_files && st == LLMT_OK; i++)
        if (r->files[i].size > (size_t)max_file_bytes)
            st = llmt_error_set(err, LLMT_E_UNSUPPORTED,
                                "file %s is %zu bytes, over the limit of %ld bytes "
                                "(max_file_bytes); not sent",
                                r->files[i].path ? r->files[i].path : "(unnamed)", r->files[i].size,
                                max_file_bytes);
    if (st == LLMT_OK && (!(call->entry->ops->capabilities & LLMT_CAP_FILES) ||
                          !call->entry->config->supports_file_upload))
        st = llmt_error_set(err, LLMT_E_UNSUPPORTED,
                            "provider '%s' does not take files (supports_file_upload is false); "
                            "the case has %zu file(s)",
                            pname, r->n_files);
    if (st == LLMT_OK && !call->model->info.images)
        st = llmt_error_set(err, LLMT_E_UNSUPPORTED,
                            "%s:%s does not accept images (capabilities.images is false); the "
                            "case has %zu file(s)",
                            pname, call->model->name, r->n_files);
    if (st != LLMT_OK && err)
        snprintf(err->provider, sizeof err->provider, "%s", pname);
    return st;
}

void llmt_call_stamp(const llmt_call *call, llmt_response *resp)
{
    resp->structured_mode = call->req.structured_mode;
    resp->schema_strict =
        call->req.structured_mode == LLMT_STRUCTURED_JSON_SCHEMA && call->req.schema_strict;
    free(resp->schema_relaxed);
    resp->schema_relaxed = call->req.structured_mode == LLMT_STRUCTURED_JSON_SCHEMA
                               ? llmt_strdup(call->schema.relaxed)
                               : NULL;
}

void llmt_call_price(const llmt_model_config *model, llmt_response *resp)
{
    if (!model->has_cost) {
        resp->cost_known = false;
        resp->cost_usd = 0;
        return;
    }
    resp->cost_known = true;
    resp->cost_usd = (double)resp->usage.input_tokens / 1e6 * model->cost_input +
                     (double)resp->usage.output_tokens / 1e6 * model->cost_output;
}

void llmt_call_price_batch(const llmt_provider_config *p, const llmt_model_config *model,
                           llmt_response *resp)
{
    if (model->has_batch_cost) {
        resp->cost_known = true;
        resp->cost_usd = (double)resp->usage.input_tokens / 1e6 * model->batch_cost_input +
                         (double)resp->usage.output_tokens / 1e6 * model->batch_cost_output;
        return;
    }
    llmt_call_price(model, resp);
    resp->cost_usd *= 1.0 - p->batch_discount;
}

double llmt_call_batch_factor(const llmt_provider_config *p, const llmt_model_config *model)
{
    double fi, fo;
    if (!model->has_batch_cost || !model->has_cost)
        return 1.0 - p->batch_discount;
    fi = model->cost_input > 0 ? model->batch_cost_input / model->cost_input : 0;
    fo = model->cost_output > 0 ? model->batch_cost_output / model->cost_output : 0;
    return fi > fo ? fi : fo;
}

/* Replaces every occurrence of the key in a message with [REDACTED]: a provider may
 * echo what it was sent (e.g. "invalid key sk-...") and messages reach results files. */
static void scrub_secret(char *msg, size_t cap, const char *secret)
{
    static const char mark[] = "[REDACTED]";
    size_t sl = secret ? strlen(secret) : 0, ml = sizeof mark - 1;
    char *p = msg, *hit;
    if (sl < 4 || !cap)
        return;
    while ((hit = strstr(p, secret)) != NULL) {
        size_t pos = (size_t)(hit - msg), tail = strlen(hit + sl) + 1;
        if (pos + ml + 1 > cap) { /* no room for the mark: cut the message here */
            *hit = '\0';
            break;
        }
        if (pos + ml + tail > cap)
            tail = cap - pos - ml; /* cut the end rather than overflow */
        memmove(hit + ml, hit + sl, tail);
        memcpy(hit, mark, ml);
        msg[cap - 1] = '\0';
        p = hit + ml; /* never rescan the mark itself */
    }
}

static void stamp_provider(llmt_error *err, const llmt_call *call)
{
    if (err) {
        scrub_secret(err->message, sizeof err->message, call->entry->api_key);
        scrub_secret(err->code, sizeof err->code, call->entry->api_key);
    }
    if (err && !err->provider[0])
        snprintf(err->provider, sizeof err->provider, "%s", call->entry->config->name);
}

/* Whether a 2xx body that did not parse was cut short by the connection: it had no
 * Content-Length and no chunked framing (so it ended when the connection closed) and is
 * not complete JSON. */
static bool cut_by_the_connection(const llmt_http_response *http)
{
    const char *te = llmt_http_response_header(http, "transfer-encoding");
    llmt_jval root;
    if (llmt_http_response_header(http, "content-length") || (te && strstr(te, "chunked")))
        return false;
    return !llmt_jscan_parse(http->body, http->body_len, &root, NULL, 0);
}

/* Replaces *s by a copy without the key (a server may echo it back): what is stored
 * (results, reports, the cache) and shown never holds it. */
static void drop_key(char **s, const char *key)
{
    char *clean;
    if (!*s || !strstr(*s, key))
        return;
    clean = llmt_redact_secret(*s, key);
    if (clean) {
        free(*s);
        *s = clean;
    }
}

static void redact_reply(llmt_response *out, llmt_error *err, const char *key)
{
    if (!key || strlen(key) < 8) /* too short to tell from ordinary text */
        return;
    drop_key(&out->text, key);
    drop_key(&out->model, key);
    drop_key(&out->stop_reason, key);
    drop_key(&out->request_id, key);
    if (err && strstr(err->message, key)) {
        char *clean = llmt_redact_secret(err->message, key);
        if (clean) {
            snprintf(err->message, sizeof err->message, "%s", clean);
            free(clean);
        }
    }
}

llmt_status llmt_call_handle_http(llmt_call *call, const llmt_http_response *http,
                                  llmt_response *out, llmt_error *err)
{
    const llmt_provider_ops *ops = call->entry->ops;
    llmt_status st;
    if (http->status >= 200 && http->status < 300) {
        st = ops->parse_response(call->entry->state, &call->req, http, out, err);
        if (st == LLMT_OK && (!out->text || !out->text[0])) {
            llmt_response_clear(out);
            st = llmt_error_set(err, LLMT_E_BAD_RESPONSE, "the reply has no text");
        }
        if (st == LLMT_E_BAD_RESPONSE && err && cut_by_the_connection(http)) {
            /* as a body cut short of its Content-Length: the connection's fault, worth
             * another try */
            size_t n = strlen(err->message);
            err->retryable = true;
            snprintf(err->message + n, sizeof err->message - n,
                     " (the body ended with the connection: truncated)");
        }
    } else {
        llmt_error_clear(err);
        st = ops->classify_error(call->entry->state, http, err);
        if (st == LLMT_OK) /* a classifier must fail; treat a confused one as a server error */
            st = llmt_error_set(err, LLMT_E_SERVER, "HTTP %ld", http->status);
        if (err && !err->http_status)
            err->http_status = (int)http->status;
        /* a provider that read no hint itself (a plugin, say) still gets the reply's */
        if (err && err->retryable && err->retry_after_s < 0)
            err->retry_after_s = llmt_retry_after_from_headers(http, llmt_hint_now(http));
    }
    if (st != LLMT_OK) {
        llmt_response_clear(out);
        stamp_provider(err, call);
        if (err && !err->request_id[0]) {
            const char *rid = llmt_http_response_header(http, "x-request-id");
            if (rid)
                snprintf(err->request_id, sizeof err->request_id, "%s", rid);
        }
    }
    redact_reply(out, err, call->entry->api_key);
    return st;
}

bool llmt_call_read_rate_limits(const llmt_call *call, const llmt_http_response *http,
                                llmt_rate_info *out)
{
    const llmt_provider_ops *ops = call->entry->ops;
    llmt_rate_info_init(out);
    if (!LLMT_OPS_HAS(ops, read_rate_limits))
        return false;
    ops->read_rate_limits(call->entry->state, http, out);
    return out->requests_limit >= 0 || out->requests_remaining >= 0 || out->tokens_limit >= 0 ||
           out->tokens_remaining >= 0;
}
