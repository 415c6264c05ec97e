/* JSON Schema validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "score/validate.h"
#include "test_json.h"

/* A schema as Pydantic v2's model_json_schema() writes it (Optional = anyOf with null,
 * nested models under $defs). */
static const char *JOB_SCHEMA =
    "{\"$defs\": {\"Salary\": {\"properties\": {"
    "  \"amount\": {\"title\": \"Amount\", \"type\": \"number\", \"minimum\": 0},"
    "  \"currency\": {\"title\": \"Currency\", \"type\": \"string\"},"
    "  \"period\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}], \"default\": null}},"
    "  \"required\": [\"amount\", \"currency\"], \"title\": \"Salary\", \"type\": \"object\"}},"
    " \"properties\": {"
    "  \"title\": {\"title\": \"Title\", \"type\": \"string\", \"minLength\": 2, \"maxLength\": 40},"
    "  \"salary\": {\"anyOf\": [{\"$ref\": \"#/$defs/Salary\"}, {\"type\": \"null\"}], \"default\": null},"
    "  \"posted\": {\"type\": \"string\", \"format\": \"date\"},"
    "  \"updated\": {\"type\": \"string\", \"format\": \"date-time\"},"
    "  \"url\": {\"type\": \"string\", \"format\": \"uri\"},"
    "  \"contact\": {\"type\": \"string\", \"format\": \"email\"},"
    "  \"skills\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"minItems\": 1, \"maxItems\": 3},"
    "  \"level\": {\"enum\": [\"junior\", \"senior\"]},"
    "  \"kind\": {\"const\": \"job\"},"
    "  \"openings\": {\"type\": \"integer\", \"maximum\": 10},"
    "  \"remote\": {\"type\": [\"boolean\", \"null\"]}},"
    " \"required\": [\"title\", \"salary\"], \"title\": \"JobAd\", \"type\": \"object\","
    " \"additionalProperties\": false}";

static llmt_schema *compile(const char *text, llmt_diags *d)
{
    json_t *s = J(text);
    llmt_schema *sc = llmt_schema_compile(s, "schema.json", d);
    json_decref(s); /* the handle keeps its own reference */
    return sc;
}

static bool has(json_t *violations, const char *text)
{
    size_t i;
    json_t *v;
    json_array_foreach(violations, i, v) {
        if (strcmp(json_string_value(v), text) == 0)
            return true;
    }
    return false;
}

/* Validates and returns the violations (caller decrefs). */
static json_t *run(const llmt_schema *s, const char *instance, bool *valid)
{
    json_t *inst = J(instance), *viol = json_array();
    *valid = llmt_schema_validate(s, inst, viol);
    json_decref(inst);
    return viol;
}

static void dump_on_fail(json_t *viol, const char *want)
{
    if (!has(viol, want)) {
        char *s = json_dumps(viol, JSON_INDENT(1));
        fail_msg("missing violation \"%s\" in %s", want, s);
    }
}

static void test_validate_valid_pydantic_instance(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s = compile(JOB_SCHEMA, &d);
    bool valid;
    json_t *viol;
    (void)state;
    assert_non_null(s);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.count, 0); /* nothing unsupported in a Pydantic schema like this */
    viol = run(s,
               "{\"title\": \"Engineer\", \"salary\": {\"amount\": 5000, \"currency\": \"EUR\","
               " \"period\": null}, \"posted\": \"2024-02-29\", \"updated\": \"2024-03-01T10:00:00.5+02:00\","
               " \"url\": \"https://example.com/jobs?id=1%20a\", \"contact\": \"hr@example.co.uk\","
               " \"skills\": [\"c\"], \"level\": \"senior\", \"kind\": \"job\", \"openings\": 3.0,"
               " \"remote\": null}",
               &valid);
    if (!valid)
        fail_msg("unexpected violations: %s", json_dumps(viol, 0));
    assert_int_equal(json_array_size(viol), 0);
    json_decref(viol);
    viol = run(s, "{\"title\": \"Engineer\", \"salary\": null}", &valid);
    assert_true(valid);
    json_decref(viol);
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_every_violation_with_path(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s = compile(JOB_SCHEMA, &d);
    bool valid;
    json_t *viol;
    (void)state;
    viol = run(s,
               "{\"title\": 5, \"salary\": {\"amount\": -1, \"currency\": 978}, \"posted\": \"2023-02-29\","
               " \"updated\": \"2024-03-01 10:00\", \"url\": \"not a uri\", \"contact\": \"a@@b\","
               " \"skills\": [\"a\", 2, \"c\", \"d\"], \"level\": \"mid\", \"kind\": \"ad\","
               " \"openings\": 2.5, \"remote\": \"yes\", \"extra\": 1}",
               &valid);
    assert_false(valid);
    dump_on_fail(viol, "/title: expected string, got number");
    dump_on_fail(viol, "/salary/currency: expected string, got number");
    dump_on_fail(viol, "/salary/amount: -1 is less than the minimum 0");
    dump_on_fail(viol, "/posted: \"2023-02-29\" is not a valid date");
    dump_on_fail(viol, "/updated: \"2024-03-01 10:00\" is not a valid date-time");
    dump_on_fail(viol, "/url: \"not a uri\" is not a valid uri");
    dump_on_fail(viol, "/contact: \"a@@b\" is not a valid email");
    dump_on_fail(viol, "/skills/1: expected string, got number");
    dump_on_fail(viol, "/skills: more than 3 items (got 4)");
    dump_on_fail(viol, "/level: \"mid\" is not one of [\"junior\",\"senior\"]");
    dump_on_fail(viol, "/kind: expected the constant \"job\"");
    dump_on_fail(viol, "/openings: expected integer, got number");
    dump_on_fail(viol, "/remote: expected boolean or null, got string");
    dump_on_fail(viol, "/extra: property not allowed (additionalProperties is false)");
    assert_int_equal(json_array_size(viol), 14);
    json_decref(viol);
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_required_and_optional(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s = compile(JOB_SCHEMA, &d);
    bool valid;
    json_t *viol;
    (void)state;
    viol = run(s, "{\"salary\": {\"amount\": 1}}", &valid);
    assert_false(valid);
    dump_on_fail(viol, "/title: required property missing");
    dump_on_fail(viol, "/salary/currency: required property missing");
    assert_int_equal(json_array_size(viol), 2);
    json_decref(viol);
    viol = run(s, "{\"title\": \"ab\", \"salary\": 5}", &valid);
    assert_false(valid);
    dump_on_fail(viol, "/salary: expected object or null, got number");
    json_decref(viol);
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_top_level_type(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s = compile(JOB_SCHEMA, &d);
    bool valid;
    json_t *viol;
    (void)state;
    viol = run(s, "[{\"title\": \"x\"}]", &valid);
    assert_false(valid);
    dump_on_fail(viol, "(root): expected object, got array");
    assert_int_equal(json_array_size(viol), 1);
    json_decref(viol);
    /* NULL violations: just the verdict */
    {
        json_t *inst = J("\"text\"");
        assert_false(llmt_schema_validate(s, inst, NULL));
        json_decref(inst);
    }
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_lengths_in_code_points(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s = compile("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}", &d);
    bool valid;
    json_t *viol;
    (void)state;
    viol = run(s, "\"日本\"", &valid); /* 2 code points, 6 bytes */
    assert_true(valid);
    json_decref(viol);
    viol = run(s, "\"日\"", &valid);
    assert_false(valid);
    dump_on_fail(viol, "(root): shorter than 2 characters (got 1)");
    json_decref(viol);
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_formats(void **state)
{
    static const struct {
        const char *format, *value;
        bool ok;
    } cases[] = {
        {"date", "2024-02-29", true},        {"date", "2023-02-29", false},
        {"date", "2024-13-01", false},       {"date", "2024-1-01", false},
        {"date", "2024-01-01T00:00:00Z", false},
        {"date-time", "2024-01-01T00:00:00Z", true},
        {"date-time", "1998-12-31t18:59:60.123-05:00", true}, /* 23:59:60 UTC */
        {"date-time", "2024-01-01t23:59:60.123-05:30", false}, /* a leap second at 05:29 UTC */
        {"time", "23:59:60Z", true},         {"time", "12:00:00", false},
        {"duration", "P1Y2M3DT4H5M6S", true}, {"duration", "PT", false},
        {"uuid", "123e4567-e89b-12d3-a456-426614174000", true}, {"uuid", "123e4567e89b", false},
        {"ipv4", "192.168.0.1", true},       {"ipv4", "256.1.1.1", false},
        {"ipv6", "::ffff:192.168.0.1", true}, {"ipv6", "1::2::3", false},
        {"hostname", "example.com", true},   {"hostname", "-bad.example", false},
        {"date-time", "2024-01-01T00:00:00", false}, /* RFC 3339 needs an offset */
        {"date-time", "2024-01-01T24:00:00Z", false},
        {"uri", "https://a.b/c?d=e#f", true}, {"uri", "mailto:x@y.z", true},
        {"uri", "urn:isbn:0451450523", true}, {"uri", "/relative/path", false},
        {"uri", "http://a b", false},        {"uri", "http://x/%zz", false},
        {"email", "first.last+tag@example.com", true}, {"email", "user@localhost", true},
        {"email", "no-at-sign", false},      {"email", "a..b@example.com", false},
        {"email", "a@-example.com", false},  {"email", "a b@example.com", false},
        {"email", "a@example.", false},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmt_diags d = {0};
        char *schema = NULL, *inst = NULL;
        llmt_schema *s;
        json_t *iv;
        json_t *tmp = json_pack("{s:s, s:s}", "type", "string", "format", cases[i].format);
        schema = json_dumps(tmp, 0);
        json_decref(tmp);
        s = compile(schema, &d);
        assert_non_null(s);
        iv = json_string(cases[i].value);
        if (llmt_schema_validate(s, iv, NULL) != cases[i].ok)
            fail_msg("format %s on \"%s\": expected %s", cases[i].format, cases[i].value,
                     cases[i].ok ? "valid" : "invalid");
        json_decref(iv);
        free(schema);
        free(inst);
        llmt_schema_free(s);
        llmt_diags_free(&d);
    }
}

static void test_validate_refs_definitions_and_recursion(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s;
    bool valid;
    json_t *viol;
    (void)state;
    /* draft-7 "definitions", and a recursive tree through "#" */
    s = compile("{\"definitions\": {\"Node\": {\"type\": \"object\", \"properties\": {"
                "\"name\": {\"type\": \"string\"},"
                "\"children\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/definitions/Node\"}}},"
                "\"required\": [\"name\"]}},"
                "\"$ref\": \"#/definitions/Node\"}",
                &d);
    assert_non_null(s);
    viol = run(s, "{\"name\": \"a\", \"children\": [{\"name\": \"b\", \"children\": [{\"name\": 1}]}]}",
               &valid);
    assert_false(valid);
    dump_on_fail(viol, "/children/0/children/0/name: expected string, got number");
    json_decref(viol);
    llmt_schema_free(s);
    /* a $ref loop that never consumes the instance must stop, not overflow */
    s = compile("{\"$defs\": {\"A\": {\"$ref\": \"#/$defs/B\"}, \"B\": {\"$ref\": \"#/$defs/A\"}},"
                "\"$ref\": \"#/$defs/A\"}",
                &d);
    assert_non_null(s);
    viol = run(s, "{}", &valid);
    assert_false(valid);
    assert_non_null(strstr(json_string_value(json_array_get(viol, 0)), "loops"));
    json_decref(viol);
    llmt_schema_free(s);
    /* alternatives that refer back to the root: bounded, not exponential */
    s = compile("{\"anyOf\": [{\"$ref\": \"#\"}, {\"$ref\": \"#\"}, {\"type\": \"array\","
                " \"items\": {\"$ref\": \"#\"}}]}",
                &d);
    assert_non_null(s);
    viol = run(s, "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", &valid);
    assert_false(valid);
    json_decref(viol);
    viol = run(s, "[[[[[[[]]]]]]]", &valid);
    assert_true(valid);
    json_decref(viol);
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_combinators(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s;
    bool valid;
    json_t *viol;
    (void)state;
    s = compile("{\"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"number\", \"minimum\": 2}]}", &d);
    viol = run(s, "5", &valid);
    assert_false(valid);
    dump_on_fail(viol, "(root): matches 2 of the oneOf alternatives; exactly one is allowed");
    json_decref(viol);
    viol = run(s, "1.5", &valid);
    assert_false(valid);
    json_decref(viol);
    viol = run(s, "2.5", &valid);
    assert_true(valid);
    json_decref(viol);
    llmt_schema_free(s);
    s = compile("{\"allOf\": [{\"minimum\": 1}, {\"maximum\": 3}, {\"multipleOf\": 2}]}", &d);
    viol = run(s, "5", &valid);
    assert_false(valid);
    dump_on_fail(viol, "(root): 5 is greater than the maximum 3");
    dump_on_fail(viol, "(root): 5 is not a multiple of 2");
    json_decref(viol);
    llmt_schema_free(s);
    /* anyOf of untyped alternatives: says so and shows the closest */
    s = compile("{\"anyOf\": [{\"minimum\": 10}, {\"maximum\": 1}]}", &d);
    viol = run(s, "5", &valid);
    assert_false(valid);
    assert_non_null(strstr(json_string_value(json_array_get(viol, 0)), "matches none of the anyOf"));
    json_decref(viol);
    llmt_schema_free(s);
    s = compile("{\"type\":\"array\",\"uniqueItems\":true}", &d);
    viol = run(s, "[1, 2, 1.0]", &valid);
    assert_false(valid);
    json_decref(viol);
    llmt_schema_free(s);
    s = compile("false", &d);
    viol = run(s, "1", &valid);
    assert_false(valid);
    json_decref(viol);
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_unsupported_warned_once(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s;
    (void)state;
    s = compile("{\"type\": \"object\", \"properties\": {"
                "\"a\": {\"type\": \"string\", \"frobnicate\": \"^a\"},"
                "\"b\": {\"type\": \"string\", \"frobnicate\": \"^b\"},"
                "\"c\": {\"type\": \"string\", \"format\": \"iri\"},"
                "\"d\": {\"type\": \"string\", \"format\": \"iri\"}}}",
                &d);
    assert_non_null(s); /* warnings don't stop compilation */
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.count, 2); /* the unknown keyword once, format iri once */
    assert_int_equal(d.items[0].severity, LLMT_DIAG_WARNING);
    assert_string_equal(d.items[0].file, "schema.json");
    assert_string_equal(d.items[0].path, "/properties/a/frobnicate");
    assert_non_null(strstr(d.items[0].message, "'frobnicate'"));
    assert_non_null(strstr(d.items[1].message, "'iri'"));
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_invalid_schemas(void **state)
{
    static const struct {
        const char *schema, *path, *words;
    } cases[] = {
        {"{\"properties\": {\"a\": {\"type\": 5}}}", "/properties/a/type", "type name"},
        {"{\"properties\": {\"a\": {\"type\": \"text\"}}}", "/properties/a/type", "unknown type"},
        {"{\"properties\": {\"a\": {\"$ref\": \"#/$defs/Missing\"}}}", "/properties/a/$ref",
         "does not resolve"},
        {"{\"$ref\": \"https://example.com/s.json\"}", "/$ref", "nothing is fetched"},
        {"{\"pattern\": \"(unclosed\"}", "/pattern", "not a valid regular expression"},
        {"{\"required\": \"a\"}", "/required", "array of property names"},
        {"{\"required\": [\"a\", 1]}", "/required/1", "property name"},
        {"{\"minLength\": -1}", "/minLength", "integer >= 0"},
        {"{\"anyOf\": []}", "/anyOf", "non-empty array"},
        {"{\"items\": 3}", "/items", "expected a schema"},
        {"{\"enum\": \"a\"}", "/enum", "must be an array"},
        {"{\"maximum\": \"10\"}", "/maximum", "must be a number"},
        {"[1]", "", "must be an object"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmt_diags d = {0};
        llmt_schema *s = compile(cases[i].schema, &d);
        if (s)
            fail_msg("schema %s compiled", cases[i].schema);
        assert_true(d.errors >= 1);
        assert_int_equal(d.items[0].severity, LLMT_DIAG_ERROR);
        assert_string_equal(d.items[0].file, "schema.json");
        if (strcmp(d.items[0].path, cases[i].path) != 0 || !strstr(d.items[0].message, cases[i].words))
            fail_msg("schema %s: got %s: %s", cases[i].schema, d.items[0].path, d.items[0].message);
        llmt_diags_free(&d);
    }
    llmt_schema_free(NULL);
}

/* Verdict of `instance` against `schema` (both JSON texts). */
static bool verdict(const char *schema, const char *instance)
{
    llmt_diags d = {0};
    llmt_schema *s = compile(schema, &d);
    bool valid;
    json_t *viol;
    if (!s)
        fail_msg("schema %s did not compile", schema);
    viol = run(s, instance, &valid);
    if (valid != (json_array_size(viol) == 0))
        fail_msg("%s on %s: verdict and violations disagree", schema, instance);
    json_decref(viol);
    llmt_schema_free(s);
    llmt_diags_free(&d);
    return valid;
}

static void test_validate_ecma_patterns(void **state)
{
    (void)state;
    /* \d and \w are ASCII in ECMA-262; \p{...} sees Unicode; \s covers Unicode spaces */
    assert_true(verdict("{\"pattern\": \"^\\\\d+$\"}", "\"0123\""));
    assert_false(verdict("{\"pattern\": \"^\\\\d+$\"}", "\"\\u0660\""));      /* ARABIC-INDIC ZERO */
    assert_false(verdict("{\"pattern\": \"^\\\\w$\"}", "\"\\u00e9\""));
    assert_true(verdict("{\"pattern\": \"^\\\\p{L}+$\"}", "\"\\u00e9t\\u00e9\""));
    assert_true(verdict("{\"pattern\": \"^\\\\p{Letter}$\"}", "\"\\u00e9\""));
    assert_true(verdict("{\"pattern\": \"^\\\\s$\"}", "\"\\u00a0\""));       /* NO-BREAK SPACE */
    assert_false(verdict("{\"pattern\": \"^\\\\S$\"}", "\"\\u2028\""));
    assert_true(verdict("{\"pattern\": \"^\\\\u0041$\"}", "\"A\""));
    assert_true(verdict("{\"pattern\": \"^\\\\uD83D\\\\uDC32$\"}", "\"\\ud83d\\udc32\""));
    /* $ matches only at the end, not before a final newline */
    assert_false(verdict("{\"pattern\": \"^abc$\"}", "\"abc\\n\""));
    /* patterns are searched, not anchored */
    assert_true(verdict("{\"pattern\": \"b\"}", "\"abc\""));
    /* Pydantic's Decimal pattern (a look-ahead) */
    assert_true(verdict("{\"pattern\": \"^(?!^[-+.]*$)[+-]?0*\\\\d*\\\\.?\\\\d*$\"}", "\"-12.50\""));
    assert_false(verdict("{\"pattern\": \"^(?!^[-+.]*$)[+-]?0*\\\\d*\\\\.?\\\\d*$\"}", "\"12,5\""));
    assert_false(verdict("{\"patternProperties\": {\"^x-\": {\"type\": \"integer\"}}, "
                         "\"additionalProperties\": false}", "{\"x-a\": 1, \"y\": 2}"));
    assert_true(verdict("{\"patternProperties\": {\"^x-\": {\"type\": \"integer\"}}, "
                        "\"additionalProperties\": false}", "{\"x-a\": 1}"));
}

static void test_validate_arrays_and_objects(void **state)
{
    static const char *tuple = "{\"type\": \"array\", \"prefixItems\": [{\"type\": \"number\"}, "
                               "{\"type\": \"string\"}], \"items\": false}";
    (void)state;
    assert_true(verdict(tuple, "[1, \"a\"]"));
    assert_false(verdict(tuple, "[1, \"a\", 3]"));
    assert_false(verdict(tuple, "[\"a\", 1]"));
    /* draft-07 by $schema: array-form items and additionalItems */
    assert_false(verdict("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"items\": "
                         "[{\"type\": \"integer\"}], \"additionalItems\": false}", "[1, 2]"));
    assert_true(verdict("{\"contains\": {\"const\": 2}, \"minContains\": 2}", "[2, 1, 2]"));
    assert_false(verdict("{\"contains\": {\"const\": 2}, \"maxContains\": 1}", "[2, 1, 2]"));
    assert_false(verdict("{\"not\": {\"type\": \"string\"}}", "\"a\""));
    assert_false(verdict("{\"if\": {\"properties\": {\"a\": {\"const\": 1}}}, \"then\": {\"required\": [\"b\"]}}",
                         "{\"a\": 1}"));
    assert_true(verdict("{\"dependentRequired\": {\"a\": [\"b\"]}}", "{\"b\": 1}"));
    assert_false(verdict("{\"dependentRequired\": {\"a\": [\"b\"]}}", "{\"a\": 1}"));
    assert_false(verdict("{\"propertyNames\": {\"maxLength\": 2}}", "{\"abc\": 1}"));
    /* unevaluatedProperties sees what allOf's branches evaluated */
    assert_true(verdict("{\"allOf\": [{\"properties\": {\"a\": true}}], \"unevaluatedProperties\": false}",
                        "{\"a\": 1}"));
    assert_false(verdict("{\"allOf\": [{\"properties\": {\"a\": true}}], \"unevaluatedProperties\": false}",
                         "{\"a\": 1, \"b\": 2}"));
    /* numbers by value: 1.0 is an integer and equals 1 */
    assert_true(verdict("{\"type\": \"integer\", \"enum\": [1]}", "1.0"));
    assert_true(verdict("{\"multipleOf\": 0.01}", "19.99"));
    assert_false(verdict("{\"type\": \"integer\", \"multipleOf\": 0.123456789}", "1e308"));
    assert_true(verdict("{\"type\": \"integer\", \"multipleOf\": 0.5}", "1e308")); /* quotient overflows */
}

static void test_validate_alternatives_explained(void **state)
{
    llmt_diags d = {0};
    llmt_schema *s = compile("{\"anyOf\": [{\"type\": \"string\", \"minLength\": 5}, "
                             "{\"type\": \"string\", \"pattern\": \"^[0-9]+$\"}, {\"const\": 3}]}", &d);
    bool valid;
    json_t *viol;
    (void)state;
    assert_non_null(s);
    viol = run(s, "\"abc\"", &valid);
    assert_false(valid);
    dump_on_fail(viol, "(root): matches none of the anyOf alternatives");
    dump_on_fail(viol, "(root): shorter than 5 characters (got 3) (anyOf alternative 0)");
    dump_on_fail(viol, "(root): \"abc\" does not match the pattern ^[0-9]+$ (anyOf alternative 1)");
    dump_on_fail(viol, "(root): expected the constant 3 (anyOf alternative 2)");
    json_decref(viol);
    llmt_schema_free(s);
    llmt_diags_free(&d);
}

static void test_validate_refs_ids_and_registry(void **state)
{
    llmt_schema_registry *reg = llmt_schema_registry_new();
    llmt_schema_options o = LLMT_SCHEMA_OPTIONS_INIT;
    json_t *shared = J("{\"$defs\": {\"orcid\": {\"type\": \"string\", \"pattern\": \"^\\\\d{4}-\"}}}");
    json_t *schema = J("{\"$id\": \"https://example.com/root.json\", \"properties\": {"
                       "\"a\": {\"$ref\": \"shared.json#/$defs/orcid\"},"
                       "\"b\": {\"$ref\": \"#here\"},"
                       "\"c\": {\"$ref\": \"urn:example:thing\"}},"
                       "\"$defs\": {\"x\": {\"$anchor\": \"here\", \"type\": \"integer\"},"
                       "\"y\": {\"$id\": \"urn:example:thing\", \"type\": \"boolean\"}}}");
    json_t *ok = J("{\"a\": \"0000-1\", \"b\": 1, \"c\": true}"), *bad = J("{\"a\": \"x\", \"b\": 1.5, \"c\": 1}");
    json_t *viol = json_array();
    llmt_diags d = {0};
    llmt_schema *s;
    (void)state;
    /* without the registry the remote ref is an error naming it */
    assert_null(llmt_schema_compile(schema, "s.json", &d));
    assert_non_null(strstr(d.items[0].message, "shared.json"));
    llmt_diags_free(&d);
    assert_true(llmt_schema_registry_add(reg, "https://example.com/shared.json", shared));
    o.version = 99; /* options of a version this library does not know are refused */
    assert_null(llmt_schema_compile_opts(schema, "s.json", &o, &d));
    assert_non_null(strstr(d.items[0].message, "version 99"));
    llmt_diags_free(&d);
    o.version = LLMT_SCHEMA_OPTIONS_VERSION;
    o.registry = reg;
    s = llmt_schema_compile_opts(schema, "s.json", &o, &d);
    llmt_schema_registry_free(reg); /* the compiled schema keeps what it uses */
    assert_non_null(s);
    assert_true(llmt_schema_validate(s, ok, NULL));
    assert_false(llmt_schema_validate(s, bad, viol));
    assert_int_equal(json_array_size(viol), 3);
    llmt_schema_free(s);
    json_decref(viol);
    json_decref(ok);
    json_decref(bad);
    json_decref(schema);
    json_decref(shared);
    llmt_diags_free(&d);
}

/* $dynamicRef (2020-12) and $recursiveRef (2019-09): an extended tree's nodes follow
 * the outermost schema's anchor, so a "strict tree" refuses unknown members deep down. */
static void test_validate_dynamic_and_recursive_refs(void **state)
{
    static const char *dyn =
        "{\"$id\": \"https://example.com/strict\", \"$dynamicAnchor\": \"node\","
        " \"$ref\": \"tree\", \"unevaluatedProperties\": false,"
        " \"$defs\": {\"tree\": {\"$id\": \"tree\", \"$dynamicAnchor\": \"node\", \"type\": \"object\","
        "  \"properties\": {\"data\": true, \"children\": {\"type\": \"array\","
        "  \"items\": {\"$dynamicRef\": \"#node\"}}}}}}";
    static const char *rec =
        "{\"$schema\": \"https://json-schema.org/draft/2019-09/schema\","
        " \"$id\": \"https://example.com/strict2\", \"$recursiveAnchor\": true,"
        " \"$ref\": \"tree2\", \"unevaluatedProperties\": false,"
        " \"$defs\": {\"tree2\": {\"$id\": \"tree2\", \"$recursiveAnchor\": true, \"type\": \"object\","
        "  \"properties\": {\"data\": true, \"children\": {\"type\": \"array\","
        "  \"items\": {\"$recursiveRef\": \"#\"}}}}}}";
    (void)state;
    assert_true(verdict(dyn, "{\"children\": [{\"data\": 1}]}"));
    assert_false(verdict(dyn, "{\"children\": [{\"daat\": 1}]}"));
    assert_true(verdict(rec, "{\"children\": [{\"data\": 1}]}"));
    assert_false(verdict(rec, "{\"children\": [{\"daat\": 1}]}"));
}

static void test_validate_values_the_parser_used_to_refuse(void **state)
{
    json_error_t je;
    json_t *big = llmt_json_loadb("123456789012345678901234567890", 30, JSON_DECODE_ANY, &je);
    json_t *nul = llmt_json_loadb("\"a\\u0000b\"", 10, JSON_DECODE_ANY, &je);
    static const char s2_text[] = "{\"const\": \"a\\u0000b\", \"maxLength\": 3}";
    json_t *s1 = J("{\"type\": \"integer\", \"minimum\": 1e29}");
    json_t *s2 = llmt_json_loadb(s2_text, sizeof s2_text - 1, 0, &je);
    json_t *s3 = J("{\"const\": \"a\"}");
    llmt_diags d = {0};
    llmt_schema *a = llmt_schema_compile(s1, "s", &d), *b = llmt_schema_compile(s2, "s", &d);
    llmt_schema *c = llmt_schema_compile(s3, "s", &d);
    (void)state;
    assert_non_null(big);
    assert_non_null(nul);
    assert_int_equal(json_string_length(nul), 3);
    assert_true(llmt_schema_validate(a, big, NULL));
    assert_true(llmt_schema_validate(b, nul, NULL));
    assert_false(llmt_schema_validate(c, nul, NULL)); /* "a\0b" is not "a" */
    llmt_schema_free(a);
    llmt_schema_free(b);
    llmt_schema_free(c);
    json_decref(s1);
    json_decref(s2);
    json_decref(s3);
    json_decref(big);
    json_decref(nul);
    llmt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_valid_pydantic_instance),
        cmocka_unit_test(test_validate_every_violation_with_path),
        cmocka_unit_test(test_validate_required_and_optional),
        cmocka_unit_test(test_validate_top_level_type),
        cmocka_unit_test(test_validate_lengths_in_code_points),
        cmocka_unit_test(test_validate_formats),
        cmocka_unit_test(test_validate_refs_definitions_and_recursion),
        cmocka_unit_test(test_validate_combinators),
        cmocka_unit_test(test_validate_unsupported_warned_once),
        cmocka_unit_test(test_validate_invalid_schemas),
        cmocka_unit_test(test_validate_ecma_patterns),
        cmocka_unit_test(test_validate_arrays_and_objects),
        cmocka_unit_test(test_validate_alternatives_explained),
        cmocka_unit_test(test_validate_refs_ids_and_registry),
        cmocka_unit_test(test_validate_dynamic_and_recursive_refs),
        cmocka_unit_test(test_validate_values_the_parser_used_to_refuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
