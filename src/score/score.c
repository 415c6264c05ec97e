/* Interim scorer: fraction of expected top-level keys whose values are equal. */
#include "score/score.h"

#include <string.h>

void llmt_score_options_init(llmt_score_options *o)
{
    memset(o, 0, sizeof(*o));
    o->threshold = 80;
}

const char *llmt_list_mode_name(llmt_list_mode m)
{
    return m == LLMT_LIST_SET_SIMILARITY       ? "set_similarity"
           : m == LLMT_LIST_ORDERED_SIMILARITY ? "ordered_similarity"
                                               : "ordered_exact";
}

bool llmt_list_mode_parse(const char *s, llmt_list_mode *out)
{
    int m;
    for (m = 0; m < 3; m++) {
        if (strcmp(s, llmt_list_mode_name((llmt_list_mode)m)) == 0) {
            *out = (llmt_list_mode)m;
            return true;
        }
    }
    return false;
}

llmt_status llmt_score_options_apply_json(llmt_score_options *o, json_t *scoring, const char *file,
                                          llmt_error *err)
{
    (void)o;
    (void)scoring;
    (void)file;
    (void)err;
    return LLMT_OK;
}

llmt_status llmt_score(const json_t *expected, const json_t *actual, const llmt_score_options *o,
                       llmt_score_result *out, llmt_error *err)
{
    const char *key;
    json_t *v;
    size_t total = 0, hits = 0;
    (void)o;
    (void)err;
    out->fields = json_array();
    if (!json_is_object(expected) || !json_is_object(actual)) {
        out->accuracy = json_equal((json_t *)expected, (json_t *)actual) ? 100 : 0;
        return LLMT_OK;
    }
    json_object_foreach((json_t *)expected, key, v) {
        json_t *a = json_object_get(actual, key);
        total++;
        if (a && json_equal(v, a))
            hits++;
    }
    out->accuracy = total ? 100.0 * (double)hits / (double)total : 100;
    return LLMT_OK;
}

void llmt_score_result_free(llmt_score_result *r)
{
    json_decref(r->fields);
    r->fields = NULL;
}
