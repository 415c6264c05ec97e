/* The ollama provider (native /api/chat) against the in-process fake server. */
#include "unit/provider_harness.h"

#define OK_BODY                                                                                \
    "{\"model\":\"llama3.1:8b\",\"created_at\":\"2025-11-25T10:00:00Z\",\"message\":{\"role\":"  \
    "\"assistant\",\"content\":\"{\\\"name\\\": \\\"ACME\\\", \\\"total\\\": 99.5}\"},"          \
    "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":2254970291,"                    \
    "\"prompt_eval_count\":34,\"eval_count\":21}"

#define EMPTY_BODY                                                                             \
    "{\"model\":\"llama3.1:8b\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"          \
    "\"done_reason\":\"length\",\"done\":true}"

static ph *start(void)
{
    return ph_start("OLLAMA", "", NULL);
}

static void test_request_and_success(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {PH_STRICT_SCHEMA, NULL, 0, 256, 0, false};
    const fake_http_request *r;
    json_t *b, *want;
    (void)state;
    b = ph_call_ok(h, "ollama:llama3.1:8b", &co, NULL, OK_BODY, &out);
    r = ph_req(h, 0);
    assert_string_equal(r->path, "/api/chat");
    assert_null(fake_http_request_header(r, "authorization"));
    assert_string_equal(ph_str(b, "model"), "llama3.1:8b");
    assert_true(json_is_false(ph_get(b, "stream")));
    assert_string_equal(ph_str(b, "messages.0.role"), "system");
    assert_string_equal(ph_str(b, "messages.1.content"), PH_USER_TEXT);
    want = json_loads(PH_STRICT_SCHEMA, 0, NULL);
    assert_true(json_equal(want, ph_get(b, "format")));
    json_decref(want);
    assert_int_equal(json_integer_value(ph_get(b, "options.num_predict")), 256);
    assert_int_equal(json_integer_value(ph_get(b, "options.num_ctx")), 16384);
    assert_true(json_number_value(ph_get(b, "options.temperature")) == 0.0);
    json_decref(b);
    assert_string_equal(out.text, "{\"name\": \"ACME\", \"total\": 99.5}");
    assert_string_equal(out.model, "llama3.1:8b");
    assert_string_equal(out.stop_reason, "stop");
    assert_int_equal(out.usage.input_tokens, 34);
    assert_int_equal(out.usage.output_tokens, 21);
    assert_int_equal(out.usage.cached_input_tokens, -1);
    assert_true(out.cost_known);
    PH_ASSERT_NEAR(out.cost_usd, 0.0, 1e-15);
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_images_and_json_mode(void **state)
{
    ph *h = start();
    llmt_response out;
    llmt_error err;
    ph_call_opts co = {NULL, &ph_png_file, 1, 0, 0, false};
    json_t *b;
    (void)state;
    b = ph_call_ok(h, "ollama:qwen2.5vl:7b", &co, NULL, OK_BODY, &out);
    assert_string_equal(ph_str(b, "messages.1.images.0"), PH_PNG_B64);
    assert_null(ph_get(b, "format"));
    json_decref(b);
    llmt_response_clear(&out);
    /* a text-only model refuses images before sending */
    assert_int_equal(ph_call(h, "ollama:llama3.1:8b", &co, &out, &err), LLMT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "images"));
    assert_int_equal(fake_http_request_count(h->srv), 1);
    /* fenced reply stays text; an {"error"} inside a 200 is not a success */
    ph_answered(h, "ollama:llama3.1:8b", NULL, NULL,
                "{\"model\":\"llama3.1:8b\",\"message\":{\"content\":\"```json\\n{}\\n```\"},"
                "\"done\":true}", &out);
    assert_string_equal(out.text, "```json\n{}\n```");
    assert_int_equal(out.usage.input_tokens, 0); /* omitted when zero */
    llmt_response_clear(&out);
    ph_reply(h, 200, NULL, "{\"error\":\"runner crashed\"}");
    assert_int_equal(ph_call(h, "ollama:llama3.1:8b", NULL, &out, &err), LLMT_E_SERVER);
    ph_stop(h);
}

static void test_modes(void **state)
{
    ph *h = start();
    json_t *b;
    (void)state;
    b = ph_build_body(h, "ollama", "llama3.1:8b", LLMT_STRUCTURED_JSON_OBJECT, PH_STRICT_SCHEMA);
    assert_string_equal(ph_str(b, "format"), "json");
    assert_null(ph_get(b, "options.temperature"));
    json_decref(b);
    b = ph_build_body(h, "ollama", "llama3.1:8b", LLMT_STRUCTURED_PROMPT_ONLY, PH_STRICT_SCHEMA);
    assert_null(ph_get(b, "format"));
    json_decref(b);
    ph_stop(h);
}

static void test_errors(void **state)
{
    static const ph_err_case cases[] = {
        {"404", 404, NULL, "{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}",
         LLMT_E_NOT_FOUND, false, -1, NULL},
        {"400", 400, NULL, "{\"error\":\"invalid format: expected \\\"json\\\" or a JSON schema\"}",
         LLMT_E_BAD_REQUEST, false, -1, NULL},
        {"401 proxy", 401, NULL, "{\"error\":\"unauthorized\"}", LLMT_E_AUTH, false, -1, NULL},
        {"403 proxy", 403, NULL, "{\"error\":\"forbidden\"}", LLMT_E_PERMISSION, false, -1, NULL},
        {"400 context", 400, NULL, "{\"error\":\"input length exceeds the context length\"}",
         LLMT_E_CONTEXT_LENGTH, false, -1, NULL},
        {"429 cloud", 429, "Retry-After: 4\r\n", "{\"error\":\"too many requests\"}",
         LLMT_E_RATE_LIMIT, true, 4, NULL},
        {"500", 500, NULL, "{\"error\":\"llama runner process has terminated\"}", LLMT_E_SERVER,
         true, -1, NULL},
        {"503", 503, NULL, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}",
         LLMT_E_OVERLOADED, true, -1, NULL},
    };
    ph *h = start();
    (void)state;
    ph_run_error_cases(h, "ollama:llama3.1:8b", cases, sizeof cases / sizeof cases[0]);
    ph_run_transport_cases(h, "ollama:llama3.1:8b", EMPTY_BODY, OK_BODY);
    ph_stop(h);
}

/* Text that is not UTF-8 fails the request build cleanly: nothing is sent. */
static void test_invalid_utf8(void **state)
{
    ph *h = start();
    (void)state;
    ph_refuses_invalid_utf8(h, "ollama:llama3.1:8b");
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_request_and_success),
        cmocka_unit_test(test_images_and_json_mode),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
