#include "exec/tape.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "provider/secrets.h"
#include "store/cache.h"

void llmt_tape_slot_clear(llmt_tape_slot *s)
{
    free(s->request);
    free(s->reply);
    llmt_cassette_headers_free(s->headers, s->n_headers);
    memset(s, 0, sizeof(*s));
    s->at_ms = -1;
}

bool llmt_tape_applies(const llmt_cassette *c, const llmt_engine_job *job)
{
    return c && job->task && job->kase && !job->fetch;
}

void llmt_tape_redact_keys(llmt_cassette *c, llmt_registry *reg, const char *project_dir)
{
    size_t i, n = llmt_registry_count(reg);
    for (i = 0; i < n; i++) {
        const llmt_provider_entry *e = llmt_registry_at(reg, i);
        char *key = e->config->env_key[0] ? llmt_secret_lookup(e->config->env_key, project_dir)
                                          : NULL;
        const char *k = key;
        if (k)
            llmt_cassette_redact(c, &k, 1); /* out of memory: each put names the key again */
        free(key);
    }
}

/* The headers of a reply the cassette keeps (copied; names are lower-cased already).
 * Out of memory: fewer headers, never a header that is not on the list. */
static void keep_headers(llmt_tape_slot *s, llmt_http_result *res)
{
    llmt_http_response view = llmt_http_result_view(res);
    size_t i;
    if (!view.n_headers || !(s->headers = calloc(view.n_headers, sizeof(*s->headers))))
        return;
    for (i = 0; i < view.n_headers; i++) {
        llmt_http_header *h = &s->headers[s->n_headers];
        if (!llmt_cassette_keeps_header(view.headers[i].name))
            continue;
        h->name = llmt_strdup(view.headers[i].name);
        h->value = llmt_strdup(view.headers[i].value);
        if (h->name && h->value) {
            s->n_headers++;
        } else {
            free(h->name);
            free(h->value);
            h->name = h->value = NULL;
        }
    }
}

void llmt_tape_keep_http(llmt_tape_slot *s, llmt_http_request *req, llmt_http_result *res,
                         double received_at)
{
    llmt_tape_slot_clear(s);
    s->request = req->body ? llmt_strndup(req->body, req->body_len) : NULL;
    if (!res)
        return;
    keep_headers(s, res);
    s->received_at = received_at;
    s->reply = res->body.data ? res->body.data : llmt_strdup(""); /* moved: the result is
                                                                      released right after */
    s->reply_len = res->body.data ? res->body.len : 0;
    s->http_status = res->status;
    memset(&res->body, 0, sizeof res->body);
}

void llmt_tape_keep_local(llmt_tape_slot *s, const llmt_call *call)
{
    llmt_tape_slot_clear(s);
    s->request = llmt_cache_key(call->entry->config->name, &call->req);
}

/* Who asks: the job's task, case and repeat, the chain entry, and the number of this
 * attempt among the job's attempts to that entry. */
static void who_of(llmt_cassette_entry *who, const llmt_engine_job *job, const char *model,
                   const llmt_attempts *done)
{
    unsigned i;
    memset(who, 0, sizeof(*who));
    who->task = job->task;
    who->kase = job->kase;
    who->model = model;
    who->repeat = job->repeat;
    who->attempt = 1;
    for (i = 0; i < done->n; i++)
        if (done->v[i].model && strcmp(done->v[i].model, model) == 0)
            who->attempt++;
}

/* A failure without a reply into e (borrowing err's strings): its class and message,
 * and what steers its retry, replayed as it was rather than guessed from the class. */
static void failure_into(llmt_cassette_entry *e, llmt_status st, const llmt_error *err)
{
    e->error_class = llmt_status_name(st);
    e->error_message = err->message;
    e->error_detail = true;
    e->error_retryable = err->retryable;
    e->error_http_status = err->http_status;
    e->error_retry_after_s = err->retry_after_s;
    e->error_code = err->code;
}

void llmt_tape_put(llmt_cassette *c, const llmt_engine_job *job, const char *model,
                   const llmt_attempts *done, const llmt_call *call, llmt_tape_slot *s,
                   llmt_status st, const llmt_response *resp, const llmt_error *err,
                   double at_ms, double latency_ms, const llmt_logger *lg)
{
    llmt_cassette_entry e;
    llmt_error perr;
    const char *key = call->entry ? call->entry->api_key : NULL;
    char *rkey;
    if (!s->request) /* nothing was sent (refused before sending) */
        return;
    who_of(&e, job, model, done);
    e.request = s->request;
    e.reply = s->reply;
    e.reply_len = s->reply_len;
    e.http_status = s->http_status;
    e.headers = s->headers;
    e.n_headers = s->n_headers;
    e.received_at = s->received_at;
    e.at_ms = at_ms;
    e.batch = s->batch;
    e.input_tokens = e.output_tokens = -1;
    if (st == LLMT_OK) {
        if (!s->reply) { /* a local provider: its text is the reply */
            e.reply = resp->text;
            e.reply_len = strlen(resp->text);
        }
        e.input_tokens = resp->usage.input_tokens;
        e.output_tokens = resp->usage.output_tokens;
        e.cost_known = resp->cost_known;
        e.cost_usd = resp->cost_usd;
    } else if (!s->reply) { /* a transport or local failure: no reply, its class */
        failure_into(&e, st, err);
    }
    e.latency_ms = latency_ms;
    /* an HTTP exchange also keeps the response cache's key of the request, to review;
     * a local provider's request is that key already */
    rkey = call->entry && !(call->entry->ops->capabilities & LLMT_CAP_LOCAL)
               ? llmt_cache_key(call->entry->config->name, &call->req)
               : NULL;
    e.key = rkey;
    if (key && llmt_cassette_redact(c, &key, 1) != LLMT_OK)
        llmt_error_set(&perr, LLMT_E_NOMEM, "out of memory");
    else if (llmt_cassette_put(c, &e, &perr) == LLMT_OK)
        perr.status = LLMT_OK;
    if (perr.status != LLMT_OK) /* never recorded with the key in it */
        llmt_logf(lg, LLMT_LOG_WARN, "record: %s/%s with %s not recorded: %s", job->task,
                  job->kase, model, perr.message);
    free(rkey);
    llmt_tape_slot_clear(s);
}

/* A recorded failure's error: its class, message and (format 2) what steers a retry. */
static void error_of(const llmt_cassette_entry *e, llmt_status st, llmt_error *err)
{
    llmt_error_set(err, st, "%s", e->error_message ? e->error_message : "");
    if (!e->error_detail)
        return;
    err->retryable = e->error_retryable;
    err->http_status = e->error_http_status;
    err->retry_after_s = e->error_retry_after_s;
    snprintf(err->code, sizeof err->code, "%s", e->error_code ? e->error_code : "");
}

void llmt_tape_put_unsent(llmt_cassette *c, const llmt_engine_job *job, const char *model,
                          const llmt_attempts *done, const llmt_error *err, double at_ms,
                          const llmt_logger *lg)
{
    llmt_cassette_entry e;
    llmt_error perr;
    who_of(&e, job, model, done);
    e.unsent = true;
    e.at_ms = at_ms;
    e.input_tokens = e.output_tokens = -1;
    failure_into(&e, err->status, err);
    if (llmt_cassette_put(c, &e, &perr) != LLMT_OK)
        llmt_logf(lg, LLMT_LOG_WARN, "record: %s/%s with %s not recorded: %s", job->task,
                  job->kase, model, perr.message);
}

bool llmt_tape_unsent(llmt_cassette *c, const llmt_engine_job *job, const char *model,
                      const llmt_attempts *done, llmt_error *err, double *at_ms)
{
    llmt_cassette_entry who;
    const llmt_cassette_entry *e;
    llmt_status st;
    who_of(&who, job, model, done);
    e = llmt_cassette_get(c, &who);
    if (!e || !e->unsent)
        return false;
    if (!e->error_class || !llmt_status_from_name(e->error_class, &st) || st == LLMT_OK)
        st = LLMT_E_RATE_LIMIT;
    error_of(e, st, err);
    *at_ms = e->at_ms;
    return true;
}

/* The job's batch line, as llmt_batch_add would submit it; NULL when the provider makes
 * none (err says why). */
static char *batch_line(llmt_call *call, const char *custom_id, llmt_error *err)
{
    char *line = NULL, *text;
    size_t len = 0;
    if (call->entry->ops->batch_line(call->entry->state, &call->req, custom_id, &line, &len,
                                     err) != LLMT_OK)
        return NULL;
    text = llmt_strndup(line, len);
    free(line);
    return text;
}

void llmt_tape_put_batch(llmt_cassette *c, const llmt_engine_job *job, llmt_call *call,
                         llmt_batch_set *set, const char *custom_id, llmt_status st,
                         const llmt_response *resp, const llmt_error *err,
                         const llmt_logger *lg)
{
    llmt_tape_slot s;
    llmt_http_response http;
    llmt_error lerr;
    llmt_attempts none = {NULL, 0, 0};
    llmt_status got;
    if (st == LLMT_E_CANCELLED) /* no result yet: --resume asks again */
        return;
    memset(&s, 0, sizeof s);
    if (!(s.request = batch_line(call, custom_id, &lerr))) {
        llmt_logf(lg, LLMT_LOG_WARN, "record: %s/%s with %s not recorded: %s", job->task,
                  job->kase, job->chain[0], lerr.message);
        return;
    }
    got = llmt_batch_answer(set, custom_id, &http, &lerr);
    if (got == LLMT_OK) { /* the result line's reply, as the provider's parse path read it */
        s.reply = llmt_strndup(http.body, http.body_len);
        s.reply_len = http.body_len;
        s.http_status = http.status;
    }
    s.batch = true;
    llmt_tape_put(c, job, job->chain[0], &none, call, &s, st, resp, err, 0, 0, lg);
}

bool llmt_tape_replay_batch(llmt_cassette *c, const llmt_engine_job *job, llmt_call *call,
                            const char *custom_id, llmt_response *resp, llmt_status *st,
                            llmt_error *err)
{
    llmt_tape_slot s;
    llmt_attempts none = {NULL, 0, 0};
    llmt_cassette_entry who;
    const llmt_cassette_entry *e;
    who_of(&who, job, job->chain[0], &none);
    e = llmt_cassette_get(c, &who);
    if (!e || !e->batch) /* not answered by a batch when recorded: as the engine runs it */
        return false;
    memset(&s, 0, sizeof s);
    s.batch = true;
    if (!(s.request = batch_line(call, custom_id, err))) {
        *st = err->status;
        return true;
    }
    *st = llmt_tape_replay(c, job, job->chain[0], &none, call, NULL, &s, resp, err);
    if (*st == LLMT_OK) {
        llmt_batch_stamp(call, resp);
        llmt_tape_apply(&s, resp, &resp->latency_ms);
    }
    llmt_tape_slot_clear(&s);
    return true;
}

/* A recorded failure without a reply (transport, local provider): as it was. */
static llmt_status replay_failure(const llmt_cassette_entry *e, const llmt_call *call,
                                  llmt_error *err)
{
    llmt_status st;
    if (!e->error_class || !llmt_status_from_name(e->error_class, &st) || st == LLMT_OK)
        st = LLMT_E_BAD_RESPONSE;
    error_of(e, st, err);
    snprintf(err->provider, sizeof err->provider, "%s", call->entry->config->name);
    if (e->error_detail) /* format 2: as it was */
        return st;
    /* format 1: an HTTP provider's failure without a reply is a transport failure,
     * retried whatever its class (a reply cut short is bad_response, retryable) */
    if (!(call->entry->ops->capabilities & LLMT_CAP_LOCAL))
        err->retryable = true;
    return st;
}

/* A local provider's recorded answer: its text and usage. */
static llmt_status replay_local(const llmt_cassette_entry *e, const llmt_call *call,
                                llmt_response *resp, llmt_error *err)
{
    memset(resp, 0, sizeof(*resp));
    resp->text = llmt_strndup(e->reply, e->reply_len);
    resp->model = llmt_strdup(call->req.model);
    resp->stop_reason = llmt_strdup("stop");
    if (!resp->text || !resp->model || !resp->stop_reason) {
        llmt_response_clear(resp);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    resp->usage.input_tokens = e->input_tokens > 0 ? e->input_tokens : 0;
    resp->usage.output_tokens = e->output_tokens > 0 ? e->output_tokens : 0;
    resp->usage.cached_input_tokens = resp->usage.reasoning_tokens = -1;
    return LLMT_OK;
}

llmt_status llmt_tape_replay(llmt_cassette *c, const llmt_engine_job *job, const char *model,
                             const llmt_attempts *done, llmt_call *call,
                             const llmt_http_request *req, llmt_tape_slot *s,
                             llmt_response *resp, llmt_error *err)
{
    llmt_cassette_entry who;
    const llmt_cassette_entry *e = NULL;
    llmt_http_response view;
    char *body = req && req->body ? llmt_strndup(req->body, req->body_len) : NULL;
    const char *asked = req ? body : s->request;
    llmt_status st;
    memset(resp, 0, sizeof(*resp));
    who_of(&who, job, model, done);
    e = llmt_cassette_get(c, &who);
    if (e && e->batch != s->batch) /* its request is another kind of thing: say which */
        st = llmt_error_set(err, LLMT_E_NOT_RECORDED,
                            "replay: %s/%s with %s (repeat %d) was recorded %s a batch API: "
                            "replay it %s --batch, or record it again",
                            job->task, job->kase, model, job->repeat,
                            e->batch ? "through" : "without", e->batch ? "with" : "without");
    else
        st = asked ? llmt_cassette_find(c, &who, asked, &e, err)
                   : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    free(body);
    if (st != LLMT_OK) {
        err->retryable = false; /* asking again finds nothing more */
        return st;
    }
    s->replayed = true;
    s->hit = e;
    s->latency_ms = e->latency_ms;
    s->cost_known = e->cost_known;
    s->cost_usd = e->cost_usd;
    s->at_ms = e->at_ms;
    if (llmt_tape_reply(s, &view)) { /* an HTTP reply: through the provider's code, its
                                         hints read at the time it came */
        return llmt_call_handle_http(call, &view, resp, err);
    }
    if (e->reply)
        return replay_local(e, call, resp, err);
    return replay_failure(e, call, err);
}

bool llmt_tape_reply(const llmt_tape_slot *s, llmt_http_response *view)
{
    const llmt_cassette_entry *e = s->replayed ? s->hit : NULL;
    if (!e || !e->reply || e->http_status <= 0)
        return false;
    memset(view, 0, sizeof(*view));
    view->status = e->http_status;
    view->body = e->reply;
    view->body_len = e->reply_len;
    view->headers = e->headers;
    view->n_headers = e->n_headers;
    view->received_at = e->received_at; /* its hints read at the time it came */
    return true;
}

double llmt_tape_clock(const llmt_tape_slot *s, double first_start_ms, double now)
{
    if (!s->replayed || s->at_ms < 0) /* format 1: no recorded time, the real one */
        return now;
    return first_start_ms + s->at_ms + s->latency_ms;
}

void llmt_tape_apply(const llmt_tape_slot *s, llmt_response *resp, double *latency_ms)
{
    if (!s->replayed)
        return;
    *latency_ms = s->latency_ms;
    if (!resp) /* a failure: only its latency */
        return;
    resp->latency_ms = s->latency_ms;
    resp->cost_known = s->cost_known;
    resp->cost_usd = s->cost_known ? s->cost_usd : 0;
}
