#include "providers/toolkit/wire_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/util.h"

llmt_status llmt_wire_batch_line(const char *custom_id, const char *members, const char *body_key,
                                 const char *body, size_t body_len, char **line, size_t *len,
                                 llmt_error *err)
{
    llmt_buf b = {0};
    llmt_buf_puts(&b, "{\"custom_id\":");
    llmt_json_put_string(&b, custom_id, strlen(custom_id), false);
    if (members) {
        llmt_buf_puts(&b, ",");
        llmt_buf_puts(&b, members);
    }
    llmt_buf_puts(&b, ",");
    llmt_json_put_string(&b, body_key, strlen(body_key), false);
    llmt_buf_puts(&b, ":");
    llmt_buf_append(&b, body, body_len);
    llmt_buf_puts(&b, "}");
    if (b.oom) {
        llmt_buf_free(&b);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    *len = b.len;
    *line = llmt_buf_steal(&b);
    return LLMT_OK;
}

llmt_status llmt_wire_batch_line_from(
    llmt_status (*build)(void *, const llmt_request *, llmt_http_request *, llmt_error *),
    void *state, const llmt_request *req, const char *custom_id, const char *members,
    const char *body_key, char **line, size_t *len, llmt_error *err)
{
    llmt_http_request hr;
    llmt_status st;
    memset(&hr, 0, sizeof hr);
    st = build(state, req, &hr, err);
    if (st == LLMT_OK && !hr.body)
        st = llmt_error_set(err, LLMT_E_INTERNAL, "the request has no body to batch");
    if (st == LLMT_OK)
        st = llmt_wire_batch_line(custom_id, members, body_key, hr.body, hr.body_len, line, len,
                                  err);
    llmt_http_request_clear(&hr);
    return st;
}

llmt_status llmt_wire_upload_jsonl(const llmt_wire_basic *b, const char *path, const char *purpose,
                                   const char *filename, const char *data, size_t len,
                                   llmt_http_request *out, llmt_error *err)
{
    /* a boundary that cannot occur in JSON Lines text: JSON strings escape control
     * characters, and the boundary line starts with CR LF */
    static const char boundary[] = "llmt-batch-5f3c9a1e7d2b4086";
    llmt_buf body = {0};
    char ctype[96];
    llmt_status st = llmt_wire_bearer_request(b, "POST", path, NULL, out, err);
    if (st != LLMT_OK)
        return st;
    llmt_buf_printf(&body,
                    "--%s\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n%s\r\n"
                    "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                    "Content-Type: application/jsonl\r\n\r\n",
                    boundary, purpose, boundary, filename);
    llmt_buf_append(&body, data, len);
    llmt_buf_printf(&body, "\r\n--%s--\r\n", boundary);
    if (body.oom) {
        llmt_buf_free(&body);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    out->body_len = body.len;
    out->body = llmt_buf_steal(&body);
    snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", boundary);
    return llmt_wire_add_header(out, "Content-Type", ctype, err);
}

llmt_status llmt_wire_reply_string(const llmt_http_response *http, const char *key, char **out,
                                   llmt_error *err)
{
    json_t *root = NULL;
    llmt_status st = llmt_wire_parse_body(http, &root, err);
    *out = NULL;
    if (st != LLMT_OK)
        return st;
    *out = llmt_strdup(json_string_value(json_object_get(root, key)));
    json_decref(root);
    return LLMT_OK;
}

llmt_status llmt_wire_bearer_id_request(const llmt_wire_basic *b, const char *method,
                                        const char *fmt, const char *id, llmt_http_request *out,
                                        llmt_error *err)
{
    char *path = llmt_asprintf(fmt, id);
    llmt_status st = path ? llmt_wire_http_request(b, method, path, NULL, 0, NULL, out, err)
                          : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    free(path);
    return st;
}

llmt_status llmt_wire_batch_file_content(void *state, const llmt_batch_status *st,
                                         unsigned part, llmt_http_request *out, llmt_error *err)
{
    if (part > 1 || !st->results[part])
        return llmt_error_set(err, LLMT_E_NOT_FOUND, "no results part %u", part);
    return llmt_wire_bearer_id_request(state, "GET", "files/%s/content", st->results[part], out,
                                       err);
}

llmt_status llmt_wire_batch_compat_result_op(void *state, const char *line, size_t len,
                                             llmt_batch_result *out, llmt_error *err)
{
    (void)state;
    return llmt_wire_batch_compat_result(line, len, out, err);
}

long llmt_wire_json_long(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_real(v))
        return (long)json_real_value(v);
    return -1;
}

void llmt_wire_batch_object_read(const json_t *root, const char *status,
                                  llmt_batch_status *st)
{
    const json_t *counts = json_object_get(root, "request_counts");
    if (strcmp(status, "completed") == 0 || strcmp(status, "expired") == 0 ||
        strcmp(status, "cancelled") == 0)
        st->state = LLMT_BATCH_ENDED;
    else if (strcmp(status, "failed") == 0)
        st->state = LLMT_BATCH_FAILED;
    else if (strcmp(status, "cancelling") == 0)
        st->state = LLMT_BATCH_CANCELLING;
    else
        st->state = LLMT_BATCH_RUNNING; /* validating, in_progress, finalizing */
    st->total = llmt_wire_json_long(counts, "total");
    st->succeeded = llmt_wire_json_long(counts, "completed");
    st->failed = llmt_wire_json_long(counts, "failed");
}

llmt_status llmt_wire_batch_compat_result(const char *line, size_t len, llmt_batch_result *out,
                                          llmt_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(line, len, 0, &je), *resp, *body, *e;
    const char *code;
    if (!json_is_object(root)) {
        json_decref(root);
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "a batch result line is not a JSON object");
    }
    out->custom_id = llmt_strdup(json_string_value(json_object_get(root, "custom_id")));
    resp = json_object_get(root, "response");
    body = json_object_get(resp, "body");
    e = json_object_get(root, "error");
    if (json_is_object(resp) && body && llmt_wire_json_long(resp, "status_code") > 0) {
        out->http_status = llmt_wire_json_long(resp, "status_code");
        out->body = json_is_string(body) ? llmt_strdup(json_string_value(body))
                                         : llmt_json_dumps_compact(body, false);
        out->body_len = out->body ? strlen(out->body) : 0;
    } else {
        code = json_string_value(json_object_get(e, "code"));
        out->failure = LLMT_E_SERVER;
        if (code && strstr(code, "expired"))
            out->failure = LLMT_E_TIMEOUT;
        else if (code && strstr(code, "cancel"))
            out->failure = LLMT_E_CANCELLED;
        out->message = llmt_asprintf("batch line failed: %s%s%s", code ? code : "no response",
                                     json_string_value(json_object_get(e, "message")) ? ": " : "",
                                     json_string_value(json_object_get(e, "message"))
                                         ? json_string_value(json_object_get(e, "message"))
                                         : "");
    }
    json_decref(root);
    if (!out->custom_id)
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "a batch result line has no custom_id");
    return LLMT_OK;
}

llmt_status llmt_wire_batch_take_id(llmt_batch_submit *s, const char *key, llmt_error *err)
{
    llmt_status st = llmt_wire_reply_string(s->reply, key, &s->batch_id, err);
    if (st == LLMT_OK && !s->batch_id)
        st = llmt_error_set(err, LLMT_E_BAD_RESPONSE, "the batch creation reply has no %s", key);
    s->done = st == LLMT_OK;
    return st;
}

llmt_status llmt_wire_files_batch_submit(const llmt_wire_basic *b, llmt_batch_submit *s,
                                         const char *create_path,
                                         char *(*create_body)(const llmt_host_api *host, const llmt_batch_submit *s),
                                         llmt_http_request *out, llmt_error *err)
{
    llmt_status st;
    char *body;
    if (s->step == 0)
        return llmt_wire_upload_jsonl(b, "files", "batch", "llm-tester-batch.jsonl", s->lines,
                                      s->lines_len, out, err);
    if (s->step > 1)
        return llmt_wire_batch_take_id(s, "id", err);
    st = llmt_wire_reply_string(s->reply, "id", &s->scratch, err);
    if (st == LLMT_OK && !s->scratch)
        st = llmt_error_set(err, LLMT_E_BAD_RESPONSE, "the file upload reply has no id");
    if (st != LLMT_OK)
        return st;
    body = create_body(b->pub.host, s);
    if (!body)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    return llmt_wire_http_request(b, "POST", create_path, body, strlen(body), NULL, out, err);
}

llmt_status llmt_wire_batch_join(const llmt_batch_submit *s, const char *prefix, const char *suffix,
                                 char **body, size_t *len, llmt_error *err)
{
    return llmt_wire_batch_join_with(s, prefix, suffix, NULL, NULL, body, len, err);
}

llmt_status llmt_wire_batch_join_with(const llmt_batch_submit *s, const char *prefix,
                                      const char *suffix, llmt_host_line_fn put, void *ud,
                                      char **body, size_t *len, llmt_error *err)
{
    llmt_host_jw w = {{0}};
    const char *p = s->lines, *end = s->lines + s->lines_len;
    bool first = true;
    llmt_status st = LLMT_OK;
    llmt_buf_puts(&w.b, prefix);
    while (p < end && st == LLMT_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n) {
            if (!first)
                llmt_buf_puts(&w.b, ",");
            if (put)
                st = put(ud, &w, p, n, err);
            else
                llmt_buf_append(&w.b, p, n);
            first = false;
        }
        p += n + 1;
    }
    llmt_buf_puts(&w.b, suffix);
    if (st == LLMT_OK && w.b.oom)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (st != LLMT_OK) {
        llmt_buf_free(&w.b);
        return st;
    }
    *len = w.b.len;
    *body = llmt_buf_steal(&w.b);
    return LLMT_OK;
}

/* The state's files + batches API, or NULL with err filled. */
static const llmt_host_files_batch *files_batch_of(void *state, llmt_error *err)
{
    const llmt_wire_basic *b = state;
    if (!b->files_batch)
        llmt_error_set(err, LLMT_E_INTERNAL, "%s: no files + batches API was described",
                       b->name);
    return b->files_batch;
}

void llmt_wire_files_batch_limits(void *state, llmt_batch_limits *out)
{
    const llmt_wire_basic *b = state;
    if (b->files_batch)
        *out = b->files_batch->limits;
}

llmt_status llmt_wire_files_batch_line(void *state, const llmt_request *req, const char *custom_id,
                                       char **line, size_t *len, llmt_error *err)
{
    const llmt_host_files_batch *api = files_batch_of(state, err);
    return api ? llmt_wire_batch_line_from(api->build, state, req, custom_id, api->line_members,
                                           "body", line, len, err)
               : LLMT_E_INTERNAL;
}

llmt_status llmt_wire_files_batch_submit_op(void *state, llmt_batch_submit *s,
                                            llmt_http_request *out, llmt_error *err)
{
    const llmt_host_files_batch *api = files_batch_of(state, err);
    return api ? llmt_wire_files_batch_submit(state, s, api->jobs_path, api->create_body, out, err)
               : LLMT_E_INTERNAL;
}

/* METHOD {base}/{jobs_path}/{id}{suffix}, bearer auth, no body. */
static llmt_status job_request(void *state, const char *method, const char *id, const char *suffix,
                               llmt_http_request *out, llmt_error *err)
{
    const llmt_host_files_batch *api = files_batch_of(state, err);
    char *path;
    llmt_status st;
    if (!api)
        return LLMT_E_INTERNAL;
    path = llmt_asprintf("%s/%s%s", api->jobs_path, id, suffix);
    st = path ? llmt_wire_http_request(state, method, path, NULL, 0, NULL, out, err)
              : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    free(path);
    return st;
}

llmt_status llmt_wire_files_batch_poll(void *state, const char *batch_id, llmt_http_request *out,
                                       llmt_error *err)
{
    return job_request(state, "GET", batch_id, "", out, err);
}

llmt_status llmt_wire_files_batch_cancel(void *state, const char *batch_id,
                                         llmt_http_request *out, llmt_error *err)
{
    return job_request(state, "POST", batch_id, "/cancel", out, err);
}

llmt_status llmt_wire_files_batch_status(void *state, const llmt_http_response *http,
                                         llmt_batch_status *st, llmt_error *err)
{
    const llmt_wire_basic *b = state;
    const llmt_host_files_batch *api = files_batch_of(state, err);
    json_t *root = NULL;
    const char *s;
    llmt_status rc = api ? llmt_wire_parse_body(http, &root, err) : LLMT_E_INTERNAL;
    if (rc != LLMT_OK)
        return rc;
    s = json_string_value(json_object_get(root, "status"));
    if (!s) {
        json_decref(root);
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "%s: the batch has no status", b->name);
    }
    st->state_text = llmt_strdup(s);
    api->read_status(b->pub.host, root, s, st);
    json_decref(root);
    return LLMT_OK;
}
