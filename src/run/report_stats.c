#include "run/report_stats.h"

#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"
#include "run/output.h"

void llmt_report_stats_init(llmt_report_stats *s)
{
    memset(s, 0, sizeof *s);
}

void llmt_report_stats_free(llmt_report_stats *s)
{
    size_t i;
    for (i = 0; i < s->n_tasks; i++) {
        free(s->tasks[i].task);
        free(s->tasks[i].model);
    }
    for (i = 0; i < s->n_fields; i++) {
        free(s->fields[i].model);
        free(s->fields[i].path);
    }
    llmt_free_strv(s->models, s->n_models);
    free(s->tasks);
    free(s->fields);
    json_decref(s->index);
    memset(s, 0, sizeof *s);
}

void llmt_field_path_fold(llmt_buf *b, const char *path)
{
    while (*path) {
        const char *end = strchr(path + 1, '/');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        size_t digits = strspn(path + 1, "0123456789");
        if (path[0] == '/' && digits && digits == n - 1)
            llmt_buf_puts(b, "/[]");
        else
            llmt_buf_append(b, path, n);
        path += n;
    }
}

/* Grows array *v (element size `size`) to hold one more; false when out of memory. */
static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
    void *p;
    if (n < *cap)
        return true;
    p = realloc(*v, (*cap ? *cap * 2 : 16) * size);
    if (!p)
        return false;
    *v = p;
    *cap = *cap ? *cap * 2 : 16;
    return true;
}

/* The index kept under key a\x1fb\x1fc, or -1 (after adding it as `next`, when asked). */
static long lookup(llmt_report_stats *s, const char *a, const char *b, const char *c, long next)
{
    char *k1 = llmt_concat3(a, "\x1f", b), *key = k1 ? llmt_concat3(k1, "\x1f", c) : NULL;
    json_t *i;
    long out = -1;
    if (!s->index)
        s->index = json_object();
    if (!key || !s->index) {
        s->oom = true;
    } else if ((i = json_object_get(s->index, key)) != NULL) {
        out = (long)json_integer_value(i);
    } else if (next >= 0 && json_object_set_new(s->index, key, json_integer(next)) != 0) {
        s->oom = true;
    }
    free(k1);
    free(key);
    return out;
}

static llmt_task_figures *task_row(llmt_report_stats *s, const char *task, const char *model)
{
    long i = lookup(s, "t", task, model, (long)s->n_tasks);
    llmt_task_figures *t;
    if (i >= 0)
        return &s->tasks[i];
    if (s->oom || !grow((void **)&s->tasks, &s->cap_tasks, s->n_tasks, sizeof *s->tasks)) {
        s->oom = true;
        return NULL;
    }
    t = &s->tasks[s->n_tasks++];
    memset(t, 0, sizeof *t);
    t->task = llmt_strdup(task);
    t->model = llmt_strdup(model);
    return t;
}

static llmt_field_figures *field_row(llmt_report_stats *s, const char *model, const char *path)
{
    long i = lookup(s, "f", model, path, (long)s->n_fields);
    llmt_field_figures *f;
    if (i >= 0)
        return &s->fields[i];
    if (s->oom || !grow((void **)&s->fields, &s->cap_fields, s->n_fields, sizeof *s->fields)) {
        s->oom = true;
        return NULL;
    }
    if (lookup(s, "m", model, "", -1) < 0) {
        if (!grow((void **)&s->models, &s->cap_models, s->n_models, sizeof *s->models)) {
            s->oom = true;
            return NULL;
        }
        s->models[s->n_models++] = llmt_strdup(model);
        lookup(s, "m", model, "", 0);
    }
    f = &s->fields[s->n_fields++];
    memset(f, 0, sizeof *f);
    f->model = llmt_strdup(model);
    f->path = llmt_strdup(path);
    return f;
}

static double number_or(llmt_jval v, double dflt)
{
    llmt_jtype t = llmt_jval_type(v);
    return t == LLMT_J_INTEGER || t == LLMT_J_REAL ? strtod(v.p, NULL) : dflt;
}

void llmt_report_stats_add_field(llmt_report_stats *s, const char *answerer, const char *path,
                                 double score)
{
    llmt_buf folded = {0};
    llmt_field_figures *f;
    llmt_field_path_fold(&folded, path);
    if (folded.oom) {
        s->oom = true;
    } else if ((f = field_row(s, answerer, folded.len ? folded.data : "(root)")) != NULL) {
        f->scored++;
        f->score_sum += score;
        f->lost += score < 1.0;
    }
    llmt_buf_free(&folded);
}

bool llmt_report_stats_field_counts(const char *reason, bool score_is_number)
{
    return score_is_number && reason && strcmp(reason, "list_item") != 0;
}

/* The scored fields of one answer (extra keys and list-item details are not scores). */
static void add_fields(llmt_report_stats *s, const char *answerer, llmt_jval fields)
{
    static const char *const keys[] = {"path", "score", "reason"};
    size_t i, n = llmt_jval_size(fields);
    for (i = 0; i < n; i++) {
        llmt_jval v[3];
        char *path, *reason;
        bool number;
        llmt_jval_get_many(llmt_jval_at(fields, i), keys, v, 3);
        number = llmt_jval_type(v[1]) == LLMT_J_INTEGER || llmt_jval_type(v[1]) == LLMT_J_REAL;
        reason = number ? llmt_jval_strdup(v[2], NULL) : NULL;
        path = reason ? llmt_jval_strdup(v[0], NULL) : NULL;
        if (path && llmt_report_stats_field_counts(reason, number))
            llmt_report_stats_add_field(s, answerer, path, number_or(v[1], 0));
        free(reason);
        free(path);
    }
}

void llmt_report_stats_add_fields_tree(llmt_report_stats *s, const char *answerer,
                                       const json_t *fields)
{
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *path = json_string_value(json_object_get(f, "path"));
        json_t *score = json_object_get(f, "score");
        const char *reason = json_string_value(json_object_get(f, "reason"));
        if (path && llmt_report_stats_field_counts(reason, json_is_number(score)))
            llmt_report_stats_add_field(s, answerer, path, json_number_value(score));
    }
}

/* The per-task figures of one line. */
static void add_task(llmt_report_stats *s, const char *task, const char *ref, const llmt_jval *v,
                     bool failed, bool fallback)
{
    llmt_task_figures *t = task_row(s, task, ref);
    llmt_jval cost;
    if (!t)
        return;
    t->results++;
    if (failed || fallback) {
        t->errors++;
    } else {
        t->answered++;
        t->acc_sum += number_or(v[5], 0);
        t->valid += llmt_jval_type(v[6]) == LLMT_J_TRUE;
    }
    cost = llmt_jval_get(v[7], "cost_usd");
    if (llmt_jval_type(cost) == LLMT_J_INTEGER || llmt_jval_type(cost) == LLMT_J_REAL)
        t->cost_usd += number_or(cost, 0);
    else
        t->cost_unknown = true;
}

void llmt_report_stats_add_line(llmt_report_stats *s, const char *line, size_t len)
{
    static const char *const keys[] = {"task", "provider", "model", "answered_by", "error",
                                       "accuracy", "valid", "usage", "fields"};
    llmt_jval root, v[9];
    char *task, *prov, *model, *by, *ref;
    bool failed;
    if (!llmt_jscan_parse(line, len, &root, NULL, 0))
        return;
    llmt_jval_get_many(root, keys, v, 9);
    task = llmt_jval_strdup(v[0], NULL);
    prov = llmt_jval_strdup(v[1], NULL);
    model = llmt_jval_strdup(v[2], NULL);
    by = llmt_jval_strdup(v[3], NULL);
    ref = prov && model ? llmt_concat3(prov, ":", model) : NULL;
    failed = llmt_jval_type(v[4]) == LLMT_J_OBJECT;
    if (task && ref)
        add_task(s, task, ref, v, failed, !failed && by && strcmp(by, ref) != 0);
    /* a field counts under the model that answered, whatever the line's task */
    if (!failed && (by || ref))
        add_fields(s, by ? by : ref, v[8]);
    free(task);
    free(prov);
    free(model);
    free(by);
    free(ref);
}

static void add_line(const char *line, size_t len, void *ud)
{
    llmt_report_stats_add_line(ud, line, len);
}

llmt_status llmt_report_stats_from_jsonl(llmt_report_stats *s, const char *path, llmt_error *err)
{
    llmt_status st = llmt_jsonl_lines(path, add_line, s, err);
    if (st == LLMT_OK && s->oom)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory reading %s", path);
    return st;
}

size_t llmt_report_stats_top_lost(const llmt_report_stats *s, const char *model,
                                  const llmt_field_figures **out, size_t max)
{
    size_t i, n = 0, k;
    for (i = 0; i < s->n_fields; i++) {
        const llmt_field_figures *f = &s->fields[i];
        if (!f->lost || strcmp(f->model, model) != 0)
            continue;
        /* insertion into the top `max`, best first */
        for (k = n; k > 0; k--) {
            const llmt_field_figures *g = out[k - 1];
            double lf = (double)f->scored - f->score_sum, lg = (double)g->scored - g->score_sum;
            if (g->lost > f->lost || (g->lost == f->lost && lg >= lf))
                break;
            if (k < max)
                out[k] = g;
        }
        if (k < max) {
            out[k] = f;
            if (n < max)
                n++;
        }
    }
    return n;
}

void llmt_report_stats_print_most_lost(FILE *f, const llmt_report_stats *s, size_t max_fields)
{
    const llmt_field_figures **top = calloc(max_fields ? max_fields : 1, sizeof *top);
    size_t i, k, n;
    for (i = 0; top && i < s->n_models; i++) {
        n = llmt_report_stats_top_lost(s, s->models[i], top, max_fields);
        if (!n)
            continue;
        fprintf(f, "Most lost %-24s", s->models[i]);
        for (k = 0; k < n; k++)
            fprintf(f, "%s%s %zu/%zu", k ? ", " : " ", top[k]->path, top[k]->lost, top[k]->scored);
        fputc('\n', f);
    }
    free(top);
}
