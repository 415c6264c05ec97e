/* The result line (run/result.c) is printed as text without a jansson tree; its bytes
 * must stay what the tree the result module used to build printed (results.jsonl and
 * results.json are read by other tools). ref_build() below is that builder, kept as it
 * was; every input is printed both ways and compared, the line must parse, and the
 * summary fed from the writer's entry must equal the summary fed from the tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/jsonw.h"
#include "run/result.h"
#include "run/report_stats.h"
#include "run/summary.h"
#include "score/extract.h"
#include "test_json.h"

/* ------------------------------------------------------------ the old tree builder */

static const char *ref_structured_mode_name(llmt_structured_mode m)
{
    return m == LLMT_STRUCTURED_JSON_SCHEMA   ? "json_schema"
           : m == LLMT_STRUCTURED_JSON_OBJECT ? "json_object"
                                              : "prompt_only";
}

static json_t *ref_error_json(const llmt_error *e)
{
    json_t *o = json_pack("{s:s, s:s}", "class", llmt_status_name(e->status), "message", e->message);
    json_object_set_new(o, "http_status", e->http_status ? json_integer(e->http_status) : json_null());
    if (e->provider[0])
        json_object_set_new(o, "provider", json_string(e->provider));
    if (e->code[0])
        json_object_set_new(o, "code", json_string(e->code));
    if (e->request_id[0])
        json_object_set_new(o, "request_id", json_string(e->request_id));
    if (e->retry_after_s >= 0)
        json_object_set_new(o, "retry_after_s", json_real(e->retry_after_s));
    return o;
}

/* The attempts as the engine built them before they became structs (record_attempt
 * and json_set_usage, kept here as the reference). */
static json_t *ref_attempts_json(const llmt_attempts *as)
{
    json_t *arr = json_array();
    unsigned i;
    for (i = 0; i < as->n; i++) {
        const llmt_attempt *at = &as->v[i];
        json_t *a = json_object(), *usage = json_object();
        json_object_set_new(a, "model", json_string(at->model));
        json_object_set_new(a, "class", json_string(at->status == LLMT_OK ? "ok" : llmt_status_name(at->status)));
        json_object_set_new(a, "latency_ms", json_real(at->latency_ms));
        json_object_set_new(a, "http_status", at->status != LLMT_OK && at->http_status
                                                  ? json_integer(at->http_status)
                                                  : json_null());
        if (at->status != LLMT_OK)
            json_object_set_new(a, "message", json_string(at->message));
        json_object_set_new(usage, "input_tokens", json_integer(at->input_tokens));
        json_object_set_new(usage, "output_tokens", json_integer(at->output_tokens));
        json_object_set_new(usage, "cost_usd", at->cost_known ? json_real(at->cost_usd) : json_null());
        json_object_set_new(a, "usage", usage);
        if (at->cached)
            json_object_set_new(a, "cached", json_true());
        json_array_append_new(arr, a);
    }
    return arr;
}

static json_t *ref_build(const llmt_result_input *in)
{
    json_t *r = json_object(), *usage = json_object(), *violations = json_array();
    const llmt_response *resp = in->response;
    json_t *answer = NULL;
    llmt_extract_method method = LLMT_EXTRACT_NONE;
    llmt_error xerr;
    llmt_score_result sr = {0, NULL};
    llmt_score_options so;
    bool valid = false;

    json_object_set_new(r, "task", json_string(in->task));
    json_object_set_new(r, "case", json_string(in->case_name));
    json_object_set_new(r, "provider", json_string(in->provider));
    json_object_set_new(r, "model", json_string(in->model));
    json_object_set_new(r, "repeat", json_integer(in->repeat));

    if (resp) {
        if (llmt_extract_json(resp->text, &answer, &method, &xerr) != LLMT_OK) {
            json_array_append_new(violations, json_sprintf("(root): %s", xerr.message));
            json_object_set_new(r, "extraction_error", json_string(xerr.message));
            answer = NULL;
        }
        if (answer) {
            if (in->schema) {
                valid = llmt_schema_validate(in->schema, answer, violations);
            } else {
                valid = json_is_object(answer);
                if (!valid)
                    json_array_append_new(violations,
                                          json_sprintf("(root): expected object, got %s",
                                                       json_is_array(answer) ? "array" : "a scalar"));
            }
            llmt_result_scoring(in->scoring, &so);
            if (llmt_score(in->expected, answer, &so, &sr, &xerr) != LLMT_OK)
                json_object_set_new(r, "score_error", json_string(xerr.message));
        }
        json_object_set_new(usage, "input_tokens", json_integer(in->has_totals ? in->usage_total.input_tokens
                                                                               : resp->usage.input_tokens));
        json_object_set_new(usage, "output_tokens", json_integer(in->has_totals ? in->usage_total.output_tokens
                                                                                : resp->usage.output_tokens));
        if (resp->usage.cached_input_tokens >= 0)
            json_object_set_new(usage, "cached_input_tokens",
                                json_integer(resp->usage.cached_input_tokens));
        if (resp->usage.reasoning_tokens >= 0)
            json_object_set_new(usage, "reasoning_tokens", json_integer(resp->usage.reasoning_tokens));
        if (in->has_totals)
            json_object_set_new(usage, "cost_usd", in->cost_total_known ? json_real(in->cost_total) : json_null());
        else
            json_object_set_new(usage, "cost_usd", resp->cost_known ? json_real(resp->cost_usd) : json_null());
        /* a cached answer: the part of the cost this run did not pay */
        if (json_is_real(json_object_get(usage, "cost_usd")) && resp->from_cache && resp->cost_known &&
            resp->cost_usd > 0)
            json_object_set_new(usage, "saved_usd", json_real(resp->cost_usd));
        json_object_set_new(r, "latency_ms", json_real(resp->latency_ms));
        json_object_set_new(r, "error", json_null());
        json_object_set_new(r, "structured_mode", json_string(ref_structured_mode_name(resp->structured_mode)));
        json_object_set_new(r, "strict", json_boolean(resp->schema_strict));
        if (resp->schema_relaxed)
            json_object_set_new(r, "schema_relaxed", json_loads(resp->schema_relaxed, 0, NULL));
        if (in->answered_by) {
            char *own = llmt_asprintf("%s:%s", in->provider, in->model);
            json_object_set_new(r, "answered_by", json_string(in->answered_by));
            if (json_object_get(r, "answered_by") && strcmp(own, in->answered_by) != 0)
                json_object_set_new(r, "fallback", json_true()); /* a fallback answered */
            free(own);
        } else
            json_object_set_new(r, "answered_by", json_sprintf("%s:%s", in->provider, in->model));
        if (resp->model)
            json_object_set_new(r, "reply_model", json_string(resp->model));
        json_object_set_new(r, "raw_reply_chars", json_integer((json_int_t)strlen(resp->text)));
        if (!answer) {
            bool cut;
            char *raw = llmt_raw_reply_text(resp->text, &cut);
            json_object_set_new(r, "raw_reply", json_string(raw));
            if (cut && json_object_get(r, "raw_reply"))
                json_object_set_new(r, "raw_reply_truncated", json_true());
            free(raw);
        }
        if (resp->from_cache)
            json_object_set_new(r, "cached", json_true());
    } else {
        json_object_set_new(usage, "input_tokens", json_integer(in->has_totals ? in->usage_total.input_tokens : 0));
        json_object_set_new(usage, "output_tokens", json_integer(in->has_totals ? in->usage_total.output_tokens : 0));
        json_object_set_new(usage, "cost_usd", !in->has_totals ? json_real(0)
                                               : in->cost_total_known ? json_real(in->cost_total) : json_null());
        json_object_set_new(r, "answered_by", json_null());
        json_object_set_new(r, "latency_ms", json_real(in->latency_ms));
        json_object_set_new(r, "error", in->error ? ref_error_json(in->error) : json_null());
    }
    json_object_set_new(r, "accuracy", json_real(answer && valid ? sr.accuracy : 0.0));
    if (answer && !valid && sr.fields)
        json_object_set_new(r, "accuracy_if_valid", json_real(sr.accuracy));
    json_object_set_new(r, "valid", json_boolean(valid));
    json_object_set_new(r, "violations", violations);
    json_object_set_new(r, "extraction", json_string(llmt_extract_method_name(method)));
    json_object_set_new(r, "usage", usage);
    json_object_set_new(r, "fields", sr.fields ? json_incref(sr.fields) : json_array());
    json_object_set_new(r, "answer", answer ? answer : json_null());
    if (in->attempts)
        json_object_set_new(r, "attempts", ref_attempts_json(in->attempts));
    llmt_score_result_free(&sr);
    return r;
}

/* ------------------------------------------------------------ comparison */

static const char *const MODELS[] = {"openai:gpt-4o-mini", "p:m"};

static void summaries_equal(const llmt_summary *a, const llmt_summary *b)
{
    size_t i;
    assert_int_equal(a->n_models, b->n_models);
    for (i = 0; i < a->n_models; i++) {
        const llmt_model_summary *x = &a->models[i], *y = &b->models[i];
        assert_int_equal(x->results, y->results);
        assert_int_equal(x->errors, y->errors);
        assert_int_equal(x->valid, y->valid);
        assert_true(x->acc_sum == y->acc_sum && x->acc_sq_sum == y->acc_sq_sum);
        assert_true(x->acc_min == y->acc_min && x->acc_max == y->acc_max);
        assert_true(x->latency_sum == y->latency_sum && x->latency_sq_sum == y->latency_sq_sum);
        assert_true(x->latency_min == y->latency_min && x->latency_max == y->latency_max);
        assert_int_equal(x->input_tokens, y->input_tokens);
        assert_int_equal(x->output_tokens, y->output_tokens);
        assert_true(x->cost_usd == y->cost_usd);
        assert_int_equal(x->cost_unknown, y->cost_unknown);
        assert_int_equal(x->first_attempt_valid, y->first_attempt_valid);
        assert_int_equal(x->attempts, y->attempts);
        assert_int_equal(x->by_fallback, y->by_fallback);
        assert_int_equal(x->schema_unenforced, y->schema_unenforced);
        assert_int_equal(x->modes, y->modes);
        assert_true(json_equal(x->schema_relaxed, y->schema_relaxed) ||
                    (!x->schema_relaxed && !y->schema_relaxed));
        assert_int_equal(x->answered, y->answered);
        assert_int_equal(x->errors, y->errors);
        assert_int_equal(x->skipped, y->skipped);
        assert_true(x->saved_usd == y->saved_usd);
    }
    assert_int_equal(a->n_fallbacks, b->n_fallbacks);
    assert_true(a->total_cost == b->total_cost);
    assert_int_equal(a->n_rows, b->n_rows);
    for (i = 0; i < a->n_rows; i++) {
        const llmt_result_row *x = &a->rows[i], *y = &b->rows[i];
        assert_int_equal(x->task, y->task);
        assert_int_equal(x->kase, y->kase);
        assert_int_equal(x->model, y->model);
        assert_int_equal(x->repeat, y->repeat);
        assert_true(x->accuracy == y->accuracy && x->latency_ms == y->latency_ms);
        assert_true(x->cost_usd == y->cost_usd);
        assert_int_equal(x->tokens, y->tokens);
        assert_int_equal(x->valid, y->valid);
        assert_int_equal(x->failed, y->failed);
        assert_int_equal(x->cost_known, y->cost_known);
        assert_string_equal(x->error_class, y->error_class);
    }
    assert_int_equal(a->n_errors, b->n_errors);
    for (i = 0; i < a->n_errors; i++) {
        assert_string_equal(a->errors[i].provider, b->errors[i].provider);
        assert_string_equal(a->errors[i].error_class, b->errors[i].error_class);
        assert_int_equal(a->errors[i].count, b->errors[i].count);
        assert_string_equal(a->errors[i].example, b->errors[i].example);
    }
}

typedef struct checker {
    llmt_summary from_tree, from_entry;
    size_t n, with_error, without_error_key;
} checker;

/* Prints `in` both ways and compares; feeds both summaries (model index mi). */
static void check(checker *c, const llmt_result_input *in, unsigned mi)
{
    json_t *tree = ref_build(in), *parsed;
    char *want = llmt_json_dumps_compact(tree, true);
    char *jansson = json_dumps(tree, JSON_COMPACT | JSON_ENSURE_ASCII);
    llmt_buf b = {0};
    llmt_summary_entry e;
    json_error_t je;
    static const char prefix[] = "{\"previous\":1}\n";
    assert_non_null(want);
    assert_non_null(jansson);
    assert_string_equal(want, jansson); /* the old way, as jansson prints it */
    llmt_buf_puts(&b, prefix);          /* lines are appended to a pending batch */
    assert_true(llmt_result_write(in, &b, &e));
    assert_false(b.oom);
    assert_int_equal(b.len, strlen(b.data));
    if (strcmp(b.data + sizeof prefix - 1, want) != 0)
        fail_msg("result %zu differs:\n want %s\n got  %s", c->n, want, b.data + sizeof prefix - 1);
    assert_memory_equal(b.data, prefix, sizeof prefix - 1);
    parsed = json_loads(b.data + sizeof prefix - 1, 0, &je);
    if (!json_is_object(parsed))
        fail_msg("result %zu does not parse: %s: %s", c->n, je.text, b.data);
    assert_true(json_equal(parsed, tree));
    c->with_error += json_is_object(json_object_get(tree, "error"));
    c->without_error_key += !json_object_get(tree, "error");
    llmt_summary_add(&c->from_tree, 0, (unsigned)c->n, mi, tree);
    llmt_summary_add_entry(&c->from_entry, 0, (unsigned)c->n, mi, &e);
    c->n++;
    json_decref(parsed);
    json_decref(tree);
    free(want);
    free(jansson);
    llmt_buf_free(&b);
}

static void checker_init(checker *c)
{
    memset(c, 0, sizeof(*c));
    llmt_summary_init(&c->from_tree, MODELS, 2);
    llmt_summary_init(&c->from_entry, MODELS, 2);
}

static void checker_done(checker *c)
{
    summaries_equal(&c->from_tree, &c->from_entry);
    llmt_summary_free(&c->from_tree);
    llmt_summary_free(&c->from_entry);
}

/* ------------------------------------------------------------ inputs */

typedef struct fixture {
    json_t *schema_json, *expected;
    llmt_attempt one[1], three[3], odd[2];
    llmt_attempts attempts1, attempts3, attempts_odd;
    llmt_schema *schema;
    llmt_score_options scoring;
    llmt_diags diags;
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->schema_json = J("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                       "\"value\":{\"type\":\"integer\"},\"tags\":{\"type\":\"array\","
                       "\"items\":{\"type\":\"string\"}}},\"required\":[\"name\",\"value\"],"
                       "\"additionalProperties\":false}");
    f->schema = llmt_schema_compile(f->schema_json, "schema.json", &f->diags);
    assert_non_null(f->schema);
    f->expected = J("{\"name\":\"bench\",\"value\":1,\"tags\":[\"a\",\"caf\\u00e9\"]}");
    /* a success; a rate limit, a server error and a cached answer; a message that is not
     * UTF-8 and a latency that is not finite (members the tree builder left out), with
     * an unknown cost */
    f->one[0] = (llmt_attempt){"openai:gpt-4o-mini", LLMT_OK, 1.5, 0, NULL, 3, 4, true, 1e-5, false, false};
    f->three[0] = (llmt_attempt){"p:m", LLMT_E_RATE_LIMIT, 0.25, 429, "slow \xc3\xa9", 0, 0, true, 0, false, false};
    f->three[1] = (llmt_attempt){"p:m", LLMT_E_SERVER, 12, 0, "boom", 0, 0, true, 0, false, false};
    f->three[2] = (llmt_attempt){"q:n", LLMT_OK, 0, 0, NULL, 7, 8, true, 0.5, true, false};
    f->odd[0] = (llmt_attempt){"p:m", LLMT_E_NETWORK, 1.0 / 0.0, 0, "cut \xe2\x82", 0, 0, true, 0, false, false};
    f->odd[1] = (llmt_attempt){"p:m", LLMT_OK, 2, 0, NULL, 1, 2, false, 0, false, false};
    f->attempts1 = (llmt_attempts){f->one, 1, 1};
    f->attempts3 = (llmt_attempts){f->three, 3, 3};
    f->attempts_odd = (llmt_attempts){f->odd, 2, 2};
    llmt_score_options_init(&f->scoring);
}

static void fixture_free(fixture *f)
{
    llmt_schema_free(f->schema);
    json_decref(f->schema_json);
    json_decref(f->expected);
    llmt_score_options_free(&f->scoring);
    llmt_diags_free(&f->diags);
}

/* Reply texts: exact, partly wrong, fenced, prose around braces, schema violations,
 * arrays and scalars, non-ASCII and control characters, no JSON at all, big numbers. */
static const char *const TEXTS[] = {
    "{\"name\":\"bench\",\"value\":1,\"tags\":[\"a\",\"caf\\u00e9\"]}",
    "{\"name\":\"Bench\",\"value\":2}",
    "```json\n{\"name\":\"bench\",\"value\":1}\n```",
    "Here it is: {\"name\": \"b\\u00e9nch \\ud83d\\ude00\", \"value\": 1} hope that helps",
    "{\"name\":7,\"value\":\"one\",\"extra\":[1,2.5,-0.0,1e300,1e-300,123456789012345678]}",
    "[1,2,3]",
    "42",
    "\"just a string\"",
    "no json here at all",
    "{\"name\":\"tab\\there \\\"q\\\" back\\\\slash \\u0001 \\u001f \\u007f \\u2028\","
    "\"value\":1,\"tags\":[\"\\u4e2d\\u6587\",\"\"]}",
    "{\"name\":\"caf\xc3\xa9 raw \xe2\x82\xac\",\"value\":1.0}",
    "{\"name\":\"bench\",\"value\":1,\"tags\":[\"a\",\"cafe\"],\"nested\":{\"a\":{\"b\":[{},[]]}}}",
    "{\"name\": \"unterminated\", \"value\": ",
    "{}",
    "{\"name\":null,\"value\":9007199254740993}",
};

/* Strings for names, models, messages: ASCII, non-ASCII, control characters, quotes, an
 * invalid UTF-8 sequence (a message cut inside a character), empty. */
static const char *const STRS[] = {
    "plain", "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", "ctl \x01\x1f\t\n\r\b\f \x7f",
    "quote \" back \\ slash /", "cut \xe2\x82", "", "\xff", "p",
};
#define N_STRS (sizeof STRS / sizeof STRS[0])

static const double REALS[] = {0,      0.1,    12.5,    1e-9,     -3.25,  1e15,  1e300,
                               -1e-300, 5.0,   123456789.123456789, -0.0, 2.5e-05,
                               1e16,   NAN,    INFINITY, -INFINITY, 999999999999999.0};
#define N_REALS (sizeof REALS / sizeof REALS[0])

static void set_str(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s);
}

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* One input from a random state: every field drawn from the sets above. */
static void random_input(uint64_t *x, const fixture *f, llmt_result_input *in,
                         llmt_response *resp, llmt_error *err, char *rmodel, unsigned *mi)
{
    static const llmt_status statuses[] = {LLMT_E_RATE_LIMIT, LLMT_E_TIMEOUT, LLMT_E_BUDGET,
                                           LLMT_E_IO, LLMT_E_BAD_RESPONSE, LLMT_E_CANCELLED};
    static const char *const answerers[] = {NULL, "openai:gpt-4o-mini", "p:m", "q:n", "cut \xe2"};
    memset(in, 0, sizeof(*in));
    memset(resp, 0, sizeof(*resp));
    llmt_error_clear(err);
    *mi = (unsigned)(next(x) % 2);
    in->task = next(x) % 4 ? "bench" : STRS[next(x) % N_STRS];
    in->case_name = next(x) % 4 ? "c000001" : STRS[next(x) % N_STRS];
    in->provider = next(x) % 4 ? (*mi ? "p" : "openai") : STRS[next(x) % N_STRS];
    in->model = next(x) % 4 ? (*mi ? "m" : "gpt-4o-mini") : STRS[next(x) % N_STRS];
    in->repeat = (int)(next(x) % 4);
    in->expected = f->expected;
    in->schema = next(x) % 3 ? f->schema : NULL;
    in->scoring = &f->scoring;
    in->latency_ms = REALS[next(x) % N_REALS];
    in->attempts = next(x) % 3 == 0 ? NULL : next(x) % 2 ? &f->attempts1
                                       : next(x) % 4 ? &f->attempts3 : &f->attempts_odd;
    in->answered_by = answerers[next(x) % 5];
    in->has_totals = next(x) % 2;
    in->usage_total.input_tokens = (long)(next(x) % 100000);
    in->usage_total.output_tokens = next(x) % 5 ? (long)(next(x) % 1000) : 9000000000L;
    in->cost_total = REALS[next(x) % N_REALS];
    in->cost_total_known = next(x) % 3;
    if (next(x) % 4) {
        resp->text = (char *)TEXTS[next(x) % (sizeof TEXTS / sizeof TEXTS[0])];
        set_str(rmodel, 64, STRS[next(x) % N_STRS]);
        resp->model = next(x) % 3 ? rmodel : NULL;
        resp->usage.input_tokens = (long)(next(x) % 5000);
        resp->usage.output_tokens = (long)(next(x) % 5000);
        resp->usage.cached_input_tokens = next(x) % 2 ? -1 : (long)(next(x) % 100);
        resp->usage.reasoning_tokens = next(x) % 2 ? -1 : (long)(next(x) % 100);
        resp->latency_ms = REALS[next(x) % N_REALS];
        resp->cost_usd = REALS[next(x) % N_REALS];
        resp->cost_known = next(x) % 3;
        resp->structured_mode = (llmt_structured_mode)(next(x) % 3);
        resp->schema_strict = next(x) % 2;
        resp->schema_relaxed = next(x) % 3 ? NULL : (char *)"[\"pattern\",\"caf\\u00E9\"]";
        resp->from_cache = next(x) % 4 == 0;
        in->response = resp;
    } else if (next(x) % 6) {
        err->status = statuses[next(x) % (sizeof statuses / sizeof statuses[0])];
        err->http_status = next(x) % 2 ? 0 : 429;
        err->retry_after_s = next(x) % 2 ? -1 : REALS[next(x) % N_REALS];
        if (next(x) % 2)
            set_str(err->provider, sizeof err->provider, STRS[next(x) % N_STRS]);
        if (next(x) % 2)
            set_str(err->code, sizeof err->code, STRS[next(x) % N_STRS]);
        if (next(x) % 2)
            set_str(err->request_id, sizeof err->request_id, STRS[next(x) % N_STRS]);
        set_str(err->message, sizeof err->message, next(x) % 3 ? "too many requests" : STRS[next(x) % N_STRS]);
        in->error = err;
    }
    /* else: a failure without error details ("error": null) */
}

/* ------------------------------------------------------------ tests */

/* Every reply text, with and without a schema, with the usual fields. */
static void result_texts_match_tree(void **state)
{
    fixture f;
    checker c;
    size_t i;
    int s;
    (void)state;
    fixture_init(&f);
    checker_init(&c);
    for (i = 0; i < sizeof TEXTS / sizeof TEXTS[0]; i++) {
        for (s = 0; s < 2; s++) {
            llmt_result_input in;
            llmt_response resp;
            memset(&in, 0, sizeof in);
            memset(&resp, 0, sizeof resp);
            resp.text = (char *)TEXTS[i];
            resp.model = "gpt-4o-mini-2024-07-18";
            resp.usage.input_tokens = 120;
            resp.usage.output_tokens = 14;
            resp.usage.cached_input_tokens = -1;
            resp.usage.reasoning_tokens = -1;
            resp.latency_ms = 12.345;
            resp.cost_usd = 2.52e-05;
            resp.cost_known = true;
            resp.structured_mode = LLMT_STRUCTURED_JSON_SCHEMA;
            in.task = "bench";
            in.case_name = "c000001";
            in.provider = "openai";
            in.model = "gpt-4o-mini";
            in.expected = f.expected;
            in.schema = s ? f.schema : NULL;
            in.scoring = &f.scoring;
            in.response = &resp;
            in.attempts = &f.attempts1;
            in.answered_by = "openai:gpt-4o-mini";
            in.has_totals = true;
            in.usage_total = resp.usage;
            in.cost_total = resp.cost_usd;
            in.cost_total_known = true;
            check(&c, &in, 0);
        }
    }
    checker_done(&c);
    fixture_free(&f);
}

/* Failures: every error field set and unset, and a message that is not UTF-8 (the old
 * builder then left "error" out altogether, and the summary saw no failure). */
static void result_errors_match_tree(void **state)
{
    fixture f;
    checker c;
    unsigned bits;
    size_t k;
    (void)state;
    fixture_init(&f);
    checker_init(&c);
    for (bits = 0; bits < 64; bits++) {
        for (k = 0; k < N_STRS; k++) {
            llmt_result_input in;
            llmt_error err;
            memset(&in, 0, sizeof in);
            llmt_error_clear(&err);
            err.status = bits & 1 ? LLMT_E_RATE_LIMIT : LLMT_E_NETWORK;
            err.http_status = bits & 2 ? 429 : 0;
            if (bits & 4)
                set_str(err.provider, sizeof err.provider, STRS[k]);
            if (bits & 8)
                set_str(err.code, sizeof err.code, STRS[(k + 1) % N_STRS]);
            if (bits & 16)
                set_str(err.request_id, sizeof err.request_id, STRS[(k + 2) % N_STRS]);
            err.retry_after_s = bits & 32 ? REALS[k % N_REALS] : -1;
            set_str(err.message, sizeof err.message, STRS[(k + bits) % N_STRS]);
            in.task = "bench";
            in.case_name = "c1";
            in.provider = STRS[(k + 3) % N_STRS];
            in.model = "m";
            in.repeat = (int)k;
            in.expected = f.expected;
            in.schema = f.schema;
            in.scoring = &f.scoring;
            in.error = &err;
            in.latency_ms = REALS[(bits + k) % N_REALS];
            in.attempts = bits & 1 ? &f.attempts3 : NULL;
            in.has_totals = bits & 2;
            in.usage_total.input_tokens = 10;
            in.usage_total.output_tokens = 5;
            in.cost_total = REALS[bits % N_REALS];
            in.cost_total_known = bits & 8;
            check(&c, &in, 1);
        }
    }
    assert_true(c.with_error > 0);
    assert_true(c.without_error_key > 0); /* the invalid messages */
    checker_done(&c);
    fixture_free(&f);
}

/* Random combinations of everything (fixed seed). */
static void result_random_inputs_match_tree(void **state)
{
    fixture f;
    checker c;
    uint64_t x = 0x2545F4914F6CDD1Du;
    char rmodel[64];
    int i;
    (void)state;
    fixture_init(&f);
    checker_init(&c);
    for (i = 0; i < 5000; i++) {
        llmt_result_input in;
        llmt_response resp;
        llmt_error err;
        unsigned mi;
        random_input(&x, &f, &in, &resp, &err, rmodel, &mi);
        check(&c, &in, mi);
    }
    checker_done(&c);
    fixture_free(&f);
}

/* What the summary reads from a typical line, spelled out (the comparisons above only
 * show that both ways agree). */
static void result_entry_values(void **state)
{
    fixture f;
    llmt_result_input in;
    llmt_response resp;
    llmt_error err;
    llmt_summary_entry e;
    llmt_buf b = {0};
    (void)state;
    fixture_init(&f);
    memset(&in, 0, sizeof in);
    memset(&resp, 0, sizeof resp);
    resp.text = (char *)TEXTS[1];
    resp.usage.cached_input_tokens = resp.usage.reasoning_tokens = -1;
    resp.latency_ms = 20;
    in.task = "t";
    in.case_name = "c";
    in.provider = "p";
    in.model = "m";
    in.repeat = 2;
    in.expected = f.expected;
    in.schema = f.schema;
    in.scoring = &f.scoring;
    in.response = &resp;
    in.attempts = &f.attempts3;
    in.answered_by = "q:n";
    in.has_totals = true;
    in.usage_total.input_tokens = 7;
    in.usage_total.output_tokens = 8;
    in.cost_total = 0.5;
    in.cost_total_known = true;
    assert_true(llmt_result_write(&in, &b, &e));
    assert_int_equal(e.repeat, 2);
    assert_true(e.accuracy > 0 && e.accuracy < 100);
    assert_true(e.latency_ms == 20);
    assert_int_equal(e.input_tokens, 7);
    assert_int_equal(e.output_tokens, 8);
    assert_true(e.cost_known && e.cost_usd == 0.5);
    assert_true(e.valid);
    assert_false(e.failed);
    assert_int_equal(e.attempts, 3);
    assert_string_equal(e.answered_by, "q:n");
    assert_null(e.answered_by_model);

    /* a failure: the error's fields, the result's provider when the error has none */
    llmt_error_clear(&err);
    llmt_error_set(&err, LLMT_E_QUOTA, "no credit");
    in.response = NULL;
    in.error = &err;
    in.has_totals = false;
    in.attempts = NULL;
    b.len = 0;
    assert_true(llmt_result_write(&in, &b, &e));
    assert_true(e.failed);
    assert_string_equal(e.error_class, "quota");
    assert_string_equal(e.error_message, "no credit");
    assert_string_equal(e.error_provider, "p");
    assert_true(e.cost_known && e.cost_usd == 0);
    assert_int_equal(e.attempts, 1);
    assert_null(e.answered_by);
    assert_false(e.valid);
    llmt_buf_free(&b);
    fixture_free(&f);
}

/* A one-attempt input of task t, case c, model p:m answering `text` (resp is filled). */
static void simple_input(llmt_result_input *in, llmt_response *resp, const char *text,
                         const json_t *expected, const llmt_score_options *scoring)
{
    memset(in, 0, sizeof(*in));
    memset(resp, 0, sizeof(*resp));
    resp->text = (char *)text;
    resp->usage.cached_input_tokens = resp->usage.reasoning_tokens = -1;
    in->task = "t";
    in->case_name = "c";
    in->provider = "p";
    in->model = "m";
    in->expected = expected;
    in->scoring = scoring;
    in->response = resp;
}

/* A reply that is not JSON is kept (issue 13), cut at LLMT_RAW_REPLY_MAX with a mark. */
static void result_keeps_raw_reply(void **state)
{
    fixture f;
    llmt_result_input in;
    llmt_summary_entry e;
    llmt_response resp;
    llmt_buf b = {0};
    json_t *line, *raw;
    char *big = malloc(LLMT_RAW_REPLY_MAX + 5000);
    (void)state;
    assert_non_null(big);
    fixture_init(&f);
    simple_input(&in, &resp, "Sorry, I can't extract that: the text is \xc3\xa9mpty.", f.expected, &f.scoring);
    assert_true(llmt_result_write(&in, &b, &e));
    line = J(b.data);
    assert_string_equal(json_string_value(json_object_get(line, "raw_reply")), resp.text);
    assert_null(json_object_get(line, "raw_reply_truncated"));
    json_decref(line);

    /* a long reply: its first LLMT_RAW_REPLY_MAX bytes (whole characters), then the mark */
    memset(big, 'x', LLMT_RAW_REPLY_MAX + 4999);
    memcpy(big + LLMT_RAW_REPLY_MAX - 1, "\xc3\xa9", 2); /* a character across the limit */
    big[LLMT_RAW_REPLY_MAX + 4999] = '\0';
    resp.text = big;
    b.len = 0;
    assert_true(llmt_result_write(&in, &b, &e));
    line = J(b.data);
    raw = json_object_get(line, "raw_reply");
    assert_true(json_is_true(json_object_get(line, "raw_reply_truncated")));
    assert_int_equal(json_string_length(raw), LLMT_RAW_REPLY_MAX - 1 + strlen(LLMT_RAW_REPLY_MARK));
    assert_non_null(strstr(json_string_value(raw), LLMT_RAW_REPLY_MARK));
    json_decref(line);

    /* an answer that parses keeps no copy of the reply */
    resp.text = (char *)"{\"name\":\"b\"}";
    b.len = 0;
    assert_true(llmt_result_write(&in, &b, &e));
    assert_null(strstr(b.data, "raw_reply\""));
    free(big);
    llmt_buf_free(&b);
    fixture_free(&f);
}

/* The fields entry of a value above LLMT_FIELD_ACTUAL_INLINE_MAX refers to the answer
 * instead of repeating it: a 1 MB answer makes a line of about 1 MB, not 2, and the value
 * is still found (llmt_result_field_actual), for a key and for the whole answer. */
static void result_stores_a_large_answer_once(void **state)
{
    enum { BIG = 1 << 20 };
    llmt_result_input in;
    llmt_summary_entry e;
    llmt_response resp;
    llmt_buf b = {0}, text = {0};
    json_t *expected = J("{\"text\": \"short\", \"n\": 1}"), *line, *f, *act;
    char *big = malloc(BIG + 1);
    size_t i;
    bool seen_text = false, seen_n = false;
    (void)state;
    assert_non_null(big);
    memset(big, 'y', BIG);
    big[BIG] = '\0';
    llmt_buf_puts(&text, "{\"text\": \"");
    llmt_buf_puts(&text, big);
    llmt_buf_puts(&text, "\", \"n\": 1}");
    simple_input(&in, &resp, text.data, expected, NULL);
    assert_true(llmt_result_write(&in, &b, &e));
    assert_true(b.len > BIG && b.len < BIG + BIG / 10);
    line = J(b.data);
    json_array_foreach(json_object_get(line, "fields"), i, f) {
        const char *path = json_string_value(json_object_get(f, "path"));
        act = llmt_result_field_actual(line, f);
        if (strcmp(path, "/text") == 0) {
            seen_text = true;
            assert_null(json_object_get(f, "actual"));
            assert_true(json_is_true(json_object_get(f, "actual_in_answer")));
            assert_int_equal(json_string_length(act), BIG);
        } else if (strcmp(path, "/n") == 0) {
            seen_n = true; /* a small value stays in place */
            assert_int_equal(json_integer_value(json_object_get(f, "actual")), 1);
            assert_ptr_equal(act, json_object_get(f, "actual"));
        }
    }
    assert_true(seen_text && seen_n);
    json_decref(line);

    /* the whole answer compared as one value (an array where an object was expected) */
    text.len = 0;
    llmt_buf_puts(&text, "[\"");
    llmt_buf_puts(&text, big);
    llmt_buf_puts(&text, "\"]");
    resp.text = text.data;
    b.len = 0;
    assert_true(llmt_result_write(&in, &b, &e));
    assert_true(b.len > BIG && b.len < BIG + BIG / 10);
    line = J(b.data);
    f = json_array_get(json_object_get(line, "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "path")), "");
    assert_string_equal(json_string_value(json_object_get(f, "reason")), "type_mismatch");
    assert_ptr_equal(llmt_result_field_actual(line, f), json_object_get(line, "answer"));
    json_decref(line);

    json_decref(expected);
    free(big);
    llmt_buf_free(&text);
    llmt_buf_free(&b);
}

/* A sub-tree that cannot be printed fails the line and leaves the buffer as it was: here
 * the scorer's fields, which carry an expected value that is not UTF-8. */
static void result_unprintable_rewinds(void **state)
{
    fixture f;
    llmt_result_input in;
    llmt_summary_entry e;
    llmt_response resp;
    llmt_buf b = {0};
    json_t *bad = json_object();
    (void)state;
    fixture_init(&f);
    assert_int_equal(json_object_set_new(bad, "name", json_stringn_nocheck("a\xff", 2)), 0);
    simple_input(&in, &resp, "{\"name\":\"b\"}", bad, &f.scoring);
    in.attempts = &f.attempts3;
    llmt_buf_puts(&b, "kept\n");
    assert_false(llmt_result_write(&in, &b, &e));
    assert_string_equal(b.data, "kept\n");
    assert_int_equal(b.len, 5);
    assert_int_equal(e.attempts, 3); /* the entry is still filled */
    json_decref(bad);
    llmt_buf_free(&b);
    fixture_free(&f);
}

/* The printer's parts print what the tree printer prints for the same value. */
static void jsonw_parts_match_dump(void **state)
{
    size_t i, k;
    (void)state;
    for (i = 0; i < N_REALS; i++) {
        llmt_buf a = {0}, b = {0};
        json_t *r = json_real(REALS[i]);
        bool ok = llmt_json_put_real(&a, REALS[i]);
        assert_int_equal(ok, r != NULL);
        if (r) {
            assert_true(llmt_json_dump_compact(r, &b, true));
            assert_string_equal(a.data, b.data);
        } else {
            assert_int_equal(a.len, 0);
        }
        json_decref(r);
        llmt_buf_free(&a);
        llmt_buf_free(&b);
    }
    for (i = 0; i < N_STRS; i++) {
        for (k = 0; k < 2; k++) {
            llmt_buf a = {0}, b = {0};
            json_t *s = json_string(STRS[i]);
            bool ok = llmt_json_put_string(&a, STRS[i], strlen(STRS[i]), k != 0);
            assert_int_equal(ok, s != NULL);
            if (s) {
                assert_true(llmt_json_dump_compact(s, &b, k != 0));
                assert_string_equal(a.data, b.data);
            }
            json_decref(s);
            llmt_buf_free(&a);
            llmt_buf_free(&b);
        }
    }
    {
        static const long long ints[] = {0, -1, 7, 9223372036854775807LL, -9223372036854775807LL - 1};
        for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
            llmt_buf a = {0}, b = {0};
            json_t *n = json_integer(ints[i]);
            llmt_json_put_int(&a, ints[i]);
            assert_true(llmt_json_dump_compact(n, &b, true));
            assert_string_equal(a.data, b.data);
            json_decref(n);
            llmt_buf_free(&a);
            llmt_buf_free(&b);
        }
    }
}

/* The "most lost" figures a run counts as it scores (llmt_result_input.field_stats) are
 * the ones read back from the lines it wrote, by the report's line reader and by the
 * summary of a resumed run (llmt_summary_add). */
static void result_field_stats_match_lines(void **state)
{
    static const char *const models[] = {"openai:gpt-4o-mini", "p:m"};
    fixture f;
    uint64_t x = 0x9E3779B97F4A7C15u;
    char rmodel[64];
    llmt_report_stats live, lines;
    llmt_summary sum;
    size_t i, counted = 0;
    (void)state;
    fixture_init(&f);
    llmt_report_stats_init(&live);
    llmt_report_stats_init(&lines);
    llmt_summary_init(&sum, models, 2);
    for (i = 0; i < 3000; i++) {
        llmt_result_input in;
        llmt_response resp;
        llmt_error err;
        llmt_summary_entry e;
        llmt_buf b = {0};
        json_t *tree;
        unsigned mi;
        random_input(&x, &f, &in, &resp, &err, rmodel, &mi);
        if (!llmt_result_write(&in, &b, &e)) { /* a run stops at a line it cannot write */
            llmt_buf_free(&b);
            continue;
        }
        b.len = 0;
        in.field_stats = &live;
        assert_true(llmt_result_write(&in, &b, &e));
        llmt_report_stats_add_line(&lines, b.data, b.len);
        tree = json_loadb(b.data, b.len, 0, NULL);
        assert_non_null(tree);
        llmt_summary_add(&sum, 0, 0, mi, tree);
        json_decref(tree);
        llmt_buf_free(&b);
    }
    assert_false(live.oom);
    assert_int_equal(live.n_fields, lines.n_fields);
    assert_int_equal(live.n_fields, sum.fields.n_fields);
    for (i = 0; i < live.n_fields; i++) {
        const llmt_field_figures *a = &live.fields[i], *b = &lines.fields[i], *c = &sum.fields.fields[i];
        assert_string_equal(a->model, b->model);
        assert_string_equal(a->path, b->path);
        assert_string_equal(a->model, c->model);
        assert_string_equal(a->path, c->path);
        assert_int_equal(a->scored, b->scored);
        assert_int_equal(a->lost, b->lost);
        assert_int_equal(a->scored, c->scored);
        assert_int_equal(a->lost, c->lost);
        assert_true(a->score_sum == b->score_sum && a->score_sum == c->score_sum);
        counted += a->lost;
    }
    assert_true(live.n_fields > 4); /* several models and paths */
    assert_true(counted > 0);       /* and fields that lost points */
    llmt_summary_free(&sum);
    llmt_report_stats_free(&live);
    llmt_report_stats_free(&lines);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(result_texts_match_tree),
        cmocka_unit_test(result_errors_match_tree),
        cmocka_unit_test(result_random_inputs_match_tree),
        cmocka_unit_test(result_entry_values),
        cmocka_unit_test(result_field_stats_match_lines),
        cmocka_unit_test(result_unprintable_rewinds),
        cmocka_unit_test(result_keeps_raw_reply),
        cmocka_unit_test(result_stores_a_large_answer_once),
        cmocka_unit_test(jsonw_parts_match_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
