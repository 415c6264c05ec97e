#include "run/retry.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

static int month_index(const char *m)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int i;
    for (i = 0; i < 12; i++)
        if (strncmp(names + 3 * i, m, 3) == 0)
            return i;
    return -1;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm): timegm() is not
 * in POSIX, and mktime() would apply the local time zone. */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    long era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static double epoch_of(int y, int mon0, int d, int h, int mi, double s)
{
    return (double)days_from_civil(y, (unsigned)(mon0 + 1), (unsigned)d) * 86400.0 + h * 3600.0 +
           mi * 60.0 + s;
}

static double until(double when, double now)
{
    return when > now ? when - now : 0;
}

double llmt_parse_retry_after(const char *value, double now_epoch_s)
{
    char *end;
    double v;
    char wd[4], mon[4];
    int d, y, h, mi, s, m0;
    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    v = strtod(value, &end);
    if (end != value) {
        while (isspace((unsigned char)*end))
            end++;
        return (*end == '\0' && v >= 0 && isfinite(v)) ? v : -1;
    }
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (sscanf(value, "%3s, %d %3s %d %d:%d:%d", wd, &d, mon, &y, &h, &mi, &s) == 7 &&
        (m0 = month_index(mon)) >= 0 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s <= 60)
        return until(epoch_of(y, m0, d, h, mi, s), now_epoch_s);
    return -1;
}

double llmt_parse_reset(const char *value, double now_epoch_s)
{
    const char *p;
    double total = 0;
    int y, mo, d, h, mi;
    double s;
    bool any = false;
    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    /* RFC 3339 timestamp, UTC ("2026-11-25T12:00:05Z", fractions allowed) */
    if (sscanf(value, "%4d-%2d-%2dT%2d:%2d:%lf", &y, &mo, &d, &h, &mi, &s) == 6 && mo >= 1 &&
        mo <= 12)
        return until(epoch_of(y, mo - 1, d, h, mi, s), now_epoch_s);
    /* Go-style duration: sequence of <number><unit>, unit h|m|s|ms; bare number = seconds */
    p = value;
    while (*p) {
        char *end;
        double n = strtod(p, &end);
        if (end == p || !isfinite(n) || n < 0)
            return -1;
        p = end;
        if (strncmp(p, "ms", 2) == 0) {
            total += n / 1000.0;
            p += 2;
        } else if (*p == 'h') {
            total += n * 3600.0;
            p++;
        } else if (*p == 'm') {
            total += n * 60.0;
            p++;
        } else if (*p == 's') {
            total += n;
            p++;
        } else if (*p == '\0' && !any) {
            total += n;
        } else {
            return -1;
        }
        any = true;
    }
    return any ? total : -1;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

double llmt_retry_after_from_headers(const llmt_http_response *http, double now_epoch_s)
{
    const char *v;
    double best = -1, x;
    size_t i;
    if (!http)
        return -1;
    v = llmt_http_response_header(http, "retry-after-ms");
    if (v) {
        char *end;
        x = strtod(v, &end);
        if (end != v && x >= 0 && isfinite(x))
            return x / 1000.0;
    }
    v = llmt_http_response_header(http, "retry-after");
    if (v && (x = llmt_parse_retry_after(v, now_epoch_s)) >= 0)
        return x;
    for (i = 0; i < http->n_headers; i++) {
        const char *name = http->headers[i].name;
        char remaining_name[160];
        const char *reset_at, *rem;
        if (!contains_ci(name, "ratelimit") || !(reset_at = strstr(name, "reset")))
            continue;
        /* "…-reset-tokens" pairs with "…-remaining-tokens": a limit that still has room
         * did not cause the refusal, so its (possibly long) reset is no reason to wait. */
        snprintf(remaining_name, sizeof remaining_name, "%.*sremaining%s",
                 (int)(reset_at - name), name, reset_at + 5);
        rem = llmt_http_response_header(http, remaining_name);
        if (rem && strtod(rem, NULL) > 0)
            continue;
        x = llmt_parse_reset(http->headers[i].value, now_epoch_s);
        if (x > best)
            best = x;
    }
    return best;
}
