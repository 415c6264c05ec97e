/* `run --optimize`: after a run, every case that some model answered below 100 % gets an
 * amended prompt built from the field problems of its results (the Python tool's
 * optimizer: a line per field, missing > wrong value > list length > unexpected, then
 * tips), or rewritten by an optimizer model from the same problems; the prompts are saved
 * and those cases run again, so that original and optimized accuracy can be compared per
 * case and model. Works from the run's results.jsonl, so the runner needs no hook beyond
 * labelling result lines ("prompt": "original" / "optimized"). */
#ifndef LLMT_OPTIMIZE_H
#define LLMT_OPTIMIZE_H

#include "run/runner.h"

/* The kinds of field problem, in the order of priority (one line per field, of its
 * highest-priority kind). */
typedef enum {
    LLMT_FIELD_MISSING = 0,
    LLMT_FIELD_WRONG_VALUE = 1,
    LLMT_FIELD_LIST_LENGTH = 2,
    LLMT_FIELD_UNEXPECTED = 3
} llmt_field_problem_kind;

typedef struct llmt_field_problem {
    char *field;                   /* "location.city", "skills[2]" */
    llmt_field_problem_kind kind;
} llmt_field_problem;

/* The problems of one case, gathered over every result below 100 %. */
typedef struct llmt_case_problems {
    llmt_field_problem *v;         /* sorted by kind, then first seen */
    size_t n;
    bool invalid;                  /* an answer was not valid JSON for the schema */
} llmt_case_problems;

/* Adds the problems of one result line (its "fields", "valid", "answer") to p. */
void llmt_case_problems_add(llmt_case_problems *p, json_t *result);
/* Sorts by priority (stable: first seen first within a kind). */
void llmt_case_problems_sort(llmt_case_problems *p);
void llmt_case_problems_free(llmt_case_problems *p);

/* The original prompt amended with one instruction per problem and the tips, as the
 * Python tool did; a copy of the original when there is no problem. Caller frees. */
char *llmt_optimize_prompt_rules(const char *original, const llmt_case_problems *p);
/* The request text asking a model to rewrite `original` from the problems. Caller frees. */
char *llmt_optimize_prompt_request(const char *original, const llmt_case_problems *p);

typedef struct llmt_optimize_options {
    const llmt_run_options *run;   /* the run just made: tasks, models, execution options */
    const char *output_dir;        /* that run's output folder (holds results.jsonl) */
    const char *optimizer_model;   /* "provider:model" rewriting prompts, or NULL: rules */
    bool save_optimized;           /* also write <task>/tests/prompts/optimized/<case>.txt */
} llmt_optimize_options;

typedef struct llmt_optimize_row {
    char *task, *case_name, *model_ref;
    double original;               /* mean accuracy over repeats */
    double optimized;              /* NAN when the re-run produced no result */
    char *prompt_path;             /* the saved optimized prompt (shared by the case's rows) */
} llmt_optimize_row;

typedef struct llmt_optimize_result {
    llmt_optimize_row *rows;       /* by task, case, then the run's model order */
    size_t n_rows;
    size_t n_cases;                /* cases re-run with an amended prompt */
    size_t optimizer_calls;
    double optimizer_cost_usd;     /* what the optimizer model's calls cost */
    bool optimizer_cost_known;
    llmt_run_result rerun;         /* the re-run (written to <output>/optimized/) */
    bool rerun_done;
} llmt_optimize_result;

/* Builds the prompts, saves them (<output>/optimized_prompts/<task>/<case>.txt), re-runs
 * those cases into <output>/optimized/ with "prompt": "optimized", and writes
 * <output>/optimize.json (the comparison). Nothing to optimize is not an error
 * (n_cases 0). *out is filled (free it with llmt_optimize_result_free) in every case. */
llmt_status llmt_optimize_run(llmt_manager *mgr, const llmt_optimize_options *o,
                              llmt_optimize_result *out, llmt_diags *diags, llmt_error *err);
void llmt_optimize_result_free(llmt_optimize_result *r);

#endif
