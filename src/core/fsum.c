/* Order-independent exact summation: see fsum.h. */
#include "core/fsum.h"

#include <math.h>

void llmt_fsum_add(llmt_fsum *s, double x)
{
    size_t i = 0, j;
    if (!isfinite(x)) {
        s->special += x;
        return;
    }
    for (j = 0; j < s->n; j++) {
        double y = s->p[j], hi, lo;
        if (fabs(x) < fabs(y)) {
            double t = x;
            x = y;
            y = t;
        }
        hi = x + y;
        if (!isfinite(hi)) { /* two finite terms overflowed: the sum is that infinity */
            s->overflow = hi > 0 ? 1 : -1;
            return;
        }
        lo = y - (hi - x);
        if (lo != 0.0)
            s->p[i++] = lo;
        x = hi;
    }
    /* i <= n < LLMT_FSUM_PARTIALS: each partial holds a distinct stretch of exponents */
    s->p[i] = x;
    s->n = i + 1;
}

double llmt_fsum_value(const llmt_fsum *s)
{
    double hi = 0.0, lo = 0.0;
    size_t n = s->n;
    if (s->special != 0.0 || isnan(s->special))
        return s->special;
    if (s->overflow)
        return s->overflow > 0 ? HUGE_VAL : -HUGE_VAL;
    if (n == 0)
        return 0.0;
    hi = s->p[--n];
    /* add the partials from the top until the sum becomes inexact */
    while (n > 0) {
        double x = hi, y = s->p[--n];
        hi = x + y;
        lo = y - (hi - x);
        if (lo != 0.0)
            break;
    }
    /* round half to even: when the rest below lo has lo's sign, hi + 2*lo decides */
    if (n > 0 && ((lo < 0 && s->p[n - 1] < 0) || (lo > 0 && s->p[n - 1] > 0))) {
        double y = lo * 2.0, x = hi + y;
        if (y == x - hi)
            hi = x;
    }
    return hi;
}
