/* What `run` prints on the terminal besides the results (cli/run_table.h): the dry-run
 * estimate and the errors by class. */
#ifndef LLMT_CLI_RUN_PRINT_H
#define LLMT_CLI_RUN_PRINT_H

#include "run/runner.h"

void cli_run_print_estimate(const llmt_run_estimate *e, const char *const *models, size_t n);
/* "Errors by provider and class" on stderr, when there were any. */
void cli_run_print_errors(const llmt_run_result *r);

#endif
