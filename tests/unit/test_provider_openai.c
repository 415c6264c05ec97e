/* The openai provider against the in-process fake server: exact request bytes, reply
 * parsing, usage and cost, every error class. */
#include "unit/provider_harness.h"

#define OK_BODY                                                                               \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1764067200,"            \
    "\"model\":\"gpt-4.1-mini-2025-04-14\",\"choices\":[{\"index\":0,\"message\":{\"role\":"   \
    "\"assistant\",\"content\":\"{\\\"name\\\":\\\"ACME\\\",\\\"total\\\":99.5}\","            \
    "\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],"     \
    "\"usage\":{\"prompt_tokens\":412,\"completion_tokens\":24,\"total_tokens\":436,"          \
    "\"prompt_tokens_details\":{\"cached_tokens\":128,\"audio_tokens\":0},"                   \
    "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"service_tier\":\"default\","    \
    "\"unknown_field\":{\"x\":1}}"

#define EMPTY_BODY                                                                            \
    "{\"model\":\"gpt-4.1-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\"," \
    "\"content\":\"\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"           \
    "\"completion_tokens\":0}}"

static ph *start(void)
{
    return ph_start("OPENAI", "/v1", "OPENAI_API_KEY");
}

static void test_request_and_success(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {PH_STRICT_SCHEMA, NULL, 0, 500, 0, false};
    const fake_http_request *r;
    json_t *b, *want;
    (void)state;
    b = ph_call_ok(h, "openai:gpt-4.1-mini", &co, "x-request-id: req_abc123\r\n", OK_BODY, &out);
    r = ph_req(h, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/v1/chat/completions");
    assert_string_equal(fake_http_request_header(r, "authorization"), "Bearer " PH_KEY);
    assert_string_equal(fake_http_request_header(r, "content-type"), "application/json");
    assert_string_equal(ph_str(b, "model"), "gpt-4.1-mini");
    assert_string_equal(ph_str(b, "messages.0.role"), "system");
    assert_non_null(strstr(ph_str(b, "messages.0.content"), "data extraction"));
    assert_string_equal(ph_str(b, "messages.1.role"), "user");
    assert_string_equal(ph_str(b, "messages.1.content"), PH_USER_TEXT);
    assert_int_equal(json_integer_value(ph_get(b, "max_completion_tokens")), 500);
    assert_null(ph_get(b, "max_tokens"));
    assert_true(json_is_number(ph_get(b, "temperature")));
    assert_true(json_number_value(ph_get(b, "temperature")) == 0.0);
    assert_string_equal(ph_str(b, "response_format.type"), "json_schema");
    assert_string_equal(ph_str(b, "response_format.json_schema.name"), "invoice");
    assert_true(json_is_true(ph_get(b, "response_format.json_schema.strict")));
    want = json_loads(PH_STRICT_SCHEMA, 0, NULL);
    assert_true(json_equal(want, ph_get(b, "response_format.json_schema.schema")));
    /* with native schema mode the schema is not repeated in the system prompt */
    assert_null(strstr(ph_str(b, "messages.0.content"), "JSON Schema"));
    json_decref(want);
    json_decref(b);
    assert_string_equal(out.text, "{\"name\":\"ACME\",\"total\":99.5}");
    assert_string_equal(out.model, "gpt-4.1-mini-2025-04-14");
    assert_string_equal(out.stop_reason, "stop");
    assert_string_equal(out.request_id, "req_abc123");
    assert_int_equal(out.usage.input_tokens, 412);
    assert_int_equal(out.usage.output_tokens, 24);
    assert_int_equal(out.usage.cached_input_tokens, 128);
    assert_int_equal(out.usage.reasoning_tokens, 0);
    assert_int_equal(out.structured_mode, LLMT_STRUCTURED_JSON_SCHEMA);
    /* priced as the configured gpt-4.1-mini (0.4 / 1.6 per 1M), not the dated snapshot */
    assert_true(out.cost_known);
    PH_ASSERT_NEAR(out.cost_usd, 412 / 1e6 * 0.4 + 24 / 1e6 * 1.6, 1e-12);
    llmt_response_clear(&out);
    ph_assert_log_clean(h);
    assert_non_null(strstr(h->log.data, "/v1/chat/completions"));
    ph_stop(h);
}

/* A schema with an optional property is rewritten by the "strict" rules (closed, every
 * property required) and sent strict; an open map cannot be strict and is sent with
 * strict:false. */
static void test_loose_schema_made_strict(void **state)
{
    ph *h = start();
    llmt_response out;
    llmt_error err;
    ph_call_opts co = {PH_LOOSE_SCHEMA, NULL, 0, 0, 0, false};
    json_t *b, *want;
    (void)state;
    ph_reply(h, 200, NULL, OK_BODY);
    b = ph_call_ok(h, "openai:gpt-4o", &co, NULL, OK_BODY, &out);
    assert_true(out.schema_strict);
    assert_null(out.schema_relaxed);
    llmt_response_clear(&out);
    assert_true(json_is_true(ph_get(b, "response_format.json_schema.strict")));
    want = json_loads("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                      "\"total\":{\"type\":\"number\"}},\"required\":[\"name\",\"total\"],"
                      "\"additionalProperties\":false}", 0, NULL);
    assert_true(json_equal(want, ph_get(b, "response_format.json_schema.schema")));
    json_decref(want);
    json_decref(b);
    co.schema = "{\"type\":\"object\",\"properties\":{\"m\":{\"type\":\"object\","
                "\"additionalProperties\":{\"type\":\"integer\"}}}}";
    assert_int_equal(ph_call(h, "openai:gpt-4o", &co, &out, &err), LLMT_OK);
    assert_false(out.schema_strict);
    b = ph_body(h, 1);
    assert_true(json_is_false(ph_get(b, "response_format.json_schema.strict")));
    /* no max_tokens given: capped to the model's max_output_tokens (16384 for gpt-4o) */
    assert_int_equal(json_integer_value(ph_get(b, "max_completion_tokens")), 16384);
    json_decref(b);
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_reasoning_model(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {PH_STRICT_SCHEMA, NULL, 0, 1000, 0, false};
    json_t *b;
    (void)state;
    ph_answered(h, "openai:gpt-5-mini", &co, NULL,
                "{\"model\":\"gpt-5-mini-2025-08-07\",\"choices\":[{\"message\":{\"content\":"
                "\"{}\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,"
                "\"completion_tokens\":300,\"completion_tokens_details\":{\"reasoning_tokens\":280}}}", &out);
    b = ph_body(h, 0);
    assert_null(ph_get(b, "temperature"));
    assert_null(ph_get(b, "max_tokens"));
    assert_int_equal(json_integer_value(ph_get(b, "max_completion_tokens")), 1000);
    json_decref(b);
    assert_int_equal(out.usage.reasoning_tokens, 280);
    assert_int_equal(out.usage.cached_input_tokens, -1); /* not reported */
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_images(void **state)
{
    ph *h = start();
    llmt_response out;
    llmt_error err;
    llmt_file pdf = {"inv.pdf", "application/pdf", ph_png, sizeof ph_png};
    ph_call_opts co = {NULL, &ph_png_file, 1, 0, 0, false};
    json_t *b;
    (void)state;
    b = ph_call_ok(h, "openai:gpt-4.1-mini", &co, NULL, OK_BODY, &out);
    assert_string_equal(ph_str(b, "messages.1.content.0.type"), "text");
    assert_string_equal(ph_str(b, "messages.1.content.0.text"), PH_USER_TEXT);
    assert_string_equal(ph_str(b, "messages.1.content.1.type"), "image_url");
    assert_string_equal(ph_str(b, "messages.1.content.1.image_url.url"),
                        "data:image/png;base64," PH_PNG_B64);
    json_decref(b);
    llmt_response_clear(&out);
    /* a PDF is not an image type: refused before sending */
    co.files = &pdf;
    assert_int_equal(ph_call(h, "openai:gpt-4.1-mini", &co, &out, &err), LLMT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "inv.pdf"));
    assert_int_equal(fake_http_request_count(h->srv), 1);
    /* over the size limit: refused before sending */
    llmt_manager_free(h->mgr);
    h->mgr = NULL;
    h->max_file_bytes = 8;
    co.files = &ph_png_file;
    assert_int_equal(ph_call(h, "openai:gpt-4.1-mini", &co, &out, &err), LLMT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "inv.png"));
    assert_non_null(strstr(err.message, "limit"));
    assert_int_equal(fake_http_request_count(h->srv), 1);
    ph_stop(h);
}

static void test_fenced_reply_is_text(void **state)
{
    ph *h = start();
    llmt_response out;
    llmt_error err;
    (void)state;
    ph_answered(h, "openai:gpt-4o", NULL, NULL,
                "{\"model\":\"gpt-4o\",\"choices\":[{\"message\":{\"content\":\"```json\\n{\\\"a\\\":1}"
                "\\n```\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,"
                "\"completion_tokens\":2}}", &out);
    assert_string_equal(out.text, "```json\n{\"a\":1}\n```");
    llmt_response_clear(&out);
    /* a refusal is a content filter, not a parse error */
    ph_reply(h, 200, NULL,
             "{\"model\":\"gpt-4o\",\"choices\":[{\"message\":{\"content\":null,\"refusal\":"
             "\"I can't help with that.\"},\"finish_reason\":\"stop\"}]}");
    assert_int_equal(ph_call(h, "openai:gpt-4o", NULL, &out, &err), LLMT_E_CONTENT_FILTER);
    assert_non_null(strstr(err.message, "can't help"));
    ph_stop(h);
}

static void test_modes(void **state)
{
    ph *h = start();
    json_t *b;
    (void)state;
    b = ph_build_body(h, "openai", "gpt-4o", LLMT_STRUCTURED_JSON_OBJECT, PH_STRICT_SCHEMA);
    assert_string_equal(ph_str(b, "response_format.type"), "json_object");
    assert_null(ph_get(b, "response_format.json_schema"));
    assert_null(ph_get(b, "temperature")); /* < 0: provider default */
    assert_null(ph_get(b, "max_completion_tokens"));          /* 0: provider default */
    assert_string_equal(ph_str(b, "messages.0.content"), "sys");
    json_decref(b);
    b = ph_build_body(h, "openai", "gpt-4o", LLMT_STRUCTURED_PROMPT_ONLY, PH_STRICT_SCHEMA);
    assert_null(ph_get(b, "response_format"));
    json_decref(b);
    ph_stop(h);
}

static void test_errors(void **state)
{
    static const ph_err_case cases[] = {
        {"401", 401, NULL,
         "{\"error\":{\"message\":\"Incorrect API key provided: sk-test***1234\",\"type\":"
         "\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}",
         LLMT_E_AUTH, false, -1, "invalid_api_key"},
        {"403", 403, NULL,
         "{\"error\":{\"message\":\"Country, region, or territory not supported\",\"type\":"
         "\"request_forbidden\",\"code\":\"unsupported_country_region_territory\"}}",
         LLMT_E_PERMISSION, false, -1, NULL},
        {"404 model", 404, NULL,
         "{\"error\":{\"message\":\"The model `gpt-9` does not exist\",\"type\":"
         "\"invalid_request_error\",\"code\":\"model_not_found\"}}",
         LLMT_E_NOT_FOUND, false, -1, "model_not_found"},
        {"400 context", 400, NULL,
         "{\"error\":{\"message\":\"This model's maximum context length is 128000 tokens.\","
         "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":"
         "\"context_length_exceeded\"}}",
         LLMT_E_CONTEXT_LENGTH, false, -1, "context_length_exceeded"},
        {"400 bad", 400, NULL,
         "{\"error\":{\"message\":\"Invalid schema for response_format\",\"type\":"
         "\"invalid_request_error\",\"param\":\"response_format\",\"code\":null}}",
         LLMT_E_BAD_REQUEST, false, -1, "invalid_request_error"},
        {"400 content policy", 400, NULL,
         "{\"error\":{\"message\":\"flagged\",\"type\":\"invalid_request_error\",\"code\":"
         "\"content_policy_violation\"}}",
         LLMT_E_CONTENT_FILTER, false, -1, NULL},
        {"429 rate", 429, "retry-after: 2\r\nx-ratelimit-remaining-requests: 0\r\n",
         "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini\",\"type\":\"requests\","
         "\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
         LLMT_E_RATE_LIMIT, true, 2, "rate_limit_exceeded"},
        {"429 rate ms", 429, "retry-after-ms: 1500\r\n",
         "{\"error\":{\"message\":\"slow down\",\"type\":\"tokens\",\"code\":"
         "\"rate_limit_exceeded\"}}",
         LLMT_E_RATE_LIMIT, true, 1.5, NULL},
        {"429 http-date", 429, "Retry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n",
         "{\"error\":{\"message\":\"slow down\",\"type\":\"requests\"}}", LLMT_E_RATE_LIMIT, true,
         0, NULL},
        {"429 quota", 429, "retry-after: 20\r\n",
         "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":"
         "\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}",
         LLMT_E_QUOTA, false, -1, "insufficient_quota"},
        {"500", 500, NULL,
         "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}",
         LLMT_E_SERVER, true, -1, NULL},
        {"503", 503, "retry-after: 1\r\n",
         "{\"error\":{\"message\":\"The engine is currently overloaded\",\"type\":"
         "\"server_error\"}}",
         LLMT_E_OVERLOADED, true, 1, NULL},
    };
    ph *h = start();
    (void)state;
    ph_run_error_cases(h, "openai:gpt-4o-mini", cases, sizeof cases / sizeof cases[0]);
    {
        /* a server that echoes the key: it never reaches the error message */
        llmt_response out;
        llmt_error err;
        ph_reply(h, 401, NULL,
                 "{\"error\":{\"message\":\"Incorrect API key provided: " PH_KEY "\","
                 "\"code\":\"invalid_api_key\"}}");
        assert_int_equal(ph_call(h, "openai:gpt-4o-mini", NULL, &out, &err), LLMT_E_AUTH);
        assert_null(strstr(err.message, PH_KEY));
        assert_non_null(strstr(err.message, "Incorrect API key provided: [REDACTED]"));
    }
    ph_run_transport_cases(h, "openai:gpt-4o-mini", EMPTY_BODY, OK_BODY);
    ph_stop(h);
}

static void test_keys(void **state)
{
    (void)state;
    ph_check_keys("OPENAI", "/v1", "OPENAI_API_KEY", "openai:gpt-4o", OK_BODY,
                  "authorization", "Bearer " PH_KEY);
}

/* Text that is not UTF-8 fails the request build cleanly: nothing is sent. */
static void test_invalid_utf8(void **state)
{
    ph *h = start();
    (void)state;
    ph_refuses_invalid_utf8(h, "openai:gpt-4.1-mini");
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_request_and_success), cmocka_unit_test(test_loose_schema_made_strict),
        cmocka_unit_test(test_reasoning_model),     cmocka_unit_test(test_images),
        cmocka_unit_test(test_fenced_reply_is_text), cmocka_unit_test(test_modes), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
