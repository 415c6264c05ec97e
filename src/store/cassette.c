/* Cassettes: see cassette.h. One file per task, one line per exchange. */
#include "store/cassette.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/util.h"

typedef struct centry {
    llmt_cassette_entry e;  /* every string owned */
    char *id;               /* identity: task, case, model, repeat, attempt */
} centry;

struct llmt_cassette {
    char *dir;
    llmt_cassette_mode mode;
    centry *v;
    size_t n, cap;
    size_t *slots;          /* open-addressing index of v by id: index + 1, 0 = empty */
    size_t n_slots;
    char **secrets;
    size_t n_secrets;
    pthread_mutex_t lock;
};

static char *identity(const llmt_cassette_entry *e)
{
    return llmt_asprintf("%s\x1f%s\x1f%s\x1f%d\x1f%d", e->task, e->kase, e->model, e->repeat,
                         e->attempt);
}

bool llmt_cassette_keeps_header(const char *name)
{
    static const char *const exact[] = {"retry-after", "retry-after-ms", "x-request-id",
                                        "request-id", "content-length", "transfer-encoding",
                                        NULL};
    size_t i;
    for (i = 0; exact[i]; i++)
        if (strcmp(name, exact[i]) == 0)
            return true;
    /* every provider's rate-limit headers (x-ratelimit-*, <vendor>-ratelimit-*, ...) */
    return strstr(name, "ratelimit") != NULL;
}

void llmt_cassette_headers_free(llmt_http_header *h, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

static void centry_free(centry *ce)
{
    free((char *)ce->e.task);
    free((char *)ce->e.kase);
    free((char *)ce->e.model);
    free((char *)ce->e.key);
    free((char *)ce->e.request);
    free((char *)ce->e.reply);
    free((char *)ce->e.error_class);
    free((char *)ce->e.error_message);
    free((char *)ce->e.error_code);
    llmt_cassette_headers_free((llmt_http_header *)ce->e.headers, ce->e.n_headers);
    free(ce->id);
}

/* The index slot of id: where it is, or the empty slot where it would go. */
static size_t *slot_of(llmt_cassette *c, const char *id)
{
    size_t i = (size_t)llmt_hash64(id, 0) & (c->n_slots - 1);
    for (;; i = (i + 1) & (c->n_slots - 1)) {
        size_t *s = &c->slots[i];
        if (!*s || strcmp(c->v[*s - 1].id, id) == 0)
            return s;
    }
}

/* Keeps the index at most half full. */
static bool index_grow(llmt_cassette *c)
{
    size_t i, n = c->n_slots ? c->n_slots * 2 : 256;
    size_t *old = c->slots;
    if (c->n_slots && c->n < c->n_slots / 2)
        return true;
    c->slots = calloc(n, sizeof(*c->slots));
    if (!c->slots) {
        c->slots = old;
        return false;
    }
    c->n_slots = n;
    for (i = 0; i < c->n; i++)
        *slot_of(c, c->v[i].id) = i + 1;
    free(old);
    return true;
}

/* A copy of s with every secret replaced by [REDACTED]. */
static char *redacted(const llmt_cassette *c, const char *s, size_t len, size_t *out_len)
{
    llmt_buf b = {0};
    size_t i = 0, k;
    if (!s)
        return NULL;
    while (i < len) {
        for (k = 0; k < c->n_secrets; k++) {
            size_t sl = strlen(c->secrets[k]);
            if (sl <= len - i && memcmp(s + i, c->secrets[k], sl) == 0)
                break;
        }
        if (k < c->n_secrets) {
            llmt_buf_puts(&b, "[REDACTED]");
            i += strlen(c->secrets[k]);
        } else {
            llmt_buf_append(&b, s + i, 1);
            i++;
        }
    }
    if (b.oom) {
        llmt_buf_free(&b);
        return NULL;
    }
    if (out_len)
        *out_len = b.len;
    return b.data ? llmt_buf_steal(&b) : llmt_strdup("");
}

/* The recorded headers of e into out (owned): only those on the allow-list, names
 * lower-cased, values redacted. False when out of memory. */
static bool copy_headers(const llmt_cassette *c, const llmt_cassette_entry *e,
                         llmt_cassette_entry *out)
{
    llmt_http_header *v;
    size_t i, n = 0;
    if (!e->n_headers)
        return true;
    if (!(v = calloc(e->n_headers, sizeof(*v))))
        return false;
    out->headers = v;
    for (i = 0; i < e->n_headers; i++) {
        char *name = llmt_strdup(e->headers[i].name);
        size_t k;
        if (!name || !e->headers[i].value) {
            free(name);
            if (!name)
                return false;
            continue;
        }
        for (k = 0; name[k]; k++)
            name[k] = (char)tolower((unsigned char)name[k]);
        if (!llmt_cassette_keeps_header(name)) {
            free(name);
            continue;
        }
        v[n].name = name;
        out->n_headers = ++n;
        if (!(v[n - 1].value = redacted(c, e->headers[i].value, strlen(e->headers[i].value), NULL)))
            return false;
    }
    return true;
}

static llmt_status copy_entry(const llmt_cassette *c, const llmt_cassette_entry *e, centry *ce)
{
    memset(ce, 0, sizeof(*ce));
    ce->e = *e;
    ce->e.task = llmt_strdup(e->task);
    ce->e.kase = llmt_strdup(e->kase);
    ce->e.model = llmt_strdup(e->model);
    ce->e.key = llmt_strdup(e->key);
    ce->e.request = redacted(c, e->request, e->request ? strlen(e->request) : 0, NULL);
    ce->e.reply = redacted(c, e->reply, e->reply_len, &ce->e.reply_len);
    ce->e.error_class = llmt_strdup(e->error_class);
    ce->e.error_message = redacted(c, e->error_message,
                                   e->error_message ? strlen(e->error_message) : 0, NULL);
    ce->e.error_code = redacted(c, e->error_code, e->error_code ? strlen(e->error_code) : 0, NULL);
    ce->e.headers = NULL;
    ce->e.n_headers = 0;
    ce->id = identity(e);
    if (!ce->e.task || !ce->e.kase || !ce->e.model || !ce->id || (e->key && !ce->e.key) ||
        (e->request && !ce->e.request) || (e->reply && !ce->e.reply) ||
        (e->error_class && !ce->e.error_class) || (e->error_message && !ce->e.error_message) ||
        (e->error_code && !ce->e.error_code) || !copy_headers(c, e, &ce->e)) {
        centry_free(ce);
        return LLMT_E_NOMEM;
    }
    return LLMT_OK;
}

/* Adds or replaces; the cassette's lock is held (or not needed yet). */
static llmt_status put_locked(llmt_cassette *c, const llmt_cassette_entry *e)
{
    centry ce;
    size_t *s;
    if (copy_entry(c, e, &ce) != LLMT_OK)
        return LLMT_E_NOMEM;
    if (!index_grow(c)) {
        centry_free(&ce);
        return LLMT_E_NOMEM;
    }
    s = slot_of(c, ce.id);
    if (*s) {
        centry_free(&c->v[*s - 1]);
        c->v[*s - 1] = ce;
        return LLMT_OK;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        centry *nv = realloc(c->v, cap * sizeof(*nv));
        if (!nv) {
            centry_free(&ce);
            return LLMT_E_NOMEM;
        }
        c->v = nv;
        c->cap = cap;
    }
    c->v[c->n] = ce;
    *s = ++c->n;
    return LLMT_OK;
}

llmt_status llmt_cassette_put(llmt_cassette *c, const llmt_cassette_entry *e, llmt_error *err)
{
    llmt_status st;
    if (!c || !e || !e->task || !e->kase || !e->model)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "cassette: an exchange needs task, case and model");
    pthread_mutex_lock(&c->lock);
    st = put_locked(c, e);
    pthread_mutex_unlock(&c->lock);
    if (st != LLMT_OK)
        return llmt_error_set(err, st, "cassette %s: out of memory", c->dir);
    return LLMT_OK;
}

llmt_status llmt_cassette_redact(llmt_cassette *c, const char *const *secrets, size_t n)
{
    size_t i, k;
    llmt_status st = LLMT_OK;
    pthread_mutex_lock(&c->lock);
    for (i = 0; i < n && st == LLMT_OK; i++) {
        char **nv;
        /* a short value would blank ordinary words; keys are long */
        if (!secrets[i] || strlen(secrets[i]) < 8)
            continue;
        for (k = 0; k < c->n_secrets && strcmp(c->secrets[k], secrets[i]) != 0; k++)
            ;
        if (k < c->n_secrets) /* known already: the engine names a key once per attempt */
            continue;
        nv = realloc(c->secrets, (c->n_secrets + 1) * sizeof(*nv));
        if (!nv) {
            st = LLMT_E_NOMEM;
            break;
        }
        c->secrets = nv;
        if (!(c->secrets[c->n_secrets] = llmt_strdup(secrets[i])))
            st = LLMT_E_NOMEM;
        else
            c->n_secrets++;
    }
    pthread_mutex_unlock(&c->lock);
    return st;
}

size_t llmt_cassette_count(const llmt_cassette *c)
{
    return c ? c->n : 0;
}

void llmt_cassette_free(llmt_cassette *c)
{
    size_t i;
    if (!c)
        return;
    for (i = 0; i < c->n; i++)
        centry_free(&c->v[i]);
    for (i = 0; i < c->n_secrets; i++)
        free(c->secrets[i]);
    free(c->secrets);
    free(c->v);
    free(c->slots);
    free(c->dir);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- files ---- */

static const char *str_member(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A line's "headers" object as an array (names and values borrowed from it; the array
 * is the caller's to free). False when it is not an object of strings. */
static bool headers_from_json(json_t *h, llmt_http_header **out, size_t *n)
{
    const char *k;
    json_t *v;
    *out = NULL;
    *n = 0;
    if (!h)
        return true;
    if (!json_is_object(h))
        return false;
    if (json_object_size(h) && !(*out = calloc(json_object_size(h), sizeof(**out))))
        return false;
    json_object_foreach(h, k, v) {
        if (!json_is_string(v))
            return false;
        (*out)[*n].name = (char *)k;
        (*out)[(*n)++].value = (char *)json_string_value(v);
    }
    return true;
}

/* A format 2 failure's details (retryable, HTTP status, hint, code). */
static void error_detail_from_json(json_t *error, llmt_cassette_entry *e)
{
    json_t *ra = json_object_get(error, "retry_after_s");
    if (!json_is_boolean(json_object_get(error, "retryable")))
        return; /* format 1: the class and message only */
    e->error_detail = true;
    e->error_retryable = json_is_true(json_object_get(error, "retryable"));
    e->error_http_status = (int)json_integer_value(json_object_get(error, "http_status"));
    e->error_retry_after_s = json_is_number(ra) ? json_number_value(ra) : -1;
    e->error_code = str_member(error, "code");
}

/* One line of DIR/<task>.jsonl into an entry (strings borrowed from `line`; *headers,
 * when set, is the caller's to free). */
static bool entry_from_json(json_t *line, const char *task, llmt_cassette_entry *e,
                            char **request_text, llmt_http_header **headers)
{
    json_t *at = json_object_get(line, "at_ms");
    json_t *usage = json_object_get(line, "usage"), *req = json_object_get(line, "request");
    json_t *error = json_object_get(line, "error"), *cost = json_object_get(line, "cost_usd");
    json_t *reply = json_object_get(line, "reply");
    memset(e, 0, sizeof(*e));
    e->task = task;
    e->kase = str_member(line, "case");
    e->model = str_member(line, "model");
    e->repeat = (int)json_integer_value(json_object_get(line, "repeat"));
    e->attempt = (int)json_integer_value(json_object_get(line, "attempt"));
    e->key = str_member(line, "key");
    e->reply = json_string_value(reply);
    e->reply_len = json_string_length(reply);
    e->http_status = (long)json_integer_value(json_object_get(line, "status"));
    e->error_class = str_member(error, "class");
    e->error_message = str_member(error, "message");
    e->input_tokens = json_is_integer(json_object_get(usage, "input_tokens"))
                          ? (long)json_integer_value(json_object_get(usage, "input_tokens")) : -1;
    e->output_tokens = json_is_integer(json_object_get(usage, "output_tokens"))
                           ? (long)json_integer_value(json_object_get(usage, "output_tokens")) : -1;
    e->latency_ms = json_number_value(json_object_get(line, "latency_ms"));
    e->cost_known = json_is_number(cost);
    e->cost_usd = json_number_value(cost);
    e->at_ms = json_is_number(at) ? json_number_value(at) : -1;
    e->unsent = json_is_false(json_object_get(line, "sent"));
    e->batch = json_is_true(json_object_get(line, "batch"));
    e->received_at = json_number_value(json_object_get(line, "received_at"));
    error_detail_from_json(error, e);
    if (!headers_from_json(json_object_get(line, "headers"), headers, &e->n_headers))
        return false;
    e->headers = *headers;
    *request_text = req ? (json_is_string(req) ? llmt_strdup(json_string_value(req))
                                               : json_dumps(req, JSON_COMPACT | JSON_ENCODE_ANY))
                        : NULL;
    e->request = *request_text;
    return e->kase && e->model && e->attempt >= 1 && e->repeat >= 0 && (!req || *request_text);
}

static llmt_status load_file(llmt_cassette *c, const char *path, const char *task, llmt_error *err)
{
    char *text = NULL, *line, *next;
    size_t len = 0, lineno = 0;
    llmt_status st = llmt_read_file(path, &text, &len, err);
    if (st != LLMT_OK)
        return st;
    for (line = text; st == LLMT_OK && line < text + len; line = next) {
        json_error_t je;
        json_t *j;
        llmt_cassette_entry e;
        char *req = NULL;
        llmt_http_header *hdrs = NULL;
        json_int_t format = 1;
        next = memchr(line, '\n', (size_t)(text + len - line));
        next = next ? next + 1 : text + len;
        lineno++;
        if (next - line <= 1)
            continue;
        j = json_loadb(line, (size_t)(next - line), JSON_ALLOW_NUL, &je);
        if (j && json_is_integer(json_object_get(j, "format")))
            format = json_integer_value(json_object_get(j, "format"));
        if (format < 1 || format > LLMT_CASSETTE_FORMAT)
            st = llmt_error_set(err, LLMT_E_PARSE,
                                "cassette %s line %zu: format %lld, written by another version "
                                "of llm-tester (this one reads formats 1 to %d); record it again",
                                path, lineno, (long long)format, LLMT_CASSETTE_FORMAT);
        else if (!j || !json_is_object(j) || !entry_from_json(j, task, &e, &req, &hdrs))
            st = llmt_error_set(err, LLMT_E_PARSE,
                                "cassette %s line %zu: not an exchange (needs case, model, repeat, "
                                "attempt%s%s)", path, lineno, j ? "" : ": ", j ? "" : je.text);
        else
            st = put_locked(c, &e);
        if (st == LLMT_E_NOMEM)
            llmt_error_set(err, st, "cassette %s: out of memory", path);
        free(req);
        free(hdrs);
        json_decref(j);
    }
    free(text);
    return st;
}

static llmt_status load_dir(llmt_cassette *c, llmt_error *err)
{
    char **names = NULL;
    size_t n = 0, i, files = 0;
    llmt_status st = llmt_list_dir(c->dir, &names, &n, err);
    for (i = 0; st == LLMT_OK && i < n; i++) {
        char *path, *task;
        if (!llmt_str_ends_with(names[i], ".jsonl") || names[i][0] == '.')
            continue;
        path = llmt_path_join(c->dir, names[i]);
        task = llmt_strndup(names[i], strlen(names[i]) - strlen(".jsonl"));
        st = path && task ? load_file(c, path, task, err)
                          : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        files++;
        free(path);
        free(task);
    }
    llmt_free_strv(names, n);
    if (st == LLMT_OK && files == 0 && c->mode == LLMT_CASSETTE_REPLAY)
        st = llmt_error_set(err, LLMT_E_CONFIG,
                            "--replay %s: no cassette there (no .jsonl file); record one with "
                            "--record %s", c->dir, c->dir);
    return st;
}

llmt_status llmt_cassette_open(llmt_cassette **out, const char *dir, llmt_cassette_mode mode,
                               llmt_error *err)
{
    llmt_cassette *c;
    llmt_status st;
    if (!out || !dir || !*dir)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "cassette: no folder given");
    if (mode == LLMT_CASSETTE_REPLAY && !llmt_is_dir(dir))
        return llmt_error_set(err, LLMT_E_CONFIG, "--replay %s: no such folder", dir);
    if (mode == LLMT_CASSETTE_RECORD && (st = llmt_mkdirs(dir, err)) != LLMT_OK)
        return st;
    c = calloc(1, sizeof(*c));
    if (!c || !(c->dir = llmt_strdup(dir))) {
        free(c);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    c->mode = mode;
    pthread_mutex_init(&c->lock, NULL);
    if ((st = load_dir(c, err)) != LLMT_OK) {
        llmt_cassette_free(c);
        return st;
    }
    *out = c;
    return LLMT_OK;
}

/* ---- replay ---- */

/* Where two JSON values first differ, as a pointer and what happened there (appended to
 * p, which holds the path so far). False when they are equal. */
static bool first_difference(const json_t *was, const json_t *now, llmt_buf *p)
{
    const char *k;
    json_t *v;
    size_t i, mark = p->len;
    if (llmt_json_equal(was, now, false))
        return false;
    if (json_is_object(was) && json_is_object(now)) {
        json_object_foreach((json_t *)now, k, v) {
            llmt_jptr_push(p, k, strlen(k));
            if (!json_object_get(was, k)) {
                llmt_buf_puts(p, " was added");
                return true;
            }
            if (first_difference(json_object_get(was, k), v, p))
                return true;
            llmt_jptr_pop(p, mark);
        }
        json_object_foreach((json_t *)was, k, v) {
            if (!json_object_get(now, k)) {
                llmt_jptr_push(p, k, strlen(k));
                llmt_buf_puts(p, " was removed");
                return true;
            }
        }
    }
    if (json_is_array(was) && json_is_array(now)) {
        for (i = 0; i < json_array_size(was) && i < json_array_size(now); i++) {
            llmt_jptr_push_index(p, i);
            if (first_difference(json_array_get(was, i), json_array_get(now, i), p))
                return true;
            llmt_jptr_pop(p, mark);
        }
        llmt_buf_printf(p, " has %zu items, %zu when recorded", json_array_size(now),
                        json_array_size(was));
        return true;
    }
    llmt_buf_puts(p, p->len == mark && mark == 0 ? "the body differs" : " differs");
    return true;
}

/* Fills why with the first difference of two request bodies. */
static void describe_change(const char *was, const char *now, char *why, size_t n)
{
    json_t *a = json_loads(was ? was : "null", JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    json_t *b = json_loads(now ? now : "null", JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    llmt_buf p = {0};
    if (a && b && first_difference(a, b, &p) && p.data)
        snprintf(why, n, "%s", p.data[0] == ' ' ? p.data + 1 : p.data);
    else
        snprintf(why, n, "the body differs");
    llmt_buf_free(&p);
    json_decref(a);
    json_decref(b);
}

/* Whether two request bodies are the same request: equal JSON values (numbers by value:
 * 0 and 0.0 are the same, as a tool that rewrites a cassette, jq say, may write one for
 * the other), or equal text. */
static bool same_request(const char *was, const char *now)
{
    json_t *a, *b;
    bool same;
    if (!was || !now)
        return was == now;
    if (strcmp(was, now) == 0)
        return true;
    a = json_loads(was, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    b = json_loads(now, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    same = a && b && llmt_json_equal(a, b, false);
    json_decref(a);
    json_decref(b);
    return same;
}

/* The entry with who's identity, or NULL (also when out of memory). */
static const centry *entry_of(llmt_cassette *c, const llmt_cassette_entry *who)
{
    char *id = identity(who);
    size_t *s;
    const centry *ce = NULL;
    if (!id)
        return NULL;
    pthread_mutex_lock(&c->lock);
    s = c->n_slots ? slot_of(c, id) : NULL;
    if (s && *s)
        ce = &c->v[*s - 1];
    pthread_mutex_unlock(&c->lock); /* entries never move or change during a replay */
    free(id);
    return ce;
}

const llmt_cassette_entry *llmt_cassette_get(llmt_cassette *c, const llmt_cassette_entry *who)
{
    const centry *ce = entry_of(c, who);
    return ce ? &ce->e : NULL;
}

llmt_status llmt_cassette_find(llmt_cassette *c, const llmt_cassette_entry *who,
                               const char *request, const llmt_cassette_entry **out,
                               llmt_error *err)
{
    char why[512];
    const centry *ce = entry_of(c, who);
    if (ce && same_request(ce->e.request, request)) {
        *out = &ce->e;
        return LLMT_OK;
    }
    if (ce)
        describe_change(ce->e.request, request, why, sizeof why);
    llmt_error_set(err, LLMT_E_NOT_RECORDED,
                   "replay: %s/%s with %s (repeat %d, attempt %d) %s%s in %s/%s.jsonl; record it "
                   "with: llm-tester run --record %s (the provider's key set)",
                   who->task, who->kase, who->model, who->repeat, who->attempt,
                   ce ? "changed since it was recorded: " : "is not recorded",
                   ce ? why : "", c->dir, who->task, c->dir);
    return LLMT_E_NOT_RECORDED;
}

/* ---- record ---- */

static int cmp_entry(const void *pa, const void *pb)
{
    const llmt_cassette_entry *a = &(*(const centry *const *)pa)->e;
    const llmt_cassette_entry *b = &(*(const centry *const *)pb)->e;
    int d = strcmp(a->task, b->task);
    if (!d) d = strcmp(a->kase, b->kase);
    if (!d) d = strcmp(a->model, b->model);
    if (!d) d = (a->repeat > b->repeat) - (a->repeat < b->repeat);
    if (!d) d = (a->attempt > b->attempt) - (a->attempt < b->attempt);
    return d;
}

/* A failure without a reply: its class and message, and (format 2) what steers a retry. */
static json_t *error_json(const llmt_cassette_entry *e)
{
    json_t *er = json_object();
    json_object_set_new(er, "class", json_string(e->error_class));
    json_object_set_new(er, "message", json_string(e->error_message ? e->error_message : ""));
    if (!e->error_detail)
        return er;
    json_object_set_new(er, "retryable", json_boolean(e->error_retryable));
    if (e->error_http_status)
        json_object_set_new(er, "http_status", json_integer(e->error_http_status));
    if (e->error_retry_after_s >= 0)
        json_object_set_new(er, "retry_after_s", json_real(e->error_retry_after_s));
    if (e->error_code && e->error_code[0])
        json_object_set_new(er, "code", json_string(e->error_code));
    return er;
}

/* One exchange as a line: identity first, the bodies last, so a diff reads well. The
 * request is embedded as JSON (a field that changed shows as itself); the reply stays a
 * string, byte for byte what the provider sent. */
static json_t *entry_json(const llmt_cassette_entry *e)
{
    json_t *o = json_object(), *usage = json_object(), *req;
    json_object_set_new(o, "format", json_integer(LLMT_CASSETTE_FORMAT));
    json_object_set_new(o, "case", json_string(e->kase));
    json_object_set_new(o, "model", json_string(e->model));
    json_object_set_new(o, "repeat", json_integer(e->repeat));
    json_object_set_new(o, "attempt", json_integer(e->attempt));
    if (e->unsent)
        json_object_set_new(o, "sent", json_false());
    if (e->batch)
        json_object_set_new(o, "batch", json_true());
    json_object_set_new(o, "status", json_integer(e->http_status));
    if (e->error_class)
        json_object_set_new(o, "error", error_json(e));
    if (e->at_ms >= 0)
        json_object_set_new(o, "at_ms", json_real(e->at_ms));
    json_object_set_new(o, "latency_ms", json_real(e->latency_ms));
    if (e->input_tokens >= 0)
        json_object_set_new(usage, "input_tokens", json_integer(e->input_tokens));
    if (e->output_tokens >= 0)
        json_object_set_new(usage, "output_tokens", json_integer(e->output_tokens));
    json_object_set_new(o, "usage", usage);
    json_object_set_new(o, "cost_usd", e->cost_known ? json_real(e->cost_usd) : json_null());
    if (e->key)
        json_object_set_new(o, "key", json_string(e->key));
    if (e->n_headers) {
        json_t *h = json_object();
        size_t i;
        for (i = 0; i < e->n_headers; i++)
            if (!json_object_get(h, e->headers[i].name)) /* the first one is the one read */
                json_object_set_new(h, e->headers[i].name, json_string(e->headers[i].value));
        json_object_set_new(o, "headers", h);
        json_object_set_new(o, "received_at", json_real(e->received_at));
    }
    req = e->request ? json_loads(e->request, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
    if (e->request)
        json_object_set_new(o, "request", req ? req : json_string(e->request));
    if (e->reply)
        json_object_set_new(o, "reply", json_stringn(e->reply, e->reply_len));
    return o;
}

static llmt_status write_task(llmt_cassette *c, centry **v, size_t n, llmt_error *err)
{
    llmt_buf b = {0};
    char *path, *name;
    size_t i;
    llmt_status st;
    for (i = 0; i < n; i++) {
        json_t *o = entry_json(&v[i]->e);
        char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        if (line) {
            llmt_buf_puts(&b, line);
            llmt_buf_puts(&b, "\n");
        } else {
            b.oom = true;
        }
        free(line);
    }
    name = llmt_concat3(v[0]->e.task, ".jsonl", "");
    path = name ? llmt_path_join(c->dir, name) : NULL;
    st = b.oom || !path ? llmt_error_set(err, LLMT_E_NOMEM, "out of memory")
                        : llmt_write_file_atomic(path, b.data, b.len, err);
    free(name);
    free(path);
    llmt_buf_free(&b);
    return st;
}

llmt_status llmt_cassette_write(llmt_cassette *c, llmt_error *err)
{
    centry **order;
    size_t i, start;
    llmt_status st = LLMT_OK;
    if (!c || c->mode != LLMT_CASSETTE_RECORD || c->n == 0)
        return LLMT_OK;
    pthread_mutex_lock(&c->lock);
    order = malloc(c->n * sizeof(*order));
    if (!order) {
        pthread_mutex_unlock(&c->lock);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    for (i = 0; i < c->n; i++)
        order[i] = &c->v[i];
    qsort(order, c->n, sizeof(*order), cmp_entry);
    for (start = 0, i = 1; st == LLMT_OK && i <= c->n; i++) {
        if (i < c->n && strcmp(order[i]->e.task, order[start]->e.task) == 0)
            continue;
        st = write_task(c, order + start, i - start, err);
        start = i;
    }
    pthread_mutex_unlock(&c->lock);
    free(order);
    return st;
}
