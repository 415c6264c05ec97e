#include "exec/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/jsonw.h"
#include "core/log.h"
#include "core/util.h"
#include "http/http.h"
#include "provider/manager_internal.h"
#include "exec/engine.h"
#include "run/output.h"

#define BATCH_FILE "batches.jsonl"

/* One job of the run that belongs to a batch. */
typedef struct bline {
    char *custom_id;
    long batch;                /* index into set->b; -1: over the budget, not submitted */
    bool wanted;               /* a pending job of this invocation (not in results.jsonl) */
    bool has_result;
    llmt_batch_result res;
} bline;

typedef struct batch {
    llmt_provider_entry *entry;
    char *model;
    char *id;                  /* NULL until submitted */
    llmt_buf lines;            /* new batches: the input, one line each */
    uint64_t format;           /* the lines' structured output, where one per batch */
    size_t n_lines;
    bool recorded;             /* in batches.jsonl (submitted by this or an earlier run) */
    bool needed;               /* has lines this invocation still wants */
    size_t missing;            /* wanted lines without a result yet */
    unsigned parts_read;       /* results parts already read (bit per part) */
    bool checked;              /* a recorded batch polled while adding lines (--resume) */
    bool fresh;                /* st is that poll's answer: the first wait pass uses it */
    bool ended;
    llmt_status fail;          /* the whole batch failed (submit, poll or results) */
    char *fail_msg;
    llmt_batch_status st;
    char **ids;                /* custom_ids, for batches.jsonl */
    size_t n_ids, cap_ids;
} batch;

struct llmt_batch_set {
    llmt_manager *mgr;
    llmt_batch_options o;
    char *path;                /* <dir>/batches.jsonl */
    batch *b;
    size_t nb, cap_b;
    bline *l;
    size_t nl, cap_l;
    long *slots;               /* open-addressing index custom_id -> l; -1 empty */
    size_t n_slots;
    double reserved_usd;
    char **noted;              /* "provider:model" told that some jobs run interactively */
    size_t n_noted;
};

bool llmt_batch_capable(const llmt_provider_entry *e)
{
    const llmt_provider_ops *ops = e ? e->ops : NULL;
    return ops && LLMT_OPS_HAS(ops, batch_limits) && LLMT_OPS_HAS(ops, batch_line) &&
           LLMT_OPS_HAS(ops, batch_submit) && LLMT_OPS_HAS(ops, batch_poll) &&
           LLMT_OPS_HAS(ops, batch_status) && LLMT_OPS_HAS(ops, batch_results) &&
           LLMT_OPS_HAS(ops, batch_result_line) && LLMT_OPS_HAS(ops, batch_cancel);
}

void llmt_batch_custom_id(const char *task, const char *kase, const char *model_ref, int repeat,
                          char *buf, size_t n)
{
    char rep[24];
    uint64_t h;
    snprintf(rep, sizeof rep, "%d", repeat);
    h = llmt_hash64(task, 0x6c6c6d74u);
    h = llmt_hash64(kase, h);
    h = llmt_hash64(model_ref, h);
    h = llmt_hash64(rep, h);
    snprintf(buf, n, "llmt-%016llx", (unsigned long long)h);
}

/* ---------------------------------------------------------------- index */

static long find_line(const llmt_batch_set *s, const char *id)
{
    size_t i;
    if (!s->n_slots)
        return -1;
    for (i = llmt_hash64(id, 0) & (s->n_slots - 1); s->slots[i] >= 0; i = (i + 1) & (s->n_slots - 1))
        if (strcmp(s->l[s->slots[i]].custom_id, id) == 0)
            return s->slots[i];
    return -1;
}

static bool index_put(llmt_batch_set *s, long li)
{
    size_t i;
    if (2 * (size_t)(s->nl + 1) > s->n_slots) {
        size_t n = s->n_slots ? 2 * s->n_slots : 64, k;
        long *v = malloc(n * sizeof(*v));
        if (!v)
            return false;
        for (k = 0; k < n; k++)
            v[k] = -1;
        free(s->slots);
        s->slots = v;
        s->n_slots = n;
        for (k = 0; k < (size_t)li; k++) {
            for (i = llmt_hash64(s->l[k].custom_id, 0) & (n - 1); v[i] >= 0; i = (i + 1) & (n - 1))
                ;
            v[i] = (long)k;
        }
    }
    for (i = llmt_hash64(s->l[li].custom_id, 0) & (s->n_slots - 1); s->slots[i] >= 0;
         i = (i + 1) & (s->n_slots - 1))
        ;
    s->slots[i] = li;
    return true;
}

/* Adds a line (custom_id copied) for batch bi; its index, or -1 when out of memory. */
static long add_line(llmt_batch_set *s, const char *id, long bi)
{
    long li;
    if (s->nl == s->cap_l) {
        size_t cap = s->cap_l ? 2 * s->cap_l : 64;
        bline *v = realloc(s->l, cap * sizeof(*v));
        if (!v)
            return -1;
        s->l = v;
        s->cap_l = cap;
    }
    li = (long)s->nl;
    memset(&s->l[li], 0, sizeof s->l[li]);
    s->l[li].custom_id = llmt_strdup(id);
    s->l[li].batch = bi;
    if (!s->l[li].custom_id || !index_put(s, li)) {
        free(s->l[li].custom_id);
        return -1;
    }
    s->nl++;
    return li;
}

static long add_batch(llmt_batch_set *s, llmt_provider_entry *e, const char *model)
{
    batch *b;
    if (s->nb == s->cap_b) {
        size_t cap = s->cap_b ? 2 * s->cap_b : 8;
        batch *v = realloc(s->b, cap * sizeof(*v));
        if (!v)
            return -1;
        s->b = v;
        s->cap_b = cap;
    }
    b = &s->b[s->nb];
    memset(b, 0, sizeof(*b));
    b->entry = e;
    b->model = llmt_strdup(model);
    return (long)s->nb++;
}

static bool batch_add_id(batch *b, const char *id)
{
    if (b->n_ids == b->cap_ids) {
        size_t cap = b->cap_ids ? 2 * b->cap_ids : 16;
        char **v = realloc(b->ids, cap * sizeof(*v));
        if (!v)
            return false;
        b->ids = v;
        b->cap_ids = cap;
    }
    b->ids[b->n_ids] = llmt_strdup(id);
    return b->ids[b->n_ids++] != NULL;
}

/* ---------------------------------------------------------------- batches.jsonl */

static void load_record(json_t *r, void *ud)
{
    llmt_batch_set *s = ud;
    llmt_registry *reg = llmt_manager_registry(s->mgr);
    const char *prov = json_string_value(json_object_get(r, "provider"));
    const char *model = json_string_value(json_object_get(r, "model"));
    const char *id = json_string_value(json_object_get(r, "batch_id"));
    json_t *ids = json_object_get(r, "custom_ids"), *v;
    llmt_provider_entry *e = prov ? llmt_registry_find(reg, prov) : NULL;
    size_t i;
    long bi;
    if (!e || !model || !id || !json_is_array(ids))
        return;
    bi = add_batch(s, e, model);
    if (bi < 0)
        return;
    s->b[bi].id = llmt_strdup(id);
    s->b[bi].recorded = true;
    json_array_foreach(ids, i, v) {
        const char *cid = json_string_value(v);
        long li = cid ? find_line(s, cid) : -1;
        if (!cid || !batch_add_id(&s->b[bi], cid))
            continue;
        if (li >= 0)
            s->l[li].batch = bi; /* sent again after a cancel: the later batch answers it */
        else
            add_line(s, cid, bi);
    }
}

/* Appends the record of a submitted batch and syncs it: once the provider has named
 * the batch, neither an interrupt nor a crash may lose it. */
static llmt_status record_batch(llmt_batch_set *s, batch *b, llmt_error *err)
{
    llmt_buf t = {0};
    char when[40];
    size_t i;
    int fd;
    llmt_iso_time(llmt_wall_time_s(), when, sizeof when);
    llmt_buf_puts(&t, "{\"provider\":");
    llmt_json_put_string(&t, b->entry->config->name, strlen(b->entry->config->name), true);
    llmt_buf_puts(&t, ",\"model\":");
    llmt_json_put_string(&t, b->model, strlen(b->model), true);
    llmt_buf_puts(&t, ",\"batch_id\":");
    llmt_json_put_string(&t, b->id, strlen(b->id), true);
    llmt_buf_printf(&t, ",\"submitted_at\":\"%s\",\"requests\":%zu,\"custom_ids\":[", when,
                    b->n_ids);
    for (i = 0; i < b->n_ids; i++) {
        if (i)
            llmt_buf_puts(&t, ",");
        llmt_json_put_string(&t, b->ids[i], strlen(b->ids[i]), true);
    }
    llmt_buf_puts(&t, "]}\n");
    if (t.oom) {
        llmt_buf_free(&t);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, t.data, t.len) != (ssize_t)t.len || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        llmt_buf_free(&t);
        return llmt_error_set(err, LLMT_E_IO, "%s: %s (batch %s was submitted)", s->path,
                              strerror(e), b->id);
    }
    close(fd);
    llmt_buf_free(&t);
    b->recorded = true;
    return LLMT_OK;
}

llmt_status llmt_batch_set_new(llmt_manager *mgr, const llmt_batch_options *o,
                               llmt_batch_set **out, llmt_error *err)
{
    llmt_batch_set *s = calloc(1, sizeof(*s));
    llmt_status st = LLMT_OK;
    *out = NULL;
    if (!s)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    s->mgr = mgr;
    s->o = *o;
    s->path = llmt_path_join(o->dir ? o->dir : ".", BATCH_FILE);
    if (!s->path)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    else if (llmt_path_exists(s->path))
        st = llmt_jsonl_foreach(s->path, load_record, s, err);
    if (st != LLMT_OK) {
        llmt_batch_set_free(s);
        return st;
    }
    *out = s;
    return LLMT_OK;
}

void llmt_batch_set_free(llmt_batch_set *s)
{
    size_t i, j;
    if (!s)
        return;
    for (i = 0; i < s->nb; i++) {
        free(s->b[i].model);
        free(s->b[i].id);
        free(s->b[i].fail_msg);
        llmt_buf_free(&s->b[i].lines);
        llmt_batch_status_clear(&s->b[i].st);
        for (j = 0; j < s->b[i].n_ids; j++)
            free(s->b[i].ids[j]);
        free(s->b[i].ids);
    }
    for (i = 0; i < s->nl; i++) {
        free(s->l[i].custom_id);
        llmt_batch_result_clear(&s->l[i].res);
    }
    free(s->b);
    free(s->l);
    for (i = 0; i < s->n_noted; i++)
        free(s->noted[i]);
    free(s->noted);
    free(s->slots);
    free(s->path);
    free(s);
}

/* ---------------------------------------------------------------- adding lines */

/* Line li is a pending job of this invocation: its batch is needed until it has a result. */
static void want_line(llmt_batch_set *s, long li)
{
    bline *l = &s->l[li];
    if (l->wanted || l->batch < 0)
        return;
    l->wanted = true;
    s->b[l->batch].needed = true;
    if (!l->has_result)
        s->b[l->batch].missing++;
}

/* The open batch for the call's provider and model (and structured-output format, where
 * the provider needs one per batch) that can take `len` more bytes. */
static long open_batch(llmt_batch_set *s, const llmt_call *call, size_t len)
{
    llmt_batch_limits lim;
    size_t i = s->nb;
    uint64_t format = 0;
    long bi;
    memset(&lim, 0, sizeof lim);
    call->entry->ops->batch_limits(call->entry->state, &lim);
    if (lim.one_format)
        format = llmt_hash64(call->req.json_schema ? call->req.json_schema : "",
                             (uint64_t)call->req.structured_mode + 1);
    while (i-- > 0) {
        batch *b = &s->b[i];
        if (b->recorded || b->entry != call->entry || strcmp(b->model, call->req.model) != 0 ||
            b->format != format)
            continue;
        if ((lim.max_requests > 0 && b->n_lines + 1 > (size_t)lim.max_requests) ||
            (lim.max_bytes > 0 && b->n_lines && b->lines.len + len + 1 > (size_t)lim.max_bytes))
            break; /* full: start the next one */
        return (long)i;
    }
    bi = add_batch(s, call->entry, call->req.model);
    if (bi >= 0)
        s->b[bi].format = format;
    return bi;
}

/* Says once per provider:model why some of its jobs run interactively under --batch. */
static void note_interactive(llmt_batch_set *s, const llmt_call *call, const llmt_error *why)
{
    char *key = llmt_asprintf("%s:%s", call->entry->config->name, call->req.model);
    char **v;
    size_t i;
    for (i = 0; key && i < s->n_noted; i++)
        if (strcmp(s->noted[i], key) == 0)
            break;
    if (!key || i < s->n_noted || !(v = realloc(s->noted, (s->n_noted + 1) * sizeof(*v)))) {
        free(key);
        return;
    }
    s->noted = v;
    s->noted[s->n_noted++] = key;
    llmt_logf(&llmt_manager_opts(s->mgr)->logger, LLMT_LOG_WARN,
              "%s: %s; those cases run interactively", key, why->message);
}

/* Appends a batch line (len bytes, no newline) to new batch bi as line li, which may
 * come from a cancelled batch (it is then no longer missing there). */
static bool put_line(llmt_batch_set *s, long bi, long li, const char *line, size_t len)
{
    batch *b = &s->b[bi];
    bline *l = &s->l[li];
    if (!batch_add_id(b, l->custom_id))
        return false;
    llmt_buf_append(&b->lines, line, len);
    llmt_buf_puts(&b->lines, "\n");
    b->n_lines++;
    if (l->wanted && l->batch >= 0 && s->b[l->batch].missing > 0)
        s->b[l->batch].missing--;
    llmt_batch_result_clear(&l->res); /* a "cancelled" line of the old batch */
    l->has_result = false;
    l->batch = bi;
    l->wanted = false;
    want_line(s, li);
    return !b->lines.oom;
}

static bool cancelled_without(llmt_batch_set *s, long li);

llmt_status llmt_batch_add(llmt_batch_set *s, const llmt_call *call, const char *custom_id,
                           double max_cost_usd, llmt_error *err)
{
    long li = find_line(s, custom_id), bi;
    char *line = NULL;
    size_t len = 0;
    llmt_status st;
    if (li >= 0 && !cancelled_without(s, li)) {
        want_line(s, li);
        return LLMT_OK;
    }
    if (s->o.budget_usd >= 0 && max_cost_usd >= 0 &&
        s->reserved_usd + max_cost_usd > s->o.budget_usd) {
        if (li >= 0) {
            s->l[li].batch = -1;
            return LLMT_OK;
        }
        return add_line(s, custom_id, -1) < 0 ? llmt_error_set(err, LLMT_E_NOMEM, "out of memory")
                                              : LLMT_OK;
    }
    st = call->entry->ops->batch_line(call->entry->state, &call->req, custom_id, &line, &len, err);
    if (st == LLMT_E_UNSUPPORTED) {
        /* the batch API cannot take this request: left out, it runs interactively */
        note_interactive(s, call, err);
        llmt_error_clear(err);
        return LLMT_OK;
    }
    if (st != LLMT_OK)
        return st;
    bi = open_batch(s, call, len);
    if (li < 0 && bi >= 0)
        li = add_line(s, custom_id, -1);
    if (bi < 0 || li < 0 || !put_line(s, bi, li, line, len)) {
        free(line);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    if (max_cost_usd > 0)
        s->reserved_usd += max_cost_usd;
    free(line);
    return LLMT_OK;
}

/* ---------------------------------------------------------------- HTTP */

/* Batch replies carry whole results files (an output file of 50,000 answers, a batch
 * operation holding up to 20 MB of inline answers), far above the interactive reply cap
 * (LLMT_DEFAULT_MAX_REPLY_BYTES): they are read up to 4 GiB, or half the address space. */
static size_t batch_max_reply(void)
{
    unsigned long long cap = 4ULL << 30;
    return cap < SIZE_MAX / 2 ? (size_t)cap : SIZE_MAX / 2;
}

/* Performs one provider request; a non-2xx reply goes to the provider's classifier. On
 * success *res holds the reply (the caller frees it). */
static llmt_status exchange(llmt_manager *mgr, llmt_provider_entry *e, llmt_http_request *req,
                            llmt_http_result *res, llmt_error *err)
{
    llmt_http_options ho;
    llmt_http_response view;
    llmt_status st;
    memset(&ho, 0, sizeof ho);
    ho.timeout_ms = 600000; /* uploads and result files can be large */
    ho.connect_timeout_ms = 10000;
    ho.max_reply_bytes = batch_max_reply();
    ho.secret = e->api_key;
    ho.logger = &llmt_manager_opts(mgr)->logger;
    memset(res, 0, sizeof(*res));
    llmt_http_log_request(ho.logger, req, e->api_key);
    st = llmt_http_perform(req, &ho, res, err);
    llmt_http_request_clear(req);
    if (st != LLMT_OK)
        return st;
    view = llmt_http_result_view(res);
    if (view.status >= 200 && view.status < 300)
        return LLMT_OK;
    llmt_error_clear(err);
    st = e->ops->classify_error(e->state, &view, err);
    if (st == LLMT_OK)
        st = llmt_error_set(err, LLMT_E_SERVER, "HTTP %ld", view.status);
    llmt_http_result_free(res);
    return st;
}

static void batch_fail(batch *b, llmt_status st, const llmt_error *err)
{
    b->fail = st;
    free(b->fail_msg);
    b->fail_msg = llmt_strdup(err->message);
    b->ended = true;
}

static llmt_status submit(llmt_batch_set *s, batch *b, llmt_error *err)
{
    llmt_batch_submit sub;
    llmt_http_result res;
    llmt_http_response view;
    llmt_status st = LLMT_OK;
    bool have = false;
    memset(&sub, 0, sizeof sub);
    sub.lines = b->lines.data;
    sub.lines_len = b->lines.len;
    sub.n_lines = b->n_lines;
    sub.model = b->model;
    sub.label = s->o.label;
    while (st == LLMT_OK && !sub.done && sub.step < 16) {
        llmt_http_request req;
        memset(&req, 0, sizeof req);
        sub.reply = have ? &view : NULL;
        st = b->entry->ops->batch_submit(b->entry->state, &sub, &req, err);
        if (have) {
            llmt_http_result_free(&res);
            have = false;
        }
        if (st != LLMT_OK || sub.done) {
            llmt_http_request_clear(&req);
            break;
        }
        st = exchange(s->mgr, b->entry, &req, &res, err);
        if (st == LLMT_OK) {
            view = llmt_http_result_view(&res);
            have = true;
        }
        sub.step++;
    }
    if (have)
        llmt_http_result_free(&res);
    if (st == LLMT_OK && (!sub.done || !sub.batch_id))
        st = llmt_error_set(err, LLMT_E_INTERNAL, "%s: the batch submit did not finish",
                            b->entry->config->name);
    if (st == LLMT_OK) {
        b->id = sub.batch_id;
        sub.batch_id = NULL;
    }
    free(sub.batch_id);
    free(sub.scratch);
    llmt_buf_free(&b->lines);
    return st;
}

static llmt_status poll_one(llmt_batch_set *s, batch *b, llmt_error *err)
{
    llmt_http_request req;
    llmt_http_result res;
    llmt_http_response view;
    llmt_status st;
    memset(&req, 0, sizeof req);
    st = b->entry->ops->batch_poll(b->entry->state, b->id, &req, err);
    if (st != LLMT_OK) {
        llmt_http_request_clear(&req);
        return st;
    }
    st = exchange(s->mgr, b->entry, &req, &res, err);
    if (st != LLMT_OK)
        return st;
    view = llmt_http_result_view(&res);
    llmt_batch_status_clear(&b->st);
    st = b->entry->ops->batch_status(b->entry->state, &view, &b->st, err);
    llmt_http_result_free(&res);
    return st;
}

/* Takes the result lines of `text` that belong to batch b. */
static void read_lines(llmt_batch_set *s, batch *b, const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        llmt_batch_result r;
        llmt_error lerr;
        long li;
        memset(&r, 0, sizeof r);
        if (n && b->entry->ops->batch_result_line(b->entry->state, p, n, &r, &lerr) == LLMT_OK &&
            (li = find_line(s, r.custom_id)) >= 0 && s->l[li].batch == b - s->b &&
            !s->l[li].has_result) {
            s->l[li].res = r;
            s->l[li].has_result = true;
            if (s->l[li].wanted && b->missing > 0)
                b->missing--;
        } else {
            llmt_batch_result_clear(&r);
        }
        p += n + 1;
    }
}

/* Reads the results parts of an ended batch into its lines, only while this invocation
 * still misses some: a part already read is not fetched again (a retry after a failed
 * part), and once every wanted line has its result the remaining parts are left alone
 * (an errors file when all the missing lines were answered). The APIs return whole
 * files, so a part is all or nothing. */
static llmt_status fetch_results(llmt_batch_set *s, batch *b, llmt_error *err)
{
    unsigned part;
    if (b->st.inline_results)
        read_lines(s, b, b->st.inline_results, strlen(b->st.inline_results));
    for (part = 0; part < 8 && b->missing > 0; part++) {
        llmt_http_request req;
        llmt_http_result res;
        llmt_status st;
        if (b->parts_read & (1u << part))
            continue;
        memset(&req, 0, sizeof req);
        st = b->entry->ops->batch_results(b->entry->state, &b->st, part, &req, err);
        if (st == LLMT_E_NOT_FOUND) {
            llmt_http_request_clear(&req);
            continue;
        }
        if (st == LLMT_OK)
            st = exchange(s->mgr, b->entry, &req, &res, err);
        else
            llmt_http_request_clear(&req);
        if (st != LLMT_OK)
            return st;
        read_lines(s, b, res.body.data ? res.body.data : "", res.body.len);
        llmt_http_result_free(&res);
        b->parts_read |= 1u << part;
    }
    return LLMT_OK;
}

/* --resume --batch: whether line li (not yet wanted) sits in a recorded batch that was
 * cancelled before answering it. The first time a line of a recorded batch is asked
 * for, that batch is polled; a cancelled one has every results part read (what it
 * answered before the cancel is kept) and ends there. Its unanswered lines (no result,
 * or a result line saying it was cancelled) then go into a new batch instead of waiting
 * for a batch that will never answer them. */
static bool cancelled_without(llmt_batch_set *s, long li)
{
    long bi = s->l[li].batch;
    batch *b;
    llmt_error err;
    if (bi < 0 || s->l[li].wanted)
        return false;
    b = &s->b[bi];
    if (!b->recorded || !b->id)
        return false;
    if (!b->checked) {
        b->checked = true;
        b->fresh = llmt_manager_instance(s->mgr, b->entry, &err) == LLMT_OK &&
                   poll_one(s, b, &err) == LLMT_OK;
        if (b->fresh && b->st.state == LLMT_BATCH_ENDED && b->st.state_text &&
            llmt_str_contains_ci(b->st.state_text, "cancel")) {
            b->missing = (size_t)-1; /* which lines are wanted is not known yet: read all */
            b->ended = fetch_results(s, b, &err) == LLMT_OK;
            b->missing = 0;
        }
    }
    return b->ended && b->fail == LLMT_OK && b->st.state_text &&
           llmt_str_contains_ci(b->st.state_text, "cancel") &&
           (!s->l[li].has_result ||
            (s->l[li].res.http_status == 0 && s->l[li].res.failure == LLMT_E_CANCELLED));
}

static void report(llmt_batch_set *s, const char *last)
{
    llmt_batch_progress p;
    size_t i;
    if (!s->o.progress)
        return;
    memset(&p, 0, sizeof p);
    p.last_state = last;
    for (i = 0; i < s->nb; i++) {
        if (!s->b[i].needed)
            continue;
        p.batches++;
        p.ended += s->b[i].ended;
        if (s->b[i].st.total > 0)
            p.total += s->b[i].st.total;
        if (s->b[i].st.succeeded > 0)
            p.succeeded += s->b[i].st.succeeded;
        if (s->b[i].st.failed > 0)
            p.failed += s->b[i].st.failed;
    }
    s->o.progress(s->o.progress_ud, &p);
}

static bool stopped(const llmt_batch_set *s)
{
    return s->o.interrupted && *s->o.interrupted;
}

/* Sleeps ms in short steps, returning early on an interrupt. */
static void nap(const llmt_batch_set *s, double ms)
{
    double until = llmt_now_ms() + ms;
    while (!stopped(s) && llmt_now_ms() < until) {
        double left = until - llmt_now_ms();
        struct timespec ts;
        if (left > 100)
            left = 100;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(left * 1e6);
        nanosleep(&ts, NULL);
    }
}

/* One pass over the batches not yet ended: poll, and read the results of those that
 * ended. Returns how many are still running. */
static size_t poll_pass(llmt_batch_set *s, const char **last)
{
    size_t i, running = 0;
    for (i = 0; i < s->nb && !stopped(s); i++) {
        batch *b = &s->b[i];
        llmt_error err;
        llmt_status st;
        if (!b->needed || b->ended || !b->id)
            continue;
        st = b->fresh ? LLMT_OK : poll_one(s, b, &err);
        b->fresh = false;
        if (st != LLMT_OK) {
            /* a transient failure is polled again; anything else ends the batch */
            if (!err.retryable)
                batch_fail(b, st, &err);
            running += !b->ended;
            continue;
        }
        *last = b->st.state_text;
        if (b->st.state == LLMT_BATCH_FAILED) {
            llmt_error_set(&err, LLMT_E_BAD_REQUEST, "%s batch %s failed: %s",
                           b->entry->config->name, b->id,
                           b->st.message ? b->st.message : b->st.state_text);
            batch_fail(b, LLMT_E_BAD_REQUEST, &err);
        } else if (b->st.state == LLMT_BATCH_ENDED) {
            st = fetch_results(s, b, &err);
            if (st == LLMT_OK)
                b->ended = true;
            else if (!err.retryable)
                batch_fail(b, st, &err);
        }
        running += !b->ended;
    }
    return running;
}

llmt_status llmt_batch_submit_all(llmt_batch_set *s, llmt_error *err)
{
    size_t i;
    for (i = 0; i < s->nb && !stopped(s); i++) {
        batch *b = &s->b[i];
        llmt_error serr;
        llmt_status st;
        if (b->recorded || !b->n_lines)
            continue;
        st = submit(s, b, &serr);
        if (st != LLMT_OK) {
            batch_fail(b, st, &serr);
            continue;
        }
        st = record_batch(s, b, err);
        if (st != LLMT_OK)
            return st;
    }
    return LLMT_OK;
}

void llmt_batch_wait(llmt_batch_set *s)
{
    double wait = s->o.poll_ms > 0 ? s->o.poll_ms : 5000;
    double cap = s->o.poll_max_ms > 0 ? s->o.poll_max_ms : 300000;
    const char *last = NULL;
    while (!stopped(s) && poll_pass(s, &last) > 0) {
        report(s, last);
        nap(s, wait);
        wait = wait * 1.5 < cap ? wait * 1.5 : cap;
    }
    report(s, last);
}

llmt_status llmt_batch_answer(llmt_batch_set *s, const char *custom_id,
                              llmt_http_response *http, llmt_error *err)
{
    long li = find_line(s, custom_id);
    const bline *l;
    const batch *b;
    if (li < 0)
        return LLMT_E_NOT_FOUND;
    l = &s->l[li];
    if (l->batch < 0)
        return llmt_error_set(err, LLMT_E_BUDGET,
                              "not submitted: the batch line would pass the budget of $%.6f",
                              s->o.budget_usd);
    b = &s->b[l->batch];
    if (l->has_result && l->res.http_status > 0) {
        memset(http, 0, sizeof(*http));
        http->status = l->res.http_status;
        http->body = l->res.body ? l->res.body : "";
        http->body_len = l->res.body_len;
        return LLMT_OK;
    }
    if (l->has_result) {
        llmt_status st = llmt_error_set(err, l->res.failure ? l->res.failure : LLMT_E_SERVER, "%s",
                                        l->res.message ? l->res.message : "batch line failed");
        err->retryable = false;
        return st;
    }
    if (b->fail != LLMT_OK)
        return llmt_error_set(err, b->fail, "%s", b->fail_msg ? b->fail_msg : "the batch failed");
    /* the provider's state word, whatever its case: expired, BATCH_STATE_EXPIRED */
    if (b->ended && b->st.state_text && llmt_str_contains_ci(b->st.state_text, "expire"))
        return llmt_error_set(err, LLMT_E_TIMEOUT, "batch %s %s before answering %s", b->id,
                              b->st.state_text, custom_id);
    if (b->ended && b->st.state_text && !llmt_str_contains_ci(b->st.state_text, "cancel"))
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "batch %s (%s) has no result for %s",
                              b->id, b->st.state_text, custom_id);
    return llmt_error_set(err, LLMT_E_CANCELLED, "batch %s has not answered %s yet",
                          b->id ? b->id : "(not submitted)", custom_id);
}

/* ---------------------------------------------------------------- the runner's side */

double llmt_batch_reserved(const llmt_batch_set *s)
{
    return s->reserved_usd;
}

bool llmt_batch_model(llmt_manager *mgr, const char *model_ref)
{
    llmt_provider_entry *e = NULL;
    const llmt_model_config *m = NULL;
    llmt_error err;
    return llmt_call_resolve(llmt_manager_registry(mgr), model_ref, &e, &m, &err) == LLMT_OK &&
           llmt_batch_capable(e) && llmt_manager_instance(mgr, e, &err) == LLMT_OK;
}

double llmt_batch_factor(llmt_manager *mgr, const char *model_ref)
{
    llmt_provider_entry *e;
    const llmt_model_config *m;
    llmt_error err;
    if (llmt_call_resolve(llmt_manager_registry(mgr), model_ref, &e, &m, &err) != LLMT_OK ||
        !llmt_batch_capable(e))
        return 1.0;
    return llmt_call_batch_factor(e->config, m);
}

llmt_status llmt_batch_add_job(llmt_batch_set *s, const char *model_ref, const llmt_request *req,
                               const char *custom_id, llmt_error *err)
{
    llmt_provider_entry *e = NULL;
    const llmt_model_config *m = NULL;
    llmt_error cerr;
    llmt_call call;
    double lo = 0, hi = -1;
    bool known = false;
    long in = 0;
    llmt_status st = LLMT_OK;
    if (llmt_call_resolve(llmt_manager_registry(s->mgr), model_ref, &e, &m, &cerr) != LLMT_OK)
        return LLMT_OK;
    llmt_call_prepare(&call, e, m, req);
    if (llmt_engine_estimate(s->mgr, model_ref, req, &lo, &hi, &known, &in, &cerr) != LLMT_OK ||
        !known)
        hi = -1;
    else
        hi *= llmt_call_batch_factor(e->config, m);
    if (llmt_call_check_files(&call, 0, &cerr) == LLMT_OK)
        st = llmt_batch_add(s, &call, custom_id, hi, err);
    llmt_call_clear(&call);
    return st;
}

bool llmt_batch_answer_call(llmt_batch_set *s, const char *custom_id, llmt_call *call,
                            llmt_response *resp, llmt_status *st, llmt_error *err)
{
    llmt_http_response http;
    *st = llmt_batch_answer(s, custom_id, &http, err);
    if (*st == LLMT_E_NOT_FOUND)
        return false;
    if (*st == LLMT_OK)
        *st = llmt_call_handle_http(call, &http, resp, err);
    if (*st == LLMT_OK)
        llmt_batch_stamp(call, resp);
    return true;
}

void llmt_batch_stamp(llmt_call *call, llmt_response *resp)
{
    llmt_call_stamp(call, resp);
    llmt_call_price_batch(call->entry->config, call->model, resp);
    resp->from_batch = true;
}

/* ---------------------------------------------------------------- batches list|cancel */

llmt_status llmt_batch_list(llmt_manager *mgr, const char *dir, bool cancel,
                            void (*line)(void *ud, const char *text), void *ud, llmt_error *err)
{
    llmt_batch_options o;
    llmt_batch_set *s;
    llmt_status st;
    size_t i;
    memset(&o, 0, sizeof o);
    o.dir = dir;
    o.budget_usd = -1;
    st = llmt_batch_set_new(mgr, &o, &s, err);
    if (st != LLMT_OK)
        return st;
    if (!llmt_path_exists(s->path)) {
        llmt_batch_set_free(s);
        return llmt_error_set(err, LLMT_E_NOT_FOUND, "%s: no batches.jsonl there (not a --batch run)",
                              dir);
    }
    for (i = 0; i < s->nb; i++) {
        batch *b = &s->b[i];
        llmt_error perr;
        char *text;
        st = llmt_manager_instance(mgr, b->entry, &perr);
        if (st == LLMT_OK)
            st = poll_one(s, b, &perr);
        if (st == LLMT_OK && cancel && b->st.state == LLMT_BATCH_RUNNING) {
            llmt_http_request req;
            llmt_http_result res;
            memset(&req, 0, sizeof req);
            st = b->entry->ops->batch_cancel(b->entry->state, b->id, &req, &perr);
            if (st == LLMT_OK)
                st = exchange(mgr, b->entry, &req, &res, &perr);
            else
                llmt_http_request_clear(&req);
            if (st == LLMT_OK) {
                llmt_http_result_free(&res);
                st = poll_one(s, b, &perr);
            }
        }
        if (st == LLMT_OK)
            text = llmt_asprintf("%s\t%s\t%s\t%s\t%ld requests, %ld succeeded, %ld failed",
                                 b->entry->config->name, b->model, b->id, b->st.state_text,
                                 b->st.total, b->st.succeeded, b->st.failed);
        else
            text = llmt_asprintf("%s\t%s\t%s\terror\t%s", b->entry->config->name, b->model,
                                 b->id, perr.message);
        if (text)
            line(ud, text);
        free(text);
    }
    llmt_batch_set_free(s);
    return LLMT_OK;
}
