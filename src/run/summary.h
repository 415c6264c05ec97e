/* Per-model aggregates of a run, and the compact per-result rows the console table
 * shows (a few numbers each: a 100,000-case run keeps no answers in memory). */
#ifndef LLMT_SUMMARY_H
#define LLMT_SUMMARY_H

#include <jansson.h>
#include <stddef.h>
#include <stdbool.h>
#include "task/task.h"

typedef struct llmt_model_summary {
    char *model_ref;          /* "provider:model" */
    size_t results;           /* cases × repeats */
    size_t errors;
    size_t valid;
    double acc_sum, acc_sq_sum, acc_min, acc_max;
    double latency_sum, latency_sq_sum, latency_min, latency_max;
    long input_tokens, output_tokens;
    double cost_usd;
    bool cost_unknown;        /* some result had no price */
    size_t first_attempt_valid; /* valid answer from the very first attempt */
    size_t attempts;          /* requests made, retries and fallbacks included */
    size_t by_fallback;       /* answered by a fallback model */
} llmt_model_summary;

/* Failures grouped by provider and class, with one example message (console summary). */
typedef struct llmt_error_group {
    char provider[64];
    char error_class[24];
    size_t count;
    char *example;
} llmt_error_group;

/* Statistics of the repeats of one case × model (--repeat). */
typedef struct llmt_case_stats {
    unsigned task, kase, model;
    size_t n;
    double acc_mean, acc_stddev, acc_min, acc_max;
    double lat_mean, lat_stddev, lat_min, lat_max;
} llmt_case_stats;

typedef struct llmt_result_row {
    unsigned task, kase, model;  /* indices */
    int repeat;
    double accuracy, latency_ms, cost_usd;
    long tokens;
    bool valid, failed, cost_known;
    char error_class[24];
} llmt_result_row;

/* qsort order of pointers to rows: task, case, model, repeat (the order of the tables). */
int llmt_result_row_cmp(const void *a, const void *b);

typedef struct llmt_summary {
    llmt_model_summary *models;
    size_t n_models;
    llmt_result_row *rows;
    size_t n_rows, cap_rows;
    double total_cost;
    int max_repeat;                    /* largest repeat index of the rows (0 without --repeat) */
    llmt_error_group *errors;
    size_t n_errors;
    const llmt_taskset *tasks;         /* borrowed, optional: names for per-case stats */
} llmt_summary;

/* What the summary takes from one result: the values of its fields as a reader of the
 * result line sees them (an absent number reads as 0). Strings are borrowed for the call. */
typedef struct llmt_summary_entry {
    int repeat;
    double accuracy, latency_ms;
    long input_tokens, output_tokens;
    double cost_usd;
    bool cost_known;           /* usage.cost_usd is a number */
    bool valid;
    bool failed;               /* "error" is an object; the next three describe it */
    const char *error_provider; /* the error's provider, else the result's; NULL: "" */
    const char *error_class;   /* NULL: "error" */
    const char *error_message; /* NULL: "" */
    size_t attempts;           /* entries of "attempts", 1 without that array */
    const char *answered_by;   /* NULL when not a string */
    const char *answered_by_model; /* when set, the answerer is answered_by ":" this (a
                                      result writer's default, spared a copy) */
} llmt_summary_entry;

void llmt_summary_init(llmt_summary *s, const char *const *model_refs, size_t n_models);
/* Adds one result for model index `model`. */
void llmt_summary_add_entry(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                            const llmt_summary_entry *e);
/* The same from a result object (a parsed line of results.jsonl). */
void llmt_summary_add(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                      const json_t *result);
void llmt_summary_free(llmt_summary *s);
double llmt_summary_mean(double sum, size_t n);
double llmt_summary_stddev(double sum, double sq_sum, size_t n);
/* The "summary" object of results.json: one entry per model. New reference. */
json_t *llmt_summary_json(const llmt_summary *s);
/* Groups the rows by case × model (rows of one group are the repeats) into a malloc'd
 * array (*out, *n); order: task, case, model. Returns false on allocation failure. */
bool llmt_summary_case_stats(const llmt_summary *s, llmt_case_stats **out, size_t *n);
/* The largest number of results of one case × model (1 without --repeat, 0 without
 * rows). Rows are unique per case × model × repeat (the runner and --resume keep them
 * so), so when every row is repeat 0 this is 1 without grouping the rows: grouping
 * sorts them, which at the end of a 10,000-case run took longer than writing
 * results.json. */
size_t llmt_summary_max_repeats(const llmt_summary *s);
/* Per case × model repeat statistics for results.json ("repeat_stats"). New reference. */
json_t *llmt_summary_cases_json(const llmt_summary *s);

#endif
