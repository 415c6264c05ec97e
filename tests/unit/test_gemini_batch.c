/* The gemini provider's batch ops without HTTP (the provider never does I/O): the line
 * format and its inline rewriting (a key with escapes kept exact), the threshold between
 * inline and file batches, the resumable upload's steps (session URL moved onto the base
 * URL's host, no key with the file, a non-final upload refused), the results URL, and
 * per-line error objects turned into the status a live call would have had. The
 * exchange itself is tested end to end in tests/e2e/batch_gemini_file.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "core/util.h"
#include "llmt/provider.h"
#include "provider/host_api.h"
#include "providers/gemini/batch.h"

#define KEY "AIza-unit-SECRET"

static void *state_for(const char *base, const char *config_json)
{
    llmt_provider_settings s;
    llmt_error err;
    void *st = NULL;
    memset(&s, 0, sizeof s);
    s.version = LLMT_PROVIDER_SETTINGS_VERSION;
    s.name = "gemini";
    s.base_url = base;
    s.api_key = KEY;
    s.config_json = config_json;
    s.host = llmt_host(); /* as the library creates every provider */
    assert_int_equal(llmt_host_wire_init_op(&st, &s, &err), LLMT_OK);
    return st;
}

static const char *header(const llmt_http_request *r, const char *name)
{
    size_t i;
    for (i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* two lines; the second key has a quote and a backslash, escaped as JSON */
static const char LINES[] =
    "{\"key\":\"llmt-0000000000000001\",\"request\":{\"contents\":[{\"parts\":[{\"text\":\"a\"}]}]}}\n"
    "{\"key\":\"odd\\\"key\\\\x\",\"request\":{\"contents\":[],\"generationConfig\":{\"temperature\":0.10}}}\n";

static void submit_init(llmt_batch_submit *s, const char *lines)
{
    memset(s, 0, sizeof(*s));
    s->lines = lines;
    s->lines_len = strlen(lines);
    s->n_lines = 2;
    s->model = "gemini-2.5-flash";
    s->label = "run-1";
}

static void submit_clear(llmt_batch_submit *s)
{
    free(s->scratch);
    free(s->batch_id);
}

static void inline_rewrites_each_line_exactly(void **unused)
{
    void *st = state_for("http://127.0.0.1:9/v1beta", NULL);
    llmt_batch_submit s;
    llmt_http_request r;
    llmt_http_response reply;
    llmt_error err;
    json_t *b, *reqs;
    (void)unused;
    submit_init(&s, LINES);
    memset(&r, 0, sizeof r);
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_OK);
    assert_string_equal(r.url, "http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:batchGenerateContent");
    assert_string_equal(header(&r, "x-goog-api-key"), KEY);
    /* the body bytes are copied: 0.10 stays 0.10 (a re-serialisation would print 0.1) */
    assert_non_null(strstr(r.body, "{\"request\":{\"contents\":[],\"generationConfig\":{\"temperature\":0.10}},"
                                   "\"metadata\":{\"key\":\"odd\\\"key\\\\x\"}}"));
    b = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(b);
    reqs = json_object_get(json_object_get(json_object_get(json_object_get(b, "batch"), "input_config"),
                                           "requests"), "requests");
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(reqs, 1), "metadata"), "key")),
                        "odd\"key\\x");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "batch"), "display_name")),
                        "llm-tester run-1");
    json_decref(b);
    llmt_http_request_clear(&r);
    /* the create's reply names the batch */
    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.body = "{\"name\":\"batches/b9\",\"metadata\":{\"state\":\"BATCH_STATE_PENDING\"}}";
    reply.body_len = strlen(reply.body);
    s.step = 1;
    s.reply = &reply;
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_OK);
    assert_true(s.done);
    assert_string_equal(s.batch_id, "batches/b9");
    llmt_http_request_clear(&r);
    submit_clear(&s);
    llmt_host_wire_destroy_op(st);
}

static void a_line_not_ours_is_refused(void **unused)
{
    void *st = state_for("http://127.0.0.1:9/v1beta", NULL);
    llmt_batch_submit s;
    llmt_http_request r;
    llmt_error err;
    (void)unused;
    submit_init(&s, "{\"request\":{},\"metadata\":{\"key\":\"k\"}}\n");
    memset(&r, 0, sizeof r);
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_E_INVALID_ARG);
    llmt_http_request_clear(&r);
    llmt_host_wire_destroy_op(st);
}

/* The threshold: the option's bytes, against the lines plus what inlining adds. */
static void the_inline_limit_picks_the_way(void **unused)
{
    void *small = state_for("http://h/v1beta", "{\"options\":{\"batch_inline_max_bytes\":4096}}");
    void *tiny = state_for("http://h/v1beta", "{\"options\":{\"batch_inline_max_bytes\":200}}");
    llmt_batch_submit s;
    llmt_http_request r;
    llmt_error err;
    (void)unused;
    submit_init(&s, LINES);
    memset(&r, 0, sizeof r);
    assert_int_equal(gemini_batch_submit(small, &s, &r, &err), LLMT_OK);
    assert_non_null(strstr(r.url, ":batchGenerateContent"));
    llmt_http_request_clear(&r);
    assert_int_equal(gemini_batch_submit(tiny, &s, &r, &err), LLMT_OK);
    assert_string_equal(r.url, "http://h/upload/v1beta/files");
    llmt_http_request_clear(&r);
    llmt_host_wire_destroy_op(small);
    llmt_host_wire_destroy_op(tiny);
}

static void reply_with(llmt_http_response *reply, llmt_http_header *h, size_t nh, const char *body)
{
    memset(reply, 0, sizeof(*reply));
    reply->status = 200;
    reply->headers = h;
    reply->n_headers = nh;
    reply->body = body;
    reply->body_len = strlen(body);
}

static void the_upload_steps(void **unused)
{
    void *st = state_for("http://127.0.0.1:9/v1beta", "{\"options\":{\"batch_inline_max_bytes\":0}}");
    llmt_batch_submit s;
    llmt_http_request r;
    llmt_http_response reply;
    llmt_http_header h[2] = {
        {"x-goog-upload-url", "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=Z9&upload_protocol=resumable"},
        {"x-goog-upload-status", "final"}};
    llmt_error err;
    char len[32];
    json_t *b;
    (void)unused;
    submit_init(&s, LINES);
    memset(&r, 0, sizeof r);
    /* step 0: start */
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_OK);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.url, "http://127.0.0.1:9/upload/v1beta/files");
    assert_string_equal(header(&r, "X-Goog-Upload-Protocol"), "resumable");
    assert_string_equal(header(&r, "X-Goog-Upload-Command"), "start");
    snprintf(len, sizeof len, "%zu", strlen(LINES));
    assert_string_equal(header(&r, "X-Goog-Upload-Header-Content-Length"), len);
    assert_string_equal(header(&r, "X-Goog-Upload-Header-Content-Type"), "application/jsonl");
    assert_string_equal(header(&r, "x-goog-api-key"), KEY);
    b = json_loadb(r.body, r.body_len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "file"), "display_name")),
                        "llm-tester run-1");
    json_decref(b);
    llmt_http_request_clear(&r);
    /* step 1: the file, to the session's path on the configured host, without the key */
    reply_with(&reply, h, 1, "");
    s.step = 1;
    s.reply = &reply;
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_OK);
    assert_string_equal(r.url, "http://127.0.0.1:9/upload/v1beta/files?upload_id=Z9&upload_protocol=resumable");
    assert_string_equal(header(&r, "X-Goog-Upload-Command"), "upload, finalize");
    assert_string_equal(header(&r, "X-Goog-Upload-Offset"), "0");
    assert_null(header(&r, "x-goog-api-key"));
    assert_int_equal(r.body_len, strlen(LINES));
    assert_memory_equal(r.body, LINES, r.body_len);
    llmt_http_request_clear(&r);
    /* step 2: the uploaded file is named in the create */
    reply_with(&reply, h + 1, 1, "{\"file\":{\"name\":\"files/in7\",\"state\":\"ACTIVE\"}}");
    s.step = 2;
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_OK);
    assert_string_equal(r.url, "http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:batchGenerateContent");
    assert_string_equal(header(&r, "x-goog-api-key"), KEY);
    b = json_loadb(r.body, r.body_len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(b, "batch"), "input_config"), "file_name")),
                        "files/in7");
    json_decref(b);
    llmt_http_request_clear(&r);
    /* step 3: the operation's name */
    reply_with(&reply, NULL, 0, "{\"name\":\"batches/f1\"}");
    s.step = 3;
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_OK);
    assert_true(s.done);
    assert_string_equal(s.batch_id, "batches/f1");
    llmt_http_request_clear(&r);
    submit_clear(&s);
    llmt_host_wire_destroy_op(st);
}

static void broken_upload_replies_fail_the_submit(void **unused)
{
    void *st = state_for("http://127.0.0.1:9/v1beta", "{\"options\":{\"batch_inline_max_bytes\":0}}");
    void *nover = state_for("http://127.0.0.1:9", "{\"options\":{\"batch_inline_max_bytes\":0}}");
    llmt_batch_submit s;
    llmt_http_request r;
    llmt_http_response reply;
    llmt_http_header active = {"x-goog-upload-status", "active"};
    llmt_http_header rel = {"x-goog-upload-url", "/upload/v1beta/files?upload_id=R"};
    llmt_error err;
    (void)unused;
    submit_init(&s, LINES);
    memset(&r, 0, sizeof r);
    /* no session URL */
    reply_with(&reply, NULL, 0, "");
    s.step = 1;
    s.reply = &reply;
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_E_BAD_RESPONSE);
    assert_non_null(strstr(err.message, "x-goog-upload-url"));
    llmt_http_request_clear(&r);
    /* a path-only session URL goes to the base URL's host */
    reply_with(&reply, &rel, 1, "");
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_OK);
    assert_string_equal(r.url, "http://127.0.0.1:9/upload/v1beta/files?upload_id=R");
    llmt_http_request_clear(&r);
    /* an upload that did not end final, and one without file.name */
    reply_with(&reply, &active, 1, "{\"file\":{\"name\":\"files/x\"}}");
    s.step = 2;
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_E_BAD_RESPONSE);
    llmt_http_request_clear(&r);
    reply_with(&reply, NULL, 0, "{\"file\":{}}");
    assert_int_equal(gemini_batch_submit(st, &s, &r, &err), LLMT_E_BAD_RESPONSE);
    llmt_http_request_clear(&r);
    /* a base URL without a version has no upload root */
    s.step = 0;
    s.reply = NULL;
    assert_int_equal(gemini_batch_submit(nover, &s, &r, &err), LLMT_E_CONFIG);
    llmt_http_request_clear(&r);
    submit_clear(&s);
    llmt_host_wire_destroy_op(st);
    llmt_host_wire_destroy_op(nover);
}

static void results_file_and_error_lines(void **unused)
{
    void *st = state_for("http://127.0.0.1:9/v1beta", NULL);
    llmt_batch_status bs;
    llmt_batch_result res;
    llmt_http_request r;
    llmt_http_response reply;
    llmt_error err;
    static const char op[] =
        "{\"name\":\"batches/f1\",\"done\":true,\"metadata\":{\"state\":\"BATCH_STATE_SUCCEEDED\","
        "\"batchStats\":{\"requestCount\":\"3\",\"successfulRequestCount\":\"2\",\"failedRequestCount\":\"1\"}},"
        "\"response\":{\"responsesFile\":\"files/out5\"}}";
    static const char line[] =
        "{\"key\":\"k2\",\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\","
        "\"status\":\"RESOURCE_EXHAUSTED\"}}";
    (void)unused;
    memset(&bs, 0, sizeof bs);
    reply_with(&reply, NULL, 0, op);
    assert_int_equal(gemini_batch_status(st, &reply, &bs, &err), LLMT_OK);
    assert_int_equal(bs.state, LLMT_BATCH_ENDED);
    assert_int_equal(bs.total, 3);
    assert_int_equal(bs.failed, 1);
    assert_null(bs.inline_results);
    assert_string_equal(bs.results[0], "files/out5");
    memset(&r, 0, sizeof r);
    assert_int_equal(gemini_batch_results(st, &bs, 0, &r, &err), LLMT_OK);
    assert_string_equal(r.url, "http://127.0.0.1:9/download/v1beta/files/out5:download?alt=media");
    assert_string_equal(header(&r, "x-goog-api-key"), KEY);
    llmt_http_request_clear(&r);
    assert_int_equal(gemini_batch_results(st, &bs, 1, &r, &err), LLMT_E_NOT_FOUND);
    llmt_http_request_clear(&r);
    {
        /* a base URL with a trailing slash names the same version */
        void *slash = state_for("http://127.0.0.1:9/v1beta/", NULL);
        assert_int_equal(gemini_batch_results(slash, &bs, 0, &r, &err), LLMT_OK);
        assert_string_equal(r.url, "http://127.0.0.1:9/download/v1beta/files/out5:download?alt=media");
        llmt_http_request_clear(&r);
        llmt_host_wire_destroy_op(slash);
    }
    llmt_batch_status_clear(&bs);
    memset(&res, 0, sizeof res);
    assert_int_equal(gemini_batch_result_line(st, line, strlen(line), &res, &err), LLMT_OK);
    assert_string_equal(res.custom_id, "k2");
    assert_int_equal(res.http_status, 429);
    assert_non_null(strstr(res.body, "\"error\":{"));
    assert_non_null(strstr(res.body, "RESOURCE_EXHAUSTED"));
    llmt_batch_result_clear(&res);
    llmt_host_wire_destroy_op(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inline_rewrites_each_line_exactly),
        cmocka_unit_test(a_line_not_ours_is_refused),
        cmocka_unit_test(the_inline_limit_picks_the_way),
        cmocka_unit_test(the_upload_steps),
        cmocka_unit_test(broken_upload_replies_fail_the_submit),
        cmocka_unit_test(results_file_and_error_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
