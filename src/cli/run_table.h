/* What `run` prints at the end and the exit status it returns, from the run's summary. */
#ifndef LLMT_CLI_RUN_TABLE_H
#define LLMT_CLI_RUN_TABLE_H

#include "run/runner.h"

/* The per-result rows (up to 200), repeat statistics, the per-model summary, the answers
 * fallbacks gave and the total cost, on stdout. */
void cli_run_print_table(const llmt_run_result *r, const llmt_taskset *ts);

/* The exit status the results call for, printing why on stderr: 130 after an interrupt;
 * 2 when case files could not be read; 3 when a case × model has no answer of the model
 * under test (an error after retries, an answer only a fallback gave, a budget skip); 1
 * when a model's mean accuracy is below min_accuracy (>= 0); else 0. */
int cli_run_exit_status(const llmt_run_result *r, double min_accuracy);

/* Whether dir already holds a run's results.jsonl (a new run there would replace it). */
bool cli_has_results(const char *dir);

#endif
