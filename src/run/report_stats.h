/* Figures report.md and the console add up from results.jsonl beyond the run summary:
 * per task x model (the per-task table) and per model x field (which fields lose
 * points). Lines are read with the validating scanner (core/jscan.h), without a jansson
 * tree each, so the console's line costs a run little. */
#ifndef LLMT_REPORT_STATS_H
#define LLMT_REPORT_STATS_H

#include <jansson.h>
#include <stdio.h>
#include "core/util.h"

/* One task x model under test. A result answered by a fallback counts as an error of
 * the model under test and its accuracy is not averaged in (as in report.html). */
typedef struct llmt_task_figures {
    char *task, *model;
    size_t results, answered, valid, errors;
    double acc_sum, cost_usd;
    bool cost_unknown;
} llmt_task_figures;

/* One field (JSON pointer, list indices folded to []) of the answers of one model (the
 * one that answered: a fallback's answers count under the fallback). */
typedef struct llmt_field_figures {
    char *model, *path;
    size_t scored;     /* answers in which the field was scored */
    size_t lost;       /* ... and lost points */
    double score_sum;  /* sum of its scores (0-1) */
} llmt_field_figures;

typedef struct llmt_report_stats {
    llmt_task_figures *tasks;   /* in first-seen order */
    size_t n_tasks, cap_tasks;
    llmt_field_figures *fields; /* in first-seen order */
    size_t n_fields, cap_fields;
    char **models;              /* answering models, first-seen order */
    size_t n_models, cap_models;
    json_t *index;              /* keys -> indices (owned) */
    bool oom;
} llmt_report_stats;

/* A zeroed struct is ready too; free with llmt_report_stats_free. */
void llmt_report_stats_init(llmt_report_stats *s);
void llmt_report_stats_free(llmt_report_stats *s);
/* Adds one line of results.jsonl (a line that does not parse is skipped). */
void llmt_report_stats_add_line(llmt_report_stats *s, const char *line, size_t len);
/* Adds one scored field of an answer given by `answerer` ("provider:model"): `path` is
 * its JSON pointer (list indices are folded here), `score` 0-1. */
void llmt_report_stats_add_field(llmt_report_stats *s, const char *answerer, const char *path,
                                 double score);
/* Whether a detail of a result's "fields" counts as a scored field: it has a number as
 * its score (an "extra" key has null) and is not a "list_item" detail (those restate
 * their list's score item by item). */
bool llmt_report_stats_field_counts(const char *reason, bool score_is_number);
/* Adds the scored details of a result's "fields" array (a jansson tree, only read). */
void llmt_report_stats_add_fields_tree(llmt_report_stats *s, const char *answerer,
                                       const json_t *fields);
/* Adds every complete line of a results.jsonl. */
llmt_status llmt_report_stats_from_jsonl(llmt_report_stats *s, const char *path, llmt_error *err);
/* The fields of `model` that lost points most often (most lost answers first, then most
 * points lost), at most `max`, into out[] (borrowed); returns how many. */
size_t llmt_report_stats_top_lost(const llmt_report_stats *s, const char *model,
                                  const llmt_field_figures **out, size_t max);
/* Appends JSON pointer `path` with its list indices folded: "/items/0/name" ->
 * "/items/[]/name". */
void llmt_field_path_fold(llmt_buf *b, const char *path);
/* The console's line per model: "  most lost  MODEL  /a 8/16, /b 5/16, /c 2/16". */
void llmt_report_stats_print_most_lost(FILE *f, const llmt_report_stats *s, size_t max_fields);

#endif
