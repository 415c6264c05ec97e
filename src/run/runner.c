#include "run/runner.h"
#include "exec/batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/project_config.h"
#include "core/util.h"
#include "exec/engine.h"
#include "exec/tape.h"
#include "provider/manager_info.h"
#include "provider/tokens.h"
#include "run/result.h"
#include "score/validate.h"

/* Per-task state prepared once: compiled schema and scoring options. */
typedef struct task_ctx {
    llmt_schema *schema;
    json_t *schema_json;
    llmt_score_options scoring;
} task_ctx;

/* Scoring options, by precedence: command line > task.json ("scoring" and top-level
 * "skip_fields") > the project config's "scoring" > defaults. Scalars of a higher layer
 * replace lower ones; weights merge key by key; skip_fields add up. */
static llmt_status assemble_scoring(const llmt_task *t, const llmt_run_options *o,
                                    const llmt_project *proj, llmt_score_options *so,
                                    llmt_error *err)
{
    llmt_status st = LLMT_OK;
    char *task_path = NULL;
    llmt_score_options_init(so);
    /* the manager's project: the one --config named, or the one found upward */
    if (proj && proj->path) {
        st = llmt_score_options_apply_json(so, json_object_get(proj->root, "scoring"), proj->path,
                                           "/scoring", err);
        if (st != LLMT_OK)
            goto done;
    }
    task_path = llmt_path_join(t->dir, "task.json");
    if (!task_path) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    st = llmt_score_options_apply_json(so, t->scoring, task_path, "/scoring", err);
    if (st == LLMT_OK && t->task_json)
        st = llmt_score_options_apply_skip_json(so, json_object_get(t->task_json, "skip_fields"),
                                                task_path, "/skip_fields", err);
    if (st != LLMT_OK || !o->scoring_override)
        goto done;
    if (o->scoring_override_mask & LLMT_SCORE_SET_LIST_MODE)
        so->list_mode = o->scoring_override->list_mode;
    if (o->scoring_override_mask & LLMT_SCORE_SET_TOLERANCE)
        so->tolerance = o->scoring_override->tolerance;
    if (o->scoring_override_mask & LLMT_SCORE_SET_THRESHOLD)
        so->threshold = o->scoring_override->threshold;
    {
        json_t *cli = json_object();
        if (!cli) {
            st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
            goto done;
        }
        if (o->scoring_override->weights)
            json_object_set(cli, "weights", o->scoring_override->weights);
        if (o->scoring_override->skip_fields)
            json_object_set(cli, "skip_fields", o->scoring_override->skip_fields);
        st = llmt_score_options_apply_json(so, cli, "command line", "", err);
        json_decref(cli);
    }
done:
    if (st != LLMT_OK)
        llmt_score_options_free(so);
    free(task_path);
    return st;
}

static llmt_status prepare_task(const llmt_task *t, const llmt_run_options *o,
                                const llmt_project *proj, task_ctx *tc,
                                llmt_diags *diags, llmt_error *err)
{
    json_error_t je;
    llmt_status st;
    memset(tc, 0, sizeof(*tc));
    tc->schema_json = json_loads(t->schema_text, 0, &je);
    if (!tc->schema_json)
        return llmt_error_set(err, LLMT_E_CONFIG, "%s: invalid JSON at line %d, column %d: %s",
                              t->schema_path, je.line, je.column, je.text);
    tc->schema = llmt_schema_compile(tc->schema_json, t->schema_path, diags);
    if (!tc->schema)
        return llmt_diags_to_error(diags, err) != LLMT_OK
                   ? LLMT_E_CONFIG
                   : llmt_error_set(err, LLMT_E_CONFIG, "%s: invalid schema", t->schema_path);
    st = assemble_scoring(t, o, proj, &tc->scoring, err);
    if (st != LLMT_OK)
        return st;
    return LLMT_OK;
}

static void task_ctx_free(task_ctx *tc)
{
    llmt_score_options_free(&tc->scoring);
    llmt_schema_free(tc->schema);
    json_decref(tc->schema_json);
    memset(tc, 0, sizeof(*tc));
}

/* Whether case ci of task ti runs in this invocation: --filter, then --shard. */
static bool case_selected(const llmt_run_options *o, size_t ti, size_t ci)
{
    const llmt_task *t = &o->tasks->tasks[ti];
    if (o->shard_n > 1) {
        size_t global = ci, i;
        for (i = 0; i < ti; i++)
            global += o->tasks->tasks[i].n_cases;
        if (global % (size_t)o->shard_n != (size_t)(o->shard_k - 1))
            return false;
    }
    if (o->filter && *o->filter) {
        char *id = llmt_asprintf("%s/%s", t->name, t->cases[ci].name);
        bool hit = id && strstr(id, o->filter) != NULL;
        free(id);
        return hit;
    }
    return true;
}

/* Loads the case's files (images, PDFs) into memory for the request. */
static llmt_status load_files(const llmt_case *c, llmt_file **files, char ***bufs,
                              llmt_error *err)
{
    size_t i;
    *files = NULL;
    *bufs = NULL;
    if (!c->n_files)
        return LLMT_OK;
    *files = calloc(c->n_files, sizeof(**files));
    *bufs = calloc(c->n_files, sizeof(**bufs));
    if (!*files || !*bufs)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    for (i = 0; i < c->n_files; i++) {
        size_t len = 0;
        llmt_status st = llmt_read_file(c->file_paths[i], &(*bufs)[i], &len, err);
        if (st != LLMT_OK)
            return st;
        (*files)[i].path = c->file_paths[i];
        (*files)[i].mime_type = llmt_file_mime_type(c->file_paths[i]);
        (*files)[i].data = (const unsigned char *)(*bufs)[i];
        (*files)[i].size = len;
    }
    return LLMT_OK;
}

static void make_run_id(llmt_run_meta *meta)
{
    char ts[32];
    time_t now = (time_t)meta->started_at;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(meta->run_id, sizeof meta->run_id, "%s-%04x", ts,
             (unsigned)(llmt_hash64(ts, (uint64_t)getpid() ^ (uint64_t)llmt_now_ms()) & 0xffff));
}

void llmt_run_options_init(llmt_run_options *o)
{
    memset(o, 0, sizeof(*o));
    o->repeat = 1;
    llmt_engine_options_init(&o->engine);
}

/* ---------------------------------------------------------------- resume keys */

/* The identity of one result: task, case, model, repeat. Results are matched by a
 * 64-bit hash of it (sorted array + binary search: 8 bytes per result). */
static uint64_t result_key(const char *task, const char *kase, const char *model_ref, int rep)
{
    char tail[32];
    uint64_t h = llmt_hash64(task, 1469598103934665603ull);
    h = llmt_hash64(kase, h ^ 0x1f);
    h = llmt_hash64(model_ref, h ^ 0x2f);
    snprintf(tail, sizeof tail, "#%d", rep);
    return llmt_hash64(tail, h);
}

typedef struct keyset {
    uint64_t *v;
    size_t n, cap;
    bool oom;
} keyset;

static void keyset_add(keyset *k, uint64_t key)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 256;
        uint64_t *nv = realloc(k->v, cap * sizeof(*nv));
        if (!nv) {
            k->oom = true;
            return;
        }
        k->v = nv;
        k->cap = cap;
    }
    k->v[k->n++] = key;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool keyset_has(const keyset *k, uint64_t key)
{
    return k->n && bsearch(&key, k->v, k->n, sizeof key, cmp_u64) != NULL;
}

/* ---------------------------------------------------------------- the run context */

/* One case's loaded data, shared by the jobs of its models and repeats. */
typedef struct case_ref {
    unsigned ti, ci;
    llmt_case_data data;
    llmt_file *files;
    char **bufs;
    size_t n_files;
    char *user;
    char *case_id;
    llmt_message msg;
    llmt_status load_st;
    llmt_error *load_err;      /* malloc'd when load_st != LLMT_OK: keeps the struct small
                                  enough for malloc's per-thread cache */
    atomic_uint refs;          /* the cursor's and each job's; released on two threads */
} case_ref;

typedef struct run_job {
    llmt_engine_job job;
    case_ref *cr;
    unsigned mi;
    int rep;
} run_job;

/* A finished job on its way to the result thread: everything it needs, owned. */
typedef struct done_item {
    struct done_item *next;
    run_job *rj;               /* NULL for a case that could not be loaded */
    case_ref *cr;              /* with a reference of its own when rj is NULL */
    unsigned mi;
    int rep;
    llmt_status status;
    /* malloc'd when status != LLMT_OK, else NULL: a 1.3 KB llmt_error in every item
     * made it too big for malloc's per-thread cache */
    llmt_error *err;
    llmt_response resp;        /* when LLMT_OK (moved out of the engine) */
    llmt_attempts attempts;    /* moved out of the engine */
    const char *answered_by;   /* points into the run's chains */
    llmt_usage usage;
    double cost, elapsed_ms;
    bool cost_known, has_totals;
    bool batch;                /* answered (or failed) through a batch API */
} done_item;

/* Results are scored, built and written on one thread of their own so that the CPU
 * work never stalls the event loop; a bounded queue hands them over in completion
 * order (back-pressure: the loop waits when the writer is far behind). */
typedef struct result_queue {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    done_item *head, *tail;
    size_t n, cap;
    done_item *spent;          /* processed items for the loop thread to free */
    bool closing;
    bool threaded;             /* false: items are processed inline (no thread) */
    pthread_t thread;
} result_queue;

typedef struct job_queue {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    struct run_job **v;        /* ring of JOBQ_CAP */
    size_t head, n;
    bool done, stop, threaded;
    pthread_t thread;
} job_queue;

typedef struct run_ctx {
    llmt_manager *mgr;
    const llmt_run_options *o;
    task_ctx *tcs;
    size_t n_tcs;
    char ***chains;            /* per model: primary + fallbacks ("provider:model") */
    struct {
        char *provider, *model; /* per model: its ref split once, not once per result */
    } *names;
    size_t *n_chain;
    bool *reasoning;           /* per model: a model of its chain reasons (output room) */
    keyset done_keys;          /* results kept from --resume */
    /* cursor over tasks × cases × models × repeats */
    size_t ti, ci;
    unsigned mi;
    int rep;
    case_ref *cur;
    llmt_case_dirs dirs;       /* the current task's case folders, for whoever loads cases */
    /* output */
    llmt_output *out;
    llmt_summary *summary;
    llmt_run_result *res;
    llmt_error werr;
    bool write_failed;
    size_t total, failed;
    result_queue q;
    job_queue jq;
    llmt_batch_set *batches;   /* run --batch: what the batch APIs answered */
    char **tape_names;         /* per task: "<task>@<tape_phase>", or NULL: the task's name */
    bool collecting;           /* walking the jobs for the batches: produce no results */
    unsigned char *batch_models; /* run --batch, per model: its provider has a batch API */
    const unsigned char *pass_mask; /* per model: this pass runs it; NULL = every model */
} run_ctx;

static void case_ref_release(case_ref *cr)
{
    if (!cr || atomic_fetch_sub(&cr->refs, 1u) > 1u)
        return;
    if (cr->bufs)
        llmt_free_strv(cr->bufs, cr->n_files);
    free(cr->files);
    free(cr->user);
    free(cr->case_id);
    llmt_case_data_free(&cr->data);
    free(cr->load_err);
    free(cr);
}

/* A heap copy of e (a cleared error when e is NULL) for a failed item; NULL only when
 * out of memory, and the result then carries "error": null. */
static llmt_error *error_copy(const llmt_error *e)
{
    llmt_error *c = malloc(sizeof(*c));
    if (c && e)
        *c = *e;
    else if (c)
        llmt_error_clear(c);
    return c;
}

static case_ref *case_ref_load(llmt_case_dirs *dirs, const llmt_taskset *ts, size_t ti, size_t ci)
{
    const llmt_task *t = &ts->tasks[ti];
    const llmt_case *c = &t->cases[ci];
    case_ref *cr = calloc(1, sizeof(*cr));
    llmt_error err;
    if (!cr)
        return NULL;
    cr->ti = (unsigned)ti;
    cr->ci = (unsigned)ci;
    atomic_init(&cr->refs, 1u); /* the cursor's */
    cr->n_files = c->n_files;
    llmt_error_clear(&err);
    cr->load_st = llmt_case_load_in(dirs, t, c, &cr->data, &err);
    if (cr->load_st == LLMT_OK)
        cr->load_st = load_files(c, &cr->files, &cr->bufs, &err);
    if (cr->load_st == LLMT_OK) {
        cr->user = cr->data.source[0] ? llmt_concat3(cr->data.prompt, "\n\n", cr->data.source)
                                      : llmt_strdup(cr->data.prompt);
        cr->case_id = llmt_concat3(t->name, "/", c->name);
        if (!cr->user || !cr->case_id)
            cr->load_st = llmt_error_set(&err, LLMT_E_NOMEM, "out of memory");
    }
    if (cr->load_st != LLMT_OK)
        cr->load_err = error_copy(&err);
    cr->msg.role = "user";
    cr->msg.content = cr->user;
    return cr;
}

/* The output bound a request states (and the budget reserves): task.json's
 * "max_output_tokens", else derived from the case's expected answer with a generous
 * margin (four times its token estimate plus 512: an answer may be pretty-printed, carry
 * extra keys or differ in length), plus room for reasoning when a model of the chain
 * reasons. The call pipeline caps it at each model's own limit. */
#define OUTPUT_BOUND_FACTOR 4
#define OUTPUT_BOUND_SLACK 512
#define REASONING_ROOM 8192

static long output_bound(const llmt_task *t, const case_ref *cr, bool reasoning)
{
    long n = t->max_output_tokens > 0
                 ? t->max_output_tokens
                 : OUTPUT_BOUND_FACTOR * llmt_estimate_tokens(cr->data.expected_text) + OUTPUT_BOUND_SLACK;
    return reasoning ? n + REASONING_ROOM : n;
}

static void fill_request(llmt_request *req, const llmt_task *t, const case_ref *cr, uint64_t seed,
                         int rep, bool reasoning)
{
    memset(req, 0, sizeof(*req));
    req->version = LLMT_REQUEST_VERSION;
    req->messages = &cr->msg;
    req->n_messages = 1;
    req->json_schema = t->schema_text;
    req->schema_name = t->name;
    req->files = cr->files;
    req->n_files = cr->n_files;
    req->temperature = 0;
    req->reference = cr->data.expected_text;
    req->prompt_text = cr->data.prompt;
    req->source_text = cr->data.source;
    req->case_id = cr->case_id;
    req->task_dir = t->dir;
    req->seed = seed + (uint64_t)rep * 7919u;
    req->max_tokens = output_bound(t, cr, reasoning);
}

/* Scores, prints and summarises one result: printed straight into the pending lines
 * of results.jsonl (no jansson tree of the result), the summary fed from what was
 * printed. */
static void emit(run_ctx *rc, const llmt_result_input *result, unsigned ti, unsigned ci,
                 unsigned mi)
{
    llmt_summary_entry e;
    llmt_result_input in = *result;
    in.field_stats = &rc->summary->fields; /* counted as scored, not read back */
    if (rc->out->jsonl && !rc->write_failed) {
        if (llmt_output_add(rc->out, &in, &e, &rc->werr) != LLMT_OK)
            rc->write_failed = true;
    } else {
        llmt_buf scratch = {0}; /* nothing to write to: only the summary's values count */
        llmt_result_write(&in, &scratch, &e);
        llmt_buf_free(&scratch);
    }
    llmt_summary_add_entry(rc->summary, ti, ci, mi, &e);
}

/* Writes the lines emitted since the last flush: once per batch of results. */
static void flush_results(run_ctx *rc)
{
    if (rc->out->jsonl && !rc->write_failed &&
        llmt_output_flush(rc->out, &rc->werr) != LLMT_OK)
        rc->write_failed = true;
}

static void base_input(llmt_result_input *in, const run_ctx *rc, const case_ref *cr,
                       int rep, unsigned mi)
{
    const llmt_task *t = &rc->o->tasks->tasks[cr->ti];
    memset(in, 0, sizeof(*in));
    in->task = t->name;
    in->case_name = t->cases[cr->ci].name;
    in->provider = rc->names[mi].provider ? rc->names[mi].provider : "";
    in->model = rc->names[mi].model ? rc->names[mi].model : "";
    in->repeat = rep;
    in->prompt_label = rc->o->prompt_label;
    in->expected = cr->data.expected;
    in->schema = rc->tcs[cr->ti].schema;
    in->scoring = &rc->tcs[cr->ti].scoring;
}

/* The result thread's part: score, write, summarise one finished job. */
static void process_item(run_ctx *rc, done_item *it)
{
    case_ref *cr = it->rj ? it->rj->cr : it->cr;
    llmt_result_input in;
    base_input(&in, rc, cr, it->rep, it->mi);
    in.response = it->status == LLMT_OK ? &it->resp : NULL;
    in.error = it->status == LLMT_OK ? NULL : it->err;
    in.latency_ms = it->elapsed_ms;
    in.attempts = &it->attempts;
    in.answered_by = it->answered_by;
    in.has_totals = it->has_totals;
    in.usage_total = it->usage;
    in.cost_total = it->cost;
    in.cost_total_known = it->cost_known;
    in.batch = it->batch;
    emit(rc, &in, cr->ti, cr->ci, it->mi);
    if (it->status != LLMT_OK)
        rc->failed++;
    case_ref_release(cr);
    free(it->rj);
    it->rj = NULL;
    it->cr = NULL;
}

/* What the loop thread allocated for a result: the item, the reply, the attempts. */
static void done_item_free(done_item *it)
{
    llmt_response_clear(&it->resp);
    llmt_attempts_free(&it->attempts);
    free(it->err);
    free(it);
}

/* Processed items go back to the loop thread, which frees them (queue_push): freed here,
 * each of their ~20 blocks went to the loop thread's malloc arena under its lock, and
 * the two threads contended for it (~3% of the run's CPU, in lock waits and wake-ups);
 * freed there, they refill that thread's own malloc cache. */
static void spent_return(result_queue *q, done_item **spent)
{
    done_item *last = *spent;
    if (!last)
        return;
    while (last->next)
        last = last->next;
    last->next = q->spent;
    q->spent = *spent;
    *spent = NULL;
}

static void spent_free(done_item *it)
{
    while (it) {
        done_item *next = it->next;
        done_item_free(it);
        it = next;
    }
}

/* Wakes for a batch (or after a short wait, or at the end) and takes the whole queue
 * at once: one context switch per batch instead of one per result. */
#define QUEUE_BATCH 64
#define QUEUE_WAIT_NS 20000000L

static void *result_thread(void *arg)
{
    run_ctx *rc = arg;
    result_queue *q = &rc->q;
    done_item *spent = NULL;
    for (;;) {
        done_item *it, *next;
        bool closing;
        pthread_mutex_lock(&q->mu);
        spent_return(q, &spent);
        while (q->n < QUEUE_BATCH && !q->closing) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += QUEUE_WAIT_NS;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&q->nonempty, &q->mu, &ts) != 0 && q->n)
                break; /* waited long enough: write what there is */
        }
        it = q->head;
        q->head = q->tail = NULL;
        q->n = 0;
        closing = q->closing;
        pthread_cond_broadcast(&q->nonfull);
        pthread_mutex_unlock(&q->mu);
        for (; it; it = next) {
            next = it->next;
            process_item(rc, it);
            it->next = spent;
            spent = it;
        }
        flush_results(rc);
        if (closing) {
            pthread_mutex_lock(&q->mu);
            spent_return(q, &spent);
            it = q->head;
            pthread_mutex_unlock(&q->mu);
            if (!it)
                return NULL; /* closing and drained */
        }
    }
}

/* `reclaim`: the caller is the loop thread, which takes back the processed items. */
static void queue_push(run_ctx *rc, done_item *it, bool reclaim)
{
    result_queue *q = &rc->q;
    done_item *spent = NULL;
    if (!q->threaded) {
        process_item(rc, it);
        done_item_free(it);
        flush_results(rc);
        return;
    }
    pthread_mutex_lock(&q->mu);
    if (reclaim) {
        spent = q->spent;
        q->spent = NULL;
    }
    while (q->n >= q->cap)
        pthread_cond_wait(&q->nonfull, &q->mu);
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    if (++q->n == QUEUE_BATCH)
        pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
    spent_free(spent);
}

static void queue_start(run_ctx *rc)
{
    result_queue *q = &rc->q;
    q->cap = 4 * QUEUE_BATCH;
    q->threaded = pthread_mutex_init(&q->mu, NULL) == 0;
    if (q->threaded && (pthread_cond_init(&q->nonempty, NULL) != 0 ||
                        pthread_cond_init(&q->nonfull, NULL) != 0 ||
                        pthread_create(&q->thread, NULL, result_thread, rc) != 0)) {
        q->threaded = false; /* process inline instead: slower, same results */
    }
}

/* Waits until every queued result is written. */
static void queue_finish(run_ctx *rc)
{
    result_queue *q = &rc->q;
    if (!q->threaded)
        return;
    pthread_mutex_lock(&q->mu);
    q->closing = true;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    spent_free(q->spent);
    q->spent = NULL;
    pthread_cond_destroy(&q->nonempty);
    pthread_cond_destroy(&q->nonfull);
    pthread_mutex_destroy(&q->mu);
    q->threaded = false;
}

static void job_done(void *ud, llmt_engine_job *job, llmt_engine_outcome *oc)
{
    run_ctx *rc = ud;
    run_job *rj = job->user;
    done_item *it;
    if (oc->status == LLMT_E_CANCELLED) {
        /* not finished: left out of the results so that --resume sends it again */
        rc->res->cancelled++;
        case_ref_release(rj->cr);
        free(rj);
        return;
    }
    it = calloc(1, sizeof(*it));
    if (!it) {
        rc->write_failed = true;
        llmt_error_set(&rc->werr, LLMT_E_NOMEM, "out of memory");
        case_ref_release(rj->cr);
        free(rj);
        return;
    }
    it->rj = rj;
    it->mi = rj->mi;
    it->rep = rj->rep;
    it->status = oc->status;
    if (oc->status != LLMT_OK)
        it->err = error_copy(oc->error);
    if (oc->status == LLMT_OK && oc->response) {
        it->resp = *oc->response; /* moved: the engine frees nothing */
        memset(oc->response, 0, sizeof(*oc->response));
    }
    it->attempts = oc->attempts;
    memset(&oc->attempts, 0, sizeof oc->attempts);
    it->answered_by = oc->answered_by;
    it->has_totals = true;
    it->usage = oc->usage;
    it->cost = oc->cost_usd;
    it->cost_known = oc->cost_known;
    it->batch = oc->preanswered;
    it->elapsed_ms = oc->elapsed_ms;
    queue_push(rc, it, true);
}

/* Advances the cursor to the next (case, model, repeat) not yet done; false at the end. */
/* Whether model mi runs for task ti (a task's own model list may leave it out). */
static bool model_runs(const llmt_run_options *o, size_t ti, unsigned mi)
{
    return !o->task_model_mask || o->task_model_mask[ti * o->n_models + mi];
}

/* Whether the result of case ci of task ti for model mi, repeat rep came with --resume.
 * Hashed only with something to find: count_planned walks every job on the main thread
 * before the first request, and the key costs a snprintf. */
static bool result_done(const run_ctx *rc, size_t ti, size_t ci, unsigned mi, int rep)
{
    const llmt_task *t = &rc->o->tasks->tasks[ti];
    return rc->done_keys.n &&
           keyset_has(&rc->done_keys, result_key(t->name, t->cases[ci].name, rc->o->models[mi], rep));
}

static bool cursor_next(run_ctx *rc, unsigned *mi, int *rep)
{
    const llmt_taskset *ts = rc->o->tasks;
    for (;;) {
        const llmt_task *t;
        if (rc->ti >= ts->n_tasks)
            return false;
        t = &ts->tasks[rc->ti];
        if (rc->ci >= t->n_cases) {
            rc->ti++;
            rc->ci = 0;
            continue;
        }
        if (!case_selected(rc->o, rc->ti, rc->ci)) {
            rc->ci++;
            continue;
        }
        if (rc->rep >= rc->o->repeat) {
            rc->rep = 0;
            rc->mi++;
        }
        if (rc->mi >= rc->o->n_models) {
            rc->mi = 0;
            rc->ci++;
            case_ref_release(rc->cur);
            rc->cur = NULL;
            continue;
        }
        if (!model_runs(rc->o, rc->ti, rc->mi) || (rc->pass_mask && !rc->pass_mask[rc->mi])) {
            rc->rep = rc->o->repeat; /* this model does not run for this task (or pass) */
            continue;
        }
        *mi = rc->mi;
        *rep = rc->rep++;
        if (result_done(rc, rc->ti, rc->ci, *mi, *rep))
            continue;
        return true;
    }
}

/* Whether case ci of task ti still has a result to produce: with --resume most cases
 * may have all of theirs (a model the task does not run has none). */
static bool case_pending(const run_ctx *rc, size_t ti, size_t ci)
{
    unsigned mi;
    int rep;
    for (mi = 0; mi < rc->o->n_models; mi++)
        for (rep = 0; model_runs(rc->o, ti, mi) && rep < rc->o->repeat; rep++)
            if (!result_done(rc, ti, ci, mi, rep))
                return true;
    return false;
}

/* Reads ahead, in one batch, the files of the next cases the cursor will load (from case
 * rc->ci of task rc->ti on, those this invocation still runs), unless they are read
 * already. */
static void read_ahead(run_ctx *rc)
{
    const llmt_task *t = &rc->o->tasks->tasks[rc->ti];
    size_t idx[LLMT_CASE_PREFETCH], n = 0, ci, scanned = 0;
    if (!llmt_case_prefetch_wanted(&rc->dirs, &t->cases[rc->ci]))
        return;
    /* the scan is bounded: with --filter, --shard or --resume most cases may be skipped */
    for (ci = rc->ci; ci < t->n_cases && n < LLMT_CASE_PREFETCH && scanned < 16 * LLMT_CASE_PREFETCH;
         ci++, scanned++)
        if (ci == rc->ci || (case_selected(rc->o, rc->ti, ci) && case_pending(rc, rc->ti, ci)))
            idx[n++] = ci;
    llmt_case_prefetch(&rc->dirs, t, idx, n);
}

/* Produces the next job: advances the cursor and loads case files (on the loader
 * thread when there is one). */
static bool produce_job(run_ctx *rc, run_job **out)
{
    unsigned mi;
    int rep;
    for (;;) {
        run_job *rj;
        if (!cursor_next(rc, &mi, &rep))
            return false;
        if (!rc->cur) {
            read_ahead(rc);
            rc->cur = case_ref_load(&rc->dirs, rc->o->tasks, rc->ti, rc->ci);
            if (!rc->cur)
                return false;
        }
        if (rc->cur->load_st != LLMT_OK && rc->collecting)
            continue; /* its result is written when the jobs run */
        if (rc->cur->load_st != LLMT_OK) {
            /* the case cannot be sent (unreadable file): its result is the error */
            done_item *it = calloc(1, sizeof(*it));
            if (!it)
                return false;
            it->cr = rc->cur;
            atomic_fetch_add(&it->cr->refs, 1u);
            it->mi = mi;
            it->rep = rep;
            it->status = rc->cur->load_st;
            it->err = error_copy(rc->cur->load_err);
            queue_push(rc, it, false);
            continue;
        }
        rj = calloc(1, sizeof(*rj));
        if (!rj)
            return false;
        rj->cr = rc->cur;
        atomic_fetch_add(&rj->cr->refs, 1u);
        rj->mi = mi;
        rj->rep = rep;
        fill_request(&rj->job.req, &rc->o->tasks->tasks[rc->cur->ti], rc->cur,
                     llmt_manager_opts(rc->mgr)->seed, rep, rc->reasoning[mi]);
        rj->job.chain = (const char *const *)rc->chains[mi];
        rj->job.n_chain = rc->n_chain[mi];
        rj->job.user = rj;
        /* who asks, for a cassette */
        rj->job.task = rc->tape_names[rc->cur->ti] ? rc->tape_names[rc->cur->ti]
                                                   : rc->o->tasks->tasks[rc->cur->ti].name;
        rj->job.kase = rc->o->tasks->tasks[rc->cur->ti].cases[rc->cur->ci].name;
        rj->job.repeat = rep;
        *out = rj;
        return true;
    }
}

static void run_job_drop(run_job *rj)
{
    case_ref_release(rj->cr);
    free(rj);
}

/* Case files are read on a loader thread that keeps a few hundred jobs ready, so the
 * event loop never waits for the disk. */
#define JOBQ_CAP 256

static void *loader_thread(void *arg)
{
    run_ctx *rc = arg;
    job_queue *q = &rc->jq;
    for (;;) {
        run_job *rj = NULL;
        bool more = produce_job(rc, &rj);
        pthread_mutex_lock(&q->mu);
        while (more && q->n == JOBQ_CAP && !q->stop)
            pthread_cond_wait(&q->nonfull, &q->mu);
        if (!more || q->stop) {
            q->done = true;
            pthread_cond_broadcast(&q->nonempty);
            pthread_mutex_unlock(&q->mu);
            if (rj)
                run_job_drop(rj);
            return NULL;
        }
        q->v[(q->head + q->n) % JOBQ_CAP] = rj;
        q->n++;
        pthread_cond_signal(&q->nonempty);
        pthread_mutex_unlock(&q->mu);
    }
}

static bool job_next(void *ud, llmt_engine_job **out)
{
    run_ctx *rc = ud;
    job_queue *q = &rc->jq;
    run_job *rj = NULL;
    if (!q->threaded) {
        if (!produce_job(rc, &rj))
            return false;
        *out = &rj->job;
        return true;
    }
    pthread_mutex_lock(&q->mu);
    while (q->n == 0 && !q->done)
        pthread_cond_wait(&q->nonempty, &q->mu);
    if (q->n) {
        rj = q->v[q->head];
        q->head = (q->head + 1) % JOBQ_CAP;
        q->n--;
        /* the loader sleeps only on a full queue: waking it when half is used lets it
         * refill in one go, where a wake-up per job taken cost a context switch per job */
        if (q->n == JOBQ_CAP / 2)
            pthread_cond_signal(&q->nonfull);
    }
    pthread_mutex_unlock(&q->mu);
    if (!rj)
        return false;
    *out = &rj->job;
    return true;
}

/* Only with a result thread: a load failure found by the loader becomes a result, and
 * results must then be written by one thread only. */
static void loader_start(run_ctx *rc)
{
    job_queue *q = &rc->jq;
    q->v = rc->q.threaded ? calloc(JOBQ_CAP, sizeof(*q->v)) : NULL;
    q->threaded = q->v && pthread_mutex_init(&q->mu, NULL) == 0;
    if (q->threaded && (pthread_cond_init(&q->nonempty, NULL) != 0 ||
                        pthread_cond_init(&q->nonfull, NULL) != 0 ||
                        pthread_create(&q->thread, NULL, loader_thread, rc) != 0))
        q->threaded = false; /* the engine thread loads the cases itself */
}

/* Stops the loader (after an interrupt it may still be ahead) and drops what it had
 * prepared and nobody took. */
static void loader_finish(run_ctx *rc)
{
    job_queue *q = &rc->jq;
    if (q->threaded) {
        pthread_mutex_lock(&q->mu);
        q->stop = true;
        pthread_cond_broadcast(&q->nonfull);
        pthread_mutex_unlock(&q->mu);
        pthread_join(q->thread, NULL);
        while (q->n) {
            run_job_drop(q->v[q->head]);
            q->head = (q->head + 1) % JOBQ_CAP;
            q->n--;
        }
        pthread_cond_destroy(&q->nonempty);
        pthread_cond_destroy(&q->nonfull);
        pthread_mutex_destroy(&q->mu);
        q->threaded = false;
    }
    free(q->v);
    q->v = NULL;
}

static void job_progress(void *ud, const llmt_engine_stats *s)
{
    run_ctx *rc = ud;
    llmt_run_progress p;
    if (!rc->o->progress)
        return;
    p.total = rc->total;
    p.done = s->done;
    p.failed = s->failed + s->budget_skipped;
    p.in_flight = s->in_flight;
    p.elapsed_ms = s->elapsed_ms;
    p.spent_usd = s->spent_usd;
    p.binding = s->binding;
    rc->o->progress(rc->o->progress_ud, &p);
}

/* ---------------------------------------------------------------- resume */

typedef struct resume_ctx {
    run_ctx *rc;
    FILE *keep;                /* the kept lines go to the new results.jsonl */
    llmt_error *err;
    bool write_failed;
} resume_ctx;

/* The task and case indices of a kept result in this run's task set. */
static bool find_indices(const llmt_run_options *o, const char *task, const char *kase,
                         unsigned *ti, unsigned *ci)
{
    size_t i, j;
    for (i = 0; i < o->tasks->n_tasks; i++) {
        const llmt_task *t = &o->tasks->tasks[i];
        if (strcmp(t->name, task) != 0)
            continue;
        for (j = 0; j < t->n_cases; j++)
            if (strcmp(t->cases[j].name, kase) == 0) {
                *ti = (unsigned)i;
                *ci = (unsigned)j;
                return true;
            }
    }
    return false;
}

static void resume_line(json_t *r, void *ud)
{
    resume_ctx *x = ud;
    const char *task = json_string_value(json_object_get(r, "task"));
    const char *kase = json_string_value(json_object_get(r, "case"));
    const char *prov = json_string_value(json_object_get(r, "provider"));
    const char *model = json_string_value(json_object_get(r, "model"));
    const char *cls = json_string_value(json_object_get(json_object_get(r, "error"), "class"));
    json_t *rep = json_object_get(r, "repeat");
    char *ref;
    unsigned ti, ci, mi;
    if (!task || !kase || !prov || !model || !json_is_integer(rep))
        return;
    /* a case skipped for the budget or cut by an interrupt was never answered: send it */
    if (cls && (strcmp(cls, "budget") == 0 || strcmp(cls, "cancelled") == 0))
        return;
    /* a batch line that failed or expired runs again, interactively, without --batch */
    if (cls && !x->rc->o->batch && json_is_true(json_object_get(r, "batch")))
        return;
    ref = llmt_asprintf("%s:%s", prov, model);
    if (!ref)
        return;
    keyset_add(&x->rc->done_keys, result_key(task, kase, ref, (int)json_integer_value(rep)));
    if (x->keep && !x->write_failed &&
        (json_dumpf(r, x->keep, JSON_COMPACT | JSON_ENSURE_ASCII) != 0 || fputc('\n', x->keep) == EOF))
        x->write_failed = true;
    /* every kept result is summarised, whatever this invocation's model list or repeat
     * count: the reports cover everything results.jsonl holds (a model no longer given
     * gets its row after the others) */
    if (find_indices(x->rc->o, task, kase, &ti, &ci) && llmt_summary_model_index(x->rc->summary, ref, &mi)) {
        llmt_summary_add(x->rc->summary, ti, ci, mi, r);
        x->rc->res->resumed++;
    }
    free(ref);
}

/* Reads DIR/results.jsonl: remembers what is done and rewrites the file with only those
 * lines (atomically), so that appending the rest leaves one line per result. */
static llmt_status load_resume(run_ctx *rc, const char *dir, bool rewrite, llmt_error *err)
{
    char *path = llmt_path_join(dir, "results.jsonl");
    char *tmp = llmt_asprintf("%s.resume.%ld", path ? path : "", (long)getpid());
    resume_ctx x;
    llmt_status st = LLMT_OK;
    memset(&x, 0, sizeof x);
    x.rc = rc;
    x.err = err;
    if (!path || !tmp) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    if (!llmt_path_exists(path)) {
        st = llmt_error_set(err, LLMT_E_IO, "--resume %s: no results.jsonl there", dir);
        goto done;
    }
    if (rewrite) {
        x.keep = fopen(tmp, "wb");
        if (!x.keep) {
            st = llmt_error_set(err, LLMT_E_IO, "%s: %s", tmp, strerror(errno));
            goto done;
        }
    }
    st = llmt_jsonl_foreach(path, resume_line, &x, err);
    if (x.keep) {
        bool bad = fflush(x.keep) != 0 || fsync(fileno(x.keep)) != 0;
        fclose(x.keep);
        if (st == LLMT_OK && (bad || x.write_failed))
            st = llmt_error_set(err, LLMT_E_IO, "%s: %s", tmp, strerror(errno));
        if (st == LLMT_OK && rename(tmp, path) != 0)
            st = llmt_error_set(err, LLMT_E_IO, "%s: %s", path, strerror(errno));
        if (st != LLMT_OK)
            unlink(tmp);
    }
    if (st == LLMT_OK && rc->done_keys.oom)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory reading %s", path);
    if (rc->done_keys.n)
        qsort(rc->done_keys.v, rc->done_keys.n, sizeof(uint64_t), cmp_u64);
done:
    free(path);
    free(tmp);
    return st;
}

/* ---------------------------------------------------------------- setup */

static llmt_status ctx_init(run_ctx *rc, llmt_manager *mgr, const llmt_run_options *o,
                            llmt_diags *diags, llmt_error *err)
{
    size_t i;
    llmt_status st = LLMT_OK;
    memset(rc, 0, sizeof(*rc));
    llmt_case_dirs_init(&rc->dirs);
    rc->mgr = mgr;
    rc->o = o;
    llmt_error_clear(&rc->werr);
    rc->tcs = calloc(o->tasks->n_tasks ? o->tasks->n_tasks : 1, sizeof(*rc->tcs));
    rc->chains = calloc(o->n_models ? o->n_models : 1, sizeof(*rc->chains));
    rc->n_chain = calloc(o->n_models ? o->n_models : 1, sizeof(*rc->n_chain));
    rc->names = calloc(o->n_models ? o->n_models : 1, sizeof(*rc->names));
    rc->reasoning = calloc(o->n_models ? o->n_models : 1, sizeof(*rc->reasoning));
    rc->tape_names = calloc(o->tasks->n_tasks ? o->tasks->n_tasks : 1, sizeof(*rc->tape_names));
    if (!rc->tcs || !rc->chains || !rc->n_chain || !rc->names || !rc->reasoning ||
        !rc->tape_names)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    for (i = 0; o->tape_phase && i < o->tasks->n_tasks; i++)
        if (!(rc->tape_names[i] = llmt_asprintf("%s@%s", o->tasks->tasks[i].name, o->tape_phase)))
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    for (i = 0; i < o->n_models; i++) /* a ref without ':' leaves both NULL: "" in results */
        llmt_split_model_ref(o->models[i], &rc->names[i].provider, &rc->names[i].model, NULL);
    for (i = 0; i < o->tasks->n_tasks && st == LLMT_OK; i++, rc->n_tcs++)
        st = prepare_task(&o->tasks->tasks[i], o, llmt_manager_project(mgr), &rc->tcs[i], diags, err);
    for (i = 0; i < o->n_models && st == LLMT_OK; i++) {
        rc->chains[i] = llmt_engine_chain(mgr, o->models[i], o->fallbacks,
                                          o->n_fallbacks, true, &rc->n_chain[i]);
        if (!rc->chains[i])
            st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        else
            rc->reasoning[i] = llmt_engine_chain_reasons(mgr, (const char *const *)rc->chains[i], rc->n_chain[i]);
    }
    return st;
}

static void ctx_free(run_ctx *rc)
{
    size_t i;
    for (i = 0; i < rc->n_tcs; i++)
        task_ctx_free(&rc->tcs[i]);
    free(rc->tcs);
    for (i = 0; rc->chains && i < rc->o->n_models; i++)
        if (rc->chains[i])
            llmt_free_strv(rc->chains[i], rc->n_chain[i]);
    free(rc->chains);
    free(rc->n_chain);
    for (i = 0; rc->names && i < rc->o->n_models; i++) {
        free(rc->names[i].provider);
        free(rc->names[i].model);
    }
    free(rc->names);
    free(rc->reasoning);
    for (i = 0; rc->tape_names && i < rc->o->tasks->n_tasks; i++)
        free(rc->tape_names[i]);
    free(rc->tape_names);
    free(rc->done_keys.v);
    case_ref_release(rc->cur);
    llmt_case_dirs_close(&rc->dirs);
    memset(rc, 0, sizeof(*rc));
}

static size_t count_planned(run_ctx *rc)
{
    size_t n = 0;
    unsigned mi;
    int rep;
    size_t ti = rc->ti, ci = rc->ci;
    while (cursor_next(rc, &mi, &rep))
        n++;
    rc->ti = ti;
    rc->ci = ci;
    rc->mi = 0;
    rc->rep = 0;
    return n;
}

/* ---------------------------------------------------------------- run --batch */

static void batch_job_id(const run_ctx *rc, const run_job *rj, char *buf, size_t n)
{
    const llmt_task *t = &rc->o->tasks->tasks[rj->cr->ti];
    llmt_batch_custom_id(t->name, t->cases[rj->cr->ci].name, rj->job.chain[0], rj->rep, buf, n);
}

/* Puts the cursor back at (ti, ci), the start of this invocation's jobs. */
static void cursor_rewind(run_ctx *rc, size_t ti, size_t ci)
{
    case_ref_release(rc->cur);
    rc->cur = NULL;
    rc->ti = ti;
    rc->ci = ci;
    rc->mi = 0;
    rc->rep = 0;
}

/* Hands every pending job of a batch-capable provider to the batch set and submits the
 * batches. The cursor is back at the start afterwards. */
static llmt_status batch_phase(run_ctx *rc, const char *dir, const llmt_run_meta *meta,
                               llmt_error *err)
{
    llmt_batch_options bo;
    size_t ti = rc->ti, ci = rc->ci, mi;
    run_job *rj;
    llmt_status st;
    rc->batch_models = calloc(rc->o->n_models ? rc->o->n_models : 1, 1);
    if (!rc->batch_models)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    for (mi = 0; mi < rc->o->n_models; mi++)
        rc->batch_models[mi] = llmt_batch_model(rc->mgr, rc->chains[mi][0]);
    if (rc->o->engine.replay) /* the cassette answers: no batch API is asked anything */
        return LLMT_OK;
    memset(&bo, 0, sizeof bo);
    bo.dir = dir;
    bo.label = meta->run_id;
    bo.poll_ms = rc->o->batch_poll_ms;
    bo.poll_max_ms = rc->o->batch_poll_max_ms;
    bo.budget_usd = rc->o->engine.budget_usd >= 0 ? rc->o->engine.budget_usd : -1;
    bo.interrupted = rc->o->engine.interrupted;
    bo.progress = rc->o->batch_progress;
    bo.progress_ud = rc->o->progress_ud;
    st = llmt_batch_set_new(rc->mgr, &bo, &rc->batches, err);
    rc->pass_mask = rc->batch_models;
    rc->collecting = true;
    while (st == LLMT_OK && produce_job(rc, &rj)) {
        char id[32];
        batch_job_id(rc, rj, id, sizeof id);
        st = llmt_batch_add_job(rc->batches, rj->job.chain[0], &rj->job.req, id, err);
        run_job_drop(rj);
    }
    rc->collecting = false;
    rc->pass_mask = NULL;
    cursor_rewind(rc, ti, ci);
    return st == LLMT_OK ? llmt_batch_submit_all(rc->batches, err) : st;
}

/* The engine's preanswer hook: a job of a batch provider is answered by its batch line
 * (a replay: by the cassette; a recording keeps the line and its result). */
static bool batch_preanswer(void *ud, const llmt_engine_job *job, llmt_call *call,
                            llmt_response *resp, llmt_status *st, llmt_error *err)
{
    run_ctx *rc = ud;
    const llmt_engine_options *eo = &rc->o->engine;
    char id[32];
    bool answered;
    batch_job_id(rc, job->user, id, sizeof id);
    if (llmt_tape_applies(eo->replay, job))
        return llmt_tape_replay_batch(eo->replay, job, call, id, resp, st, err);
    answered = llmt_batch_answer_call(rc->batches, id, call, resp, st, err);
    if (answered && llmt_tape_applies(eo->record, job))
        llmt_tape_put_batch(eo->record, job, call, rc->batches, id, *st, resp, err,
                            &llmt_manager_opts(rc->mgr)->logger);
    return answered;
}

static llmt_engine_options engine_options(const llmt_run_options *o, llmt_manager *mgr)
{
    llmt_engine_options eo = o->engine;
    if (!(eo.budget_usd >= 0))
        eo.budget_usd = -1; /* NaN: none */
    eo.seed = llmt_manager_opts(mgr)->seed;
    /* N shards share one account: each takes 1/N of every limit unless told otherwise */
    if (!(eo.limit_share > 0) && o->shard_n > 1)
        eo.limit_share = 1.0 / o->shard_n;
    return eo;
}

/* One engine pass over the jobs the cursor gives (all of them, or one pass_mask's). */
static llmt_status run_pass(run_ctx *rc, const llmt_engine_options *eo, llmt_run_result *out,
                            llmt_error *err)
{
    llmt_engine_callbacks cb;
    llmt_engine_stats stats;
    llmt_status st;
    size_t ti = rc->ti, ci = rc->ci;
    rc->total = count_planned(rc);
    cb.next = job_next;
    cb.done = job_done;
    cb.progress = job_progress;
    cb.ud = rc;
    memset(&stats, 0, sizeof stats);
    memset(&rc->q, 0, sizeof rc->q); /* drained and released by the pass before */
    memset(&rc->jq, 0, sizeof rc->jq);
    queue_start(rc);
    loader_start(rc);
    st = llmt_engine_run(rc->mgr, eo, &cb, &stats, err);
    loader_finish(rc);
    queue_finish(rc);
    cursor_rewind(rc, ti, ci);
    out->interrupted = out->interrupted || stats.interrupted;
    out->attempts += stats.attempts;
    out->retries += stats.retries;
    out->fallbacks += stats.fallbacks;
    out->throttled += stats.throttled;
    out->summary.over_estimate_measured = true;
    out->summary.over_estimate_calls += stats.over_estimate_calls;
    out->summary.over_estimate_usd += stats.over_estimate_usd;
    /* the limits that held each provider back: the pass that sent the most says most */
    if (stats.n_limits >= out->n_limits && stats.attempts > 0) {
        memcpy(out->limits, stats.limits, sizeof out->limits);
        out->n_limits = stats.n_limits;
    }
    return st;
}

llmt_status llmt_run_execute(llmt_manager *mgr, const llmt_run_options *o, llmt_run_result *out,
                             llmt_diags *diags, llmt_error *err)
{
    llmt_output output;
    run_ctx rc;
    llmt_engine_options eo;
    const char *dir = o->resume_dir ? o->resume_dir : o->output_dir;
    llmt_status st;
    memset(out, 0, sizeof(*out));
    memset(&output, 0, sizeof output);
    out->meta.started_at = llmt_wall_time_s();
    make_run_id(&out->meta);
    llmt_summary_init(&out->summary, o->models, o->n_models);
    out->summary.tasks = o->tasks;
    st = ctx_init(&rc, mgr, o, diags, err);
    rc.out = &output;
    rc.summary = &out->summary;
    rc.res = out;
    if (st == LLMT_OK && o->resume_dir)
        st = load_resume(&rc, o->resume_dir, true, err);
    if (st == LLMT_OK && dir) {
        st = llmt_output_open(&output, dir, o->resume_dir != NULL, err);
        if (st == LLMT_OK)
            out->output_dir = llmt_strdup(dir);
        /* results.json grows with results.jsonl: the end then only completes it */
        if (st == LLMT_OK && (o->formats & LLMT_FORMAT_JSON))
            llmt_output_json_begin(&output, &out->meta);
    }
    if (st != LLMT_OK)
        goto done;
    out->planned = count_planned(&rc);
    eo = engine_options(o, mgr);
    if (!o->batch) {
        st = run_pass(&rc, &eo, out, err);
    } else {
        /* submit, run the other providers interactively while the batches run, wait for
         * the batches, then answer their jobs from the results */
        unsigned char *interactive = calloc(o->n_models ? o->n_models : 1, 1);
        size_t mi;
        st = interactive ? batch_phase(&rc, dir, &out->meta, err)
                         : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        for (mi = 0; st == LLMT_OK && mi < o->n_models; mi++)
            interactive[mi] = !rc.batch_models[mi];
        rc.pass_mask = interactive;
        if (st == LLMT_OK) {
            /* the interactive share spends what the batches did not reserve */
            llmt_engine_options ei = eo;
            if (ei.budget_usd >= 0 && rc.batches) {
                ei.budget_usd -= llmt_batch_reserved(rc.batches);
                if (ei.budget_usd < 0)
                    ei.budget_usd = 0;
            }
            st = run_pass(&rc, &ei, out, err);
        }
        if (st == LLMT_OK && rc.batches)
            llmt_batch_wait(rc.batches);
        rc.pass_mask = rc.batch_models;
        eo.preanswer = batch_preanswer;
        eo.preanswer_ud = &rc;
        if (st == LLMT_OK)
            st = run_pass(&rc, &eo, out, err);
        rc.pass_mask = NULL;
        free(interactive);
        if (st != LLMT_OK)
            goto done;
    }
    out->meta.finished_at = llmt_wall_time_s();
    if (st == LLMT_OK && rc.write_failed) {
        *err = rc.werr;
        st = rc.werr.status;
    }
    /* the reports are written after an interrupt too: everything finished is in them */
    if (st == LLMT_OK && dir) {
        llmt_output_end(&output);
        st = llmt_output_reports_write(&output, &out->meta, &out->summary, o->formats, err);
    }
done:
    llmt_output_close(&output);
    llmt_batch_set_free(rc.batches);
    free(rc.batch_models);
    ctx_free(&rc);
    return st;
}

llmt_status llmt_run_estimate_cost(llmt_manager *mgr, const llmt_run_options *o,
                                   llmt_run_estimate **out, llmt_diags *diags, llmt_error *err)
{
    run_ctx rc;
    llmt_summary scratch;
    llmt_run_result res;
    llmt_run_estimate *est = calloc(o->n_models ? o->n_models : 1, sizeof(*est));
    llmt_status st;
    unsigned mi;
    int rep;
    *out = NULL;
    memset(&res, 0, sizeof res);
    llmt_summary_init(&scratch, o->models, o->n_models);
    st = est ? ctx_init(&rc, mgr, o, diags, err) : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (!est)
        goto done;
    rc.summary = &scratch;
    rc.res = &res;
    for (mi = 0; mi < o->n_models; mi++)
        est[mi].cost_known = true;
    if (st == LLMT_OK && o->resume_dir)
        st = load_resume(&rc, o->resume_dir, false, err);
    while (st == LLMT_OK && cursor_next(&rc, &mi, &rep)) {
        llmt_request req;
        double lo = 0, hi = 0;
        bool known = false;
        long in = 0;
        if (!rc.cur)
            read_ahead(&rc);
        if (!rc.cur && !(rc.cur = case_ref_load(&rc.dirs, o->tasks, rc.ti, rc.ci))) {
            st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
            break;
        }
        est[mi].calls++;
        if (rc.cur->load_st != LLMT_OK)
            continue;
        fill_request(&req, &o->tasks->tasks[rc.cur->ti], rc.cur, 0, rep, rc.reasoning[mi]);
        st = llmt_engine_estimate(mgr, o->models[mi], &req, &lo, &hi, &known, &in, err);
        if (st == LLMT_OK && o->batch) {
            double f = llmt_batch_factor(mgr, o->models[mi]);
            lo *= f;
            hi *= f;
            est[mi].batch = f != 1.0;
        }
        est[mi].input_tokens += in;
        est[mi].min_usd += lo;
        est[mi].max_usd += hi;
        if (!known)
            est[mi].cost_known = false;
    }
    ctx_free(&rc);
done:
    llmt_summary_free(&scratch);
    if (st == LLMT_OK)
        *out = est;
    else
        free(est);
    return st;
}

void llmt_run_result_free(llmt_run_result *r)
{
    llmt_summary_free(&r->summary);
    free(r->output_dir);
    memset(r, 0, sizeof(*r));
}
