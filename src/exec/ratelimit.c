#include "exec/ratelimit.h"

#include <math.h>
#include <string.h>

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
    l->rpm_source = rpm > 0 ? LLMT_LIMIT_SHIPPED : LLMT_LIMIT_NONE;
    l->tpm_source = tpm > 0 ? LLMT_LIMIT_SHIPPED : LLMT_LIMIT_NONE;
    l->req_left = l->tok_left = -1;
    l->req_reset_ms = l->tok_reset_ms = 0;
    l->last_start_ms = -1;
    memset(l->holds, 0, sizeof l->holds);
    l->probing = l->headers_seen = false;
    l->share = 0;
}

void llmt_limiter_probe_first(llmt_limiter *l)
{
    l->probing = true;
}

void llmt_limiter_set_sources(llmt_limiter *l, llmt_limit_source rpm, llmt_limit_source tpm)
{
    l->rpm_source = rpm;
    l->tpm_source = tpm;
}

/* A bucket takes a learned per-minute rate and holds a minute's worth: the account's
 * window, whose use the provider's "remaining" headers pace more finely than any guess
 * (shipped limits hold one second's worth, since nothing is known of the account yet).
 * What was taken from the bucket still counts against the new capacity, so a limit
 * learned mid-run neither bursts past the account's limit nor forgets what was sent (an
 * over-spent bucket goes negative and waits it out). True when the rate changed. */
static bool bucket_relearn(llmt_bucket *b, llmt_limit_source *src, double per_minute,
                           double now_ms)
{
    double used = 0;
    if (*src == LLMT_LIMIT_EXPLICIT || !(per_minute > 0) || !isfinite(per_minute))
        return false;
    if (*src == LLMT_LIMIT_LEARNED && fabs(b->rate_per_ms * 60000.0 - per_minute) <= per_minute * 0.01)
        return false;
    if (b->rate_per_ms > 0) {
        refill(b, now_ms);
        used = b->capacity - b->level;
    }
    llmt_bucket_init(b, per_minute, now_ms);
    b->capacity = per_minute < 1 ? 1 : per_minute;
    b->level = b->capacity - used;
    *src = LLMT_LIMIT_LEARNED;
    return true;
}

/* What the account has left: the reply's count, less the requests still in flight (the
 * server may not have counted them yet: assume it did not). */
static void learn_left(double remaining, double reset_s, double in_flight, double *left,
                       double *reset_ms, double now_ms)
{
    if (!(remaining >= 0) || !(reset_s >= 0) || !isfinite(remaining) || !isfinite(reset_s))
        return;
    *left = remaining - in_flight;
    if (*left < 0)
        *left = 0;
    *reset_ms = now_ms + reset_s * 1000.0;
}

/* A learned bucket starts each reply where the account is: what the reply says is left,
 * less what is still in flight (the server may not have counted those yet). Between
 * replies it refills at the account's rate, as the provider's own window does. */
static void bucket_sync(llmt_bucket *b, double remaining, double in_flight, double now_ms)
{
    b->level = remaining - in_flight;
    if (b->level > b->capacity)
        b->level = b->capacity;
    b->updated_ms = now_ms;
}

bool llmt_limiter_learn(llmt_limiter *l, const llmt_rate_info *ri, double now_ms)
{
    double share = l->share > 0 && l->share < 1 ? l->share : 1;
    double per_min = 60.0 / (ri->window_s > 0 ? ri->window_s : 60.0) * share;
    double busy = (double)l->in_flight;
    bool changed = false;
    l->headers_seen = true;
    if (ri->requests_limit > 0)
        changed |= bucket_relearn(&l->rpm, &l->rpm_source, ri->requests_limit * per_min, now_ms);
    if (ri->tokens_limit > 0)
        changed |= bucket_relearn(&l->tpm, &l->tpm_source, ri->tokens_limit * per_min, now_ms);
    /* shards share what is left of the account's window as they share its limits; with a
     * learned limit the bucket follows the account, without one (or under the user's own
     * limit) what is left holds dispatch until the reply's reset */
    if (ri->requests_remaining >= 0 && l->rpm_source == LLMT_LIMIT_LEARNED)
        bucket_sync(&l->rpm, ri->requests_remaining * share, busy, now_ms);
    else
        learn_left(ri->requests_remaining * share, ri->requests_reset_s, busy, &l->req_left,
                   &l->req_reset_ms, now_ms);
    if (ri->tokens_remaining >= 0 && l->tpm_source == LLMT_LIMIT_LEARNED)
        bucket_sync(&l->tpm, ri->tokens_remaining * share, 0, now_ms);
    else
        learn_left(ri->tokens_remaining * share, ri->tokens_reset_s, 0, &l->tok_left,
                   &l->tok_reset_ms, now_ms);
    return changed;
}

/* How long to hold a start of `amount` given what is left until the reset: nothing while
 * plenty is left; the rest spread evenly over the time to the reset when little is; until
 * the reset once it is used up. A window that has reset is unknown again. */
static double left_wait_ms(double *left, double reset_ms, double amount, double slack,
                           double last_start_ms, double now_ms)
{
    double spacing;
    if (*left < 0)
        return 0;
    if (now_ms >= reset_ms) {
        *left = -1;
        return 0;
    }
    if (*left < amount)
        return reset_ms - now_ms;
    if (*left / amount > slack)
        return 0;
    spacing = (reset_ms - now_ms) / (*left / amount);
    return last_start_ms >= 0 && last_start_ms + spacing > now_ms ? last_start_ms + spacing - now_ms : 0;
}

long llmt_limiter_window(const llmt_limiter *l)
{
    long w = (long)floor(l->window);
    return w < 1 ? 1 : w;
}

double llmt_limiter_wait_ms(llmt_limiter *l, double tokens, double now_ms)
{
    double w[LLMT_HOLD_COUNT_], slack = (double)llmt_limiter_window(l), most = 0;
    int i, why = -1;
    if (l->paused_until_ms > now_ms) {
        l->holds[LLMT_HOLD_PAUSE]++;
        return l->paused_until_ms - now_ms;
    }
    if (l->in_flight >= llmt_limiter_window(l) || (l->probing && l->in_flight > 0)) {
        l->holds[LLMT_HOLD_CONCURRENCY]++;
        return -1;
    }
    w[LLMT_HOLD_CONCURRENCY] = w[LLMT_HOLD_PAUSE] = 0;
    w[LLMT_HOLD_RPM] = llmt_bucket_wait_ms(&l->rpm, 1, now_ms);
    w[LLMT_HOLD_TPM] = llmt_bucket_wait_ms(&l->tpm, tokens, now_ms);
    w[LLMT_HOLD_REMAINING] = fmax(
        left_wait_ms(&l->req_left, l->req_reset_ms, 1, slack, l->last_start_ms, now_ms),
        tokens > 0 ? left_wait_ms(&l->tok_left, l->tok_reset_ms, tokens, slack, l->last_start_ms, now_ms) : 0);
    for (i = 0; i < LLMT_HOLD_COUNT_; i++)
        if (w[i] > most)
            most = w[i], why = i;
    if (why >= 0)
        l->holds[why]++;
    return most;
}

void llmt_limiter_start(llmt_limiter *l, double tokens, double now_ms)
{
    l->in_flight++;
    llmt_bucket_take(&l->rpm, 1, now_ms);
    llmt_bucket_take(&l->tpm, tokens, now_ms);
    if (l->req_left > 0)
        l->req_left -= 1;
    if (l->tok_left > 0)
        l->tok_left = l->tok_left > tokens ? l->tok_left - tokens : 0;
    l->last_start_ms = now_ms;
}

llmt_hold llmt_limiter_binding(const llmt_limiter *l)
{
    int i, best = LLMT_HOLD_COUNT_;
    unsigned long most = 0;
    for (i = 0; i < LLMT_HOLD_COUNT_; i++)
        if (l->holds[i] > most)
            most = l->holds[i], best = i;
    return (llmt_hold)best;
}

void llmt_limiter_finish(llmt_limiter *l, double estimated_tokens, double actual_tokens,
                         bool ok, bool rate_limited, double retry_after_s, double now_ms)
{
    if (l->in_flight > 0)
        l->in_flight--;
    l->probing = false;
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
