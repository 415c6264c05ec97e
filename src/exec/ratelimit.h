/* Per-provider dispatch limits for the engine: a concurrency window that adapts
 * (halved on a 429, grown back by about one slot per window of successes, never
 * above the configured limit), requests-per-minute and tokens-per-minute token
 * buckets, and a pause until the time a rate-limited reply asked for. One limiter
 * per provider is shared by every request to that provider. Times are monotonic ms. */
#ifndef LLMT_RATELIMIT_H
#define LLMT_RATELIMIT_H

#include <stdbool.h>

typedef struct llmt_bucket {
    double rate_per_ms;   /* refill; 0 = unlimited */
    double capacity;
    double level;
    double updated_ms;
} llmt_bucket;

/* capacity_per_min <= 0 makes an unlimited bucket. Starts full, holding one second's
 * worth (at least 1), so a run paces from the start instead of bursting a minute's
 * quota at once. */
void llmt_bucket_init(llmt_bucket *b, double per_minute, double now_ms);
/* Time (ms from now) until `amount` is available; 0 when it is now. An amount larger
 * than the capacity waits for a full bucket (it can never be held at once). */
double llmt_bucket_wait_ms(llmt_bucket *b, double amount, double now_ms);
void llmt_bucket_take(llmt_bucket *b, double amount, double now_ms);
/* Gives back (amount < 0 takes more) after the real cost is known. */
void llmt_bucket_adjust(llmt_bucket *b, double amount, double now_ms);

typedef struct llmt_limiter {
    long max_concurrency;   /* configured ceiling; <= 0 = only the global limit */
    double window;          /* adaptive concurrency, 1 ≤ window ≤ ceiling */
    long in_flight;
    llmt_bucket rpm, tpm;
    double paused_until_ms; /* no dispatch before this (after a 429 with a hint) */
    unsigned long throttled;/* 429s seen */
} llmt_limiter;

/* `ceiling` is min(configured concurrency, global concurrency). */
void llmt_limiter_init(llmt_limiter *l, long ceiling, long rpm, long tpm, double now_ms);
/* 0 when a request estimated at `tokens` may start now, else ms to wait (> 0); when the
 * concurrency window is full, returns a negative value: wait for a completion. */
double llmt_limiter_wait_ms(llmt_limiter *l, double tokens, double now_ms);
/* Charges one request of `tokens` estimated tokens. */
void llmt_limiter_start(llmt_limiter *l, double tokens, double now_ms);
/* A request ended. `actual_tokens` < 0 when unknown (the estimate stands); otherwise the
 * tpm bucket is corrected by the difference. `rate_limited` cuts the window in half and,
 * with retry_after_s >= 0, pauses the provider for that long. */
void llmt_limiter_finish(llmt_limiter *l, double estimated_tokens, double actual_tokens,
                         bool ok, bool rate_limited, double retry_after_s, double now_ms);
/* The current whole window (for tests and progress). */
long llmt_limiter_window(const llmt_limiter *l);

#endif
