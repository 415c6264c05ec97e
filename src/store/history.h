/* Run history in SQLite: every run's per-model summary and per-result numbers, so runs
 * can be listed, compared ("does it still hold after a change?") and used to recommend
 * models on the accuracy/cost Pareto front. Answers themselves stay in the output files. */
#ifndef LLMT_HISTORY_H
#define LLMT_HISTORY_H

#include <jansson.h>
#include "llmt/error.h"
#include "run/output.h"
#include "run/summary.h"

typedef struct llmt_history llmt_history;

/* Opens (creating when needed, with its folder) the database at `path`. */
llmt_status llmt_history_open(llmt_history **out, const char *path, llmt_error *err);
void llmt_history_close(llmt_history *h);

/* Records a finished run: meta, per-model summary, and every result of `jsonl_path`
 * (NULL when the run wrote no files: then only the summary rows are stored).
 * One transaction: a run is stored whole or not at all. */
llmt_status llmt_history_record(llmt_history *h, const llmt_run_meta *meta, const char *label,
                                const llmt_summary *s, const char *jsonl_path, llmt_error *err);

/* Notes the --seed of a recorded run (shown by `history show`). */
llmt_status llmt_history_set_seed(llmt_history *h, const char *run_id, uint64_t seed, llmt_error *err);

/* Newest first, at most `limit` (0 = all): [{run_id, started_at, label, results, models:[...]}]. */
llmt_status llmt_history_list(llmt_history *h, size_t limit, json_t **out, llmt_error *err);
/* The summary of one run, with its label and seed (a decimal string, null when unknown).
 * RUN is "latest", "previous", a label (the newest run carrying it) or an id prefix that
 * is unique; the same names work for compare and recommend. */
llmt_status llmt_history_show(llmt_history *h, const char *run, json_t **out, llmt_error *err);
/* Per model and per case differences between two runs:
 * {a, b, models:[{model, a:{...}, b:{...}, delta_accuracy, delta_cost}],
 *  cases:[{task, case, model, a, b, delta}] (only cases whose accuracy changed)}. */
llmt_status llmt_history_compare(llmt_history *h, const char *run_a, const char *run_b,
                                 json_t **out, llmt_error *err);
/* Per model over a run (default latest): mean accuracy, cost per result, and whether it
 * is on the Pareto front (no other model is at least as accurate and at most as
 * expensive, and strictly better in one). Sorted by accuracy, descending. */
llmt_status llmt_history_recommend(llmt_history *h, const char *run, json_t **out,
                                   llmt_error *err);

/* Default database path for a project directory: <dir>/.llm-tester/history.db. */
char *llmt_history_default_path(const char *project_dir);

#endif
