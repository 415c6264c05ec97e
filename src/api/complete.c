/* llmt_complete_with_fallbacks() (include/llmt/extract.h): one job of the run engine, so the
 * retries, fallbacks and cache are the run's. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "llmt/extract.h"
#include "exec/engine.h"

llmt_status llmt_fallback_options_init(llmt_fallback_options *opts, unsigned int version)
{
    llmt_fallback_options d = LLMT_FALLBACK_OPTIONS_INIT;
    if (!opts || version != 1)
        return LLMT_E_INVALID_ARG;
    *opts = d;
    return LLMT_OK;
}

void llmt_completion_clear(llmt_completion *c)
{
    if (!c)
        return;
    llmt_response_clear(&c->response);
    memset(c, 0, sizeof(*c));
}

llmt_status llmt_complete_with_fallbacks(llmt_manager *mgr, const char *model_ref,
                                         const llmt_request *req,
                                         const llmt_fallback_options *opts, llmt_completion *out,
                                         llmt_error *err)
{
    llmt_fallback_options o;
    llmt_retry_policy rp;
    llmt_job_result r;
    char **chain;
    size_t n = 0;
    llmt_status st;
    if (!mgr || !model_ref || !req || !out)
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "llmt_complete_with_fallbacks: NULL argument");
    memset(out, 0, sizeof(*out));
    llmt_error_clear(&out->first_failure);
    llmt_fallback_options_init(&o, LLMT_FALLBACK_OPTIONS_VERSION);
    if (opts) {
        if (opts->version == 0 || opts->version > LLMT_FALLBACK_OPTIONS_VERSION)
            return llmt_error_set(err, LLMT_E_INVALID_ARG, "unknown fallback options version %u",
                                  opts->version);
        o = *opts;
    }
    /* the run's retry policy: retries shared by the chain, full-jitter backoff, server
     * hints obeyed within the time limit */
    rp.max_retries = (o.max_attempts > 0 ? o.max_attempts : 3) - 1;
    rp.base_ms = o.backoff_ms > 0 ? (double)o.backoff_ms : 500.0;
    rp.cap_ms = o.max_backoff_ms > 0 ? (double)o.max_backoff_ms : 30000.0;
    rp.max_time_ms = LLMT_RETRY_DEFAULT_MAX_TIME_MS;
    chain = llmt_engine_chain(mgr, model_ref, o.fallbacks, o.fallbacks ? o.n_fallbacks : 0,
                              !o.skip_config_fallbacks, &n);
    if (!chain)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    st = llmt_engine_run_one(mgr, req, (const char *const *)chain, n, &rp, &r, err);
    out->calls = r.n_attempts;
    out->models_tried = (unsigned)r.models_tried;
    out->first_failure = r.first_failure;
    if (st == LLMT_OK) {
        out->response = r.response;
        memset(&r.response, 0, sizeof r.response);
        snprintf(out->answered_by, sizeof out->answered_by, "%s", r.answered_by);
    }
    llmt_job_result_clear(&r);
    llmt_free_strv(chain, n);
    return st;
}
