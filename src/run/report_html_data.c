/* The data block of report.html: the results of one run (or of two, for a comparison)
 * as one compact JSON document that the page's script renders. A string that repeats
 * (model, task, field path, reason, prompt) is stored once and referred to by its index,
 * and a field that scored full marks is only its path's index, so that 30,000 results
 * stay a few megabytes. */
#include <stdlib.h>
#include <string.h>

#include "run/report_html.h"
#include "core/jsonutil.h"

/* What the page shows of a case's source (the rest is cut with a mark): up to 4,000
 * bytes, less when there are many cases, so that sources add at most about 8 MB. */
#define SOURCE_MAX 4000
#define SOURCE_MIN 500
#define SOURCES_TOTAL 8000000

/* Result flags ("f"); the page's script reads the same bits. */
enum {
    F_ERROR = 1,      /* no answer: the call failed */
    F_FALLBACK = 2,   /* answered by another model than the one under test */
    F_CACHED = 4,     /* answered from the response cache or a replay */
    F_UNENFORCED = 8, /* structured output without strict enforcement (strict: false) */
    F_NOJSON = 16,    /* the reply held no JSON answer */
    F_RELAXED = 32    /* the schema sent was relaxed for the provider */
};

static void set_new(llmt_html_data *d, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        d->oom = true;
}

static void append_new(llmt_html_data *d, json_t *a, json_t *v)
{
    if (!v || json_array_append_new(a, v) != 0)
        d->oom = true;
}

/* The index of `s` in `arr` (added when new); `idx` maps strings to indices. */
static json_int_t intern(llmt_html_data *d, json_t *arr, json_t *idx, const char *s)
{
    json_t *i = json_object_get(idx, s);
    json_int_t n = (json_int_t)json_array_size(arr);
    if (i)
        return json_integer_value(i);
    append_new(d, arr, json_string(s));
    set_new(d, idx, s, json_integer(n));
    return n;
}

llmt_status llmt_html_data_init(llmt_html_data *d, const char *mode, const llmt_taskset *ts,
                                llmt_error *err)
{
    memset(d, 0, sizeof *d);
    d->ts = ts;
    d->source_max = SOURCE_MAX;
    if (ts) {
        size_t i, cases = 0;
        for (i = 0; i < ts->n_tasks; i++)
            cases += ts->tasks[i].n_cases;
        if (cases && SOURCES_TOTAL / cases < SOURCE_MAX)
            d->source_max = SOURCES_TOTAL / cases < SOURCE_MIN ? SOURCE_MIN : SOURCES_TOTAL / cases;
    }
    d->root = json_object();
    d->idx = json_object();
    if (!d->root || !d->idx)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory building report.html");
#define ARRAY(field, key) set_new(d, d->root, key, d->field = json_array())
    set_new(d, d->root, "v", json_integer(1));
    set_new(d, d->root, "mode", json_string(mode));
    ARRAY(runs, "runs");
    ARRAY(models, "models");
    ARRAY(tasks, "tasks");
    ARRAY(paths, "paths");
    ARRAY(reasons, "reasons");
    ARRAY(texts, "texts");
    ARRAY(cases, "cases");
    ARRAY(results, "results");
#undef ARRAY
    set_new(d, d->idx, "m", json_object());
    set_new(d, d->idx, "t", json_object());
    set_new(d, d->idx, "p", json_object());
    set_new(d, d->idx, "r", json_object());
    set_new(d, d->idx, "x", json_object());
    set_new(d, d->idx, "c", json_object());
    return d->oom ? llmt_error_set(err, LLMT_E_NOMEM, "out of memory building report.html") : LLMT_OK;
}

void llmt_html_data_free(llmt_html_data *d)
{
    json_decref(d->root);
    json_decref(d->idx);
    memset(d, 0, sizeof *d);
}

void llmt_html_data_add_run(llmt_html_data *d, const llmt_run_meta *meta)
{
    char started[32], finished[32];
    json_t *run = json_object();
    llmt_iso_time(meta->started_at, started, sizeof started);
    llmt_iso_time(meta->finished_at, finished, sizeof finished);
    if (!run) {
        d->oom = true;
        return;
    }
    set_new(d, run, "id", json_string(meta->run_id));
    set_new(d, run, "started", json_string(started));
    set_new(d, run, "finished", json_string(finished));
    append_new(d, d->runs, run);
}

json_int_t llmt_html_data_model(llmt_html_data *d, const char *ref)
{
    return intern(d, d->models, json_object_get(d->idx, "m"), ref);
}

/* Puts `v` (borrowed) at JSON pointer `path` inside *doc, creating the objects on the
 * way: the scorer describes nested objects by their keys and each list as one value. */
static void put_at(json_t **doc, const char *path, json_t *v)
{
    json_t *cur;
    if (!*path) {
        json_decref(*doc);
        *doc = json_incref(v);
        return;
    }
    if (!*doc)
        *doc = json_object();
    cur = *doc;
    while (cur && *path == '/') {
        const char *end = strchr(path + 1, '/');
        size_t n = end ? (size_t)(end - path - 1) : strlen(path + 1);
        char *key = llmt_jptr_segment(path + 1, n);
        json_t *next;
        if (!key || !json_is_object(cur)) {
            free(key);
            return;
        }
        if (!end) {
            json_object_set(cur, key, v);
            free(key);
            return;
        }
        next = json_object_get(cur, key);
        if (!next) {
            next = json_object();
            json_object_set_new(cur, key, next);
        }
        free(key);
        cur = next;
        path = end;
    }
}

/* The expected answer as the scorer saw it, rebuilt from a result's fields (used when
 * the task folders are not at hand, as when re-rendering a results file). */
static json_t *expected_from_fields(const json_t *fields)
{
    json_t *doc = NULL, *f;
    size_t i;
    json_array_foreach(fields, i, f) {
        const char *reason = json_string_value(json_object_get(f, "reason"));
        const char *path = json_string_value(json_object_get(f, "path"));
        json_t *exp = json_object_get(f, "expected");
        if (!path || !exp || !reason || !strcmp(reason, "extra") || !strcmp(reason, "list_item"))
            continue;
        put_at(&doc, path, exp);
    }
    return doc;
}

static int case_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const llmt_case *)elem)->name);
}

/* Fills the case's expected answer, prompt and source from its task folder, when the
 * run's task set is at hand and names it. */
static void case_from_task(llmt_html_data *d, json_t *kase, const char *task, const char *name)
{
    llmt_case_data cd;
    llmt_error e;
    const llmt_case *c = NULL;
    const llmt_task *t = NULL;
    size_t i;
    for (i = 0; d->ts && i < d->ts->n_tasks && !t; i++)
        if (strcmp(d->ts->tasks[i].name, task) == 0)
            t = &d->ts->tasks[i];
    if (t)
        c = bsearch(name, t->cases, t->n_cases, sizeof *t->cases, case_cmp);
    if (!c || llmt_case_load(t, c, &cd, &e) != LLMT_OK)
        return;
    if (cd.expected)
        set_new(d, kase, "x", json_incref(cd.expected));
    if (cd.prompt)
        set_new(d, kase, "p", json_integer(intern(d, d->texts, json_object_get(d->idx, "x"), cd.prompt)));
    if (cd.source && *cd.source) {
        size_t n = strlen(cd.source);
        if (n > d->source_max) {
            n = d->source_max;
            while (n && ((unsigned char)cd.source[n] & 0xC0) == 0x80) /* not inside a character */
                n--;
        }
        /* a source that is not UTF-8 is left out rather than failing the page */
        json_t *src = json_stringn(cd.source, n);
        if (src)
            set_new(d, kase, "src", src);
        if (src && n < strlen(cd.source))
            set_new(d, kase, "cut", json_true());
    }
    llmt_case_data_free(&cd);
}

/* The index of the result's case (added when new). */
static json_int_t case_index(llmt_html_data *d, const char *task, const char *name, const json_t *fields)
{
    json_t *idx = json_object_get(d->idx, "c"), *kase, *i;
    char *key = llmt_concat3(task, "\x1f", name);
    json_int_t n = (json_int_t)json_array_size(d->cases);
    if (!key) {
        d->oom = true;
        return 0;
    }
    i = json_object_get(idx, key);
    if (i) {
        n = json_integer_value(i);
        kase = json_array_get(d->cases, (size_t)n);
    } else {
        kase = json_object();
        set_new(d, kase, "t", json_integer(intern(d, d->tasks, json_object_get(d->idx, "t"), task)));
        set_new(d, kase, "n", json_string(name));
        case_from_task(d, kase, task, name);
        append_new(d, d->cases, kase);
        set_new(d, idx, key, json_integer(n));
    }
    free(key);
    if (kase && !json_object_get(kase, "x") && json_array_size(fields)) {
        json_t *x = expected_from_fields(fields);
        if (x)
            set_new(d, kase, "x", x);
    }
    return n;
}

/* "ok": the paths of the fields that scored full marks; "lo": the others (lost points,
 * or extra keys), with what the scorer said about them. */
static void add_fields(llmt_html_data *d, json_t *o, const json_t *fields)
{
    json_t *ok = json_array(), *lost = json_array(), *f;
    json_t *pidx = json_object_get(d->idx, "p"), *ridx = json_object_get(d->idx, "r");
    size_t i;
    json_array_foreach(fields, i, f) {
        const char *path = json_string_value(json_object_get(f, "path"));
        const char *reason = json_string_value(json_object_get(f, "reason"));
        json_t *score = json_object_get(f, "score"), *lf, *v;
        if (!path || !reason)
            continue;
        if (!strcmp(reason, "match") && json_number_value(score) >= 1.0) {
            append_new(d, ok, json_integer(intern(d, d->paths, pidx, path)));
            continue;
        }
        lf = json_object();
        set_new(d, lf, "p", json_integer(intern(d, d->paths, pidx, path)));
        set_new(d, lf, "sc", json_is_number(score) ? json_real(json_number_value(score)) : json_null());
        set_new(d, lf, "w", json_real(json_number_value(json_object_get(f, "weight"))));
        set_new(d, lf, "re", json_integer(intern(d, d->reasons, ridx, reason)));
        if ((v = json_object_get(f, "note")) != NULL)
            set_new(d, lf, "no", json_incref(v));
        if ((v = json_object_get(f, "expected")) != NULL)
            set_new(d, lf, "ex", json_incref(v));
        if (json_is_true(json_object_get(f, "actual_in_answer")))
            set_new(d, lf, "ai", json_true()); /* the script takes it from the answer */
        else if ((v = json_object_get(f, "actual")) != NULL)
            set_new(d, lf, "ac", json_incref(v));
        append_new(d, lost, lf);
    }
    if (json_array_size(ok))
        set_new(d, o, "ok", json_incref(ok));
    if (json_array_size(lost))
        set_new(d, o, "lo", json_incref(lost));
    json_decref(ok);
    json_decref(lost);
}

/* Copies r's member `from` to o's `to` when it is there (and not null). */
static void copy_member(llmt_html_data *d, json_t *o, const char *to, const json_t *r, const char *from)
{
    json_t *v = json_object_get(r, from);
    if (v && !json_is_null(v))
        set_new(d, o, to, json_incref(v));
}

/* Error text and flags of the result; the flags read fields other helpers may not
 * write yet (cached, strict, schema_relaxed): absent means false. */
static int result_flags(llmt_html_data *d, json_t *o, const json_t *r, const char *ref)
{
    json_t *err = json_object_get(r, "error"), *relaxed = json_object_get(r, "schema_relaxed");
    const char *by = json_string_value(json_object_get(r, "answered_by"));
    int fl = 0;
    if (json_is_object(err)) {
        const char *cls = json_string_value(json_object_get(err, "class"));
        const char *msg = json_string_value(json_object_get(err, "message"));
        fl |= F_ERROR;
        set_new(d, o, "e", json_sprintf("%s: %s", cls ? cls : "error", msg ? msg : ""));
    }
    if (by && strcmp(by, ref) != 0) {
        fl |= F_FALLBACK;
        set_new(d, o, "ab", json_string(by));
    }
    if (json_is_true(json_object_get(r, "cached")) || json_is_true(json_object_get(r, "replayed")))
        fl |= F_CACHED;
    if (json_is_false(json_object_get(r, "strict")))
        fl |= F_UNENFORCED;
    if (json_is_string(json_object_get(r, "extraction_error")))
        fl |= F_NOJSON;
    if (json_array_size(relaxed) || json_is_true(relaxed))
        fl |= F_RELAXED;
    return fl;
}

static void add_result(json_t *r, void *ud)
{
    llmt_html_data *d = ud;
    const char *task = json_string_value(json_object_get(r, "task"));
    const char *name = json_string_value(json_object_get(r, "case"));
    const char *prov = json_string_value(json_object_get(r, "provider"));
    const char *model = json_string_value(json_object_get(r, "model"));
    json_t *usage = json_object_get(r, "usage"), *fields = json_object_get(r, "fields");
    json_t *o, *cost = json_object_get(usage, "cost_usd"), *att = json_object_get(r, "attempts");
    json_t *answer = json_object_get(r, "answer"), *expected;
    char *ref;
    json_int_t c;
    int fl;
    if (!task || !name || !prov || !model)
        return;
    ref = llmt_concat3(prov, ":", model);
    o = json_object();
    if (!ref || !o) {
        d->oom = true;
        free(ref);
        json_decref(o);
        return;
    }
    c = case_index(d, task, name, fields);
    set_new(d, o, "c", json_integer(c));
    set_new(d, o, "m", json_integer(llmt_html_data_model(d, ref)));
    set_new(d, o, "r", json_integer(json_integer_value(json_object_get(r, "repeat"))));
    if (d->side)
        set_new(d, o, "s", json_integer(d->side));
    fl = result_flags(d, o, r, ref);
    set_new(d, o, "f", json_integer(fl));
    set_new(d, o, "a", fl & F_ERROR ? json_null() : json_real(json_number_value(json_object_get(r, "accuracy"))));
    set_new(d, o, "v", json_integer(json_is_true(json_object_get(r, "valid"))));
    set_new(d, o, "k", json_is_number(cost) ? json_real(json_number_value(cost)) : json_null());
    set_new(d, o, "l", json_real(json_number_value(json_object_get(r, "latency_ms"))));
    set_new(d, o, "ti", json_integer(json_integer_value(json_object_get(usage, "input_tokens"))));
    set_new(d, o, "to", json_integer(json_integer_value(json_object_get(usage, "output_tokens"))));
    set_new(d, o, "n", json_integer(json_is_array(att) ? (json_int_t)json_array_size(att) : 1));
    if (json_array_size(att) > 1 || (json_is_array(att) && (fl & F_FALLBACK)))
        set_new(d, o, "at", json_incref(att));
    if (json_array_size(json_object_get(r, "violations")) && !(fl & F_ERROR))
        copy_member(d, o, "vi", r, "violations");
    /* an answer equal to the expected one (most of a good model's) is not repeated */
    expected = json_object_get(json_array_get(d->cases, (size_t)c), "x");
    if (expected && answer && json_equal(expected, answer))
        set_new(d, o, "sx", json_true());
    else
        copy_member(d, o, "x", r, "answer");
    copy_member(d, o, "raw", r, "raw_reply");
    copy_member(d, o, "xe", r, "extraction_error");
    copy_member(d, o, "sm", r, "structured_mode");
    copy_member(d, o, "pv", r, "prompt");
    copy_member(d, o, "sr", r, "schema_relaxed");
    add_fields(d, o, fields);
    append_new(d, d->results, o);
    free(ref);
}

llmt_status llmt_html_data_add_results(llmt_html_data *d, const char *jsonl_path, int side,
                                       llmt_error *err)
{
    llmt_status st;
    d->side = side;
    st = llmt_jsonl_foreach(jsonl_path, add_result, d, err);
    if (st == LLMT_OK && d->oom)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory building report.html");
    return st;
}
