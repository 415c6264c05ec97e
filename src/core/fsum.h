/* Exact floating-point sums whose result does not depend on the order of the terms.
 *
 * A run's totals (cost, mean accuracy, its spread) are sums over results that arrive in
 * completion order, and `merge` of shards adds the same terms in yet another order. With
 * plain `+=` the last bits differ between the two, so a merged run would not equal the
 * run it was split from. llmt_fsum keeps the running sum as a few non-overlapping partials
 * (Shewchuk's exact summation, the method behind Python's math.fsum) and rounds once, at
 * the end: the value is the correctly rounded sum of every term, whatever the order.
 * No allocation: the partials of any sum of finite doubles fit in the fixed array. */
#ifndef LLMT_FSUM_H
#define LLMT_FSUM_H

#include <stddef.h>

/* Partials of a sum of finite doubles never exceed ~40 (2098 exponent steps / 53 bits). */
#define LLMT_FSUM_PARTIALS 48

typedef struct llmt_fsum {
    double p[LLMT_FSUM_PARTIALS]; /* non-overlapping, increasing magnitude */
    size_t n;
    double special;               /* sum of the infinities and NaNs added (0: none) */
    int overflow;                 /* an intermediate sum overflowed: the sign, else 0 */
} llmt_fsum;

/* A zeroed llmt_fsum is an empty sum (value 0). */
#define LLMT_FSUM_INIT {{0}, 0, 0.0, 0}

void llmt_fsum_add(llmt_fsum *s, double x);
/* The correctly rounded sum of every term added (round half to even). */
double llmt_fsum_value(const llmt_fsum *s);

#endif
