/* The comparison page from the run history (`history compare A B --format html`): the
 * history keeps per-model figures and per-result accuracies, not the answers, so the
 * page shows the deltas and the cases whose accuracy changed, and says where the
 * answers side by side come from (`report --compare OLD_DIR NEW_DIR`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/report_html.h"

static void add_side_result(llmt_html_data *d, json_int_t kase, json_int_t model, int side,
                            const json_t *acc)
{
    json_t *o = json_pack("{sI sI si si si sO}", "c", kase, "m", model, "r", 0, "s", side, "f",
                          json_is_number(acc) ? 0 : 1, "a", json_is_number(acc) ? (json_t *)acc : json_null());
    if (!o || json_array_append_new(d->results, o) != 0)
        d->oom = true;
}

/* One case of the comparison's "cases" list, with the two accuracies as results. */
static void add_case(llmt_html_data *d, const json_t *c)
{
    const char *task = json_string_value(json_object_get(c, "task"));
    const char *name = json_string_value(json_object_get(c, "case"));
    const char *model = json_string_value(json_object_get(c, "model"));
    json_t *kase, *tidx = json_object_get(d->idx, "t"), *t;
    json_int_t k = (json_int_t)json_array_size(d->cases), m, ti;
    if (!task || !name || !model)
        return;
    m = llmt_html_data_model(d, model);
    t = json_object_get(tidx, task);
    ti = t ? json_integer_value(t) : (json_int_t)json_array_size(d->tasks);
    if (!t) {
        json_array_append_new(d->tasks, json_string(task));
        json_object_set_new(tidx, task, json_integer(ti));
    }
    kase = json_pack("{sI ss}", "t", ti, "n", name);
    if (!kase || json_array_append_new(d->cases, kase) != 0) {
        d->oom = true;
        return;
    }
    add_side_result(d, k, m, 0, json_object_get(c, "a"));
    add_side_result(d, k, m, 1, json_object_get(c, "b"));
}

llmt_status llmt_report_html_history_write(const char *path, const json_t *cmp, llmt_error *err)
{
    llmt_html_data d;
    llmt_run_meta ma, mb;
    json_t *x, *stats = json_object();
    size_t i;
    llmt_status st = llmt_html_data_init(&d, "diff", NULL, err);
    char *title = NULL;
    memset(&ma, 0, sizeof ma);
    memset(&mb, 0, sizeof mb);
    snprintf(ma.run_id, sizeof ma.run_id, "%s", json_string_value(json_object_get(cmp, "a")) ? json_string_value(json_object_get(cmp, "a")) : "A");
    snprintf(mb.run_id, sizeof mb.run_id, "%s", json_string_value(json_object_get(cmp, "b")) ? json_string_value(json_object_get(cmp, "b")) : "B");
    if (st == LLMT_OK && stats) {
        llmt_html_data_add_run(&d, &ma);
        llmt_html_data_add_run(&d, &mb);
        /* per model figures as the history has them: the page shows these rather than
         * figures of the changed cases only */
        json_array_foreach(json_object_get(cmp, "models"), i, x) {
            const char *model = json_string_value(json_object_get(x, "model"));
            json_t *pair;
            if (!model)
                continue;
            pair = json_pack("[OO]", json_object_get(x, "a") ? json_object_get(x, "a") : json_null(),
                             json_object_get(x, "b") ? json_object_get(x, "b") : json_null());
            if (!pair || json_object_set_new(stats, model, pair) != 0)
                d.oom = true;
            llmt_html_data_model(&d, model);
        }
        json_array_foreach(json_object_get(cmp, "cases"), i, x)
            add_case(&d, x);
        if (json_object_set(d.root, "model_stats", stats) != 0 ||
            json_object_set_new(d.root, "note", json_string("From the run history, which keeps figures, not "
                                                            "answers: run 'llm-tester report --compare OLD_DIR "
                                                            "NEW_DIR' on the two output folders to see the answers "
                                                            "side by side.")) != 0)
            d.oom = true;
        title = llmt_asprintf("llm-tester: %s vs %s", ma.run_id, mb.run_id);
        st = llmt_html_page_write(path, title ? title : "llm-tester comparison", &d, err);
    } else if (st == LLMT_OK) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory building the comparison page");
    }
    free(title);
    json_decref(stats);
    llmt_html_data_free(&d);
    return st;
}
