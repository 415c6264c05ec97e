/* The mistral provider against the in-process fake server. */
#include "unit/provider_harness.h"

#define OK_BODY                                                                                \
    "{\"id\":\"5e0f1a9c\",\"object\":\"chat.completion\",\"created\":1764067200,\"model\":"     \
    "\"mistral-small-2506\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","     \
    "\"content\":\"{\\\"name\\\": \\\"ACME\\\", \\\"total\\\": 99.5}\",\"tool_calls\":null},"   \
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1310,\"completion_tokens\":23,"  \
    "\"total_tokens\":1333}}"

#define EMPTY_BODY                                                                             \
    "{\"model\":\"mistral-small-latest\",\"choices\":[{\"message\":{\"content\":null},"          \
    "\"finish_reason\":\"length\"}]}"

static ph *start(void)
{
    return ph_start("MISTRAL", "/v1", "MISTRAL_API_KEY");
}

static void test_request_and_success(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {PH_STRICT_SCHEMA, NULL, 0, 300, 0, false};
    const fake_http_request *r;
    json_t *b;
    const char *k;
    json_t *v;
    (void)state;
    b = ph_call_ok(h, "mistral:mistral-small-latest", &co, NULL, OK_BODY, &out);
    r = ph_req(h, 0);
    assert_string_equal(r->path, "/v1/chat/completions");
    assert_string_equal(fake_http_request_header(r, "authorization"), "Bearer " PH_KEY);
    /* only fields Mistral accepts: anything else is a 422 extra_forbidden */
    json_object_foreach(b, k, v)
    {
        assert_true(strcmp(k, "model") == 0 || strcmp(k, "messages") == 0 ||
                    strcmp(k, "temperature") == 0 || strcmp(k, "max_tokens") == 0 ||
                    strcmp(k, "response_format") == 0);
    }
    assert_int_equal(json_integer_value(ph_get(b, "max_tokens")), 300);
    assert_null(ph_get(b, "max_completion_tokens"));
    assert_string_equal(ph_str(b, "response_format.type"), "json_schema");
    assert_string_equal(ph_str(b, "response_format.json_schema.name"), "invoice");
    assert_true(json_is_true(ph_get(b, "response_format.json_schema.strict")));
    json_decref(b);
    assert_string_equal(out.text, "{\"name\": \"ACME\", \"total\": 99.5}");
    assert_string_equal(out.model, "mistral-small-2506");
    assert_int_equal(out.usage.input_tokens, 1310);
    assert_int_equal(out.usage.output_tokens, 23);
    assert_int_equal(out.usage.cached_input_tokens, -1);
    PH_ASSERT_NEAR(out.cost_usd, 1310 / 1e6 * 0.1 + 23 / 1e6 * 0.3, 1e-12);
    llmt_response_clear(&out);
    ph_assert_log_clean(h);
    ph_stop(h);
}

static void test_images_chunks_fences(void **state)
{
    ph *h = start();
    llmt_response out;
    llmt_error err;
    ph_call_opts co = {NULL, &ph_png_file, 1, 0, 0, false};
    json_t *b;
    (void)state;
    b = ph_call_ok(h, "mistral:mistral-small-latest", &co, NULL, OK_BODY, &out);
    assert_string_equal(ph_str(b, "messages.1.content.1.type"), "image_url");
    assert_string_equal(ph_str(b, "messages.1.content.1.image_url"),
                        "data:image/png;base64," PH_PNG_B64);
    json_decref(b);
    llmt_response_clear(&out);
    assert_int_equal(ph_call(h, "mistral:ministral-8b-latest", &co, &out, &err), LLMT_E_UNSUPPORTED);
    /* reasoning reply: content as chunks */
    ph_answered(h, "mistral:magistral-small-latest", NULL, NULL,
                "{\"model\":\"magistral-small-latest\",\"choices\":[{\"message\":{\"content\":["
                "{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":\"hmm\"}]},"
                "{\"type\":\"text\",\"text\":\"{\\\"a\\\":1}\"}]},\"finish_reason\":\"stop\"}],"
                "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}", &out);
    assert_string_equal(out.text, "{\"a\":1}");
    llmt_response_clear(&out);
    ph_answered(h, "mistral:mistral-small-latest", NULL, NULL,
                "{\"model\":\"mistral-small-latest\",\"choices\":[{\"message\":{\"content\":"
                "\"```json\\n{}\\n```\"},\"finish_reason\":\"stop\"}]}", &out);
    assert_string_equal(out.text, "```json\n{}\n```");
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_modes(void **state)
{
    ph *h = start();
    json_t *b;
    (void)state;
    b = ph_build_body(h, "mistral", "mistral-small-latest", LLMT_STRUCTURED_JSON_OBJECT, PH_STRICT_SCHEMA);
    assert_string_equal(ph_str(b, "response_format.type"), "json_object");
    assert_null(ph_get(b, "response_format.json_schema"));
    assert_null(ph_get(b, "temperature")); /* < 0: provider default */
    assert_null(ph_get(b, "max_tokens"));          /* 0: provider default */
    assert_string_equal(ph_str(b, "messages.0.content"), "sys");
    json_decref(b);
    b = ph_build_body(h, "mistral", "mistral-small-latest", LLMT_STRUCTURED_PROMPT_ONLY, PH_STRICT_SCHEMA);
    assert_null(ph_get(b, "response_format"));
    json_decref(b);
    ph_stop(h);
}

static void test_errors(void **state)
{
    static const ph_err_case cases[] = {
        {"401", 401, NULL, "{\"message\":\"Unauthorized\",\"request_id\":\"abc\"}", LLMT_E_AUTH,
         false, -1, NULL},
        {"403", 403, NULL,
         "{\"object\":\"error\",\"message\":\"model not allowed\",\"type\":"
         "\"invalid_request_error\",\"param\":null,\"code\":\"1701\"}",
         LLMT_E_PERMISSION, false, -1, "1701"},
        {"404", 404, NULL,
         "{\"object\":\"error\",\"message\":\"Invalid model: mistral-9\",\"type\":"
         "\"invalid_model\",\"param\":null,\"code\":\"1500\"}",
         LLMT_E_NOT_FOUND, false, -1, NULL},
        {"400 context", 400, NULL,
         "{\"object\":\"error\",\"message\":\"Prompt contains 40000 tokens and 0 draft tokens, too "
         "large for model with 32768 maximum context length\",\"type\":"
         "\"invalid_request_error\",\"param\":null,\"code\":null}",
         LLMT_E_CONTEXT_LENGTH, false, -1, NULL},
        {"422", 422, NULL,
         "{\"object\":\"error\",\"message\":{\"detail\":[{\"type\":\"extra_forbidden\",\"loc\":"
         "[\"body\",\"max_completion_tokens\"],\"msg\":\"Extra inputs are not permitted\"}]},"
         "\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}",
         LLMT_E_BAD_REQUEST, false, -1, NULL},
        {"429 rate", 429, "Retry-After: 2\r\n",
         "{\"object\":\"error\",\"message\":\"Rate limit exceeded\",\"type\":\"rate_limited\","
         "\"param\":null,\"code\":\"1300\"}",
         LLMT_E_RATE_LIMIT, true, 2, "1300"},
        {"429 monthly", 429, NULL,
         "{\"object\":\"error\",\"message\":\"Monthly usage limit exceeded\",\"type\":"
         "\"rate_limited\",\"param\":null,\"code\":\"1300\"}",
         LLMT_E_QUOTA, false, -1, NULL},
        {"500", 500, NULL, "{\"object\":\"error\",\"message\":\"Internal error\",\"type\":"
                           "\"internal_server_error\"}",
         LLMT_E_SERVER, true, -1, NULL},
        {"503", 503, NULL, "{\"object\":\"error\",\"message\":\"Service unavailable\"}",
         LLMT_E_OVERLOADED, true, -1, NULL},
    };
    ph *h = start();
    (void)state;
    ph_run_error_cases(h, "mistral:mistral-small-latest", cases, sizeof cases / sizeof cases[0]);
    ph_run_transport_cases(h, "mistral:mistral-small-latest", EMPTY_BODY, OK_BODY);
    ph_stop(h);
}

static void test_keys(void **state)
{
    (void)state;
    ph_check_missing_key("MISTRAL", "/v1", "MISTRAL_API_KEY", "mistral:mistral-small-latest");
}

/* Text that is not UTF-8 fails the request build cleanly: nothing is sent. */
static void test_invalid_utf8(void **state)
{
    ph *h = start();
    (void)state;
    ph_refuses_invalid_utf8(h, "mistral:mistral-small-latest");
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_request_and_success),
        cmocka_unit_test(test_images_chunks_fences),
        cmocka_unit_test(test_modes), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
