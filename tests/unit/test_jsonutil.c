/* core/jsonutil: JSON pointers, JSON Schema equality, lenient loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "test_json.h"

static void test_jsonutil_pointer_escapes_and_pops(void **state)
{
    llmt_buf b = {0};
    size_t m1, m2;
    (void)state;
    llmt_buf_puts(&b, "");
    m1 = llmt_jptr_push(&b, "a/b~c", 5);
    assert_string_equal(b.data, "/a~1b~0c");
    m2 = llmt_jptr_push_index(&b, 12);
    assert_string_equal(b.data, "/a~1b~0c/12");
    llmt_jptr_pop(&b, m2);
    assert_string_equal(b.data, "/a~1b~0c");
    llmt_jptr_push(&b, "x\0y", 3); /* a key with a NUL keeps its length */
    assert_int_equal(b.len, strlen("/a~1b~0c") + 4);
    llmt_jptr_pop(&b, m1);
    assert_string_equal(b.data, "");
    llmt_buf_free(&b);
}

static void test_jsonutil_equality_by_value(void **state)
{
    json_t *a = J("{\"x\": [1, 2.0, {\"k\": null}], \"y\": \"s\"}");
    json_t *b = J("{\"y\": \"s\", \"x\": [1.0, 2, {\"k\": null}]}");
    json_t *c = J("{\"y\": \"s\", \"x\": [1.0, 2, {\"k\": false}]}");
    json_t *big = json_integer(9007199254740993LL); /* 2^53 + 1: no double equals it */
    json_t *bigr = json_real(9007199254740992.0), *one = json_integer(1), *onef = json_real(1.0);
    json_t *s1 = json_stringn("a\0b", 3), *s2 = json_stringn("a\0c", 3), *t = json_true(), *f = json_false();
    (void)state;
    assert_true(llmt_json_equal(a, b, false));
    assert_false(llmt_json_equal(a, c, false));
    assert_false(llmt_json_equal(big, bigr, false));
    assert_true(llmt_json_number_cmp(big, bigr) > 0);
    assert_true(llmt_json_number_cmp(bigr, big) < 0);
    assert_true(llmt_json_equal(one, onef, false));
    assert_false(llmt_json_equal(one, t, false)); /* true is not 1 in JSON Schema */
    assert_false(llmt_json_equal(t, f, false));
    assert_false(llmt_json_equal(s1, s2, false));
    assert_true(llmt_json_equal(s1, s1, false));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(big);
    json_decref(bigr);
    json_decref(one);
    json_decref(onef);
    json_decref(s1);
    json_decref(s2);
}

static void test_jsonutil_load_accepts_nul_and_big_numbers(void **state)
{
    static const char text[] = "{\"s\": \"a\\u0000b\", \"n\": 123456789012345678901234567890, \"i\": 7}";
    json_error_t je;
    json_t *v = llmt_json_loadb(text, sizeof text - 1, 0, &je);
    (void)state;
    assert_non_null(v);
    assert_int_equal(json_string_length(json_object_get(v, "s")), 3);
    assert_true(json_is_real(json_object_get(v, "n")));
    assert_true(json_real_value(json_object_get(v, "n")) > 1.2e29);
    assert_true(json_number_value(json_object_get(v, "i")) == 7);
    json_decref(v);
    assert_null(llmt_json_loadb("{\"a\": }", 7, 0, &je)); /* still refuses what isn't JSON */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonutil_pointer_escapes_and_pops),
        cmocka_unit_test(test_jsonutil_equality_by_value),
        cmocka_unit_test(test_jsonutil_load_accepts_nul_and_big_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
