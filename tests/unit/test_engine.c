/* The run engine against the in-process fake HTTP server, through the test-only HTTP
 * provider "tjson" (tests/support/fake_provider.h) and a test-only local provider
 * ("tlocal") registered in the manager's registry. Timing assertions use the request arrival times the fake server
 * records, with margins wide enough for a loaded 2-core machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "core/util.h"
#include "fake_http.h"
#include "fake_provider.h"
#include "provider/manager_internal.h"
#include "provider/registry.h"
#include "exec/engine.h"

/* ------------------------------------------------------------ test provider "tlocal" */
/* Answers inline with a simulated latency of 200 ms; no state. */
static llmt_status l_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    (void)s;
    (void)err;
    *state = NULL;
    return LLMT_OK;
}

static void l_destroy(void *state)
{
    (void)state;
}

static llmt_status l_call(void *state, const llmt_request *req, llmt_response *out,
                          llmt_error *err)
{
    (void)state;
    (void)err;
    out->text = llmt_strdup("{\"ok\": true}");
    out->model = llmt_strdup(req->model);
    out->usage.input_tokens = 10;
    out->usage.output_tokens = 5;
    out->usage.cached_input_tokens = -1;
    out->usage.reasoning_tokens = -1;
    out->simulated_latency_ms = 200;
    return LLMT_OK;
}

static const llmt_provider_ops tlocal_ops = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "tlocal",
    .capabilities = LLMT_CAP_LOCAL,
    .init = l_init,
    .destroy = l_destroy,
    .call = l_call,
};

/* ------------------------------------------------------------ fixture */

typedef struct fx {
    fp_fx t;                 /* server, manager, interrupt flag */
    /* producer */
    llmt_engine_job *jobs;
    llmt_message *msgs;
    size_t n_jobs, next;
    /* outcomes */
    llmt_status *status;
    char **answered_by;
    unsigned *n_attempts;
    char **attempt_classes;  /* "rate_limit,ok" */
    char **messages;         /* a failure's message */
    double *cost;
    size_t done;
    size_t stop_after_done;  /* set stop when this many are done (0 = never) */
    /* the run */
    llmt_engine_options eo;  /* the engine's defaults until a test changes them */
    llmt_engine_stats stats;
    /* server side */
    pthread_mutex_t mu;
    int cur, peak;
} fx;

static void fx_jobs(fx *f, size_t n, const char *const *chain, size_t n_chain);

/* Provider "tjson" at the fake server, models a, b, c priced 1 USD / 1M in and out, with
 * this rate_limit object and model a's "fallbacks" value (NULL: none); n jobs over
 * `chain`; the engine options at their defaults. */
static void fx_setup(fx *f, const char *rate_limit_json, const char *model_a_fallbacks, size_t n,
                     const char *const *chain, size_t n_chain)
{
    char *json;
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    fp_fx_start(&f->t, 7);
    json = llmt_asprintf(
        "{\"name\": \"tjson\", \"provider_type\": \"tjson\", \"system_prompt\": \"\","
        " \"rate_limit\": %s, \"llm_models\": ["
        " {\"name\": \"a\", \"cost_input\": 1, \"cost_output\": 1, \"max_output_tokens\": 100%s%s},"
        " {\"name\": \"b\", \"cost_input\": 1, \"cost_output\": 1, \"max_output_tokens\": 100},"
        " {\"name\": \"c\", \"cost_input\": 1, \"cost_output\": 1, \"max_output_tokens\": 100,"
        "  \"image_input_tokens\": 50000}]}",
        rate_limit_json ? rate_limit_json : "{}",
        model_a_fallbacks ? ", \"fallbacks\": " : "", model_a_fallbacks ? model_a_fallbacks : "");
    fp_fx_add(&f->t, &fp_tjson_ops, json);
    free(json);
    fp_add_provider(f->t.mgr, &tlocal_ops,
                    "{\"name\": \"tlocal\", \"provider_type\": \"tlocal\", \"base_url\": \"\","
                    " \"system_prompt\": \"\","
                    " \"llm_models\": [{\"name\": \"x\", \"cost_input\": 1, \"cost_output\": 1}]}",
                    NULL);
    fx_jobs(f, n, chain, n_chain);
    llmt_engine_options_init(&f->eo);
}

/* fx_setup without rate limits or fallbacks */
static void fx_start(fx *f, size_t n, const char *const *chain, size_t n_chain)
{
    fx_setup(f, NULL, NULL, n, chain, n_chain);
}

/* Every request not otherwise answered gets this status and body. */
static void fx_default(fx *f, int status, const char *body)
{
    fake_http_set_default_reply(f->t.srv, &(fake_http_reply){.status = status, .body = body,
                                                             .body_len = -1});
}

static void fx_jobs(fx *f, size_t n, const char *const *chain, size_t n_chain)
{
    size_t i;
    f->n_jobs = n;
    f->jobs = calloc(n, sizeof(*f->jobs));
    f->msgs = calloc(n, sizeof(*f->msgs));
    f->status = calloc(n, sizeof(*f->status));
    f->answered_by = calloc(n, sizeof(char *));
    f->n_attempts = calloc(n, sizeof(unsigned));
    f->attempt_classes = calloc(n, sizeof(char *));
    f->messages = calloc(n, sizeof(char *));
    f->cost = calloc(n, sizeof(double));
    for (i = 0; i < n; i++) {
        f->msgs[i].role = "user";
        f->msgs[i].content = "extract the data from this text please";
        f->jobs[i].req.version = LLMT_REQUEST_VERSION;
        f->jobs[i].req.messages = &f->msgs[i];
        f->jobs[i].req.n_messages = 1;
        f->jobs[i].req.temperature = -1;
        f->jobs[i].chain = chain;
        f->jobs[i].n_chain = n_chain;
        f->jobs[i].user = (void *)(uintptr_t)i;
        f->status[i] = (llmt_status)-1;
    }
}

static void fx_teardown(fx *f)
{
    size_t i;
    fp_fx_stop(&f->t);
    for (i = 0; i < f->n_jobs; i++) {
        free(f->answered_by[i]);
        free(f->attempt_classes[i]);
        free(f->messages[i]);
    }
    free(f->messages);
    free(f->jobs);
    free(f->msgs);
    free(f->status);
    free(f->answered_by);
    free(f->n_attempts);
    free(f->attempt_classes);
    free(f->cost);
    pthread_mutex_destroy(&f->mu);
}

static bool p_next(void *ud, llmt_engine_job **job)
{
    fx *f = ud;
    if (f->next >= f->n_jobs)
        return false;
    *job = &f->jobs[f->next++];
    return true;
}

static void p_done(void *ud, llmt_engine_job *job, llmt_engine_outcome *o)
{
    fx *f = ud;
    size_t i = (size_t)(uintptr_t)job->user, k;
    llmt_buf b = {0};
    assert_int_equal((int)f->status[i], -1); /* each job ends exactly once */
    f->status[i] = o->status;
    f->answered_by[i] = llmt_strdup(o->answered_by);
    f->n_attempts[i] = o->n_attempts;
    f->cost[i] = o->cost_usd;
    assert_int_equal(o->attempts.n, o->n_attempts);
    for (k = 0; k < o->attempts.n; k++)
        llmt_buf_printf(&b, "%s%s", k ? "," : "",
                        o->attempts.v[k].status == LLMT_OK
                            ? "ok"
                            : llmt_status_name(o->attempts.v[k].status));
    f->attempt_classes[i] = llmt_buf_steal(&b);
    f->messages[i] = o->error ? llmt_strdup(o->error->message) : NULL;
    f->done++;
    if (f->stop_after_done && f->done >= f->stop_after_done)
        f->t.stop = 1;
}

/* Event loops each test's engine runs: `test_engine --lanes N` (ctest runs 1 and 2).
 * Set once by main before any test runs. */
static long test_lanes = 1;

static llmt_status fx_run(fx *f)
{
    llmt_engine_callbacks cb = {p_next, p_done, NULL, f};
    llmt_error err;
    f->eo.interrupted = &f->t.stop;
    f->eo.lanes = test_lanes;
    return llmt_engine_run(f->t.mgr, &f->eo, &cb, &f->stats, &err);
}

static double req_time(fx *f, size_t i)
{
    const fake_http_request *r = fake_http_request_at(f->t.srv, i);
    assert_non_null(r);
    return r->received_at;
}

static const char *OK_BODY = "{\"text\": \"{\\\"ok\\\": true}\", \"in\": 100, \"out\": 20}";

/* ------------------------------------------------------------ handlers */

/* Counts concurrent requests; replies OK after 100 ms. */
static void h_concurrent(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    fx *f = ud;
    struct timespec ts = {0, 100 * 1000000L};
    (void)req;
    pthread_mutex_lock(&f->mu);
    if (++f->cur > f->peak)
        f->peak = f->cur;
    pthread_mutex_unlock(&f->mu);
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&f->mu);
    f->cur--;
    pthread_mutex_unlock(&f->mu);
    out->body = OK_BODY;
}

/* Model "a": quota; model "b": OK; model "c": 500. */
static void h_by_model(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    (void)ud;
    if (strstr(req->body, "\"model\":\"a\"")) {
        out->status = 402;
        out->body = "{\"error\": \"quota\"}";
    } else if (strstr(req->body, "\"model\":\"c\"")) {
        out->status = 500;
        out->body = "{\"error\": \"boom\"}";
    } else {
        out->body = OK_BODY;
    }
}

/* ------------------------------------------------------------ tests */

static const char *const CHAIN_A[] = {"tjson:a"};
static const char *const CHAIN_ABC[] = {"tjson:a", "tjson:b", "tjson:c"};
static const char *const CHAIN_CB[] = {"tjson:c", "tjson:b"};
static const char *const CHAIN_CC[] = {"tjson:c", "tjson:c"};

static void engine_runs_concurrently_within_limit(void **state)
{
    fx f;
    size_t i;
    double t0 = llmt_now_ms(), wall;
    (void)state;
    fx_start(&f, 24, CHAIN_A, 1);
    fake_http_set_handler(f.t.srv, h_concurrent, &f);
    f.eo.concurrency = 6;
    assert_int_equal(fx_run(&f), LLMT_OK);
    wall = llmt_now_ms() - t0;
    assert_int_equal(f.done, 24);
    for (i = 0; i < 24; i++) {
        assert_int_equal(f.status[i], LLMT_OK);
        assert_string_equal(f.answered_by[i], "tjson:a");
        assert_string_equal(f.attempt_classes[i], "ok");
        /* 120 tokens at 1 USD / 1M */
        assert_true(f.cost[i] > 0.000119 && f.cost[i] < 0.000121);
    }
    assert_true(f.peak <= 6);
    assert_true(f.peak >= 3);           /* it did run in parallel */
    assert_true(wall < 24 * 100 / 2);   /* sequential would take 2.4 s */
    /* keep-alive: far fewer connections than requests */
    assert_true(fake_http_request_at(f.t.srv, 23)->connection_id < 12);
    assert_int_equal(f.stats.done, 24);
    assert_int_equal(f.stats.failed, 0);
    fx_teardown(&f);
}

static void engine_honours_retry_after_seconds(void **state)
{
    fx f;
    (void)state;
    fx_start(&f, 1, CHAIN_A, 1);
    fake_http_push_reply(f.t.srv, &(fake_http_reply){.status = 429, .headers = "Retry-After: 1\r\n",
                                                   .body = "{}", .body_len = -1});
    fx_default(&f, 200, OK_BODY);
    f.eo.retry.base_ms = 10; /* the backoff alone would retry at once: the header must win */
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(fake_http_request_count(f.t.srv), 2);
    assert_true(req_time(&f, 1) - req_time(&f, 0) >= 0.95);
    assert_true(req_time(&f, 1) - req_time(&f, 0) < 3.0);
    assert_int_equal(f.status[0], LLMT_OK);
    assert_string_equal(f.attempt_classes[0], "rate_limit,ok");
    assert_int_equal(f.stats.retries, 1);
    assert_int_equal(f.stats.throttled, 1);
    fx_teardown(&f);
}

/* Stops a run that would otherwise never end, so that the test fails instead of hanging. */
static void *watchdog(void *arg)
{
    fx *f = arg;
    int i;
    for (i = 0; i < 100 && f->done < f->n_jobs; i++) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    f->t.stop = 1;
    return NULL;
}

/* A rate-limit hint far beyond --retry-max-time (huge, infinite, overflowing) neither
 * stalls the run nor is waited out: the job that got it and every queued job end with
 * rate_limit, the hint in the message, and the server sees one request. */
static void engine_ends_when_a_hint_outlasts_the_time_limit(void **state)
{
    static const char *const hints[] = {
        "Retry-After: 100000\r\n", "Retry-After: inf\r\n", "retry-after-ms: 1e400\r\n",
        "x-ratelimit-remaining-requests: 0\r\nx-ratelimit-reset-requests: 1e306h\r\n"};
    size_t h, i;
    (void)state;
    for (h = 0; h < sizeof hints / sizeof hints[0]; h++) {
        fx f;
        pthread_t dog;
        double t0 = llmt_now_ms();
        fx_start(&f, 10, CHAIN_A, 1);
        fake_http_set_default_reply(f.t.srv, &(fake_http_reply){.status = 429, .headers = hints[h],
                                                              .body = "{}", .body_len = -1});
        f.eo.concurrency = 1;
        f.eo.retry.base_ms = 10;
        f.eo.retry.max_time_ms = 2000;
        assert_int_equal(pthread_create(&dog, NULL, watchdog, &f), 0);
        assert_int_equal(fx_run(&f), LLMT_OK);
        pthread_join(dog, NULL);
        assert_false(f.stats.interrupted); /* it ended by itself */
        assert_true(llmt_now_ms() - t0 < 5000);
        assert_int_equal(fake_http_request_count(f.t.srv), 1);
        for (i = 0; i < 10; i++)
            assert_int_equal(f.status[i], LLMT_E_RATE_LIMIT);
        assert_string_equal(f.attempt_classes[0], "rate_limit");
        assert_string_equal(f.attempt_classes[9], ""); /* never sent */
        assert_non_null(strstr(f.messages[0], "the server asked to wait 86400 s"));
        assert_non_null(strstr(f.messages[9], "asked for a pause of"));
        fx_teardown(&f);
    }
}

/* A fetch job (doctor --ping, costs update) goes through the engine like any call: the
 * reply comes back whatever its status; a failed transfer names who asked. */
static void engine_fetch_job_returns_the_raw_reply(void **state)
{
    fx f;
    llmt_http_request req;
    llmt_http_result res;
    llmt_retry_policy once = {0, 0, 0, 0};
    llmt_error err;
    char *url;
    (void)state;
    fx_start(&f, 0, NULL, 0);
    fake_http_push_reply(f.t.srv, &(fake_http_reply){.status = 404, .body = "not here", .body_len = -1});
    url = llmt_asprintf("%s/v1/models", fake_http_url(f.t.srv));
    memset(&req, 0, sizeof req);
    req.method = (char *)"GET";
    req.url = url;
    assert_int_equal(llmt_engine_fetch(f.t.mgr, "pinger", &req, NULL, 2000, &once, &res, &err), LLMT_OK);
    assert_int_equal(res.status, 404);
    assert_int_equal(res.body.len, 8);
    assert_memory_equal(res.body.data, "not here", 8);
    assert_int_equal(fake_http_request_count(f.t.srv), 1);
    assert_string_equal(fake_http_request_at(f.t.srv, 0)->method, "GET");
    llmt_http_result_free(&res);
    fake_http_stop(f.t.srv);
    f.t.srv = NULL;
    /* nobody listens any more: a network error, naming who asked */
    assert_int_equal(llmt_engine_fetch(f.t.mgr, "pinger", &req, NULL, 2000, &once, &res, &err),
                     LLMT_E_NETWORK);
    assert_string_equal(err.provider, "pinger");
    assert_int_equal(res.status, 0);
    free(url);
    fx_teardown(&f);
}

static void engine_honours_reset_header_and_http_date(void **state)
{
    fx f;
    (void)state;
    fx_start(&f, 1, CHAIN_A, 1);
    /* a reset duration on a limit that is exhausted (the other still has room) */
    fake_http_push_reply(f.t.srv, &(fake_http_reply){.status = 429,
                         .headers = "x-ratelimit-remaining-requests: 0\r\nx-ratelimit-reset-requests: 800ms\r\n"
                                    "x-ratelimit-remaining-tokens: 5000\r\nx-ratelimit-reset-tokens: 6m0s\r\n",
                         .body = "{}", .body_len = -1});
    fx_default(&f, 200, OK_BODY);
    f.eo.retry.base_ms = 10;
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(fake_http_request_count(f.t.srv), 2);
    assert_true(req_time(&f, 1) - req_time(&f, 0) >= 0.75);
    assert_true(req_time(&f, 1) - req_time(&f, 0) < 3.0);
    assert_int_equal(f.status[0], LLMT_OK);
    fx_teardown(&f);
}

static void engine_backs_off_and_stops_at_max_retries(void **state)
{
    fx f;
    (void)state;
    fx_start(&f, 1, CHAIN_A, 1);
    fx_default(&f, 500, "{}");
    f.eo.retry.max_retries = 2;
    f.eo.retry.base_ms = 50;
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(fake_http_request_count(f.t.srv), 3);
    assert_int_equal(f.status[0], LLMT_E_SERVER);
    assert_string_equal(f.attempt_classes[0], "server,server,server");
    /* full jitter: between 0 and the ceiling (50 ms, then 100 ms), plus scheduling slack */
    assert_true(req_time(&f, 1) - req_time(&f, 0) < 0.5);
    assert_true(req_time(&f, 2) - req_time(&f, 1) < 0.6);
    fx_teardown(&f);
}

static void engine_max_retries_zero_means_one_attempt(void **state)
{
    fx f;
    (void)state;
    fx_start(&f, 1, CHAIN_A, 1);
    fx_default(&f, 429, "{}");
    f.eo.retry.max_retries = 0;
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(fake_http_request_count(f.t.srv), 1);
    assert_int_equal(f.status[0], LLMT_E_RATE_LIMIT);
    fx_teardown(&f);
}

/* First request: 429 with Retry-After 1 at once; the others reply after 300 ms. No
 * request may start within the second after the 429, whichever job it belongs to. */
static void h_first_429(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    fx *f = ud;
    int n;
    (void)req;
    pthread_mutex_lock(&f->mu);
    n = f->cur++;
    pthread_mutex_unlock(&f->mu);
    if (n == 0) {
        out->status = 429;
        out->headers = "Retry-After: 1\r\n";
        out->body = "{}";
        return;
    }
    out->delay_ms = 300;
    out->body = OK_BODY;
}

static void engine_429_slows_the_whole_provider(void **state)
{
    fx f;
    size_t i, n;
    double t429;
    (void)state;
    fx_start(&f, 12, CHAIN_A, 1);
    fake_http_set_handler(f.t.srv, h_first_429, &f);
    f.eo.concurrency = 4;
    assert_int_equal(fx_run(&f), LLMT_OK);
    n = fake_http_request_count(f.t.srv);
    assert_int_equal(n, 13); /* 12 jobs + the one retry */
    /* the 429 went to the earliest request */
    t429 = req_time(&f, 0);
    /* the first 4 went out together; every later one waited for the pause to end */
    for (i = 4; i < n; i++)
        assert_true(req_time(&f, i) - t429 >= 0.95);
    for (i = 0; i < 12; i++)
        assert_int_equal(f.status[i], LLMT_OK);
    assert_int_equal(f.stats.throttled, 1);
    fx_teardown(&f);
}

/* Prints the arrival times when an rpm check is about to fail. */
static void rpm_explain(fx *f, size_t n, double t_start, const char *what)
{
    size_t k;
    fprintf(stderr, "rpm: %s; arrivals (s after the engine started):\n", what);
    for (k = 0; k < n; k++)
        fprintf(stderr, "  %2zu at %.3f\n", k, req_time(f, k) - t_start);
}

static void engine_holds_rpm(void **state)
{
    fx f;
    size_t i, n;
    double t_start;
    (void)state;
    /* 600 rpm = 10 per second, bucket of one second's worth (10) */
    fx_setup(&f, "{\"rpm\": 600}", NULL, 25, CHAIN_A, 1);
    fx_default(&f, 200, OK_BODY);
    f.eo.concurrency = 16;
    t_start = llmt_now_ms() / 1000.0; /* the fake server stamps arrivals on this clock */
    assert_int_equal(fx_run(&f), LLMT_OK);
    n = fake_http_request_count(f.t.srv);
    assert_int_equal(n, 25);
    /* 1. The bucket's promise counted from the engine's start, which no delivery delay
     *    can bend: a request arrives after it was sent, and the bucket was made after
     *    t_start, so by the time the k-th request arrives at most 10 + 10 T were sent. */
    for (i = 0; i < n; i++) {
        double t = req_time(&f, i) - t_start;
        if ((double)(i + 1) > 10.0 + 10.0 * t + 1e-6)
            rpm_explain(&f, n, t_start, "more arrived than the bucket allows since the start");
        assert_true((double)(i + 1) <= 10.0 + 10.0 * t + 1e-6);
    }
    /* 2. In any stretch T between two arrivals at most 10 + 10 T. Arrivals are send
     *    times plus a delivery delay that varies: under valgrind a new connection made
     *    the first requests arrive ~80 ms late while later ones did not, squeezing 11
     *    arrivals into 24 ms. 250 ms of slack covers that; a limiter letting twice the
     *    rate through, or none, still fails here or in 1. */
    for (i = 0; i < n; i++) {
        size_t j;
        for (j = i + 1; j < n; j++) {
            double span = req_time(&f, j) - req_time(&f, i);
            if ((double)(j - i + 1) > 10.0 + 10.0 * (span + 0.25))
                rpm_explain(&f, n, t_start, "a burst between two arrivals");
            assert_true((double)(j - i + 1) <= 10.0 + 10.0 * (span + 0.25));
        }
    }
    /* and the pacing is not much slower than the limit either */
    assert_true(req_time(&f, n - 1) - req_time(&f, 0) < 3.5);
    fx_teardown(&f);
}

static void engine_provider_concurrency_limit(void **state)
{
    fx f;
    (void)state;
    fx_setup(&f, "{\"concurrency\": 2}", NULL, 8, CHAIN_A, 1);
    fake_http_set_handler(f.t.srv, h_concurrent, &f);
    f.eo.concurrency = 8;
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(f.peak, 2);
    fx_teardown(&f);
}

static void engine_quota_goes_to_fallback_at_once(void **state)
{
    fx f;
    size_t i, a = 0;
    (void)state;
    fx_start(&f, 3, CHAIN_ABC, 3);
    fake_http_set_handler(f.t.srv, h_by_model, &f);
    f.eo.retry.max_retries = 3;
    assert_int_equal(fx_run(&f), LLMT_OK);
    for (i = 0; i < 3; i++) {
        assert_int_equal(f.status[i], LLMT_OK);
        assert_string_equal(f.answered_by[i], "tjson:b");
        assert_string_equal(f.attempt_classes[i], "quota,ok");
    }
    for (i = 0; i < fake_http_request_count(f.t.srv); i++)
        a += strstr(fake_http_request_at(f.t.srv, i)->body, "\"model\":\"a\"") != NULL;
    assert_int_equal(a, 3); /* never retried */
    assert_int_equal(f.stats.fallbacks, 3);
    fx_teardown(&f);
}

/* An input over the model's max_input_tokens is refused before sending, with class
 * context_length, by the engine (then the chain falls back) and by the blocking path. */
static void engine_refuses_input_over_the_model_limit(void **state)
{
    static const char *const chain_a[] = {"tjson:a"};
    fx f;
    llmt_request req;
    llmt_message msg = {"user", "extract the data from this text please"};
    llmt_response out;
    llmt_error err;
    size_t i;
    (void)state;
    /* model a takes at most 5 input tokens; the jobs' message is about 10 */
    fx_setup(&f, NULL, "[], \"max_input_tokens\": 5", 2, chain_a, 1);
    fx_default(&f, 200, OK_BODY);
    f.eo.retry.max_retries = 3;
    assert_int_equal(fx_run(&f), LLMT_OK);
    for (i = 0; i < 2; i++) {
        assert_int_equal(f.status[i], LLMT_E_CONTEXT_LENGTH);
        assert_string_equal(f.attempt_classes[i], "context_length"); /* not retried */
    }
    assert_int_equal(fake_http_request_count(f.t.srv), 0); /* nothing sent */
    fx_teardown(&f);
    /* with a fallback: b answers */
    fx_setup(&f, NULL, "[], \"max_input_tokens\": 5", 1, CHAIN_ABC, 3);
    fx_default(&f, 200, OK_BODY);
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(f.status[0], LLMT_OK);
    assert_string_equal(f.answered_by[0], "tjson:b");
    assert_string_equal(f.attempt_classes[0], "context_length,ok");
    assert_int_equal(fake_http_request_count(f.t.srv), 1);
    /* the blocking path */
    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    req.messages = &msg;
    req.n_messages = 1;
    req.temperature = -1;
    llmt_error_clear(&err);
    assert_int_equal(llmt_manager_complete(f.t.mgr, "tjson:a", &req, &out, &err),
                     LLMT_E_CONTEXT_LENGTH);
    assert_non_null(strstr(err.message, "over the 5 of tjson:a (max_input_tokens); not sent"));
    assert_int_equal(fake_http_request_count(f.t.srv), 1);
    fx_teardown(&f);
}

static void engine_retries_then_falls_back(void **state)
{
    fx f;
    (void)state;
    fx_start(&f, 1, CHAIN_CB, 2);
    fake_http_set_handler(f.t.srv, h_by_model, &f);
    f.eo.retry.max_retries = 2;
    f.eo.retry.base_ms = 5;
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(f.status[0], LLMT_OK);
    assert_string_equal(f.answered_by[0], "tjson:b");
    assert_string_equal(f.attempt_classes[0], "server,server,server,ok");
    fx_teardown(&f);
}

static void engine_one_limit_bounds_the_chain(void **state)
{
    fx f;
    (void)state;
    fx_start(&f, 1, CHAIN_CC, 2);
    fake_http_set_handler(f.t.srv, h_by_model, &f);
    f.eo.retry.max_retries = 2;
    f.eo.retry.base_ms = 5;
    assert_int_equal(fx_run(&f), LLMT_OK);
    /* 1 + 2 retries on the first model, then one attempt on the fallback: the retries
     * are not granted again */
    assert_int_equal(fake_http_request_count(f.t.srv), 4);
    assert_int_equal(f.status[0], LLMT_E_SERVER);
    assert_null(f.answered_by[0]);
    fx_teardown(&f);
}

static void engine_fallback_from_model_config_via_unknown_model(void **state)
{
    fx f;
    static const char *const chain[] = {"tjson:nope", "tjson:b"};
    (void)state;
    fx_start(&f, 1, chain, 2);
    fake_http_set_handler(f.t.srv, h_by_model, &f);
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(f.status[0], LLMT_OK);
    assert_string_equal(f.attempt_classes[0], "not_found,ok");
    assert_int_equal(fake_http_request_count(f.t.srv), 1);
    fx_teardown(&f);
}

static void engine_budget_is_never_exceeded(void **state)
{
    fx f;
    size_t i, ok = 0, budget = 0;
    double spent = 0;
    (void)state;
    fx_start(&f, 40, CHAIN_A, 1);
    fx_default(&f, 200, OK_BODY);
    f.eo.concurrency = 8;
    /* each request: ~12 input tokens + up to 100 output → bound ≈ $0.000112; the
     * actual cost is $0.00012 (the fake reports 100 in + 20 out, more input than
     * estimated) — the budget logic must still keep spend + bounds within it */
    f.eo.budget_usd = 0.002;
    assert_int_equal(fx_run(&f), LLMT_OK);
    for (i = 0; i < 40; i++) {
        if (f.status[i] == LLMT_OK) {
            ok++;
            spent += f.cost[i];
        } else {
            assert_int_equal(f.status[i], LLMT_E_BUDGET);
            budget++;
        }
    }
    assert_int_equal(ok + budget, 40);
    assert_true(ok >= 5);
    assert_true(budget >= 1);
    assert_int_equal(fake_http_request_count(f.t.srv), ok); /* skipped ones were not sent */
    assert_true(f.stats.spent_usd <= 0.002 + 0.00013); /* at most one underestimated reply over */
    assert_true(spent - f.stats.spent_usd < 1e-12 && f.stats.spent_usd - spent < 1e-12);
    fx_teardown(&f);
}

/* Images count in the estimate that --budget and tpm limits use: the model's
 * image_input_tokens per image, else LLMT_DEFAULT_IMAGE_TOKENS. */
static void engine_estimate_counts_images(void **state)
{
    fx f;
    llmt_request req;
    llmt_message msg = {"user", "Extract."};
    llmt_file files[2];
    double lo_text, hi_text, lo, hi;
    bool known;
    long in_text, in;
    llmt_error err;
    (void)state;
    fx_start(&f, 0, NULL, 0);
    memset(&req, 0, sizeof req);
    memset(files, 0, sizeof files);
    req.version = LLMT_REQUEST_VERSION;
    req.messages = &msg;
    req.n_messages = 1;
    assert_int_equal(llmt_engine_estimate(f.t.mgr, "tjson:a", &req, &lo_text, &hi_text, &known,
                                          &in_text, &err), LLMT_OK);
    req.files = files;
    req.n_files = 2;
    assert_int_equal(llmt_engine_estimate(f.t.mgr, "tjson:a", &req, &lo, &hi, &known, &in, &err),
                     LLMT_OK);
    assert_int_equal(in, in_text + 2 * LLMT_DEFAULT_IMAGE_TOKENS);
    assert_true(fabs((lo - lo_text) - 2.0 * LLMT_DEFAULT_IMAGE_TOKENS / 1e6) < 1e-12);
    assert_true(fabs((hi - hi_text) - 2.0 * LLMT_DEFAULT_IMAGE_TOKENS / 1e6) < 1e-12);
    assert_int_equal(llmt_engine_estimate(f.t.mgr, "tjson:c", &req, &lo, &hi, &known, &in, &err),
                     LLMT_OK);
    assert_int_equal(in, in_text + 2 * 50000);
    fx_teardown(&f);
}

static void engine_budget_with_exact_estimate_holds_strictly(void **state)
{
    fx f;
    size_t i;
    (void)state;
    fx_start(&f, 30, CHAIN_A, 1);
    /* replies that use the whole output bound: spend per request is its upper bound
     * or less, so spend never passes the budget */
    fake_http_set_default_reply(f.t.srv, &(fake_http_reply){.status = 200,
                                .body = "{\"text\": \"{}\", \"in\": 5, \"out\": 100}", .body_len = -1});
    f.eo.concurrency = 8;
    f.eo.budget_usd = 0.001;
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_true(f.stats.spent_usd <= 0.001);
    assert_true(f.stats.budget_skipped > 0);
    for (i = 0; i < 30; i++)
        assert_true(f.status[i] == LLMT_OK || f.status[i] == LLMT_E_BUDGET);
    fx_teardown(&f);
}

static void engine_timeout_is_a_timeout(void **state)
{
    fx f;
    double t0 = llmt_now_ms();
    (void)state;
    fx_start(&f, 1, CHAIN_A, 1);
    fake_http_set_default_reply(f.t.srv, &(fake_http_reply){.status = 200, .body = OK_BODY, .body_len = -1,
                                                          .delay_ms = 3000});
    f.eo.timeout_ms = 300;
    f.eo.retry.max_retries = 0;
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_int_equal(f.status[0], LLMT_E_TIMEOUT);
    assert_true(llmt_now_ms() - t0 < 2500);
    fx_teardown(&f);
}

static void engine_local_latency_does_not_block(void **state)
{
    fx f;
    static const char *const chain[] = {"tlocal:x"};
    double t0, wall;
    size_t i;
    (void)state;
    fx_start(&f, 20, chain, 1);
    f.eo.concurrency = 10;
    t0 = llmt_now_ms();
    assert_int_equal(fx_run(&f), LLMT_OK);
    wall = llmt_now_ms() - t0;
    /* 20 × 200 ms at concurrency 10: two waves, ~400 ms, not 4 s */
    assert_true(wall >= 390);
    assert_true(wall < 1500);
    for (i = 0; i < 20; i++)
        assert_int_equal(f.status[i], LLMT_OK);
    fx_teardown(&f);
}

static void engine_interrupt_stops_dispatch_and_cancels_the_rest(void **state)
{
    fx f;
    size_t i, ok = 0, cancelled = 0;
    (void)state;
    fx_start(&f, 50, CHAIN_A, 1);
    fake_http_set_default_reply(f.t.srv, &(fake_http_reply){.status = 200, .body = OK_BODY, .body_len = -1,
                                                          .delay_ms = 50});
    f.stop_after_done = 8;
    f.eo.concurrency = 4;
    f.eo.grace_ms = 2000;
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_true(f.stats.interrupted);
    for (i = 0; i < f.next; i++) {
        if (f.status[i] == LLMT_OK)
            ok++;
        else if (f.status[i] == LLMT_E_CANCELLED)
            cancelled++;
    }
    assert_int_equal(ok + cancelled, f.next); /* every handed-out job ended once */
    assert_true(ok >= 8);
    assert_true(ok <= 8 + 4);     /* in-flight ones finished in the grace period */
    assert_true(f.next < 50);     /* dispatch stopped */
    assert_int_equal(fake_http_request_count(f.t.srv), ok);
    fx_teardown(&f);
}

/* Interrupts from the server side as the request arrives, then never answers in time. */
static void h_interrupt_and_hang(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    fx *f = ud;
    (void)req;
    f->t.stop = 1;
    out->delay_ms = 5000;
    out->body = OK_BODY;
}

static void engine_interrupt_grace_expires(void **state)
{
    fx f;
    double t0;
    size_t i;
    (void)state;
    fx_start(&f, 4, CHAIN_A, 1);
    fake_http_set_handler(f.t.srv, h_interrupt_and_hang, &f);
    f.eo.concurrency = 4;
    f.eo.grace_ms = 200;
    t0 = llmt_now_ms();
    assert_int_equal(fx_run(&f), LLMT_OK);
    assert_true(llmt_now_ms() - t0 < 2000);
    assert_true(f.stats.interrupted);
    for (i = 0; i < f.next; i++)
        assert_int_equal(f.status[i], LLMT_E_CANCELLED);
    fx_teardown(&f);
}

int main(int argc, char **argv)
{
    char name[64];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(engine_runs_concurrently_within_limit),
        cmocka_unit_test(engine_honours_retry_after_seconds),
        cmocka_unit_test(engine_honours_reset_header_and_http_date),
        cmocka_unit_test(engine_backs_off_and_stops_at_max_retries),
        cmocka_unit_test(engine_max_retries_zero_means_one_attempt),
        cmocka_unit_test(engine_429_slows_the_whole_provider),
        cmocka_unit_test(engine_holds_rpm),
        cmocka_unit_test(engine_provider_concurrency_limit),
        cmocka_unit_test(engine_quota_goes_to_fallback_at_once),
        cmocka_unit_test(engine_refuses_input_over_the_model_limit),
        cmocka_unit_test(engine_retries_then_falls_back),
        cmocka_unit_test(engine_one_limit_bounds_the_chain),
        cmocka_unit_test(engine_fallback_from_model_config_via_unknown_model),
        cmocka_unit_test(engine_budget_is_never_exceeded),
        cmocka_unit_test(engine_budget_with_exact_estimate_holds_strictly),
        cmocka_unit_test(engine_estimate_counts_images),
        cmocka_unit_test(engine_timeout_is_a_timeout),
        cmocka_unit_test(engine_local_latency_does_not_block),
        cmocka_unit_test(engine_interrupt_stops_dispatch_and_cancels_the_rest),
        cmocka_unit_test(engine_interrupt_grace_expires),
        cmocka_unit_test(engine_ends_when_a_hint_outlasts_the_time_limit),
        cmocka_unit_test(engine_fetch_job_returns_the_raw_reply),
    };
    if (argc == 3 && strcmp(argv[1], "--lanes") == 0)
        test_lanes = strtol(argv[2], NULL, 10);
    snprintf(name, sizeof name, "engine, %ld lane(s)", test_lanes);
    return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
