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

void llmt_summary_add(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                      const json_t *result)
{
    llmt_model_summary *m = &s->models[model];
    json_t *usage = json_object_get(result, "usage");
    json_t *cost = json_object_get(usage, "cost_usd");
    json_t *error = json_object_get(result, "error");
    double acc = json_number_value(json_object_get(result, "accuracy"));
    double lat = json_number_value(json_object_get(result, "latency_ms"));
    long in = (long)json_integer_value(json_object_get(usage, "input_tokens"));
    long out = (long)json_integer_value(json_object_get(usage, "output_tokens"));
    bool failed = json_is_object(error);
    llmt_result_row *row;
    m->results++;
    m->errors += failed;
    m->valid += json_is_true(json_object_get(result, "valid"));
    m->acc_sum += acc;
    m->acc_sq_sum += acc * acc;
    if (acc < m->acc_min) m->acc_min = acc;
    if (acc > m->acc_max) m->acc_max = acc;
    m->latency_sum += lat;
    m->latency_sq_sum += lat * lat;
    if (lat < m->latency_min) m->latency_min = lat;
    if (lat > m->latency_max) m->latency_max = lat;
    m->input_tokens += in;
    m->output_tokens += out;
    if (json_is_number(cost)) {
        m->cost_usd += json_number_value(cost);
        s->total_cost += json_number_value(cost);
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
    row->repeat = (int)json_integer_value(json_object_get(result, "repeat"));
    row->accuracy = acc;
    row->latency_ms = lat;
    row->cost_usd = json_number_value(cost);
    row->cost_known = json_is_number(cost);
    row->tokens = in + out;
    row->valid = json_is_true(json_object_get(result, "valid"));
    row->failed = failed;
    if (failed) {
        const char *cls = json_string_value(json_object_get(error, "class"));
        snprintf(row->error_class, sizeof row->error_class, "%s", cls ? cls : "error");
    }
}

void llmt_summary_free(llmt_summary *s)
{
    size_t i;
    for (i = 0; i < s->n_models; i++)
        free(s->models[i].model_ref);
    free(s->models);
    free(s->rows);
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
        json_object_set_new(o, "mean_latency_ms", json_real(llmt_summary_mean(m->latency_sum, m->results)));
        json_object_set_new(o, "total_input_tokens", json_integer(m->input_tokens));
        json_object_set_new(o, "total_output_tokens", json_integer(m->output_tokens));
        json_object_set_new(o, "total_tokens", json_integer(m->input_tokens + m->output_tokens));
        json_object_set_new(o, "total_cost_usd", json_real(m->cost_usd));
        json_object_set_new(o, "cost_complete", json_boolean(!m->cost_unknown));
        json_array_append_new(arr, o);
    }
    return arr;
}
