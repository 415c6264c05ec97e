/* The --optimize part of `run` (see run/optimize.h), kept out of cmd_run.c. */
#ifndef LLMT_CLI_RUN_OPTIMIZE_H
#define LLMT_CLI_RUN_OPTIMIZE_H

#include "cli/cli.h"
#include "run/runner.h"

typedef struct cli_optimize_opts {
    bool on;                        /* --optimize */
    const char *optimizer_model;    /* --optimizer-model P:M, or NULL */
    bool save_optimized;            /* --save-optimized */
} cli_optimize_opts;

/* The options, to append to run's table (three entries, no terminator). */
#define CLI_OPTIMIZE_OPTIONS(o)                                                                  \
    {"optimize", 0, OPT_FLAG, NULL,                                                              \
     "after the run, amend the prompt of each case below 100 % from its field problems, re-run " \
     "those cases and compare", &(o).on, NULL},                                                  \
    {"optimizer-model", 0, OPT_STRING, "P:M",                                                    \
     "with --optimize: this model rewrites the prompts (its cost counts)", &(o).optimizer_model, \
     NULL},                                                                                      \
    {"save-optimized", 0, OPT_FLAG, NULL,                                                        \
     "with --optimize: also write <task>/tests/prompts/optimized/<case>.txt", &(o).save_optimized, NULL}

/* Checks the options before the run (an output folder, a known optimizer model).
 * 0 or an exit code, the error printed. */
int cli_optimize_check(const cli_optimize_opts *o, llmt_manager *mgr, const char *output_dir);
/* Runs the optimization after the run `ro` wrote `output_dir`, prints the comparison.
 * 0 or an exit code. */
int cli_optimize_after(cli_ctx *ctx, const cli_optimize_opts *o, llmt_manager *mgr,
                       const llmt_run_options *ro, const char *output_dir);

#endif
