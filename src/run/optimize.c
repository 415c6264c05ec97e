#include "run/optimize.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "exec/engine.h"
#include "run/result.h"

/* ------------------------------------------------------------------ field problems */

/* "/location/city" -> "location.city", "/skills/2" -> "skills[2]" (the Python tool's
 * spelling of a field); JSON pointer escapes decoded. */
static char *field_name(const char *path)
{
    llmt_buf b = {0};
    const char *p = path && *path == '/' ? path + 1 : path ? path : "";
    if (!*p)
        return llmt_strdup("(root)");
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p), i;
        bool index = len > 0;
        for (i = 0; i < len; i++)
            index = index && isdigit((unsigned char)p[i]);
        if (index) {
            llmt_buf_puts(&b, "[");
            llmt_buf_append(&b, p, len);
            llmt_buf_puts(&b, "]");
        } else {
            if (b.len)
                llmt_buf_puts(&b, ".");
            for (i = 0; i < len; i++) {
                if (p[i] == '~' && i + 1 < len && (p[i + 1] == '0' || p[i + 1] == '1')) {
                    llmt_buf_puts(&b, p[i + 1] == '0' ? "~" : "/");
                    i++;
                } else {
                    llmt_buf_append(&b, &p[i], 1);
                }
            }
        }
        p += len + (end ? 1 : 0);
    }
    return llmt_buf_steal(&b);
}

/* The kind of one field detail below full score; -1 when it has none. */
static int detail_kind(const json_t *result, json_t *f)
{
    const char *reason = json_string_value(json_object_get(f, "reason"));
    json_t *score = json_object_get(f, "score");
    json_t *exp = json_object_get(f, "expected"), *act = llmt_result_field_actual(result, f);
    if (!reason)
        return -1;
    if (strcmp(reason, "missing") == 0)
        return LLMT_FIELD_MISSING;
    if (strcmp(reason, "extra") == 0)
        return LLMT_FIELD_UNEXPECTED;
    if (json_is_number(score) && json_number_value(score) >= 1.0)
        return -1;
    if (!act)
        return -1; /* an item the answer's list lacks: its list's length says it */
    if (json_is_array(exp) && json_is_array(act) && json_array_size(exp) != json_array_size(act))
        return LLMT_FIELD_LIST_LENGTH;
    return strcmp(reason, "match") == 0 ? -1 : LLMT_FIELD_WRONG_VALUE;
}

static void add_problem(llmt_case_problems *p, char *field, int kind)
{
    size_t i;
    llmt_field_problem *v;
    for (i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].field, field) == 0) {
            if ((int)p->v[i].kind > kind)
                p->v[i].kind = (llmt_field_problem_kind)kind;
            free(field);
            return;
        }
    }
    v = realloc(p->v, (p->n + 1) * sizeof(*v));
    if (!v) {
        free(field);
        return;
    }
    p->v = v;
    v[p->n].field = field;
    v[p->n++].kind = (llmt_field_problem_kind)kind;
}

void llmt_case_problems_add(llmt_case_problems *p, json_t *result)
{
    json_t *fields = json_object_get(result, "fields"), *f;
    size_t i;
    if (!json_is_true(json_object_get(result, "valid")))
        p->invalid = true;
    json_array_foreach(fields, i, f) {
        int kind = detail_kind(result, f);
        char *name = kind >= 0 ? field_name(json_string_value(json_object_get(f, "path"))) : NULL;
        if (name)
            add_problem(p, name, kind);
    }
}

void llmt_case_problems_sort(llmt_case_problems *p)
{
    size_t i, j;
    /* insertion sort: stable, and the lists are short */
    for (i = 1; i < p->n; i++) {
        llmt_field_problem x = p->v[i];
        for (j = i; j > 0 && p->v[j - 1].kind > x.kind; j--)
            p->v[j] = p->v[j - 1];
        p->v[j] = x;
    }
}

void llmt_case_problems_free(llmt_case_problems *p)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        free(p->v[i].field);
    free(p->v);
    memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ prompts */

char *llmt_optimize_prompt_rules(const char *original, const llmt_case_problems *p)
{
    static const char *const line[] = {
        "The field '%s' must be included in your response.\n",
        "Pay special attention to the value of '%s' to ensure accuracy.\n",
        "Ensure you extract all items for the list '%s'.\n",
        "Do not include extra field '%s' in your response.\n"};
    llmt_buf b = {0};
    size_t i;
    if (!p->n && !p->invalid)
        return llmt_strdup(original);
    llmt_buf_puts(&b, original);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
        b.data[--b.len] = '\0';
    llmt_buf_puts(&b, "\n\nADDITIONAL INSTRUCTIONS:\n");
    if (p->invalid)
        llmt_buf_puts(&b, "IMPORTANT: Your response must be valid JSON with the requested fields "
                          "and formats.\n");
    for (i = 0; i < p->n; i++)
        llmt_buf_printf(&b, line[p->v[i].kind], p->v[i].field);
    llmt_buf_puts(&b, "\nIMPORTANT TIPS FOR ACCURATE EXTRACTION:\n"
                      "- Extract all required information exactly as presented in the source text\n"
                      "- Format dates in ISO format (YYYY-MM-DD)\n"
                      "- Use proper boolean values (true/false) for yes/no fields\n"
                      "- Keep list items in the order they appear in the text\n"
                      "- Format your response as valid JSON\n");
    return llmt_buf_steal(&b);
}

char *llmt_optimize_prompt_request(const char *original, const llmt_case_problems *p)
{
    static const char *const line[] = {"- the field '%s' was missing\n",
                                       "- the value of '%s' was wrong\n",
                                       "- the list '%s' did not have every item\n",
                                       "- the field '%s' was included but is not expected\n"};
    llmt_buf b = {0};
    size_t i;
    llmt_buf_puts(&b, "You improve prompts for structured data extraction. A model was given the "
                      "prompt below, and its answers had these problems:\n");
    if (p->invalid)
        llmt_buf_puts(&b, "- the answer was not valid JSON matching the schema\n");
    for (i = 0; i < p->n; i++)
        llmt_buf_printf(&b, line[p->v[i].kind], p->v[i].field);
    llmt_buf_puts(&b, "Rewrite the prompt so that a model avoids these problems: name the fields "
                      "concerned, keep every instruction of the original that still applies. "
                      "Reply with the new prompt only, without any commentary.\n\nPROMPT:\n");
    llmt_buf_puts(&b, original);
    return llmt_buf_steal(&b);
}

/* ------------------------------------------------------------------ reading results */

typedef struct opt_cell {
    char *key;                    /* "task\037case\037provider:model" */
    double sum[2];                /* [0] original, [1] optimized */
    size_t n[2];
} opt_cell;

typedef struct opt_case {
    char *task, *case_name;
    llmt_case_problems problems;
    const llmt_task *t;           /* in the run's task set */
    const llmt_case *c;
    char *prompt;                 /* the amended prompt */
    char *prompt_path;            /* where it was saved in the output */
} opt_case;

typedef struct opt_state {
    json_t *case_index;           /* "task\037case" -> index in cases */
    json_t *cell_index;           /* cell key -> index in cells */
    opt_case *cases;
    size_t n_cases;
    opt_cell *cells;
    size_t n_cells;
    int pass;                     /* 0: the run, 1: the re-run */
} opt_state;

static size_t index_of(json_t *index, const char *key, size_t *count, void **arr, size_t size,
                       bool *fresh)
{
    json_t *v = json_object_get(index, key);
    void *grown;
    *fresh = false;
    if (v)
        return (size_t)json_integer_value(v);
    grown = realloc(*arr, (*count + 1) * size);
    if (!grown)
        return (size_t)-1;
    *arr = grown;
    memset((char *)grown + *count * size, 0, size);
    json_object_set_new(index, key, json_integer((json_int_t)*count));
    *fresh = true;
    return (*count)++;
}

static void on_result(json_t *r, void *ud)
{
    opt_state *s = ud;
    const char *task = json_string_value(json_object_get(r, "task"));
    const char *cname = json_string_value(json_object_get(r, "case"));
    const char *prov = json_string_value(json_object_get(r, "provider"));
    const char *model = json_string_value(json_object_get(r, "model"));
    double acc = json_number_value(json_object_get(r, "accuracy"));
    char *ckey, *key;
    size_t i;
    bool fresh;
    if (!task || !cname || !prov || !model)
        return;
    ckey = llmt_asprintf("%s\037%s", task, cname);
    key = ckey ? llmt_asprintf("%s\037%s:%s", ckey, prov, model) : NULL;
    i = key ? index_of(s->cell_index, key, &s->n_cells, (void **)&s->cells, sizeof(*s->cells),
                       &fresh)
            : (size_t)-1;
    if (i != (size_t)-1) {
        if (fresh)
            s->cells[i].key = llmt_strdup(key);
        s->cells[i].sum[s->pass] += acc;
        s->cells[i].n[s->pass]++;
    }
    /* a provider failure says nothing about the prompt */
    if (s->pass == 0 && ckey && json_is_null(json_object_get(r, "error")) && acc < 100.0) {
        i = index_of(s->case_index, ckey, &s->n_cases, (void **)&s->cases, sizeof(*s->cases),
                     &fresh);
        if (i != (size_t)-1) {
            if (fresh) {
                s->cases[i].task = llmt_strdup(task);
                s->cases[i].case_name = llmt_strdup(cname);
            }
            llmt_case_problems_add(&s->cases[i].problems, r);
        }
    }
    free(key);
    free(ckey);
}

static int cmp_case(const void *a, const void *b)
{
    const opt_case *x = a, *y = b;
    int c = strcmp(x->task, y->task);
    return c ? c : strcmp(x->case_name, y->case_name);
}

static void state_free(opt_state *s)
{
    size_t i;
    for (i = 0; i < s->n_cases; i++) {
        free(s->cases[i].task);
        free(s->cases[i].case_name);
        free(s->cases[i].prompt);
        free(s->cases[i].prompt_path);
        llmt_case_problems_free(&s->cases[i].problems);
    }
    for (i = 0; i < s->n_cells; i++)
        free(s->cells[i].key);
    free(s->cases);
    free(s->cells);
    json_decref(s->case_index);
    json_decref(s->cell_index);
}

static int cmp_case_name(const void *key, const void *elem)
{
    return strcmp(key, ((const llmt_case *)elem)->name);
}

/* Finds each case in the run's task set (the results may name cases that are gone). */
static void locate(opt_state *s, const llmt_taskset *ts)
{
    size_t i, j;
    for (i = 0; i < s->n_cases; i++) {
        opt_case *oc = &s->cases[i];
        for (j = 0; j < ts->n_tasks && !oc->t; j++) {
            const llmt_task *t = &ts->tasks[j];
            if (strcmp(t->name, oc->task) == 0) {
                oc->c = bsearch(oc->case_name, t->cases, t->n_cases, sizeof(*t->cases),
                                cmp_case_name);
                oc->t = oc->c ? t : NULL;
            }
        }
    }
}

/* ------------------------------------------------------------------ new prompts */

/* Asks the optimizer model for the new prompt, once, as llmt_manager_complete would
 * (recorded or replayed as `tape` says); NULL (with err) when it fails. */
static char *ask_optimizer(llmt_manager *mgr, const char *model_ref, const char *original,
                           const llmt_case_problems *p, const llmt_engine_tape *tape,
                           llmt_optimize_result *out, llmt_error *err)
{
    static const llmt_retry_policy once = {0, 0, 0, 0};
    char *text = llmt_optimize_prompt_request(original, p), *reply = NULL;
    llmt_request req;
    llmt_message msg;
    llmt_response resp;
    llmt_job_result jr;
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    memset(&jr, 0, sizeof jr);
    req.version = LLMT_REQUEST_VERSION;
    msg.role = "user";
    msg.content = text ? text : "";
    req.messages = &msg;
    req.n_messages = 1;
    req.temperature = -1;
    req.prompt_text = msg.content;
    if (text && llmt_engine_run_one_taped(mgr, &req, &model_ref, 1, &once, tape, &jr, err) ==
                    LLMT_OK) {
        size_t n;
        resp = jr.response;
        memset(&jr.response, 0, sizeof jr.response);
        const char *r = resp.text;
        out->optimizer_calls++;
        if (resp.cost_known)
            out->optimizer_cost_usd += resp.cost_usd;
        else
            out->optimizer_cost_known = false;
        while (*r && isspace((unsigned char)*r))
            r++;
        if (strncmp(r, "```", 3) == 0) {
            /* a prompt sent back inside a fence: the fence is not part of it */
            const char *nl = strchr(r, '\n');
            r = nl ? nl + 1 : r + strlen(r);
        }
        n = strlen(r);
        while (n && isspace((unsigned char)r[n - 1]))
            n--;
        if (n >= 3 && strncmp(r + n - 3, "```", 3) == 0)
            n -= 3;
        while (n && isspace((unsigned char)r[n - 1]))
            n--;
        if (n)
            reply = llmt_strndup(r, n);
        else
            llmt_error_set(err, LLMT_E_BAD_RESPONSE, "%s answered with an empty prompt", model_ref);
    }
    llmt_response_clear(&resp);
    llmt_job_result_clear(&jr);
    free(text);
    return reply;
}

static llmt_status save_text(const char *path, const char *text, llmt_error *err)
{
    llmt_status st = llmt_mkdirs_for_file(path, err);
    return st == LLMT_OK ? llmt_write_file_atomic(path, text, strlen(text), err) : st;
}

/* The amended prompt of one case, saved under the output (and in the task with
 * --save-optimized). */
static llmt_status build_prompt(llmt_manager *mgr, const llmt_optimize_options *o, opt_case *oc,
                                llmt_optimize_result *out, llmt_diags *diags, llmt_error *err)
{
    llmt_case_data data;
    llmt_status st = llmt_case_load(oc->t, oc->c, &data, err);
    if (st != LLMT_OK)
        return st;
    llmt_case_problems_sort(&oc->problems);
    if (o->optimizer_model) {
        llmt_error oerr;
        char *who = llmt_asprintf("%s@optimizer", oc->task); /* its calls' cassette name */
        llmt_engine_tape tape = {who, oc->case_name, o->run->engine.record, o->run->engine.replay};
        oc->prompt = who ? ask_optimizer(mgr, o->optimizer_model, data.prompt, &oc->problems,
                                         &tape, out, &oerr)
                         : NULL;
        if (!who)
            llmt_error_set(&oerr, LLMT_E_NOMEM, "out of memory");
        free(who);
        if (!oc->prompt)
            llmt_diags_add(diags, LLMT_DIAG_WARNING, o->optimizer_model, "",
                           "%s/%s: the optimizer model failed (%s); the rule-based prompt is used",
                           oc->task, oc->case_name, oerr.message);
    }
    if (!oc->prompt)
        oc->prompt = llmt_optimize_prompt_rules(data.prompt, &oc->problems);
    llmt_case_data_free(&data);
    oc->prompt_path = llmt_asprintf("%s/optimized_prompts/%s/%s.txt", o->output_dir, oc->task,
                                    oc->case_name);
    if (!oc->prompt || !oc->prompt_path)
        return llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
    st = save_text(oc->prompt_path, oc->prompt, err);
    if (st == LLMT_OK && o->save_optimized) {
        char *own = llmt_asprintf("%s/tests/prompts/optimized/%s.txt", oc->t->dir, oc->case_name);
        st = own ? save_text(own, oc->prompt, err) : llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
        free(own);
    }
    return st;
}

/* ------------------------------------------------------------------ the re-run */

/* A copy of task `src` holding only the cases of `cases` (which belong to it), each
 * with its amended prompt read from `prompts_dir`. */
static llmt_status derive_task(const llmt_task *src, opt_case *cases, size_t n,
                               const char *prompts_dir, llmt_task *t, llmt_error *err)
{
    size_t i, j, bytes = 0, used = 0;
    memset(t, 0, sizeof(*t));
    for (i = 0; i < n; i++)
        bytes += strlen(cases[i].case_name) + 1;
    t->name = llmt_strdup(src->name);
    t->dir = llmt_strdup(src->dir);
    t->schema_path = llmt_strdup(src->schema_path);
    t->schema_text = llmt_strdup(src->schema_text);
    t->description = llmt_strdup(src->description);
    t->default_prompt = llmt_strdup(src->default_prompt);
    t->scoring = json_incref(src->scoring);
    t->task_json = json_incref(src->task_json);
    t->sources_dir = llmt_strdup(src->sources_dir);
    t->expected_dir = llmt_strdup(src->expected_dir);
    t->prompts_dir = llmt_strdup(prompts_dir);
    t->names = malloc(bytes ? bytes : 1);
    t->cases = calloc(n ? n : 1, sizeof(*t->cases));
    if (!t->name || !t->names || !t->cases || !t->prompts_dir)
        return llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
    for (i = 0; i < n; i++) {
        const llmt_case *c = cases[i].c;
        llmt_case *d = &t->cases[t->n_cases++];
        size_t len = strlen(c->name) + 1;
        memcpy(t->names + used, c->name, len);
        d->name = t->names + used;
        used += len;
        d->prompt_path = llmt_strdup(cases[i].prompt_path);
        d->has_source = c->has_source;
        d->source_regular = c->source_regular;
        d->expected_regular = c->expected_regular;
        d->prompt_regular = true;
        d->file_paths = c->n_files ? calloc(c->n_files, sizeof(char *)) : NULL;
        for (j = 0; d->file_paths && j < c->n_files; j++)
            d->file_paths[d->n_files++] = llmt_strdup(c->file_paths[j]);
    }
    return LLMT_OK;
}

/* The task set of the re-run (cases sorted by task then name, as in the state), and
 * the per-task model mask carried over from the run's. */
static llmt_status derive_tasks(const opt_state *s, const llmt_optimize_options *o,
                                llmt_taskset *ts, unsigned char **mask, llmt_error *err)
{
    size_t i = 0, nm = o->run->n_models;
    const llmt_taskset *orig = o->run->tasks;
    llmt_status st = LLMT_OK;
    memset(ts, 0, sizeof(*ts));
    *mask = NULL;
    ts->tasks = calloc(s->n_cases ? s->n_cases : 1, sizeof(*ts->tasks));
    if (!ts->tasks)
        return llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
    if (o->run->task_model_mask && !(*mask = calloc((s->n_cases ? s->n_cases : 1) * nm, 1)))
        return llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
    while (i < s->n_cases && st == LLMT_OK) {
        const llmt_task *src = s->cases[i].t;
        char *dir = llmt_asprintf("%s/optimized_prompts/%s", o->output_dir, src->name);
        size_t n = 0;
        while (i + n < s->n_cases && s->cases[i + n].t == src)
            n++;
        st = dir ? derive_task(src, &s->cases[i], n, dir, &ts->tasks[ts->n_tasks], err)
                 : llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
        if (*mask)
            memcpy(*mask + ts->n_tasks * nm,
                   o->run->task_model_mask + (size_t)(src - orig->tasks) * nm, nm);
        ts->n_tasks++;
        free(dir);
        i += n;
    }
    return st;
}

/* ------------------------------------------------------------------ comparison */

static double cell_mean(const opt_state *s, const char *task, const char *cname,
                        const char *model_ref, int pass)
{
    char *key = llmt_asprintf("%s\037%s\037%s", task, cname, model_ref);
    json_t *v = key ? json_object_get(s->cell_index, key) : NULL;
    const opt_cell *c = v ? &s->cells[json_integer_value(v)] : NULL;
    free(key);
    return c && c->n[pass] ? c->sum[pass] / (double)c->n[pass] : NAN;
}

static void make_rows(const opt_state *s, const llmt_optimize_options *o, llmt_optimize_result *out)
{
    size_t i, m;
    out->rows = calloc(s->n_cases * o->run->n_models + 1, sizeof(*out->rows));
    for (i = 0; out->rows && i < s->n_cases; i++) {
        for (m = 0; m < o->run->n_models; m++) {
            const opt_case *oc = &s->cases[i];
            double before = cell_mean(s, oc->task, oc->case_name, o->run->models[m], 0);
            llmt_optimize_row *r;
            if (isnan(before))
                continue; /* this model did not run the case */
            r = &out->rows[out->n_rows++];
            r->task = llmt_strdup(oc->task);
            r->case_name = llmt_strdup(oc->case_name);
            r->model_ref = llmt_strdup(o->run->models[m]);
            r->original = before;
            r->optimized = cell_mean(s, oc->task, oc->case_name, o->run->models[m], 1);
            r->prompt_path = llmt_strdup(oc->prompt_path);
        }
    }
}

static llmt_status write_comparison(const llmt_optimize_options *o, const llmt_optimize_result *r,
                                    llmt_error *err)
{
    json_t *root = json_object(), *rows = json_array();
    char *path = llmt_path_join(o->output_dir, "optimize.json"), *text;
    llmt_status st;
    size_t i;
    json_object_set_new(root, "optimizer",
                        json_string(o->optimizer_model ? o->optimizer_model : "rules"));
    json_object_set_new(root, "cases", json_integer((json_int_t)r->n_cases));
    json_object_set_new(root, "optimizer_calls", json_integer((json_int_t)r->optimizer_calls));
    json_object_set_new(root, "optimizer_cost_usd", r->optimizer_cost_known
                                                         ? json_real(r->optimizer_cost_usd)
                                                         : json_null());
    for (i = 0; i < r->n_rows; i++) {
        const llmt_optimize_row *w = &r->rows[i];
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:f, s:o, s:s}", "task", w->task,
                                              "case", w->case_name, "model", w->model_ref,
                                              "original", w->original, "optimized",
                                              isnan(w->optimized) ? json_null()
                                                                  : json_real(w->optimized),
                                              "prompt_file", w->prompt_path));
    }
    json_object_set_new(root, "results", rows);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    st = path && text ? save_text(path, text, err)
                      : llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
    free(text);
    free(path);
    return st;
}

/* Reads the run's results and builds every case's prompt. */
static llmt_status prepare(llmt_manager *mgr, const llmt_optimize_options *o, opt_state *s,
                           llmt_optimize_result *out, llmt_diags *diags, llmt_error *err)
{
    char *jsonl = llmt_path_join(o->output_dir, "results.jsonl");
    llmt_status st = jsonl ? llmt_jsonl_foreach(jsonl, on_result, s, err)
                           : llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
    size_t i, kept = 0;
    free(jsonl);
    if (st != LLMT_OK)
        return st;
    if (s->n_cases)
        qsort(s->cases, s->n_cases, sizeof(*s->cases), cmp_case);
    locate(s, o->run->tasks);
    for (i = 0; i < s->n_cases; i++) {
        if (s->cases[i].t)
            s->cases[kept++] = s->cases[i];
        else
            llmt_case_problems_free(&s->cases[i].problems), free(s->cases[i].task),
                free(s->cases[i].case_name);
    }
    s->n_cases = kept;
    for (i = 0; i < s->n_cases && st == LLMT_OK; i++)
        st = build_prompt(mgr, o, &s->cases[i], out, diags, err);
    return st;
}

llmt_status llmt_optimize_run(llmt_manager *mgr, const llmt_optimize_options *o,
                              llmt_optimize_result *out, llmt_diags *diags, llmt_error *err)
{
    opt_state s;
    llmt_taskset ts;
    unsigned char *mask = NULL;
    llmt_run_options ro;
    llmt_status st;
    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof s);
    memset(&ts, 0, sizeof ts);
    out->optimizer_cost_known = true;
    s.case_index = json_object();
    s.cell_index = json_object();
    st = prepare(mgr, o, &s, out, diags, err);
    out->n_cases = s.n_cases;
    if (st == LLMT_OK && s.n_cases)
        st = derive_tasks(&s, o, &ts, &mask, err);
    if (st == LLMT_OK && s.n_cases) {
        char *dir = llmt_path_join(o->output_dir, "optimized");
        ro = *o->run;
        ro.tasks = &ts;
        ro.task_model_mask = mask;
        ro.output_dir = dir;
        ro.resume_dir = NULL;
        ro.filter = NULL;
        ro.shard_k = ro.shard_n = 0;
        ro.prompt_label = "optimized";
        ro.tape_phase = "optimized"; /* its cassette exchanges beside the run's own */
        st = dir ? llmt_run_execute(mgr, &ro, &out->rerun, diags, err)
                 : llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
        out->rerun_done = st == LLMT_OK;
        if (st == LLMT_OK && out->rerun.output_dir) {
            char *jsonl = llmt_path_join(out->rerun.output_dir, "results.jsonl");
            s.pass = 1;
            st = jsonl ? llmt_jsonl_foreach(jsonl, on_result, &s, err)
                       : llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
            free(jsonl);
        }
        free(dir);
    }
    if (st == LLMT_OK) {
        make_rows(&s, o, out);
        st = write_comparison(o, out, err);
    }
    llmt_taskset_free(&ts);
    free(mask);
    state_free(&s);
    return st;
}

void llmt_optimize_result_free(llmt_optimize_result *r)
{
    size_t i;
    for (i = 0; i < r->n_rows; i++) {
        free(r->rows[i].task);
        free(r->rows[i].case_name);
        free(r->rows[i].model_ref);
        free(r->rows[i].prompt_path);
    }
    free(r->rows);
    llmt_run_result_free(&r->rerun);
    memset(r, 0, sizeof(*r));
}
