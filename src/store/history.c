#include "store/history.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct llmt_history {
    sqlite3 *db;
};

static const char *const schema_sql =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS runs ("
    "  run_id TEXT PRIMARY KEY, started_at REAL, finished_at REAL, label TEXT);"
    "CREATE TABLE IF NOT EXISTS model_stats ("
    "  run_id TEXT, model TEXT, results INTEGER, errors INTEGER, valid INTEGER,"
    "  mean_accuracy REAL, stddev_accuracy REAL, cost_usd REAL, cost_complete INTEGER,"
    "  input_tokens INTEGER, output_tokens INTEGER, mean_latency_ms REAL,"
    "  PRIMARY KEY (run_id, model));"
    "CREATE TABLE IF NOT EXISTS results ("
    "  run_id TEXT, task TEXT, kase TEXT, model TEXT, rep INTEGER, accuracy REAL,"
    "  valid INTEGER, cost_usd REAL, latency_ms REAL, error_class TEXT);"
    "CREATE INDEX IF NOT EXISTS results_run ON results(run_id, task, kase, model);";

static llmt_status db_error(llmt_history *h, llmt_error *err, const char *what)
{
    return llmt_error_set(err, LLMT_E_IO, "history database: %s: %s", what, sqlite3_errmsg(h->db));
}

char *llmt_history_default_path(const char *project_dir)
{
    return llmt_asprintf("%s/.llm-tester/history.db", project_dir ? project_dir : ".");
}

/* Databases written before the seed was recorded get the column (NULL for their runs). */
static int add_seed_column(llmt_history *h)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(h->db, "SELECT seed FROM runs LIMIT 0", -1, &q, NULL);
    sqlite3_finalize(q);
    if (rc == SQLITE_OK)
        return SQLITE_OK;
    return sqlite3_exec(h->db, "ALTER TABLE runs ADD COLUMN seed INTEGER", NULL, NULL, NULL);
}

llmt_status llmt_history_open(llmt_history **out, const char *path, llmt_error *err)
{
    llmt_history *h = calloc(1, sizeof(*h));
    llmt_status st;
    if (!h)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    st = llmt_mkdirs_for_file(path, err);
    if (st != LLMT_OK) {
        free(h);
        return st;
    }
    if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        st = llmt_error_set(err, LLMT_E_IO, "history database %s: %s", path,
                            h->db ? sqlite3_errmsg(h->db) : "cannot open");
        llmt_history_close(h);
        return st;
    }
    sqlite3_busy_timeout(h->db, 5000); /* concurrent runs (shards) append to one database */
    if (sqlite3_exec(h->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        add_seed_column(h) != SQLITE_OK) {
        st = db_error(h, err, path);
        llmt_history_close(h);
        return st;
    }
    *out = h;
    return LLMT_OK;
}

void llmt_history_close(llmt_history *h)
{
    if (!h)
        return;
    sqlite3_close(h->db);
    free(h);
}

typedef struct insert_ctx {
    sqlite3_stmt *stmt;
    const char *run_id;
    bool failed;
} insert_ctx;

static void insert_result(json_t *r, void *ud)
{
    insert_ctx *c = ud;
    json_t *cost = json_object_get(json_object_get(r, "usage"), "cost_usd");
    json_t *err = json_object_get(r, "error");
    char *ref;
    if (c->failed)
        return;
    ref = llmt_asprintf("%s:%s", json_string_value(json_object_get(r, "provider")),
                        json_string_value(json_object_get(r, "model")));
    sqlite3_reset(c->stmt);
    sqlite3_bind_text(c->stmt, 1, c->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(c->stmt, 2, json_string_value(json_object_get(r, "task")), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(c->stmt, 3, json_string_value(json_object_get(r, "case")), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(c->stmt, 4, ref, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(c->stmt, 5, json_integer_value(json_object_get(r, "repeat")));
    /* no answer of the model's own (an error, a fallback's answer): no accuracy, so that
     * averages and comparisons leave it out */
    if (json_is_object(err) || json_is_true(json_object_get(r, "fallback")))
        sqlite3_bind_null(c->stmt, 6);
    else
        sqlite3_bind_double(c->stmt, 6, json_number_value(json_object_get(r, "accuracy")));
    sqlite3_bind_int(c->stmt, 7, json_is_true(json_object_get(r, "valid")));
    if (json_is_number(cost))
        sqlite3_bind_double(c->stmt, 8, json_number_value(cost));
    else
        sqlite3_bind_null(c->stmt, 8);
    sqlite3_bind_double(c->stmt, 9, json_number_value(json_object_get(r, "latency_ms")));
    if (json_is_object(err))
        sqlite3_bind_text(c->stmt, 10, json_string_value(json_object_get(err, "class")), -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(c->stmt, 10);
    if (sqlite3_step(c->stmt) != SQLITE_DONE)
        c->failed = true;
    free(ref);
}

llmt_status llmt_history_record(llmt_history *h, const llmt_run_meta *meta, const char *label,
                                const llmt_summary *s, const char *jsonl_path, llmt_error *err)
{
    sqlite3_stmt *st_run = NULL, *st_model = NULL, *st_res = NULL;
    llmt_status st = LLMT_OK;
    size_t i;
    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(h, err, "begin");
    if (sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO runs (run_id, started_at, finished_at, label) VALUES (?,?,?,?)", -1, &st_run, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO model_stats VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1,
                           &st_model, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h->db, "INSERT INTO results VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &st_res, NULL) != SQLITE_OK) {
        st = db_error(h, err, "prepare");
        goto done;
    }
    sqlite3_bind_text(st_run, 1, meta->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st_run, 2, meta->started_at);
    sqlite3_bind_double(st_run, 3, meta->finished_at);
    if (label)
        sqlite3_bind_text(st_run, 4, label, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st_run, 4);
    if (sqlite3_step(st_run) != SQLITE_DONE) {
        st = db_error(h, err, "insert run");
        goto done;
    }
    for (i = 0; i < s->n_models; i++) {
        const llmt_model_summary *m = &s->models[i];
        sqlite3_reset(st_model);
        sqlite3_bind_text(st_model, 1, meta->run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st_model, 2, m->model_ref, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st_model, 3, (sqlite3_int64)m->results);
        sqlite3_bind_int64(st_model, 4, (sqlite3_int64)m->errors);
        sqlite3_bind_int64(st_model, 5, (sqlite3_int64)m->valid);
        if (m->answered) { /* a model without answers has no mean */
            sqlite3_bind_double(st_model, 6, llmt_summary_mean(m->acc_sum, m->answered));
            sqlite3_bind_double(st_model, 7, llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->answered));
            sqlite3_bind_double(st_model, 12, llmt_summary_mean(m->latency_sum, m->answered));
        } else {
            sqlite3_bind_null(st_model, 6);
            sqlite3_bind_null(st_model, 7);
            sqlite3_bind_null(st_model, 12);
        }
        sqlite3_bind_double(st_model, 8, m->cost_usd);
        sqlite3_bind_int(st_model, 9, !m->cost_unknown);
        sqlite3_bind_int64(st_model, 10, m->input_tokens);
        sqlite3_bind_int64(st_model, 11, m->output_tokens);
        if (sqlite3_step(st_model) != SQLITE_DONE) {
            st = db_error(h, err, "insert model summary");
            goto done;
        }
    }
    if (jsonl_path) {
        insert_ctx c = {st_res, meta->run_id, false};
        st = llmt_jsonl_foreach(jsonl_path, insert_result, &c, err);
        if (st == LLMT_OK && c.failed)
            st = db_error(h, err, "insert result");
    }
done:
    sqlite3_finalize(st_run);
    sqlite3_finalize(st_model);
    sqlite3_finalize(st_res);
    if (st == LLMT_OK && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        st = db_error(h, err, "commit");
    if (st != LLMT_OK)
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

static char *latest_with_label(llmt_history *h, const char *label)
{
    sqlite3_stmt *q = NULL;
    char *id = NULL;
    sqlite3_prepare_v2(h->db, "SELECT run_id FROM runs WHERE label = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
                       -1, &q, NULL);
    sqlite3_bind_text(q, 1, label, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        id = llmt_strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return id;
}

llmt_status llmt_history_set_seed(llmt_history *h, const char *run_id, uint64_t seed, llmt_error *err)
{
    sqlite3_stmt *q = NULL;
    int rc;
    if (sqlite3_prepare_v2(h->db, "UPDATE runs SET seed = ? WHERE run_id = ?", -1, &q, NULL) != SQLITE_OK)
        return db_error(h, err, "record the seed");
    /* stored as its decimal text: a 64-bit seed does not fit SQLite's signed integer */
    {
        char text[32];
        snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
        sqlite3_bind_text(q, 1, text, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(q, 2, run_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? LLMT_OK : db_error(h, err, "record the seed");
}

/* Resolves "latest", "previous", a label or a unique id prefix to a full run id (malloc'd). */
static llmt_status resolve_run(llmt_history *h, const char *run, char **out, llmt_error *err)
{
    sqlite3_stmt *q = NULL;
    llmt_status st = LLMT_OK;
    int rc, n = 0;
    *out = NULL;
    if (!run || strcmp(run, "latest") == 0 || strcmp(run, "previous") == 0) {
        sqlite3_prepare_v2(h->db, "SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1 OFFSET ?",
                           -1, &q, NULL);
        sqlite3_bind_int(q, 1, run && strcmp(run, "previous") == 0 ? 1 : 0);
    } else if ((*out = latest_with_label(h, run)) != NULL) {
        return LLMT_OK; /* a label names the newest run that carries it */
    } else {
        char *pat = llmt_asprintf("%s%%", run);
        sqlite3_prepare_v2(h->db, "SELECT run_id FROM runs WHERE run_id LIKE ? LIMIT 2", -1, &q, NULL);
        sqlite3_bind_text(q, 1, pat, -1, SQLITE_TRANSIENT);
        free(pat);
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n++ == 0)
            *out = llmt_strdup((const char *)sqlite3_column_text(q, 0));
    }
    sqlite3_finalize(q);
    if (n == 0)
        st = llmt_error_set(err, LLMT_E_NOT_FOUND, "no run '%s' in the history", run ? run : "latest");
    else if (n > 1)
        st = llmt_error_set(err, LLMT_E_INVALID_ARG, "run id prefix '%s' is ambiguous", run);
    if (st != LLMT_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

/* A REAL column as a JSON number, NULL as null (a model without answers has no mean). */
static json_t *column_real(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? json_null() : json_real(sqlite3_column_double(q, i));
}

static json_t *model_rows(llmt_history *h, const char *run_id)
{
    sqlite3_stmt *q = NULL;
    json_t *arr = json_array();
    sqlite3_prepare_v2(h->db,
                       "SELECT model, results, errors, valid, mean_accuracy, stddev_accuracy, cost_usd,"
                       " cost_complete, input_tokens + output_tokens, mean_latency_ms"
                       " FROM model_stats WHERE run_id = ? ORDER BY model",
                       -1, &q, NULL);
    sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:f, s:b, s:I, s:o}",
                              "model", (const char *)sqlite3_column_text(q, 0),
                              "results", (json_int_t)sqlite3_column_int64(q, 1),
                              "errors", (json_int_t)sqlite3_column_int64(q, 2),
                              "valid", (json_int_t)sqlite3_column_int64(q, 3),
                              "mean_accuracy", column_real(q, 4),
                              "stddev_accuracy", column_real(q, 5),
                              "cost_usd", sqlite3_column_double(q, 6),
                              "cost_complete", sqlite3_column_int(q, 7),
                              "tokens", (json_int_t)sqlite3_column_int64(q, 8),
                              "mean_latency_ms", column_real(q, 9));
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(q);
    return arr;
}

static json_t *run_object(sqlite3_stmt *q, json_t *models)
{
    char started[32];
    json_t *o;
    llmt_iso_time(sqlite3_column_double(q, 1), started, sizeof started);
    o = json_pack("{s:s, s:s, s:o}", "run_id", (const char *)sqlite3_column_text(q, 0),
                  "started_at", started, "models", models);
    json_object_set_new(o, "label", sqlite3_column_type(q, 2) == SQLITE_NULL
                                        ? json_null()
                                        : json_string((const char *)sqlite3_column_text(q, 2)));
    return o;
}

llmt_status llmt_history_list(llmt_history *h, size_t limit, json_t **out, llmt_error *err)
{
    sqlite3_stmt *q = NULL;
    (void)err;
    *out = json_array();
    sqlite3_prepare_v2(h->db, "SELECT run_id, started_at, label FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?",
                       -1, &q, NULL);
    sqlite3_bind_int64(q, 1, limit ? (sqlite3_int64)limit : -1);
    while (sqlite3_step(q) == SQLITE_ROW)
        json_array_append_new(*out, run_object(q, model_rows(h, (const char *)sqlite3_column_text(q, 0))));
    sqlite3_finalize(q);
    return LLMT_OK;
}

llmt_status llmt_history_show(llmt_history *h, const char *run, json_t **out, llmt_error *err)
{
    sqlite3_stmt *q = NULL;
    char *id = NULL;
    llmt_status st = resolve_run(h, run, &id, err);
    *out = NULL;
    if (st != LLMT_OK)
        return st;
    sqlite3_prepare_v2(h->db, "SELECT run_id, started_at, label, seed FROM runs WHERE run_id = ?", -1,
                       &q, NULL);
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) {
        *out = run_object(q, model_rows(h, id));
        json_object_set_new(*out, "seed", sqlite3_column_type(q, 3) == SQLITE_NULL
                                              ? json_null()
                                              : json_string((const char *)sqlite3_column_text(q, 3)));
    }
    sqlite3_finalize(q);
    free(id);
    return *out ? LLMT_OK : llmt_error_set(err, LLMT_E_NOT_FOUND, "run vanished");
}

/* The row of rows with m's model, or NULL. */
static json_t *find_model(json_t *rows, const json_t *m)
{
    const char *name = json_string_value(json_object_get(m, "model"));
    json_t *y;
    size_t j;
    json_array_foreach(rows, j, y)
        if (strcmp(json_string_value(json_object_get(y, "model")), name) == 0)
            return y;
    return NULL;
}

/* A number's difference b - a, null unless both are numbers. */
static json_t *delta_of(const json_t *b, const json_t *a)
{
    return json_is_number(a) && json_is_number(b) ? json_real(json_number_value(b) - json_number_value(a))
                                                  : json_null();
}

/* One model of a comparison: m in run B with its row `in_a` of run A ("both"), m in B
 * only ("new"), or, `gone`, m in run A only. */
static json_t *compare_row(json_t *m, json_t *in_a, bool gone)
{
    json_t *row = json_pack("{s:s, s:O, s:O, s:s}", "model", json_string_value(json_object_get(m, "model")),
                            "a", gone ? m : in_a ? in_a : json_null(), "b", gone ? json_null() : m,
                            "status", gone ? "gone" : in_a ? "both" : "new");
    if (in_a) {
        json_object_set_new(row, "delta_accuracy",
                            delta_of(json_object_get(m, "mean_accuracy"), json_object_get(in_a, "mean_accuracy")));
        json_object_set_new(row, "delta_cost",
                            delta_of(json_object_get(m, "cost_usd"), json_object_get(in_a, "cost_usd")));
    }
    return row;
}

llmt_status llmt_history_compare(llmt_history *h, const char *run_a, const char *run_b,
                                 json_t **out, llmt_error *err)
{
    char *a = NULL, *b = NULL;
    sqlite3_stmt *q = NULL;
    json_t *ma, *mb, *models, *cases, *x;
    size_t i;
    llmt_status st = resolve_run(h, run_a, &a, err);
    *out = NULL;
    if (st == LLMT_OK)
        st = resolve_run(h, run_b, &b, err);
    if (st != LLMT_OK) {
        free(a);
        return st;
    }
    ma = model_rows(h, a);
    mb = model_rows(h, b);
    models = json_array();
    /* every model of either run: in both (with deltas), new in B, or gone from A */
    json_array_foreach(mb, i, x)
        json_array_append_new(models, compare_row(x, find_model(ma, x), false));
    json_array_foreach(ma, i, x)
        if (!find_model(mb, x))
            json_array_append_new(models, compare_row(x, NULL, true));
    /* per case × model: mean over repeats in each run, only where it changed */
    cases = json_array();
    sqlite3_prepare_v2(h->db,
                       "SELECT ra.task, ra.kase, ra.model, ra.acc, rb.acc FROM"
                       " (SELECT task, kase, model, AVG(accuracy) acc FROM results WHERE run_id = ?1 GROUP BY 1,2,3) ra"
                       " JOIN (SELECT task, kase, model, AVG(accuracy) acc FROM results WHERE run_id = ?2 GROUP BY 1,2,3) rb"
                       " USING (task, kase, model) WHERE ra.acc IS NOT NULL AND rb.acc IS NOT NULL"
                       " AND ABS(ra.acc - rb.acc) > 1e-9"
                       " ORDER BY rb.acc - ra.acc, ra.task, ra.kase, ra.model",
                       -1, &q, NULL);
    sqlite3_bind_text(q, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, b, -1, SQLITE_STATIC);
    while (sqlite3_step(q) == SQLITE_ROW)
        json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:f, s:f, s:f}",
                                               "task", (const char *)sqlite3_column_text(q, 0),
                                               "case", (const char *)sqlite3_column_text(q, 1),
                                               "model", (const char *)sqlite3_column_text(q, 2),
                                               "a", sqlite3_column_double(q, 3),
                                               "b", sqlite3_column_double(q, 4),
                                               "delta", sqlite3_column_double(q, 4) - sqlite3_column_double(q, 3)));
    sqlite3_finalize(q);
    *out = json_pack("{s:s, s:s, s:o, s:o}", "a", a, "b", b, "models", models, "cases", cases);
    json_decref(ma);
    json_decref(mb);
    free(a);
    free(b);
    return LLMT_OK;
}

/* What recommend compares: a model with a mean and a known price per result. A model
 * whose price is unknown (some result had none) is never taken as free. */
static bool comparable(const json_t *m, double *acc, double *cost)
{
    double n = (double)json_integer_value(json_object_get(m, "results"));
    json_t *mean = json_object_get(m, "mean_accuracy");
    *acc = json_number_value(mean);
    *cost = n > 0 ? json_number_value(json_object_get(m, "cost_usd")) / n : 0;
    return json_is_number(mean) && json_is_true(json_object_get(m, "cost_complete"));
}

/* Sort order: comparable models first, by accuracy descending then cheaper first; the
 * rest (unknown price, no answers) after them, by accuracy. */
static bool ranks_before(const json_t *p, const json_t *q)
{
    double ap, cp, aq, cq;
    bool kp = comparable(p, &ap, &cp), kq = comparable(q, &aq, &cq);
    if (kp != kq)
        return kp;
    return ap > aq || (ap == aq && kp && cp < cq);
}

llmt_status llmt_history_recommend(llmt_history *h, const char *run, json_t **out,
                                   llmt_error *err)
{
    json_t *shown = NULL, *models, *m, *o;
    size_t i, j;
    llmt_status st = llmt_history_show(h, run, &shown, err);
    *out = NULL;
    if (st != LLMT_OK)
        return st;
    models = json_object_get(shown, "models");
    json_array_foreach(models, i, m) {
        double acc, cost, acc2, cost2;
        bool dominated = false, known = comparable(m, &acc, &cost);
        bool priced = json_is_true(json_object_get(m, "cost_complete"));
        json_object_set_new(m, "cost_per_result_usd", priced ? json_real(cost) : json_null());
        json_object_set_new(m, "price_unknown", json_boolean(!priced));
        json_array_foreach(models, j, o) {
            if (j != i && comparable(o, &acc2, &cost2) && acc2 >= acc && cost2 <= cost &&
                (acc2 > acc || cost2 < cost))
                dominated = true;
        }
        /* only a model with a mean and a known price can be on the front */
        json_object_set_new(m, "pareto", json_boolean(known && !dominated));
    }
    for (i = 1; i < json_array_size(models); i++) {
        for (j = i; j > 0; j--) {
            json_t *p = json_array_get(models, j - 1), *q = json_array_get(models, j);
            if (!ranks_before(q, p))
                break;
            json_incref(p);
            json_array_set(models, j - 1, q);
            json_array_set_new(models, j, p);
        }
    }
    *out = shown;
    return LLMT_OK;
}
