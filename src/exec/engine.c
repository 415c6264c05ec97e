#include "exec/engine.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "http/hint.h"
#include "http/http.h"
#include "provider/call.h"
#include "provider/manager_internal.h"
#include "provider/tokens.h"
#include "exec/ratelimit.h"
#include "exec/tape.h"

#define PROGRESS_EVERY_MS 100.0
/* The poll never sleeps longer than this, so an interrupt flag set by a signal handler
 * is seen quickly without any file descriptor shared with the handler. */
#define POLL_CAP_MS 100.0
#define DEFAULT_OUTPUT_BOUND 4096
/* Automatic lanes: one per online CPU, at most MAX_AUTO_LANES, each with at least
 * MIN_LANE_SLOTS of the global concurrency. Below that one loop keeps up. */
#define MAX_AUTO_LANES 4
#define MIN_LANE_SLOTS 16

typedef enum {
    JS_READY,      /* waiting for a slot, the provider's limiter or the budget */
    JS_HTTP,       /* transfer in the multi handle */
    JS_SIMLAT,     /* local answer computed; waiting out its simulated latency */
    JS_RETRY_WAIT  /* waiting for its retry due time */
} job_state;

typedef struct prov {
    llmt_provider_entry *entry;
    llmt_limiter lim;
    llmt_http_header_cache headers; /* the curl list its requests share */
    unsigned long blocked_pass; /* pass number in which it was found blocked */
    bool explicit_concurrency;  /* its concurrency cap is the user's, not the shipped one */
} prov;

typedef struct ejob ejob;
typedef struct engine engine;
typedef struct jlist {
    ejob *head, *tail;
    size_t n;
} jlist;

typedef struct lane lane;

struct ejob {
    llmt_engine_job *job;
    lane *lane;                /* the lane whose slot (and transfer) the attempt holds */
    ejob *prev, *next;
    jlist *list;
    job_state state;
    size_t chain_idx;
    size_t prepared_idx;       /* chain index `call` was prepared for; SIZE_MAX = none */
    size_t cache_checked_idx;  /* chain index already looked up in the cache */
    llmt_call call;
    prov *pv;
    double est_tokens;         /* limiter charge of the current attempt */
    double est_cost;           /* budget reservation of the current attempt */
    bool cost_bounded;         /* the model has a price (the budget applies) */
    unsigned n_attempts;
    int retries;
    double first_start_ms, attempt_start_ms, due_ms;
    llmt_attempts attempts;
    llmt_usage usage;
    double cost;
    bool cost_known;
    bool preanswered;          /* answered by E->o->preanswer */
    double end_ms;             /* when the attempt or decision that ends the job came (a
                                  replay: on the recorded clock); 0 = not ending */
    llmt_response resp;
    llmt_status pending_st;    /* JS_SIMLAT: the local call's result */
    llmt_error err;
    llmt_error first_err;      /* why chain[0] failed, kept once the job moves on */
    /* HTTP transfer */
    CURL *easy;
    void *hdrs;
    llmt_http_request hreq;
    llmt_http_result hres;
    llmt_http_result fetched;  /* a fetch job's reply, kept for done() */
    llmt_tape_slot tape;       /* the attempt's exchange for a cassette (exec/tape.h) */
    char errbuf[CURL_ERROR_SIZE];
};

/* One event loop: a curl multi handle and the transfers it drives, on its own thread.
 * Only its own thread touches its multi handle, pool and http list; everything else
 * the lanes share lives in the engine, under the engine's lock. */
struct lane {
    engine *E;
    CURLM *multi;
    CURL **pool;               /* idle easy handles (keep their connection state) */
    size_t n_pool, cap_pool;
    jlist http;                /* its transfers */
    long slots, cap;           /* attempts it holds; its share of the global concurrency */
    long share;                /* its cap once every lane runs (lane 0 has them all before) */
    double next_wake_ms;       /* earliest limiter wake-up found during its last pass */
    pthread_t thread;
    bool threaded;
};

struct engine {
    llmt_manager *mgr;
    llmt_registry *reg;
    const llmt_engine_options *o;
    const llmt_engine_callbacks *cb;
    /* Held by a lane for everything but curl_multi_perform and curl_multi_poll, the
     * socket work that the lanes do in parallel. Provider code, the callbacks and the
     * shared limiters, budget and lists therefore run one lane at a time. */
    pthread_mutex_t mu;
    lane *lanes;
    unsigned n_lanes;
    bool lanes_started;        /* lanes 1.. run (from the first HTTP transfer on) */
    prov *provs;
    size_t n_provs, cap_provs;
    jlist ready, waiting;
    size_t active;             /* jobs handed out and not yet done */
    size_t window;             /* max active jobs */
    long slots;                /* attempts occupying a concurrency slot, all lanes */
    bool exhausted;            /* the producer has nothing more */
    bool stopping;
    double stop_deadline_ms;
    double reserved_usd, spent_usd;
    bool kick;                 /* a job became ready outside a scan: scan again soon */
    unsigned long pass;
    unsigned long held_global;  /* dispatch passes that found every --concurrency slot taken */
    double started_ms, last_progress_ms;
    llmt_rng rng;
    llmt_engine_stats stats;
    bool oom;
    ejob *spare;               /* finished ejobs kept for reuse (at most `window`): a
                                  2 KB calloc/free per job showed in the profile */
};

/* ---------------------------------------------------------------- lists */

static void list_push(jlist *l, ejob *j)
{
    j->list = l;
    j->next = NULL;
    j->prev = l->tail;
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->n++;
}

static void list_remove(ejob *j)
{
    jlist *l = j->list;
    if (!l)
        return;
    if (j->prev)
        j->prev->next = j->next;
    else
        l->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        l->tail = j->prev;
    l->n--;
    j->list = NULL;
    j->prev = j->next = NULL;
}

/* ---------------------------------------------------------------- helpers */

bool llmt_engine_fallback_covers(llmt_status st)
{
    switch (st) {
    case LLMT_E_AUTH: case LLMT_E_PERMISSION: case LLMT_E_NOT_FOUND:
    case LLMT_E_CONTEXT_LENGTH: case LLMT_E_CONTENT_FILTER: case LLMT_E_RATE_LIMIT:
    case LLMT_E_QUOTA: case LLMT_E_TIMEOUT: case LLMT_E_NETWORK: case LLMT_E_SERVER:
    case LLMT_E_OVERLOADED: case LLMT_E_BAD_RESPONSE: case LLMT_E_UNSUPPORTED:
    case LLMT_E_CONFIG:
        return true;
    default:
        return false;
    }
}

void llmt_engine_options_init(llmt_engine_options *o)
{
    memset(o, 0, sizeof(*o));
    o->concurrency = 8;
    o->retry.max_retries = 3;
    o->retry.base_ms = 500;
    o->retry.cap_ms = 30000;
    o->retry.max_time_ms = LLMT_RETRY_DEFAULT_MAX_TIME_MS;
    o->budget_usd = -1;
    o->grace_ms = 3000;
}

static long output_bound_of(const llmt_call *c)
{
    if (c->req.max_tokens > 0)
        return c->req.max_tokens;
    if (c->model->info.max_output_tokens > 0)
        return c->model->info.max_output_tokens;
    return DEFAULT_OUTPUT_BOUND;
}

llmt_status llmt_engine_estimate(llmt_manager *mgr, const char *model_ref,
                                 const llmt_request *req, double *min_usd, double *max_usd,
                                 bool *known, long *input_tokens, llmt_error *err)
{
    llmt_provider_entry *e;
    const llmt_model_config *m;
    llmt_call call;
    long in, out;
    llmt_status st = llmt_call_resolve(llmt_manager_registry(mgr), model_ref, &e, &m, err);
    if (st != LLMT_OK)
        return st;
    llmt_call_prepare(&call, e, m, req);
    in = llmt_call_input_tokens(&call);
    out = output_bound_of(&call);
    *known = m->has_cost;
    *min_usd = m->has_cost ? (double)in / 1e6 * m->cost_input : 0;
    *max_usd = m->has_cost ? *min_usd + (double)out / 1e6 * m->cost_output : 0;
    if (input_tokens)
        *input_tokens = in;
    llmt_call_clear(&call);
    return LLMT_OK;
}

/* This process's share of an account limit (--shard, --limit-share): at least 1, and
 * "unlimited" (<= 0) stays so. */
static long share_of(long limit, double share)
{
    double v;
    if (limit <= 0 || !(share > 0) || share >= 1)
        return limit;
    v = ceil((double)limit * share);
    return v < 1 ? 1 : (long)v;
}

static llmt_limit_source source_of(long limit, unsigned explicit_bit)
{
    return explicit_bit ? LLMT_LIMIT_EXPLICIT : limit > 0 ? LLMT_LIMIT_SHIPPED : LLMT_LIMIT_NONE;
}

static prov *prov_for(engine *E, llmt_provider_entry *e)
{
    size_t i;
    long ceiling;
    llmt_rate_limit rl;
    prov *p;
    for (i = 0; i < E->n_provs; i++)
        if (E->provs[i].entry == e)
            return &E->provs[i];
    if (E->n_provs == E->cap_provs) {
        /* ejobs point into this array: it is sized once for the registry and never moves */
        return NULL;
    }
    p = &E->provs[E->n_provs++];
    memset(p, 0, sizeof(*p));
    p->entry = e;
    rl = e->config->rate_limit;
    /* --provider-limit: this run's limits, the user's own like providers/<name>.json's */
    for (i = 0; i < E->o->n_rate_overrides; i++) {
        const llmt_rate_override *ov = &E->o->rate_overrides[i];
        if (strcmp(ov->provider, e->config->name) != 0)
            continue;
        if (ov->concurrency >= 0)
            rl.concurrency = ov->concurrency, rl.explicit_mask |= LLMT_RL_EXPLICIT_CONCURRENCY;
        if (ov->rpm >= 0)
            rl.rpm = ov->rpm, rl.explicit_mask |= LLMT_RL_EXPLICIT_RPM;
        if (ov->tpm >= 0)
            rl.tpm = ov->tpm, rl.explicit_mask |= LLMT_RL_EXPLICIT_TPM;
    }
    ceiling = rl.concurrency > 0 && rl.concurrency < E->o->concurrency ? rl.concurrency
                                                                        : E->o->concurrency;
    llmt_limiter_init(&p->lim, ceiling, share_of(rl.rpm, E->o->limit_share),
                      share_of(rl.tpm, E->o->limit_share), llmt_now_ms());
    llmt_limiter_set_sources(&p->lim, source_of(rl.rpm, rl.explicit_mask & LLMT_RL_EXPLICIT_RPM),
                             source_of(rl.tpm, rl.explicit_mask & LLMT_RL_EXPLICIT_TPM));
    p->lim.share = E->o->limit_share;
    p->explicit_concurrency = (rl.explicit_mask & LLMT_RL_EXPLICIT_CONCURRENCY) != 0;
    /* a provider that says what the account allows is asked once before the rest is sent,
     * unless the user's own limits make what it says moot */
    if (llmt_entry_reads_rate_limits(e) &&
        (rl.explicit_mask & (LLMT_RL_EXPLICIT_RPM | LLMT_RL_EXPLICIT_TPM)) !=
            (LLMT_RL_EXPLICIT_RPM | LLMT_RL_EXPLICIT_TPM))
        llmt_limiter_probe_first(&p->lim);
    return p;
}

/* Where a limit in force came from, as the run's summary says it. */
static const char *source_text(const llmt_limiter *l, llmt_limit_source src)
{
    switch (src) {
    case LLMT_LIMIT_LEARNED:
        return "learned from its replies";
    case LLMT_LIMIT_EXPLICIT:
        return "yours: providers/<name>.json or --provider-limit";
    case LLMT_LIMIT_SHIPPED:
        return l->headers_seen ? "shipped default" : "shipped default; its replies named no limit";
    default:
        return "none";
    }
}

/* One provider's limit of kind `why`, with its value and source, into buf. */
static void describe_hold(const prov *p, llmt_hold why, long global, char *buf, size_t n)
{
    const llmt_limiter *l = &p->lim;
    const char *name = p->entry->config->name;
    char share[48] = "";
    if (l->share > 0 && l->share < 1)
        snprintf(share, sizeof share, ", this process's %.0f%%", l->share * 100);
    switch (why) {
    case LLMT_HOLD_RPM:
        snprintf(buf, n, "%s: %.0f requests/min (%s%s)", name, l->rpm.rate_per_ms * 60000.0,
                 source_text(l, l->rpm_source), share);
        break;
    case LLMT_HOLD_TPM:
        snprintf(buf, n, "%s: %.0f tokens/min (%s%s)", name, l->tpm.rate_per_ms * 60000.0,
                 source_text(l, l->tpm_source), share);
        break;
    case LLMT_HOLD_REMAINING:
        snprintf(buf, n, "%s: what the account has left until its window resets (learned)", name);
        break;
    case LLMT_HOLD_PAUSE:
        snprintf(buf, n, "%s: paused by its rate-limit hints (%lu replies of 429)", name, l->throttled);
        break;
    case LLMT_HOLD_CONCURRENCY:
        if (llmt_limiter_window(l) < l->max_concurrency)
            snprintf(buf, n, "%s: %ld requests in flight (halved after 429 replies)", name,
                     llmt_limiter_window(l));
        else if (l->max_concurrency < global)
            snprintf(buf, n, "%s: %ld requests in flight (%s)", name, l->max_concurrency,
                     p->explicit_concurrency ? "yours: rate_limit.concurrency or --provider-limit"
                                             : "the provider's documented cap");
        else
            snprintf(buf, n, "%s: --concurrency %ld", name, global);
        break;
    default:
        snprintf(buf, n, "%s: nothing held it back", name);
    }
}

/* Fills the stats' binding line (and, at the end, one line per provider). */
static void describe_limits(engine *E, bool all)
{
    size_t i, n = 0;
    unsigned long most = E->held_global;
    E->stats.binding[0] = '\0';
    if (E->held_global)
        snprintf(E->stats.binding, sizeof E->stats.binding, "--concurrency %ld", E->o->concurrency);
    for (i = 0; i < E->n_provs; i++) {
        const prov *p = &E->provs[i];
        llmt_hold why = llmt_limiter_binding(&p->lim);
        if (why != LLMT_HOLD_COUNT_ && p->lim.holds[why] > most) {
            most = p->lim.holds[why];
            describe_hold(p, why, E->o->concurrency, E->stats.binding, sizeof E->stats.binding);
        }
        if (all && n < LLMT_ENGINE_MAX_LIMIT_LINES && !llmt_entry_is_local(p->entry))
            describe_hold(p, why, E->o->concurrency, E->stats.limits[n++], sizeof E->stats.limits[0]);
    }
    if (all)
        E->stats.n_limits = n;
}

static void progress_maybe(engine *E, bool force)
{
    double now;
    if (!E->cb->progress)
        return;
    now = llmt_now_ms();
    if (!force && now - E->last_progress_ms < PROGRESS_EVERY_MS)
        return;
    E->last_progress_ms = now;
    E->stats.in_flight = (size_t)E->slots;
    E->stats.spent_usd = E->spent_usd;
    E->stats.elapsed_ms = now - E->started_ms;
    describe_limits(E, force);
    E->cb->progress(E->cb->ud, &E->stats);
}

void llmt_attempts_free(llmt_attempts *a)
{
    unsigned i;
    for (i = 0; i < a->n; i++)
        free(a->v[i].message);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

/* ---------------------------------------------------------------- finishing */

/* The attempt gives back the concurrency slot it took on its lane. */
static void slot_release(engine *E, ejob *j)
{
    j->lane->slots--;
    E->slots--;
}

/* Only on the lane that holds the transfer: its multi handle is not shared. */
static void release_transfer(ejob *j)
{
    if (j->easy) {
        lane *L = j->lane;
        curl_multi_remove_handle(L->multi, j->easy);
        /* no curl_easy_reset: llmt_http_setup_easy sets every option again */
        if (L->n_pool < L->cap_pool)
            L->pool[L->n_pool++] = j->easy;
        else
            curl_easy_cleanup(j->easy);
        j->easy = NULL;
    }
    curl_slist_free_all(j->hdrs);
    j->hdrs = NULL;
    llmt_http_result_free(&j->hres);
    llmt_http_request_clear(&j->hreq);
}

static void finish(engine *E, ejob *j, llmt_status st)
{
    llmt_engine_outcome oc;
    double now = llmt_now_ms();
    list_remove(j);
    memset(&oc, 0, sizeof oc);
    oc.status = st;
    oc.error = st == LLMT_OK ? NULL : &j->err;
    oc.response = st == LLMT_OK ? &j->resp : NULL;
    oc.answered_by = st == LLMT_OK ? j->job->chain[j->chain_idx] : NULL;
    oc.chain_index = j->chain_idx;
    oc.first_failure = j->chain_idx > 0 ? &j->first_err : NULL;
    oc.attempts = j->attempts;
    memset(&j->attempts, 0, sizeof j->attempts); /* the outcome holds them now */
    oc.n_attempts = j->n_attempts;
    oc.usage = j->usage;
    oc.cost_usd = j->cost;
    oc.cost_known = j->cost_known;
    if (j->end_ms > 0) /* the job took until its last attempt (a replay: as recorded) */
        now = j->end_ms;
    oc.elapsed_ms = j->first_start_ms > 0 ? now - j->first_start_ms : 0;
    oc.preanswered = j->preanswered;
    oc.fetched = st == LLMT_OK && j->job->fetch ? &j->fetched : NULL;
    E->stats.done++;
    if (st == LLMT_E_CANCELLED)
        E->stats.cancelled++;
    else if (st == LLMT_E_BUDGET)
        E->stats.budget_skipped++;
    else if (st != LLMT_OK)
        E->stats.failed++;
    E->cb->done(E->cb->ud, j->job, &oc);
    release_transfer(j);
    llmt_response_clear(&j->resp); /* zeroed when done() moved it out */
    llmt_call_clear(&j->call);
    llmt_attempts_free(&oc.attempts); /* empty when done() took them */
    llmt_http_result_free(&j->fetched); /* zeroed when done() moved it out */
    llmt_tape_slot_clear(&j->tape);
    j->next = E->spare;
    E->spare = j;
    E->active--;
    progress_maybe(E, false);
}

static void fail_now(engine *E, ejob *j, llmt_status st, const char *msg)
{
    llmt_error_set(&j->err, st, "%s", msg);
    finish(E, j, st);
}

/* Appends the attempt that just ended and returns it; NULL when out of memory (the
 * attempt is then missing from the list, though n_attempts counts it). */
static llmt_attempt *record_attempt(ejob *j, llmt_status st, double latency, bool has_usage)
{
    llmt_attempts *as = &j->attempts;
    llmt_attempt *a;
    if (as->n == as->cap) {
        unsigned cap = as->cap ? as->cap * 2 : 2;
        llmt_attempt *v = realloc(as->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        as->v = v;
        as->cap = cap;
    }
    a = &as->v[as->n++];
    memset(a, 0, sizeof(*a));
    a->model = j->job->chain[j->chain_idx];
    a->status = st;
    a->latency_ms = latency;
    if (st != LLMT_OK) {
        a->http_status = j->err.http_status;
        a->message = llmt_strdup(j->err.message);
    }
    /* a failed attempt is recorded as billed nothing (known: $0) */
    a->cost_known = true;
    if (has_usage) {
        a->input_tokens = j->resp.usage.input_tokens;
        a->output_tokens = j->resp.usage.output_tokens;
        a->cost_known = j->resp.cost_known;
        a->cost_usd = j->resp.cost_known ? j->resp.cost_usd : 0;
    }
    return a;
}

/* Whether the job is recorded or replayed: a cassette holds every exchange of those,
 * so the response cache neither answers them nor keeps their replies. */
static bool taped(const engine *E, const ejob *j)
{
    return llmt_tape_applies(E->o->record, j->job) || llmt_tape_applies(E->o->replay, j->job);
}

static void cache_store(engine *E, ejob *j)
{
    llmt_cache_mode mode;
    llmt_cache *c = llmt_manager_cache(E->mgr, &mode);
    char *key;
    llmt_error cerr;
    if (!c || !(mode & LLMT_CACHE_WRITE) || j->job->fetch || taped(E, j))
        return;
    key = llmt_cache_key(j->call.entry->config->name, &j->call.req);
    if (key && llmt_cache_put(c, key, &j->resp, &cerr) != LLMT_OK)
        llmt_logf(&llmt_manager_opts(E->mgr)->logger, LLMT_LOG_WARN, "%s", cerr.message);
    free(key);
}

/* Answers the job from the response cache when it has this exact request. Hits cost
 * nothing against the budget, but are priced like fresh answers in the results (as the
 * blocking manager does). */
static bool cache_answer(engine *E, ejob *j)
{
    llmt_cache_mode mode;
    llmt_cache *c = llmt_manager_cache(E->mgr, &mode);
    char *key;
    bool hit;
    double now;
    if (!c || !(mode & LLMT_CACHE_READ) || j->cache_checked_idx == j->chain_idx ||
        j->job->fetch || taped(E, j))
        return false;
    j->cache_checked_idx = j->chain_idx;
    key = llmt_cache_key(j->call.entry->config->name, &j->call.req);
    memset(&j->resp, 0, sizeof j->resp);
    hit = key && llmt_cache_get(c, key, &j->resp);
    free(key);
    if (!hit) {
        llmt_response_clear(&j->resp);
        return false;
    }
    now = llmt_now_ms();
    if (j->first_start_ms <= 0)
        j->first_start_ms = now;
    j->n_attempts++;
    E->stats.attempts++;
    j->resp.from_cache = true;
    j->resp.latency_ms = 0;
    llmt_call_stamp(&j->call, &j->resp);
    llmt_call_price(j->call.model, &j->resp);
    j->usage.input_tokens += j->resp.usage.input_tokens;
    j->usage.output_tokens += j->resp.usage.output_tokens;
    if (j->resp.cost_known)
        j->cost += j->resp.cost_usd;
    else
        j->cost_known = false;
    {
        llmt_attempt *a = record_attempt(j, LLMT_OK, 0, true);
        if (a)
            a->cached = true;
    }
    list_remove(j);
    finish(E, j, LLMT_OK);
    return true;
}

/* An answer's usage and cost go to its job, and its cost to the run's spend. */
static void charge_answer(engine *E, ejob *j)
{
    j->usage.input_tokens += j->resp.usage.input_tokens;
    j->usage.output_tokens += j->resp.usage.output_tokens;
    if (j->resp.cost_known) {
        j->cost += j->resp.cost_usd;
        E->spent_usd += j->resp.cost_usd;
        /* a provider may report more usage than the estimate allowed for: the budget
         * cannot stop what was already sent, so the run says by how much */
        if (j->cost_bounded && j->resp.cost_usd > j->est_cost * (1 + 1e-9)) {
            E->stats.over_estimate_calls++;
            E->stats.over_estimate_usd += j->resp.cost_usd - j->est_cost;
        }
    } else {
        j->cost_known = false;
    }
}

/* Answers the job through the options' preanswer hook (run --batch): the first model
 * only; the hook prices the answer. Counts like a sent attempt for the spend. */
static bool pre_answer(engine *E, ejob *j)
{
    llmt_status st = LLMT_OK;
    if (!E->o->preanswer || j->chain_idx != 0 || j->preanswered)
        return false;
    memset(&j->resp, 0, sizeof j->resp);
    llmt_error_clear(&j->err);
    if (!E->o->preanswer(E->o->preanswer_ud, j->job, &j->call, &j->resp, &st, &j->err))
        return false;
    j->preanswered = true;
    if (j->first_start_ms <= 0)
        j->first_start_ms = llmt_now_ms();
    j->end_ms = j->first_start_ms; /* answered elsewhere: no time spent in this run */
    j->n_attempts++;
    E->stats.attempts++;
    if (st == LLMT_OK)
        charge_answer(E, j);
    else
        llmt_response_clear(&j->resp);
    if (st != LLMT_E_CANCELLED) {
        llmt_attempt *a = record_attempt(j, st, 0, st == LLMT_OK);
        if (a) /* a replay's hook answers from the cassette */
            a->replayed = llmt_tape_applies(E->o->replay, j->job);
    }
    list_remove(j);
    finish(E, j, st);
    return true;
}

/* Time left at `now` of the job's retry time limit (INFINITY without one); a job not
 * yet started has all of it. */
static double time_left_ms(const engine *E, const ejob *j, double now)
{
    double start = j->first_start_ms > 0 ? j->first_start_ms : now;
    if (E->o->retry.max_time_ms <= 0)
        return INFINITY;
    return start + E->o->retry.max_time_ms - now;
}

/* The current model failed for good with `st` (j->err says why): the next model of the
 * chain when the fallback policy covers st and time is left, else the job ends. */
static void next_model_or_finish(engine *E, ejob *j, llmt_status st, double now)
{
    if (llmt_engine_fallback_covers(st) && j->chain_idx + 1 < j->job->n_chain &&
        time_left_ms(E, j, now) > 0) {
        if (j->chain_idx == 0)
            j->first_err = j->err;
        j->chain_idx++;
        j->end_ms = 0; /* not ending: the job goes on */
        E->stats.fallbacks++;
        j->state = JS_READY;
        list_remove(j);
        list_push(&E->ready, j);
        E->kick = true;
        return;
    }
    finish(E, j, st);
}

/* Records one attempt and decides what comes next: done, retry later, or the next
 * model of the chain. `st`/j->err/j->resp hold the attempt's result; the attempt no
 * longer holds a slot or a transfer. */
static void attempt_ended(engine *E, ejob *j, llmt_status st, double now)
{
    double latency = now - j->attempt_start_ms;
    bool has_usage = st == LLMT_OK;
    double actual_tokens = -1;
    /* the job's time limit runs on the recorded clock in a replay, which never waits */
    double clock = llmt_tape_clock(&j->tape, j->first_start_ms, now);
    j->end_ms = clock;

    E->reserved_usd -= j->est_cost;
    if (E->reserved_usd < 0)
        E->reserved_usd = 0;
    if (st == LLMT_OK && !j->job->fetch) {
        j->resp.latency_ms = latency;
        llmt_call_stamp(&j->call, &j->resp);
        llmt_call_price(j->call.model, &j->resp);
        llmt_tape_apply(&j->tape, &j->resp, &latency); /* a replay: as recorded */
        actual_tokens = (double)(j->resp.usage.input_tokens + j->resp.usage.output_tokens);
        charge_answer(E, j);
    } else {
        llmt_tape_apply(&j->tape, NULL, &latency);
    }
    if (st != LLMT_OK) /* a hint from anywhere (a plugin, the mock) is finite and capped */
        j->err.retry_after_s = llmt_hint_clamp(j->err.retry_after_s);
    if (j->pv)
        llmt_limiter_finish(&j->pv->lim, j->est_tokens, actual_tokens, st == LLMT_OK,
                            st == LLMT_E_RATE_LIMIT, st == LLMT_OK ? -1 : j->err.retry_after_s,
                            now);
    if (st == LLMT_E_RATE_LIMIT)
        E->stats.throttled++;

    if (llmt_tape_applies(E->o->record, j->job)) /* numbered by the attempts before it */
        llmt_tape_put(E->o->record, j->job, j->job->chain[j->chain_idx], &j->attempts,
                      &j->call, &j->tape, st, &j->resp, &j->err,
                      j->attempt_start_ms - j->first_start_ms, latency,
                      &llmt_manager_opts(E->mgr)->logger);
    {
        llmt_attempt *a = record_attempt(j, st, latency, has_usage);
        if (a)
            a->replayed = j->tape.replayed;
        llmt_tape_slot_clear(&j->tape);
    }

    if (st == LLMT_OK) {
        cache_store(E, j);
        finish(E, j, LLMT_OK);
        return;
    }
    llmt_response_clear(&j->resp);
    if (E->stopping) {
        char msg[sizeof j->err.message];
        snprintf(msg, sizeof msg, "interrupted after a failed attempt (%s: %.900s)",
                 llmt_status_name(st), j->err.message);
        fail_now(E, j, LLMT_E_CANCELLED, msg);
        return;
    }
    if (j->err.retryable && j->retries < E->o->retry.max_retries) {
        double delay = j->err.retry_after_s >= 0
                           ? j->err.retry_after_s * 1000.0
                           : llmt_backoff_ms(&E->o->retry, j->retries, &E->rng);
        double left = time_left_ms(E, j, clock);
        if (delay <= left) {
            j->retries++;
            j->end_ms = 0; /* not ending: the job goes on */
            E->stats.retries++;
            j->state = JS_RETRY_WAIT;
            j->due_ms = E->o->replay ? now : now + delay; /* a replay never waits */
            list_remove(j);
            list_push(&E->waiting, j);
            return;
        }
        if (j->err.retry_after_s >= 0) {
            /* waiting as asked would outlast the job's time: say so rather than wait */
            char msg[sizeof j->err.message];
            snprintf(msg, sizeof msg,
                     "%.700s (the server asked to wait %.0f s; %.0f s were left of the retry "
                     "time limit)",
                     j->err.message, j->err.retry_after_s, left > 0 ? left / 1000.0 : 0);
            snprintf(j->err.message, sizeof j->err.message, "%s", msg);
        }
    }
    next_model_or_finish(E, j, st, clock);
}

/* ---------------------------------------------------------------- starting */

typedef enum { START_OK, START_BLOCKED, START_ENDED } start_result;

/* Resolves and prepares the current chain entry. On failure the attempt is recorded as
 * failed without sending and the job moved on (or freed): returns false, and the caller
 * must not touch j any more. */
static bool prepare(engine *E, ejob *j)
{
    llmt_provider_entry *e = NULL;
    const llmt_model_config *m = NULL;
    llmt_status st;
    long in = -1; /* input tokens, once estimated */
    if (j->prepared_idx == j->chain_idx)
        return true;
    if (j->job->fetch) { /* nothing to resolve: the request is the caller's */
        j->prepared_idx = j->chain_idx;
        j->pv = NULL;
        j->est_cost = j->est_tokens = 0;
        j->cost_bounded = false;
        return true;
    }
    llmt_call_clear(&j->call);
    j->prepared_idx = SIZE_MAX;
    j->pv = NULL;
    llmt_error_clear(&j->err);
    st = llmt_call_resolve(E->reg, j->job->chain[j->chain_idx], &e, &m, &j->err);
    if (st == LLMT_OK)
        st = llmt_manager_instance(E->mgr, e, &j->err);
    if (st == LLMT_OK && !(j->pv = prov_for(E, e)))
        st = llmt_error_set(&j->err, LLMT_E_INTERNAL, "too many providers in one run");
    if (st == LLMT_OK) {
        llmt_call_prepare(&j->call, e, m, &j->job->req);
        /* files the provider cannot take, or too large, are refused before anything else */
        st = llmt_call_check_files(&j->call, llmt_manager_opts(E->mgr)->max_file_bytes, &j->err);
        /* an input over the model's limit is refused before sending (counts a pass over
         * the prompt, only for models that state a limit) */
        if (st == LLMT_OK && m->info.max_input_tokens > 0)
            st = llmt_call_check_input(&j->call, &in, &j->err);
    }
    if (st != LLMT_OK) {
        double now = llmt_now_ms();
        if (j->first_start_ms <= 0)
            j->first_start_ms = now;
        j->attempt_start_ms = now;
        j->n_attempts++;
        E->stats.attempts++;
        j->est_cost = 0;
        j->est_tokens = 0;
        j->pv = NULL;
        j->err.retryable = false; /* a configuration problem does not heal by waiting */
        list_remove(j);
        attempt_ended(E, j, st, now);
        return false;
    }
    j->prepared_idx = j->chain_idx;
    /* the estimate costs a pass over the prompt: only when a budget or tpm needs it */
    if (in < 0)
        in = E->o->budget_usd >= 0 || j->pv->lim.tpm.rate_per_ms > 0 ? llmt_call_input_tokens(&j->call) : 0;
    j->est_tokens = (double)in + (double)(j->job->req.max_tokens > 0 ? j->job->req.max_tokens : 0);
    j->cost_bounded = m->has_cost;
    j->est_cost = m->has_cost ? (double)in / 1e6 * m->cost_input +
                                    (double)output_bound_of(&j->call) / 1e6 * m->cost_output
                              : 0;
    return true;
}

static void start_local(engine *E, ejob *j, double now)
{
    const llmt_provider_ops *ops = j->call.entry->ops;
    llmt_status st;
    double sim;
    memset(&j->resp, 0, sizeof j->resp);
    llmt_error_clear(&j->err);
    if (llmt_tape_applies(E->o->replay, j->job)) { /* the recorded answer, at once */
        llmt_tape_keep_local(&j->tape, &j->call);
        st = llmt_tape_replay(E->o->replay, j->job, j->job->chain[j->chain_idx], &j->attempts,
                              &j->call, NULL, &j->tape, &j->resp, &j->err);
    } else {
        st = ops->call(j->call.entry->state, &j->call.req, &j->resp, &j->err);
        if (llmt_tape_applies(E->o->record, j->job))
            llmt_tape_keep_local(&j->tape, &j->call);
    }
    sim = j->tape.replayed ? 0 : j->resp.simulated_latency_ms;
    if (st != LLMT_OK) {
        llmt_response_clear(&j->resp);
        if (!j->err.provider[0])
            snprintf(j->err.provider, sizeof j->err.provider, "%s", j->call.entry->config->name);
    } else if (!j->resp.text || !j->resp.text[0]) {
        llmt_response_clear(&j->resp);
        st = llmt_error_set(&j->err, LLMT_E_BAD_RESPONSE, "the reply has no text");
    }
    /* A simulated delay applies to failures too: a slow error is still slow. */
    if (sim > 0) {
        j->state = JS_SIMLAT;
        j->pending_st = st;
        j->due_ms = now + sim;
        list_push(&E->waiting, j);
        return;
    }
    slot_release(E, j);
    attempt_ended(E, j, st, llmt_now_ms());
}

static void start_lane_threads(engine *E);

/* Who a job's failures name: the provider, or a fetch's chain[0]. */
static const char *job_name(const ejob *j)
{
    return j->job->fetch ? j->job->chain[0] : j->call.entry->config->name;
}

static void learn_limits(engine *E, ejob *j, const llmt_http_response *http);

static void start_http(engine *E, ejob *j)
{
    const llmt_manager_options *mo = llmt_manager_opts(E->mgr);
    const llmt_http_request *req = j->job->fetch ? j->job->fetch : &j->hreq;
    llmt_http_options hopt;
    llmt_status st = LLMT_OK;
    /* Lanes split curl's socket work; a run of local providers has none, and would
     * only contend for the lock: the other lanes start with the first transfer. */
    if (!E->lanes_started)
        start_lane_threads(E);
    llmt_error_clear(&j->err);
    memset(&j->hreq, 0, sizeof j->hreq);
    if (!j->job->fetch)
        st = j->call.entry->ops->build_request(j->call.entry->state, &j->call.req, &j->hreq,
                                               &j->err);
    if (st == LLMT_OK && !req->url) /* a confused provider: never send */
        st = llmt_error_set(&j->err, LLMT_E_INTERNAL, "provider '%s' built no request",
                            job_name(j));
    if (st == LLMT_OK && llmt_tape_applies(E->o->replay, j->job)) { /* never sent */
        llmt_http_response view;
        st = llmt_tape_replay(E->o->replay, j->job, j->job->chain[j->chain_idx], &j->attempts,
                              &j->call, &j->hreq, &j->tape, &j->resp, &j->err);
        if (llmt_tape_reply(&j->tape, &view)) { /* its headers, as a live reply's */
            learn_limits(E, j, &view);
        }
        if (st == LLMT_OK || j->tape.replayed) {
            release_transfer(j);
            slot_release(E, j);
            attempt_ended(E, j, st, llmt_now_ms());
            return;
        }
    }
    if (st == LLMT_OK) {
        lane *L = j->lane;
        j->easy = L->n_pool ? L->pool[--L->n_pool] : curl_easy_init();
        if (!j->easy)
            st = llmt_error_set(&j->err, LLMT_E_NOMEM, "curl_easy_init failed");
    }
    if (st == LLMT_OK) {
        hopt.timeout_ms = E->o->timeout_ms > 0 ? E->o->timeout_ms : mo->timeout_ms;
        hopt.connect_timeout_ms =
            E->o->connect_timeout_ms > 0 ? E->o->connect_timeout_ms : mo->connect_timeout_ms;
        hopt.secret = j->job->fetch ? j->job->fetch_secret : j->call.entry->api_key;
        hopt.logger = &mo->logger;
        /* a reply over the provider's size limit ends the transfer (bad_response) */
        hopt.max_reply_bytes = j->job->fetch ? 0 : (size_t)j->call.entry->config->max_reply_bytes;
        st = llmt_http_setup_easy(j->easy, req, &hopt, &j->hres,
                                  j->pv ? &j->pv->headers : NULL, &j->hdrs, j->errbuf, &j->err);
    }
    if (st == LLMT_OK) {
        curl_easy_setopt(j->easy, CURLOPT_PRIVATE, (void *)j);
        if (curl_multi_add_handle(j->lane->multi, j->easy) != CURLM_OK) {
            curl_easy_cleanup(j->easy); /* not in the multi: release_transfer must skip it */
            j->easy = NULL;
            st = llmt_error_set(&j->err, LLMT_E_INTERNAL, "curl_multi_add_handle failed");
        }
    }
    if (st != LLMT_OK) {
        if (!j->err.provider[0])
            snprintf(j->err.provider, sizeof j->err.provider, "%s", job_name(j));
        release_transfer(j);
        slot_release(E, j);
        attempt_ended(E, j, st, llmt_now_ms());
        return;
    }
    j->state = JS_HTTP;
    list_push(&j->lane->http, j);
}

static void park(engine *E, ejob *j)
{
    j->state = JS_READY;
    if (!j->list)
        list_push(&E->ready, j);
}

/* A replay, where the recorded run chose not to send this attempt (its provider's pause
 * outlasted the job's time; a replay has no pauses): the job is told what it was told
 * then, at the time it was told, and moves on. */
static bool replay_unsent(engine *E, ejob *j, double now)
{
    double at_ms;
    if (!llmt_tape_applies(E->o->replay, j->job) ||
        !llmt_tape_unsent(E->o->replay, j->job, j->job->chain[j->chain_idx], &j->attempts,
                          &j->err, &at_ms))
        return false;
    snprintf(j->err.provider, sizeof j->err.provider, "%s", j->call.entry->config->name);
    if (j->first_start_ms <= 0)
        j->first_start_ms = now;
    list_remove(j);
    j->end_ms = at_ms >= 0 ? j->first_start_ms + at_ms : now;
    next_model_or_finish(E, j, j->err.status, j->end_ms);
    return true;
}

/* Tries to start the job's next attempt now, on lane L. The job is new (on no list) or
 * on the ready list. A blocked job ends up on the ready list. */
static start_result try_start(engine *E, lane *L, ejob *j)
{
    double now = llmt_now_ms(), wait;
    if (!prepare(E, j))
        return START_ENDED;
    if (pre_answer(E, j) || cache_answer(E, j))
        return START_ENDED;
    if (E->o->budget_usd >= 0 && j->cost_bounded) {
        /* the worst case of this attempt on top of what is spent and what the attempts
         * in flight could still cost must stay within the budget */
        if (E->spent_usd + j->est_cost > E->o->budget_usd) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "not sent: up to $%.6f more would pass the budget of $%.6f ($%.6f spent)",
                     j->est_cost, E->o->budget_usd, E->spent_usd);
            list_remove(j);
            fail_now(E, j, LLMT_E_BUDGET, msg);
            return START_ENDED;
        }
        if (E->spent_usd + E->reserved_usd + j->est_cost > E->o->budget_usd) {
            park(E, j);
            return START_BLOCKED;
        }
    }
    if (j->pv && j->pv->blocked_pass == E->pass) {
        park(E, j);
        return START_BLOCKED;
    }
    if (replay_unsent(E, j, now))
        return START_ENDED;
    wait = j->pv && !E->o->replay ? llmt_limiter_wait_ms(&j->pv->lim, j->est_tokens, now) : 0;
    if (wait > 0 && j->pv->lim.paused_until_ms - now > time_left_ms(E, j, now)) {
        /* the provider's pause outlasts the job's time: it would only wait to fail */
        llmt_error_set(&j->err, LLMT_E_RATE_LIMIT,
                       "not sent: %s asked for a pause of %.0f s (its rate-limit hint), more "
                       "than the %.0f s left of the retry time limit",
                       j->call.entry->config->name, (j->pv->lim.paused_until_ms - now) / 1000.0,
                       time_left_ms(E, j, now) / 1000.0);
        snprintf(j->err.provider, sizeof j->err.provider, "%s", j->call.entry->config->name);
        if (j->first_start_ms <= 0)
            j->first_start_ms = now;
        if (llmt_tape_applies(E->o->record, j->job)) /* a replay has no pauses: it is told */
            llmt_tape_put_unsent(E->o->record, j->job, j->job->chain[j->chain_idx],
                                 &j->attempts, &j->err, now - j->first_start_ms,
                                 &llmt_manager_opts(E->mgr)->logger);
        j->end_ms = now;
        list_remove(j);
        next_model_or_finish(E, j, LLMT_E_RATE_LIMIT, now);
        return START_ENDED;
    }
    if (wait != 0) {
        j->pv->blocked_pass = E->pass;
        if (wait > 0 && now + wait < L->next_wake_ms)
            L->next_wake_ms = now + wait;
        park(E, j);
        return START_BLOCKED;
    }
    list_remove(j);
    if (j->pv)
        llmt_limiter_start(&j->pv->lim, j->est_tokens, now);
    E->reserved_usd += j->est_cost;
    j->lane = L;
    L->slots++;
    E->slots++;
    j->n_attempts++;
    E->stats.attempts++;
    if (j->first_start_ms <= 0)
        j->first_start_ms = now;
    j->attempt_start_ms = now;
    if (!j->job->fetch && (j->call.entry->ops->capabilities & LLMT_CAP_LOCAL))
        start_local(E, j, now);
    else
        start_http(E, j);
    return START_OK;
}

/* ---------------------------------------------------------------- the loop */

static bool interrupted(const engine *E)
{
    return E->o->interrupted && *E->o->interrupted;
}

/* Starts what lane L has room for: ready jobs first, then new ones. */
static void dispatch(engine *E, lane *L)
{
    ejob *j, *nx;
    E->pass++;
    L->next_wake_ms = INFINITY;
    E->kick = false;
    for (j = E->ready.head; j && L->slots < L->cap && !E->stopping; j = nx) {
        nx = j->next;
        try_start(E, L, j);
    }
    while (!E->stopping && !E->exhausted && L->slots < L->cap &&
           E->active < E->window && !interrupted(E) && !E->oom) {
        llmt_engine_job *job = NULL;
        ejob *n;
        if (!E->cb->next(E->cb->ud, &job) || !job) {
            E->exhausted = true;
            break;
        }
        if (E->spare) {
            n = E->spare;
            E->spare = n->next;
            memset(n, 0, sizeof(*n));
        } else {
            n = calloc(1, sizeof(*n));
        }
        if (!n) {
            llmt_engine_outcome oc;
            llmt_error e;
            memset(&oc, 0, sizeof oc);
            oc.status = llmt_error_set(&e, LLMT_E_NOMEM, "out of memory");
            oc.error = &e;
            E->cb->done(E->cb->ud, job, &oc);
            E->oom = true;
            E->exhausted = true;
            break;
        }
        n->job = job;
        n->prepared_idx = SIZE_MAX;
        n->cache_checked_idx = SIZE_MAX;
        n->cost_known = true;
        n->state = JS_READY;
        llmt_error_clear(&n->err);
        E->active++;
        try_start(E, L, n);
        progress_maybe(E, false);
    }
    if (L->slots >= L->cap && (E->ready.head || !E->exhausted))
        E->held_global++;
}

/* Hands the provider's limiter what the reply's rate-limit headers say about the account
 * (on every reply, errors too), and says so at -v when a limit in force changes. */
static void learn_limits(engine *E, ejob *j, const llmt_http_response *http)
{
    llmt_rate_info ri;
    llmt_limiter *l = &j->pv->lim;
    if (!llmt_call_read_rate_limits(&j->call, http, &ri) || !llmt_limiter_learn(l, &ri, llmt_now_ms()))
        return;
    llmt_logf(&llmt_manager_opts(E->mgr)->logger, LLMT_LOG_INFO,
              "%s: the account's limits, from the reply headers: %.0f requests/min, %.0f tokens/min",
              j->call.entry->config->name, l->rpm.rate_per_ms * 60000.0,
              l->tpm.rate_per_ms * 60000.0);
}

static void http_done(engine *E, ejob *j, CURLcode rc)
{
    llmt_status st;
    double received_at = 0;
    llmt_error_clear(&j->err);
    memset(&j->resp, 0, sizeof j->resp);
    if (rc != CURLE_OK) {
        st = llmt_http_result_error(&j->hres, (int)rc, j->errbuf,
                                    j->job->fetch ? j->job->fetch_secret : j->call.entry->api_key,
                                    &j->err);
        snprintf(j->err.provider, sizeof j->err.provider, "%s", job_name(j));
    } else {
        llmt_http_response view;
        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->hres.status);
        if (j->hres.body.oom) {
            st = llmt_error_set(&j->err, LLMT_E_NOMEM, "out of memory reading the reply");
        } else if (j->job->fetch) {
            j->fetched = j->hres; /* the reply, whatever its status, is the outcome */
            memset(&j->hres, 0, sizeof j->hres);
            st = LLMT_OK;
        } else {
            view = llmt_http_result_view(&j->hres);
            /* its date-valued hints are read against one time, which a cassette keeps so
             * that a replay reads them the same way */
            view.received_at = received_at = llmt_wall_time_s();
            st = llmt_call_handle_http(&j->call, &view, &j->resp, &j->err);
            learn_limits(E, j, &view);
        }
    }
    if (llmt_tape_applies(E->o->record, j->job)) /* a transport failure has no reply */
        llmt_tape_keep_http(&j->tape, &j->hreq, rc == CURLE_OK ? &j->hres : NULL, received_at);
    release_transfer(j);
    slot_release(E, j);
    attempt_ended(E, j, st, llmt_now_ms());
}

static void drain(engine *E, lane *L)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(L->multi, &left)) != NULL) {
        CURL *easy;
        CURLcode rc;
        char *priv = NULL;
        ejob *j;
        if (msg->msg != CURLMSG_DONE)
            continue;
        easy = msg->easy_handle;
        rc = msg->data.result; /* msg is invalid once the handle is removed */
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        j = (ejob *)(void *)priv;
        if (!j)
            continue;
        list_remove(j);
        http_done(E, j, rc);
    }
}

/* Fires due timers; returns the earliest remaining due time (INFINITY if none). */
static double fire_timers(engine *E, double now)
{
    ejob *j, *nx;
    double next = INFINITY;
    for (j = E->waiting.head; j; j = nx) {
        nx = j->next;
        if (j->due_ms > now) {
            if (j->due_ms < next)
                next = j->due_ms;
            continue;
        }
        list_remove(j);
        if (j->state == JS_SIMLAT) {
            slot_release(E, j);
            attempt_ended(E, j, j->pending_st, now);
        } else {
            j->state = JS_READY;
            list_push(&E->ready, j);
            E->kick = true;
        }
    }
    return next;
}

static void cancel_list(engine *E, jlist *l, bool held_slot, const char *why)
{
    while (l->head) {
        ejob *j = l->head;
        bool slot = held_slot || j->state == JS_SIMLAT;
        list_remove(j);
        if (slot) {
            llmt_error_set(&j->err, LLMT_E_CANCELLED, "%s", why);
            record_attempt(j, LLMT_E_CANCELLED, llmt_now_ms() - j->attempt_start_ms, false);
            slot_release(E, j);
            if (j->pv)
                llmt_limiter_finish(&j->pv->lim, j->est_tokens, -1, false, false, -1,
                                    llmt_now_ms());
            E->reserved_usd -= j->est_cost;
        }
        llmt_response_clear(&j->resp);
        fail_now(E, j, LLMT_E_CANCELLED, why);
    }
}

/* Lane L leaves its poll early: there is something it must see now. */
static void wake_other_lanes(engine *E, const lane *L)
{
    unsigned i;
    for (i = 0; i < E->n_lanes; i++)
        if (&E->lanes[i] != L)
            curl_multi_wakeup(E->lanes[i].multi);
}

/* With the lock held. The first lane to see the interrupt cancels what was not sent;
 * after the grace period each lane cancels its own transfers. */
static void handle_stop(engine *E, lane *L, double now)
{
    if (!E->stopping && interrupted(E)) {
        ejob *j, *nx;
        E->stopping = true;
        E->stats.interrupted = true;
        E->stop_deadline_ms = now + E->o->grace_ms;
        cancel_list(E, &E->ready, false, "interrupted before it was sent");
        /* retry waits are cancelled; simulated latencies are in flight: they get grace */
        for (j = E->waiting.head; j; j = nx) {
            nx = j->next;
            if (j->state == JS_RETRY_WAIT) {
                list_remove(j);
                fail_now(E, j, LLMT_E_CANCELLED, "interrupted while waiting to retry");
            }
        }
    }
    if (E->stopping && now >= E->stop_deadline_ms) {
        cancel_list(E, &L->http, true, "interrupted: no reply within the grace period");
        cancel_list(E, &E->waiting, false, "interrupted: no reply within the grace period");
    }
}

/* One lane's event loop. The socket work (curl_multi_perform, curl_multi_poll) runs
 * without the lock; reading replies, deciding and dispatching run under it. */
static void loop(engine *E, lane *L)
{
    int running = 0;
    for (;;) {
        double now, next_due, timeout;
        curl_multi_perform(L->multi, &running);
        pthread_mutex_lock(&E->mu);
        handle_stop(E, L, llmt_now_ms());
        drain(E, L);
        fire_timers(E, llmt_now_ms());
        dispatch(E, L);
        progress_maybe(E, false);
        if (E->active == 0 && (E->exhausted || E->stopping || E->oom)) {
            wake_other_lanes(E, L); /* they may sleep up to POLL_CAP_MS otherwise */
            pthread_mutex_unlock(&E->mu);
            break;
        }
        now = llmt_now_ms();
        timeout = POLL_CAP_MS;
        if (E->waiting.head) {
            next_due = fire_timers(E, now);
            if (next_due - now < timeout)
                timeout = next_due - now;
        }
        if (L->next_wake_ms - now < timeout)
            timeout = L->next_wake_ms - now;
        if (E->stopping && E->stop_deadline_ms - now < timeout)
            timeout = E->stop_deadline_ms - now;
        if (E->kick && L->slots < L->cap)
            timeout = 0;
        if (timeout < 0)
            timeout = 0;
        pthread_mutex_unlock(&E->mu);
        curl_multi_poll(L->multi, NULL, 0, (int)ceil(timeout), NULL);
    }
}

static void *lane_thread(void *arg)
{
    lane *L = arg;
    loop(L->E, L);
    return NULL;
}

/* How many lanes: the caller's choice, else one per online CPU (at most
 * MAX_AUTO_LANES) while each keeps MIN_LANE_SLOTS of the concurrency. One loop is
 * bound by curl's socket work at about 50,000 requests a second on loopback. */
static unsigned lanes_for(const llmt_engine_options *o)
{
    long n = o->lanes;
    if (n <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > MAX_AUTO_LANES ? MAX_AUTO_LANES : cpus;
        while (n > 1 && o->concurrency / n < MIN_LANE_SLOTS)
            n--;
    }
    if (n > o->concurrency)
        n = o->concurrency;
    if (n > LLMT_ENGINE_MAX_LANES)
        n = LLMT_ENGINE_MAX_LANES;
    return n < 1 ? 1 : (unsigned)n;
}

/* `cap`: what the lane may hold before the other lanes start (all for lane 0, none
 * for the others); `share`: after. */
static bool lane_init(engine *E, lane *L, long cap, long share)
{
    L->E = E;
    L->cap = cap;
    L->share = share;
    L->cap_pool = (size_t)share + 4;
    L->pool = calloc(L->cap_pool, sizeof(*L->pool));
    L->multi = curl_multi_init();
    if (!L->pool || !L->multi)
        return false;
    /* one connection per transfer at most: keep the cache big enough for all of them
     * (lane 0 may briefly hold more than its share: those just are not kept) */
    curl_multi_setopt(L->multi, CURLMOPT_MAXCONNECTS, cap > share ? cap + 4 : share + 4);
    return true;
}

static void lane_free(lane *L)
{
    size_t i;
    for (i = 0; i < L->n_pool; i++)
        curl_easy_cleanup(L->pool[i]);
    free(L->pool);
    if (L->multi)
        curl_multi_cleanup(L->multi);
}

/* Lanes 1.. on their own threads, which leave SIGINT/SIGTERM to the caller's thread.
 * Called on lane 0 (the only one running until then). Lane 0 then keeps only its own
 * share, plus that of a lane whose thread cannot start; until its transfers drop under
 * it, it just starts nothing new. */
static void start_lane_threads(engine *E)
{
    sigset_t block, old;
    unsigned i;
    E->lanes_started = true;
    if (E->n_lanes < 2)
        return;
    E->lanes[0].cap = E->lanes[0].share;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (i = 1; i < E->n_lanes; i++) {
        lane *L = &E->lanes[i];
        L->cap = L->share;
        L->threaded = pthread_create(&L->thread, NULL, lane_thread, L) == 0;
        if (!L->threaded) {
            E->lanes[0].cap += L->cap;
            L->cap = 0;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

llmt_status llmt_engine_run(llmt_manager *mgr, const llmt_engine_options *o,
                            const llmt_engine_callbacks *cb, llmt_engine_stats *stats,
                            llmt_error *err)
{
    engine E;
    llmt_status st = LLMT_OK;
    bool locked = false;
    size_t i;
    memset(&E, 0, sizeof E);
    if (!mgr || !o || !cb || !cb->next || !cb->done || o->concurrency < 1)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "llmt_engine_run: bad arguments");
    E.mgr = mgr;
    E.reg = llmt_manager_registry(mgr);
    E.o = o;
    E.cb = cb;
    E.window = (size_t)o->concurrency * 2 + 8;
    E.cap_provs = llmt_registry_count(E.reg) + 1;
    E.provs = calloc(E.cap_provs, sizeof(*E.provs));
    E.n_lanes = lanes_for(o);
    E.lanes = calloc(E.n_lanes, sizeof(*E.lanes));
    if (!E.provs || !E.lanes) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory starting the engine");
        goto done;
    }
    for (i = 0; i < E.n_lanes; i++) {
        /* the global concurrency, dealt out: the lanes' shares add up to it */
        long share = o->concurrency / (long)E.n_lanes + ((long)i < o->concurrency % (long)E.n_lanes);
        if (!lane_init(&E, &E.lanes[i], i == 0 ? o->concurrency : 0, share)) {
            st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory starting the engine");
            goto done;
        }
    }
    if (pthread_mutex_init(&E.mu, NULL) != 0) {
        st = llmt_error_set(err, LLMT_E_INTERNAL, "cannot create the engine's lock");
        goto done;
    }
    locked = true;
    if (o->record)
        llmt_tape_redact_keys(o->record, E.reg, llmt_manager_opts(mgr)->project_dir);
    llmt_rng_seed(&E.rng, o->seed ^ 0x9e3779b97f4a7c15ull);
    E.started_ms = E.last_progress_ms = llmt_now_ms();
    loop(&E, &E.lanes[0]);
    for (i = 1; i < E.n_lanes; i++)
        if (E.lanes[i].threaded)
            pthread_join(E.lanes[i].thread, NULL);
    progress_maybe(&E, true);
    describe_limits(&E, true);
    if (E.oom)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory during the run");
done:
    while (E.spare) {
        ejob *nx = E.spare->next;
        free(E.spare);
        E.spare = nx;
    }
    for (i = 0; E.lanes && i < E.n_lanes; i++)
        lane_free(&E.lanes[i]);
    free(E.lanes);
    for (i = 0; i < E.n_provs; i++)
        llmt_http_header_cache_free(&E.provs[i].headers);
    free(E.provs);
    if (locked)
        pthread_mutex_destroy(&E.mu);
    if (stats) {
        *stats = E.stats;
        stats->spent_usd = E.spent_usd;
    }
    return st;
}
