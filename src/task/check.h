/* The checks `config validate` runs on a discovered task beyond discovery itself: what
 * `run` would refuse or silently get wrong. */
#ifndef LLMT_TASK_CHECK_H
#define LLMT_TASK_CHECK_H

#include "core/diag.h"
#include "task/task.h"

/* Adds to diags, naming each file: the schema does not compile (error); an expected
 * answer that is not JSON (error) or does not satisfy the task's own schema (warning:
 * the answer key, not the model, is then wrong); a prompt in tests/prompts/ that belongs
 * to no case (error: its case would silently use the default prompt). */
void llmt_task_check(const llmt_task *t, llmt_diags *diags);

#endif
