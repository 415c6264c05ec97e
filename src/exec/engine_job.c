/* The engine's job API for callers that are not a run: one job, run to its end. */
#include "exec/engine.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "provider/call.h"
#include "provider/manager_internal.h"

bool llmt_engine_chain_reasons(llmt_manager *mgr, const char *const *chain, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        llmt_provider_entry *e;
        const llmt_model_config *m;
        llmt_error err;
        if (llmt_call_resolve(llmt_manager_registry(mgr), chain[i], &e, &m, &err) == LLMT_OK &&
            m->info.reasoning)
            return true;
    }
    return false;
}

typedef struct strv {
    char **v;
    size_t n, cap;
    bool oom;
} strv;

/* Appends `ref` unless it is there already. */
static void strv_add_once(strv *s, const char *ref)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->v[i], ref) == 0)
            return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **v = realloc(s->v, cap * sizeof(*v));
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    if (!(s->v[s->n] = llmt_strdup(ref)))
        s->oom = true;
    else
        s->n++;
}

/* Appends the configured chain of `ref`: the model's fallbacks, then its provider's. */
static void add_config_chain(strv *s, llmt_registry *reg, const char *ref)
{
    llmt_provider_entry *e = NULL;
    const llmt_model_config *m = NULL;
    size_t i;
    if (llmt_call_resolve(reg, ref, &e, &m, NULL) != LLMT_OK)
        return;
    for (i = 0; i < m->n_fallbacks; i++)
        strv_add_once(s, m->fallbacks[i]);
    for (i = 0; i < e->config->n_fallbacks; i++)
        strv_add_once(s, e->config->fallbacks[i]);
}

char **llmt_engine_chain(llmt_manager *mgr, const char *model_ref, const char *const *extra,
                         size_t n_extra, bool follow_config, size_t *n)
{
    llmt_registry *reg = llmt_manager_registry(mgr);
    strv s = {NULL, 0, 0, false};
    size_t i;
    strv_add_once(&s, model_ref);
    if (follow_config)
        add_config_chain(&s, reg, model_ref);
    for (i = 0; i < n_extra; i++)
        if (extra[i])
            strv_add_once(&s, extra[i]);
    /* breadth-first: s.n grows while the loop walks it */
    for (i = 1; follow_config && i < s.n && !s.oom; i++)
        add_config_chain(&s, reg, s.v[i]);
    if (s.oom) {
        llmt_free_strv(s.v, s.n);
        return NULL;
    }
    *n = s.n;
    return s.v;
}

typedef struct one_job {
    llmt_engine_job job;
    bool handed_out;
    llmt_job_result *out;
} one_job;

static bool one_next(void *ud, llmt_engine_job **job)
{
    one_job *oj = ud;
    if (oj->handed_out)
        return false;
    oj->handed_out = true;
    *job = &oj->job;
    return true;
}

static void one_done(void *ud, llmt_engine_job *job, llmt_engine_outcome *o)
{
    one_job *oj = ud;
    llmt_job_result *r = oj->out;
    (void)job;
    r->status = o->status;
    if (o->error)
        r->error = *o->error;
    if (o->first_failure)
        r->first_failure = *o->first_failure;
    else if (o->chain_index == 0 && o->status != LLMT_OK && o->error)
        r->first_failure = *o->error;
    if (o->response) {
        r->response = *o->response; /* moved out: the engine frees nothing */
        memset(o->response, 0, sizeof(*o->response));
    }
    r->answered_by = o->answered_by;
    r->models_tried = o->chain_index + 1;
    r->n_attempts = o->n_attempts;
    r->usage = o->usage;
    r->cost_usd = o->cost_usd;
    r->cost_known = o->cost_known;
}

llmt_status llmt_engine_run_one(llmt_manager *mgr, const llmt_request *req,
                                const char *const *chain, size_t n_chain,
                                const llmt_retry_policy *retry, llmt_job_result *out,
                                llmt_error *err)
{
    return llmt_engine_run_one_taped(mgr, req, chain, n_chain, retry, NULL, out, err);
}

llmt_status llmt_engine_run_one_taped(llmt_manager *mgr, const llmt_request *req,
                                      const char *const *chain, size_t n_chain,
                                      const llmt_retry_policy *retry,
                                      const llmt_engine_tape *tape, llmt_job_result *out,
                                      llmt_error *err)
{
    llmt_engine_options eo;
    llmt_engine_callbacks cb;
    one_job oj;
    llmt_status st;
    memset(out, 0, sizeof(*out));
    llmt_error_clear(&out->error);
    llmt_error_clear(&out->first_failure);
    out->status = LLMT_E_INTERNAL;
    memset(&oj, 0, sizeof oj);
    oj.job.req = *req;
    oj.job.chain = chain;
    oj.job.n_chain = n_chain;
    oj.out = out;
    llmt_engine_options_init(&eo);
    if (tape) {
        oj.job.task = tape->task;
        oj.job.kase = tape->kase;
        eo.record = tape->record;
        eo.replay = tape->replay;
    }
    eo.concurrency = 1;
    eo.lanes = 1;
    eo.retry = *retry;
    eo.seed = (uint64_t)llmt_now_ms() ^ (uint64_t)(uintptr_t)out;
    memset(&cb, 0, sizeof cb);
    cb.next = one_next;
    cb.done = one_done;
    cb.ud = &oj;
    st = llmt_engine_run(mgr, &eo, &cb, NULL, err);
    if (st != LLMT_OK)
        return st;
    if (out->status != LLMT_OK && err)
        *err = out->error;
    return out->status;
}

void llmt_job_result_clear(llmt_job_result *r)
{
    if (!r)
        return;
    llmt_response_clear(&r->response);
    memset(r, 0, sizeof(*r));
}

typedef struct fetch_job {
    llmt_engine_job job;
    bool handed_out;
    llmt_status status;
    llmt_error error;
    llmt_http_result *out;
} fetch_job;

static bool fetch_next(void *ud, llmt_engine_job **job)
{
    fetch_job *fj = ud;
    if (fj->handed_out)
        return false;
    fj->handed_out = true;
    *job = &fj->job;
    return true;
}

static void fetch_done(void *ud, llmt_engine_job *job, llmt_engine_outcome *o)
{
    fetch_job *fj = ud;
    (void)job;
    fj->status = o->status;
    if (o->error)
        fj->error = *o->error;
    if (o->fetched) {
        *fj->out = *o->fetched; /* moved out: the engine frees nothing */
        memset(o->fetched, 0, sizeof(*o->fetched));
    }
}

llmt_status llmt_engine_fetch(llmt_manager *mgr, const char *who, const llmt_http_request *req,
                              const char *secret, long timeout_ms,
                              const llmt_retry_policy *retry, llmt_http_result *out,
                              llmt_error *err)
{
    llmt_engine_options eo;
    llmt_engine_callbacks cb;
    fetch_job fj;
    llmt_status st;
    memset(out, 0, sizeof(*out));
    memset(&fj, 0, sizeof fj);
    fj.job.chain = &who;
    fj.job.n_chain = 1;
    fj.job.fetch = req;
    fj.job.fetch_secret = secret;
    fj.status = LLMT_E_INTERNAL;
    llmt_error_clear(&fj.error);
    fj.out = out;
    llmt_engine_options_init(&eo);
    eo.concurrency = 1;
    eo.lanes = 1;
    eo.retry = *retry;
    eo.timeout_ms = timeout_ms;
    eo.connect_timeout_ms = timeout_ms > 0 && timeout_ms < 10000 ? timeout_ms : 0;
    eo.seed = (uint64_t)llmt_now_ms() ^ (uint64_t)(uintptr_t)out;
    memset(&cb, 0, sizeof cb);
    cb.next = fetch_next;
    cb.done = fetch_done;
    cb.ud = &fj;
    st = llmt_engine_run(mgr, &eo, &cb, NULL, err);
    if (st != LLMT_OK)
        return st;
    if (fj.status != LLMT_OK && err)
        *err = fj.error;
    return fj.status;
}
