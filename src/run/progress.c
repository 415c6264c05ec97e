/* The progress line's text. The CLI decides whether and where to print it. */
#include <stdio.h>

#include "run/runner.h"

static void fmt_duration(double s, char *buf, size_t n)
{
    long t = (long)(s + 0.5);
    if (s < 0 || s > 360000)
        snprintf(buf, n, "--");
    else if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%lds", t);
}

void llmt_progress_format(const llmt_run_progress *p, char *buf, size_t n)
{
    double secs = p->elapsed_ms / 1000.0;
    double rate = secs > 0 ? (double)p->done / secs : 0;
    char eta[32];
    size_t left = p->total > p->done ? p->total - p->done : 0;
    fmt_duration(rate > 0 ? (double)left / rate : (left ? -1 : 0), eta, sizeof eta);
    snprintf(buf, n, "[%zu/%zu] %zu failed, %zu in flight, %.1f req/s, ETA %s, spent $%.4f%s%s",
             p->done, p->total, p->failed, p->in_flight, rate, eta, p->spent_usd,
             p->binding && *p->binding ? "; held back by " : "", p->binding ? p->binding : "");
}
