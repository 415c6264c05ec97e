/* The compact printer (core/jsonw.c) must print exactly what json_dumps prints with
 * JSON_COMPACT [| JSON_ENSURE_ASCII]: results.jsonl and request bodies switched to it
 * for speed, and their bytes must not change. */
#include <math.h>
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

/* Reals where the printer computes the 17 digits itself rather than with snprintf
 * (latencies, costs, scores: about 1e-11 to 1e35): exact digits, rounding half to even
 * on exact ties (1 + odd/2^17 has 18 significant digits ending in 5), and the switch
 * between fixed and exponent notation around powers of ten. */
static void test_random_reals_digits(void **state)
{
    uint64_t x = 0xD1B54A32D192ED03u;
    int i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        double v[8];
        int p, k;
        json_t *a;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p = (int)(x % 50) - 14;
        v[0] = (double)(x >> 11) / 9007199254740992.0 * pow(10, p);
        v[1] = 1.0 + (double)(2 * (x % 65536) + 1) / 131072.0;
        v[2] = ldexp(1.0 + (double)(2 * ((x >> 20) % 1024) + 1) / 2048.0, (int)((x >> 40) % 100) - 40);
        v[3] = pow(10, p) * (1 - ldexp(1, -53 + (int)((x >> 8) % 4)));
        v[4] = pow(10, p) * (1 + ldexp(1, -52 + (int)((x >> 8) % 4)));
        v[5] = (double)(x % 100000000) / 1000.0;
        v[6] = -(double)((x >> 17) % 1000000) * 1e-7;
        v[7] = ldexp((double)(x >> 11), (int)((x >> 3) % 140) - 100);
        a = json_array();
        for (k = 0; k < 8; k++)
            json_array_append_new(a, json_real(v[k]));
        check_same(a);
        json_decref(a);
    }
}

/* Random strings with the characters that need escaping, multi-byte characters and
 * invalid bytes at every offset: the printer scans plain runs eight bytes at a time, so
 * what follows a run must be found wherever it sits. */
static void test_random_strings(void **state)
{
    static const char *const pieces[] = {"a", "Z", " ", "~", "\"", "\\", "/", "\x01", "\x1f",
                                         "\x7f", "\n", "\t", "\xc3\xa9", "\xe4\xb8\xad",
                                         "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "\xff", "\xc3"};
    uint64_t x = 0x853C49E6748FEA9Bu;
    int i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        char text[160];
        size_t len = 0, n, k;
        json_t *s, *valid;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        n = (size_t)(x % 40);
        for (k = 0; k < n; k++) {
            uint64_t r = (x >> (k % 48)) ^ (uint64_t)(k * 2654435761u);
            /* mostly plain letters, so that long plain runs occur */
            const char *p = r % 3 ? "a" : pieces[(r >> 3) % (sizeof pieces / sizeof pieces[0])];
            memcpy(text + len, p, strlen(p));
            len += strlen(p);
        }
        s = json_stringn_nocheck(text, len);
        valid = json_stringn(text, len); /* NULL unless valid UTF-8 */
        assert_non_null(s);
        if (valid) {
            check_same(s);
        } else {
            llmt_buf b = {0};
            assert_false(llmt_json_dump_compact(s, &b, true));
            assert_false(llmt_json_dump_compact(s, &b, false));
            llmt_buf_free(&b);
        }
        json_decref(valid);
        json_decref(s);
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
        cmocka_unit_test(test_random_reals_digits),
        cmocka_unit_test(test_random_strings),
        cmocka_unit_test(test_invalid_utf8_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
