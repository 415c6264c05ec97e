/* Run output files: results.jsonl streamed as results arrive (one flushed line per
 * result, so a crash loses at most the line being written), and results.json plus
 * reports written atomically (temp file + rename) at the end: from results.jsonl, or,
 * for results.json during a run, completed from a copy kept alongside it. */
#ifndef LLMT_OUTPUT_H
#define LLMT_OUTPUT_H

#include <stdio.h>
#include <jansson.h>
#include "core/util.h"
#include "llmt/error.h"
#include "run/result.h"
#include "run/summary.h"

typedef struct llmt_run_meta {
    char run_id[64];
    double started_at;   /* epoch seconds */
    double finished_at;
} llmt_run_meta;

typedef struct llmt_output {
    char *dir;
    char *jsonl_path;
    FILE *jsonl;
    llmt_buf line; /* pending lines (llmt_output_add), reused across batches */
    /* results.json kept alongside results.jsonl (llmt_output_json_begin) */
    bool appended;         /* results.jsonl was opened for appending: it may hold lines */
    bool json_on;          /* json_fd is open (an unnamed file in `dir`) */
    bool json_bad;         /* a write to it failed: dropped at the next check */
    int json_fd;
    llmt_buf json_buf;     /* what is not written to it yet */
    size_t json_n;         /* results in its array */
    size_t json_head_len;  /* bytes of its header, rewritten at the end */
    size_t json_size, json_synced; /* bytes written, bytes handed to the disk */
} llmt_output;

/* Creates `dir` and opens results.jsonl (truncating, or appending when `append`). */
llmt_status llmt_output_open(llmt_output *o, const char *dir, bool append, llmt_error *err);
/* Adds the result line of `in` (llmt_result_write) to the pending lines without writing
 * them (a batch of results then costs one write() instead of one each), and fills *e
 * for the summary (also on failure). */
llmt_status llmt_output_add(llmt_output *o, const llmt_result_input *in, llmt_summary_entry *e,
                            llmt_error *err);
/* Writes the pending lines with one write(): a process killed at any moment leaves
 * whole lines only. */
llmt_status llmt_output_flush(llmt_output *o, llmt_error *err);
/* Closes results.jsonl (everything is flushed already); the path stays valid. */
void llmt_output_end(llmt_output *o);
/* Starts keeping results.json alongside results.jsonl: each flush also appends its lines
 * there, so that llmt_output_reports_write only has to complete it. Call after
 * llmt_output_open and before the first result; the lines results.jsonl already has (a
 * resumed run) are copied first. Silently does nothing when it cannot (results.json is
 * then written from results.jsonl at the end, as llmt_reports_write does). */
void llmt_output_json_begin(llmt_output *o, const llmt_run_meta *meta);
void llmt_output_close(llmt_output *o);

/* Calls fn for each complete line of a results.jsonl, as text without its line end (a
 * torn last line is skipped). */
typedef void (*llmt_jsonl_line_fn)(const char *line, size_t len, void *ud);
llmt_status llmt_jsonl_lines(const char *path, llmt_jsonl_line_fn fn, void *ud, llmt_error *err);
/* Calls fn for each complete line of a results.jsonl (a torn last line is skipped). */
typedef void (*llmt_jsonl_fn)(json_t *result, void *ud);
llmt_status llmt_jsonl_foreach(const char *path, llmt_jsonl_fn fn, void *ud, llmt_error *err);

/* Report writers: each writes one file atomically from the run's results.jsonl and
 * summary. report.md / report.html list, per case × model, the fields that lost points;
 * junit.xml makes failed calls errors and invalid answers failures; results.csv is one
 * row per result. */
llmt_status llmt_report_md_write(const char *path, const char *jsonl_path,
                                 const llmt_run_meta *meta, const llmt_summary *s,
                                 llmt_error *err);
llmt_status llmt_report_html_write(const char *path, const char *jsonl_path,
                                   const llmt_run_meta *meta, const llmt_summary *s,
                                   llmt_error *err);
/* report.html in diff mode for two runs' results.jsonl (the older first): per model
 * deltas, the cases that got worse first, the two answers side by side. `ts` (may be
 * NULL) supplies prompts, sources and expected answers. */
llmt_status llmt_report_html_compare_write(const char *path, const char *old_jsonl,
                                           const llmt_run_meta *old_meta, const char *new_jsonl,
                                           const llmt_run_meta *new_meta, const llmt_taskset *ts,
                                           llmt_error *err);
/* report.html in diff mode from `history compare`'s result (llmt_history_compare):
 * figures only, as the history keeps no answers. `path` "-" writes to stdout. */
llmt_status llmt_report_html_history_write(const char *path, const json_t *compare, llmt_error *err);
llmt_status llmt_report_junit_write(const char *path, const char *jsonl_path,
                                    const llmt_run_meta *meta, const llmt_summary *s,
                                    llmt_error *err);
llmt_status llmt_report_csv_write(const char *path, const char *jsonl_path,
                                  const llmt_run_meta *meta, const llmt_summary *s,
                                  llmt_error *err);

/* Shared by the writers: fails on an earlier error `st` or an allocation failure in `b`,
 * else writes `b` to `path` atomically. Frees `b` in every case. */
llmt_status llmt_report_save(const char *path, llmt_buf *b, llmt_status st, llmt_error *err);
/* Appends `s` escaped for HTML and XML text and attributes (both accept &#39; and
 * neither accepts raw control characters, which become spaces). NULL appends nothing. */
void llmt_markup_escape(llmt_buf *b, const char *s);

/* Report formats (bits); names, files and writers: run/formats.h. */
enum {
    LLMT_FORMAT_JSON = 1u << 0,  /* results.json */
    LLMT_FORMAT_MD = 1u << 1,    /* report.md */
    LLMT_FORMAT_HTML = 1u << 2,  /* report.html */
    LLMT_FORMAT_JUNIT = 1u << 3, /* junit.xml */
    LLMT_FORMAT_CSV = 1u << 4    /* results.csv */
};
/* Parses "md,json,html" into bits; false (and *bad set to the offending name) when a
 * name is unknown. */
bool llmt_formats_parse(const char *list, unsigned *out, char *bad, size_t bad_size);

/* Builds a summary (models in first-seen order) from a results.jsonl. */
llmt_status llmt_summary_from_jsonl(llmt_summary *s, const char *jsonl_path, llmt_error *err);

/* Writes results.json (when asked) and every report in `formats` into `dir` from
 * `jsonl_path`. Used by `llm-tester report` and `merge`. */
llmt_status llmt_reports_write(const char *dir, const char *jsonl_path, const llmt_run_meta *meta,
                               const llmt_summary *s, unsigned formats, llmt_error *err);
/* llmt_reports_write for the run that wrote `o` (after llmt_output_end): the same files
 * and bytes, results.json completed from the copy kept alongside when there is one. */
llmt_status llmt_output_reports_write(llmt_output *o, const llmt_run_meta *meta,
                                      const llmt_summary *s, unsigned formats, llmt_error *err);

#endif
