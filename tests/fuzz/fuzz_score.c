/* The scorer (src/score/score.c): input is "<expected>\0<actual>[\0<options>]". The
 * tree form (llmt_score, then printed) and the text form (llmt_score_text) must agree
 * byte for byte and on the accuracy, which stays within 0-100. */
#include <math.h>
#include <string.h>

#include "core/jsonw.h"
#include "fuzz.h"
#include "score/score.h"

/* Options from the third part: list mode, tolerance and threshold, and a weight and a
 * skipped key taken from the text after the first three bytes. */
static void options_from(llmt_score_options *o, const char *p, size_t n)
{
    llmt_error err;
    llmt_score_options_init(o);
    if (n >= 1)
        o->list_mode = (llmt_list_mode)((unsigned char)p[0] % 3);
    if (n >= 2)
        o->tolerance = (unsigned char)p[1] % 4 == 0 ? 0 : ((unsigned char)p[1]) / 255.0;
    if (n >= 3)
        o->threshold = (unsigned char)p[2] % 101;
    if (n > 3) {
        const char *key = p + 3;
        if (strlen(key) % 2)
            (void)llmt_score_options_set_weight(o, key, (double)(strlen(key) % 5), &err);
        else
            (void)llmt_score_options_add_skip(o, key, &err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *parts[3];
    size_t lens[3];
    size_t n = fuzz_split(data, size, parts, lens, 3);
    json_t *expected = json_loadb(parts[0], lens[0], JSON_DECODE_ANY, NULL);
    json_t *actual = n > 1 ? json_loadb(parts[1], lens[1], JSON_DECODE_ANY, NULL)
                           : NULL;
    llmt_score_options o;
    llmt_score_result tree = {0};
    llmt_buf printed = {0}, text = {0};
    llmt_error err;
    double accuracy = -1;
    bool printable = false;
    options_from(&o, n > 2 ? parts[2] : "", n > 2 ? lens[2] : 0);
    if (!expected || !actual)
        goto done;
    llmt_error_clear(&err);
    FUZZ_CHECK(llmt_score(expected, actual, &o, &tree, &err) == LLMT_OK, "%s", err.message);
    FUZZ_CHECK(tree.accuracy >= 0 && tree.accuracy <= 100 && !isnan(tree.accuracy),
               "accuracy %g", tree.accuracy);
    FUZZ_CHECK(llmt_score_text(expected, actual, &o, &accuracy, &text, &printable, &err) ==
                   LLMT_OK,
               "%s", err.message);
    FUZZ_CHECK(accuracy == tree.accuracy, "text accuracy %.17g, tree %.17g", accuracy,
               tree.accuracy);
    if (printable) {
        FUZZ_CHECK(llmt_json_dump_compact(tree.fields, &printed, true), "tree not printable");
        FUZZ_CHECK(printed.len == text.len && memcmp(printed.data, text.data, text.len) == 0,
                   "tree and text details differ:\n%.*s\n%.*s", (int)printed.len,
                   printed.data, (int)text.len, text.data);
    }
done:
    llmt_score_result_free(&tree);
    llmt_buf_free(&printed);
    llmt_buf_free(&text);
    llmt_score_options_free(&o);
    json_decref(expected);
    json_decref(actual);
    fuzz_parts_free(parts, 3);
    return 0;
}
