/* What a model's row means (issue 13): answers, errors, skips, fallbacks, cached costs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "run/summary.h"
#include "test_json.h"

static const char *const MODELS[] = {"openai:gpt-4.1-mini", "mock:noisy"};

static llmt_summary_entry answer(double acc, bool valid)
{
    llmt_summary_entry e;
    memset(&e, 0, sizeof e);
    e.accuracy = acc;
    e.valid = valid;
    e.attempts = 1;
    e.latency_ms = 10;
    e.cost_known = true;
    e.cost_usd = 0.01;
    return e;
}

static llmt_summary_entry failure(const char *cls)
{
    llmt_summary_entry e = answer(0, false);
    e.failed = true;
    e.error_class = cls;
    e.error_provider = "openai";
    e.error_message = "boom";
    e.cost_usd = 0;
    return e;
}

/* Errors and skips are counted apart and never averaged in; invalid answers are. */
static void summary_mean_over_answers(void **state)
{
    llmt_summary s;
    llmt_summary_entry e;
    double mean;
    json_t *j;
    (void)state;
    llmt_summary_init(&s, MODELS, 2);
    e = answer(100, true);
    llmt_summary_add_entry(&s, 0, 0, 0, &e);
    e = answer(0, false); /* not JSON, or breaks the schema: an answer at 0 % */
    llmt_summary_add_entry(&s, 0, 1, 0, &e);
    e = failure("server");
    llmt_summary_add_entry(&s, 0, 2, 0, &e);
    e = failure("budget");
    llmt_summary_add_entry(&s, 0, 3, 0, &e);
    assert_int_equal(s.models[0].results, 4);
    assert_int_equal(s.models[0].answered, 2);
    assert_int_equal(s.models[0].errors, 1);
    assert_int_equal(s.models[0].skipped, 1);
    assert_true(llmt_summary_model_mean(&s.models[0], &mean));
    assert_true(mean == 50);
    /* the second model has no answer: no mean, null in JSON */
    e = failure("auth");
    llmt_summary_add_entry(&s, 0, 0, 1, &e);
    assert_false(llmt_summary_model_mean(&s.models[1], &mean));
    j = llmt_summary_json(&s);
    assert_true(json_is_null(json_object_get(json_array_get(j, 1), "mean_accuracy")));
    assert_true(json_is_null(json_object_get(json_array_get(j, 1), "min_accuracy")));
    assert_true(json_number_value(json_object_get(json_array_get(j, 0), "mean_accuracy")) == 50);
    json_decref(j);
    llmt_summary_free(&s);
}

/* A fallback's answer is an error of the model under test, summarised under the fallback. */
static void summary_fallback_answer(void **state)
{
    llmt_summary s;
    llmt_summary_entry e = answer(100, true);
    json_t *fb;
    (void)state;
    llmt_summary_init(&s, MODELS, 1);
    e.answered_by = "mock:oracle";
    e.primary_class = "auth";
    e.primary_message = "Incorrect API key";
    e.attempts = 2;
    llmt_summary_add_entry(&s, 0, 0, 0, &e);
    assert_int_equal(s.models[0].answered, 0);
    assert_int_equal(s.models[0].errors, 1);
    assert_int_equal(s.models[0].by_fallback, 1);
    assert_true(s.models[0].acc_sum == 0);
    assert_int_equal(s.n_errors, 1);
    assert_string_equal(s.errors[0].error_class, "auth");
    assert_string_equal(s.errors[0].provider, "openai");
    assert_true(s.rows[0].failed && s.rows[0].by_fallback);
    assert_string_equal(s.fallbacks[s.rows[0].answerer].model_ref, "mock:oracle");
    fb = llmt_summary_fallback_json(&s);
    assert_int_equal(json_array_size(fb), 1);
    assert_true(json_number_value(json_object_get(json_array_get(fb, 0), "mean_accuracy")) == 100);
    json_decref(fb);
    /* its own answer (the writer's default answerer) is no fallback */
    e = answer(80, true);
    e.answered_by = "openai";
    e.answered_by_model = "gpt-4.1-mini";
    llmt_summary_add_entry(&s, 0, 1, 0, &e);
    assert_int_equal(s.models[0].answered, 1);
    assert_int_equal(s.n_fallbacks, 1);
    llmt_summary_free(&s);
}

/* A cached answer keeps its price apart: the run paid nothing for it. */
static void summary_cached_cost(void **state)
{
    llmt_summary s;
    llmt_summary_entry e = answer(100, true);
    (void)state;
    llmt_summary_init(&s, MODELS, 1);
    e.cached = true;
    e.saved_usd = e.cost_usd;
    llmt_summary_add_entry(&s, 0, 0, 0, &e);
    e = answer(100, true);
    llmt_summary_add_entry(&s, 0, 1, 0, &e);
    assert_true(s.total_cost == 0.01);
    assert_true(s.models[0].cost_usd == 0.01);
    assert_true(s.models[0].saved_usd == 0.01);
    assert_true(s.rows[0].cached && s.rows[0].cost_usd == 0);
    llmt_summary_free(&s);
}

/* The same from result lines: the fallback's last failure read from "attempts". */
static void summary_from_lines(void **state)
{
    llmt_summary s;
    json_t *r = J("{\"task\":\"t\",\"case\":\"c\",\"provider\":\"openai\",\"model\":\"gpt-4.1-mini\","
                  "\"repeat\":0,\"accuracy\":100,\"valid\":true,\"error\":null,\"fallback\":true,"
                  "\"answered_by\":\"mock:oracle\",\"cached\":true,"
                  "\"usage\":{\"input_tokens\":1,\"output_tokens\":2,\"cost_usd\":0.5,\"saved_usd\":0.25},"
                  "\"attempts\":[{\"model\":\"openai:gpt-4.1-mini\",\"class\":\"server\",\"message\":\"500\"},"
                  "{\"model\":\"openai:gpt-4.1-mini\",\"class\":\"auth\",\"message\":\"401\"},"
                  "{\"model\":\"mock:oracle\",\"class\":\"ok\"}]}");
    unsigned idx;
    (void)state;
    llmt_summary_init(&s, MODELS, 1);
    llmt_summary_add(&s, 0, 0, 0, r);
    assert_int_equal(s.models[0].errors, 1);
    assert_string_equal(s.errors[0].error_class, "auth");
    assert_string_equal(s.errors[0].example, "401");
    assert_true(s.total_cost == 0.25 && s.total_saved == 0.25);
    /* a model not in the list (a resumed run's) gets a row of its own */
    assert_true(llmt_summary_model_index(&s, "mock:rules", &idx));
    assert_int_equal(idx, 1);
    assert_true(llmt_summary_model_index(&s, "openai:gpt-4.1-mini", &idx));
    assert_int_equal(idx, 0);
    json_decref(r);
    llmt_summary_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summary_mean_over_answers),
        cmocka_unit_test(summary_fallback_answer),
        cmocka_unit_test(summary_cached_cost),
        cmocka_unit_test(summary_from_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
