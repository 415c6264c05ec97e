/* Accuracy of an answer against the expected JSON (the weighted mean of the field
 * scores, as the Python tool computed it), with per-field details.
 *
 * The numbers are those of the Python tool (pydantic-llm-tester's _calculate_accuracy):
 * only expected keys count, weighted mean, nested objects score their own accuracy / 100,
 * three list modes, numbers exact or within a relative tolerance (booleans are the
 * numbers 1/0, as Python's bool is an int), strings case-insensitively equal or scaled
 * Indel similarity above a threshold, everything else by type-aware equality. */
#ifndef LLMT_SCORE_H
#define LLMT_SCORE_H

#include <jansson.h>
#include <stddef.h>
#include "core/util.h"
#include "llmt/error.h"

typedef enum llmt_list_mode {
    LLMT_LIST_ORDERED_EXACT = 0,      /* position-wise deep equality (default) */
    LLMT_LIST_ORDERED_SIMILARITY = 1, /* mean of per-position scores */
    LLMT_LIST_SET_SIMILARITY = 2      /* greedy: each expected item takes the best unused answer item */
} llmt_list_mode;

/* Weights and skip_fields are matched against a key by its JSON pointer ("/salary/currency")
 * first, then by its bare name at any depth (the Python tool passed its weights down to
 * nested objects by name). */
typedef struct llmt_score_options {
    llmt_list_mode list_mode;
    double tolerance;          /* relative tolerance for numbers; 0 = exact */
    double threshold;          /* fuzzy string threshold, 0-100 (default 80) */
    json_t *weights;           /* object key -> weight >= 0 (owned), or NULL: all 1 */
    json_t *skip_fields;       /* array of key names / pointers (owned), or NULL */
    /* 0: every detail holds its "actual" value. Else a detail whose actual value is the
     * answer's own value at the detail's path, and larger than this many bytes of JSON,
     * says "actual_in_answer": true instead (result lines, which keep the answer beside
     * the details: a 10 MB answer compared as one value was stored twice). */
    size_t actual_inline_max;
    /* Optional: told each scored detail as it is recorded, with its JSON pointer and score
     * (not "extra" keys, which have no score, nor "list_item" details, which restate
     * their list's score): how a run counts the fields that lose points without reading
     * its result lines back. `path` is borrowed for the call. */
    void (*on_field)(void *ud, const char *path, double score);
    void *on_field_ud;
} llmt_score_options;

/* Defaults: ordered_exact, tolerance 0, threshold 80, no weights, nothing skipped. */
void llmt_score_options_init(llmt_score_options *o);
/* Releases weights and skip_fields; the struct is back to defaults. */
void llmt_score_options_free(llmt_score_options *o);
const char *llmt_list_mode_name(llmt_list_mode m);
bool llmt_list_mode_parse(const char *s, llmt_list_mode *out);

/* Sets one weight (w >= 0), replacing an earlier one for the same key. */
llmt_status llmt_score_options_set_weight(llmt_score_options *o, const char *key, double w,
                                          llmt_error *err);
/* Adds a key to skip_fields (duplicates are kept out). */
llmt_status llmt_score_options_add_skip(llmt_score_options *o, const char *key, llmt_error *err);
/* Parses "KEY=W" as given to --weight. */
llmt_status llmt_score_options_parse_weight(llmt_score_options *o, const char *spec,
                                            llmt_error *err);

/* Applies a "scoring" object {"list_mode","tolerance","threshold","weights","skip_fields"}
 * (task.json, project config) over `o`: scalars replace, weights merge key by key,
 * skip_fields add up. `scoring` is only read. Errors (LLMT_E_CONFIG) name `file` and the
 * JSON path below `json_path` (e.g. "/scoring"), and leave `o` partly updated. */
llmt_status llmt_score_options_apply_json(llmt_score_options *o, const json_t *scoring,
                                          const char *file, const char *json_path,
                                          llmt_error *err);
/* Adds every string of a "skip_fields" array (task.json's top level) to `o`. */
llmt_status llmt_score_options_apply_skip_json(llmt_score_options *o, const json_t *skip,
                                               const char *file, const char *json_path,
                                               llmt_error *err);

typedef struct llmt_score_result {
    double accuracy;           /* 0-100 */
    /* Array (owned) of {path, expected, actual, score, weight, reason[, note]}:
     * - path: JSON pointer of the value ("" for the whole answer);
     * - actual: absent when the answer lacks the key, or replaced by
     *   "actual_in_answer": true (see llmt_score_options.actual_inline_max);
     * - score 0-1 (null for "extra"), weight: the key's weight at its level (for list
     *   items, the list's weight divided by the number of expected items);
     * - reason: match | fuzzy | missing | type_mismatch | mismatch | list_item | extra.
     * Nested objects are described by their own keys. Lists get one entry, plus one
     * "list_item" entry per expected item that lost points. Keys only in the answer are
     * listed as "extra" (not scored). expected/actual are references into the inputs. */
    json_t *fields;
} llmt_score_result;

/* Scores `actual` against `expected` (neither is modified). Never fails on odd input
 * (a type mismatch at the top is accuracy 0 with a detail saying so); fails only on
 * allocation failure (LLMT_E_NOMEM), leaving `out` empty. Free with
 * llmt_score_result_free(). */
llmt_status llmt_score(const json_t *expected, const json_t *actual, const llmt_score_options *o,
                       llmt_score_result *out, llmt_error *err);
void llmt_score_result_free(llmt_score_result *r);
/* llmt_score without the tree: the details are appended to `fields_json` as the compact
 * JSON text (ASCII only) that printing llmt_score's `fields` with llmt_json_dump_compact
 * gives, byte for byte; result lines are printed this way, without a JSON object per
 * field. *printable is false where printing that tree would fail (an expected or actual
 * value holding invalid UTF-8). On failure (LLMT_E_NOMEM) *accuracy is 0 and nothing
 * is appended. */
llmt_status llmt_score_text(const json_t *expected, const json_t *actual,
                            const llmt_score_options *o, double *accuracy, llmt_buf *fields_json,
                            bool *printable, llmt_error *err);

/* Indel similarity ratio of two UTF-8 strings, 0-100, on code points and case-sensitive:
 * 100 * (1 - (len a + len b - 2 LCS) / (len a + len b)), 100 for two empty strings
 * (rapidfuzz's fuzz.ratio). Returns a negative value on allocation failure. */
double llmt_indel_ratio(const char *a, size_t alen, const char *b, size_t blen);

/* Case-insensitive equality of two UTF-8 strings by code point (simple lower-case mapping
 * for Latin, Greek, Cyrillic, Armenian and full-width Latin letters). */
bool llmt_utf8_equal_nocase(const char *a, size_t alen, const char *b, size_t blen);

#endif
