/*
 * Schema transforms: each rule set on the Pydantic-made fixtures
 * (tests/fixtures/schemas/pydantic/, made by make_pydantic_schemas.py) gives byte for
 * byte what tests/fixtures/schemas/make_expected.py (the SDKs' rules written out again
 * in Python) gives; plus the corners the fixtures do not reach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "core/util.h"
#include "llmt/schema_xform.h"
#include "provider/schema_xform.h"

static const char *const fixtures[] = {"optional",     "nested_defs", "ref_description",
                                       "literal_enum", "constrained", "recursive",
                                       "dict_str_int", "discriminated_union", NULL};

static char *read_fixture(const char *rel)
{
    char *path = llmt_asprintf("%s/tests/fixtures/schemas/%s", LLMT_SOURCE_DIR, rel), *text = NULL;
    size_t len;
    llmt_error err;
    if (llmt_read_file(path, &text, &len, &err) != LLMT_OK)
        text = NULL;
    free(path);
    /* the generator ends each file with one newline */
    if (text && len && text[len - 1] == '\n')
        text[len - 1] = '\0';
    return text;
}

static void check_rules(llmt_schema_rules rules)
{
    size_t i;
    for (i = 0; fixtures[i]; i++) {
        char *rel = llmt_asprintf("pydantic/%s.json", fixtures[i]);
        char *in = read_fixture(rel);
        char *want_rel = llmt_asprintf("expected/%s/%s.json", llmt_schema_rules_name(rules),
                                       fixtures[i]);
        char *meta_rel = llmt_asprintf("expected/%s/%s.meta.json", llmt_schema_rules_name(rules),
                                       fixtures[i]);
        char *want = read_fixture(want_rel), *meta_text = read_fixture(meta_rel);
        json_t *meta = meta_text ? json_loads(meta_text, 0, NULL) : NULL, *relaxed;
        llmt_schema_sent s;
        llmt_error err;
        llmt_status st;
        assert_non_null(in);
        assert_non_null(meta);
        st = llmt_schema_transform(in, rules, &s, &err);
        if (json_is_true(json_object_get(meta, "refused"))) {
            if (st != LLMT_E_UNSUPPORTED)
                fail_msg("%s/%s: expected a refusal, got %d", llmt_schema_rules_name(rules),
                         fixtures[i], (int)st);
            assert_null(s.schema);
            assert_null(want);
        } else {
            if (st != LLMT_OK)
                fail_msg("%s/%s: %s", llmt_schema_rules_name(rules), fixtures[i], err.message);
            assert_non_null(want);
            if (strcmp(s.schema, want) != 0)
                fail_msg("%s/%s differs:\n got  %s\n want %s", llmt_schema_rules_name(rules),
                         fixtures[i], s.schema, want);
            assert_int_equal(s.strict, json_is_true(json_object_get(meta, "strict")));
            relaxed = json_object_get(meta, "relaxed");
            if (json_array_size(relaxed)) {
                json_t *got = json_loads(s.relaxed, 0, NULL);
                assert_non_null(got);
                if (!json_equal(got, relaxed))
                    fail_msg("%s/%s relaxed: got %s", llmt_schema_rules_name(rules), fixtures[i],
                             s.relaxed);
                json_decref(got);
            } else {
                assert_null(s.relaxed);
            }
        }
        llmt_schema_sent_clear(&s);
        json_decref(meta);
        free(meta_text);
        free(want);
        free(meta_rel);
        free(want_rel);
        free(in);
        free(rel);
    }
}

static void test_fixtures_none(void **state)
{
    (void)state;
    check_rules(LLMT_SCHEMA_RULES_NONE);
}

static void test_fixtures_strict(void **state)
{
    (void)state;
    check_rules(LLMT_SCHEMA_RULES_STRICT);
}

static void test_fixtures_closed(void **state)
{
    (void)state;
    check_rules(LLMT_SCHEMA_RULES_CLOSED);
}

static void test_fixtures_subset(void **state)
{
    (void)state;
    check_rules(LLMT_SCHEMA_RULES_SUBSET);
}

/* Transforms `in` and compares the compact output (NULL: expect a refusal). */
static void expect(llmt_schema_rules rules, const char *in, const char *want, const char *relaxed)
{
    llmt_schema_sent s;
    llmt_error err;
    llmt_status st = llmt_schema_transform(in, rules, &s, &err);
    if (!want) {
        if (st != LLMT_E_UNSUPPORTED)
            fail_msg("%s: expected a refusal for %s", llmt_schema_rules_name(rules), in);
        return;
    }
    if (st != LLMT_OK)
        fail_msg("%s: %s", in, err.message);
    if (strcmp(s.schema, want) != 0)
        fail_msg("%s:\n got  %s\n want %s", in, s.schema, want);
    if (relaxed)
        assert_string_equal(s.relaxed, relaxed);
    else
        assert_null(s.relaxed);
    llmt_schema_sent_clear(&s);
}

static void test_strict_corners(void **state)
{
    (void)state;
    /* a one-entry allOf is merged (its keys after the node's), "default": null goes */
    expect(LLMT_SCHEMA_RULES_STRICT,
           "{\"default\":null,\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
           "\"string\"}}}],\"title\":\"T\"}",
           "{\"title\":\"T\",\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
           "\"additionalProperties\":false,\"required\":[\"a\"]}",
           NULL);
    /* a $ref beside other keys is inlined; the node's own keys win and keep their place */
    expect(LLMT_SCHEMA_RULES_STRICT,
           "{\"$defs\":{\"A\":{\"type\":\"string\",\"description\":\"def\",\"maxLength\":3}},"
           "\"type\":\"object\",\"properties\":{\"x\":{\"description\":\"mine\",\"$ref\":\"#/$defs/A\"}}}",
           "{\"$defs\":{\"A\":{\"type\":\"string\",\"description\":\"def\",\"maxLength\":3}},"
           "\"type\":\"object\",\"properties\":{\"x\":{\"description\":\"mine\",\"type\":\"string\","
           "\"maxLength\":3}},\"additionalProperties\":false,\"required\":[\"x\"]}",
           NULL);
    /* an existing additionalProperties stays (and the map makes it non-strict) */
    {
        llmt_schema_sent s;
        llmt_error err;
        assert_int_equal(llmt_schema_transform("{\"type\":\"object\",\"additionalProperties\":true}",
                                               LLMT_SCHEMA_RULES_STRICT, &s, &err),
                         LLMT_OK);
        assert_string_equal(s.schema, "{\"type\":\"object\",\"additionalProperties\":true}");
        assert_false(s.strict);
        llmt_schema_sent_clear(&s);
    }
    /* what the SDK raises on cannot be sent */
    expect(LLMT_SCHEMA_RULES_STRICT, "{\"properties\":{\"a\":true}}", NULL, NULL);
    expect(LLMT_SCHEMA_RULES_STRICT, "{\"$ref\":\"other.json#/A\",\"title\":\"x\"}", NULL, NULL);
    expect(LLMT_SCHEMA_RULES_STRICT, "{\"$ref\":\"#/$defs/Missing\",\"title\":\"x\"}", NULL, NULL);
    /* a definition that is its own $ref-with-siblings: inlining adds nothing new and
     * drops the $ref, as the SDK's dict merge does (no endless inlining) */
    expect(LLMT_SCHEMA_RULES_STRICT,
           "{\"$defs\":{\"A\":{\"$ref\":\"#/$defs/A\",\"title\":\"a\"}},\"$ref\":\"#/$defs/A\"}",
           "{\"$defs\":{\"A\":{\"title\":\"a\"}},\"title\":\"a\"}", NULL);
}

static void test_closed_corners(void **state)
{
    (void)state;
    /* every "type":"object" is closed, an open map included; required untouched */
    expect(LLMT_SCHEMA_RULES_CLOSED,
           "{\"type\":\"object\",\"properties\":{\"m\":{\"type\":\"object\",\"additionalProperties\":"
           "{\"type\":\"integer\"}},\"o\":{\"type\":\"string\"}},\"required\":[]}",
           "{\"type\":\"object\",\"properties\":{\"m\":{\"type\":\"object\",\"additionalProperties\":"
           "false},\"o\":{\"type\":\"string\"}},\"required\":[],\"additionalProperties\":false}",
           NULL);
}

static void test_subset_corners(void **state)
{
    (void)state;
    /* the SDK's own doc example */
    expect(LLMT_SCHEMA_RULES_SUBSET,
           "{\"type\":\"integer\",\"minimum\":1,\"maximum\":10,\"description\":\"A number\"}",
           "{\"type\":\"integer\",\"description\":\"A number\\n\\n{minimum: 1, maximum: 10}\"}",
           "[\"minimum\",\"maximum\"]");
    /* Python's str() of values: floats, booleans, None, nested quotes */
    expect(LLMT_SCHEMA_RULES_SUBSET,
           "{\"type\":\"number\",\"maximum\":1e20,\"minimum\":0.0001,\"multipleOf\":1e-05,"
           "\"exclusiveMaximum\":100.0,\"x-a\":[true,null,\"it's\",\"say \\\"hi\\\"\",\"a\\\\b\\n\"],"
           "\"default\":123456789012345678}",
           "{\"type\":\"number\",\"description\":\"{maximum: 1e+20, minimum: 0.0001, multipleOf: "
           "1e-05, exclusiveMaximum: 100.0, x-a: [True, None, \\\"it's\\\", 'say \\\"hi\\\"', "
           "'a\\\\\\\\b\\\\n'], default: 123456789012345678}\"}",
           "[\"maximum\",\"minimum\",\"multipleOf\",\"exclusiveMaximum\",\"x-a\",\"default\"]");
    /* minItems 0 stays; oneOf becomes anyOf; a $ref node keeps only $ref */
    expect(LLMT_SCHEMA_RULES_SUBSET,
           "{\"type\":\"array\",\"minItems\":0,\"items\":{\"oneOf\":[{\"$ref\":\"#/$defs/A\","
           "\"description\":\"d\"},{\"type\":\"null\"}]}}",
           "{\"type\":\"array\",\"items\":{\"anyOf\":[{\"$ref\":\"#/$defs/A\"},{\"type\":\"null\"}]},"
           "\"minItems\":0}",
           NULL);
    /* a supported format stays; an empty one is dropped; an unsupported one moves last */
    expect(LLMT_SCHEMA_RULES_SUBSET,
           "{\"type\":\"string\",\"format\":\"ipv4\"}", "{\"type\":\"string\",\"format\":\"ipv4\"}",
           NULL);
    expect(LLMT_SCHEMA_RULES_SUBSET, "{\"format\":\"\",\"type\":\"string\"}",
           "{\"type\":\"string\"}", NULL);
    expect(LLMT_SCHEMA_RULES_SUBSET, "{\"format\":\"uuid4\",\"type\":\"string\",\"pattern\":\"x\"}",
           "{\"type\":\"string\",\"description\":\"{pattern: x, format: uuid4}\"}",
           "[\"pattern\",\"format\"]");
    /* an object without properties gets an empty one, and is closed */
    expect(LLMT_SCHEMA_RULES_SUBSET,
           "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}",
           "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}", NULL);
    /* cannot be sent: no type, bool schemas, unknown types, recursion through "#" */
    expect(LLMT_SCHEMA_RULES_SUBSET, "{\"const\":1}", NULL, NULL);
    expect(LLMT_SCHEMA_RULES_SUBSET, "{\"type\":\"object\",\"properties\":{\"a\":true}}", NULL, NULL);
    expect(LLMT_SCHEMA_RULES_SUBSET, "{\"type\":[\"string\",\"null\"]}", NULL, NULL);
    expect(LLMT_SCHEMA_RULES_SUBSET,
           "{\"type\":\"object\",\"properties\":{\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":"
           "\"#\"}}}}",
           NULL, NULL);
}

static void test_errors_and_names(void **state)
{
    llmt_schema_sent s;
    llmt_error err;
    llmt_schema_rules r;
    (void)state;
    assert_int_equal(llmt_schema_transform("{not json", LLMT_SCHEMA_RULES_NONE, &s, &err),
                     LLMT_E_INVALID_ARG);
    assert_null(s.schema);
    assert_int_equal(llmt_schema_transform("{\"const\":1}", LLMT_SCHEMA_RULES_SUBSET, &s, &err),
                     LLMT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "type, anyOf, oneOf or allOf"));
    assert_int_equal(llmt_schema_transform(
                         "{\"type\":\"object\",\"properties\":{\"a\":{\"minimum\":1}}}",
                         LLMT_SCHEMA_RULES_SUBSET, &s, &err),
                     LLMT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "/properties/a"));
    assert_true(llmt_schema_rules_parse("subset", &r));
    assert_int_equal(r, LLMT_SCHEMA_RULES_SUBSET);
    assert_false(llmt_schema_rules_parse("anthropic", &r));
    assert_string_equal(llmt_schema_rules_name(LLMT_SCHEMA_RULES_CLOSED), "closed");
    llmt_schema_sent_clear(NULL);
}

static void warn_log(void *ud, llmt_log_level level, const char *msg)
{
    llmt_buf *b = ud;
    (void)level;
    llmt_buf_puts(b, msg);
    llmt_buf_puts(b, "\n");
}

/* The memo answers repeated schemas from memory and warns once per model. */
static void test_plans(void **state)
{
    llmt_buf log = {0};
    llmt_logger lg = {warn_log, &log, LLMT_LOG_WARN};
    llmt_schema_plans *p = llmt_schema_plans_new("prov", &lg);
    llmt_schema_plan a, b;
    char *text;
    int i;
    (void)state;
    assert_non_null(p);
    for (i = 0; i < 3; i++) {
        assert_true(llmt_schema_plans_get(p, LLMT_SCHEMA_RULES_SUBSET, "{\"const\":1}", "m1",
                                          "json_object", &a));
        assert_null(a.sent);
        assert_non_null(a.why_not);
        llmt_schema_plan_clear(&a);
    }
    assert_true(llmt_schema_plans_get(p, LLMT_SCHEMA_RULES_SUBSET, "{\"const\":1}", "m2",
                                      "json_object", &a));
    llmt_schema_plan_clear(&a);
    assert_non_null(log.data);
    assert_non_null(strstr(log.data, "prov:m1: the task schema cannot be sent as a schema"));
    assert_non_null(strstr(log.data, "using json_object"));
    assert_null(strstr(strstr(log.data, "prov:m1") + 1, "prov:m1"));
    assert_non_null(strstr(log.data, "prov:m2"));
    /* more schemas than the memo holds: still right, and the same answer twice */
    for (i = 0; i < 70; i++) {
        text = llmt_asprintf("{\"type\":\"integer\",\"maximum\":%d}", i);
        assert_true(llmt_schema_plans_get(p, LLMT_SCHEMA_RULES_SUBSET, text, "m1", "x", &a));
        assert_true(llmt_schema_plans_get(p, LLMT_SCHEMA_RULES_SUBSET, text, "m1", "x", &b));
        assert_string_equal(a.sent, b.sent);
        assert_string_equal(a.relaxed, "[\"maximum\"]");
        assert_true(a.strict);
        llmt_schema_plan_clear(&a);
        llmt_schema_plan_clear(&b);
        free(text);
    }
    llmt_schema_plans_free(p);
    llmt_buf_free(&log);
}

/* --lines: for tests/fixtures/schemas/diff_fuzz.py, reads "<rules>\t<schema>" lines and
 * prints "OK\t<sent>\t<strict 0|1>\t<relaxed or []>" or "REFUSED\t<status>" for each. */
static int filter_lines(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        char *tab = strchr(line, '\t');
        llmt_schema_rules rules;
        llmt_schema_sent s;
        llmt_error err;
        llmt_status st;
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        if (!tab)
            break;
        *tab = '\0';
        if (!llmt_schema_rules_parse(line, &rules))
            break;
        st = llmt_schema_transform(tab + 1, rules, &s, &err);
        if (st == LLMT_OK)
            printf("OK\t%s\t%d\t%s\n", s.schema, s.strict, s.relaxed ? s.relaxed : "[]");
        else
            printf("REFUSED\t%d\n", (int)st);
        llmt_schema_sent_clear(&s);
    }
    free(line);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_none),    cmocka_unit_test(test_fixtures_strict),
        cmocka_unit_test(test_fixtures_closed),  cmocka_unit_test(test_fixtures_subset),
        cmocka_unit_test(test_strict_corners),   cmocka_unit_test(test_closed_corners),
        cmocka_unit_test(test_subset_corners),   cmocka_unit_test(test_errors_and_names),
        cmocka_unit_test(test_plans),
    };
    if (argc > 1 && strcmp(argv[1], "--lines") == 0)
        return filter_lines();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
