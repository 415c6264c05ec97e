/* report.html: one self-contained page (no network: its content security policy allows
 * nothing outside the file), safe to open from disk or attach to a CI run. The results
 * are embedded once as JSON and the page's script renders the views from them, only the
 * rows on screen at a time. The same page in "diff" mode compares two runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "run/report_html.h"

/* Appends JSON text so that it cannot end the <script> element holding it nor open a
 * comment: '<', '>' and '&' only occur inside strings, where \u escapes mean the same. */
static void put_script_json(llmt_buf *b, const char *json)
{
    const char *s = json, *run = json;
    for (; *s; s++) {
        const char *esc = *s == '<' ? "\\u003c" : *s == '>' ? "\\u003e" : *s == '&' ? "\\u0026" : NULL;
        if (!esc)
            continue;
        llmt_buf_append(b, run, (size_t)(s - run));
        llmt_buf_puts(b, esc);
        run = s + 1;
    }
    llmt_buf_append(b, run, (size_t)(s - run));
}

llmt_status llmt_html_page_write(const char *path, const char *title, llmt_html_data *d,
                                 llmt_error *err)
{
    llmt_buf b = {0};
    llmt_status st = LLMT_OK;
    /* 7 significant digits keep costs and accuracies exact enough and the file small */
    char *json = json_dumps(d->root, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(7));
    if (!json || d->oom) {
        free(json);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory writing %s", path);
    }
    llmt_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
                      "<meta name=\"color-scheme\" content=\"light dark\">\n<title>");
    llmt_markup_escape(&b, title);
    llmt_buf_puts(&b, "</title>\n<style>\n");
    llmt_buf_puts(&b, (const char *)llmt_report_html_css);
    llmt_buf_puts(&b, "</style></head>\n<body>\n<noscript><p>This report is drawn by a script "
                      "embedded in the file: allow scripts to see it, or read report.md.</p></noscript>\n"
                      "<div id=\"app\"></div>\n<script type=\"application/json\" id=\"llmt-data\">");
    put_script_json(&b, json);
    free(json);
    llmt_buf_puts(&b, "</script>\n<script>\n");
    llmt_buf_puts(&b, (const char *)llmt_report_html_js);
    llmt_buf_puts(&b, "</script>\n</body></html>\n");
    if (strcmp(path, "-") == 0) {
        if (b.oom)
            st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory writing the page");
        else if (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
            st = llmt_error_set(err, LLMT_E_IO, "cannot write the page to standard output");
        llmt_buf_free(&b);
        return st;
    }
    return llmt_report_save(path, &b, st, err);
}

llmt_status llmt_report_html_write(const char *path, const char *jsonl_path,
                                   const llmt_run_meta *meta, const llmt_summary *s,
                                   llmt_error *err)
{
    llmt_html_data d;
    llmt_status st = llmt_html_data_init(&d, "run", s ? s->tasks : NULL, err);
    char *title = llmt_concat3("llm-tester run ", meta->run_id, "");
    size_t i;
    if (st == LLMT_OK) {
        llmt_html_data_add_run(&d, meta);
        /* the summary's order first, so that columns follow the --models order */
        for (i = 0; s && i < s->n_models; i++)
            llmt_html_data_model(&d, s->models[i].model_ref);
        st = llmt_html_data_add_results(&d, jsonl_path, 0, err);
    }
    if (st == LLMT_OK)
        st = llmt_html_page_write(path, title ? title : "llm-tester run", &d, err);
    free(title);
    llmt_html_data_free(&d);
    return st;
}

llmt_status llmt_report_html_compare_write(const char *path, const char *old_jsonl,
                                           const llmt_run_meta *old_meta, const char *new_jsonl,
                                           const llmt_run_meta *new_meta, const llmt_taskset *ts,
                                           llmt_error *err)
{
    llmt_html_data d;
    llmt_status st = llmt_html_data_init(&d, "diff", ts, err);
    char *title = llmt_asprintf("llm-tester: %s vs %s", old_meta->run_id, new_meta->run_id);
    if (st == LLMT_OK) {
        llmt_html_data_add_run(&d, old_meta);
        llmt_html_data_add_run(&d, new_meta);
        st = llmt_html_data_add_results(&d, old_jsonl, 0, err);
    }
    if (st == LLMT_OK)
        st = llmt_html_data_add_results(&d, new_jsonl, 1, err);
    if (st == LLMT_OK)
        st = llmt_html_page_write(path, title ? title : "llm-tester comparison", &d, err);
    free(title);
    llmt_html_data_free(&d);
    return st;
}
