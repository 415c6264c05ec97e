/* The anthropic provider against the in-process fake server. */
#include "unit/provider_harness.h"

#define OK_BODY                                                                                \
    "{\"id\":\"msg_01X\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"                \
    "\"claude-haiku-4-5-20251001\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\","     \
    "\"signature\":\"s\"},{\"type\":\"text\",\"text\":\"{\\\"name\\\":\\\"ACME\\\",\"},"       \
    "{\"type\":\"text\",\"text\":\"\\\"total\\\":99.5}\"}],\"stop_reason\":\"end_turn\","      \
    "\"stop_sequence\":null,\"usage\":{\"input_tokens\":1500,\"cache_creation_input_tokens\":" \
    "20,\"cache_read_input_tokens\":100,\"output_tokens\":22,\"service_tier\":\"standard\"}}"

#define EMPTY_BODY                                                                             \
    "{\"id\":\"msg_2\",\"type\":\"message\",\"model\":\"claude-haiku-4-5\",\"content\":[],"     \
    "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":10,\"output_tokens\":0}}"

#define ERR(type, msg) "{\"type\":\"error\",\"error\":{\"type\":\"" type "\",\"message\":\"" msg "\"},\"request_id\":\"req_011\"}"

static ph *start(void)
{
    return ph_start("ANTHROPIC", "", "ANTHROPIC_API_KEY");
}

static void test_request_and_success(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {PH_LOOSE_SCHEMA, NULL, 0, 700, 0, false};
    const fake_http_request *r;
    json_t *b;
    (void)state;
    b = ph_call_ok(h, "anthropic:claude-haiku-4-5", &co, "request-id: req_011CUdB6\r\n", OK_BODY, &out);
    r = ph_req(h, 0);
    assert_string_equal(r->path, "/v1/messages");
    assert_string_equal(fake_http_request_header(r, "x-api-key"), PH_KEY);
    assert_string_equal(fake_http_request_header(r, "anthropic-version"), "2023-06-01");
    assert_null(fake_http_request_header(r, "authorization"));
    assert_string_equal(ph_str(b, "model"), "claude-haiku-4-5");
    assert_int_equal(json_integer_value(ph_get(b, "max_tokens")), 700);
    assert_non_null(strstr(ph_str(b, "system"), "data extraction"));
    assert_string_equal(ph_str(b, "messages.0.role"), "user");
    assert_string_equal(ph_str(b, "messages.0.content"), PH_USER_TEXT);
    assert_true(json_number_value(ph_get(b, "temperature")) == 0.0);
    assert_string_equal(ph_str(b, "output_config.format.type"), "json_schema");
    assert_string_equal(ph_str(b, "output_config.format.schema.properties.name.type"), "string");
    /* the loose schema was closed for the API */
    assert_true(json_is_false(ph_get(b, "output_config.format.schema.additionalProperties")));
    assert_null(ph_get(b, "messages.0.content.0"));
    json_decref(b);
    assert_string_equal(out.text, "{\"name\":\"ACME\",\"total\":99.5}");
    assert_string_equal(out.model, "claude-haiku-4-5-20251001");
    assert_string_equal(out.stop_reason, "end_turn");
    assert_string_equal(out.request_id, "req_011CUdB6");
    assert_int_equal(out.usage.input_tokens, 1620);
    assert_int_equal(out.usage.cached_input_tokens, 100);
    assert_int_equal(out.usage.output_tokens, 22);
    assert_int_equal(out.usage.reasoning_tokens, -1);
    assert_int_equal(out.structured_mode, LLMT_STRUCTURED_JSON_SCHEMA);
    PH_ASSERT_NEAR(out.cost_usd, 1620 / 1e6 * 1.0 + 22 / 1e6 * 5.0, 1e-12);
    llmt_response_clear(&out);
    ph_assert_log_clean(h);
    ph_stop(h);
}

static void test_prompt_only_and_defaults(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {PH_STRICT_SCHEMA, NULL, 0, 0, 0, false};
    json_t *b;
    (void)state;
    /* a model without structured outputs: schema in the system prompt, no output_config */
    b = ph_call_ok(h, "anthropic:claude-opus-4-1", &co, NULL, OK_BODY, &out);
    assert_int_equal(out.structured_mode, LLMT_STRUCTURED_PROMPT_ONLY);
    assert_null(ph_get(b, "output_config"));
    assert_non_null(strstr(ph_str(b, "system"), "JSON Schema"));
    assert_non_null(strstr(ph_str(b, "system"), "\"total\""));
    assert_int_equal(json_integer_value(ph_get(b, "max_tokens")), 32000); /* model cap */
    json_decref(b);
    llmt_response_clear(&out);
    /* a model that rejects sampling parameters gets no temperature */
    b = ph_call_ok(h, "anthropic:claude-opus-4-7", &co, NULL, OK_BODY, &out);
    assert_null(ph_get(b, "temperature"));
    assert_non_null(ph_get(b, "output_config"));
    json_decref(b);
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_images(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {NULL, &ph_png_file, 1, 0, 0, false};
    json_t *b;
    (void)state;
    b = ph_call_ok(h, "anthropic:claude-sonnet-4-5", &co, NULL, OK_BODY, &out);
    assert_string_equal(ph_str(b, "messages.0.content.0.type"), "image");
    assert_string_equal(ph_str(b, "messages.0.content.0.source.type"), "base64");
    assert_string_equal(ph_str(b, "messages.0.content.0.source.media_type"), "image/png");
    assert_string_equal(ph_str(b, "messages.0.content.0.source.data"), PH_PNG_B64);
    assert_string_equal(ph_str(b, "messages.0.content.1.type"), "text");
    assert_string_equal(ph_str(b, "messages.0.content.1.text"), PH_USER_TEXT);
    json_decref(b);
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_refusal_and_fences(void **state)
{
    ph *h = start();
    llmt_response out;
    llmt_error err;
    (void)state;
    ph_reply(h, 200, NULL,
             "{\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":\"refusal\","
             "\"usage\":{\"input_tokens\":10,\"output_tokens\":0}}");
    assert_int_equal(ph_call(h, "anthropic:claude-haiku-4-5", NULL, &out, &err),
                     LLMT_E_CONTENT_FILTER);
    ph_answered(h, "anthropic:claude-haiku-4-5", NULL, NULL,
                "{\"model\":\"claude-haiku-4-5\",\"content\":[{\"type\":\"text\",\"text\":"
                "\"```json\\n{\\\"a\\\":1}\\n```\"}],\"stop_reason\":\"end_turn\",\"usage\":"
                "{\"input_tokens\":10,\"output_tokens\":5}}", &out);
    assert_string_equal(out.text, "```json\n{\"a\":1}\n```");
    assert_int_equal(out.usage.cached_input_tokens, -1);
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_errors(void **state)
{
    static const ph_err_case cases[] = {
        {"401", 401, NULL, ERR("authentication_error", "invalid x-api-key"), LLMT_E_AUTH, false,
         -1, "authentication_error"},
        {"403", 403, NULL, ERR("permission_error", "no access to model"), LLMT_E_PERMISSION,
         false, -1, NULL},
        {"404", 404, NULL, ERR("not_found_error", "model: claude-x"), LLMT_E_NOT_FOUND, false, -1,
         "not_found_error"},
        {"400 context", 400, NULL,
         ERR("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
         LLMT_E_CONTEXT_LENGTH, false, -1, NULL},
        {"400 bad", 400, NULL, ERR("invalid_request_error", "max_tokens: Field required"),
         LLMT_E_BAD_REQUEST, false, -1, "invalid_request_error"},
        {"400 low credit", 400, NULL,
         ERR("invalid_request_error",
             "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
             "Billing to upgrade or purchase credits."),
         LLMT_E_QUOTA, false, -1, NULL},
        {"402 billing", 402, NULL, ERR("billing_error", "payment required"), LLMT_E_QUOTA, false,
         -1, NULL},
        {"429 rate", 429, "retry-after: 3\r\nanthropic-ratelimit-requests-remaining: 0\r\n",
         ERR("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
         LLMT_E_RATE_LIMIT, true, 3, "rate_limit_error"},
        {"429 spend cap", 429, NULL,
         "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"You have "
         "reached your monthly spend limit\",\"details\":{\"error_code\":"
         "\"enforced_spend_limit_reached\"}}}",
         LLMT_E_QUOTA, false, -1, NULL},
        {"500", 500, NULL, ERR("api_error", "Internal server error"), LLMT_E_SERVER, true, -1,
         NULL},
        {"529", 529, "retry-after: 5\r\n", ERR("overloaded_error", "Overloaded"),
         LLMT_E_OVERLOADED, true, 5, "overloaded_error"},
    };
    ph *h = start();
    llmt_response out;
    llmt_error err;
    (void)state;
    ph_run_error_cases(h, "anthropic:claude-haiku-4-5", cases, sizeof cases / sizeof cases[0]);
    ph_reply(h, 529, "request-id: req_529\r\n", ERR("overloaded_error", "Overloaded"));
    assert_int_equal(ph_call(h, "anthropic:claude-haiku-4-5", NULL, &out, &err), LLMT_E_OVERLOADED);
    assert_string_equal(err.request_id, "req_529");
    ph_reply(h, 400, NULL, ERR("invalid_request_error", "bad"));
    assert_int_equal(ph_call(h, "anthropic:claude-haiku-4-5", NULL, &out, &err), LLMT_E_BAD_REQUEST);
    assert_string_equal(err.request_id, "req_011"); /* from the body */
    ph_run_transport_cases(h, "anthropic:claude-haiku-4-5", EMPTY_BODY, OK_BODY);
    ph_stop(h);
}

static void test_keys(void **state)
{
    (void)state;
    ph_check_keys("ANTHROPIC", "", "ANTHROPIC_API_KEY", "anthropic:claude-haiku-4-5", OK_BODY,
                  "x-api-key", PH_KEY);
}

/* Text that is not UTF-8 fails the request build cleanly: nothing is sent. */
static void test_invalid_utf8(void **state)
{
    ph *h = start();
    (void)state;
    ph_refuses_invalid_utf8(h, "anthropic:claude-haiku-4-5");
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_and_success), cmocka_unit_test(test_prompt_only_and_defaults),
        cmocka_unit_test(test_images),              cmocka_unit_test(test_refusal_and_fences),
        cmocka_unit_test(test_errors),              cmocka_unit_test(test_keys), cmocka_unit_test(test_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
