/* `run`: discover tasks, expand cases × models × repeats, call, score, stream results,
 * write reports. The library part of the command; the CLI only parses and prints. */
#ifndef LLMT_RUNNER_H
#define LLMT_RUNNER_H

#include "core/diag.h"
#include "llmt/manager.h"
#include "run/output.h"
#include "run/summary.h"
#include "score/score.h"
#include "task/task.h"

typedef struct llmt_run_options {
    const llmt_taskset *tasks;
    const char *const *models;     /* "provider:model" */
    size_t n_models;
    const char *filter;            /* substring of "task/case", or NULL */
    const char *output_dir;        /* NULL: no files */
    unsigned formats;              /* LLMT_FORMAT_* */
    int repeat;                    /* >= 1 */
    const llmt_score_options *scoring_override; /* command-line scoring, or NULL */
    unsigned scoring_override_mask;             /* which fields of it were given */
} llmt_run_options;

enum { LLMT_SCORE_SET_LIST_MODE = 1, LLMT_SCORE_SET_TOLERANCE = 2, LLMT_SCORE_SET_THRESHOLD = 4 };

typedef struct llmt_run_result {
    llmt_run_meta meta;
    llmt_summary summary;          /* rows and per-model aggregates */
    size_t planned;                /* calls planned */
    char *output_dir;              /* where files went, or NULL */
} llmt_run_result;

/* Validates the model list against the registry before anything is sent (unknown
 * provider/model → LLMT_E_NOT_FOUND naming it). */
llmt_status llmt_run_check_models(llmt_manager *mgr, const char *const *models, size_t n,
                                  llmt_error *err);

/* Runs everything. Provider failures are results, not a failed run; the status fails
 * only when the run could not happen (unwritable output, invalid schema...). */
llmt_status llmt_run_execute(llmt_manager *mgr, const llmt_run_options *o, llmt_run_result *out,
                             llmt_diags *diags, llmt_error *err);
void llmt_run_result_free(llmt_run_result *r);

#endif
