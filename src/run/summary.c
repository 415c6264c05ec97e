#include "run/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void llmt_summary_init(llmt_summary *s, const char *const *model_refs, size_t n_models)
{
    size_t i;
    memset(s, 0, sizeof(*s));
    s->models = calloc(n_models ? n_models : 1, sizeof(*s->models));
    if (!s->models)
        return;
    s->n_models = n_models;
    for (i = 0; i < n_models; i++) {
        s->models[i].model_ref = llmt_strdup(model_refs[i]);
        s->models[i].acc_min = s->models[i].latency_min = INFINITY;
        s->models[i].acc_max = s->models[i].latency_max = -INFINITY;
    }
}

static void add_error(llmt_summary *s, const llmt_summary_entry *e)
{
    const char *prov = e->error_provider ? e->error_provider : "";
    const char *cls = e->error_class ? e->error_class : "error";
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
    g->example = llmt_strdup(e->error_message ? e->error_message : "");
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

void llmt_summary_add_entry(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                            const llmt_summary_entry *e)
{
    llmt_model_summary *m = &s->models[model];
    double acc = e->accuracy, lat = e->latency_ms;
    llmt_result_row *row;
    m->results++;
    m->errors += e->failed;
    m->valid += e->valid;
    m->first_attempt_valid += e->valid && e->attempts <= 1;
    m->attempts += e->attempts;
    m->by_fallback += e->answered_by && !answered_by_is(e, m->model_ref);
    if (e->failed)
        add_error(s, e);
    m->acc_sum += acc;
    m->acc_sq_sum += acc * acc;
    if (acc < m->acc_min) m->acc_min = acc;
    if (acc > m->acc_max) m->acc_max = acc;
    m->latency_sum += lat;
    m->latency_sq_sum += lat * lat;
    if (lat < m->latency_min) m->latency_min = lat;
    if (lat > m->latency_max) m->latency_max = lat;
    m->input_tokens += e->input_tokens;
    m->output_tokens += e->output_tokens;
    if (e->cost_known) {
        m->cost_usd += e->cost_usd;
        s->total_cost += e->cost_usd;
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
    row->accuracy = acc;
    row->latency_ms = lat;
    row->cost_usd = e->cost_known ? e->cost_usd : 0;
    row->cost_known = e->cost_known;
    row->tokens = e->input_tokens + e->output_tokens;
    row->valid = e->valid;
    row->failed = e->failed;
    if (e->failed)
        snprintf(row->error_class, sizeof row->error_class, "%s",
                 e->error_class ? e->error_class : "error");
}

void llmt_summary_add(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                      const json_t *result)
{
    json_t *usage = json_object_get(result, "usage");
    json_t *cost = json_object_get(usage, "cost_usd");
    json_t *error = json_object_get(result, "error");
    json_t *attempts = json_object_get(result, "attempts");
    llmt_summary_entry e;
    memset(&e, 0, sizeof e);
    e.repeat = (int)json_integer_value(json_object_get(result, "repeat"));
    e.accuracy = json_number_value(json_object_get(result, "accuracy"));
    e.latency_ms = json_number_value(json_object_get(result, "latency_ms"));
    e.input_tokens = (long)json_integer_value(json_object_get(usage, "input_tokens"));
    e.output_tokens = (long)json_integer_value(json_object_get(usage, "output_tokens"));
    e.cost_known = json_is_number(cost);
    e.cost_usd = json_number_value(cost);
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
    llmt_summary_add_entry(s, task, kase, model, &e);
}

void llmt_summary_free(llmt_summary *s)
{
    size_t i;
    for (i = 0; i < s->n_models; i++)
        free(s->models[i].model_ref);
    free(s->models);
    free(s->rows);
    for (i = 0; i < s->n_errors; i++)
        free(s->errors[i].example);
    free(s->errors);
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

json_t *llmt_summary_json(const llmt_summary *s)
{
    json_t *arr = json_array();
    size_t i;
    for (i = 0; i < s->n_models; i++) {
        const llmt_model_summary *m = &s->models[i];
        const char *colon = strchr(m->model_ref, ':');
        json_t *o = json_object();
        json_object_set_new(o, "model", json_string(m->model_ref));
        json_object_set_new(o, "provider", json_stringn(m->model_ref, colon ? (size_t)(colon - m->model_ref) : 0));
        json_object_set_new(o, "cases", json_integer((json_int_t)m->results));
        json_object_set_new(o, "errors", json_integer((json_int_t)m->errors));
        json_object_set_new(o, "valid", json_integer((json_int_t)m->valid));
        json_object_set_new(o, "mean_accuracy", json_real(llmt_summary_mean(m->acc_sum, m->results)));
        json_object_set_new(o, "stddev_accuracy",
                            json_real(llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->results)));
        json_object_set_new(o, "min_accuracy", json_real(m->results ? m->acc_min : 0));
        json_object_set_new(o, "max_accuracy", json_real(m->results ? m->acc_max : 0));
        json_object_set_new(o, "first_attempt_valid", json_integer((json_int_t)m->first_attempt_valid));
        json_object_set_new(o, "first_attempt_validity",
                            json_real(m->results ? (double)m->first_attempt_valid / (double)m->results : 0));
        json_object_set_new(o, "attempts", json_integer((json_int_t)m->attempts));
        json_object_set_new(o, "answered_by_fallback", json_integer((json_int_t)m->by_fallback));
        json_object_set_new(o, "mean_latency_ms", json_real(llmt_summary_mean(m->latency_sum, m->results)));
        json_object_set_new(o, "stddev_latency_ms",
                            json_real(llmt_summary_stddev(m->latency_sum, m->latency_sq_sum, m->results)));
        json_object_set_new(o, "min_latency_ms", json_real(m->results ? m->latency_min : 0));
        json_object_set_new(o, "max_latency_ms", json_real(m->results ? m->latency_max : 0));
        json_object_set_new(o, "total_input_tokens", json_integer(m->input_tokens));
        json_object_set_new(o, "total_output_tokens", json_integer(m->output_tokens));
        json_object_set_new(o, "total_tokens", json_integer(m->input_tokens + m->output_tokens));
        json_object_set_new(o, "total_cost_usd", json_real(m->cost_usd));
        json_object_set_new(o, "cost_complete", json_boolean(!m->cost_unknown));
        json_array_append_new(arr, o);
    }
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
    size_t i = 0, k = 0;
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
    for (i = 0; i < s->n_rows; i++)
        idx[i] = &s->rows[i];
    qsort(idx, s->n_rows, sizeof(*idx), llmt_result_row_cmp);
    for (i = 0; i < s->n_rows;) {
        size_t j = i;
        double as = 0, aq = 0, ls = 0, lq = 0;
        llmt_case_stats *c = &st[k++];
        c->task = idx[i]->task;
        c->kase = idx[i]->kase;
        c->model = idx[i]->model;
        c->acc_min = c->lat_min = INFINITY;
        c->acc_max = c->lat_max = -INFINITY;
        for (; j < s->n_rows && idx[j]->task == c->task && idx[j]->kase == c->kase &&
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
