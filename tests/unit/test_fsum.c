/* core/fsum: exact, order-independent sums. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/fsum.h"

static double sum_of(const double *v, size_t n)
{
    llmt_fsum s = LLMT_FSUM_INIT;
    size_t i;
    for (i = 0; i < n; i++)
        llmt_fsum_add(&s, v[i]);
    return llmt_fsum_value(&s);
}

static void test_fsum_exact_where_plus_is_not(void **state)
{
    double cancel[] = {1e16, 1.0, -1e16};
    double tenths[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    double tiny[] = {1e308, 1e-308, -1e308};
    double plain = 0;
    size_t i;
    (void)state;
    for (i = 0; i < 10; i++)
        plain += tenths[i];
    assert_true(plain != 1.0);            /* what += gives */
    assert_true(sum_of(tenths, 10) == 1.0); /* the correctly rounded sum */
    assert_true(sum_of(cancel, 3) == 1.0);
    assert_true(sum_of(tiny, 3) == 1e-308);
    assert_true(sum_of(NULL, 0) == 0.0);
}

/* Bits of a double, to compare results exactly. */
static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static void test_fsum_any_order_same_bits(void **state)
{
    double v[2000], w[2000];
    uint64_t want;
    unsigned seed = 12345;
    int round;
    size_t i, n = sizeof v / sizeof v[0];
    (void)state;
    for (i = 0; i < n; i++) { /* costs and accuracies of a run: many digits, mixed scale */
        seed = seed * 1103515245u + 12345u;
        v[i] = (double)(seed >> 8) / 16777216.0 * (i % 3 ? 100.0 : 0.000337);
    }
    want = bits(sum_of(v, n));
    for (round = 0; round < 20; round++) {
        memcpy(w, v, sizeof v);
        for (i = n - 1; i > 0; i--) { /* shuffle */
            size_t j;
            double t;
            seed = seed * 1103515245u + 12345u;
            j = (seed >> 4) % (i + 1);
            t = w[i], w[i] = w[j], w[j] = t;
        }
        assert_true(bits(sum_of(w, n)) == want);
    }
}

static void test_fsum_half_even_and_specials(void **state)
{
    double half[] = {1.0, 1.1102230246251565e-16, 1.1102230246251565e-16 * 1e-3};
    double inf[] = {1.0, INFINITY, 2.0};
    double over[] = {1e308, 1e308};
    (void)state;
    /* 1 + 2^-53 + a little: above the halfway point, so it rounds up */
    assert_true(sum_of(half, 3) == 1.0000000000000002);
    assert_true(isinf(sum_of(inf, 3)) && sum_of(inf, 3) > 0);
    assert_true(isinf(sum_of(over, 2)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fsum_exact_where_plus_is_not),
        cmocka_unit_test(test_fsum_any_order_same_bits),
        cmocka_unit_test(test_fsum_half_even_and_specials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
