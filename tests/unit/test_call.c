/* provider/call.c: a body cut short by the connection is a retryable bad_response; a
 * key the server echoes back (in a 2xx reply's text, model or id,
 * or in an error message) is redacted before the reply is used or stored, on the
 * blocking path here and the engine's (both go through llmt_call_handle_http). */
#include "unit/provider_harness.h"

static void test_echoed_key_is_redacted(void **state)
{
    ph *h = ph_start("OPENAI", "", "OPENAI_API_KEY");
    llmt_response out;
    llmt_error err;
    (void)state;
    ph_reply(h, 200, "x-request-id: " PH_KEY "\r\n",
             "{\"id\":\"chatcmpl-" PH_KEY "\",\"model\":\"m-" PH_KEY "\",\"choices\":[{\"index\":0,"
             "\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"echo\\\":\\\"" PH_KEY
             "\\\"}\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
             "\"completion_tokens\":4}}");
    assert_int_equal(ph_call(h, "openai:gpt-4.1-mini", NULL, &out, &err), LLMT_OK);
    assert_string_equal(out.text, "{\"echo\":\"[REDACTED]\"}");
    assert_string_equal(out.model, "m-[REDACTED]");
    assert_null(strstr(out.request_id ? out.request_id : "", PH_KEY));
    llmt_response_clear(&out);
    ph_reply(h, 401, NULL,
             "{\"error\":{\"message\":\"Incorrect API key provided: " PH_KEY "\",\"type\":"
             "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
    assert_int_equal(ph_call(h, "openai:gpt-4.1-mini", NULL, &out, &err), LLMT_E_AUTH);
    assert_null(strstr(err.message, PH_KEY));
    assert_non_null(strstr(err.message, "[REDACTED]"));
    ph_assert_log_clean(h);
    ph_stop(h);
}

/* A 2xx body without Content-Length that ends with the connection before its JSON does
 * is a truncated reply: bad_response, retryable (as one cut short of its
 * Content-Length), not a final answer. */
static void test_body_cut_by_the_connection_is_retryable(void **state)
{
    static const char body[] =
        "{\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
        "\"assistant\",\"content\":\"{\\\"a\\\":1}\"},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}";
    ph *h = ph_start("OPENAI", "", "OPENAI_API_KEY");
    fake_http_reply r;
    llmt_response out;
    llmt_error err;
    (void)state;
    memset(&r, 0, sizeof r);
    r.status = 200;
    r.body = body;
    r.body_len = -1;
    r.no_length = 1;
    r.truncate = 1;
    fake_http_push_reply(h->srv, &r);
    assert_int_equal(ph_call(h, "openai:gpt-4.1-mini", NULL, &out, &err), LLMT_E_BAD_RESPONSE);
    assert_true(err.retryable);
    assert_non_null(strstr(err.message, "the body ended with the connection: truncated"));
    /* the whole body, ended by the connection: a normal answer */
    r.truncate = 0;
    fake_http_push_reply(h->srv, &r);
    assert_int_equal(ph_call(h, "openai:gpt-4.1-mini", NULL, &out, &err), LLMT_OK);
    assert_string_equal(out.text, "{\"a\":1}");
    llmt_response_clear(&out);
    /* complete JSON without the expected fields is not a truncation: not retried */
    r.body = "{\"nothing\":1}";
    fake_http_push_reply(h->srv, &r);
    assert_int_equal(ph_call(h, "openai:gpt-4.1-mini", NULL, &out, &err), LLMT_E_BAD_RESPONSE);
    assert_false(err.retryable);
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echoed_key_is_redacted),
        cmocka_unit_test(test_body_cut_by_the_connection_is_retryable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
