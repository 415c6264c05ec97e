/* run --batch in the library: lines split at the provider's limits (3 requests per
 * batch here), one batches.jsonl record per batch, every job answered from its batch
 * line through the interactive parse path at the batch price, the --budget reservation
 * made before submitting, and interactive providers untouched. Uses a test-only provider
 * ("tbatch": tests/support/fake_provider.h's wire format plus a batch API) whose batch
 * protocol the fake server below speaks, and the mock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "core/util.h"
#include "fake_http.h"
#include "fake_provider.h"
#include "provider/manager_internal.h"
#include "provider/registry.h"
#include "providers/toolkit/wire.h"
#include "providers/toolkit/wire_batch.h"
#include "run/runner.h"

/* ------------------------------------------------------------ provider "tbatch" */
/* The wire format of "tjson" (tests/support/fake_provider.h) plus a batch API. */

static void t_limits(void *state, llmt_batch_limits *out)
{
    (void)state;
    out->max_requests = 3;
    out->max_bytes = 0;
}

static llmt_status t_line(void *state, const llmt_request *req, const char *id, char **line,
                          size_t *len, llmt_error *err)
{
    return llmt_wire_batch_line_from(fp_build, state, req, id, NULL, "body", line, len, err);
}

/* one step: POST /batches with the JSONL as body; the reply names the batch */
static llmt_status t_submit(void *state, llmt_batch_submit *s, llmt_http_request *out,
                            llmt_error *err)
{
    llmt_status st;
    if (s->step == 1) {
        st = llmt_wire_reply_string(s->reply, "id", &s->batch_id, err);
        s->done = st == LLMT_OK && s->batch_id;
        return st;
    }
    st = llmt_wire_bearer_request(state, "POST", "batches", NULL, out, err);
    out->body = llmt_strndup(s->lines, s->lines_len);
    out->body_len = s->lines_len;
    return st;
}

static llmt_status t_poll(void *state, const char *id, llmt_http_request *out, llmt_error *err)
{
    return llmt_wire_bearer_id_request(state, "GET", "batches/%s", id, out, err);
}

static llmt_status t_status(void *state, const llmt_http_response *http, llmt_batch_status *st,
                            llmt_error *err)
{
    json_t *root = NULL;
    llmt_status rc = llmt_wire_parse_body(http, &root, err);
    (void)state;
    if (rc != LLMT_OK)
        return rc;
    st->state_text = llmt_strdup(json_string_value(json_object_get(root, "status")));
    st->state = strcmp(st->state_text, "done") == 0 ? LLMT_BATCH_ENDED : LLMT_BATCH_RUNNING;
    st->total = st->succeeded = st->failed = -1;
    st->results[0] = llmt_strdup(json_string_value(json_object_get(root, "id")));
    json_decref(root);
    return LLMT_OK;
}

static llmt_status t_results(void *state, const llmt_batch_status *st, unsigned part,
                             llmt_http_request *out, llmt_error *err)
{
    if (part > 0)
        return llmt_error_set(err, LLMT_E_NOT_FOUND, "none");
    return llmt_wire_bearer_id_request(state, "GET", "results/%s", st->results[0], out, err);
}

static llmt_status t_result_line(void *state, const char *line, size_t len, llmt_batch_result *out,
                                 llmt_error *err)
{
    (void)state;
    return llmt_wire_batch_compat_result(line, len, out, err);
}

static llmt_status t_cancel(void *state, const char *id, llmt_http_request *out, llmt_error *err)
{
    return llmt_wire_bearer_id_request(state, "POST", "batches/%s/cancel", id, out, err);
}

static const llmt_provider_ops tbatch_ops = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "tbatch",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT,
    .init = llmt_wire_basic_init,
    .destroy = llmt_wire_basic_destroy,
    .build_request = fp_build,
    .parse_response = fp_parse,
    .classify_error = fp_classify,
    .batch_limits = t_limits,
    .batch_line = t_line,
    .batch_submit = t_submit,
    .batch_poll = t_poll,
    .batch_status = t_status,
    .batch_results = t_results,
    .batch_result_line = t_result_line,
    .batch_cancel = t_cancel,
};

/* ------------------------------------------------------------ the fake batch server */

#define MAX_BATCHES 16
typedef struct server {
    pthread_mutex_t mu;
    char *lines[MAX_BATCHES];  /* the uploaded JSONL of each batch */
    size_t n, polls, gens;
} server;

/* POST /batches stores the lines; GET /batches/N is "running" once, then "done"; GET
 * /results/N answers every line with a 200 (the body is read by t_parse). */
static void handler(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    server *sv = ud;
    unsigned long k;
    pthread_mutex_lock(&sv->mu);
    if (strcmp(req->method, "POST") == 0 && strstr(req->path, "/batches") &&
        sv->n < MAX_BATCHES) {
        sv->lines[sv->n] = llmt_strndup(req->body, req->body_len);
        out->body = fake_http_printf(req, "{\"id\":\"%zu\",\"status\":\"running\"}", sv->n++);
    } else if (sscanf(req->path, "/batches/%lu", &k) == 1) {
        out->body = fake_http_printf(req, "{\"id\":\"%lu\",\"status\":\"%s\"}", k,
                                     sv->polls++ % 2 ? "done" : "running");
    } else if (sscanf(req->path, "/results/%lu", &k) == 1 && k < sv->n) {
        llmt_buf b = {0};
        const char *p = sv->lines[k], *nl;
        for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
            json_error_t je;
            json_t *l = json_loadb(p, (size_t)(nl - p), 0, &je);
            llmt_buf_printf(&b, "{\"custom_id\":\"%s\",\"response\":{\"status_code\":200,\"body\":{}}}\n",
                            json_string_value(json_object_get(l, "custom_id")));
            json_decref(l);
        }
        out->body = fake_http_printf(req, "%s", b.data ? b.data : "");
        llmt_buf_free(&b);
    } else {
        sv->gens++; /* an interactive call: none may come from a batch job */
        out->status = 500;
        out->body = "{}";
    }
    pthread_mutex_unlock(&sv->mu);
}

/* ------------------------------------------------------------ tests */

typedef struct fx {
    fp_fx t;     /* server, manager, example tasks, output folder */
    server sv;
} fx;

/* "tbatch" answering every case with its reference, 1000 tokens in and 100 out. */
static void fx_setup(fx *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->sv.mu, NULL);
    fp_fx_start(&f->t, 0);
    fake_http_set_handler(f->t.srv, handler, &f->sv);
    fp_fx_add(&f->t, &tbatch_ops,
              "{\"name\": \"tbatch\", \"batch_discount\": 0.5,"
              " \"options\": {\"answer\": \"reference\", \"input_tokens\": 1000, \"output_tokens\": 100},"
              " \"llm_models\": ["
              " {\"name\": \"a\", \"cost_input\": 1, \"cost_output\": 2, \"max_output_tokens\": 1000},"
              " {\"name\": \"b\", \"cost_input\": 1, \"cost_output\": 2, \"max_output_tokens\": 1000,"
              "  \"batch_cost_input\": 0.1, \"batch_cost_output\": 0.2},"
              " {\"name\": \"c\", \"cost_input\": 100, \"cost_output\": 200, \"max_output_tokens\": 1000}]}");
    fp_fx_tasks(&f->t, "batch");
}

static void fx_teardown(fx *f)
{
    size_t i;
    fp_fx_stop(&f->t);
    for (i = 0; i < f->sv.n; i++)
        free(f->sv.lines[i]);
    pthread_mutex_destroy(&f->sv.mu);
}

/* fp_fx_run_options as batches, JSON only, polling at once */
static void opts(fx *f, const char *const *models, size_t n)
{
    fp_fx_run_options(&f->t, models, n);
    f->t.run.formats = LLMT_FORMAT_JSON;
    f->t.run.batch = true;
    f->t.run.batch_poll_ms = 1;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; text && *text; text++)
        n += *text == '\n';
    return n;
}

static json_t *results(const fx *f)
{
    char *path = llmt_path_join(f->t.dir, "results.json");
    json_error_t je;
    json_t *r = json_load_file(path, 0, &je);
    free(path);
    assert_non_null(r);
    return r;
}

static void batches_split_at_the_limit_and_answer_every_job(void **state)
{
    fx f;
    static const char *const models[] = {"tbatch:a", "tbatch:b", "mock:oracle"};
    json_t *all, *r;
    size_t i, cases = 0, n_lines = 0, from_batch = 0;
    char *path, *rec = NULL;
    size_t rec_len = 0;
    (void)state;
    fx_setup(&f);
    for (i = 0; i < f.t.ts.n_tasks; i++)
        cases += f.t.ts.tasks[i].n_cases;
    opts(&f, models, 3);
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    /* per model ceil(cases / 3) batches, none above 3 lines, every job in one of them */
    assert_int_equal(f.sv.n, 2 * ((cases + 2) / 3));
    for (i = 0; i < f.sv.n; i++) {
        assert_true(count_lines(f.sv.lines[i]) <= 3);
        n_lines += count_lines(f.sv.lines[i]);
    }
    assert_int_equal(n_lines, 2 * cases);
    assert_int_equal(f.sv.gens, 0);
    path = llmt_path_join(f.t.dir, "batches.jsonl");
    assert_int_equal(llmt_read_file(path, &rec, &rec_len, &f.t.err), LLMT_OK);
    assert_int_equal(count_lines(rec), f.sv.n);
    free(rec);
    free(path);
    all = results(&f);
    json_array_foreach(json_object_get(all, "results"), i, r) {
        const char *prov = json_string_value(json_object_get(r, "provider"));
        const char *model = json_string_value(json_object_get(r, "model"));
        double cost = json_real_value(json_object_get(json_object_get(r, "usage"), "cost_usd"));
        bool batch = json_is_true(json_object_get(r, "batch"));
        if (strcmp(prov, "mock") == 0) {
            assert_false(batch); /* no batch API: interactive */
            continue;
        }
        assert_true(batch);
        assert_true(json_is_null(json_object_get(r, "error")));
        from_batch++;
        /* 1000 in, 100 out: a at half of 1/2 per 1M; b at its explicit 0.1/0.2 */
        if (strcmp(model, "a") == 0)
            assert_true(cost > 0.0006 - 1e-12 && cost < 0.0006 + 1e-12);
        else
            assert_true(cost > 0.00012 - 1e-12 && cost < 0.00012 + 1e-12);
    }
    assert_int_equal(from_batch, 2 * cases);
    assert_int_equal(json_array_size(json_object_get(all, "results")), 3 * cases);
    {
        /* the interactive provider ran while the batches were running: its results were
         * written before any batch result */
        char *jl = llmt_path_join(f.t.dir, "results.jsonl"), *text = NULL, *p;
        size_t tl = 0, k;
        assert_int_equal(llmt_read_file(jl, &text, &tl, &f.t.err), LLMT_OK);
        for (p = text, k = 0; k < cases; k++, p = strchr(p, '\n') + 1)
            assert_true(strncmp(strstr(p, "\"provider\":"), "\"provider\":\"mock\"", 17) == 0);
        free(text);
        free(jl);
    }
    json_decref(all);
    fx_teardown(&f);
}

static void the_budget_is_reserved_before_submitting(void **state)
{
    fx f;
    static const char *const models[] = {"tbatch:a"};
    json_t *all, *r;
    size_t i, budget = 0, ok = 0;
    llmt_run_estimate *est = NULL;
    (void)state;
    fx_setup(&f);
    opts(&f, models, 1);
    f.t.run.filter = "job_ads/";
    /* half of the run's worst case at the batch price (what --dry-run --batch shows): some
     * lines fit, not all */
    assert_int_equal(llmt_run_estimate_cost(f.t.mgr, &f.t.run, &est, &f.t.diags, &f.t.err), LLMT_OK);
    assert_int_equal(est[0].calls, 4);
    f.t.run.engine.budget_usd = est[0].max_usd / 2;
    free(est);
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    all = results(&f);
    json_array_foreach(json_object_get(all, "results"), i, r) {
        const char *cls = json_string_value(json_object_get(json_object_get(r, "error"), "class"));
        if (!cls)
            ok++;
        else if (strcmp(cls, "budget") == 0)
            budget++;
    }
    assert_true(ok >= 1 && budget >= 1);
    assert_int_equal(ok + budget, 4);
    /* only what fits was submitted, and every submitted line was answered */
    assert_int_equal(f.sv.n, 1);
    assert_int_equal(count_lines(f.sv.lines[0]), ok);
    assert_int_equal(f.sv.gens, 0);
    json_decref(all);
    fx_teardown(&f);
}

static void interactive_providers_spend_only_what_the_batches_left(void **state)
{
    fx f;
    /* c's batch lines cost far more than the mock's calls: the budget they reserve would
     * let every mock call run if the interactive share could spend it too */
    static const char *const batch_only[] = {"tbatch:c"};
    static const char *const models[] = {"tbatch:c", "mock:oracle"};
    llmt_run_estimate *est = NULL;
    json_t *all, *r;
    size_t i, mock_budget = 0, batch_ok = 0;
    (void)state;
    fx_setup(&f);
    opts(&f, batch_only, 1);
    f.t.run.filter = "job_ads/";
    assert_int_equal(llmt_run_estimate_cost(f.t.mgr, &f.t.run, &est, &f.t.diags, &f.t.err), LLMT_OK);
    /* exactly what the batch lines reserve: nothing is left for the mock */
    opts(&f, models, 2);
    f.t.run.filter = "job_ads/";
    f.t.run.engine.budget_usd = est[0].max_usd;
    free(est);
    assert_int_equal(fp_fx_run(&f.t), LLMT_OK);
    all = results(&f);
    json_array_foreach(json_object_get(all, "results"), i, r) {
        const char *prov = json_string_value(json_object_get(r, "provider"));
        const char *cls = json_string_value(json_object_get(json_object_get(r, "error"), "class"));
        if (strcmp(prov, "mock") == 0 && cls && strcmp(cls, "budget") == 0)
            mock_budget++;
        else if (strcmp(prov, "tbatch") == 0 && !cls)
            batch_ok++;
    }
    assert_int_equal(batch_ok, 4);
    assert_int_equal(mock_budget, 4);
    json_decref(all);
    fx_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batches_split_at_the_limit_and_answer_every_job),
        cmocka_unit_test(the_budget_is_reserved_before_submitting),
        cmocka_unit_test(interactive_providers_spend_only_what_the_batches_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
