/* The openrouter provider against the in-process fake server, incl. the model catalog. */
#include "unit/provider_harness.h"
#include "http/http.h"
#include "provider/manager_internal.h"

#define OK_BODY                                                                                \
    "{\"id\":\"gen-1\",\"object\":\"chat.completion\",\"created\":1764067200,\"model\":"        \
    "\"openai/gpt-4.1-mini-2025-04-14\",\"provider\":\"OpenAI\",\"choices\":[{\"index\":0,"     \
    "\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"name\\\":\\\"ACME\\\","             \
    "\\\"total\\\":99.5}\",\"reasoning\":null},\"finish_reason\":\"stop\","                    \
    "\"native_finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":100,"                    \
    "\"completion_tokens\":10,\"total_tokens\":110,\"prompt_tokens_details\":"                  \
    "{\"cached_tokens\":40},\"completion_tokens_details\":{\"reasoning_tokens\":3},"            \
    "\"cost\":0.000056}}"

#define EMPTY_BODY                                                                             \
    "{\"model\":\"openai/gpt-4.1-mini\",\"choices\":[{\"message\":{\"content\":\"\"},"           \
    "\"finish_reason\":\"stop\"}]}"

static ph *start(void)
{
    return ph_start("OPENROUTER", "/api/v1", "OPENROUTER_API_KEY");
}

static void test_request_and_success(void **state)
{
    ph *h = start();
    llmt_response out;
    ph_call_opts co = {PH_STRICT_SCHEMA, NULL, 0, 400, 0, false};
    const fake_http_request *r;
    json_t *b;
    (void)state;
    b = ph_call_ok(h, "openrouter:openai/gpt-4.1-mini", &co, NULL, OK_BODY, &out);
    r = ph_req(h, 0);
    assert_string_equal(r->path, "/api/v1/chat/completions");
    assert_string_equal(fake_http_request_header(r, "authorization"), "Bearer " PH_KEY);
    assert_string_equal(fake_http_request_header(r, "x-title"), "llm-tester");
    assert_string_equal(ph_str(b, "model"), "openai/gpt-4.1-mini");
    assert_int_equal(json_integer_value(ph_get(b, "max_tokens")), 400);
    assert_string_equal(ph_str(b, "response_format.type"), "json_schema");
    assert_true(json_is_true(ph_get(b, "response_format.json_schema.strict")));
    assert_true(json_is_true(ph_get(b, "provider.require_parameters")));
    json_decref(b);
    assert_string_equal(out.model, "openai/gpt-4.1-mini-2025-04-14");
    assert_int_equal(out.usage.input_tokens, 100);
    assert_int_equal(out.usage.cached_input_tokens, 40);
    assert_int_equal(out.usage.reasoning_tokens, 3);
    PH_ASSERT_NEAR(out.cost_usd, 100 / 1e6 * 0.4 + 10 / 1e6 * 1.6, 1e-12);
    llmt_response_clear(&out);
    ph_assert_log_clean(h);
    /* no schema: no response_format, no routing constraint */
    b = ph_call_ok(h, "openrouter:openai/gpt-4.1-mini", NULL, NULL, OK_BODY, &out);
    assert_null(ph_get(b, "response_format"));
    assert_null(ph_get(b, "provider"));
    json_decref(b);
    llmt_response_clear(&out);
    ph_stop(h);
}

static void test_errors_inside_200(void **state)
{
    ph *h = start();
    llmt_response out;
    llmt_error err;
    (void)state;
    ph_reply(h, 200, NULL,
             "{\"model\":\"openai/gpt-4.1-mini\",\"choices\":[{\"message\":{\"content\":\"{\\\"a\"},"
             "\"finish_reason\":\"error\",\"error\":{\"code\":502,\"message\":\"upstream died\"}}]}");
    assert_int_equal(ph_call(h, "openrouter:openai/gpt-4.1-mini", NULL, &out, &err), LLMT_E_SERVER);
    assert_true(err.retryable);
    assert_non_null(strstr(err.message, "upstream died"));
    ph_reply(h, 200, NULL,
             "{\"model\":\"openai/gpt-4.1-mini\",\"choices\":[{\"message\":{\"content\":\"\"},"
             "\"finish_reason\":\"content_filter\"}]}");
    assert_int_equal(ph_call(h, "openrouter:openai/gpt-4.1-mini", NULL, &out, &err),
                     LLMT_E_CONTENT_FILTER);
    ph_answered(h, "openrouter:openai/gpt-4.1-mini", NULL, NULL,
                "{\"model\":\"x\",\"choices\":[{\"message\":{\"content\":\"```json\\n{}\\n```\"},"
                "\"finish_reason\":\"stop\"}]}", &out);
    assert_string_equal(out.text, "```json\n{}\n```");
    llmt_response_clear(&out);
    ph_stop(h);
}

#define ORERR(code, msg) "{\"error\":{\"code\":" code ",\"message\":\"" msg "\",\"metadata\":{}}}"

static void test_modes(void **state)
{
    ph *h = start();
    json_t *b;
    (void)state;
    b = ph_build_body(h, "openrouter", "openai/gpt-4.1-mini", LLMT_STRUCTURED_JSON_OBJECT, PH_STRICT_SCHEMA);
    assert_string_equal(ph_str(b, "response_format.type"), "json_object");
    assert_null(ph_get(b, "response_format.json_schema"));
    assert_null(ph_get(b, "temperature")); /* < 0: provider default */
    assert_null(ph_get(b, "max_tokens"));          /* 0: provider default */
    assert_string_equal(ph_str(b, "messages.0.content"), "sys");
    json_decref(b);
    b = ph_build_body(h, "openrouter", "openai/gpt-4.1-mini", LLMT_STRUCTURED_PROMPT_ONLY, PH_STRICT_SCHEMA);
    assert_null(ph_get(b, "response_format"));
    json_decref(b);
    ph_stop(h);
}

static void test_errors(void **state)
{
    static const ph_err_case cases[] = {
        {"401", 401, NULL, ORERR("401", "No auth credentials found"), LLMT_E_AUTH, false, -1,
         "401"},
        {"402", 402, NULL,
         ORERR("402", "Insufficient credits. Add more using https://openrouter.ai/settings/credits"),
         LLMT_E_QUOTA, false, -1, "402"},
        {"403 moderation", 403, NULL,
         "{\"error\":{\"code\":403,\"message\":\"Input was flagged\",\"metadata\":{\"reasons\":"
         "[\"violence\"],\"flagged_input\":\"...\"}}}",
         LLMT_E_CONTENT_FILTER, false, -1, NULL},
        {"403", 403, NULL, ORERR("403", "Key disabled"), LLMT_E_PERMISSION, false, -1, NULL},
        {"404", 404, NULL, ORERR("404", "No endpoints found for openai/gpt-9."), LLMT_E_NOT_FOUND,
         false, -1, NULL},
        {"400 context", 400, NULL,
         ORERR("400", "This endpoint's maximum context length is 128000 tokens. However, you "
                      "requested about 200000 tokens"),
         LLMT_E_CONTEXT_LENGTH, false, -1, NULL},
        {"400", 400, NULL, ORERR("400", "Invalid request"), LLMT_E_BAD_REQUEST, false, -1, NULL},
        {"408", 408, NULL, ORERR("408", "Request timed out"), LLMT_E_TIMEOUT, true, -1, NULL},
        {"429", 429, "Retry-After: 7\r\n", ORERR("429", "Rate limit exceeded"), LLMT_E_RATE_LIMIT,
         true, 7, NULL},
        {"500", 500, NULL, ORERR("500", "Internal Server Error"), LLMT_E_SERVER, true, -1, NULL},
        {"502", 502, NULL, ORERR("502", "Provider returned error"), LLMT_E_SERVER, true, -1, NULL},
        {"503", 503, NULL, ORERR("503", "No available provider"), LLMT_E_OVERLOADED, true, -1,
         NULL},
    };
    ph *h = start();
    (void)state;
    ph_run_error_cases(h, "openrouter:openai/gpt-4.1-mini", cases, sizeof cases / sizeof cases[0]);
    ph_run_transport_cases(h, "openrouter:openai/gpt-4.1-mini", EMPTY_BODY, OK_BODY);
    ph_stop(h);
}

/* build_catalog_request -> the library's HTTP -> parse_catalog. */
static llmt_status catalog(ph *h, llmt_catalog_entry **v, size_t *n, llmt_error *err)
{
    llmt_manager *m = ph_manager(h, 0);
    llmt_provider_entry *e = llmt_registry_find(llmt_manager_registry(m), "openrouter");
    llmt_http_request req;
    llmt_http_result res;
    llmt_http_options o;
    llmt_http_response view;
    llmt_status st;
    assert_non_null(e);
    assert_non_null(e->ops->build_catalog_request);
    assert_non_null(e->ops->parse_catalog);
    assert_int_equal(llmt_manager_instance(m, e, err), LLMT_OK);
    memset(&req, 0, sizeof req);
    assert_int_equal(e->ops->build_catalog_request(e->state, &req, err), LLMT_OK);
    memset(&o, 0, sizeof o);
    o.timeout_ms = 5000;
    o.secret = e->api_key;
    st = llmt_http_perform(&req, &o, &res, err);
    llmt_http_request_clear(&req);
    if (st != LLMT_OK)
        return st;
    view = llmt_http_result_view(&res);
    st = e->ops->parse_catalog(e->state, &view, v, n, err);
    llmt_http_result_free(&res);
    return st;
}

static void test_catalog(void **state)
{
    ph *h = start();
    llmt_catalog_entry *v = NULL;
    size_t n = 0;
    llmt_error err;
    const fake_http_request *r;
    (void)state;
    ph_reply(h, 200, NULL,
             "{\"data\":[{\"id\":\"openai/gpt-4o-mini\",\"canonical_slug\":\"openai/gpt-4o-mini\","
             "\"name\":\"OpenAI: GPT-4o-mini\",\"context_length\":128000,\"pricing\":{\"prompt\":"
             "\"0.00000015\",\"completion\":\"0.0000006\",\"request\":\"0\",\"image\":\"0.000217\"},"
             "\"top_provider\":{\"context_length\":128000,\"max_completion_tokens\":16384,"
             "\"is_moderated\":true},\"supported_parameters\":[\"response_format\"]},"
             "{\"id\":\"openrouter/auto\",\"name\":\"Auto Router\",\"context_length\":2000000,"
             "\"pricing\":{\"prompt\":\"-1\",\"completion\":\"-1\"},\"top_provider\":"
             "{\"context_length\":null,\"max_completion_tokens\":null}},"
             "{\"id\":\"meta-llama/llama-3.3-70b-instruct:free\",\"name\":\"Llama free\","
             "\"pricing\":{\"prompt\":\"0\",\"completion\":\"1e-7\"},\"top_provider\":"
             "{\"context_length\":65536}},"
             "{\"name\":\"no id, skipped\"}]}");
    assert_int_equal(catalog(h, &v, &n, &err), LLMT_OK);
    r = ph_req(h, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/api/v1/models");
    assert_string_equal(fake_http_request_header(r, "authorization"), "Bearer " PH_KEY);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].id, "openai/gpt-4o-mini");
    assert_string_equal(v[0].name, "OpenAI: GPT-4o-mini");
    PH_ASSERT_NEAR(v[0].cost_input, 0.15, 1e-9);
    PH_ASSERT_NEAR(v[0].cost_output, 0.6, 1e-9);
    assert_int_equal(v[0].context_length, 128000);
    assert_int_equal(v[0].max_output_tokens, 16384);
    assert_string_equal(v[1].id, "openrouter/auto");
    assert_true(v[1].cost_input < 0);
    assert_true(v[1].cost_output < 0);
    assert_int_equal(v[1].max_output_tokens, 0);
    PH_ASSERT_NEAR(v[2].cost_input, 0.0, 1e-12);
    PH_ASSERT_NEAR(v[2].cost_output, 0.1, 1e-9);
    assert_int_equal(v[2].context_length, 65536);
    llmt_catalog_entries_free(v, n);
    /* not JSON, wrong shape, an error status */
    ph_reply(h, 200, NULL, "<html>");
    assert_int_equal(catalog(h, &v, &n, &err), LLMT_E_BAD_RESPONSE);
    assert_null(v);
    ph_reply(h, 200, NULL, "{\"models\":[]}");
    assert_int_equal(catalog(h, &v, &n, &err), LLMT_E_BAD_RESPONSE);
    assert_non_null(strstr(err.message, "data"));
    ph_reply(h, 503, "Retry-After: 9\r\n", ORERR("503", "down"));
    assert_int_equal(catalog(h, &v, &n, &err), LLMT_E_OVERLOADED);
    PH_ASSERT_NEAR(err.retry_after_s, 9, 1e-9);
    ph_stop(h);
}

/* Text that is not UTF-8 fails the request build cleanly: nothing is sent. */
static void test_invalid_utf8(void **state)
{
    ph *h = start();
    (void)state;
    ph_refuses_invalid_utf8(h, "openrouter:openai/gpt-4.1-mini");
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_request_and_success),
        cmocka_unit_test(test_errors_inside_200),
        cmocka_unit_test(test_modes), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
