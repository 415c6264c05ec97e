/* The compact printer (core/jsonw.c) must print exactly what json_dumps prints with
 * JSON_COMPACT [| JSON_ENSURE_ASCII]: results.jsonl and request bodies switched to it
 * for speed, and their bytes must not change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/jsonw.h"

static void check_same(const json_t *v)
{
    int ascii;
    for (ascii = 0; ascii < 2; ascii++) {
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | (ascii ? JSON_ENSURE_ASCII : 0));
        char *got = llmt_json_dumps_compact(v, ascii != 0);
        assert_non_null(want);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(want);
        free(got);
    }
}

static void test_fixed_documents(void **state)
{
    static const char *docs[] = {
        "{}", "[]", "null", "true", "false", "0", "-12345678901234", "\"\"",
        "{\"a\":1,\"b\":[1,2.5,-0.0,1e300,1e-300,3.0,100000000000000000000.0],\"c\":{\"d\":null}}",
        "[0.1,0.2,0.30000000000000004,2.5199999999999999e-05,6.1286970004439354,1e5,123456789.0]",
        "{\"z\":1,\"a\":2,\"m\":3}",
        "[9223372036854775807,-9223372036854775808,-1,10]",
        "[999999999999999.0,-999999999999999.0,1000000000000000.0,-1000000000000000.0,1e15,123456789012345.0,-7.0,0.0]",
        "\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f \\u0001 \\u001f \\u007f\"",
        "\"caf\\u00e9 \\u4e2d\\u6587 \\ud83d\\ude00 \\u2028 end\"",
        "{\"k\\u00e9y \\\"q\\\"\":[{\"x\":[[[]]]},\"\\u0000nul inside\"]}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_error_t e;
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        assert_non_null(v);
        check_same(v);
        json_decref(v);
    }
}

/* Random reals and integers: the %.17g form and the exponent clean-up must match. */
static void test_random_numbers(void **state)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    int i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        double d;
        json_t *a;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(&d, &x, sizeof d);
        if (d != d || d - d != 0)
            d = (double)(int64_t)x / 1e9; /* NaN and infinities are not JSON */
        a = json_pack("[f,f,I,f,f]", d, (double)(int32_t)x, (json_int_t)x, (double)(x % 1000) / 8,
                      (double)((int64_t)x >> 13)); /* integral, around the 1e15 cut-off */
        assert_non_null(a);
        check_same(a);
        json_decref(a);
    }
}

static void test_invalid_utf8_refused(void **state)
{
    json_t *s = json_stringn_nocheck("a\xff" "b", 3);
    llmt_buf b = {0};
    (void)state;
    assert_false(llmt_json_dump_compact(s, &b, true));
    assert_null(llmt_json_dumps_compact(s, false));
    assert_null(json_dumps(s, JSON_COMPACT | JSON_ENCODE_ANY)); /* jansson refuses it too */
    llmt_buf_free(&b);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_documents),
        cmocka_unit_test(test_random_numbers),
        cmocka_unit_test(test_invalid_utf8_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
