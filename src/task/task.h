/* Tasks and cases on disk (a folder with schema.json and tests/sources|prompts|expected). Discovery keeps only names (and the few paths that
 * are not the task's folder + name + extension), so a run over 100,000 cases does not
 * hold every text in memory; llmt_case_load() reads one. */
#ifndef LLMT_TASK_H
#define LLMT_TASK_H

#include <jansson.h>
#include "core/diag.h"

typedef struct llmt_case {
    const char *name;       /* base name shared by source/prompt/expected (in the task's
                               name block) */
    char *prompt_path;      /* tests/prompts/<name>.txt, or NULL (task prompt applies) */
    char **file_paths;      /* tests/sources/<name>.<png|jpg|gif|webp|pdf> */
    size_t n_files;
    /* tests/sources/<name>.txt exists (else the case has only files); the paths of the
     * source and of tests/expected/<name>.json are the task's folder + name + extension,
     * built when needed rather than kept (100,000 cases made them most of the memory) */
    bool has_source;
    /* the folder listings said these are regular files: read without asking their size */
    bool source_regular, expected_regular, prompt_regular;
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
    long max_output_tokens; /* task.json "max_output_tokens" (> 0), or 0: derived per case */
    llmt_case *cases;       /* sorted by name */
    size_t n_cases;
    char *sources_dir;      /* <dir>/tests/sources */
    char *expected_dir;     /* <dir>/tests/expected */
    char *prompts_dir;      /* <dir>/tests/prompts */
    char *names;            /* one block holding every case's name */
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
/* llmt_tasks_discover saying what to do with symbolic links that lead outside `dir` (a
 * case file, or a task's folder): refused with an error naming the link and its target
 * (the task or case is left out), the default, or followed when follow_symlinks. A task
 * added with llmt_tasks_add keeps its links inside its own folder. */
llmt_status llmt_tasks_discover_links(const char *dir, bool follow_symlinks, llmt_taskset *out,
                                      llmt_diags *diags, llmt_error *err);
/* Adds the task folder `dir` to ts under `name` (a task kept outside the tasks folder:
 * the project config's tasks.<name>.path; `file` and `json_path` name that setting in
 * messages). A name already in ts, a missing folder or a broken task are diagnostics,
 * as in discovery. */
llmt_status llmt_tasks_add(const char *dir, const char *name, const char *file,
                           const char *json_path, llmt_taskset *ts, llmt_diags *diags,
                           llmt_error *err);
void llmt_taskset_free(llmt_taskset *ts);

llmt_status llmt_case_load(const llmt_task *task, const llmt_case *c, llmt_case_data *out,
                           llmt_error *err);

struct llmt_batch_reader;
/* The files of one case read ahead (see llmt_case_prefetch); NULL: not read ahead. */
typedef struct llmt_case_ahead {
    const llmt_case *c;
    char *source, *prompt, *expected;
} llmt_case_ahead;

/* How many cases llmt_case_prefetch reads ahead at most. */
#define LLMT_CASE_PREFETCH 32

/* Open handles on one task's case folders, for whoever loads many cases in a row (the
 * run's loader): each file is then opened relative to its folder, a one-name path walk
 * instead of the whole path's, and the files of the next cases can be read ahead in one
 * batch. One thread at a time. */
typedef struct llmt_case_dirs {
    const llmt_task *task;          /* whose folders are open; NULL: none yet */
    int sources, expected, prompts; /* -1: not open (that folder's files go by full path) */
    struct llmt_batch_reader *reader; /* io_uring batch reads; NULL: none (yet) */
    bool reader_tried;
    llmt_case_ahead ahead[LLMT_CASE_PREFETCH]; /* read ahead, not taken yet */
    size_t n_ahead;
} llmt_case_dirs;

void llmt_case_dirs_init(llmt_case_dirs *d);
void llmt_case_dirs_close(llmt_case_dirs *d);
/* llmt_case_load through `dirs`, which are (re)opened for `task` when they hold another
 * task's folders. Same results and error messages (naming full paths). Takes what
 * llmt_case_prefetch read ahead for `c`. */
llmt_status llmt_case_load_in(llmt_case_dirs *dirs, const llmt_task *task, const llmt_case *c,
                              llmt_case_data *out, llmt_error *err);
/* Whether reading ahead from case `c` on would help: batch reads work here and c's files
 * have not been read ahead. */
bool llmt_case_prefetch_wanted(llmt_case_dirs *dirs, const llmt_case *c);
/* Reads the files of task->cases[idx[0..n)] (n <= LLMT_CASE_PREFETCH; the cases about
 * to be loaded, in order) in one batch, replacing what was read ahead before. Best
 * effort: a file it could not read is read by llmt_case_load_in as usual, which reports
 * any error. */
void llmt_case_prefetch(llmt_case_dirs *dirs, const llmt_task *task, const size_t *idx, size_t n);
void llmt_case_data_free(llmt_case_data *d);

/* MIME type of a case file from its extension; NULL when not supported. */
const char *llmt_file_mime_type(const char *path);

#endif
