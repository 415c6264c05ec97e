/* Retry timing (backoff with full jitter, Retry-After, reset headers) and the
 * per-provider limiter (token buckets, adaptive concurrency). Pure functions: no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "exec/ratelimit.h"
#include "exec/retry.h"

static void retry_after_seconds_and_http_date(void **state)
{
    /* 2015-10-21T07:28:00Z = 1445412480 */
    (void)state;
    assert_true(llmt_parse_retry_after("120", 0) == 120);
    assert_true(fabs(llmt_parse_retry_after(" 1.5 ", 0) - 1.5) < 1e-12);
    assert_true(fabs(llmt_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) - 10) < 1e-9);
    assert_true(llmt_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490.0) == 0); /* past */
    assert_true(llmt_parse_retry_after("soon", 0) < 0);
    assert_true(llmt_parse_retry_after("-3", 0) < 0);
    assert_true(llmt_parse_retry_after("12abc", 0) < 0);
    assert_true(llmt_parse_retry_after(NULL, 0) < 0);
}

static void reset_durations_and_timestamps(void **state)
{
    (void)state;
    assert_true(fabs(llmt_parse_reset("1s", 0) - 1) < 1e-12);
    assert_true(fabs(llmt_parse_reset("6m0s", 0) - 360) < 1e-12);
    assert_true(fabs(llmt_parse_reset("20ms", 0) - 0.02) < 1e-12);
    assert_true(fabs(llmt_parse_reset("1h2m3.5s", 0) - 3723.5) < 1e-9);
    assert_true(fabs(llmt_parse_reset("7", 0) - 7) < 1e-12);
    assert_true(fabs(llmt_parse_reset("2015-10-21T07:28:05Z", 1445412480.0) - 5) < 1e-9);
    assert_true(llmt_parse_reset("5x", 0) < 0);
    assert_true(llmt_parse_reset("", 0) < 0);
}

static void headers_give_the_binding_limit(void **state)
{
    llmt_http_header h[] = {
        {"x-ratelimit-remaining-requests", "0"}, {"x-ratelimit-reset-requests", "2s"},
        {"x-ratelimit-remaining-tokens", "100"}, {"x-ratelimit-reset-tokens", "5m"}};
    llmt_http_header ra[] = {{"retry-after", "3"}, {"x-ratelimit-reset-requests", "9s"}};
    llmt_http_header ms[] = {{"retry-after-ms", "250"}, {"retry-after", "3"}};
    llmt_http_header none[] = {{"content-type", "application/json"}};
    llmt_http_response r;
    (void)state;
    memset(&r, 0, sizeof r);
    r.headers = h;
    r.n_headers = 4;
    /* the tokens limit still has room: only the requests reset counts */
    assert_true(fabs(llmt_retry_after_from_headers(&r, 0) - 2) < 1e-12);
    r.headers = ra;
    r.n_headers = 2;
    assert_true(fabs(llmt_retry_after_from_headers(&r, 0) - 3) < 1e-12);
    r.headers = ms;
    assert_true(fabs(llmt_retry_after_from_headers(&r, 0) - 0.25) < 1e-12);
    r.headers = none;
    r.n_headers = 1;
    assert_true(llmt_retry_after_from_headers(&r, 0) < 0);
}

static void backoff_is_full_jitter_and_capped(void **state)
{
    llmt_retry_policy p = {5, 100, 1000, 0};
    llmt_rng rng;
    int retry, i;
    (void)state;
    llmt_rng_seed(&rng, 42);
    for (retry = 0; retry < 8; retry++) {
        double ceil_ms = fmin(1000, 100 * pow(2, retry)), lo = INFINITY, hi = 0;
        for (i = 0; i < 2000; i++) {
            double d = llmt_backoff_ms(&p, retry, &rng);
            assert_true(d >= 0 && d < ceil_ms);
            lo = fmin(lo, d);
            hi = fmax(hi, d);
        }
        /* spread over the whole range, not a fixed delay */
        assert_true(lo < ceil_ms * 0.05);
        assert_true(hi > ceil_ms * 0.95);
    }
}

static void bucket_paces_requests(void **state)
{
    llmt_bucket b;
    int i;
    (void)state;
    llmt_bucket_init(&b, 600, 0); /* 10/s, capacity 10 */
    for (i = 0; i < 10; i++) {
        assert_true(llmt_bucket_wait_ms(&b, 1, 0) == 0);
        llmt_bucket_take(&b, 1, 0);
    }
    assert_true(fabs(llmt_bucket_wait_ms(&b, 1, 0) - 100) < 1e-9);
    assert_true(llmt_bucket_wait_ms(&b, 1, 100) == 0);
    /* a request bigger than the bucket waits for a full bucket, not forever */
    assert_true(llmt_bucket_wait_ms(&b, 50, 100) > 0);
    assert_true(llmt_bucket_wait_ms(&b, 50, 100000) == 0);
    llmt_bucket_init(&b, 0, 0); /* unlimited */
    assert_true(llmt_bucket_wait_ms(&b, 1e9, 0) == 0);
}

static void limiter_cuts_on_429_and_grows_back_slowly(void **state)
{
    llmt_limiter l;
    int i;
    long w;
    (void)state;
    llmt_limiter_init(&l, 16, 0, 0, 0);
    assert_int_equal(llmt_limiter_window(&l), 16);
    llmt_limiter_start(&l, 0, 0);
    llmt_limiter_finish(&l, 0, -1, false, true, 2.0, 0);
    assert_int_equal(llmt_limiter_window(&l), 8);
    /* paused for the Retry-After */
    assert_true(fabs(llmt_limiter_wait_ms(&l, 0, 500) - 1500) < 1e-9);
    assert_true(llmt_limiter_wait_ms(&l, 0, 2000) == 0);
    llmt_limiter_start(&l, 0, 2000);
    llmt_limiter_finish(&l, 0, -1, false, true, -1, 2000);
    assert_int_equal(llmt_limiter_window(&l), 4);
    /* additive increase: 4 successes grow a window of 4 by about one */
    for (i = 0; i < 4; i++) {
        llmt_limiter_start(&l, 0, 3000);
        llmt_limiter_finish(&l, 0, -1, true, false, -1, 3000);
    }
    w = llmt_limiter_window(&l);
    assert_true(w == 4 || w == 5);
    for (i = 0; i < 1000; i++) {
        llmt_limiter_start(&l, 0, 3000);
        llmt_limiter_finish(&l, 0, -1, true, false, -1, 3000);
    }
    assert_int_equal(llmt_limiter_window(&l), 16); /* never above the configured ceiling */
    /* window full: negative wait */
    for (i = 0; i < 16; i++)
        llmt_limiter_start(&l, 0, 3000);
    assert_true(llmt_limiter_wait_ms(&l, 0, 3000) < 0);
    /* never below one */
    for (i = 0; i < 10; i++)
        llmt_limiter_finish(&l, 0, -1, false, true, -1, 3000);
    assert_int_equal(llmt_limiter_window(&l), 1);
}

static void limiter_tpm_corrected_from_usage(void **state)
{
    llmt_limiter l;
    (void)state;
    llmt_limiter_init(&l, 4, 0, 6000, 0); /* 100 tokens/s, capacity 100 */
    assert_true(llmt_limiter_wait_ms(&l, 80, 0) == 0);
    llmt_limiter_start(&l, 80, 0);
    assert_true(llmt_limiter_wait_ms(&l, 80, 0) > 0);
    /* the request really used 10 tokens: 70 come back */
    llmt_limiter_finish(&l, 80, 10, true, false, -1, 0);
    assert_true(llmt_limiter_wait_ms(&l, 80, 0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_after_seconds_and_http_date),
        cmocka_unit_test(reset_durations_and_timestamps),
        cmocka_unit_test(headers_give_the_binding_limit),
        cmocka_unit_test(backoff_is_full_jitter_and_capped),
        cmocka_unit_test(bucket_paces_requests),
        cmocka_unit_test(limiter_cuts_on_429_and_grows_back_slowly),
        cmocka_unit_test(limiter_tpm_corrected_from_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
