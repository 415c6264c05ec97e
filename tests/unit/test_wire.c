/* Wire helpers: HTTP-date and duration parsing, Retry-After, base64, excerpts, schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "provider/wire.h"

static void test_http_date(void **state)
{
    double t;
    (void)state;
    assert_true(llmt_wire_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    assert_true(t == 784111777.0);
    assert_true(llmt_wire_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
    assert_true(t == 784111777.0);
    assert_true(llmt_wire_parse_http_date("Sun Nov  6 08:49:37 1994", &t));
    assert_true(t == 784111777.0);
    assert_true(llmt_wire_parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT", &t));
    assert_true(t == 0.0);
    assert_true(llmt_wire_parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT", &t));
    assert_true(t == 1835481599.0);
    assert_false(llmt_wire_parse_http_date("tomorrow", &t));
    assert_false(llmt_wire_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t));
    assert_false(llmt_wire_parse_http_date("Sun, 06 Nov 1994 08:49 GMT", &t));
    assert_false(llmt_wire_parse_http_date("", &t));
}

static void test_duration(void **state)
{
    (void)state;
    assert_true(llmt_wire_parse_duration("37s") == 37.0);
    assert_true(llmt_wire_parse_duration("1.5s") == 1.5);
    assert_true(llmt_wire_parse_duration("250ms") == 0.25);
    assert_true(llmt_wire_parse_duration("6m0s") == 360.0);
    assert_true(llmt_wire_parse_duration("1h2m3.5s") == 3723.5);
    assert_true(llmt_wire_parse_duration("12") == 12.0);
    assert_true(llmt_wire_parse_duration("soon") < 0);
    assert_true(llmt_wire_parse_duration("5x") < 0);
    assert_true(llmt_wire_parse_duration(NULL) < 0);
}

static void test_retry_after(void **state)
{
    llmt_http_header h[2] = {{(char *)"retry-after", (char *)"Sun, 06 Nov 1994 08:49:47 GMT"},
                             {(char *)"x", (char *)"y"}};
    llmt_http_response r = {429, "", 0, h, 2};
    (void)state;
    assert_true(llmt_wire_retry_after(&r, 784111777.0) == 10.0);
    assert_true(llmt_wire_retry_after(&r, 784111800.0) == 0.0); /* in the past */
    h[0].value = (char *)"3";
    assert_true(llmt_wire_retry_after(&r, 0) == 3.0);
    h[0].value = (char *)"garbage";
    assert_true(llmt_wire_retry_after(&r, 0) < 0);
    h[1].name = (char *)"retry-after-ms";
    h[1].value = (char *)"250";
    assert_true(llmt_wire_retry_after(&r, 0) == 0.25);
    r.n_headers = 0;
    assert_true(llmt_wire_retry_after(&r, 0) < 0);
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

static void test_schema_strict_and_close(void **state)
{
    json_t *s;
    (void)state;
    s = json_loads("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":"
                   "[\"a\"],\"additionalProperties\":false}", 0, NULL);
    assert_true(llmt_wire_schema_strict_ok(s));
    json_decref(s);
    /* a nested object in $defs that is open makes the schema non-strict */
    s = json_loads("{\"type\":\"object\",\"properties\":{\"l\":{\"$ref\":\"#/$defs/L\"}},"
                   "\"required\":[\"l\"],\"additionalProperties\":false,\"$defs\":{\"L\":{\"type\":"
                   "\"object\",\"properties\":{\"c\":{\"type\":\"string\"}},\"required\":[\"c\"]}}}",
                   0, NULL);
    assert_false(llmt_wire_schema_strict_ok(s));
    llmt_wire_schema_close_objects(s);
    assert_true(json_is_false(json_object_get(json_object_get(json_object_get(s, "$defs"), "L"),
                                              "additionalProperties")));
    assert_true(llmt_wire_schema_strict_ok(s));
    json_decref(s);
    /* a property named "properties" is not taken for a schema keyword */
    s = json_loads("{\"type\":\"object\",\"properties\":{\"properties\":{\"type\":\"object\","
                   "\"properties\":{}}}}", 0, NULL);
    llmt_wire_schema_close_objects(s);
    assert_null(json_object_get(json_object_get(s, "properties"), "additionalProperties"));
    assert_true(json_is_false(json_object_get(
        json_object_get(json_object_get(s, "properties"), "properties"), "additionalProperties")));
    json_decref(s);
    s = json_loads("{\"type\":\"object\",\"properties\":{\"a\":{},\"b\":{}},\"required\":[\"a\"],"
                   "\"additionalProperties\":false}", 0, NULL);
    assert_false(llmt_wire_schema_strict_ok(s));
    json_decref(s);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_date),     cmocka_unit_test(test_duration),
        cmocka_unit_test(test_retry_after),   cmocka_unit_test(test_base64),
        cmocka_unit_test(test_excerpt),       cmocka_unit_test(test_schema_strict_and_close),
        cmocka_unit_test(test_schema_name_and_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
