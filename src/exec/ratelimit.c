#include "exec/ratelimit.h"

#include <math.h>

static void refill(llmt_bucket *b, double now_ms)
{
    if (b->rate_per_ms <= 0)
        return;
    if (now_ms > b->updated_ms) {
        b->level += (now_ms - b->updated_ms) * b->rate_per_ms;
        if (b->level > b->capacity)
            b->level = b->capacity;
    }
    b->updated_ms = now_ms;
}

void llmt_bucket_init(llmt_bucket *b, double per_minute, double now_ms)
{
    b->updated_ms = now_ms;
    if (per_minute <= 0) {
        b->rate_per_ms = 0;
        b->capacity = b->level = 0;
        return;
    }
    b->rate_per_ms = per_minute / 60000.0;
    b->capacity = per_minute / 60.0;
    if (b->capacity < 1)
        b->capacity = 1;
    b->level = b->capacity;
}

double llmt_bucket_wait_ms(llmt_bucket *b, double amount, double now_ms)
{
    double need;
    if (b->rate_per_ms <= 0)
        return 0;
    refill(b, now_ms);
    need = amount > b->capacity ? b->capacity : amount;
    if (b->level >= need)
        return 0;
    return (need - b->level) / b->rate_per_ms;
}

void llmt_bucket_take(llmt_bucket *b, double amount, double now_ms)
{
    if (b->rate_per_ms <= 0)
        return;
    refill(b, now_ms);
    b->level -= amount; /* may go negative for an oversized request: later ones wait */
}

void llmt_bucket_adjust(llmt_bucket *b, double amount, double now_ms)
{
    if (b->rate_per_ms <= 0)
        return;
    refill(b, now_ms);
    b->level += amount;
    if (b->level > b->capacity)
        b->level = b->capacity;
}

void llmt_limiter_init(llmt_limiter *l, long ceiling, long rpm, long tpm, double now_ms)
{
    l->max_concurrency = ceiling > 0 ? ceiling : 1;
    l->window = (double)l->max_concurrency;
    l->in_flight = 0;
    l->paused_until_ms = 0;
    l->throttled = 0;
    llmt_bucket_init(&l->rpm, (double)rpm, now_ms);
    llmt_bucket_init(&l->tpm, (double)tpm, now_ms);
}

long llmt_limiter_window(const llmt_limiter *l)
{
    long w = (long)floor(l->window);
    return w < 1 ? 1 : w;
}

double llmt_limiter_wait_ms(llmt_limiter *l, double tokens, double now_ms)
{
    double w1, w2;
    if (l->paused_until_ms > now_ms)
        return l->paused_until_ms - now_ms;
    if (l->in_flight >= llmt_limiter_window(l))
        return -1;
    w1 = llmt_bucket_wait_ms(&l->rpm, 1, now_ms);
    w2 = llmt_bucket_wait_ms(&l->tpm, tokens, now_ms);
    return w1 > w2 ? w1 : w2;
}

void llmt_limiter_start(llmt_limiter *l, double tokens, double now_ms)
{
    l->in_flight++;
    llmt_bucket_take(&l->rpm, 1, now_ms);
    llmt_bucket_take(&l->tpm, tokens, now_ms);
}

void llmt_limiter_finish(llmt_limiter *l, double estimated_tokens, double actual_tokens,
                         bool ok, bool rate_limited, double retry_after_s, double now_ms)
{
    if (l->in_flight > 0)
        l->in_flight--;
    if (actual_tokens >= 0)
        llmt_bucket_adjust(&l->tpm, estimated_tokens - actual_tokens, now_ms);
    if (rate_limited) {
        /* multiplicative decrease: everyone sending to this provider slows down */
        l->throttled++;
        l->window = floor(l->window / 2);
        if (l->window < 1)
            l->window = 1;
        if (retry_after_s >= 0 && now_ms + retry_after_s * 1000.0 > l->paused_until_ms)
            l->paused_until_ms = now_ms + retry_after_s * 1000.0;
    } else if (ok && l->window < (double)l->max_concurrency) {
        /* additive increase: about one slot per window's worth of successes */
        l->window += 1.0 / l->window;
        if (l->window > (double)l->max_concurrency)
            l->window = (double)l->max_concurrency;
    }
}
