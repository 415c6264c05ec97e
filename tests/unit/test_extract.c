/* JSON extraction from replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "score/extract.h"

/* Extracts and checks the method; returns the value (caller decrefs). */
static json_t *extract_ok(const char *text, llmt_extract_method want)
{
    json_t *v = NULL;
    llmt_extract_method m;
    llmt_error err;
    llmt_status st = llmt_extract_json(text, &v, &m, &err);
    if (st != LLMT_OK)
        fail_msg("extraction failed: %s", err.message);
    assert_non_null(v);
    assert_int_equal(m, want);
    return v;
}

static void extract_fails(const char *text, const char *want_in_message)
{
    json_t *v = (json_t *)1;
    llmt_extract_method m = LLMT_EXTRACT_WHOLE;
    llmt_error err;
    assert_int_equal(llmt_extract_json(text, &v, &m, &err), LLMT_E_PARSE);
    assert_null(v);
    assert_int_equal(m, LLMT_EXTRACT_NONE);
    if (!strstr(err.message, want_in_message))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, want_in_message);
}

static void test_extract_whole(void **state)
{
    json_t *v;
    (void)state;
    v = extract_ok("  {\"a\": 1}\n", LLMT_EXTRACT_WHOLE);
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
    json_decref(v);
    /* any JSON value is taken whole; the scorer then says the type is wrong */
    v = extract_ok("[1,2]", LLMT_EXTRACT_WHOLE);
    assert_true(json_is_array(v));
    json_decref(v);
    v = extract_ok("\xEF\xBB\xBF{\"bom\":true}", LLMT_EXTRACT_WHOLE);
    assert_true(json_is_true(json_object_get(v, "bom")));
    json_decref(v);
}

static void test_extract_json_fence(void **state)
{
    json_t *v;
    (void)state;
    v = extract_ok("Here is the data:\n```json\n{\"a\": \"x\"}\n```\nHope it helps {not json}",
                   LLMT_EXTRACT_FENCE);
    assert_string_equal(json_string_value(json_object_get(v, "a")), "x");
    json_decref(v);
    v = extract_ok("```JSON\n{\"a\": 2}\n```", LLMT_EXTRACT_FENCE);
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 2);
    json_decref(v);
}

static void test_extract_bare_fence(void **state)
{
    json_t *v;
    (void)state;
    v = extract_ok("Result:\n```\n{\"a\": [1, 2]}\n```", LLMT_EXTRACT_FENCE);
    assert_int_equal(json_array_size(json_object_get(v, "a")), 2);
    json_decref(v);
    /* an inline fence */
    v = extract_ok("Result: ```{\"a\": 3}```", LLMT_EXTRACT_FENCE);
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 3);
    json_decref(v);
}

static void test_extract_skips_other_language_fences(void **state)
{
    json_t *v;
    (void)state;
    v = extract_ok("```python\nprint({'x': 1})\n```\nand\n```json\n{\"b\": 1}\n```",
                   LLMT_EXTRACT_FENCE);
    assert_int_equal(json_integer_value(json_object_get(v, "b")), 1);
    json_decref(v);
}

static void test_extract_unclosed_fence(void **state)
{
    json_t *v;
    (void)state;
    v = extract_ok("```json\n{\"a\": 1}\n", LLMT_EXTRACT_FENCE);
    json_decref(v);
}

static void test_extract_braces_matching(void **state)
{
    json_t *v;
    (void)state;
    /* the matching '}', not the last one in the text */
    v = extract_ok("The answer is {\"a\": {\"b\": 1}} and {this} is prose.", LLMT_EXTRACT_BRACES);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "a"), "b")), 1);
    json_decref(v);
    /* braces and quotes inside strings, escaped quotes */
    v = extract_ok("Sure! {\"t\": \"a } b { c\", \"q\": \"say \\\"}\\\" now\"} Thanks}",
                   LLMT_EXTRACT_BRACES);
    assert_string_equal(json_string_value(json_object_get(v, "t")), "a } b { c");
    assert_string_equal(json_string_value(json_object_get(v, "q")), "say \"}\" now");
    json_decref(v);
    /* a fence that is not JSON falls back to braces */
    v = extract_ok("```\nnot json\n```\n{\"c\": 1}", LLMT_EXTRACT_BRACES);
    json_decref(v);
}

static void test_extract_failures(void **state)
{
    (void)state;
    extract_fails("I could not find any data.", "no JSON object found");
    extract_fails("", "no JSON object found");
    /* truncated: never closed, with the parser's position in reply coordinates */
    extract_fails("Here:\n{\"a\": 1, \"b\": [1, 2", "line 2, column 1 is never closed");
    extract_fails("Here:\n{\"a\": 1, \"b\": [1, 2", "line 2, column");
    /* invalid inside matched braces: the parser's message with line and column */
    extract_fails("x\n{\"a\": tru}", "the object at line 2, column 1 is not valid JSON: line 2");
    /* an invalid json fence and no object: says which */
    extract_fails("```json\n[1, 2,\n```", "the ``` block at line 1 is not valid JSON");
}

static void test_extract_method_names(void **state)
{
    (void)state;
    assert_string_equal(llmt_extract_method_name(LLMT_EXTRACT_WHOLE), "whole");
    assert_string_equal(llmt_extract_method_name(LLMT_EXTRACT_FENCE), "fence");
    assert_string_equal(llmt_extract_method_name(LLMT_EXTRACT_BRACES), "braces");
    assert_string_equal(llmt_extract_method_name(LLMT_EXTRACT_NONE), "none");
}

/* Random garbage with JSON-ish characters must never crash (run under ASan). */
static void test_extract_random_input(void **state)
{
    const char alphabet[] = "{}[]\"\\:,` \njson0123abc";
    uint64_t x = 0x9E3779B97F4A7C15u;
    int round;
    (void)state;
    for (round = 0; round < 2000; round++) {
        char buf[64];
        size_t n, i;
        json_t *v = NULL;
        llmt_extract_method m;
        llmt_error err;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        n = (size_t)(x % (sizeof buf));
        for (i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = alphabet[x % (sizeof alphabet - 1)];
        }
        buf[n] = '\0';
        if (llmt_extract_json(buf, &v, &m, &err) == LLMT_OK) {
            assert_non_null(v);
            assert_int_not_equal(m, LLMT_EXTRACT_NONE);
        } else {
            assert_null(v);
            assert_true(err.message[0] != '\0');
        }
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_whole),
        cmocka_unit_test(test_extract_json_fence),
        cmocka_unit_test(test_extract_bare_fence),
        cmocka_unit_test(test_extract_skips_other_language_fences),
        cmocka_unit_test(test_extract_unclosed_fence),
        cmocka_unit_test(test_extract_braces_matching),
        cmocka_unit_test(test_extract_failures),
        cmocka_unit_test(test_extract_method_names),
        cmocka_unit_test(test_extract_random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
