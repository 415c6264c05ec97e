/* The limiter learns the account's limits from the provider's headers: learned limits
 * replace shipped ones (up or down) but never explicit ones; what is left of the window
 * paces the starts until the reset; the binding reason is counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "exec/ratelimit.h"

static double per_minute(const llmt_bucket *b)
{
    return b->rate_per_ms * 60000.0;
}

static void learned_limits_replace_shipped_ones(void **state)
{
    llmt_limiter l;
    llmt_rate_info ri;
    (void)state;
    llmt_limiter_init(&l, 50, 500, 0, 0);
    assert_int_equal(l.rpm_source, LLMT_LIMIT_SHIPPED);
    assert_int_equal(l.tpm_source, LLMT_LIMIT_NONE);
    llmt_rate_info_init(&ri);
    assert_false(llmt_limiter_learn(&l, &ri, 10)); /* headers absent: shipped limits stay */
    assert_true(fabs(per_minute(&l.rpm) - 500) < 1e-6);
    ri.requests_limit = 10000;
    ri.tokens_limit = 2000000;
    assert_true(llmt_limiter_learn(&l, &ri, 20));   /* raised */
    assert_true(fabs(per_minute(&l.rpm) - 10000) < 1e-6);
    assert_true(fabs(per_minute(&l.tpm) - 2000000) < 1e-3);
    assert_int_equal(l.rpm_source, LLMT_LIMIT_LEARNED);
    assert_int_equal(l.tpm_source, LLMT_LIMIT_LEARNED);
    assert_false(llmt_limiter_learn(&l, &ri, 30));  /* the same again is no change */
    /* what was sent still counts: 8 sent at 500 rpm (capacity 8.3), then 10,000 rpm
     * learned: a minute's worth less the 8 */
    llmt_limiter_init(&l, 50, 500, 0, 0);
    {
        int i;
        for (i = 0; i < 8; i++)
            llmt_limiter_start(&l, 0, 0);
    }
    assert_true(llmt_limiter_learn(&l, &ri, 0));
    assert_true(fabs(l.rpm.level - (10000.0 - 8)) < 1e-6);
    ri.requests_limit = 6; /* lowered below what was sent: wait it out */
    assert_true(llmt_limiter_learn(&l, &ri, 0));
    assert_true(l.rpm.level < 0);
    assert_true(llmt_limiter_wait_ms(&l, 0, 0) > 29000); /* 3 over at 6/min */
    ri.requests_limit = 10000;
    assert_true(llmt_limiter_learn(&l, &ri, 0));
    ri.requests_limit = 60;
    assert_true(llmt_limiter_learn(&l, &ri, 40));   /* lowered */
    assert_true(fabs(per_minute(&l.rpm) - 60) < 1e-6);
    /* a per-second window counts as 60 times as much per minute */
    ri.requests_limit = 2;
    ri.window_s = 1;
    assert_true(llmt_limiter_learn(&l, &ri, 50));
    assert_true(fabs(per_minute(&l.rpm) - 120) < 1e-6);
}

static void explicit_limits_always_win(void **state)
{
    llmt_limiter l;
    llmt_rate_info ri;
    (void)state;
    llmt_limiter_init(&l, 8, 100, 1000, 0);
    llmt_limiter_set_sources(&l, LLMT_LIMIT_EXPLICIT, LLMT_LIMIT_EXPLICIT);
    llmt_rate_info_init(&ri);
    ri.requests_limit = 10000;
    ri.tokens_limit = 5000000;
    assert_false(llmt_limiter_learn(&l, &ri, 1));
    assert_true(fabs(per_minute(&l.rpm) - 100) < 1e-6);
    assert_true(fabs(per_minute(&l.tpm) - 1000) < 1e-6);
}

static void remaining_paces_until_the_reset(void **state)
{
    llmt_limiter l;
    llmt_rate_info ri;
    double now = 1000, w;
    (void)state;
    llmt_limiter_init(&l, 4, 0, 0, 0);
    llmt_rate_info_init(&ri);
    /* plenty left: no hold */
    ri.requests_remaining = 100;
    ri.requests_reset_s = 10;
    llmt_limiter_learn(&l, &ri, now);
    assert_true(llmt_limiter_wait_ms(&l, 0, now) == 0);
    /* 2 left for 10 s with a window of 4: spread, one per 5 s after the last start */
    ri.requests_remaining = 2;
    llmt_limiter_learn(&l, &ri, now);
    assert_true(llmt_limiter_wait_ms(&l, 0, now) == 0);
    llmt_limiter_start(&l, 0, now);
    w = llmt_limiter_wait_ms(&l, 0, now);
    assert_true(w > 9000 && w <= 10000); /* 1 left, 10 s to go */
    llmt_limiter_finish(&l, 0, -1, true, false, -1, now + 10);
    /* used up: nothing starts until the reset, then the window is unknown again */
    ri.requests_remaining = 0;
    ri.requests_reset_s = 3;
    llmt_limiter_learn(&l, &ri, now);
    w = llmt_limiter_wait_ms(&l, 0, now);
    assert_true(fabs(w - 3000) < 1e-6);
    assert_int_equal(llmt_limiter_binding(&l), LLMT_HOLD_REMAINING);
    assert_true(llmt_limiter_wait_ms(&l, 0, now + 3000) == 0);
    assert_true(l.req_left < 0);
}

static void requests_in_flight_count_against_what_is_left(void **state)
{
    llmt_limiter l;
    llmt_rate_info ri;
    (void)state;
    llmt_limiter_init(&l, 8, 0, 0, 0);
    llmt_limiter_start(&l, 0, 0);
    llmt_limiter_start(&l, 0, 0);
    llmt_limiter_start(&l, 0, 0);
    llmt_rate_info_init(&ri);
    ri.requests_remaining = 2; /* the server may not have counted the 3 in flight */
    ri.requests_reset_s = 1;
    llmt_limiter_learn(&l, &ri, 0);
    assert_true(l.req_left == 0);
    assert_true(llmt_limiter_wait_ms(&l, 0, 0) > 999);
}

static void tokens_left_hold_a_large_request(void **state)
{
    llmt_limiter l;
    llmt_rate_info ri;
    (void)state;
    llmt_limiter_init(&l, 8, 0, 0, 0);
    llmt_rate_info_init(&ri);
    ri.tokens_remaining = 500;
    ri.tokens_reset_s = 2;
    llmt_limiter_learn(&l, &ri, 0);
    assert_true(llmt_limiter_wait_ms(&l, 100, 0) == 0);
    assert_true(fabs(llmt_limiter_wait_ms(&l, 800, 0) - 2000) < 1e-6);
    assert_int_equal(llmt_limiter_binding(&l), LLMT_HOLD_REMAINING);
}

static void binding_reason_is_counted(void **state)
{
    llmt_limiter l;
    int i;
    (void)state;
    llmt_limiter_init(&l, 1, 60, 0, 0);
    assert_int_equal(llmt_limiter_binding(&l), LLMT_HOLD_COUNT_);
    llmt_limiter_start(&l, 0, 0);
    for (i = 0; i < 3; i++)
        assert_true(llmt_limiter_wait_ms(&l, 0, 0) < 0); /* window full */
    llmt_limiter_finish(&l, 0, -1, true, false, -1, 0);
    assert_true(llmt_limiter_wait_ms(&l, 0, 0) > 0); /* the rpm bucket is empty */
    assert_int_equal(llmt_limiter_binding(&l), LLMT_HOLD_CONCURRENCY);
    assert_int_equal(l.holds[LLMT_HOLD_RPM], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(learned_limits_replace_shipped_ones),
        cmocka_unit_test(explicit_limits_always_win),
        cmocka_unit_test(remaining_paces_until_the_reset),
        cmocka_unit_test(requests_in_flight_count_against_what_is_left),
        cmocka_unit_test(tokens_left_hold_a_large_request),
        cmocka_unit_test(binding_reason_is_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
