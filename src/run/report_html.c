/* report.html: one self-contained page (inline CSS, a few lines of JS to sort tables),
 * safe to open from disk or attach to a CI run. Every value is HTML-escaped. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "run/output.h"

static void hjson(llmt_buf *b, const json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    llmt_markup_escape(b, s ? s : "(missing)");
    free(s);
}

static void result_row(json_t *r, void *ud)
{
    llmt_buf *b = ud;
    json_t *usage = json_object_get(r, "usage"), *err = json_object_get(r, "error");
    json_t *cost = json_object_get(usage, "cost_usd"), *fields = json_object_get(r, "fields");
    json_t *violations = json_object_get(r, "violations"), *f;
    double acc = json_number_value(json_object_get(r, "accuracy"));
    size_t i, lost = 0;
    llmt_buf_printf(b, "<tr class=\"%s\"><td>", json_is_object(err) ? "err" : acc >= 100 ? "ok" : "part");
    llmt_markup_escape(b, json_string_value(json_object_get(r, "task")));
    llmt_buf_puts(b, "</td><td>");
    llmt_markup_escape(b, json_string_value(json_object_get(r, "case")));
    llmt_buf_puts(b, "</td><td>");
    llmt_markup_escape(b, json_string_value(json_object_get(r, "provider")));
    llmt_buf_puts(b, ":");
    llmt_markup_escape(b, json_string_value(json_object_get(r, "model")));
    llmt_buf_printf(b, "</td><td>%lld</td><td data-v=\"%.4f\">%.2f%%</td><td>%s</td><td>%lld</td>",
                    (long long)json_integer_value(json_object_get(r, "repeat")) + 1, acc, acc,
                    json_is_true(json_object_get(r, "valid")) ? "yes" : "no",
                    (long long)(json_integer_value(json_object_get(usage, "input_tokens")) +
                                json_integer_value(json_object_get(usage, "output_tokens"))));
    if (json_is_number(cost))
        llmt_buf_printf(b, "<td data-v=\"%.10f\">$%.6f</td>", json_number_value(cost), json_number_value(cost));
    else
        llmt_buf_puts(b, "<td data-v=\"-1\">unknown</td>");
    llmt_buf_printf(b, "<td data-v=\"%.3f\">%.0f ms</td><td>", json_number_value(json_object_get(r, "latency_ms")),
                    json_number_value(json_object_get(r, "latency_ms")));
    if (json_is_object(err)) {
        llmt_markup_escape(b, json_string_value(json_object_get(err, "class")));
        llmt_buf_puts(b, ": ");
        llmt_markup_escape(b, json_string_value(json_object_get(err, "message")));
    }
    json_array_foreach(fields, i, f) {
        json_t *score = json_object_get(f, "score");
        const char *reason = json_string_value(json_object_get(f, "reason"));
        if (!json_is_number(score) || json_number_value(score) >= 1.0 || (reason && !strcmp(reason, "extra")))
            continue;
        if (!lost++)
            llmt_buf_puts(b, "<details><summary>fields that lost points</summary><table class=\"inner\">"
                             "<tr><th>field</th><th>expected</th><th>actual</th><th>score</th><th>reason</th></tr>");
        llmt_buf_puts(b, "<tr><td><code>");
        llmt_markup_escape(b, json_string_value(json_object_get(f, "path")));
        llmt_buf_puts(b, "</code></td><td><code>");
        hjson(b, json_object_get(f, "expected"));
        llmt_buf_puts(b, "</code></td><td><code>");
        hjson(b, json_object_get(f, "actual"));
        llmt_buf_printf(b, "</code></td><td>%.2f</td><td>", json_number_value(score));
        llmt_markup_escape(b, reason);
        llmt_buf_puts(b, "</td></tr>");
    }
    if (lost)
        llmt_buf_puts(b, "</table></details>");
    if (json_array_size(violations) && !json_is_object(err)) {
        json_t *v;
        llmt_buf_puts(b, "<details><summary>schema violations</summary><ul>");
        json_array_foreach(violations, i, v) {
            llmt_buf_puts(b, "<li><code>");
            llmt_markup_escape(b, json_string_value(v));
            llmt_buf_puts(b, "</code></li>");
        }
        llmt_buf_puts(b, "</ul></details>");
    }
    llmt_buf_puts(b, "</td></tr>\n");
}

static const char *const style =
    "<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3;cursor:pointer}"
    "tr.err{background:#fde8e8}tr.part{background:#fff8e1}table.inner{font-size:12px}"
    "code{font-size:12px;word-break:break-all}</style>\n";

/* Click a header to sort by that column (numbers by their data-v value). */
static const char *const script =
    "<script>document.querySelectorAll('table.sortable th').forEach(function(th,i){"
    "th.addEventListener('click',function(){var t=th.closest('table'),rows=Array.from("
    "t.querySelectorAll('tr')).slice(1),d=th.dataset.d=th.dataset.d==='a'?'d':'a';"
    "rows.sort(function(a,b){var x=a.children[i],y=b.children[i],p=x.dataset.v,q=y.dataset.v;"
    "var r=(p!==undefined&&q!==undefined)?parseFloat(p)-parseFloat(q):x.textContent.localeCompare(y.textContent);"
    "return d==='a'?r:-r;});rows.forEach(function(r){t.appendChild(r);});});});</script>\n";

llmt_status llmt_report_html_write(const char *path, const char *jsonl_path,
                                   const llmt_run_meta *meta, const llmt_summary *s,
                                   llmt_error *err)
{
    llmt_buf b = {0};
    char started[32], finished[32];
    llmt_status st;
    size_t i;
    llmt_iso_time(meta->started_at, started, sizeof started);
    llmt_iso_time(meta->finished_at, finished, sizeof finished);
    llmt_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>llm-tester run ");
    llmt_markup_escape(&b, meta->run_id);
    llmt_buf_puts(&b, "</title>\n");
    llmt_buf_puts(&b, style);
    llmt_buf_puts(&b, "</head><body>\n<h1>llm-tester run ");
    llmt_markup_escape(&b, meta->run_id);
    llmt_buf_printf(&b, "</h1>\n<p>Started %s, finished %s. Total cost $%.6f.</p>\n<h2>Summary</h2>\n",
                    started, finished, s->total_cost);
    llmt_buf_puts(&b, "<table class=\"sortable\" id=\"summary\"><tr><th>model</th><th>cases</th><th>errors</th>"
                      "<th>valid</th><th>mean accuracy</th><th>stddev</th><th>min</th><th>max</th>"
                      "<th>tokens</th><th>cost (USD)</th><th>mean latency</th></tr>\n");
    for (i = 0; i < s->n_models; i++) {
        const llmt_model_summary *m = &s->models[i];
        double mean = llmt_summary_mean(m->acc_sum, m->results);
        llmt_buf_puts(&b, "<tr><td>");
        llmt_markup_escape(&b, m->model_ref);
        llmt_buf_printf(&b, "</td><td>%zu</td><td>%zu</td><td>%zu</td><td data-v=\"%.4f\">%.2f%%</td>"
                            "<td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%ld</td><td data-v=\"%.10f\">%s$%.6f</td>"
                            "<td data-v=\"%.3f\">%.0f ms</td></tr>\n",
                        m->results, m->errors, m->valid, mean, mean,
                        llmt_summary_stddev(m->acc_sum, m->acc_sq_sum, m->results),
                        m->results ? m->acc_min : 0, m->results ? m->acc_max : 0,
                        m->input_tokens + m->output_tokens, m->cost_usd, m->cost_unknown ? "&ge; " : "",
                        m->cost_usd, llmt_summary_mean(m->latency_sum, m->results),
                        llmt_summary_mean(m->latency_sum, m->results));
    }
    llmt_buf_puts(&b, "</table>\n<h2>Results</h2>\n<table class=\"sortable\" id=\"results\"><tr><th>task</th>"
                      "<th>case</th><th>model</th><th>run</th><th>accuracy</th><th>valid</th><th>tokens</th>"
                      "<th>cost</th><th>latency</th><th>details</th></tr>\n");
    st = llmt_jsonl_foreach(jsonl_path, result_row, &b, err);
    llmt_buf_puts(&b, "</table>\n");
    llmt_buf_puts(&b, script);
    llmt_buf_puts(&b, "</body></html>\n");
    return llmt_report_save(path, &b, st, err);
}
