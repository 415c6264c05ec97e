/* Turning one reply into one result: extraction, validation, scoring, and the result
 * object of results.json / results.jsonl. Pure CPU work, shared by every runner. */
#ifndef LLMT_RESULT_H
#define LLMT_RESULT_H

#include <jansson.h>
#include "llmt/provider.h"
#include "score/score.h"
#include "score/validate.h"

typedef struct llmt_result_input {
    const char *task;
    const char *case_name;
    const char *provider;
    const char *model;
    int repeat;                        /* 0-based */
    const json_t *expected;
    const llmt_schema *schema;         /* may be NULL */
    const llmt_score_options *scoring;
    const llmt_response *response;     /* NULL when the call failed */
    const llmt_error *error;           /* when the call failed */
    double latency_ms;                 /* when the call failed: time spent */
    /* from the engine (all optional: NULL/false means a single attempt) */
    const json_t *attempts;            /* every attempt, borrowed */
    const char *answered_by;           /* "provider:model" that answered */
    bool has_totals;                   /* usage_total/cost_total cover every attempt */
    llmt_usage usage_total;
    double cost_total;
    bool cost_total_known;
} llmt_result_input;

/* Builds the result object (new reference). */
json_t *llmt_result_build(const llmt_result_input *in);

#endif
