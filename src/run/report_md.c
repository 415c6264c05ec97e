#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "run/output.h"

static const char *str_or(const char *s)
{
    return s ? s : "";
}

static void md_escape(llmt_buf *b, const char *s, size_t max)
{
    size_t n = 0;
    for (; *s && n < max; s++, n++) {
        if (*s == '|')
            llmt_buf_puts(b, "\\|");
        else if (*s == '\n' || *s == '\r')
            llmt_buf_puts(b, " ");
        else
            llmt_buf_append(b, s, 1);
    }
    if (*s)
        llmt_buf_puts(b, "…");
}

/* A name (task, case, model) in a table cell or heading: '|' escaped, line breaks as
 * spaces, so a name holding them cannot break the table. */
static void md_name(llmt_buf *b, const char *s)
{
    md_escape(b, str_or(s), (size_t)-1);
}

/* "task | case | provider:model" cells of result r, each escaped. */
static void md_result_names(llmt_buf *b, json_t *r, const char *sep1, const char *sep2)
{
    md_name(b, json_string_value(json_object_get(r, "task")));
    llmt_buf_puts(b, sep1);
    md_name(b, json_string_value(json_object_get(r, "case")));
    llmt_buf_puts(b, sep2);
    md_name(b, json_string_value(json_object_get(r, "provider")));
    llmt_buf_puts(b, ":");
    md_name(b, json_string_value(json_object_get(r, "model")));
}

static void md_json(llmt_buf *b, const json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    llmt_buf_puts(b, "`");
    md_escape(b, s ? s : "(missing)", 80);
    llmt_buf_puts(b, "`");
    free(s);
}

static void row(json_t *r, void *ud)
{
    llmt_buf *b = ud;
    json_t *usage = json_object_get(r, "usage"), *err = json_object_get(r, "error");
    json_t *cost = json_object_get(usage, "cost_usd");
    llmt_buf_puts(b, "| ");
    md_result_names(b, r, " | ", " | ");
    llmt_buf_printf(b, " | %d | %.2f | %s | %lld | ",
                    (int)json_integer_value(json_object_get(r, "repeat")) + 1,
                    json_number_value(json_object_get(r, "accuracy")),
                    json_is_true(json_object_get(r, "valid")) ? "yes" : "no",
                    (long long)(json_integer_value(json_object_get(usage, "input_tokens")) +
                                json_integer_value(json_object_get(usage, "output_tokens"))));
    if (json_is_number(cost))
        llmt_buf_printf(b, "$%.6f", json_number_value(cost));
    else
        llmt_buf_puts(b, "unknown");
    llmt_buf_printf(b, " | %.0f | ", json_number_value(json_object_get(r, "latency_ms")));
    if (json_is_object(err)) {
        llmt_buf_printf(b, "%s: ", json_string_value(json_object_get(err, "class")));
        md_escape(b, str_or(json_string_value(json_object_get(err, "message"))), 100);
    }
    llmt_buf_puts(b, " |\n");
}

static void lost_points(json_t *r, void *ud)
{
    llmt_buf *b = ud;
    json_t *fields = json_object_get(r, "fields"), *f, *violations = json_object_get(r, "violations");
    size_t i, shown = 0;
    json_array_foreach(fields, i, f) {
        json_t *score = json_object_get(f, "score");
        const char *reason = json_string_value(json_object_get(f, "reason"));
        if (!json_is_number(score) || json_number_value(score) >= 1.0 ||
            (reason && strcmp(reason, "extra") == 0))
            continue;
        if (!shown++) {
            llmt_buf_puts(b, "\n#### ");
            md_result_names(b, r, " / ", " — ");
            llmt_buf_printf(b, " (run %d, accuracy %.2f)\n\n",
                            (int)json_integer_value(json_object_get(r, "repeat")) + 1,
                            json_number_value(json_object_get(r, "accuracy")));
            llmt_buf_puts(b, "| field | expected | actual | score | weight | reason |\n"
                             "|---|---|---|---|---|---|\n");
        }
        {
            const char *path = str_or(json_string_value(json_object_get(f, "path")));
            const char *note = json_string_value(json_object_get(f, "note"));
            llmt_buf_puts(b, "| `");
            md_escape(b, path[0] ? path : "(root)", 80);
            llmt_buf_puts(b, "` | ");
            md_json(b, json_object_get(f, "expected"));
            llmt_buf_puts(b, " | ");
            md_json(b, json_object_get(f, "actual"));
            llmt_buf_printf(b, " | %.2f | %.2f | %s", json_number_value(score),
                            json_number_value(json_object_get(f, "weight")), reason ? reason : "");
            if (note) {
                llmt_buf_puts(b, " (");
                md_escape(b, note, 100);
                llmt_buf_puts(b, ")");
            }
            llmt_buf_puts(b, " |\n");
        }
    }
    if (json_is_string(json_object_get(r, "extraction_error"))) {
        llmt_buf_puts(b, "\n#### ");
        md_result_names(b, r, " / ", " — ");
        llmt_buf_printf(b, " (run %d): no JSON answer\n\n",
                        (int)json_integer_value(json_object_get(r, "repeat")) + 1);
        llmt_buf_puts(b, "Every field lost its points: ");
        md_escape(b, json_string_value(json_object_get(r, "extraction_error")), 300);
        llmt_buf_puts(b, "\n");
        return;
    }
    if (json_array_size(violations) && json_is_null(json_object_get(r, "error"))) {
        json_t *v;
        llmt_buf_puts(b, "\n");
        md_result_names(b, r, " / ", " — ");
        llmt_buf_puts(b, ": schema violations:\n\n");
        json_array_foreach(violations, i, v) {
            if (i >= 10) {
                llmt_buf_printf(b, "- … and %zu more\n", json_array_size(violations) - 10);
                break;
            }
            llmt_buf_puts(b, "- `");
            md_escape(b, str_or(json_string_value(v)), 200);
            llmt_buf_puts(b, "`\n");
        }
    }
}

typedef struct md_sections {
    llmt_buf *rows;  /* the report itself: the results table goes straight in */
    llmt_buf lost;   /* "fields that lost points", appended after the table */
} md_sections;

static void both_sections(json_t *r, void *ud)
{
    md_sections *sec = ud;
    row(r, sec->rows);
    lost_points(r, &sec->lost);
}

llmt_status llmt_report_md_write(const char *path, const char *jsonl_path,
                                 const llmt_run_meta *meta, const llmt_summary *s,
                                 llmt_error *err)
{
    llmt_buf b = {0};
    char started[32], finished[32];
    size_t i;
    llmt_status st;
    llmt_iso_time(meta->started_at, started, sizeof started);
    llmt_iso_time(meta->finished_at, finished, sizeof finished);
    llmt_buf_printf(&b, "# llm-tester run %s\n\nStarted %s, finished %s.\n\n## Summary\n\n",
                    meta->run_id, started, finished);
    llmt_buf_puts(&b, "| model | cases | errors | valid | first-attempt valid | mean accuracy | stddev | min | max | "
                      "tokens | cost (USD) | mean latency (ms) | attempts |\n"
                      "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (i = 0; i < s->n_models; i++) {
        const llmt_model_summary *m = &s->models[i];
        llmt_buf_puts(&b, "| ");
        md_name(&b, m->model_ref);
        llmt_buf_printf(&b, " | %zu | %zu | %zu | %.0f%% | %.2f | %.2f | %.2f | %.2f | %ld | %s%.6f | %.0f | %zu |\n",
                        m->results, m->errors, m->valid,
                        m->results ? 100.0 * (double)m->first_attempt_valid / (double)m->results : 0.0,
                        llmt_summary_mean(m->acc_sum, m->results),
                        llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->results),
                        m->results ? m->acc_min : 0, m->results ? m->acc_max : 0,
                        m->input_tokens + m->output_tokens, m->cost_unknown ? "≥ " : "",
                        m->cost_usd, llmt_summary_mean(m->latency_sum, m->results), m->attempts);
    }
    if (llmt_summary_max_repeats(s) > 1) {
        llmt_case_stats *cs = NULL;
        size_t n = 0, k;
        llmt_buf_puts(&b, "\n## Repeat statistics\n\n| task | case | model | runs | mean accuracy | stddev | "
                          "min | max | mean latency (ms) | stddev | min | max |\n"
                          "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        if (llmt_summary_case_stats(s, &cs, &n)) {
            for (k = 0; k < n; k++) {
                const llmt_case_stats *c = &cs[k];
                const llmt_task *t = s->tasks && c->task < s->tasks->n_tasks ? &s->tasks->tasks[c->task] : NULL;
                llmt_buf_puts(&b, "| ");
                md_name(&b, t ? t->name : "?");
                llmt_buf_puts(&b, " | ");
                md_name(&b, t && c->kase < t->n_cases ? t->cases[c->kase].name : "?");
                llmt_buf_puts(&b, " | ");
                md_name(&b, s->models[c->model].model_ref);
                llmt_buf_printf(&b, " | %zu | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f |\n",
                                c->n, c->acc_mean, c->acc_stddev, c->acc_min,
                                c->acc_max, c->lat_mean, c->lat_stddev, c->lat_min, c->lat_max);
            }
            free(cs);
        }
    }
    llmt_buf_puts(&b, "\n## Results\n\n| task | case | model | run | accuracy | valid | tokens | "
                      "cost | latency (ms) | error |\n|---|---|---|---|---|---|---|---|---|---|\n");
    {
        /* one pass over results.jsonl fills both sections (parsing it is the cost) */
        md_sections sec;
        sec.rows = &b;
        memset(&sec.lost, 0, sizeof sec.lost);
        st = llmt_jsonl_foreach(jsonl_path, both_sections, &sec, err);
        llmt_buf_puts(&b, "\n## Fields that lost points\n");
        if (sec.lost.len)
            llmt_buf_append(&b, sec.lost.data, sec.lost.len);
        if (sec.lost.oom)
            b.oom = true;
        llmt_buf_free(&sec.lost);
    }
    return llmt_report_save(path, &b, st, err);
}
