/* The gemini provider against the in-process fake server. */
#include "unit/provider_harness.h"

#define OK_BODY                                                                                \
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"thinking...\","   \
    "\"thought\":true},{\"text\":\"{\\\"name\\\": \\\"ACME\\\", \\\"total\\\": 99.5}\"}]},"     \
    "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":289,"     \
    "\"candidatesTokenCount\":21,\"totalTokenCount\":402,\"thoughtsTokenCount\":92,"           \
    "\"cachedContentTokenCount\":64},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":"     \
    "\"mZ8kaeLq\"}"

#define EMPTY_BODY                                                                             \
    "{\"candidates\":[{\"content\":{\"role\":\"model\"},\"finishReason\":\"MAX_TOKENS\"}],"     \
    "\"usageMetadata\":{\"promptTokenCount\":10,\"thoughtsTokenCount\":500}}"

#define RPC(code, status, msg, details)                                                        \
    "{\"error\":{\"code\":" code ",\"message\":\"" msg "\",\"status\":\"" status "\"" details "}}"

static ph *start(void)
{
    return ph_start("GEMINI", "/v1beta", "GEMINI_API_KEY");
}

static void test_request_and_success(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {PH_STRICT_SCHEMA, NULL, 0, 1024, 0, false};
    const fake_http_request *r;
    json_t *b, *want;
    (void)state;
    b = ph_call_ok(h, "gemini:gemini-2.5-flash", &co, NULL, OK_BODY, &out);
    r = ph_req(h, 0);
    assert_string_equal(r->path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_string_equal(fake_http_request_header(r, "x-goog-api-key"), PH_KEY);
    assert_null(strstr(r->path, "key="));
    assert_null(ph_get(b, "model"));
    assert_non_null(strstr(ph_str(b, "systemInstruction.parts.0.text"), "data extraction"));
    assert_string_equal(ph_str(b, "contents.0.role"), "user");
    assert_string_equal(ph_str(b, "contents.0.parts.0.text"), PH_USER_TEXT);
    assert_int_equal(json_integer_value(ph_get(b, "generationConfig.maxOutputTokens")), 1024);
    assert_true(json_number_value(ph_get(b, "generationConfig.temperature")) == 0.0);
    assert_string_equal(ph_str(b, "generationConfig.responseMimeType"), "application/json");
    want = json_loads(PH_STRICT_SCHEMA, 0, NULL);
    assert_true(json_equal(want, ph_get(b, "generationConfig.responseJsonSchema")));
    json_decref(want);
    json_decref(b);
    assert_string_equal(out.text, "{\"name\": \"ACME\", \"total\": 99.5}");
    assert_string_equal(out.model, "gemini-2.5-flash");
    assert_string_equal(out.stop_reason, "STOP");
    assert_string_equal(out.request_id, "mZ8kaeLq");
    assert_int_equal(out.usage.input_tokens, 289);
    assert_int_equal(out.usage.output_tokens, 21 + 92);
    assert_int_equal(out.usage.reasoning_tokens, 92);
    assert_int_equal(out.usage.cached_input_tokens, 64);
    PH_ASSERT_NEAR(out.cost_usd, 289 / 1e6 * 0.3 + 113 / 1e6 * 2.5, 1e-12);
    llmt_response_clear(&out);
    ph_assert_log_clean(h);
    ph_stop(h);
}

static void test_json_mode_images_and_blocks(void **state)
{
    ph *h = start();
    llmt_response out;
    llmt_error err;
    llmt_file gif = {"inv.gif", "image/gif", ph_png, sizeof ph_png};
    ph_call_opts co = {NULL, &ph_png_file, 1, 0, 0, false};
    json_t *b;
    (void)state;
    b = ph_call_ok(h, "gemini:gemini-2.0-flash", &co, NULL, OK_BODY, &out);
    assert_string_equal(ph_str(b, "contents.0.parts.0.inlineData.mimeType"), "image/png");
    assert_string_equal(ph_str(b, "contents.0.parts.0.inlineData.data"), PH_PNG_B64);
    assert_string_equal(ph_str(b, "contents.0.parts.1.text"), PH_USER_TEXT);
    assert_int_equal(json_integer_value(ph_get(b, "generationConfig.maxOutputTokens")), 8192);
    assert_null(ph_get(b, "generationConfig.responseMimeType"));
    json_decref(b);
    llmt_response_clear(&out);
    co.files = &gif;
    assert_int_equal(ph_call(h, "gemini:gemini-2.0-flash", &co, &out, &err), LLMT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "image/gif"));
    assert_int_equal(fake_http_request_count(h->srv), 1);
    /* prompt blocked: 200 without candidates */
    ph_reply(h, 200, NULL,
             "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":"
             "{\"promptTokenCount\":5}}");
    assert_int_equal(ph_call(h, "gemini:gemini-2.5-flash", NULL, &out, &err), LLMT_E_CONTENT_FILTER);
    assert_string_equal(err.code, "SAFETY");
    ph_reply(h, 200, NULL, "{\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0}]}");
    assert_int_equal(ph_call(h, "gemini:gemini-2.5-flash", NULL, &out, &err), LLMT_E_CONTENT_FILTER);
    /* fenced answer stays text */
    ph_answered(h, "gemini:gemini-2.5-flash", NULL, NULL,
                "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"```json\\n{}\\n```\"}]},"
                "\"finishReason\":\"STOP\"}]}", &out);
    assert_string_equal(out.text, "```json\n{}\n```");
    assert_int_equal(out.usage.reasoning_tokens, -1);
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_modes(void **state)
{
    ph *h = start();
    json_t *b;
    (void)state;
    b = ph_build_body(h, "gemini", "gemini-2.5-flash", LLMT_STRUCTURED_JSON_OBJECT, PH_STRICT_SCHEMA);
    assert_string_equal(ph_str(b, "generationConfig.responseMimeType"), "application/json");
    assert_null(ph_get(b, "generationConfig.responseJsonSchema"));
    assert_null(ph_get(b, "generationConfig.temperature")); /* < 0: provider default */
    json_decref(b);
    b = ph_build_body(h, "gemini", "gemini-2.5-flash", LLMT_STRUCTURED_PROMPT_ONLY, PH_STRICT_SCHEMA);
    assert_null(ph_get(b, "generationConfig"));
    assert_string_equal(ph_str(b, "systemInstruction.parts.0.text"), "sys");
    json_decref(b);
    ph_stop(h);
}

static void test_errors(void **state)
{
    static const ph_err_case cases[] = {
        {"400 bad key", 400, NULL,
         RPC("400", "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
             ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":"
             "\"API_KEY_INVALID\",\"domain\":\"googleapis.com\"}]"),
         LLMT_E_AUTH, false, -1, "API_KEY_INVALID"},
        {"403", 403, NULL, RPC("403", "PERMISSION_DENIED", "Permission denied", ""),
         LLMT_E_PERMISSION, false, -1, "PERMISSION_DENIED"},
        {"404", 404, NULL,
         RPC("404", "NOT_FOUND", "models/gemini-foo is not found for API version v1beta", ""),
         LLMT_E_NOT_FOUND, false, -1, NULL},
        {"400 context", 400, NULL,
         RPC("400", "INVALID_ARGUMENT",
             "The input token count (1200000) exceeds the maximum number of tokens allowed "
             "(1048576).",
             ""),
         LLMT_E_CONTEXT_LENGTH, false, -1, NULL},
        {"400 schema", 400, NULL,
         RPC("400", "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name", ""),
         LLMT_E_BAD_REQUEST, false, -1, "INVALID_ARGUMENT"},
        {"429 rate", 429, NULL,
         RPC("429", "RESOURCE_EXHAUSTED", "You exceeded your current quota",
             ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\","
             "\"violations\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/"
             "generate_content_free_tier_requests\",\"quotaId\":"
             "\"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\"}]},{\"@type\":"
             "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"37s\"}]"),
         LLMT_E_RATE_LIMIT, true, 37, "RESOURCE_EXHAUSTED"},
        {"429 daily", 429, NULL,
         RPC("429", "RESOURCE_EXHAUSTED", "You exceeded your current quota",
             ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\","
             "\"violations\":[{\"quotaId\":\"GenerateRequestsPerDayPerProjectPerModel-FreeTier\"}]},"
             "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"50s\"}]"),
         LLMT_E_QUOTA, false, -1, NULL},
        {"500", 500, NULL, RPC("500", "INTERNAL", "An internal error has occurred", ""),
         LLMT_E_SERVER, true, -1, NULL},
        {"503", 503, NULL,
         RPC("503", "UNAVAILABLE", "The model is overloaded. Please try again later.", ""),
         LLMT_E_OVERLOADED, true, -1, "UNAVAILABLE"},
    };
    ph *h = start();
    (void)state;
    ph_run_error_cases(h, "gemini:gemini-2.5-flash", cases, sizeof cases / sizeof cases[0]);
    ph_run_transport_cases(h, "gemini:gemini-2.5-flash", EMPTY_BODY, OK_BODY);
    ph_stop(h);
}

static void test_keys(void **state)
{
    (void)state;
    ph_check_keys("GEMINI", "/v1beta", "GEMINI_API_KEY", "gemini:gemini-2.5-flash", OK_BODY,
                  "x-goog-api-key", PH_KEY);
}

/* Text that is not UTF-8 fails the request build cleanly: nothing is sent. */
static void test_invalid_utf8(void **state)
{
    ph *h = start();
    (void)state;
    ph_refuses_invalid_utf8(h, "gemini:gemini-2.5-flash");
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_and_success),
        cmocka_unit_test(test_json_mode_images_and_blocks),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_keys), cmocka_unit_test(test_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
