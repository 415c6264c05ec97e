/* llmt_complete_with_fallbacks(): retries with backoff, then fallbacks (include/llmt/extract.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/util.h"
#include "provider/call.h"
#include "provider/manager_internal.h"

void llmt_fallback_options_init(llmt_fallback_options *opts)
{
    llmt_fallback_options d = LLMT_FALLBACK_OPTIONS_INIT;
    *opts = d;
}

void llmt_completion_clear(llmt_completion *c)
{
    if (!c)
        return;
    llmt_response_clear(&c->response);
    memset(c, 0, sizeof(*c));
}

bool llmt_api_fallback_worthy(llmt_status st)
{
    switch (st) {
    case LLMT_OK:
    case LLMT_E_INVALID_ARG:
    case LLMT_E_NOMEM:
    case LLMT_E_CANCELLED:
    case LLMT_E_BUDGET:
        return false;
    default:
        return true;
    }
}

void llmt_api_sleep_ms(double ms)
{
    struct timespec ts;
    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000.0);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000.0) * 1e6);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One model, with retries of retryable failures. */
static llmt_status attempt_model(llmt_manager *mgr, const char *ref, const llmt_request *req,
                                 const llmt_fallback_options *o, llmt_completion *out,
                                 llmt_rng *rng, llmt_error *e)
{
    int max = o->max_attempts > 0 ? o->max_attempts : 3;
    double base = o->backoff_ms > 0 ? (double)o->backoff_ms : 500.0;
    double cap = o->max_backoff_ms > 0 ? (double)o->max_backoff_ms : 30000.0;
    int attempt;
    llmt_status st = LLMT_E_INTERNAL;
    for (attempt = 1; attempt <= max; attempt++) {
        double delay;
        llmt_error_clear(e);
        out->calls++;
        st = llmt_manager_complete(mgr, ref, req, &out->response, e);
        if (st == LLMT_OK || !e->retryable || attempt == max)
            break;
        /* Retry-After when the provider said; else exponential backoff with ±25% jitter so
         * that many clients do not retry in lockstep */
        delay = e->retry_after_s > 0 ? e->retry_after_s * 1000.0
                                     : base * (double)(1u << (attempt - 1)) *
                                           (0.75 + 0.5 * llmt_rng_uniform(rng));
        llmt_api_sleep_ms(delay < cap ? delay : cap);
    }
    return st;
}

/* Appends the configured chain of `ref` (the model's, then its provider's). */
static void queue_config_fallbacks(llmt_manager *mgr, const char *ref, const char ***q,
                                   size_t *n, size_t *cap)
{
    llmt_provider_entry *e = NULL;
    const llmt_model_config *m = NULL;
    size_t i, k;
    if (llmt_call_resolve(llmt_manager_registry(mgr), ref, &e, &m, NULL) != LLMT_OK)
        return;
    for (k = 0; k < 2; k++) {
        char **v = k == 0 ? m->fallbacks : e->config->fallbacks;
        size_t nv = k == 0 ? m->n_fallbacks : e->config->n_fallbacks;
        for (i = 0; i < nv; i++) {
            if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 8;
                const char **g = realloc(*q, nc * sizeof(*g));
                if (!g)
                    return;
                *q = g;
                *cap = nc;
            }
            (*q)[(*n)++] = v[i]; /* borrowed from the config, which outlives this call */
        }
    }
}

llmt_status llmt_complete_with_fallbacks(llmt_manager *mgr, const char *model_ref,
                                         const llmt_request *req,
                                         const llmt_fallback_options *opts, llmt_completion *out,
                                         llmt_error *err)
{
    llmt_fallback_options o;
    const char **queue = NULL;
    size_t n = 0, cap = 0, i, j;
    llmt_error e;
    llmt_rng rng;
    llmt_status st = LLMT_E_INTERNAL;
    if (!mgr || !model_ref || !req || !out)
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "llmt_complete_with_fallbacks: NULL argument");
    memset(out, 0, sizeof(*out));
    llmt_fallback_options_init(&o);
    if (opts) {
        if (opts->version == 0 || opts->version > LLMT_FALLBACK_OPTIONS_VERSION)
            return llmt_error_set(err, LLMT_E_INVALID_ARG, "unknown fallback options version %u",
                                  opts->version);
        o = *opts;
    }
    llmt_error_clear(&e);
    llmt_rng_seed(&rng, (uint64_t)llmt_now_ms() ^ (uint64_t)(uintptr_t)out);
    cap = 1 + o.n_fallbacks + 8;
    queue = malloc(cap * sizeof(*queue));
    if (!queue)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    queue[n++] = model_ref;
    for (i = 0; i < o.n_fallbacks; i++)
        if (o.fallbacks[i])
            queue[n++] = o.fallbacks[i];
    for (i = 0; i < n; i++) {
        bool seen = false;
        for (j = 0; j < i && !seen; j++)
            seen = strcmp(queue[j], queue[i]) == 0;
        if (seen)
            continue; /* each model at most once, even if chains loop */
        out->models_tried++;
        st = attempt_model(mgr, queue[i], req, &o, out, &rng, &e);
        if (st == LLMT_OK) {
            snprintf(out->answered_by, sizeof out->answered_by, "%s", queue[i]);
            break;
        }
        if (out->models_tried == 1)
            out->first_failure = e;
        if (!llmt_api_fallback_worthy(st))
            break;
        if (!o.skip_config_fallbacks)
            queue_config_fallbacks(mgr, queue[i], &queue, &n, &cap);
    }
    free(queue);
    if (st != LLMT_OK && err)
        *err = e;
    return st;
}
