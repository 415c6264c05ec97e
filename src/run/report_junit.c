/* junit.xml: one <testsuite> per model, one <testcase> per task/case (and repeat), so CI
 * systems show extraction failures like test failures. A case fails when the call
 * failed or the answer is not valid JSON matching the schema; accuracy is a property. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "run/output.h"

typedef struct junit_ctx {
    llmt_buf *b;
    const char *model_ref; /* only results of this model */
} junit_ctx;

static void testcase(json_t *r, void *ud)
{
    junit_ctx *c = ud;
    const char *provider = json_string_value(json_object_get(r, "provider"));
    const char *model = json_string_value(json_object_get(r, "model"));
    json_t *err = json_object_get(r, "error"), *violations = json_object_get(r, "violations"), *v;
    char *ref = llmt_asprintf("%s:%s", provider ? provider : "", model ? model : "");
    long long rep = (long long)json_integer_value(json_object_get(r, "repeat"));
    size_t i;
    if (!ref || strcmp(ref, c->model_ref) != 0) {
        free(ref);
        return;
    }
    free(ref);
    llmt_buf_puts(c->b, "    <testcase classname=\"");
    llmt_markup_escape(c->b, json_string_value(json_object_get(r, "task")));
    llmt_buf_puts(c->b, "\" name=\"");
    llmt_markup_escape(c->b, json_string_value(json_object_get(r, "case")));
    if (rep > 0)
        llmt_buf_printf(c->b, " #%lld", rep + 1);
    llmt_buf_printf(c->b, "\" time=\"%.3f\">\n", json_number_value(json_object_get(r, "latency_ms")) / 1000.0);
    llmt_buf_printf(c->b, "      <properties><property name=\"accuracy\" value=\"%.2f\"/></properties>\n",
                    json_number_value(json_object_get(r, "accuracy")));
    if (!json_is_object(err) && json_is_true(json_object_get(r, "fallback"))) {
        /* the model under test did not answer: an error, whatever the fallback scored */
        llmt_summary_entry e;
        memset(&e, 0, sizeof e);
        llmt_summary_entry_primary(r, &e);
        llmt_buf_puts(c->b, "      <error type=\"");
        llmt_markup_escape(c->b, e.primary_class ? e.primary_class : "fallback");
        llmt_buf_puts(c->b, "\" message=\"answered by fallback ");
        llmt_markup_escape(c->b, json_string_value(json_object_get(r, "answered_by")));
        llmt_buf_puts(c->b, ": ");
        llmt_markup_escape(c->b, e.primary_message);
        llmt_buf_puts(c->b, "\"/>\n");
    } else if (json_is_object(err)) {
        llmt_buf_puts(c->b, "      <error type=\"");
        llmt_markup_escape(c->b, json_string_value(json_object_get(err, "class")));
        llmt_buf_puts(c->b, "\" message=\"");
        llmt_markup_escape(c->b, json_string_value(json_object_get(err, "message")));
        llmt_buf_puts(c->b, "\"/>\n");
    } else if (!json_is_true(json_object_get(r, "valid"))) {
        llmt_buf_puts(c->b, "      <failure type=\"invalid\" message=\"answer does not match the schema\">");
        json_array_foreach(violations, i, v) {
            llmt_markup_escape(c->b, json_string_value(v));
            llmt_buf_puts(c->b, "\n");
        }
        llmt_buf_puts(c->b, "</failure>\n");
    }
    llmt_buf_puts(c->b, "    </testcase>\n");
}

llmt_status llmt_report_junit_write(const char *path, const char *jsonl_path,
                                    const llmt_run_meta *meta, const llmt_summary *s,
                                    llmt_error *err)
{
    llmt_buf b = {0};
    llmt_status st = LLMT_OK;
    char started[32];
    size_t i;
    llmt_iso_time(meta->started_at, started, sizeof started);
    llmt_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"llm-tester ");
    llmt_markup_escape(&b, meta->run_id);
    llmt_buf_puts(&b, "\">\n");
    for (i = 0; i < s->n_models && st == LLMT_OK; i++) {
        const llmt_model_summary *m = &s->models[i];
        junit_ctx c = {&b, m->model_ref};
        /* answers that break the schema fail; errors and budget skips are errors */
        size_t invalid = m->answered - m->valid;
        llmt_buf_puts(&b, "  <testsuite name=\"");
        llmt_markup_escape(&b, m->model_ref);
        llmt_buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" timestamp=\"%s\" time=\"%.3f\">\n",
                        m->results, invalid, m->errors + m->skipped, started, m->latency_sum / 1000.0);
        st = llmt_jsonl_foreach(jsonl_path, testcase, &c, err);
        llmt_buf_puts(&b, "  </testsuite>\n");
    }
    llmt_buf_puts(&b, "</testsuites>\n");
    return llmt_report_save(path, &b, st, err);
}
