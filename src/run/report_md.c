#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "run/result.h"
#include "run/output.h"
#include "run/report_stats.h"

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
    md_result_names(b, r, " | ", " | "); /* names may hold '|' or a newline */
    llmt_buf_printf(b, " | %d | ", (int)json_integer_value(json_object_get(r, "repeat")) + 1);
    if (json_is_object(err)) /* no answer: nothing to score */
        llmt_buf_puts(b, "- | - | ");
    else
        llmt_buf_printf(b, "%.2f | %s | ", json_number_value(json_object_get(r, "accuracy")),
                        json_is_true(json_object_get(r, "valid")) ? "yes" : "no");
    llmt_buf_printf(b, "%lld | ", (long long)(json_integer_value(json_object_get(usage, "input_tokens")) +
                                json_integer_value(json_object_get(usage, "output_tokens"))));
    if (json_is_number(cost))
        llmt_buf_printf(b, "$%.6f", json_number_value(cost) -
                                        json_number_value(json_object_get(usage, "saved_usd")));
    else
        llmt_buf_puts(b, "unknown");
    if (json_is_true(json_object_get(r, "cached")))
        llmt_buf_puts(b, " (cached)");
    llmt_buf_printf(b, " | %.0f | ", json_number_value(json_object_get(r, "latency_ms")));
    if (json_is_object(err)) {
        llmt_buf_printf(b, "%s: ", json_string_value(json_object_get(err, "class")));
        md_escape(b, str_or(json_string_value(json_object_get(err, "message"))), 100);
    } else if (json_is_true(json_object_get(r, "fallback"))) {
        /* the model under test failed; the accuracy shown is the fallback's answer */
        llmt_summary_entry e;
        memset(&e, 0, sizeof e);
        llmt_summary_entry_primary(r, &e);
        llmt_buf_puts(b, "fallback: ");
        md_escape(b, str_or(json_string_value(json_object_get(r, "answered_by"))), 100);
        llmt_buf_printf(b, " answered after %s: ", e.primary_class ? e.primary_class : "a failure");
        md_escape(b, str_or(e.primary_message), 100);
    }
    llmt_buf_puts(b, " |\n");
}

/* The reply that gave no JSON, as a fenced block (a fence longer than any backtick run
 * in it, so nothing inside can close it). */
static void md_raw_reply(llmt_buf *b, const json_t *r)
{
    const char *raw = json_string_value(json_object_get(r, "raw_reply")), *p;
    size_t run = 0, longest = 0, fence;
    if (!raw)
        return;
    for (p = raw; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    fence = longest < 3 ? 3 : longest + 1;
    llmt_buf_puts(b, "\nThe reply");
    if (json_is_true(json_object_get(r, "raw_reply_truncated")))
        llmt_buf_puts(b, " (truncated)");
    llmt_buf_puts(b, ":\n\n");
    for (run = 0; run < fence; run++)
        llmt_buf_puts(b, "`");
    llmt_buf_puts(b, "text\n");
    llmt_buf_puts(b, raw);
    llmt_buf_puts(b, "\n");
    for (run = 0; run < fence; run++)
        llmt_buf_puts(b, "`");
    llmt_buf_puts(b, "\n");
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
            md_json(b, llmt_result_field_actual(r, f));
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
        md_raw_reply(b, r);
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

/* "mean | stddev | min | max" of a model's answers, "-" for each without answers. */
static void md_answer_figures(llmt_buf *b, const llmt_model_summary *m)
{
    if (!m->answered) {
        llmt_buf_puts(b, "- | - | - | -");
        return;
    }
    llmt_buf_printf(b, "%.2f | %.2f | %.2f | %.2f", llmt_summary_mean(m->acc_sum, m->answered),
                    llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->answered), m->acc_min, m->acc_max);
}

typedef struct md_sections {
    llmt_buf *rows;  /* the report itself: the results table goes straight in */
    llmt_buf lost;   /* "fields that lost points", appended after the table */
} md_sections;

/* Models whose answers came without an enforced schema, or with keywords the provider's
 * schema mode does not take: their validity is not the provider's guarantee. Nothing
 * when every answer was schema-enforced as written. */
static void schema_section(llmt_buf *b, const llmt_summary *s)
{
    static const char *const modes[] = {"prompt_only", "json_object", "json_schema"};
    size_t i, k, n = 0;
    json_t *v;
    for (i = 0; i < s->n_models; i++) {
        const llmt_model_summary *m = &s->models[i];
        if (!m->schema_unenforced && !json_array_size(m->schema_relaxed))
            continue;
        if (!n++)
            llmt_buf_puts(b, "\n## Schema enforcement\n\nAnswers are always validated against the "
                             "task's schema; these models were not held to all of it by the "
                             "provider.\n\n| model | answers without an enforced schema | modes "
                             "| keywords left out of the sent schema |\n|---|---|---|---|\n");
        llmt_buf_printf(b, "| %s | %zu | ", m->model_ref, m->schema_unenforced);
        for (k = 0; k < 3; k++)
            if (m->modes & (1u << k))
                llmt_buf_printf(b, "%s%s", (m->modes & ((1u << k) - 1)) ? ", " : "", modes[k]);
        llmt_buf_puts(b, " | ");
        json_array_foreach(m->schema_relaxed, k, v)
        {
            llmt_buf_puts(b, k ? ", " : "");
            md_escape(b, json_string_value(v), 64);
        }
        llmt_buf_puts(b, " |\n");
    }
}

static void both_sections(json_t *r, void *ud)
{
    md_sections *sec = ud;
    row(r, sec->rows);
    lost_points(r, &sec->lost);
}

/* Per task x model: what the run summary gives per model, split by task. */
static void per_task(llmt_buf *b, const llmt_report_stats *rs)
{
    size_t i;
    llmt_buf_puts(b, "\n## Per task\n\n| task | model | results | errors | valid | mean accuracy | cost (USD) |\n"
                     "|---|---|---|---|---|---|---|\n");
    for (i = 0; i < rs->n_tasks; i++) {
        const llmt_task_figures *t = &rs->tasks[i];
        llmt_buf_puts(b, "| ");
        md_escape(b, t->task, 80);
        llmt_buf_puts(b, " | ");
        md_escape(b, t->model, 80);
        llmt_buf_printf(b, " | %zu | %zu | %.0f%% | ", t->results, t->errors,
                        t->results ? 100.0 * (double)t->valid / (double)t->results : 0.0);
        if (t->answered)
            llmt_buf_printf(b, "%.2f", t->acc_sum / (double)t->answered);
        else
            llmt_buf_puts(b, "-");
        llmt_buf_printf(b, " | %s%.6f |\n", t->cost_unknown ? "≥ " : "", t->cost_usd);
    }
}

/* The field heat map as a table: per model, the fields that lost points most often. */
static void fields_lost(llmt_buf *b, const llmt_report_stats *rs)
{
    const llmt_field_figures *top[5];
    size_t i, k, n, rows = 0;
    llmt_buf_puts(b, "\n## Fields lost most often\n\nPer model (the one that answered), the fields "
                     "that lost points in most answers; list items folded to `[]`.\n\n"
                     "| model | field | lost in | mean score |\n|---|---|---|---|\n");
    for (i = 0; i < rs->n_models; i++) {
        n = llmt_report_stats_top_lost(rs, rs->models[i], top, 5);
        for (k = 0; k < n; k++, rows++) {
            llmt_buf_puts(b, "| ");
            md_escape(b, rs->models[i], 80);
            llmt_buf_puts(b, " | `");
            md_escape(b, top[k]->path, 80);
            llmt_buf_printf(b, "` | %zu of %zu | %.2f |\n", top[k]->lost, top[k]->scored,
                            top[k]->score_sum / (double)top[k]->scored);
        }
    }
    if (!rows)
        llmt_buf_puts(b, "| (none) | | | |\n");
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
    llmt_buf_puts(&b, "| model | cases | errors | skipped | valid | first-attempt valid | mean accuracy | stddev | "
                      "min | max | tokens | cost (USD) | mean latency (ms) | attempts |\n"
                      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (i = 0; i < s->n_models; i++) {
        const llmt_model_summary *m = &s->models[i];
        llmt_buf_puts(&b, "| ");
        md_name(&b, m->model_ref);
        llmt_buf_printf(&b, " | %zu | %zu | %zu | %zu | %.0f%% | ", m->results, m->errors,
                        m->skipped, m->valid,
                        m->results ? 100.0 * (double)m->first_attempt_valid / (double)m->results : 0.0);
        md_answer_figures(&b, m);
        llmt_buf_printf(&b, " | %ld | %s%.6f | ", m->input_tokens + m->output_tokens,
                        m->cost_unknown ? "≥ " : "", m->cost_usd);
        if (m->answered)
            llmt_buf_printf(&b, "%.0f", llmt_summary_mean(m->latency_sum, m->answered));
        else
            llmt_buf_puts(&b, "-");
        llmt_buf_printf(&b, " | %zu |\n", m->attempts);
    }
    if (s->total_saved > 0)
        llmt_buf_printf(&b, "\nCached answers were not paid again: $%.6f of their original price is "
                            "not in the costs above.\n",
                        s->total_saved);
    if (s->n_fallbacks) {
        llmt_buf_puts(&b, "\n## Answered by fallbacks\n\nCases the model under test did not answer "
                          "(counted in its errors), answered by a fallback:\n\n"
                          "| fallback | cases | valid | mean accuracy | stddev | min | max |\n"
                          "|---|---|---|---|---|---|---|\n");
        for (i = 0; i < s->n_fallbacks; i++) {
            const llmt_model_summary *m = &s->fallbacks[i];
            llmt_buf_puts(&b, "| ");
            md_name(&b, m->model_ref);
            llmt_buf_printf(&b, " | %zu | %zu | ", m->results, m->valid);
            md_answer_figures(&b, m);
            llmt_buf_puts(&b, " |\n");
        }
    }
    schema_section(&b, s);
    {
        llmt_report_stats rs;
        llmt_report_stats_init(&rs);
        st = llmt_report_stats_from_jsonl(&rs, jsonl_path, err);
        if (st != LLMT_OK) {
            llmt_report_stats_free(&rs);
            llmt_buf_free(&b);
            return st;
        }
        per_task(&b, &rs);
        fields_lost(&b, &rs);
        llmt_report_stats_free(&rs);
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
