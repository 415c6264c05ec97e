/* Run output files: results.jsonl streamed as results arrive (one flushed line per
 * result, so a crash loses at most the line being written), and results.json plus
 * reports written at the end from it, atomically (temp file + rename). */
#ifndef LLMT_OUTPUT_H
#define LLMT_OUTPUT_H

#include <stdio.h>
#include <jansson.h>
#include "llmt/error.h"
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
} llmt_output;

/* Creates `dir` and opens results.jsonl (truncating, or appending when `append`). */
llmt_status llmt_output_open(llmt_output *o, const char *dir, bool append, llmt_error *err);
/* Appends one result line and flushes. */
llmt_status llmt_output_append(llmt_output *o, const json_t *result, llmt_error *err);
/* Closes results.jsonl and writes results.json from it. */
llmt_status llmt_output_finish_json(llmt_output *o, const llmt_run_meta *meta,
                                    const llmt_summary *s, llmt_error *err);
void llmt_output_close(llmt_output *o);

/* Calls fn for each complete line of a results.jsonl (a torn last line is skipped). */
typedef void (*llmt_jsonl_fn)(json_t *result, void *ud);
llmt_status llmt_jsonl_foreach(const char *path, llmt_jsonl_fn fn, void *ud, llmt_error *err);

/* Writes report.md for the run (reads results.jsonl for the field details). */
llmt_status llmt_report_md_write(const char *path, const char *jsonl_path,
                                 const llmt_run_meta *meta, const llmt_summary *s,
                                 llmt_error *err);

#endif
