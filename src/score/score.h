/* Accuracy of an answer against the expected JSON (SPEC §6.3), with per-field details. */
#ifndef LLMT_SCORE_H
#define LLMT_SCORE_H

#include <jansson.h>
#include "llmt/error.h"

typedef enum llmt_list_mode {
    LLMT_LIST_ORDERED_EXACT = 0,
    LLMT_LIST_ORDERED_SIMILARITY = 1,
    LLMT_LIST_SET_SIMILARITY = 2
} llmt_list_mode;

typedef struct llmt_score_options {
    llmt_list_mode list_mode;
    double tolerance;          /* relative tolerance for numbers; 0 = exact */
    double threshold;          /* fuzzy string threshold, 0-100 (default 80) */
    json_t *weights;           /* object key -> weight (borrowed), or NULL */
    json_t *skip_fields;       /* array of key names (borrowed), or NULL */
} llmt_score_options;

void llmt_score_options_init(llmt_score_options *o);
const char *llmt_list_mode_name(llmt_list_mode m);
bool llmt_list_mode_parse(const char *s, llmt_list_mode *out);

/* Applies a "scoring" object (task.json / project config) over `o`. Errors name `file`
 * and the JSON path. The weights/skip_fields pointers borrow from `scoring`. */
llmt_status llmt_score_options_apply_json(llmt_score_options *o, json_t *scoring, const char *file,
                                          llmt_error *err);

typedef struct llmt_score_result {
    double accuracy;           /* 0-100 */
    json_t *fields;            /* array of {path, expected, actual, score, weight, reason} (owned) */
} llmt_score_result;

/* Scores `actual` against `expected`. Never fails on odd input (a type mismatch at the
 * top is accuracy 0 with a detail saying so); fails only on allocation failure. */
llmt_status llmt_score(const json_t *expected, const json_t *actual, const llmt_score_options *o,
                       llmt_score_result *out, llmt_error *err);
void llmt_score_result_free(llmt_score_result *r);

#endif
