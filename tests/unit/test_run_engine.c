/* The runner on top of the engine: results streamed to results.jsonl, interrupt
 * leaving a valid file with every finished case, --resume sending only what is
 * missing, repeat statistics, first-attempt validity, error groups, dry-run. Uses the
 * example tasks, the test-only HTTP provider "tjson" (tests/support/fake_provider.h) at
 * the fake server, and the mock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "fake_http.h"
#include "fake_provider.h"
#include "provider/manager_internal.h"
#include "provider/registry.h"
#include "run/runner.h"

/* ------------------------------------------------------------ fixture */

typedef struct fx {
    fp_fx t;                   /* server, manager, example tasks, output folder */
    size_t stop_after;         /* the server sets `stop` at this request (0 = never) */
    pthread_mutex_t mu;
    size_t seen;
} fx;

/* "tjson" answering every case with its reference (valid, fully accurate), 100 tokens
 * in and 50 out unless the reply says; a falls back to b, then the provider to c. */
static void fx_setup(fx *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    fp_fx_start(&f->t, 3);
    fp_fx_add(&f->t, &fp_tjson_ops,
              "{\"name\": \"tjson\", \"provider_type\": \"tjson\", \"system_prompt\": \"\","
              " \"options\": {\"answer\": \"reference\", \"input_tokens\": 100, \"output_tokens\": 50},"
              " \"llm_models\": ["
              " {\"name\": \"a\", \"cost_input\": 1, \"cost_output\": 2, \"max_output_tokens\": 1000,"
              "  \"fallbacks\": [\"tjson:b\"]},"
              " {\"name\": \"b\", \"cost_input\": 1, \"cost_output\": 2, \"max_output_tokens\": 1000},"
              " {\"name\": \"c\", \"cost_input\": 1, \"cost_output\": 2, \"max_output_tokens\": 1000}],"
              " \"fallbacks\": [\"tjson:c\"]}");
    fp_fx_tasks(&f->t, "run");
}

static void fx_teardown(fx *f)
{
    fp_fx_stop(&f->t);
    pthread_mutex_destroy(&f->mu);
}

/* Reads results.jsonl strictly: every line must be complete JSON. Returns the lines. */
static json_t *read_jsonl(const fx *f)
{
    char *path = llmt_path_join(f->t.dir, "results.jsonl"), *data = NULL, *p, *nl;
    size_t len = 0;
    json_t *arr = json_array();
    llmt_error err;
    assert_int_equal(llmt_read_file(path, &data, &len, &err), LLMT_OK);
    assert_true(len == 0 || data[len - 1] == '\n');
    for (p = data; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        json_error_t je;
        json_t *r = json_loadb(p, (size_t)(nl - p), 0, &je);
        assert_non_null(r);
        json_array_append_new(arr, r);
    }
    free(data);
    free(path);
    return arr;
}

static char *key_of(const json_t *r)
{
    return llmt_asprintf("%s/%s/%s:%s/%lld", json_string_value(json_object_get(r, "task")),
                         json_string_value(json_object_get(r, "case")),
                         json_string_value(json_object_get(r, "provider")),
                         json_string_value(json_object_get(r, "model")),
                         (long long)json_integer_value(json_object_get(r, "repeat")));
}

static void h_slow_then_stop(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    fx *f = ud;
    size_t n;
    (void)req;
    pthread_mutex_lock(&f->mu);
    n = ++f->seen;
    pthread_mutex_unlock(&f->mu);
    if (f->stop_after && n == f->stop_after)
        f->t.stop = 1;
    out->delay_ms = 40;
    out->body = "{}";
}

/* ------------------------------------------------------------ tests */

static void run_interrupt_then_resume_sends_only_the_rest(void **state)
{
    fx f;
    static const char *const models[] = {"tjson:a"};
    json_t *lines, *r;
    size_t i, n_first, total, sent_first, j;
    char *path;
    (void)state;
    fx_setup(&f);
    fake_http_set_handler(f.t.srv, h_slow_then_stop, &f);
    total = fp_fx_cases(&f.t) * 3;
    f.stop_after = 5;
    fp_fx_run_options(&f.t, models, 1);
    f.t.run.repeat = 3;
    f.t.run.engine.concurrency = 2;
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    assert_true(f.t.rr.interrupted);
    lines = read_jsonl(&f);
    n_first = json_array_size(lines);
    sent_first = fake_http_request_count(f.t.srv);
    /* every request that was answered is a result; nothing else is */
    assert_true(n_first >= 5);
    assert_true(n_first < total);
    assert_int_equal(n_first, f.t.rr.summary.n_rows);
    assert_true(sent_first >= n_first && sent_first <= n_first + 2);
    json_array_foreach(lines, i, r) assert_true(json_is_null(json_object_get(r, "error")));
    /* the reports were written from what finished */
    path = llmt_path_join(f.t.dir, "results.json");
    assert_true(llmt_path_exists(path));
    free(path);
    path = llmt_path_join(f.t.dir, "report.md");
    assert_true(llmt_path_exists(path));
    free(path);

    /* add a torn line, as a crash mid-write would leave */
    path = llmt_path_join(f.t.dir, "results.jsonl");
    {
        FILE *fp = fopen(path, "ab");
        assert_non_null(fp);
        fputs("{\"task\":\"job_ads\",\"ca", fp);
        fclose(fp);
    }
    free(path);

    f.t.stop = 0;
    f.stop_after = 0;
    fp_fx_run_options(&f.t, models, 1);
    f.t.run.output_dir = NULL;
    f.t.run.resume_dir = f.t.dir;
    f.t.run.repeat = 3;
    f.t.run.engine.concurrency = 4;
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    assert_false(f.t.rr.interrupted);
    assert_int_equal(f.t.rr.resumed, n_first);
    assert_int_equal(f.t.rr.planned, total - n_first);
    assert_int_equal(fake_http_request_count(f.t.srv) - sent_first, total - n_first);
    assert_int_equal(f.t.rr.summary.n_rows, total);
    json_decref(lines);
    lines = read_jsonl(&f);
    assert_int_equal(json_array_size(lines), total);
    /* one line per case × model × repeat */
    for (i = 0; i < total; i++) {
        char *ki = key_of(json_array_get(lines, i));
        for (j = i + 1; j < total; j++) {
            char *kj = key_of(json_array_get(lines, j));
            assert_string_not_equal(ki, kj);
            free(kj);
        }
        free(ki);
    }
    json_decref(lines);

    /* resuming a complete run sends nothing */
    fp_fx_run_options(&f.t, models, 1);
    f.t.run.output_dir = NULL;
    f.t.run.resume_dir = f.t.dir;
    f.t.run.repeat = 3;
    sent_first = fake_http_request_count(f.t.srv);
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    assert_int_equal(fake_http_request_count(f.t.srv), sent_first);
    assert_int_equal(f.t.rr.planned, 0);
    fx_teardown(&f);
}

static void run_repeat_statistics_match_the_results(void **state)
{
    fx f;
    static const char *const models[] = {"mock:noisy", "mock:oracle"};
    llmt_case_stats *cs = NULL;
    size_t n = 0, i, k;
    json_t *lines;
    (void)state;
    fx_setup(&f);
    fp_fx_run_options(&f.t, models, 2);
    f.t.run.repeat = 4;
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    assert_int_equal(f.t.rr.summary.n_rows, fp_fx_cases(&f.t) * 2 * 4);
    assert_true(llmt_summary_case_stats(&f.t.rr.summary, &cs, &n));
    assert_int_equal(n, fp_fx_cases(&f.t) * 2);
    lines = read_jsonl(&f);
    for (k = 0; k < n; k++) {
        const llmt_case_stats *c = &cs[k];
        const llmt_task *t = &f.t.ts.tasks[c->task];
        double s = 0, sq = 0, mn = INFINITY, mx = -INFINITY, ls = 0, mean, sd;
        size_t cnt = 0;
        json_t *r;
        const char *colon = strchr(models[c->model], ':');
        /* recompute from the file, independently of the summary rows */
        json_array_foreach(lines, i, r) {
            double a;
            if (strcmp(json_string_value(json_object_get(r, "task")), t->name) != 0 ||
                strcmp(json_string_value(json_object_get(r, "case")), t->cases[c->kase].name) != 0 ||
                strcmp(json_string_value(json_object_get(r, "model")), colon + 1) != 0)
                continue;
            a = json_number_value(json_object_get(r, "accuracy"));
            s += a;
            sq += a * a;
            ls += json_number_value(json_object_get(r, "latency_ms"));
            if (a < mn) mn = a;
            if (a > mx) mx = a;
            cnt++;
        }
        assert_int_equal(cnt, 4);
        assert_int_equal(c->n, 4);
        mean = s / 4;
        sd = sqrt(fmax(0, (sq - 4 * mean * mean) / 3));
        assert_true(fabs(c->acc_mean - mean) < 1e-9);
        assert_true(fabs(c->acc_stddev - sd) < 1e-6);
        assert_true(fabs(c->acc_min - mn) < 1e-9 && fabs(c->acc_max - mx) < 1e-9);
        assert_true(fabs(c->lat_mean - ls / 4) < 1e-6);
    }
    free(cs);
    json_decref(lines);
    fx_teardown(&f);
}

static void summary_case_stats_known_values(void **state)
{
    llmt_summary s;
    static const char *const models[] = {"p:m"};
    static const double acc[] = {50, 100, 75};
    static const double lat[] = {100, 300, 200};
    llmt_case_stats *cs = NULL;
    size_t n = 0, i;
    (void)state;
    llmt_summary_init(&s, models, 1);
    assert_int_equal(llmt_summary_max_repeats(&s), 0);
    for (i = 0; i < 3; i++) {
        json_t *r = json_pack("{s:i, s:f, s:f, s:b, s:n, s:{s:i, s:i, s:f}}", "repeat", (int)i,
                              "accuracy", acc[i], "latency_ms", lat[i], "valid", 1, "error",
                              "usage", "input_tokens", 1, "output_tokens", 1, "cost_usd", 0.5);
        llmt_summary_add(&s, 0, 0, 0, r);
        /* two cases without --repeat (repeat 0 each): one result per case */
        if (i == 0) {
            llmt_summary_add(&s, 0, 1, 0, r);
            assert_int_equal(llmt_summary_max_repeats(&s), 1);
        }
        json_decref(r);
    }
    assert_true(llmt_summary_case_stats(&s, &cs, &n));
    assert_int_equal(n, 2);
    assert_true(fabs(cs[0].acc_mean - 75) < 1e-9);
    assert_true(fabs(cs[0].acc_stddev - 25) < 1e-9); /* sample standard deviation */
    assert_true(cs[0].acc_min == 50 && cs[0].acc_max == 100);
    assert_true(fabs(cs[0].lat_mean - 200) < 1e-9);
    assert_true(fabs(cs[0].lat_stddev - 100) < 1e-9);
    assert_true(cs[0].lat_min == 100 && cs[0].lat_max == 300);
    assert_int_equal(llmt_summary_max_repeats(&s), 3);
    assert_int_equal(s.models[0].first_attempt_valid, 4);
    free(cs);
    llmt_summary_free(&s);
}

/* One 429 for every case: each result then took two attempts. */
static void h_429_once_per_case(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    fx *f = ud;
    size_t n;
    (void)req;
    pthread_mutex_lock(&f->mu);
    n = ++f->seen;
    pthread_mutex_unlock(&f->mu);
    if (n == 1) {
        out->status = 429;
        out->headers = "Retry-After: 0\r\n";
        out->body = "{}";
        return;
    }
    out->body = "{}";
}

static void run_records_attempts_and_first_attempt_validity(void **state)
{
    fx f;
    static const char *const models[] = {"tjson:a"};
    json_t *lines, *r;
    size_t i, two = 0, n;
    (void)state;
    fx_setup(&f);
    fake_http_set_handler(f.t.srv, h_429_once_per_case, &f);
    fp_fx_run_options(&f.t, models, 1);
    f.t.run.engine.concurrency = 1;
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    lines = read_jsonl(&f);
    n = json_array_size(lines);
    assert_int_equal(n, fp_fx_cases(&f.t));
    json_array_foreach(lines, i, r) {
        json_t *att = json_object_get(r, "attempts");
        json_t *usage = json_object_get(r, "usage");
        assert_true(json_is_true(json_object_get(r, "valid")));
        assert_string_equal(json_string_value(json_object_get(r, "answered_by")), "tjson:a");
        assert_int_equal(json_integer_value(json_object_get(usage, "input_tokens")), 100);
        /* 100 in at $1/M + 50 out at $2/M */
        assert_true(fabs(json_number_value(json_object_get(usage, "cost_usd")) - 0.0002) < 1e-12);
        if (json_array_size(att) == 2) {
            two++;
            assert_string_equal(json_string_value(json_object_get(json_array_get(att, 0), "class")),
                                "rate_limit");
            assert_int_equal(json_integer_value(json_object_get(json_array_get(att, 0), "http_status")), 429);
        }
    }
    assert_int_equal(two, 1);
    assert_int_equal(f.t.rr.summary.models[0].valid, n);
    assert_int_equal(f.t.rr.summary.models[0].first_attempt_valid, n - 1);
    assert_int_equal(f.t.rr.summary.models[0].attempts, n + 1);
    assert_int_equal(f.t.rr.retries, 1);
    json_decref(lines);
    fx_teardown(&f);
}

static void run_groups_errors_by_provider_and_class(void **state)
{
    fx f;
    static const char *const models[] = {"tjson:c"}; /* no fallback */
    (void)state;
    fx_setup(&f);
    fake_http_set_default_reply(f.t.srv, &(fake_http_reply){.status = 401, .body = "{}", .body_len = -1});
    fp_fx_run_options(&f.t, models, 1);
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    assert_int_equal(f.t.rr.summary.n_errors, 1);
    assert_string_equal(f.t.rr.summary.errors[0].provider, "tjson");
    assert_string_equal(f.t.rr.summary.errors[0].error_class, "auth");
    assert_int_equal(f.t.rr.summary.errors[0].count, fp_fx_cases(&f.t));
    assert_string_equal(f.t.rr.summary.errors[0].example, "bad key");
    /* auth is never retried */
    assert_int_equal(fake_http_request_count(f.t.srv), fp_fx_cases(&f.t));
    fx_teardown(&f);
}

static void run_dry_run_estimates_and_sends_nothing(void **state)
{
    fx f;
    static const char *const models[] = {"tjson:a", "mock:oracle"};
    llmt_run_estimate *e = NULL;
    (void)state;
    fx_setup(&f);
    fp_fx_run_options(&f.t, models, 2);
    f.t.run.repeat = 2;
    assert_int_equal(llmt_run_estimate_cost(f.t.mgr, &f.t.run, &e, &f.t.diags, &f.t.err), LLMT_OK);
    assert_int_equal(e[0].calls, fp_fx_cases(&f.t) * 2);
    assert_int_equal(e[1].calls, fp_fx_cases(&f.t) * 2);
    assert_true(e[0].cost_known && e[1].cost_known);
    assert_true(e[0].input_tokens > 0);
    assert_true(e[0].min_usd > 0 && e[0].min_usd < e[0].max_usd);
    /* tjson:a: output bound 1000 tokens at $2/M per call */
    assert_true(fabs(e[0].max_usd - e[0].min_usd - (double)e[0].calls * 1000 * 2 / 1e6) < 1e-9);
    assert_int_equal(fake_http_request_count(f.t.srv), 0);
    free(e);
    fx_teardown(&f);
}

/* a: quota; b: server error; c: fine */
static void h_quota_a_server_b(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    (void)ud;
    if (strstr(req->body, "\"model\":\"a\"")) {
        out->status = 402;
        out->body = "{}";
    } else if (strstr(req->body, "\"model\":\"b\"")) {
        out->status = 500;
        out->body = "{}";
    } else {
        out->body = "{}";
    }
}

static void run_follows_the_configured_fallback_chain(void **state)
{
    fx f;
    static const char *const models[] = {"tjson:a"};
    json_t *lines, *r;
    size_t i;
    (void)state;
    fx_setup(&f);
    fake_http_set_handler(f.t.srv, h_quota_a_server_b, &f);
    fp_fx_run_options(&f.t, models, 1);
    f.t.run.engine.retry.max_retries = 1;
    f.t.run.filter = "job_ads/nurse";
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    lines = read_jsonl(&f);
    assert_int_equal(json_array_size(lines), 1);
    r = json_array_get(lines, 0);
    /* model fallbacks first (b), then the provider's (c); quota is never retried, the
     * server error on b uses the one retry of the chain */
    assert_string_equal(json_string_value(json_object_get(r, "answered_by")), "tjson:c");
    {
        json_t *att = json_object_get(r, "attempts");
        static const char *const want[][2] = {
            {"tjson:a", "quota"}, {"tjson:b", "server"}, {"tjson:b", "server"}, {"tjson:c", "ok"}};
        assert_int_equal(json_array_size(att), 4);
        for (i = 0; i < 4; i++) {
            json_t *a = json_array_get(att, i);
            assert_string_equal(json_string_value(json_object_get(a, "model")), want[i][0]);
            assert_string_equal(json_string_value(json_object_get(a, "class")), want[i][1]);
        }
    }
    /* the result stays under the model that was asked for */
    assert_string_equal(json_string_value(json_object_get(r, "model")), "a");
    assert_int_equal(f.t.rr.summary.models[0].by_fallback, 1);
    assert_int_equal(f.t.rr.summary.models[0].first_attempt_valid, 0);
    json_decref(lines);
    fx_teardown(&f);
}

/* Attempts recorded in results.jsonl, over every line. */
static size_t recorded_attempts(const json_t *lines)
{
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(lines, i, r)
        n += json_array_size(json_object_get(r, "attempts"));
    return n;
}

/* A kept-alive connection the server closes after reading the request: libcurl would
 * send the POST again on a fresh connection by itself, a call the provider may bill
 * that no attempt records. Every POST the server saw must be a recorded attempt. */
static void reset_keepalive_posts_are_all_attempts(int max_retries)
{
    fx f;
    static const char *const models[] = {"tjson:c"}; /* no fallback */
    json_t *lines, *r;
    size_t i, valid = 0;
    fx_setup(&f);
    fake_http_set_default_reply(
        f.t.srv, &(fake_http_reply){.body = "{}", .body_len = -1, .close_if_reused = 1});
    fp_fx_run_options(&f.t, models, 1);
    f.t.run.engine.concurrency = 1;
    f.t.run.engine.retry.max_retries = max_retries;
    f.t.run.engine.retry.base_ms = 1;
    f.t.run.engine.retry.cap_ms = 2;
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    lines = read_jsonl(&f);
    assert_int_equal(json_array_size(lines), fp_fx_cases(&f.t));
    assert_true(fp_fx_cases(&f.t) >= 3); /* at least one request on a reused connection */
    assert_int_equal(fake_http_request_count(f.t.srv), recorded_attempts(lines));
    assert_int_equal(fake_http_request_count(f.t.srv), f.t.rr.attempts);
    json_array_foreach(lines, i, r) {
        if (json_is_true(json_object_get(r, "valid")))
            valid++;
        else
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(r, "error"), "class")), "network");
    }
    assert_true(valid > 0);
    if (max_retries == 0)
        assert_true(valid < json_array_size(lines)); /* the engine, not curl, decided */
    else
        assert_true(f.t.rr.retries > 0); /* the engine sent it again, as a counted attempt */
    json_decref(lines);
    fx_teardown(&f);
}

static void run_reset_keepalive_without_retries_sends_each_post_once(void **state)
{
    (void)state;
    reset_keepalive_posts_are_all_attempts(0);
}

static void run_reset_keepalive_retries_are_engine_attempts(void **state)
{
    (void)state;
    reset_keepalive_posts_are_all_attempts(2);
}

/* A provider reporting far more usage than the estimate (20,000 tokens in for a short
 * prompt, 40,000 out above the model's 1,000-token output bound): the call that overshot
 * cannot be undone, but nothing more is sent, and the run says by how much usage passed
 * the estimates. */
static void run_budget_stops_after_usage_over_the_estimate(void **state)
{
    fx f;
    static const char *const models[] = {"tjson:c"};
    char *path, *text = NULL;
    size_t len = 0;
    json_t *doc, *over;
    (void)state;
    fx_setup(&f);
    fake_http_set_default_reply(
        f.t.srv, &(fake_http_reply){.body = "{\"in\": 20000, \"out\": 40000}", .body_len = -1});
    fp_fx_run_options(&f.t, models, 1);
    f.t.run.engine.concurrency = 1;
    f.t.run.engine.budget_usd = 0.01; /* one call's estimate fits; its reported usage costs $0.10 */
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    assert_int_equal(fake_http_request_count(f.t.srv), 1);
    assert_int_equal(f.t.rr.summary.n_rows, fp_fx_cases(&f.t));
    assert_int_equal(f.t.rr.summary.models[0].skipped, fp_fx_cases(&f.t) - 1);
    assert_true(fabs(f.t.rr.summary.total_cost - 0.1) < 1e-9); /* 20,000 × $1/M + 40,000 × $2/M */
    assert_true(f.t.rr.summary.over_estimate_measured);
    assert_int_equal(f.t.rr.summary.over_estimate_calls, 1);
    /* the call was sent, so its estimate fit in the $0.01 budget: $0.09 to $0.10 over */
    assert_true(f.t.rr.summary.over_estimate_usd >= 0.09 && f.t.rr.summary.over_estimate_usd < 0.1);
    path = llmt_path_join(f.t.dir, "results.json");
    assert_int_equal(llmt_read_file(path, &text, &len, &f.t.err), LLMT_OK);
    doc = json_loadb(text, len, 0, NULL);
    assert_non_null(doc);
    over = json_object_get(doc, "usage_over_estimate");
    assert_int_equal(json_integer_value(json_object_get(over, "calls")), 1);
    assert_true(fabs(json_number_value(json_object_get(over, "usd")) - f.t.rr.summary.over_estimate_usd) <
                1e-9);
    json_decref(doc);
    free(text);
    free(path);
    fx_teardown(&f);
}

/* Usage within the estimates is not reported as over them. */
static void run_usage_within_the_estimate_is_not_over(void **state)
{
    fx f;
    static const char *const models[] = {"tjson:c"};
    (void)state;
    fx_setup(&f);
    fake_http_set_default_reply(f.t.srv, &(fake_http_reply){.body = "{}", .body_len = -1});
    fp_fx_run_options(&f.t, models, 1);
    f.t.run.engine.budget_usd = 100;
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    assert_int_equal(fake_http_request_count(f.t.srv), fp_fx_cases(&f.t));
    assert_true(f.t.rr.summary.over_estimate_measured);
    assert_int_equal(f.t.rr.summary.over_estimate_calls, 0);
    assert_true(f.t.rr.summary.over_estimate_usd == 0);
    fx_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_interrupt_then_resume_sends_only_the_rest),
        cmocka_unit_test(run_repeat_statistics_match_the_results),
        cmocka_unit_test(summary_case_stats_known_values),
        cmocka_unit_test(run_records_attempts_and_first_attempt_validity),
        cmocka_unit_test(run_groups_errors_by_provider_and_class),
        cmocka_unit_test(run_dry_run_estimates_and_sends_nothing),
        cmocka_unit_test(run_follows_the_configured_fallback_chain),
        cmocka_unit_test(run_reset_keepalive_without_retries_sends_each_post_once),
        cmocka_unit_test(run_reset_keepalive_retries_are_engine_attempts),
        cmocka_unit_test(run_budget_stops_after_usage_over_the_estimate),
        cmocka_unit_test(run_usage_within_the_estimate_is_not_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
