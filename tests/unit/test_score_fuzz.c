/* Fuzz-style test with a fixed seed: random JSON pairs through the scorer, random
 * schemas and instances through the validator, random text through extraction. Meant to
 * run under ASan+UBSan (make test-san); the invariants checked are those that hold for
 * any input: accuracy in [0, 100], a detail array whose entries are well formed, a value
 * against itself scores 100, the same input scores the same twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/util.h"
#include "score/extract.h"
#include "score/score.h"
#include "score/validate.h"

#define SEED 20261125u
#define ROUNDS 1500

static const char *const WORDS[] = {"alpha", "Alpha", "ALPHA", "beta", "bet", "γάμμα", "Γάμμα",
                                    "日本語", "naïve", "naive", "", "x", "~/key", "😀 smile",
                                    "Software Engineer", "software enginer"};

static unsigned pick(llmt_rng *r, unsigned n)
{
    return (unsigned)(llmt_rng_next(r) % n);
}

static json_t *random_value(llmt_rng *r, int depth)
{
    unsigned kind = pick(r, depth > 4 ? 6 : 8);
    size_t i, n;
    json_t *v;
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(pick(r, 2));
    case 2: return json_integer((json_int_t)pick(r, 7) - 3);
    case 3: return json_real((double)pick(r, 1000) / 8.0 - 50);
    case 4:
    case 5: return json_string(WORDS[pick(r, sizeof WORDS / sizeof WORDS[0])]);
    case 6:
        v = json_array();
        n = pick(r, 6);
        for (i = 0; i < n; i++)
            json_array_append_new(v, random_value(r, depth + 1));
        return v;
    default:
        v = json_object();
        n = pick(r, 6);
        for (i = 0; i < n; i++)
            json_object_set_new(v, WORDS[pick(r, sizeof WORDS / sizeof WORDS[0])],
                                random_value(r, depth + 1));
        return v;
    }
}

/* A perturbed deep copy: typos, dropped keys, swapped items, changed types. */
static json_t *mutate(llmt_rng *r, const json_t *v, int depth)
{
    if (pick(r, 10) == 0)
        return random_value(r, depth);
    if (json_is_object(v)) {
        json_t *o = json_object(), *x;
        const char *k;
        json_object_foreach((json_t *)v, k, x) {
            if (pick(r, 8) != 0)
                json_object_set_new(o, k, mutate(r, x, depth + 1));
        }
        if (pick(r, 4) == 0)
            json_object_set_new(o, "added", random_value(r, depth + 1));
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array(), *x;
        size_t i, n;
        json_array_foreach((json_t *)v, i, x) json_array_append_new(a, mutate(r, x, depth + 1));
        n = json_array_size(a);
        if (n > 1 && pick(r, 2)) {
            size_t p = pick(r, (unsigned)n), q = pick(r, (unsigned)n);
            json_t *t = json_incref(json_array_get(a, p));
            json_array_set(a, p, json_array_get(a, q));
            json_array_set_new(a, q, t);
        }
        return a;
    }
    if (json_is_string(v) && json_string_length(v) > 0 && pick(r, 2)) {
        char *s = llmt_strdup(json_string_value(v));
        json_t *out;
        size_t pos = pick(r, (unsigned)strlen(s));
        if ((unsigned char)s[pos] < 0x80)
            s[pos] = (char)('a' + pick(r, 26));
        out = json_string(s); /* NULL if the edit broke UTF-8: then keep the original */
        free(s);
        return out ? out : json_deep_copy(v);
    }
    return json_deep_copy(v);
}

static void check_result(const llmt_score_result *res)
{
    size_t i;
    json_t *f;
    assert_true(res->accuracy >= 0.0 && res->accuracy <= 100.0 + 1e-9);
    assert_true(json_is_array(res->fields));
    json_array_foreach(res->fields, i, f) {
        const char *reason = json_string_value(json_object_get(f, "reason"));
        json_t *sc = json_object_get(f, "score");
        assert_non_null(reason);
        assert_true(json_is_string(json_object_get(f, "path")));
        assert_true(json_is_number(json_object_get(f, "weight")));
        if (strcmp(reason, "extra") == 0) {
            assert_true(json_is_null(sc));
        } else {
            assert_true(json_is_number(sc));
            assert_true(json_number_value(sc) >= 0.0 && json_number_value(sc) <= 1.0 + 1e-9);
        }
    }
}

static void test_score_fuzz_random_pairs(void **state)
{
    llmt_rng r;
    int round;
    (void)state;
    llmt_rng_seed(&r, SEED);
    for (round = 0; round < ROUNDS; round++) {
        json_t *e = random_value(&r, 0), *a;
        llmt_score_options o;
        llmt_score_result res, res2, self;
        llmt_error err;
        llmt_score_options_init(&o);
        o.list_mode = (llmt_list_mode)pick(&r, 3);
        o.tolerance = pick(&r, 3) == 0 ? 0.1 : 0;
        o.threshold = (double)pick(&r, 101);
        if (pick(&r, 3) == 0)
            llmt_score_options_set_weight(&o, WORDS[pick(&r, sizeof WORDS / sizeof WORDS[0])],
                                          (double)pick(&r, 4), &err);
        if (pick(&r, 4) == 0)
            llmt_score_options_add_skip(&o, WORDS[pick(&r, sizeof WORDS / sizeof WORDS[0])], &err);
        a = pick(&r, 5) == 0 ? random_value(&r, 0) : mutate(&r, e, 0);
        assert_int_equal(llmt_score(e, a, &o, &res, &err), LLMT_OK);
        check_result(&res);
        assert_int_equal(llmt_score(e, a, &o, &res2, &err), LLMT_OK);
        assert_true(res.accuracy == res2.accuracy);
        assert_int_equal(json_array_size(res.fields), json_array_size(res2.fields));
        { /* the text form is the tree printed, byte for byte, and the same accuracy */
            llmt_buf text = {0};
            double acc = -1;
            bool printable = false;
            char *tree = llmt_json_dumps_compact(res.fields, true);
            llmt_buf_puts(&text, "prefix "); /* appended to what the buffer holds */
            assert_int_equal(llmt_score_text(e, a, &o, &acc, &text, &printable, &err), LLMT_OK);
            assert_true(printable);
            assert_true(acc == res.accuracy);
            assert_non_null(tree);
            assert_int_equal(strncmp(text.data, "prefix ", 7), 0);
            if (strcmp(text.data + 7, tree) != 0)
                fail_msg("round %d: text details differ from the tree:\n%s\n%s", round,
                         text.data + 7, tree);
            free(tree);
            llmt_buf_free(&text);
        }
        assert_int_equal(llmt_score(e, e, &o, &self, &err), LLMT_OK);
        if (fabs(self.accuracy - 100.0) > 1e-9) {
            char *s = json_dumps(e, JSON_ENCODE_ANY);
            fail_msg("round %d: a value against itself scored %f: %s", round, self.accuracy, s);
        }
        llmt_score_result_free(&res);
        llmt_score_result_free(&res2);
        llmt_score_result_free(&self);
        llmt_score_options_free(&o);
        json_decref(e);
        json_decref(a);
    }
}

/* set_similarity as the Python tool writes it (each expected item scans every unused
 * answer item, strictly greater wins), item scores taken from the scorer itself: the
 * scorer's two-pass search with upper bounds must give exactly the same number. */
static double item_pair_score(const json_t *e, const json_t *a, const llmt_score_options *o)
{
    json_t *we = json_pack("{s:O}", "k", e), *wa = json_pack("{s:O}", "k", a);
    llmt_score_result r;
    double s;
    assert_int_equal(llmt_score(we, wa, o, &r, NULL), LLMT_OK);
    s = r.accuracy / 100.0;
    llmt_score_result_free(&r);
    json_decref(we);
    json_decref(wa);
    return s;
}

static double naive_set_score(const json_t *e, const json_t *a, const llmt_score_options *o)
{
    size_t ne = json_array_size(e), na = json_array_size(a), i, j;
    unsigned char used[64] = {0};
    double total = 0;
    if (ne == 0 || na == 0)
        return ne == 0 && na == 0 ? 1.0 : 0.0;
    for (i = 0; i < ne; i++) {
        double best = -1;
        size_t bj = SIZE_MAX;
        for (j = 0; j < na; j++) {
            double s;
            if (used[j])
                continue;
            s = item_pair_score(json_array_get(e, i), json_array_get(a, j), o);
            if (s > best) {
                best = s;
                bj = j;
            }
        }
        if (bj != SIZE_MAX)
            used[bj] = 1;
        total += best > 0 ? best : 0;
    }
    return total / (double)ne;
}

static void test_score_fuzz_set_similarity_matches_naive(void **state)
{
    llmt_rng r;
    int round;
    (void)state;
    llmt_rng_seed(&r, SEED + 4);
    for (round = 0; round < ROUNDS; round++) {
        json_t *e = json_array(), *a, *we, *wa;
        llmt_score_options o;
        llmt_score_result res;
        size_t i, n = 1 + pick(&r, 8);
        double want;
        llmt_score_options_init(&o);
        o.list_mode = LLMT_LIST_SET_SIMILARITY;
        o.threshold = (double)(40 + pick(&r, 61));
        o.tolerance = pick(&r, 3) == 0 ? 0.1 : 0;
        if (pick(&r, 2)) {
            for (i = 0; i < n; i++)
                json_array_append_new(e, random_value(&r, 2));
            a = mutate(&r, e, 1);
        } else {
            /* near-duplicates, so that many pairs score between 0 and 1 */
            static const char *const family[] = {
                "Software Engineer", "Software Enginer", "Softwar Engineer", "Sofware Enginee",
                "software engineering", "Senior Software Engineer", "Hardware Engineer",
                "Software Engineers", "Soft Engineer", "Engineer, Software"};
            a = json_array();
            for (i = 0; i < n; i++)
                json_array_append_new(e, pick(&r, 3) ? json_string(family[pick(&r, 10)])
                                                     : json_pack("{s:s,s:i}", "t", family[pick(&r, 10)],
                                                                 "n", (int)pick(&r, 2)));
            for (i = 0; i < n + pick(&r, 3); i++)
                json_array_append_new(a, pick(&r, 3) ? json_string(family[pick(&r, 10)])
                                                     : json_pack("{s:s,s:i}", "t", family[pick(&r, 10)],
                                                                 "n", (int)pick(&r, 2)));
        }
        if (!json_is_array(a)) {
            json_decref(a);
            a = json_array();
        }
        want = naive_set_score(e, a, &o);
        we = json_pack("{s:O}", "k", e);
        wa = json_pack("{s:O}", "k", a);
        assert_int_equal(llmt_score(we, wa, &o, &res, NULL), LLMT_OK);
        if (fabs(res.accuracy / 100.0 - want) > 1e-9) {
            char *se = json_dumps(e, 0), *sa = json_dumps(a, 0);
            fail_msg("round %d: set_similarity %f, naive %f\n%s\n%s", round, res.accuracy / 100,
                     want, se, sa);
        }
        llmt_score_result_free(&res);
        llmt_score_options_free(&o);
        json_decref(we);
        json_decref(wa);
        json_decref(e);
        json_decref(a);
    }
}

/* Random schemas from the supported vocabulary (and some junk), random instances. */
static json_t *random_schema(llmt_rng *r, int depth)
{
    static const char *const types[] = {"object", "array", "string", "number",
                                        "integer", "boolean", "null"};
    static const char *const formats[] = {"date", "date-time", "uri", "email", "uuid"};
    json_t *s;
    unsigned n = pick(r, 5), i;
    if (pick(r, 12) == 0)
        return json_boolean(pick(r, 2));
    s = json_object();
    for (i = 0; i < n; i++) {
        switch (pick(r, depth > 3 ? 8 : 12)) {
        case 0: json_object_set_new(s, "type", json_string(types[pick(r, 7)])); break;
        case 1:
            json_object_set_new(s, "type", json_pack("[ss]", types[pick(r, 7)], "null"));
            break;
        case 2: json_object_set_new(s, "minimum", json_integer((json_int_t)pick(r, 5) - 2)); break;
        case 3: json_object_set_new(s, "maxLength", json_integer(pick(r, 6))); break;
        case 4: json_object_set_new(s, "format", json_string(formats[pick(r, 5)])); break;
        case 5: json_object_set_new(s, "enum", json_pack("[s,i,n]", WORDS[pick(r, 4)], 1)); break;
        case 6: json_object_set_new(s, "required", json_pack("[s]", WORDS[pick(r, 4)])); break;
        case 7: json_object_set_new(s, "pattern", json_string("^a")); break;
        case 8: {
            json_t *props = json_object();
            json_object_set_new(props, WORDS[pick(r, 4)], random_schema(r, depth + 1));
            json_object_set_new(s, "properties", props);
            json_object_set_new(s, "additionalProperties", pick(r, 2) ? json_false()
                                                                      : random_schema(r, depth + 1));
            break;
        }
        case 9: json_object_set_new(s, "items", random_schema(r, depth + 1)); break;
        case 10:
            json_object_set_new(s, pick(r, 2) ? "anyOf" : "oneOf",
                                json_pack("[o,o]", random_schema(r, depth + 1),
                                          random_schema(r, depth + 1)));
            break;
        default: json_object_set_new(s, "$ref", json_string(pick(r, 2) ? "#" : "#/$defs/none")); break;
        }
    }
    return s;
}

static void test_validate_fuzz_random_schemas(void **state)
{
    llmt_rng r;
    int round, compiled = 0;
    (void)state;
    llmt_rng_seed(&r, SEED + 1);
    for (round = 0; round < ROUNDS; round++) {
        json_t *schema = random_schema(&r, 0), *inst = random_value(&r, 0), *viol = json_array();
        llmt_diags d = {0};
        llmt_schema *s = llmt_schema_compile(schema, "fuzz.json", &d);
        if (s) {
            bool valid = llmt_schema_validate(s, inst, viol);
            size_t i;
            json_t *v;
            compiled++;
            assert_true(valid == (json_array_size(viol) == 0));
            json_array_foreach(viol, i, v) {
                if (!json_is_string(v) || (!strchr(json_string_value(v), ':') &&
                                           strncmp(json_string_value(v), "(and ", 5) != 0))
                    fail_msg("round %d: odd violation %s", round, json_dumps(v, JSON_ENCODE_ANY));
            }
            assert_true(valid == llmt_schema_validate(s, inst, NULL));
        } else {
            assert_true(d.errors > 0);
        }
        llmt_schema_free(s);
        llmt_diags_free(&d);
        json_decref(schema);
        json_decref(inst);
        json_decref(viol);
    }
    assert_true(compiled > ROUNDS / 4); /* the generator must exercise validation too */
}

/* Any JSON value, used as a schema, compiles or is refused: never a crash. */
static void test_validate_fuzz_arbitrary_json_as_schema(void **state)
{
    llmt_rng r;
    int round;
    (void)state;
    llmt_rng_seed(&r, SEED + 2);
    for (round = 0; round < ROUNDS; round++) {
        json_t *schema = random_value(&r, 0), *inst = random_value(&r, 0);
        llmt_diags d = {0};
        llmt_schema *s = llmt_schema_compile(schema, "fuzz.json", &d);
        if (s)
            llmt_schema_validate(s, inst, NULL);
        llmt_schema_free(s);
        llmt_diags_free(&d);
        json_decref(schema);
        json_decref(inst);
    }
}

/* Serialised random JSON wrapped in prose/fences, cut at random points. */
static void test_extract_fuzz_wrapped(void **state)
{
    static const char *const before[] = {"", "Here you go:\n", "```json\n", "```\n", "{", "Note: {x}\n"};
    static const char *const after[] = {"", "\n```", "\nThanks!", "}", "\n```\nmore ``` text"};
    llmt_rng r;
    int round;
    (void)state;
    llmt_rng_seed(&r, SEED + 3);
    for (round = 0; round < ROUNDS; round++) {
        json_t *v = random_value(&r, 0), *got = NULL;
        char *body = json_dumps(v, JSON_ENCODE_ANY);
        char *text = llmt_asprintf("%s%s%s", before[pick(&r, 6)], body, after[pick(&r, 5)]);
        llmt_extract_method m;
        llmt_error err;
        size_t len = strlen(text);
        if (pick(&r, 3) == 0)
            text[pick(&r, (unsigned)len + 1)] = '\0'; /* truncated reply */
        if (llmt_extract_json(text, &got, &m, &err) == LLMT_OK)
            assert_non_null(got);
        else
            assert_true(err.message[0] != '\0');
        json_decref(got);
        json_decref(v);
        free(body);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_fuzz_random_pairs),
        cmocka_unit_test(test_score_fuzz_set_similarity_matches_naive),
        cmocka_unit_test(test_validate_fuzz_random_schemas),
        cmocka_unit_test(test_validate_fuzz_arbitrary_json_as_schema),
        cmocka_unit_test(test_extract_fuzz_wrapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
