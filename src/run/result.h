/* Turning one reply into one result: extraction, validation, scoring, and the result
 * line of results.jsonl (copied into results.json). Pure CPU work, shared by every
 * runner. */
#ifndef LLMT_RESULT_H
#define LLMT_RESULT_H

#include <jansson.h>
#include "core/util.h"
#include "llmt/provider.h"
#include "exec/engine.h"
#include "run/summary.h"
#include "score/score.h"
#include "score/validate.h"

typedef struct llmt_result_input {
    const char *task;
    const char *case_name;
    const char *provider;
    const char *model;
    int repeat;                        /* 0-based */
    const char *prompt_label;          /* "original"/"optimized" (run --optimize), or NULL */
    const json_t *expected;
    const llmt_schema *schema;         /* may be NULL */
    const llmt_score_options *scoring;
    const llmt_response *response;     /* NULL when the call failed */
    const llmt_error *error;           /* when the call failed */
    double latency_ms;                 /* when the call failed: time spent */
    /* from the engine (all optional: NULL/false means a single attempt) */
    const llmt_attempts *attempts;     /* every attempt, borrowed */
    const char *answered_by;           /* "provider:model" that answered */
    bool has_totals;                   /* usage_total/cost_total cover every attempt */
    llmt_usage usage_total;
    double cost_total;
    bool cost_total_known;
    bool batch;                        /* went through a batch API: "batch": true */
    /* optional: each scored field of the answer is added here, under the model that
     * answered, as it is scored (the summary's "most lost" figures) */
    struct llmt_report_stats *field_stats;
} llmt_result_input;

/* Appends the result line of `in` (one compact JSON object, ASCII only, no line end) to
 * b, printed directly rather than through a jansson tree of the whole result (building,
 * printing and freeing that tree was most of the result thread's work). The bytes are
 * what llmt_json_dump_compact(tree, b, true) prints for the tree built the old way, a
 * field left out where jansson would refuse its value (a string that is not UTF-8, a
 * non-finite real); tests/unit/test_result.c keeps that builder and compares the two.
 * Fills *e with what llmt_summary_add would read from that line; its strings point into
 * `in`. Returns false when a value cannot be printed (a tree nested too deep); b is
 * then back at its length on entry and *e is still filled. Out of memory shows as
 * b->oom. */
/* A reply that yields no JSON is kept in the result as "raw_reply": up to this many bytes
 * (cut at a character boundary, invalid UTF-8 bytes shown as '?'), then the mark
 * LLMT_RAW_REPLY_MARK and "raw_reply_truncated": true when there was more. */
#define LLMT_RAW_REPLY_MAX 16384
#define LLMT_RAW_REPLY_MARK "\n[... truncated]"

/* The "raw_reply" text of reply (malloc'd; NULL when out of memory); *truncated says
 * whether it was cut. */
char *llmt_raw_reply_text(const char *reply, bool *truncated);

bool llmt_result_write(const llmt_result_input *in, llmt_buf *b, llmt_summary_entry *e);

/* A result keeps its answer; a field detail whose actual value is the answer's value at
 * the detail's path and larger than this (bytes of JSON, roughly) says
 * "actual_in_answer": true rather than repeating it. */
#define LLMT_FIELD_ACTUAL_INLINE_MAX 4096

/* The scoring options a result line is scored with: `task`'s (NULL: the defaults),
 * shallow-copied into *out (borrowing its weights and skip_fields: never free *out),
 * with actual_inline_max set to LLMT_FIELD_ACTUAL_INLINE_MAX. */
void llmt_result_scoring(const llmt_score_options *task, llmt_score_options *out);

/* The actual value of one of result's field details: its "actual", or for
 * "actual_in_answer" the result's "answer" at the detail's "path". Borrowed; NULL when
 * the answer lacked the value. */
json_t *llmt_result_field_actual(const json_t *result, const json_t *field);

#endif
