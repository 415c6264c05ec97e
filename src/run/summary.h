/* Per-model aggregates of a run, and the compact per-result rows the console table
 * shows (a few numbers each: a 100,000-case run keeps no answers in memory). */
#ifndef LLMT_SUMMARY_H
#define LLMT_SUMMARY_H

#include <jansson.h>
#include <stddef.h>
#include <stdbool.h>

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
} llmt_model_summary;

typedef struct llmt_result_row {
    unsigned task, kase, model;  /* indices */
    int repeat;
    double accuracy, latency_ms, cost_usd;
    long tokens;
    bool valid, failed, cost_known;
    char error_class[24];
} llmt_result_row;

typedef struct llmt_summary {
    llmt_model_summary *models;
    size_t n_models;
    llmt_result_row *rows;
    size_t n_rows, cap_rows;
    double total_cost;
} llmt_summary;

void llmt_summary_init(llmt_summary *s, const char *const *model_refs, size_t n_models);
/* Adds one result object (as built by llmt_result_build) for model index `model`. */
void llmt_summary_add(llmt_summary *s, unsigned task, unsigned kase, unsigned model,
                      const json_t *result);
void llmt_summary_free(llmt_summary *s);
double llmt_summary_mean(double sum, size_t n);
double llmt_summary_stddev(double sum, double sq_sum, size_t n);
/* The "summary" object of results.json: one entry per model. New reference. */
json_t *llmt_summary_json(const llmt_summary *s);

#endif
