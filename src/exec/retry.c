#include "exec/retry.h"


double llmt_backoff_ms(const llmt_retry_policy *p, int retry, llmt_rng *rng)
{
    double ceil_ms = p->base_ms > 0 ? p->base_ms : 500;
    int i;
    for (i = 0; i < retry && ceil_ms < p->cap_ms; i++)
        ceil_ms *= 2;
    if (p->cap_ms > 0 && ceil_ms > p->cap_ms)
        ceil_ms = p->cap_ms;
    return llmt_rng_uniform(rng) * ceil_ms;
}
