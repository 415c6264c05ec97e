/* Each provider's read_rate_limits reads its own rate-limit headers (the wire formats in
 * docs/providers.md): OpenAI durations, Anthropic RFC 3339 resets and its combined token
 * limit, Mistral's per-minute headers without a reset, OpenRouter's epoch-millisecond
 * reset; Gemini and Ollama say nothing. A reply without the headers says nothing. A
 * reply that carries the time it arrived (a replayed one) has its dated resets read
 * against that time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "llmt/provider.h"
#include "provider/host_api.h"

extern const llmt_provider_ops llmt_provider_openai, llmt_provider_anthropic,
    llmt_provider_mistral, llmt_provider_openrouter, llmt_provider_gemini, llmt_provider_ollama;

/* What ops reads from a reply with headers h that arrived at received_at (0: now). */
static llmt_rate_info read_at(const llmt_provider_ops *ops, llmt_http_header *h, size_t n,
                              double received_at)
{
    llmt_http_response r;
    llmt_rate_info ri;
    llmt_provider_settings s;
    void *st = NULL;
    memset(&s, 0, sizeof s);
    s.version = LLMT_PROVIDER_SETTINGS_VERSION;
    s.name = ops->name;
    s.base_url = "http://127.0.0.1:9";
    s.api_key = "sk-test";
    s.host = llmt_host(); /* an instance as the factory makes it: the host's toolkit */
    assert_int_equal(ops->init(&st, &s, NULL), LLMT_OK);
    memset(&r, 0, sizeof r);
    r.status = 200;
    r.headers = h;
    r.n_headers = n;
    r.received_at = received_at;
    llmt_rate_info_init(&ri);
    assert_true(LLMT_OPS_HAS(ops, read_rate_limits));
    ops->read_rate_limits(st, &r, &ri);
    ops->destroy(st);
    return ri;
}

static llmt_rate_info read_of(const llmt_provider_ops *ops, llmt_http_header *h, size_t n)
{
    return read_at(ops, h, n, 0);
}

static void openai_durations(void **state)
{
    llmt_http_header h[] = {
        {"x-ratelimit-limit-requests", "10000"}, {"x-ratelimit-remaining-requests", "9999"},
        {"x-ratelimit-reset-requests", "6ms"},   {"x-ratelimit-limit-tokens", "30000000"},
        {"x-ratelimit-remaining-tokens", "29999000"}, {"x-ratelimit-reset-tokens", "1m2.5s"}};
    llmt_rate_info ri = read_of(&llmt_provider_openai, h, 6);
    (void)state;
    assert_true(ri.requests_limit == 10000 && ri.requests_remaining == 9999);
    assert_true(fabs(ri.requests_reset_s - 0.006) < 1e-9);
    assert_true(ri.tokens_limit == 30000000 && ri.tokens_remaining == 29999000);
    assert_true(fabs(ri.tokens_reset_s - 62.5) < 1e-9);
}

static void anthropic_rfc3339_resets(void **state)
{
    char when[32];
    time_t t = time(NULL) + 30;
    struct tm tm;
    llmt_http_header h[] = {
        {"anthropic-ratelimit-requests-limit", "4000"},
        {"anthropic-ratelimit-requests-remaining", "3999"},
        {"anthropic-ratelimit-requests-reset", when},
        {"anthropic-ratelimit-input-tokens-limit", "400000"},
        {"anthropic-ratelimit-tokens-limit", "480000"},
        {"anthropic-ratelimit-tokens-remaining", "479000"},
        {"anthropic-ratelimit-tokens-reset", when}};
    llmt_rate_info ri;
    (void)state;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ri = read_of(&llmt_provider_anthropic, h, 7);
    assert_true(ri.requests_limit == 4000 && ri.requests_remaining == 3999);
    assert_true(ri.requests_reset_s > 27 && ri.requests_reset_s <= 31); /* 30 s from now */
    /* "tokens" is the most restrictive combined limit: it wins over input-tokens */
    assert_true(ri.tokens_limit == 480000 && ri.tokens_remaining == 479000);
    assert_true(ri.tokens_reset_s > 27 && ri.tokens_reset_s <= 31);
    /* without the combined one, the input-token limit stands for it */
    ri = read_of(&llmt_provider_anthropic, h, 4);
    assert_true(ri.tokens_limit == 400000);
}

static void mistral_per_minute_without_reset(void **state)
{
    llmt_http_header h[] = {{"x-ratelimit-limit-req-minute", "120"},
                            {"x-ratelimit-remaining-req-minute", "119"},
                            {"x-ratelimit-limit-tokens-minute", "500000"},
                            {"x-ratelimit-remaining-tokens-minute", "499000"}};
    llmt_rate_info ri = read_of(&llmt_provider_mistral, h, 4);
    (void)state;
    assert_true(ri.requests_limit == 120 && ri.requests_remaining == 119);
    assert_true(ri.tokens_limit == 500000 && ri.tokens_remaining == 499000);
    assert_true(ri.window_s == 60 && ri.requests_reset_s == 60); /* lasts the minute at most */
}

static void openrouter_epoch_ms_reset(void **state)
{
    char reset[32];
    llmt_http_header h[] = {{"X-RateLimit-Limit", "20"}, {"X-RateLimit-Remaining", "0"},
                            {"X-RateLimit-Reset", reset}};
    llmt_rate_info ri;
    (void)state;
    snprintf(reset, sizeof reset, "%.0f", (llmt_wall_time_s() + 10) * 1000.0);
    ri = read_of(&llmt_provider_openrouter, h, 3);
    assert_true(ri.requests_remaining == 0);
    assert_true(ri.requests_reset_s > 8 && ri.requests_reset_s <= 10.5);
    assert_true(ri.requests_limit < 0); /* its window is not documented: no rpm learned */
}

/* A replayed reply carries the time it arrived: a reset given as a date or an epoch is
 * read as it was read then (a day-old cassette too), whatever the clock says now. */
static void dated_resets_read_at_arrival(void **state)
{
    char when[32], reset[32];
    double then = llmt_wall_time_s() - 86400;
    time_t t = (time_t)then + 30;
    struct tm tm;
    llmt_http_header a[] = {{"anthropic-ratelimit-requests-limit", "4000"},
                            {"anthropic-ratelimit-requests-reset", when}};
    llmt_http_header o[] = {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", reset}};
    llmt_rate_info ri;
    (void)state;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(reset, sizeof reset, "%.0f", (then + 10) * 1000.0);
    ri = read_of(&llmt_provider_anthropic, a, 2);
    assert_true(ri.requests_reset_s == 0); /* read now: a day ago, past */
    ri = read_at(&llmt_provider_anthropic, a, 2, then);
    assert_true(ri.requests_reset_s > 28 && ri.requests_reset_s <= 31);
    ri = read_at(&llmt_provider_openrouter, o, 2, then);
    assert_true(ri.requests_reset_s > 9 && ri.requests_reset_s <= 10.5);
    ri = read_of(&llmt_provider_openrouter, o, 2);
    assert_true(ri.requests_reset_s == 0);
}

static void silence_says_nothing(void **state)
{
    llmt_http_header h[] = {{"content-type", "application/json"}, {"x-ratelimit-limit-requests", "lots"}};
    llmt_rate_info ri = read_of(&llmt_provider_openai, h, 2);
    (void)state;
    assert_true(ri.requests_limit < 0 && ri.requests_remaining < 0 && ri.tokens_limit < 0);
    /* providers whose replies name no limit do not read any */
    assert_false(LLMT_OPS_HAS(&llmt_provider_gemini, read_rate_limits));
    assert_false(LLMT_OPS_HAS(&llmt_provider_ollama, read_rate_limits));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openai_durations),
        cmocka_unit_test(anthropic_rfc3339_resets),
        cmocka_unit_test(mistral_per_minute_without_reset),
        cmocka_unit_test(openrouter_epoch_ms_reset),
        cmocka_unit_test(silence_says_nothing),
        cmocka_unit_test(dated_resets_read_at_arrival),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
