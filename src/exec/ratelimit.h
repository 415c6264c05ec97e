/* Per-provider dispatch limits for the engine: a concurrency window that adapts
 * (halved on a 429, grown back by about one slot per window of successes, never
 * above the configured limit), requests-per-minute and tokens-per-minute token
 * buckets, and a pause until the time a rate-limited reply asked for. One limiter
 * per provider is shared by every request to that provider. Times are monotonic ms. */
#ifndef LLMT_RATELIMIT_H
#define LLMT_RATELIMIT_H

#include <stdbool.h>
#include "llmt/provider.h"

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

/* Where a limit in force came from, for the run's "what holds it back" line. */
typedef enum llmt_limit_source {
    LLMT_LIMIT_NONE = 0,        /* no limit */
    LLMT_LIMIT_SHIPPED,         /* the provider's shipped config.json */
    LLMT_LIMIT_EXPLICIT,        /* the user's: --provider-limit or providers/<name>.json */
    LLMT_LIMIT_LEARNED          /* the account's, from the provider's headers */
} llmt_limit_source;

/* Why dispatch to a provider was held back (llmt_limiter.holds counts each). */
typedef enum llmt_hold {
    LLMT_HOLD_CONCURRENCY = 0,  /* the provider's concurrency window was full */
    LLMT_HOLD_RPM,              /* requests per minute */
    LLMT_HOLD_TPM,              /* tokens per minute */
    LLMT_HOLD_REMAINING,        /* the account's window is (nearly) used up until its reset */
    LLMT_HOLD_PAUSE,            /* a 429's hint */
    LLMT_HOLD_COUNT_
} llmt_hold;

typedef struct llmt_limiter {
    long max_concurrency;   /* configured ceiling; <= 0 = only the global limit */
    double window;          /* adaptive concurrency, 1 ≤ window ≤ ceiling */
    long in_flight;
    llmt_bucket rpm, tpm;
    double paused_until_ms; /* no dispatch before this (after a 429 with a hint) */
    unsigned long throttled;/* 429s seen */
    /* learned from the provider's headers (llmt_limiter_learn) */
    llmt_limit_source rpm_source, tpm_source;
    double req_left, tok_left;        /* what the account has left in its window, less what
                                         was started since the reply said so; < 0 unknown */
    double req_reset_ms, tok_reset_ms;/* when that window refills */
    double last_start_ms;
    unsigned long holds[LLMT_HOLD_COUNT_]; /* dispatch passes held back, by reason */
    double share;                     /* of learned limits and what is left (shards); 0 = all */
    bool probing;                     /* one request alone until the first reply */
    bool headers_seen;                /* a reply said something about the account */
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
/* Marks the rpm/tpm limits given at init as shipped defaults or the user's explicit ones
 * (explicit limits are never replaced by learned ones). */
void llmt_limiter_set_sources(llmt_limiter *l, llmt_limit_source rpm, llmt_limit_source tpm);

/* What the provider's headers said after a reply. The account's limits replace shipped
 * ones (raising or lowering them, never explicit ones) and its buckets then hold a
 * window's worth, set to what the reply says is left (less what is in flight) and
 * refilled at the account's rate. Without a learned limit, what is left paces the next
 * starts until the reply's reset: spread evenly once fewer are left than the concurrency
 * window, none once it is used up. Returns true when a limit in force changed (for a log
 * line). */
bool llmt_limiter_learn(llmt_limiter *l, const llmt_rate_info *ri, double now_ms);

/* Until the first reply arrives, lets one request out at a time: a provider whose replies
 * say what the account allows is then paced by that from the start, and never sees the
 * burst the shipped defaults would allow. */
void llmt_limiter_probe_first(llmt_limiter *l);

/* The reason that held dispatch back most often, or LLMT_HOLD_COUNT_ when nothing did. */
llmt_hold llmt_limiter_binding(const llmt_limiter *l);

/* The current whole window (for tests and progress). */
long llmt_limiter_window(const llmt_limiter *l);

#endif
