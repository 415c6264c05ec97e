/* Per-model aggregates of a run, and the compact per-result rows the console table
 * shows (a few numbers each: a 100,000-case run keeps no answers in memory). */
#ifndef LLMT_SUMMARY_H
#define LLMT_SUMMARY_H

#include <jansson.h>
#include <stddef.h>
#include <stdbool.h>
#include "core/fsum.h"
#include "run/report_stats.h"
#include "task/task.h"

/* What a row means: `results` = answered + errors + skipped. Only the model's own
 * answers count in the accuracy, validity and latency figures (an answer that is not JSON
 * or breaks the schema is an answer, scored 0 %); a case answered by a fallback is an
 * error of this model (class of its last failure) and its answer is summarised under the
 * fallback (llmt_summary.fallbacks); a provider/transport failure is an error; a budget
 * skip is skipped. Without answers there is no mean (answered == 0). */
typedef struct llmt_model_summary {
    char *model_ref;          /* "provider:model" */
    size_t results;           /* cases × repeats */
    size_t answered;          /* answered by this model itself */
    size_t errors;            /* failed, or answered only by a fallback */
    size_t skipped;           /* not sent: the budget */
    size_t valid;             /* of the answers */
    double acc_sum, acc_sq_sum, acc_min, acc_max;             /* over the answers */
    double latency_sum, latency_sq_sum, latency_min, latency_max; /* over the answers */
    long input_tokens, output_tokens;
    double cost_usd;          /* what this run paid (cached answers cost nothing) */
    double saved_usd;         /* the original price of the answers taken from the cache */
    bool cost_unknown;        /* some result had no price */
    size_t first_attempt_valid; /* valid answer from the very first attempt */
    size_t attempts;          /* requests made, retries and fallbacks included */
    size_t by_fallback;       /* answered by a fallback model (counted in errors) */
    /* the exact sums behind acc_sum, acc_sq_sum, latency_sum, latency_sq_sum, cost_usd and
     * saved_usd, which hold their rounded values: the same in any order of the results, so
     * that merged shards total exactly what one run does */
    llmt_fsum acc_f, acc_sq_f, latency_f, latency_sq_f, cost_f, saved_f;
    size_t schema_unenforced; /* answers whose schema the provider was not asked to enforce
                                 (json_object, prompt_only or "strict": false) */
    unsigned modes;           /* structured modes seen: 1 << llmt_structured_mode */
    json_t *schema_relaxed;   /* keywords moved out of what was sent, each once (array,
                                 owned), or NULL */
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
    unsigned answerer;           /* by_fallback: index into llmt_summary.fallbacks */
    int repeat;
    double accuracy, latency_ms, cost_usd;
    long tokens;
    bool valid, cost_known;
    bool failed;                 /* no answer of the model's own: error_class says why */
    bool answered;               /* the model's own answer (accuracy counts) */
    bool by_fallback;            /* answered by a fallback: accuracy is the fallback's */
    bool skipped;                /* not sent (budget) */
    bool cached;                 /* answered from the response cache */
    char error_class[24];
} llmt_result_row;

/* qsort order of pointers to rows: task, case, model, repeat (the order of the tables). */
int llmt_result_row_cmp(const void *a, const void *b);

typedef struct llmt_summary {
    llmt_model_summary *models;
    size_t n_models;
    llmt_result_row *rows;
    size_t n_rows, cap_rows;
    double total_cost;                 /* what this run paid */
    double total_saved;                /* original price of the cached answers */
    llmt_fsum total_cost_f, total_saved_f; /* the exact sums behind the two */
    llmt_model_summary *fallbacks;     /* answers given by fallback models, per answerer */
    size_t n_fallbacks;
    int max_repeat;                    /* largest repeat index of the rows (0 without --repeat) */
    llmt_error_group *errors;
    size_t n_errors;
    const llmt_taskset *tasks;         /* borrowed, optional: names for per-case stats */
    /* Set by the run that sent the calls (not by a summary rebuilt from a results file):
     * the answers whose reported usage cost more than the estimate the budget reserved
     * for them (input estimate plus output bound), and the total excess. */
    bool over_estimate_measured;
    size_t over_estimate_calls;
    double over_estimate_usd;
    /* Per answering model and field, how often it lost points (the console's "most lost"
     * line): fed by the run's result writer as it scores (llmt_result_input.field_stats)
     * and by llmt_summary_add from a result's "fields", so nothing reads results.jsonl
     * back for it. Only the `fields` part of the struct is used. */
    llmt_report_stats fields;
} llmt_summary;

/* What the summary takes from one result: the values of its fields as a reader of the
 * result line sees them (an absent number reads as 0). Strings are borrowed for the call. */
typedef struct llmt_summary_entry {
    int repeat;
    double accuracy, latency_ms;
    long input_tokens, output_tokens;
    double cost_usd;
    bool cost_known;           /* usage.cost_usd is a number */
    double saved_usd;          /* usage.saved_usd: the part of cost_usd that came from the
                                  cache (not paid by this run) */
    bool cached;               /* "cached": true */
    bool valid;
    bool failed;               /* "error" is an object; the next three describe it */
    const char *error_provider; /* the error's provider, else the result's; NULL: "" */
    const char *error_class;   /* NULL: "error" */
    const char *error_message; /* NULL: "" */
    size_t attempts;           /* entries of "attempts", 1 without that array */
    const char *answered_by;   /* NULL when not a string */
    const char *answered_by_model; /* when set, the answerer is answered_by ":" this (a
                                      result writer's default, spared a copy) */
    const char *structured_mode; /* of an answer: "json_schema", ...; NULL for failures */
    bool strict;               /* the answer's schema was sent to be enforced */
    const char *schema_relaxed; /* JSON array text of the keywords moved out, or NULL */
    /* answered by a fallback: the last failure of the model under test (NULL: unknown) */
    const char *primary_class;
    const char *primary_message;
} llmt_summary_entry;

/* Whether an error class means "not sent" (budget) rather than a failure. */
bool llmt_summary_class_is_skip(const char *error_class);

void llmt_summary_init(llmt_summary *s, const char *const *model_refs, size_t n_models);
/* The index of model_ref, added at the end when missing (a resumed run's results of a
 * model not on the command line). Returns false when out of memory. */
bool llmt_summary_model_index(llmt_summary *s, const char *model_ref, unsigned *index);
/* Adds one result for model index `model`. */
void llmt_summary_add_entry(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                            const llmt_summary_entry *e);
/* The same from a result object (a parsed line of results.jsonl). */
void llmt_summary_add(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                      const json_t *result);
void llmt_summary_free(llmt_summary *s);
double llmt_summary_mean(double sum, size_t n);
double llmt_summary_stddev(double sum, double sq_sum, size_t n);
/* The "summary" object of results.json: one entry per model. New reference.
 * "mean_accuracy" (and stddev/min/max) is null for a model without answers. */
json_t *llmt_summary_json(const llmt_summary *s);
/* "fallback_summary": the answers fallback models gave, one entry per answerer. */
json_t *llmt_summary_fallback_json(const llmt_summary *s);
/* The mean accuracy of m's answers into *mean; false when it has none. */
bool llmt_summary_model_mean(const llmt_model_summary *m, double *mean);
/* The entry of results.json's fallback/last-failure fields read from a result line:
 * fills e->primary_class/message from "attempts" (the last failure of the result's own
 * model). Strings borrowed from r. */
void llmt_summary_entry_primary(const json_t *r, llmt_summary_entry *e);
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
