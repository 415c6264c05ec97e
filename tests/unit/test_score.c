/* Accuracy scoring: the Python tool's numbers, per-field details,
 * options, Unicode, deep nesting and odd input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "score/score.h"
#include "test_json.h"

/* Scores two JSON texts with options; returns the accuracy, keeps the details in *fields
 * when asked (caller decrefs). */
static double score_o(const char *expected, const char *actual, const llmt_score_options *o,
                      json_t **fields)
{
    json_t *e = J(expected), *a = J(actual);
    llmt_score_result r;
    llmt_error err;
    assert_int_equal(llmt_score(e, a, o, &r, &err), LLMT_OK);
    assert_non_null(r.fields);
    if (fields)
        *fields = json_incref(r.fields);
    llmt_score_result_free(&r);
    json_decref(e);
    json_decref(a);
    return r.accuracy;
}

static double score(const char *expected, const char *actual)
{
    return score_o(expected, actual, NULL, NULL);
}

#define assert_near(a, b) assert_true(fabs((a) - (b)) <= 0.01)
#include <math.h>

static json_t *field_at(json_t *fields, const char *path)
{
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        if (strcmp(json_string_value(json_object_get(f, "path")), path) == 0)
            return f;
    }
    return NULL;
}

static const char *reason_at(json_t *fields, const char *path)
{
    json_t *f = field_at(fields, path);
    return f ? json_string_value(json_object_get(f, "reason")) : "(no entry)";
}

/* ---- the numbers listed in issue 3 ---- */

static void test_score_case_insensitive_name(void **state)
{
    (void)state;
    assert_near(score("{\"name\":\"test name\"}", "{\"name\":\"Test Name\"}"), 100);
}

static void test_score_missing_key_half(void **state)
{
    (void)state;
    assert_near(score("{\"a\":1,\"b\":2}", "{\"a\":1}"), 50);
}

static void test_score_nested(void **state)
{
    (void)state;
    assert_near(score("{\"a\":1,\"nested\":{\"x\":10,\"y\":\"val\"}}",
                      "{\"a\":1,\"nested\":{\"x\":10,\"y\":\"wrong\"}}"),
                75);
}

static void test_score_list_ordered_exact_partial(void **state)
{
    (void)state;
    assert_near(score("{\"items\":[1,\"two\",3]}", "{\"items\":[1,\"different\",3,4]}"), 66.67);
}

static void test_score_fuzzy_string(void **state)
{
    json_t *fields = NULL;
    (void)state;
    assert_near(score_o("{\"title\":\"Software Engineer\"}", "{\"title\":\"Software Enginer\"}",
                        NULL, &fields),
                84.85);
    assert_string_equal(reason_at(fields, "/title"), "fuzzy");
    json_decref(fields);
}

static void test_score_set_vs_ordered(void **state)
{
    llmt_score_options o;
    const char *e = "{\"skills\":[\"react\",\"python\",\"sql\"]}";
    const char *a = "{\"skills\":[\"python\",\"sql\",\"react\"]}";
    (void)state;
    llmt_score_options_init(&o);
    o.list_mode = LLMT_LIST_SET_SIMILARITY;
    assert_near(score_o(e, a, &o, NULL), 100);
    o.list_mode = LLMT_LIST_ORDERED_EXACT;
    assert_near(score_o(e, a, &o, NULL), 0);
    llmt_score_options_free(&o);
}

static void test_score_tolerance(void **state)
{
    llmt_score_options o;
    (void)state;
    llmt_score_options_init(&o);
    o.tolerance = 0.05;
    assert_near(score_o("{\"price\":100.0}", "{\"price\":102.5}", &o, NULL), 100);
    assert_near(score_o("{\"quantity\":100}", "{\"quantity\":110}", &o, NULL), 0);
    /* without tolerance: exact, 5 == 5.0 */
    assert_near(score("{\"price\":100.0}", "{\"price\":102.5}"), 0);
    assert_near(score("{\"n\":5}", "{\"n\":5.0}"), 100);
    llmt_score_options_free(&o);
}

static void test_score_weights_critical_field(void **state)
{
    llmt_score_options o;
    llmt_error err;
    const char *a = "{\"id\":\"abc\",\"critical_field\":\"wrong\",\"optional_field\":\"match\"}";
    json_t *fields = NULL;
    (void)state;
    llmt_score_options_init(&o);
    assert_int_equal(llmt_score_options_set_weight(&o, "critical_field", 3, &err), LLMT_OK);
    assert_int_equal(llmt_score_options_parse_weight(&o, "optional_field=1", &err), LLMT_OK);
    assert_near(score_o("{\"critical_field\":\"correct\",\"optional_field\":\"match\"}", a, &o,
                        &fields),
                25);
    /* "id" only in the answer: listed as extra, not scored */
    assert_string_equal(reason_at(fields, "/id"), "extra");
    assert_true(json_is_null(json_object_get(field_at(fields, "/id"), "score")));
    assert_near(json_number_value(json_object_get(field_at(fields, "/critical_field"), "weight")), 3);
    json_decref(fields);
    /* the Python tool's variant with "id" expected as well (default weight 1) */
    assert_near(score_o("{\"id\":\"abc\",\"critical_field\":\"correct\",\"optional_field\":\"match\"}",
                        a, &o, NULL),
                40);
    llmt_score_options_free(&o);
}

/* ---- the other rules ---- */

static void test_score_extra_keys_ignored(void **state)
{
    (void)state;
    assert_near(score("{\"a\":1}", "{\"a\":1,\"b\":2,\"c\":[1]}"), 100);
}

static void test_score_empty_expected(void **state)
{
    (void)state;
    assert_near(score("{}", "{}"), 100);
    assert_near(score("{}", "{\"a\":1}"), 0);
    assert_near(score("{\"o\":{}}", "{\"o\":{}}"), 100);
    assert_near(score("{\"o\":{}}", "{\"o\":{\"x\":1}}"), 0);
}

static void test_score_empty_lists(void **state)
{
    (void)state;
    assert_near(score("{\"l\":[]}", "{\"l\":[]}"), 100);
    assert_near(score("{\"l\":[]}", "{\"l\":[1]}"), 0);
    assert_near(score("{\"l\":[1]}", "{\"l\":[]}"), 0);
}

static void test_score_null_rules(void **state)
{
    json_t *fields = NULL;
    (void)state;
    assert_near(score("{\"a\":null}", "{\"a\":null}"), 100);
    assert_near(score_o("{\"a\":null}", "{\"a\":\"x\"}", NULL, &fields), 0);
    assert_string_equal(reason_at(fields, "/a"), "type_mismatch");
    json_decref(fields);
    assert_near(score("{\"a\":\"x\"}", "{\"a\":null}"), 0);
}

static void test_score_type_mismatch(void **state)
{
    json_t *fields = NULL;
    (void)state;
    assert_near(score_o("{\"n\":5}", "{\"n\":\"5\"}", NULL, &fields), 0);
    assert_string_equal(reason_at(fields, "/n"), "type_mismatch");
    json_decref(fields);
    assert_near(score("{\"o\":{\"x\":1}}", "{\"o\":[1]}"), 0);
}

static void test_score_bool_vs_number(void **state)
{
    (void)state;
    assert_near(score("{\"b\":true}", "{\"b\":1}"), 100);
    assert_near(score("{\"b\":1}", "{\"b\":true}"), 100);
    assert_near(score("{\"b\":false}", "{\"b\":0.0}"), 100);
    assert_near(score("{\"b\":true}", "{\"b\":false}"), 0);
    assert_near(score("{\"b\":true}", "{\"b\":2}"), 0);
    /* inside ordered_exact lists as well (Python ==) */
    assert_near(score("{\"l\":[true,2]}", "{\"l\":[1,2.0]}"), 100);
}

static void test_score_threshold_option(void **state)
{
    llmt_score_options o;
    (void)state;
    llmt_score_options_init(&o);
    /* "Software Enginer": ratio 96.97; threshold 90 → (96.97-90)/10 */
    o.threshold = 90;
    assert_near(score_o("{\"t\":\"Software Engineer\"}", "{\"t\":\"Software Enginer\"}", &o, NULL),
                69.70);
    /* below the threshold → 0 ("abc" vs "abd" = 66.67) */
    o.threshold = 80;
    assert_near(score_o("{\"t\":\"abc\"}", "{\"t\":\"abd\"}", &o, NULL), 0);
    o.threshold = 50;
    assert_near(score_o("{\"t\":\"abc\"}", "{\"t\":\"abd\"}", &o, NULL), 33.33);
    llmt_score_options_free(&o);
}

static void test_score_fuzzy_case_sensitive(void **state)
{
    (void)state;
    /* equal ignoring case → 1; otherwise the ratio is case-sensitive */
    assert_near(llmt_indel_ratio("Abc", 3, "abc", 3), 66.67);
    assert_near(score("{\"t\":\"HELLO WORLD\"}", "{\"t\":\"hello world\"}"), 100);
}

static void test_score_ordered_similarity(void **state)
{
    llmt_score_options o;
    (void)state;
    llmt_score_options_init(&o);
    o.list_mode = LLMT_LIST_ORDERED_SIMILARITY;
    /* [1 match, fuzzy 84.85%, missing] / 3 */
    assert_near(score_o("{\"l\":[1,\"Software Engineer\",3]}", "{\"l\":[1,\"Software Enginer\"]}",
                        &o, NULL),
                (100 + 84.85) / 3);
    /* objects in lists: nested accuracy */
    assert_near(score_o("{\"l\":[{\"a\":1,\"b\":2}]}", "{\"l\":[{\"a\":1,\"b\":3}]}", &o, NULL), 50);
    llmt_score_options_free(&o);
}

static void test_score_set_similarity_greedy(void **state)
{
    llmt_score_options o;
    json_t *fields = NULL, *f;
    (void)state;
    llmt_score_options_init(&o);
    o.list_mode = LLMT_LIST_SET_SIMILARITY;
    /* more expected items than answer items: the last finds nothing left */
    assert_near(score_o("{\"l\":[\"a\",\"b\",\"c\"]}", "{\"l\":[\"b\",\"a\"]}", &o, &fields), 66.67);
    f = field_at(fields, "/l/2");
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "reason")), "list_item");
    assert_null(json_object_get(f, "actual"));
    json_decref(fields);
    /* greedy: each expected item takes its best unused answer item, not merely the first */
    assert_near(score_o("{\"l\":[\"abcde\",\"abcdf\"]}", "{\"l\":[\"abcdf\",\"abcde\"]}", &o, NULL),
                100);
    llmt_score_options_free(&o);
}

static void test_score_skip_fields(void **state)
{
    llmt_score_options o;
    llmt_error err;
    json_t *fields = NULL;
    (void)state;
    llmt_score_options_init(&o);
    assert_int_equal(llmt_score_options_add_skip(&o, "id", &err), LLMT_OK);
    assert_int_equal(llmt_score_options_add_skip(&o, "/meta/ts", &err), LLMT_OK);
    assert_near(score_o("{\"id\":1,\"a\":\"x\",\"meta\":{\"ts\":1,\"k\":2}}",
                        "{\"id\":2,\"a\":\"x\",\"meta\":{\"ts\":9,\"k\":2}}", &o, &fields),
                100);
    assert_null(field_at(fields, "/id"));
    assert_null(field_at(fields, "/meta/ts"));
    json_decref(fields);
    /* a skipped key on the answer side alone is not "extra" and doesn't break empty = empty */
    assert_near(score_o("{\"o\":{\"id\":1}}", "{\"o\":{\"id\":5}}", &o, NULL), 100);
    llmt_score_options_free(&o);
}

/* A bare name in skip_fields applies at any depth, inside list items too, in every list
 * mode (issue 13: --skip id left the ids of list items counted in ordered_exact). */
static void test_score_skip_fields_in_list_items(void **state)
{
    static const llmt_list_mode modes[] = {LLMT_LIST_ORDERED_EXACT, LLMT_LIST_ORDERED_SIMILARITY,
                                           LLMT_LIST_SET_SIMILARITY};
    const char *e = "{\"name\":\"x\",\"items\":[{\"id\":1,\"v\":\"a\"},{\"id\":2,\"v\":\"b\"}],"
                    "\"deep\":{\"rows\":[[{\"id\":3,\"w\":1}]]}}";
    const char *a = "{\"name\":\"x\",\"items\":[{\"id\":7,\"v\":\"a\"},{\"id\":8,\"v\":\"b\"}],"
                    "\"deep\":{\"rows\":[[{\"id\":9,\"w\":1}]]}}";
    size_t i;
    (void)state;
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        llmt_score_options o;
        llmt_error err;
        llmt_score_options_init(&o);
        o.list_mode = modes[i];
        assert_int_equal(llmt_score_options_add_skip(&o, "id", &err), LLMT_OK);
        assert_near(score_o(e, a, &o, NULL), 100);
        /* what is not skipped still counts */
        assert_true(score_o(e, "{\"name\":\"x\",\"items\":[{\"id\":1,\"v\":\"zzz\"},{\"id\":2,\"v\":\"b\"}],"
                               "\"deep\":{\"rows\":[[{\"id\":3,\"w\":1}]]}}",
                            &o, NULL) < 100);
        /* a pointer into a list item skips only there */
        llmt_score_options_free(&o);
        llmt_score_options_init(&o);
        o.list_mode = modes[i];
        assert_int_equal(llmt_score_options_add_skip(&o, "/items/0/id", &err), LLMT_OK);
        assert_true(score_o(e, a, &o, NULL) < 100);
        llmt_score_options_free(&o);
    }
}

/* Strings are compared in Unicode NFC: precomposed and decomposed "Zürich" are equal. */
static void test_score_unicode_nfc(void **state)
{
    json_t *fields = NULL;
    (void)state;
    assert_near(score("{\"city\":\"Z\\u00fcrich\"}", "{\"city\":\"Zu\\u0308rich\"}"), 100);
    assert_near(score_o("{\"c\":[\"Z\\u00fcrich\",\"Gen\\u00e8ve\"]}", "{\"c\":[\"Zu\\u0308rich\",\"Gene\\u0300ve\"]}",
                        NULL, &fields),
                100);
    json_decref(fields);
    assert_near(score("{\"Stra\\u00dfe\":\"M\\u00fcller\"}", "{\"Stra\\u00dfe\":\"MU\\u0308LLER\"}"), 100);
    assert_true(score("{\"city\":\"Z\\u00fcrich\"}", "{\"city\":\"Zurich\"}") < 100);
}

static void test_score_weights_nested_by_name_and_pointer(void **state)
{
    llmt_score_options o;
    llmt_error err;
    (void)state;
    llmt_score_options_init(&o);
    /* by name: applies at any depth, like the Python tool */
    assert_int_equal(llmt_score_options_set_weight(&o, "y", 3, &err), LLMT_OK);
    assert_near(score_o("{\"n\":{\"x\":1,\"y\":2}}", "{\"n\":{\"x\":1,\"y\":0}}", &o, NULL), 25);
    /* a pointer wins over the name */
    assert_int_equal(llmt_score_options_set_weight(&o, "/n/y", 1, &err), LLMT_OK);
    assert_near(score_o("{\"n\":{\"x\":1,\"y\":2}}", "{\"n\":{\"x\":1,\"y\":0}}", &o, NULL), 50);
    /* all weights 0: nothing to lose */
    assert_int_equal(llmt_score_options_set_weight(&o, "a", 0, &err), LLMT_OK);
    assert_near(score_o("{\"a\":1}", "{\"a\":2}", &o, NULL), 100);
    assert_int_not_equal(llmt_score_options_set_weight(&o, "a", -1, &err), LLMT_OK);
    assert_int_not_equal(llmt_score_options_parse_weight(&o, "a", &err), LLMT_OK);
    assert_int_not_equal(llmt_score_options_parse_weight(&o, "a=x", &err), LLMT_OK);
    assert_int_not_equal(llmt_score_options_parse_weight(&o, "=2", &err), LLMT_OK);
    llmt_score_options_free(&o);
}

static void test_score_details_shape(void **state)
{
    json_t *fields = NULL, *f;
    (void)state;
    assert_near(score_o("{\"a\":1,\"b\":\"x\",\"nested\":{\"y\":\"val\"},\"l\":[1,2]}",
                        "{\"a\":1,\"nested\":{\"y\":\"wrong\"},\"l\":[1,3]}", NULL, &fields),
                (1 + 0 + 0 + 0.5) / 4 * 100);
    f = field_at(fields, "/a");
    assert_string_equal(json_string_value(json_object_get(f, "reason")), "match");
    assert_near(json_number_value(json_object_get(f, "score")), 1);
    assert_near(json_number_value(json_object_get(f, "weight")), 1);
    assert_int_equal(json_integer_value(json_object_get(f, "expected")), 1);
    f = field_at(fields, "/b");
    assert_string_equal(json_string_value(json_object_get(f, "reason")), "missing");
    assert_null(json_object_get(f, "actual"));
    assert_string_equal(reason_at(fields, "/nested/y"), "mismatch");
    assert_string_equal(reason_at(fields, "/l"), "mismatch");
    f = field_at(fields, "/l/1");
    assert_string_equal(json_string_value(json_object_get(f, "reason")), "list_item");
    assert_int_equal(json_integer_value(json_object_get(f, "actual")), 3);
    assert_near(json_number_value(json_object_get(f, "weight")), 0.5);
    assert_null(field_at(fields, "/l/0")); /* items that scored 1 are not listed */
    json_decref(fields);
}

static void test_score_pointer_escaping(void **state)
{
    json_t *fields = NULL;
    (void)state;
    score_o("{\"a/b\":{\"c~d\":1}}", "{\"a/b\":{\"c~d\":2}}", NULL, &fields);
    assert_non_null(field_at(fields, "/a~1b/c~0d"));
    json_decref(fields);
}

static void test_score_unicode(void **state)
{
    (void)state;
    /* code points, not bytes: one substituted letter in a 5-letter word = 80 */
    assert_near(llmt_indel_ratio("héllo", strlen("héllo"), "hello", 5), 80);
    assert_near(llmt_indel_ratio("日本語テキスト", strlen("日本語テキスト"), "日本語テキスㇳ",
                                 strlen("日本語テキスㇳ")),
                100.0 * 12 / 14);
    assert_near(llmt_indel_ratio("😀a", strlen("😀a"), "😀b", strlen("😀b")), 50);
    /* case folding beyond ASCII */
    assert_near(score("{\"c\":\"МОСКВА\"}", "{\"c\":\"москва\"}"), 100);
    assert_near(score("{\"c\":\"ÉCOLE ÀÇ\"}", "{\"c\":\"école àç\"}"), 100);
    assert_near(score("{\"c\":\"ΑΘΗΝΑ\"}", "{\"c\":\"αθηνα\"}"), 100);
    assert_true(llmt_utf8_equal_nocase("ŁÓDŹ", strlen("ŁÓDŹ"), "łódź", strlen("łódź")));
    assert_false(llmt_utf8_equal_nocase("a", 1, "á", strlen("á")));
    assert_near(llmt_indel_ratio("", 0, "", 0), 100);
    assert_near(llmt_indel_ratio("abc", 3, "", 0), 0);
}

/* LCS through the multi-word bit-parallel path must agree with a plain DP. */
static size_t dp_lcs(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, r;
    size_t *m = calloc((la + 1) * (lb + 1), sizeof *m);
    for (i = 1; i <= la; i++)
        for (j = 1; j <= lb; j++)
            m[i * (lb + 1) + j] = a[i - 1] == b[j - 1] ? m[(i - 1) * (lb + 1) + j - 1] + 1
                                  : m[(i - 1) * (lb + 1) + j] > m[i * (lb + 1) + j - 1]
                                      ? m[(i - 1) * (lb + 1) + j]
                                      : m[i * (lb + 1) + j - 1];
    r = m[la * (lb + 1) + lb];
    free(m);
    return r;
}

static void test_score_lcs_long_strings(void **state)
{
    llmt_rng rng;
    int round;
    (void)state;
    llmt_rng_seed(&rng, 7);
    for (round = 0; round < 40; round++) {
        size_t la = 1 + llmt_rng_next(&rng) % 300, lb = 1 + llmt_rng_next(&rng) % 300, i;
        char *a = malloc(la + 1), *b = malloc(lb + 1);
        double expect, got;
        for (i = 0; i < la; i++)
            a[i] = (char)('a' + llmt_rng_next(&rng) % 4);
        for (i = 0; i < lb; i++)
            b[i] = (char)('a' + llmt_rng_next(&rng) % 4);
        a[la] = b[lb] = '\0';
        expect = 100.0 * (double)(2 * dp_lcs(a, b)) / (double)(la + lb);
        got = llmt_indel_ratio(a, la, b, lb);
        assert_true(fabs(expect - got) < 1e-9);
        free(a);
        free(b);
    }
}

static void test_score_deep_nesting(void **state)
{
    llmt_buf e = {0}, a = {0};
    int i, depth = 500;
    double acc;
    json_t *fields = NULL;
    (void)state;
    for (i = 0; i < depth; i++) {
        llmt_buf_puts(&e, "{\"k\":");
        llmt_buf_puts(&a, "{\"k\":");
    }
    llmt_buf_puts(&e, "\"leaf\"");
    llmt_buf_puts(&a, "\"LEAF\"");
    for (i = 0; i < depth; i++) {
        llmt_buf_puts(&e, "}");
        llmt_buf_puts(&a, "}");
    }
    acc = score_o(e.data, a.data, NULL, &fields);
    assert_near(acc, 100);
    assert_int_equal(json_array_size(fields), 1);
    json_decref(fields);
    llmt_buf_free(&e);
    llmt_buf_free(&a);
}

static void test_score_top_level_odd_input(void **state)
{
    json_t *fields = NULL;
    (void)state;
    /* an array where an object was expected */
    assert_near(score_o("{\"a\":1}", "[{\"a\":1}]", NULL, &fields), 0);
    assert_string_equal(reason_at(fields, ""), "type_mismatch");
    json_decref(fields);
    assert_near(score("{\"a\":1}", "\"text\""), 0);
    assert_near(score("{\"a\":1}", "null"), 0);
    assert_near(score("{}", "null"), 100); /* Python: not None */
    /* non-object expected: compared as a value */
    assert_near(score("[1,2]", "[1,2]"), 100);
    assert_near(score("\"abc\"", "\"ABC\""), 100);
}

static void test_score_options_apply_json(void **state)
{
    llmt_score_options o;
    llmt_error err;
    json_t *s;
    (void)state;
    llmt_score_options_init(&o);
    s = J("{\"list_mode\":\"set_similarity\",\"tolerance\":0.1,\"threshold\":70,"
          "\"weights\":{\"a\":2},\"skip_fields\":[\"id\"]}");
    assert_int_equal(llmt_score_options_apply_json(&o, s, "task.json", "/scoring", &err), LLMT_OK);
    json_decref(s);
    assert_int_equal(o.list_mode, LLMT_LIST_SET_SIMILARITY);
    assert_near(o.tolerance, 0.1);
    assert_near(o.threshold, 70);
    assert_near(json_number_value(json_object_get(o.weights, "a")), 2);
    assert_int_equal(json_array_size(o.skip_fields), 1);
    /* a later layer merges weights and adds skip fields */
    s = J("{\"weights\":{\"b\":3},\"skip_fields\":[\"id\",\"ts\"]}");
    assert_int_equal(llmt_score_options_apply_json(&o, s, "x.json", "", &err), LLMT_OK);
    json_decref(s);
    assert_int_equal(json_object_size(o.weights), 2);
    assert_int_equal(json_array_size(o.skip_fields), 2);
    /* errors name file and JSON path */
    s = J("{\"weights\":{\"a\":\"heavy\"}}");
    assert_int_equal(llmt_score_options_apply_json(&o, s, "task.json", "/scoring", &err),
                     LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "task.json: /scoring/weights/a"));
    json_decref(s);
    s = J("{\"list_mode\":\"fuzzy\"}");
    assert_int_equal(llmt_score_options_apply_json(&o, s, "p.json", "/scoring", &err), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "/scoring/list_mode"));
    json_decref(s);
    s = J("{\"threshold\":120}");
    assert_int_equal(llmt_score_options_apply_json(&o, s, "p.json", "/scoring", &err), LLMT_E_CONFIG);
    json_decref(s);
    s = J("{\"skip_fields\":[1]}");
    assert_int_equal(llmt_score_options_apply_json(&o, s, "p.json", "/scoring", &err), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "/scoring/skip_fields/0"));
    json_decref(s);
    s = J("[1]");
    assert_int_equal(llmt_score_options_apply_json(&o, s, "p.json", "/scoring", &err), LLMT_E_CONFIG);
    json_decref(s);
    llmt_score_options_free(&o);
    assert_null(o.weights);
}

static void test_score_list_mode_names(void **state)
{
    llmt_list_mode m;
    (void)state;
    assert_true(llmt_list_mode_parse("ordered_similarity", &m));
    assert_int_equal(m, LLMT_LIST_ORDERED_SIMILARITY);
    assert_string_equal(llmt_list_mode_name(m), "ordered_similarity");
    assert_false(llmt_list_mode_parse("sets", &m));
    assert_false(llmt_list_mode_parse(NULL, &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_case_insensitive_name),
        cmocka_unit_test(test_score_missing_key_half),
        cmocka_unit_test(test_score_nested),
        cmocka_unit_test(test_score_list_ordered_exact_partial),
        cmocka_unit_test(test_score_fuzzy_string),
        cmocka_unit_test(test_score_set_vs_ordered),
        cmocka_unit_test(test_score_tolerance),
        cmocka_unit_test(test_score_weights_critical_field),
        cmocka_unit_test(test_score_extra_keys_ignored),
        cmocka_unit_test(test_score_empty_expected),
        cmocka_unit_test(test_score_empty_lists),
        cmocka_unit_test(test_score_null_rules),
        cmocka_unit_test(test_score_type_mismatch),
        cmocka_unit_test(test_score_bool_vs_number),
        cmocka_unit_test(test_score_threshold_option),
        cmocka_unit_test(test_score_fuzzy_case_sensitive),
        cmocka_unit_test(test_score_ordered_similarity),
        cmocka_unit_test(test_score_set_similarity_greedy),
        cmocka_unit_test(test_score_skip_fields),
        cmocka_unit_test(test_score_skip_fields_in_list_items),
        cmocka_unit_test(test_score_unicode_nfc),
        cmocka_unit_test(test_score_weights_nested_by_name_and_pointer),
        cmocka_unit_test(test_score_details_shape),
        cmocka_unit_test(test_score_pointer_escaping),
        cmocka_unit_test(test_score_unicode),
        cmocka_unit_test(test_score_lcs_long_strings),
        cmocka_unit_test(test_score_deep_nesting),
        cmocka_unit_test(test_score_top_level_odd_input),
        cmocka_unit_test(test_score_options_apply_json),
        cmocka_unit_test(test_score_list_mode_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
