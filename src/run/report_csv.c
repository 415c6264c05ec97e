/* results.csv: one row per result, RFC 4180 quoting, for spreadsheets and scripts. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "run/output.h"

/* A text field. One that starts like a formula (=, +, -, @, a tab or a carriage
 * return) gets a leading ' inside quotes, so a spreadsheet shows it as text instead of
 * evaluating it (a task or case named "=HYPERLINK(...)" ran as a formula). */
static void csv_field(llmt_buf *b, const char *s)
{
    bool formula = s && s[0] && strchr("=+-@\t\r", s[0]) != NULL;
    bool quote = s && (formula || strpbrk(s, ",\"\r\n") != NULL);
    if (!s)
        return;
    if (!quote) {
        llmt_buf_puts(b, s);
        return;
    }
    llmt_buf_puts(b, formula ? "\"'" : "\"");
    for (; *s; s++) {
        if (*s == '"')
            llmt_buf_puts(b, "\"\"");
        else
            llmt_buf_append(b, s, 1);
    }
    llmt_buf_puts(b, "\"");
}

static void csv_row(json_t *r, void *ud)
{
    llmt_buf *b = ud;
    json_t *usage = json_object_get(r, "usage"), *err = json_object_get(r, "error");
    json_t *cost = json_object_get(usage, "cost_usd");
    csv_field(b, json_string_value(json_object_get(r, "task")));
    llmt_buf_puts(b, ",");
    csv_field(b, json_string_value(json_object_get(r, "case")));
    llmt_buf_puts(b, ",");
    csv_field(b, json_string_value(json_object_get(r, "provider")));
    llmt_buf_puts(b, ",");
    csv_field(b, json_string_value(json_object_get(r, "model")));
    llmt_buf_printf(b, ",%lld,%.4f,%s,%lld,%lld,", (long long)json_integer_value(json_object_get(r, "repeat")) + 1,
                    json_number_value(json_object_get(r, "accuracy")),
                    json_is_true(json_object_get(r, "valid")) ? "true" : "false",
                    (long long)json_integer_value(json_object_get(usage, "input_tokens")),
                    (long long)json_integer_value(json_object_get(usage, "output_tokens")));
    if (json_is_number(cost)) /* what this run paid: a cached answer's price is saved_usd */
        llmt_buf_printf(b, "%.8f", json_number_value(cost) - json_number_value(json_object_get(usage, "saved_usd")));
    llmt_buf_printf(b, ",%s,%.1f,", json_is_true(json_object_get(r, "cached")) ? "true" : "false",
                    json_number_value(json_object_get(r, "latency_ms")));
    if (json_is_object(err)) {
        csv_field(b, json_string_value(json_object_get(err, "class")));
        llmt_buf_puts(b, ",");
        csv_field(b, json_string_value(json_object_get(err, "message")));
    } else if (json_is_true(json_object_get(r, "fallback"))) {
        /* the model under test failed: its last failure, the fallback answered */
        llmt_summary_entry e;
        memset(&e, 0, sizeof e);
        llmt_summary_entry_primary(r, &e);
        csv_field(b, e.primary_class ? e.primary_class : "fallback");
        llmt_buf_puts(b, ",");
        csv_field(b, e.primary_message);
    } else {
        llmt_buf_puts(b, ",");
    }
    llmt_buf_puts(b, ",");
    csv_field(b, json_string_value(json_object_get(r, "answered_by")));
    llmt_buf_puts(b, ",");
    llmt_buf_puts(b, json_is_true(json_object_get(r, "fallback")) ? "true" : "false");
    llmt_buf_puts(b, "\r\n");
}

llmt_status llmt_report_csv_write(const char *path, const char *jsonl_path,
                                  const llmt_run_meta *meta, const llmt_summary *s,
                                  llmt_error *err)
{
    llmt_buf b = {0};
    llmt_status st;
    (void)meta;
    (void)s;
    llmt_buf_puts(&b, "task,case,provider,model,run,accuracy,valid,input_tokens,output_tokens,"
                      "cost_usd,cached,latency_ms,error_class,error_message,answered_by,fallback\r\n");
    st = llmt_jsonl_foreach(jsonl_path, csv_row, &b, err);
    return llmt_report_save(path, &b, st, err);
}
