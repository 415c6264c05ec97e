/* Retry timing: the one backoff (exponential with full jitter) and the retry policy.
 * The server's own hints are read by http/hint.h. */
#ifndef LLMT_RETRY_H
#define LLMT_RETRY_H

#include "core/util.h"
#include "http/hint.h"

/* How long the retries of one job may go on by default (--retry-max-time, and the
 * library's completion with fallbacks). */
#define LLMT_RETRY_DEFAULT_MAX_TIME_MS 300000.0

typedef struct llmt_retry_policy {
    int max_retries;          /* retries shared by the whole fallback chain; 0 = none */
    double base_ms;           /* first backoff ceiling */
    double cap_ms;            /* largest backoff ceiling */
    double max_time_ms;       /* attempts of one job stop starting after this; <= 0 = no limit */
} llmt_retry_policy;

/* Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^retry)).
 * `retry` is 0 for the first retry. */
double llmt_backoff_ms(const llmt_retry_policy *p, int retry, llmt_rng *rng);

#endif
