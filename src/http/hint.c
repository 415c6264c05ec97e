#include "http/hint.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

double llmt_hint_clamp(double s)
{
    if (!(s >= 0)) /* negative or NaN: no hint */
        return -1;
    return s > LLMT_HINT_MAX_S ? LLMT_HINT_MAX_S : s; /* also turns +inf into the cap */
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil):
 * avoids timegm(), which is not in C11 or POSIX. */
static long days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_index(const char *s)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
    int i;
    for (i = 0; i < 12; i++)
        if (tolower((unsigned char)s[0]) == months[i][0] &&
            tolower((unsigned char)s[1]) == months[i][1] &&
            tolower((unsigned char)s[2]) == months[i][2])
            return i + 1;
    return 0;
}

static bool read_num(const char **p, int digits_min, int digits_max, long *out)
{
    int n = 0;
    long v = 0;
    while (isdigit((unsigned char)**p) && n < digits_max) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n >= digits_min;
}

static bool read_hms(const char **p, long *h, long *mi, long *s)
{
    if (!read_num(p, 2, 2, h) || **p != ':')
        return false;
    (*p)++;
    if (!read_num(p, 2, 2, mi) || **p != ':')
        return false;
    (*p)++;
    return read_num(p, 2, 2, s) && *h < 24 && *mi < 60 && *s <= 60;
}

bool llmt_parse_http_date(const char *s, double *epoch_s)
{
    const char *p = s, *comma;
    long d = 0, mo = 0, y = 0, h = 0, mi = 0, sec = 0;
    if (!s)
        return false;
    while (*p == ' ')
        p++;
    comma = strchr(p, ',');
    if (comma) {
        /* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or RFC 850 "Sunday, 06-Nov-94 ..." */
        p = comma + 1;
        while (*p == ' ')
            p++;
        if (!read_num(&p, 1, 2, &d))
            return false;
        if (*p != ' ' && *p != '-')
            return false;
        p++;
        if (strlen(p) < 3 || !(mo = month_index(p)))
            return false;
        p += 3;
        if (*p != ' ' && *p != '-')
            return false;
        p++;
        if (!read_num(&p, 2, 4, &y))
            return false;
        if (y < 100) /* RFC 850 two-digit year: RFC 9110 says interpret within 50 years */
            y += y < 70 ? 2000 : 1900;
        while (*p == ' ')
            p++;
        if (!read_hms(&p, &h, &mi, &sec))
            return false;
        while (*p == ' ')
            p++;
        if (strncmp(p, "GMT", 3) != 0 && strncmp(p, "UTC", 3) != 0)
            return false;
    } else {
        /* asctime "Sun Nov  6 08:49:37 1994" */
        if (strlen(p) < 8 || p[3] != ' ')
            return false;
        p += 4;
        if (!(mo = month_index(p)))
            return false;
        p += 3;
        while (*p == ' ')
            p++;
        if (!read_num(&p, 1, 2, &d) || *p != ' ')
            return false;
        p++;
        if (!read_hms(&p, &h, &mi, &sec) || *p != ' ')
            return false;
        p++;
        if (!read_num(&p, 4, 4, &y))
            return false;
    }
    if (d < 1 || d > 31)
        return false;
    *epoch_s = (double)days_from_civil(y, mo, d) * 86400.0 + (double)(h * 3600 + mi * 60 + sec);
    return true;
}

double llmt_parse_duration(const char *s)
{
    const char *p = s;
    double total = 0;
    bool any = false;
    if (!s)
        return -1;
    while (*p == ' ')
        p++;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(v >= 0))
            return -1;
        p = end;
        if (*p == '\0' || *p == ' ') {
            total += v; /* a bare number is seconds */
        } else if (p[0] == 'm' && p[1] == 's') {
            total += v / 1000.0;
            p += 2;
        } else if (p[0] == 'u' && p[1] == 's') {
            total += v / 1e6;
            p += 2;
        } else if (p[0] == 'n' && p[1] == 's') {
            total += v / 1e9;
            p += 2;
        } else if (*p == 'h') {
            total += v * 3600;
            p++;
        } else if (*p == 'm') {
            total += v * 60;
            p++;
        } else if (*p == 's') {
            total += v;
            p++;
        } else {
            return -1;
        }
        any = true;
        while (*p == ' ')
            p++;
    }
    return any ? total : -1;
}

double llmt_parse_retry_after(const char *value, double now_epoch_s)
{
    char *end;
    double v, when;
    if (!value)
        return -1;
    while (*value == ' ')
        value++;
    if (!*value)
        return -1;
    v = strtod(value, &end);
    if (end != value) {
        while (*end == ' ')
            end++;
        return *end == '\0' ? llmt_hint_clamp(v) : -1;
    }
    if (llmt_parse_http_date(value, &when))
        return llmt_hint_clamp(when > now_epoch_s ? when - now_epoch_s : 0);
    return -1;
}

double llmt_parse_reset(const char *value, double now_epoch_s)
{
    int y, mo, d, h, mi;
    double s;
    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    /* RFC 3339 timestamp, UTC ("2026-11-25T12:00:05Z", fractions allowed) */
    if (sscanf(value, "%4d-%2d-%2dT%2d:%2d:%lf", &y, &mo, &d, &h, &mi, &s) == 6 && mo >= 1 &&
        mo <= 12 && d >= 1 && d <= 31 && s >= 0 && s < 61) {
        double when = (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600.0 + mi * 60.0 + s;
        return llmt_hint_clamp(when > now_epoch_s ? when - now_epoch_s : 0);
    }
    return llmt_hint_clamp(llmt_parse_duration(value));
}

double llmt_hint_now(const llmt_http_response *http)
{
    return http && http->received_at > 0 ? http->received_at : llmt_wall_time_s();
}

double llmt_retry_after_from_headers(const llmt_http_response *http, double now_epoch_s)
{
    const char *v;
    double best = -1, x;
    size_t i;
    if (!http)
        return -1;
    v = llmt_http_response_header(http, "retry-after-ms");
    if (v && *v) {
        char *end;
        x = strtod(v, &end);
        if (end != v && *end == '\0' && x >= 0)
            return llmt_hint_clamp(x / 1000.0);
    }
    v = llmt_http_response_header(http, "retry-after");
    if (v && (x = llmt_parse_retry_after(v, now_epoch_s)) >= 0)
        return x;
    for (i = 0; i < http->n_headers; i++) {
        const char *name = http->headers[i].name;
        char remaining_name[160];
        const char *reset_at, *rem;
        if (!llmt_str_contains_ci(name, "ratelimit") || !(reset_at = strstr(name, "reset")))
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
