/*
 * Ollama, native chat API (POST {base_url}/api/chat, no auth; local by default).
 *
 * Quirks handled here:
 *   - "stream": false is required for one JSON reply (the default is NDJSON streaming);
 *   - structured output is "format": <JSON Schema> (schema-constrained decoding);
 *     JSON mode is "format": "json"; the schema stays described in the prompt only when
 *     neither applies (Ollama's docs recommend describing it anyway; call.c adds it for
 *     prompt-only models);
 *   - temperature and the output cap go in "options" (temperature, num_predict); an
 *     optional config option "num_ctx" raises the small default context window;
 *   - images are raw base64 strings in the message's "images" array (png, jpeg, webp);
 *   - usage is prompt_eval_count / eval_count, omitted when zero; no cached count;
 *   - errors are {"error": "..."}: 404 "model ... not found, try pulling it first",
 *     503 when the queue is full (overloaded).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmt/provider.h"

static const char *const ollama_images[] = {"image/png", "image/jpeg", "image/webp", NULL};

static llmt_status ollama_build(void *state, const llmt_request *req, llmt_http_request *out,
                                llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_wire *b = state;
    json_t *body = NULL, *msgs = NULL, *opts = NULL, *schema = NULL;
    long long num_ctx;
    char *text;
    size_t i, j, last_user = h->last_user(req);
    llmt_status st = h->check_request(req, b->name, ollama_images, err);
    if (st != LLMT_OK)
        return st;
    body = json_object();
    msgs = json_array();
    opts = json_object();
    json_object_set_new(body, "model", json_string(req->model));
    json_object_set_new(body, "stream", json_false());
    if (req->system_prompt && req->system_prompt[0])
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content",
                                              req->system_prompt));
    for (i = 0; i < req->n_messages; i++) {
        const llmt_message *m = &req->messages[i];
        json_t *msg = json_pack("{s:s, s:s}", "role", m->role ? m->role : "user", "content",
                                m->content ? m->content : "");
        if (i == last_user && req->n_files) {
            json_t *imgs = json_array();
            for (j = 0; j < req->n_files; j++) {
                char *b64 = h->base64(req->files[j].data, req->files[j].size);
                if (!b64) {
                    json_decref(imgs);
                    json_decref(msg);
                    st = h->error_set(err, LLMT_E_NOMEM, "out of memory");
                    goto done;
                }
                json_array_append_new(imgs, json_string(b64));
                free(b64);
            }
            json_object_set_new(msg, "images", imgs);
        }
        json_array_append_new(msgs, msg);
    }
    if (json_array_size(msgs) != req->n_messages + (req->system_prompt && req->system_prompt[0])) {
        st = h->error_set(err, LLMT_E_NOMEM, "out of memory building the request body");
        goto done;
    }
    json_object_set(body, "messages", msgs);
    if (req->structured_mode == LLMT_STRUCTURED_JSON_SCHEMA && req->json_schema) {
        st = h->parse_schema(req, &schema, err);
        if (st != LLMT_OK)
            goto done;
        json_object_set(body, "format", schema);
    } else if (req->structured_mode == LLMT_STRUCTURED_JSON_OBJECT) {
        json_object_set_new(body, "format", json_string("json"));
    }
    if (req->temperature >= 0)
        json_object_set_new(opts, "temperature", json_real(req->temperature));
    if (req->max_tokens > 0)
        json_object_set_new(opts, "num_predict", json_integer(req->max_tokens));
    num_ctx = h->option_integer(b, "num_ctx", 0);
    if (num_ctx > 0)
        json_object_set_new(opts, "num_ctx", json_integer(num_ctx));
    if (json_object_size(opts))
        json_object_set(body, "options", opts);
    /* a reverse proxy in front of Ollama may want a bearer token (sent when a key is
     * set); plain Ollama needs none */
    text = h->json_print(body);
    st = text ? h->http_request(b, "POST", "api/chat", text, strlen(text), NULL, out, err)
              : h->error_set(err, LLMT_E_NOMEM, "out of memory");
done:
    json_decref(schema);
    json_decref(opts);
    json_decref(msgs);
    json_decref(body);
    return st;
}

static llmt_status ollama_parse(void *state, const llmt_request *req,
                                const llmt_http_response *http, llmt_response *out,
                                llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    json_t *root = NULL, *msg;
    const char *done_reason = NULL, *e;
    char ex[200];
    llmt_status st = h->parse_object(http, &root, err);
    (void)req;
    if (st != LLMT_OK)
        return st;
    e = json_string_value(json_object_get(root, "error"));
    if (e) {
        st = h->error_set(err, LLMT_E_SERVER, "HTTP %ld with an error: %s", http->status, e);
        goto done;
    }
    msg = json_object_get(root, "message");
    if (!json_is_object(msg)) {
        h->excerpt(http->body, http->body_len, ex, sizeof ex);
        st = h->error_set(err, LLMT_E_BAD_RESPONSE, "the reply has no message: %s", ex);
        goto done;
    }
    done_reason = json_string_value(json_object_get(root, "done_reason"));
    out->text = h->dup_string(json_string_value(json_object_get(msg, "content")));
    out->stop_reason = h->dup_string(done_reason);
    out->model = h->dup_string(json_string_value(json_object_get(root, "model")));
    out->usage.input_tokens = h->json_long(json_object_get(root, "prompt_eval_count"), 0);
    out->usage.output_tokens = h->json_long(json_object_get(root, "eval_count"), 0);
    out->usage.cached_input_tokens = -1;
    out->usage.reasoning_tokens = -1;
done:
    st = h->reply_end(http, st, "done_reason", done_reason, out, err); /* done_reason borrowed from root */
    json_decref(root);
    return st;
}

static llmt_status ollama_classify(void *state, const llmt_http_response *http, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    llmt_host_err_fields f;
    llmt_status st;
    h->error_fields(http, &f);
    st = h->classify(http, &f);
    /* older versions answer an unknown model with 400/500 "model ... not found" */
    if (strstr(f.message, "not found, try pulling") || strstr(f.message, "try pulling it first"))
        st = LLMT_E_NOT_FOUND;
    return h->fail(err, http, st, &f, NULL);
}

const llmt_provider_ops llmt_provider_ollama = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "ollama",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES,
    .init = llmt_host_wire_init_op,
    .destroy = llmt_host_wire_destroy_op,
    .build_request = ollama_build,
    .parse_response = ollama_parse,
    .classify_error = ollama_classify,
};
