/* What `run` prints on the terminal: the dry-run estimate, the results tables and the
 * errors by class. */
#ifndef LLMT_CLI_RUN_PRINT_H
#define LLMT_CLI_RUN_PRINT_H

#include "run/runner.h"

void cli_run_print_estimate(const llmt_run_estimate *e, const char *const *models, size_t n);
/* Results (up to 200 rows, in task/case order), repeat statistics, the models. */
void cli_run_print_table(const llmt_run_result *r, const llmt_taskset *ts,
                         const char *const *models);
/* "Errors by provider and class" on stderr, when there were any. */
void cli_run_print_errors(const llmt_run_result *r);

#endif
