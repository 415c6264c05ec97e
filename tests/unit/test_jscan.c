/* core/jscan: same verdict as json_loadb(.., 0) on every input, and accessors that
 * read what jansson reads. Hand-picked edge cases plus a differential fuzz over
 * mutated documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/jscan.h"
#include "core/utf8.h"
#include "llmt/error.h"

static bool jansson_ok(const char *s, size_t n)
{
    json_t *v = json_loadb(s, n, 0, NULL);
    bool ok = v != NULL;
    json_decref(v);
    return ok;
}

static void check_verdict(const char *s, size_t n)
{
    llmt_jval root;
    char why[128];
    bool ours = llmt_jscan_parse(s, n, &root, why, sizeof why);
    bool theirs = jansson_ok(s, n);
    if (ours != theirs)
        fail_msg("verdict differs on [%.*s]: jscan %d (%s), jansson %d", (int)n, s, ours,
                 ours ? "ok" : why, theirs);
}

static void test_edge_cases(void **state)
{
    static const char *const cases[] = {
        "{}", "[]", " { } ", "\n[\t]\r\n", "{\"a\":1}", "[1,2,3]", "[1,]", "{\"a\":1,}", "{,}",
        "", " ", "1", "\"s\"", "true", "null", "[true]", "[truex]", "[tru]", "[nul]", "[false ]",
        "[-]", "[-0]", "[01]", "[0.]", "[.5]", "[1e]", "[1e+]", "[1E-2]", "[1.5e300]", "[1e400]",
        "[-1e400]", "[1e-400]", "[9223372036854775807]", "[9223372036854775808]",
        "[-9223372036854775808]", "[-9223372036854775809]", "[\"a\\u0000b\"]", "[\"\\u0001\"]",
        "[\"\\ud83d\\ude00\"]", "[\"\\ud83d\"]", "[\"\\ude00\"]", "[\"\\ud83dx\"]", "[\"\\uZZZZ\"]",
        "[\"\\x\"]", "[\"\\/\"]", "[\"tab\there\"]", "[\"unterminated]", "{\"a\" 1}", "{\"a\":}",
        "{1:2}", "[1 2]", "[1}", "{\"a\":1]", "[] x", "[][]", "{\"a\":{\"b\":[1,{\"c\":null}]}}",
        "[\"\xc3\xa9\"]", "[\"\xc3\"]", "[\"\xe2\x82\xac\"]", "[\"\xed\xa0\x80\"]", "[\"\xc0\xaf\"]",
        "[\"\xf4\x90\x80\x80\"]", "[\"\xf0\x9f\x98\x80\"]", "\xef\xbb\xbf{}", "[1.0e+5]", "[-0.0]",
        "[1E5]", "{\"\":0}", "{\"a\":1,\"a\":2}",
    };
    size_t i;
    char deep[5000];
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_verdict(cases[i], strlen(cases[i]));
    /* the depth limit: 2048 nested arrays parse, 2049 do not (as in jansson) */
    for (i = 2046; i <= 2050; i++) {
        memset(deep, '[', i);
        memset(deep + i, ']', i);
        check_verdict(deep, 2 * i);
    }
    /* an embedded NUL byte outside a string */
    check_verdict("[1]\0", 4);
    check_verdict("[\"a\0b\"]", 7);
    /* one NUL right after a number or a literal is lost by jansson's reader (found by
     * tests/fuzz/fuzz_jscan.c; corpus/jscan/nul_after, true_nul) */
    check_verdict("[1\0]", 4);
    check_verdict("[true\0]", 7);
    check_verdict("{\"a\":1e5\0}", 10);
    check_verdict("[null\0,false\0]", 14);
    check_verdict("[1\0 ,2]", 7);
    check_verdict("[1\0\0]", 5);
    check_verdict("[1\0.5]", 7);
    check_verdict("[1\0x]", 5);
    check_verdict("[\"a\"\0]", 6);
    check_verdict("[1 \0]", 5);
    {
        llmt_jval root;
        assert_true(llmt_jscan_parse("[7\0,[true\0]]", 12, &root, NULL, 0));
        assert_int_equal(llmt_jval_size(root), 2);
        assert_int_equal(llmt_jval_integer_or(llmt_jval_at(root, 0), 0), 7);
        assert_int_equal(llmt_jval_type(llmt_jval_at(llmt_jval_at(root, 1), 0)), LLMT_J_TRUE);
    }
}

static void test_accessors(void **state)
{
    const char *doc =
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
        "\"{\\\"name\\\":\\\"caf\\u00e9 \\ud83d\\ude00\\\",\\\"n\\\":1}\\n\"},\"finish_reason\":"
        "\"stop\"},{\"index\":1}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3.9,"
        "\"big\":-7},\"dup\":1,\"dup\":2,\"k\\u0065y\":true,\"arr\":[ 1 , [2,3] , {\"a\":\"]\"} ]}";
    llmt_jval root, msg, v;
    char *s;
    size_t len;
    (void)state;
    assert_true(llmt_jscan_parse(doc, strlen(doc), &root, NULL, 0));
    assert_int_equal(llmt_jval_type(root), LLMT_J_OBJECT);
    msg = llmt_jval_get(llmt_jval_at(llmt_jval_get(root, "choices"), 0), "message");
    assert_int_equal(llmt_jval_type(msg), LLMT_J_OBJECT);
    s = llmt_jval_strdup(llmt_jval_get(msg, "content"), &len);
    assert_non_null(s);
    assert_string_equal(s, "{\"name\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"n\":1}\n");
    assert_int_equal(len, strlen(s));
    free(s);
    assert_true(llmt_jval_streq(llmt_jval_get(msg, "role"), "assistant"));
    assert_false(llmt_jval_streq(llmt_jval_get(msg, "role"), "assistan"));
    assert_int_equal(llmt_jval_size(llmt_jval_get(root, "choices")), 2);
    assert_int_equal(llmt_jval_type(llmt_jval_at(llmt_jval_get(root, "choices"), 2)), LLMT_J_NONE);
    v = llmt_jval_get(root, "usage");
    assert_int_equal(llmt_jval_integer_or(llmt_jval_get(v, "prompt_tokens"), -1), 12);
    assert_int_equal(llmt_jval_integer_or(llmt_jval_get(v, "completion_tokens"), -1), 3);
    assert_int_equal(llmt_jval_integer_or(llmt_jval_get(v, "big"), 0), -7);
    assert_int_equal(llmt_jval_integer_or(llmt_jval_get(v, "missing"), 42), 42);
    assert_int_equal(llmt_jval_integer_or(llmt_jval_get(root, "id"), 5), 5);
    assert_int_equal(llmt_jval_integer_or(llmt_jval_get(root, "dup"), 0), 2); /* last wins */
    assert_int_equal(llmt_jval_type(llmt_jval_get(root, "key")), LLMT_J_TRUE);
    v = llmt_jval_get(root, "arr");
    assert_int_equal(llmt_jval_size(v), 3);
    assert_int_equal(llmt_jval_type(llmt_jval_at(v, 1)), LLMT_J_ARRAY);
    assert_int_equal(llmt_jval_integer_or(llmt_jval_at(llmt_jval_at(v, 1), 1), 0), 3);
    assert_true(llmt_jval_streq(llmt_jval_get(llmt_jval_at(v, 2), "a"), "]"));
    /* several members in one pass: the same spans as one lookup each */
    {
        static const char *const keys[] = {"usage", "dup", "missing", "key", "id"};
        llmt_jval many[5];
        size_t k;
        llmt_jval_get_many(root, keys, many, 5);
        for (k = 0; k < 5; k++) {
            llmt_jval one = llmt_jval_get(root, keys[k]);
            assert_ptr_equal(many[k].p, one.p);
            assert_int_equal(many[k].n, one.n);
        }
        assert_null(many[2].p);
        llmt_jval_get_many(llmt_jval_get(root, "arr"), keys, many, 5); /* not an object */
        for (k = 0; k < 5; k++)
            assert_null(many[k].p);
    }
    /* lookups on the wrong type are absent, not a crash */
    assert_int_equal(llmt_jval_type(llmt_jval_get(v, "a")), LLMT_J_NONE);
    assert_int_equal(llmt_jval_type(llmt_jval_at(root, 0)), LLMT_J_NONE);
    assert_null(llmt_jval_strdup(llmt_jval_get(root, "usage"), NULL));
}

/* --------------------------------------------------------------- differential fuzz */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static json_t *random_value(int depth)
{
    static const char *const strs[] = {"", "a", "caf\xc3\xa9", "q\"uote", "back\\slash",
                                       "nl\nx", "\xf0\x9f\x98\x80", "ctl\x01", "]}"};
    unsigned k = rnd(depth > 3 ? 5 : 7);
    switch (k) {
    case 0: return json_integer((json_int_t)rnd(100000) - 50000);
    case 1: return json_real((double)rnd(100000) / 7.0 - 3000.0);
    case 2: return json_string(strs[rnd(sizeof strs / sizeof strs[0])]);
    case 3: return rnd(2) ? json_true() : json_false();
    case 4: return json_null();
    case 5: {
        json_t *a = json_array();
        unsigned i, n = rnd(4);
        for (i = 0; i < n; i++)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        unsigned i, n = rnd(4);
        for (i = 0; i < n; i++) {
            char key[8];
            snprintf(key, sizeof key, "k%u", rnd(5));
            json_object_set_new(o, key, random_value(depth + 1));
        }
        return o;
    }
    }
}

/* Every member jansson sees is found by jscan with the same scalar value. */
static void compare_tree(const json_t *j, llmt_jval v)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        assert_int_equal(llmt_jval_type(v), LLMT_J_OBJECT);
        json_object_foreach((json_t *)j, key, val)
            compare_tree(val, llmt_jval_get(v, key));
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        assert_int_equal(llmt_jval_size(v), json_array_size(j));
        for (i = 0; i < json_array_size(j); i++)
            compare_tree(json_array_get(j, i), llmt_jval_at(v, i));
        break;
    }
    case JSON_STRING: {
        size_t len;
        char *s = llmt_jval_strdup(v, &len);
        assert_non_null(s);
        assert_int_equal(len, json_string_length(j));
        assert_memory_equal(s, json_string_value(j), len);
        free(s);
        break;
    }
    case JSON_INTEGER:
        assert_int_equal(llmt_jval_type(v), LLMT_J_INTEGER);
        assert_int_equal(llmt_jval_integer_or(v, 0), json_integer_value(j));
        break;
    case JSON_REAL:
        assert_int_equal(llmt_jval_type(v), LLMT_J_REAL);
        break;
    case JSON_TRUE: assert_int_equal(llmt_jval_type(v), LLMT_J_TRUE); break;
    case JSON_FALSE: assert_int_equal(llmt_jval_type(v), LLMT_J_FALSE); break;
    case JSON_NULL: assert_int_equal(llmt_jval_type(v), LLMT_J_NULL); break;
    }
}

static void test_fuzz(void **state)
{
    static const char noise[] = "{}[],:\"\\ 0123456789.eE+-tfnu\xc3\xa9\x01\x80";
    int iter;
    (void)state;
    for (iter = 0; iter < 20000; iter++) {
        json_t *doc = rnd(2) ? json_object() : json_array();
        char *text;
        size_t n, m;
        llmt_jval root;
        unsigned i, parts = 1 + rnd(4);
        for (i = 0; i < parts; i++) {
            if (json_is_object(doc))
                json_object_set_new(doc, rnd(2) ? "a" : "b", random_value(1));
            else
                json_array_append_new(doc, random_value(1));
        }
        text = json_dumps(doc, rnd(2) ? JSON_COMPACT : JSON_INDENT(1));
        assert_non_null(text);
        n = strlen(text);
        assert_true(llmt_jscan_parse(text, n, &root, NULL, 0));
        compare_tree(doc, root);
        /* a few random edits, then both parsers must agree on the verdict */
        for (m = 0; m < 3; m++) {
            size_t at = rnd((unsigned)n);
            switch (rnd(3)) {
            case 0: text[at] = noise[rnd(sizeof noise - 1)]; break;
            case 1: memmove(text + at, text + at + 1, n - at), n--; break;
            default: n = at; break;
            }
            if (!n)
                break;
            check_verdict(text, n);
        }
        free(text);
        json_decref(doc);
    }
}

/* Messages become valid UTF-8: a character cut by a buffer is dropped, other invalid
 * bytes are marked; llmt_error_set does it to every message. */
static void test_utf8_scrub(void **state)
{
    static const char *const cases[][2] = {
        {"plain caf\xc3\xa9 \xf0\x9f\x98\x80", "plain caf\xc3\xa9 \xf0\x9f\x98\x80"},
        {"abc\xff", "abc?"},
        {"caf\xc3", "caf"},
        {"euro \xe2\x82", "euro "},
        {"a\xe2\x82" "b", "a??b"},
        {"\xc0\xaf overlong", "?? overlong"},
        {"\xed\xa0\x80 surrogate", "??? surrogate"},
        {"", ""},
    };
    size_t i;
    llmt_error err;
    char big[2000];
    llmt_jval root;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", cases[i][0]);
        llmt_utf8_scrub(buf);
        assert_string_equal(buf, cases[i][1]);
    }
    /* a 3-byte character across the end of the 1 KB message buffer */
    memset(big, 'x', sizeof big);
    for (i = 1000; i + 3 < sizeof big; i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3);
    big[sizeof big - 1] = '\0';
    for (i = 0; i < 3; i++) {
        char quoted[sizeof err.message + 8];
        llmt_error_set(&err, LLMT_E_SERVER, "%.*s%s", (int)i, "yy", big);
        assert_true(strlen(err.message) < sizeof err.message);
        snprintf(quoted, sizeof quoted, "[\"%s\"]", err.message);
        assert_true(llmt_jscan_parse(quoted, strlen(quoted), &root, NULL, 0)); /* valid UTF-8 */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_utf8_scrub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
