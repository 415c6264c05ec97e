/* report.html from the inside: the data block (report_html_data.c) and the page around
 * it (report_html.c), whose script and style sheet (report_html.js, report_html.css)
 * are embedded at build time by cmake/gen_embed.cmake. */
#ifndef LLMT_REPORT_HTML_H
#define LLMT_REPORT_HTML_H

#include <jansson.h>
#include "run/output.h"
#include "task/task.h"

/* The page's script and style sheet (generated; NUL-terminated). */
extern const unsigned char llmt_report_html_js[];
extern const unsigned char llmt_report_html_css[];

/* The document the page renders: {v, mode, runs, models, tasks, paths, reasons, texts,
 * cases, results[, note, model_stats]}; docs/reports.md describes its members. */
typedef struct llmt_html_data {
    json_t *root;                 /* owned */
    json_t *runs, *models, *tasks, *paths, *reasons, *texts, *cases, *results; /* in root */
    json_t *idx;                  /* string -> index maps of the interned lists (owned) */
    const llmt_taskset *ts;       /* borrowed, optional: prompts, sources, expected answers */
    int side;                     /* 0, or 1 for the newer run of a comparison */
    size_t source_max;            /* bytes of a case's source shown */
    bool oom;
} llmt_html_data;

/* `mode` is "run" or "diff". `ts` (borrowed, may be NULL) must outlive `d`. */
llmt_status llmt_html_data_init(llmt_html_data *d, const char *mode, const llmt_taskset *ts,
                                llmt_error *err);
void llmt_html_data_free(llmt_html_data *d);
/* Adds one entry to "runs" (the older run first in a comparison). */
void llmt_html_data_add_run(llmt_html_data *d, const llmt_run_meta *meta);
/* The index of model `ref` in "models" (added when new). */
json_int_t llmt_html_data_model(llmt_html_data *d, const char *ref);
/* Adds every result of a results.jsonl, marked with `side` (0 = older run). */
llmt_status llmt_html_data_add_results(llmt_html_data *d, const char *jsonl_path, int side,
                                       llmt_error *err);
/* Writes the page for `d` to `path` atomically, or to stdout when path is "-". */
llmt_status llmt_html_page_write(const char *path, const char *title, llmt_html_data *d,
                                 llmt_error *err);

#endif
