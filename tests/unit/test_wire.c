/* Wire helpers: HTTP-date and duration parsing, Retry-After, base64, excerpts, schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/util.h"
#include "providers/toolkit/wire.h"

static void test_http_date(void **state)
{
    double t;
    (void)state;
    assert_true(llmt_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    assert_true(t == 784111777.0);
    assert_true(llmt_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
    assert_true(t == 784111777.0);
    assert_true(llmt_parse_http_date("Sun Nov  6 08:49:37 1994", &t));
    assert_true(t == 784111777.0);
    assert_true(llmt_parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT", &t));
    assert_true(t == 0.0);
    assert_true(llmt_parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT", &t));
    assert_true(t == 1835481599.0);
    assert_false(llmt_parse_http_date("tomorrow", &t));
    assert_false(llmt_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t));
    assert_false(llmt_parse_http_date("Sun, 06 Nov 1994 08:49 GMT", &t));
    assert_false(llmt_parse_http_date("", &t));
}

static void test_duration(void **state)
{
    (void)state;
    assert_true(llmt_parse_duration("37s") == 37.0);
    assert_true(llmt_parse_duration("1.5s") == 1.5);
    assert_true(llmt_parse_duration("250ms") == 0.25);
    assert_true(llmt_parse_duration("6m0s") == 360.0);
    assert_true(llmt_parse_duration("1h2m3.5s") == 3723.5);
    assert_true(llmt_parse_duration("12") == 12.0);
    assert_true(llmt_parse_duration("soon") < 0);
    assert_true(llmt_parse_duration("5x") < 0);
    assert_true(llmt_parse_duration(NULL) < 0);
}

static void test_retry_after(void **state)
{
    llmt_http_header h[2] = {{(char *)"retry-after", (char *)"Sun, 06 Nov 1994 08:49:47 GMT"},
                             {(char *)"x", (char *)"y"}};
    llmt_http_response r = {429, "", 0, h, 2, 0};
    (void)state;
    assert_true(llmt_retry_after_from_headers(&r, 784111777.0) == 10.0);
    assert_true(llmt_retry_after_from_headers(&r, 784111800.0) == 0.0); /* in the past */
    h[0].value = (char *)"3";
    assert_true(llmt_retry_after_from_headers(&r, 0) == 3.0);
    h[0].value = (char *)"garbage";
    assert_true(llmt_retry_after_from_headers(&r, 0) < 0);
    h[1].name = (char *)"retry-after-ms";
    h[1].value = (char *)"250";
    assert_true(llmt_retry_after_from_headers(&r, 0) == 0.25);
    r.n_headers = 0;
    assert_true(llmt_retry_after_from_headers(&r, 0) < 0);
}

static void test_base64(void **state)
{
    char *s;
    (void)state;
    s = llmt_wire_base64((const unsigned char *)"", 0);
    assert_string_equal(s, "");
    free(s);
    s = llmt_wire_base64((const unsigned char *)"f", 1);
    assert_string_equal(s, "Zg==");
    free(s);
    s = llmt_wire_base64((const unsigned char *)"fo", 2);
    assert_string_equal(s, "Zm8=");
    free(s);
    s = llmt_wire_base64((const unsigned char *)"foobar", 6);
    assert_string_equal(s, "Zm9vYmFy");
    free(s);
    s = llmt_wire_base64((const unsigned char *)"\xff\xfe\x00", 3);
    assert_string_equal(s, "//4A");
    free(s);
}

static void test_excerpt(void **state)
{
    char buf[200], small[8], body[400];
    (void)state;
    llmt_wire_excerpt("  line1\nline2\r\n", 15, buf, sizeof buf);
    assert_string_equal(buf, "line1 line2  ");
    llmt_wire_excerpt("", 0, buf, sizeof buf);
    assert_string_equal(buf, "(empty body)");
    memset(body, 'a', sizeof body);
    llmt_wire_excerpt(body, sizeof body, buf, sizeof buf);
    assert_int_equal(strlen(buf), 160);
    assert_string_equal(buf + 157, "...");
    llmt_wire_excerpt(body, sizeof body, small, sizeof small);
    assert_int_equal(strlen(small), 7);
    /* a cut never splits a UTF-8 sequence */
    memset(body, 'a', sizeof body);
    memcpy(body + 156, "\xc3\xa9\xc3\xa9", 4);
    llmt_wire_excerpt(body, sizeof body, buf, sizeof buf);
    assert_string_equal(buf + strlen(buf) - 3, "...");
    assert_true((unsigned char)buf[strlen(buf) - 4] == 'a' ||
                (unsigned char)buf[strlen(buf) - 4] == 0xa9);
}

static void test_schema_name_and_classes(void **state)
{
    char b[80];
    (void)state;
    llmt_wire_schema_name("job ads/v2", b, sizeof b);
    assert_string_equal(b, "job_ads_v2");
    llmt_wire_schema_name(NULL, b, sizeof b);
    assert_string_equal(b, "schema");
    assert_int_equal(llmt_wire_status_class(401), LLMT_E_AUTH);
    assert_int_equal(llmt_wire_status_class(402), LLMT_E_QUOTA);
    assert_int_equal(llmt_wire_status_class(403), LLMT_E_PERMISSION);
    assert_int_equal(llmt_wire_status_class(404), LLMT_E_NOT_FOUND);
    assert_int_equal(llmt_wire_status_class(422), LLMT_E_BAD_REQUEST);
    assert_int_equal(llmt_wire_status_class(429), LLMT_E_RATE_LIMIT);
    assert_int_equal(llmt_wire_status_class(500), LLMT_E_SERVER);
    assert_int_equal(llmt_wire_status_class(503), LLMT_E_OVERLOADED);
    assert_int_equal(llmt_wire_status_class(529), LLMT_E_OVERLOADED);
    assert_true(llmt_wire_says_context_length("This model's maximum context length is 8192"));
    assert_false(llmt_wire_says_context_length("invalid schema"));
    {
        char *u = llmt_wire_url("http://h/v1/", "/chat/completions");
        assert_string_equal(u, "http://h/v1/chat/completions");
        free(u);
    }
}

static const char *req_header(const llmt_http_request *r, const char *name)
{
    size_t i;
    for (i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return "(absent)";
}

/* The body as the provider code once built it, as a jansson tree (kept here as the
 * reference the text body is compared with). */
static json_t *ref_image_part(const llmt_file *f, bool as_string)
{
    char *b64 = llmt_wire_base64(f->data, f->size);
    char *url = llmt_asprintf("data:%s;base64,%s", f->mime_type, b64);
    json_t *part = as_string ? json_pack("{s:s, s:s}", "type", "image_url", "image_url", url)
                             : json_pack("{s:s, s:{s:s}}", "type", "image_url", "image_url",
                                         "url", url);
    free(b64);
    free(url);
    return part;
}

static json_t *ref_body(const llmt_request *req, const llmt_chat_compat_opts *o)
{
    json_t *body = json_object(), *msgs = json_array();
    size_t i, last_user = llmt_wire_last_user(req);
    json_object_set_new(body, "model", json_string(req->model));
    if (req->system_prompt && req->system_prompt[0])
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content",
                                              req->system_prompt));
    for (i = 0; i < req->n_messages; i++) {
        const llmt_message *m = &req->messages[i];
        if (i == last_user && req->n_files) {
            json_t *parts = json_array();
            size_t j;
            json_array_append_new(parts, json_pack("{s:s, s:s}", "type", "text", "text", m->content));
            for (j = 0; j < req->n_files; j++)
                json_array_append_new(parts, ref_image_part(&req->files[j], o->image_url_string));
            json_array_append_new(msgs, json_pack("{s:s, s:o}", "role", m->role, "content", parts));
        } else {
            json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", m->role, "content",
                                                  m->content));
        }
    }
    json_object_set_new(body, "messages", msgs);
    if (req->temperature >= 0 && !o->omit_temperature)
        json_object_set_new(body, "temperature", json_real(req->temperature));
    if (req->max_tokens > 0)
        json_object_set_new(body, o->max_tokens_field ? o->max_tokens_field : "max_tokens",
                            json_integer(req->max_tokens));
    if (req->structured_mode == LLMT_STRUCTURED_JSON_SCHEMA && req->json_schema) {
        char name[80];
        json_t *schema = json_loads(req->json_schema, 0, NULL), *js;
        llmt_wire_schema_name(req->schema_name, name, sizeof name);
        js = json_pack("{s:s, s:O}", "name", name, "schema", schema);
        if (o->strict_schema)
            json_object_set_new(js, "strict", json_boolean(req->schema_strict));
        json_object_set_new(body, "response_format",
                            json_pack("{s:s, s:o}", "type", "json_schema", "json_schema", js));
        json_decref(schema);
    } else if (req->structured_mode == LLMT_STRUCTURED_JSON_OBJECT) {
        json_object_set_new(body, "response_format", json_pack("{s:s}", "type", "json_object"));
    }
    if (o->members_with_format && json_object_get(body, "response_format"))
        json_object_set_new(body, "provider", json_pack("{s:b}", "require_parameters", 1));
    return body;
}

/* The text body of llmt_chat_compat_bearer_request is byte for byte the printed tree
 * built the old way, for every option and mode, with and without images, twice (the
 * second time the schema comes from the state's cache). */
static void test_chat_compat_text_body(void **state)
{
    static const char *schema =
        "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\",\"description\":"
        "\"caf\u00e9 \\\"q\\\"\"}},\"required\":[\"n\"],\"additionalProperties\":false}";
    llmt_model_info info;
    llmt_message msgs[2] = {{"user", "Extract.\n\tText: \"caf\xc3\xa9\" \x01 \xf0\x9f\x98\x80 </x>"},
                            {"assistant", "{}"}};
    static const unsigned char pixels[] = {0x89, 'P', 'N', 'G', 0, 1, 2, 0xff, 0xfe, 7};
    llmt_file files[2] = {{"a.png", "image/png", pixels, sizeof pixels},
                          {"b.jpg", "image/jpeg", pixels, 5}};
    llmt_provider_settings ps;
    void *bstate = NULL;
    int mode, variant, round;
    (void)state;
    memset(&info, 0, sizeof info);
    info.images = true;
    memset(&ps, 0, sizeof ps);
    ps.version = LLMT_PROVIDER_SETTINGS_VERSION;
    ps.name = "fake";
    ps.base_url = "http://127.0.0.1:1/v1/";
    ps.api_key = "sk-test";
    ps.config_json = "{}";
    assert_int_equal(llmt_wire_basic_init(&bstate, &ps, NULL), LLMT_OK);
    for (round = 0; round < 2; round++)
        for (mode = 0; mode < 3; mode++)
            for (variant = 0; variant < 4; variant++) {
                llmt_request req;
                llmt_chat_compat_opts o;
                llmt_http_request hr;
                json_t *tree = NULL;
                char *want;
                llmt_error err;
                memset(&req, 0, sizeof req);
                memset(&o, 0, sizeof o);
                memset(&hr, 0, sizeof hr);
                req.version = LLMT_REQUEST_VERSION;
                req.model = "gpt-\"x\"";
                req.model_info = &info;
                req.system_prompt = variant & 1 ? "Answer in JSON.\n" : NULL;
                req.messages = msgs;
                req.n_messages = variant & 2 ? 2 : 1;
                req.json_schema = schema;
                req.schema_name = variant == 3 ? "my schema!" : NULL;
                req.schema_strict = variant != 2; /* the rules' verdict is sent as it is */
                req.structured_mode = mode == 0   ? LLMT_STRUCTURED_JSON_SCHEMA
                                      : mode == 1 ? LLMT_STRUCTURED_JSON_OBJECT
                                                  : LLMT_STRUCTURED_PROMPT_ONLY;
                req.max_tokens = variant ? 1000 : 0;
                req.temperature = variant == 2 ? -1 : variant * 0.35;
                o.max_tokens_field = variant & 1 ? "max_completion_tokens" : NULL;
                o.strict_schema = variant != 1;
                o.omit_temperature = variant == 3;
                o.members_with_format = round ? "\"provider\":{\"require_parameters\":true}" : NULL;
                /* images on the last user message: none, one, two (as strings or objects) */
                req.files = files;
                req.n_files = (size_t)((variant + mode) % 3);
                o.image_url_string = variant & 2;
                tree = ref_body(&req, &o);
                want = json_dumps(tree, JSON_COMPACT);
                assert_int_equal(llmt_chat_compat_bearer_request(bstate, &req, &o, "chat/completions",
                                                                 &hr, &err),
                                 LLMT_OK);
                assert_string_equal(hr.body, want);
                assert_int_equal(hr.body_len, strlen(want));
                assert_string_equal(hr.url, "http://127.0.0.1:1/v1/chat/completions");
                assert_string_equal(req_header(&hr, "Authorization"), "Bearer sk-test");
                assert_string_equal(req_header(&hr, "Content-Type"), "application/json");
                free(want);
                json_decref(tree);
                llmt_http_request_clear(&hr);
            }
    llmt_wire_basic_destroy(bstate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_date),     cmocka_unit_test(test_duration),
        cmocka_unit_test(test_retry_after),   cmocka_unit_test(test_base64),
        cmocka_unit_test(test_excerpt),
        cmocka_unit_test(test_schema_name_and_classes),
        cmocka_unit_test(test_chat_compat_text_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
