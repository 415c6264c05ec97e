/* Tasks and cases on disk (SPEC §4). Discovery keeps only names and paths, so a run
 * over 100,000 cases does not hold every text in memory; llmt_case_load() reads one. */
#ifndef LLMT_TASK_H
#define LLMT_TASK_H

#include <jansson.h>
#include "core/diag.h"

typedef struct llmt_case {
    char *name;             /* base name shared by source/prompt/expected */
    char *source_path;      /* tests/sources/<name>.txt, or NULL when only files exist */
    char *prompt_path;      /* tests/prompts/<name>.txt, or NULL (task prompt applies) */
    char *expected_path;    /* tests/expected/<name>.json */
    char **file_paths;      /* tests/sources/<name>.<png|jpg|gif|webp|pdf> */
    size_t n_files;
} llmt_case;

typedef struct llmt_task {
    char *name;
    char *dir;
    char *schema_path;
    char *schema_text;      /* loaded at discovery (one per task) */
    char *description;
    char *default_prompt;   /* task.json "prompt", or NULL */
    json_t *scoring;        /* task.json "scoring" object (owned), or NULL */
    json_t *task_json;      /* the whole task.json (owned), or NULL */
    llmt_case *cases;       /* sorted by name */
    size_t n_cases;
} llmt_task;

typedef struct llmt_taskset {
    llmt_task *tasks;       /* sorted by name */
    size_t n_tasks;
} llmt_taskset;

/* The texts of one case, loaded on demand. */
typedef struct llmt_case_data {
    char *source;           /* "" when the case has only files */
    char *prompt;           /* the case prompt, else the task prompt, else a generic one */
    char *expected_text;
    json_t *expected;       /* parsed expected answer (owned) */
} llmt_case_data;

/* Discovers tasks under `dir`: either a folder of task folders or one task folder.
 * Problems (a source without an expected file, a missing schema, bad task.json) are
 * diagnostics naming the file; the task or case concerned is left out. Returns
 * LLMT_E_IO when `dir` cannot be read. */
llmt_status llmt_tasks_discover(const char *dir, llmt_taskset *out, llmt_diags *diags,
                                llmt_error *err);
void llmt_taskset_free(llmt_taskset *ts);

llmt_status llmt_case_load(const llmt_task *task, const llmt_case *c, llmt_case_data *out,
                           llmt_error *err);
void llmt_case_data_free(llmt_case_data *d);

/* MIME type of a case file from its extension; NULL when not supported. */
const char *llmt_file_mime_type(const char *path);

#endif
