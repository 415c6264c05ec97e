/* Retry timing: exponential backoff with full jitter, and the server's own hints
 * (Retry-After as seconds or HTTP date, retry-after-ms, and the generic
 * "*ratelimit*reset*" headers some providers send as durations or timestamps). */
#ifndef LLMT_RETRY_H
#define LLMT_RETRY_H

#include "core/util.h"
#include "llmt/provider.h"

typedef struct llmt_retry_policy {
    int max_retries;          /* retries shared by the whole fallback chain; 0 = none */
    double base_ms;           /* first backoff ceiling */
    double cap_ms;            /* largest backoff ceiling */
    double max_time_ms;       /* attempts of one job stop starting after this; <= 0 = no limit */
} llmt_retry_policy;

/* Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^retry)).
 * `retry` is 0 for the first retry. */
double llmt_backoff_ms(const llmt_retry_policy *p, int retry, llmt_rng *rng);

/* Parses a Retry-After value: delta seconds ("120", "1.5") or an HTTP date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", relative to now_epoch_s). Returns seconds >= 0,
 * or -1 when the value is not understood. */
double llmt_parse_retry_after(const char *value, double now_epoch_s);

/* Parses a reset duration such as "1s", "6m0s", "20ms", "1h2m3.5s" or plain seconds,
 * or an ISO-8601/RFC 3339 UTC timestamp. Seconds >= 0, or -1. */
double llmt_parse_reset(const char *value, double now_epoch_s);

/* The longest wait the reply's headers ask for: Retry-After, retry-after-ms, then any
 * header whose name contains "ratelimit" and "reset" (the largest such value, since
 * every exhausted limit must have reset). Seconds, or -1 when there is no hint. */
double llmt_retry_after_from_headers(const llmt_http_response *http, double now_epoch_s);

#endif
