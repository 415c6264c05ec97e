#include "run/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static void model_init(llmt_model_summary *m, char *ref)
{
    memset(m, 0, sizeof(*m));
    m->model_ref = ref;
    m->acc_min = m->latency_min = INFINITY;
    m->acc_max = m->latency_max = -INFINITY;
}

void llmt_summary_init(llmt_summary *s, const char *const *model_refs, size_t n_models)
{
    size_t i;
    memset(s, 0, sizeof(*s));
    s->models = calloc(n_models ? n_models : 1, sizeof(*s->models));
    if (!s->models)
        return;
    s->n_models = n_models;
    for (i = 0; i < n_models; i++)
        model_init(&s->models[i], llmt_strdup(model_refs[i]));
}

/* Appends a zeroed model named ref (owned) to *v; NULL when out of memory (ref freed). */
static llmt_model_summary *model_append(llmt_model_summary **v, size_t *n, char *ref)
{
    llmt_model_summary *nv = ref ? realloc(*v, (*n + 1) * sizeof(**v)) : NULL;
    if (!nv) {
        free(ref);
        return NULL;
    }
    *v = nv;
    model_init(&nv[*n], ref);
    return &nv[(*n)++];
}

bool llmt_summary_model_index(llmt_summary *s, const char *model_ref, unsigned *index)
{
    size_t i;
    for (i = 0; i < s->n_models; i++)
        if (strcmp(s->models[i].model_ref, model_ref) == 0) {
            *index = (unsigned)i;
            return true;
        }
    if (!model_append(&s->models, &s->n_models, llmt_strdup(model_ref)))
        return false;
    *index = (unsigned)(s->n_models - 1);
    return true;
}

bool llmt_summary_class_is_skip(const char *error_class)
{
    return error_class && strcmp(error_class, "budget") == 0;
}

static void add_error(llmt_summary *s, const char *prov, const char *cls, const char *message)
{
    llmt_error_group *g;
    size_t i;
    for (i = 0; i < s->n_errors; i++) {
        g = &s->errors[i];
        if (strcmp(g->provider, prov) == 0 && strcmp(g->error_class, cls) == 0) {
            g->count++;
            return;
        }
    }
    g = realloc(s->errors, (s->n_errors + 1) * sizeof(*g));
    if (!g)
        return;
    s->errors = g;
    g = &s->errors[s->n_errors++];
    memset(g, 0, sizeof(*g));
    snprintf(g->provider, sizeof g->provider, "%s", prov);
    snprintf(g->error_class, sizeof g->error_class, "%s", cls);
    g->count = 1;
    g->example = llmt_strdup(message ? message : "");
}

/* Whether the entry's answerer is model_ref. */
static bool answered_by_is(const llmt_summary_entry *e, const char *model_ref)
{
    size_t n;
    if (!e->answered_by_model)
        return strcmp(e->answered_by, model_ref) == 0;
    n = strlen(e->answered_by);
    return strncmp(model_ref, e->answered_by, n) == 0 && model_ref[n] == ':' &&
           strcmp(model_ref + n + 1, e->answered_by_model) == 0;
}

/* How an answer's schema was sent: mode, enforcement, keywords left out. */
static void add_schema_use(llmt_model_summary *m, const llmt_summary_entry *e)
{
    static const char *const modes[] = {"prompt_only", "json_object", "json_schema"};
    json_t *kw, *v, *w;
    size_t i, j;
    bool seen;
    for (i = 0; i < 3; i++)
        if (strcmp(e->structured_mode, modes[i]) == 0)
            m->modes |= 1u << i;
    m->schema_unenforced += !e->strict;
    if (!e->schema_relaxed)
        return;
    kw = json_loads(e->schema_relaxed, 0, NULL);
    if (!m->schema_relaxed)
        m->schema_relaxed = json_array();
    json_array_foreach(kw, i, v)
    {
        seen = false;
        json_array_foreach(m->schema_relaxed, j, w) seen = seen || json_equal(v, w);
        if (!seen && json_is_string(v))
            json_array_append(m->schema_relaxed, v);
    }
    json_decref(kw);
}

/* Adds x to an exact sum and stores the sum's rounded value where readers look. */
static void add_exact(llmt_fsum *f, double *value, double x)
{
    llmt_fsum_add(f, x);
    *value = llmt_fsum_value(f);
}

/* One answer into m's accuracy, validity and latency figures. */
static void add_answer(llmt_model_summary *m, const llmt_summary_entry *e)
{
    double acc = e->accuracy, lat = e->latency_ms;
    m->answered++;
    m->valid += e->valid;
    m->first_attempt_valid += e->valid && e->attempts <= 1;
    add_exact(&m->acc_f, &m->acc_sum, acc);
    add_exact(&m->acc_sq_f, &m->acc_sq_sum, acc * acc);
    if (acc < m->acc_min) m->acc_min = acc;
    if (acc > m->acc_max) m->acc_max = acc;
    add_exact(&m->latency_f, &m->latency_sum, lat);
    add_exact(&m->latency_sq_f, &m->latency_sq_sum, lat * lat);
    if (lat < m->latency_min) m->latency_min = lat;
    if (lat > m->latency_max) m->latency_max = lat;
}

/* The fallback model that gave e's answer, added when new; NULL when out of memory. */
static llmt_model_summary *fallback_of(llmt_summary *s, const llmt_summary_entry *e, unsigned *index)
{
    char *ref = e->answered_by_model ? llmt_asprintf("%s:%s", e->answered_by, e->answered_by_model)
                                     : llmt_strdup(e->answered_by);
    size_t i;
    for (i = 0; ref && i < s->n_fallbacks; i++)
        if (strcmp(s->fallbacks[i].model_ref, ref) == 0) {
            free(ref);
            *index = (unsigned)i;
            return &s->fallbacks[i];
        }
    *index = (unsigned)s->n_fallbacks;
    return model_append(&s->fallbacks, &s->n_fallbacks, ref);
}

void llmt_summary_add_entry(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                            const llmt_summary_entry *e)
{
    llmt_model_summary *m = &s->models[model], *fb = NULL;
    llmt_result_row *row;
    unsigned answerer = 0;
    bool by_fallback = !e->failed && e->answered_by && !answered_by_is(e, m->model_ref);
    bool skipped = e->failed && llmt_summary_class_is_skip(e->error_class);
    const char *cls = e->failed ? (e->error_class ? e->error_class : "error")
                                : (e->primary_class ? e->primary_class : "fallback");
    m->results++;
    m->attempts += e->attempts;
    if (skipped)
        m->skipped++;
    else if (e->failed || by_fallback)
        m->errors++;
    if (e->failed)
        add_error(s, e->error_provider ? e->error_provider : "", cls, e->error_message);
    if (by_fallback) {
        char prov[64];
        const char *colon = strchr(m->model_ref, ':');
        m->by_fallback++;
        snprintf(prov, sizeof prov, "%.*s", colon ? (int)(colon - m->model_ref) : 0, m->model_ref);
        add_error(s, prov, cls, e->primary_message);
        fb = fallback_of(s, e, &answerer);
        if (fb) {
            fb->results++;
            add_answer(fb, e);
        }
    } else if (!e->failed) {
        add_answer(m, e);
        if (e->structured_mode)
            add_schema_use(m, e);
    }
    /* tokens and cost stay with the model under test: its case paid for them */
    m->input_tokens += e->input_tokens;
    m->output_tokens += e->output_tokens;
    if (e->cost_known) {
        double paid = e->cost_usd - e->saved_usd;
        add_exact(&m->cost_f, &m->cost_usd, paid);
        add_exact(&s->total_cost_f, &s->total_cost, paid);
        add_exact(&m->saved_f, &m->saved_usd, e->saved_usd);
        add_exact(&s->total_saved_f, &s->total_saved, e->saved_usd);
    } else {
        m->cost_unknown = true;
    }
    if (s->n_rows == s->cap_rows) {
        size_t cap = s->cap_rows ? s->cap_rows * 2 : 64;
        llmt_result_row *nr = realloc(s->rows, cap * sizeof(*nr));
        if (!nr)
            return;
        s->rows = nr;
        s->cap_rows = cap;
    }
    row = &s->rows[s->n_rows++];
    memset(row, 0, sizeof(*row));
    row->task = task;
    row->kase = kase;
    row->model = model;
    row->repeat = e->repeat;
    if (e->repeat > s->max_repeat)
        s->max_repeat = e->repeat;
    row->accuracy = e->accuracy;
    row->latency_ms = e->latency_ms;
    row->cost_usd = e->cost_known ? e->cost_usd - e->saved_usd : 0;
    row->cost_known = e->cost_known;
    row->tokens = e->input_tokens + e->output_tokens;
    row->valid = e->valid;
    row->failed = e->failed || by_fallback;
    row->answered = !row->failed;
    row->by_fallback = by_fallback && fb;
    row->answerer = answerer;
    row->skipped = skipped;
    row->cached = e->cached;
    if (row->failed)
        snprintf(row->error_class, sizeof row->error_class, "%s", cls);
}

void llmt_summary_entry_primary(const json_t *r, llmt_summary_entry *e)
{
    const char *prov = json_string_value(json_object_get(r, "provider"));
    const char *model = json_string_value(json_object_get(r, "model"));
    json_t *attempts = json_object_get(r, "attempts"), *a;
    size_t i, n;
    if (!prov || !model)
        return;
    n = strlen(prov);
    json_array_foreach(attempts, i, a) {
        const char *am = json_string_value(json_object_get(a, "model"));
        const char *cls = json_string_value(json_object_get(a, "class"));
        if (am && cls && strcmp(cls, "ok") != 0 && strncmp(am, prov, n) == 0 && am[n] == ':' &&
            strcmp(am + n + 1, model) == 0) {
            e->primary_class = cls;
            e->primary_message = json_string_value(json_object_get(a, "message"));
        }
    }
}

/* The scored fields of an answer, under the model that answered it. */
static void add_fields(llmt_summary *s, const json_t *result)
{
    const char *by = json_string_value(json_object_get(result, "answered_by"));
    const char *p = json_string_value(json_object_get(result, "provider"));
    const char *m = json_string_value(json_object_get(result, "model"));
    char *ref = by || !p || !m ? NULL : llmt_concat3(p, ":", m);
    if (by || ref)
        llmt_report_stats_add_fields_tree(&s->fields, by ? by : ref, json_object_get(result, "fields"));
    free(ref);
}

void llmt_summary_add(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                      const json_t *result)
{
    json_t *usage = json_object_get(result, "usage");
    json_t *cost = json_object_get(usage, "cost_usd");
    json_t *error = json_object_get(result, "error");
    json_t *attempts = json_object_get(result, "attempts"), *relaxed;
    char *relaxed_text;
    llmt_summary_entry e;
    memset(&e, 0, sizeof e);
    e.repeat = (int)json_integer_value(json_object_get(result, "repeat"));
    e.accuracy = json_number_value(json_object_get(result, "accuracy"));
    e.latency_ms = json_number_value(json_object_get(result, "latency_ms"));
    e.input_tokens = (long)json_integer_value(json_object_get(usage, "input_tokens"));
    e.output_tokens = (long)json_integer_value(json_object_get(usage, "output_tokens"));
    e.cost_known = json_is_number(cost);
    e.cost_usd = json_number_value(cost);
    e.saved_usd = json_number_value(json_object_get(usage, "saved_usd"));
    e.cached = json_is_true(json_object_get(result, "cached"));
    e.valid = json_is_true(json_object_get(result, "valid"));
    e.failed = json_is_object(error);
    if (e.failed) {
        e.error_provider = json_string_value(json_object_get(error, "provider"));
        if (!e.error_provider || !*e.error_provider)
            e.error_provider = json_string_value(json_object_get(result, "provider"));
        e.error_class = json_string_value(json_object_get(error, "class"));
        e.error_message = json_string_value(json_object_get(error, "message"));
    }
    e.attempts = json_is_array(attempts) ? json_array_size(attempts) : 1;
    e.answered_by = json_string_value(json_object_get(result, "answered_by"));
    if (!e.failed && e.answered_by)
        llmt_summary_entry_primary(result, &e);
    e.structured_mode = e.failed ? NULL : json_string_value(json_object_get(result, "structured_mode"));
    e.strict = json_is_true(json_object_get(result, "strict"));
    relaxed = json_object_get(result, "schema_relaxed");
    relaxed_text = json_is_array(relaxed) ? json_dumps(relaxed, JSON_COMPACT) : NULL;
    e.schema_relaxed = relaxed_text;
    llmt_summary_add_entry(s, task, kase, model, &e);
    free(relaxed_text);
    if (!e.failed)
        add_fields(s, result);
}

void llmt_summary_free(llmt_summary *s)
{
    size_t i;
    for (i = 0; i < s->n_models; i++) {
        free(s->models[i].model_ref);
        json_decref(s->models[i].schema_relaxed);
    }
    free(s->models);
    for (i = 0; i < s->n_fallbacks; i++) {
        free(s->fallbacks[i].model_ref);
        json_decref(s->fallbacks[i].schema_relaxed);
    }
    free(s->fallbacks);
    free(s->rows);
    for (i = 0; i < s->n_errors; i++)
        free(s->errors[i].example);
    free(s->errors);
    llmt_report_stats_free(&s->fields);
    memset(s, 0, sizeof(*s));
}

double llmt_summary_mean(double sum, size_t n)
{
    return n ? sum / (double)n : 0;
}

double llmt_summary_stddev(double sum, double sq_sum, size_t n)
{
    double mean, var;
    if (n < 2)
        return 0;
    mean = sum / (double)n;
    var = (sq_sum - (double)n * mean * mean) / (double)(n - 1); /* sample standard deviation */
    return var > 0 ? sqrt(var) : 0;
}

bool llmt_summary_model_mean(const llmt_model_summary *m, double *mean)
{
    *mean = llmt_summary_mean(m->acc_sum, m->answered);
    return m->answered > 0;
}

/* A figure of the answers: null without answers. */
static json_t *real_or_null(bool has, double v)
{
    return has ? json_real(v) : json_null();
}

/* The structured modes seen, as an array of their names. */
static json_t *modes_json(unsigned modes)
{
    static const char *const names[] = {"prompt_only", "json_object", "json_schema"};
    json_t *ms = json_array();
    size_t k;
    for (k = 0; k < 3; k++)
        if (modes & (1u << k))
            json_array_append_new(ms, json_string(names[k]));
    return ms;
}

static json_t *model_json(const llmt_model_summary *m, bool fallback)
{
    const char *colon = strchr(m->model_ref, ':');
    bool has = m->answered > 0;
    json_t *o = json_object();
    json_object_set_new(o, "model", json_string(m->model_ref));
    json_object_set_new(o, "provider", json_stringn(m->model_ref, colon ? (size_t)(colon - m->model_ref) : 0));
    json_object_set_new(o, "cases", json_integer((json_int_t)m->results));
    json_object_set_new(o, "answered", json_integer((json_int_t)m->answered));
    if (!fallback) {
        json_object_set_new(o, "errors", json_integer((json_int_t)m->errors));
        json_object_set_new(o, "skipped", json_integer((json_int_t)m->skipped));
    }
    json_object_set_new(o, "valid", json_integer((json_int_t)m->valid));
    json_object_set_new(o, "mean_accuracy", real_or_null(has, llmt_summary_mean(m->acc_sum, m->answered)));
    json_object_set_new(o, "stddev_accuracy",
                        real_or_null(has, llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->answered)));
    json_object_set_new(o, "min_accuracy", real_or_null(has, m->acc_min));
    json_object_set_new(o, "max_accuracy", real_or_null(has, m->acc_max));
    json_object_set_new(o, "mean_latency_ms", real_or_null(has, llmt_summary_mean(m->latency_sum, m->answered)));
    json_object_set_new(o, "stddev_latency_ms",
                        real_or_null(has, llmt_summary_stddev(m->latency_sum, m->latency_sq_sum, m->answered)));
    json_object_set_new(o, "min_latency_ms", real_or_null(has, m->latency_min));
    json_object_set_new(o, "max_latency_ms", real_or_null(has, m->latency_max));
    if (fallback)
        return o;
    json_object_set_new(o, "first_attempt_valid", json_integer((json_int_t)m->first_attempt_valid));
    json_object_set_new(o, "first_attempt_validity",
                        json_real(m->results ? (double)m->first_attempt_valid / (double)m->results : 0));
    json_object_set_new(o, "attempts", json_integer((json_int_t)m->attempts));
    json_object_set_new(o, "answered_by_fallback", json_integer((json_int_t)m->by_fallback));
    json_object_set_new(o, "structured_modes", modes_json(m->modes));
    json_object_set_new(o, "schema_not_enforced", json_integer((json_int_t)m->schema_unenforced));
    json_object_set_new(o, "schema_relaxed", m->schema_relaxed ? json_copy(m->schema_relaxed) : json_array());
    json_object_set_new(o, "total_input_tokens", json_integer(m->input_tokens));
    json_object_set_new(o, "total_output_tokens", json_integer(m->output_tokens));
    json_object_set_new(o, "total_tokens", json_integer(m->input_tokens + m->output_tokens));
    json_object_set_new(o, "total_cost_usd", json_real(m->cost_usd));
    json_object_set_new(o, "saved_usd", json_real(m->saved_usd));
    json_object_set_new(o, "cost_complete", json_boolean(!m->cost_unknown));
    return o;
}

json_t *llmt_summary_json(const llmt_summary *s)
{
    json_t *arr = json_array();
    size_t i;
    for (i = 0; i < s->n_models; i++)
        json_array_append_new(arr, model_json(&s->models[i], false));
    return arr;
}

json_t *llmt_summary_fallback_json(const llmt_summary *s)
{
    json_t *arr = json_array();
    size_t i;
    for (i = 0; i < s->n_fallbacks; i++)
        json_array_append_new(arr, model_json(&s->fallbacks[i], true));
    return arr;
}

int llmt_result_row_cmp(const void *a, const void *b)
{
    const llmt_result_row *x = *(const llmt_result_row *const *)a;
    const llmt_result_row *y = *(const llmt_result_row *const *)b;
    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    if (x->kase != y->kase)
        return x->kase < y->kase ? -1 : 1;
    if (x->model != y->model)
        return x->model < y->model ? -1 : 1;
    return (x->repeat > y->repeat) - (x->repeat < y->repeat);
}

bool llmt_summary_case_stats(const llmt_summary *s, llmt_case_stats **out, size_t *n)
{
    const llmt_result_row **idx;
    llmt_case_stats *st;
    size_t i = 0, k = 0, n_idx;
    *out = NULL;
    *n = 0;
    if (!s->n_rows)
        return true;
    idx = malloc(s->n_rows * sizeof(*idx));
    st = calloc(s->n_rows, sizeof(*st));
    if (!idx || !st) {
        free(idx);
        free(st);
        return false;
    }
    /* only the model's own answers: a failure has no accuracy to average */
    for (i = 0; i < s->n_rows; i++)
        if (s->rows[i].answered)
            idx[k++] = &s->rows[i];
    n_idx = k;
    k = 0;
    qsort(idx, n_idx, sizeof(*idx), llmt_result_row_cmp);
    for (i = 0; i < n_idx;) {
        size_t j = i;
        double as = 0, aq = 0, ls = 0, lq = 0;
        llmt_case_stats *c = &st[k++];
        c->task = idx[i]->task;
        c->kase = idx[i]->kase;
        c->model = idx[i]->model;
        c->acc_min = c->lat_min = INFINITY;
        c->acc_max = c->lat_max = -INFINITY;
        for (; j < n_idx && idx[j]->task == c->task && idx[j]->kase == c->kase &&
               idx[j]->model == c->model;
             j++) {
            double a = idx[j]->accuracy, l = idx[j]->latency_ms;
            as += a;
            aq += a * a;
            ls += l;
            lq += l * l;
            if (a < c->acc_min) c->acc_min = a;
            if (a > c->acc_max) c->acc_max = a;
            if (l < c->lat_min) c->lat_min = l;
            if (l > c->lat_max) c->lat_max = l;
        }
        c->n = j - i;
        c->acc_mean = llmt_summary_mean(as, c->n);
        c->acc_stddev = llmt_summary_stddev(as, aq, c->n);
        c->lat_mean = llmt_summary_mean(ls, c->n);
        c->lat_stddev = llmt_summary_stddev(ls, lq, c->n);
        i = j;
    }
    free(idx);
    *out = st;
    *n = k;
    return true;
}

size_t llmt_summary_max_repeats(const llmt_summary *s)
{
    llmt_case_stats *st;
    size_t n, i, best = 0;
    if (s->max_repeat <= 0)
        return s->n_rows ? 1 : 0;
    if (!llmt_summary_case_stats(s, &st, &n))
        return 1;
    for (i = 0; i < n; i++)
        if (st[i].n > best)
            best = st[i].n;
    free(st);
    return best;
}

json_t *llmt_summary_cases_json(const llmt_summary *s)
{
    llmt_case_stats *st;
    size_t n, i;
    json_t *arr = json_array();
    if (!llmt_summary_case_stats(s, &st, &n))
        return arr;
    for (i = 0; i < n; i++) {
        const llmt_case_stats *c = &st[i];
        json_t *o = json_object();
        if (s->tasks && c->task < s->tasks->n_tasks) {
            const llmt_task *t = &s->tasks->tasks[c->task];
            json_object_set_new(o, "task", json_string(t->name));
            if (c->kase < t->n_cases)
                json_object_set_new(o, "case", json_string(t->cases[c->kase].name));
        }
        json_object_set_new(o, "model", json_string(s->models[c->model].model_ref));
        json_object_set_new(o, "runs", json_integer((json_int_t)c->n));
        json_object_set_new(o, "mean_accuracy", json_real(c->acc_mean));
        json_object_set_new(o, "stddev_accuracy", json_real(c->acc_stddev));
        json_object_set_new(o, "min_accuracy", json_real(c->acc_min));
        json_object_set_new(o, "max_accuracy", json_real(c->acc_max));
        json_object_set_new(o, "mean_latency_ms", json_real(c->lat_mean));
        json_object_set_new(o, "stddev_latency_ms", json_real(c->lat_stddev));
        json_object_set_new(o, "min_latency_ms", json_real(c->lat_min));
        json_object_set_new(o, "max_latency_ms", json_real(c->lat_max));
        json_array_append_new(arr, o);
    }
    free(st);
    return arr;
}
