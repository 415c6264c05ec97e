/* JSON extraction from a model's reply (src/score/extract.c): any text gives either a
 * value and a method, or no value, no method and a reason. */
#include <string.h>

#include "fuzz.h"
#include "score/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    llmt_extract_method method = LLMT_EXTRACT_BRACES;
    json_t *out = (json_t *)&method; /* must be reset on every path */
    llmt_error err;
    llmt_status st;
    llmt_error_clear(&err);
    st = llmt_extract_json(text, &out, &method, &err);
    if (st == LLMT_OK) {
        FUZZ_CHECK(out != NULL, "OK without a value");
        FUZZ_CHECK(method != LLMT_EXTRACT_NONE, "OK without a method");
        FUZZ_CHECK(llmt_extract_method_name(method) != NULL, "unnamed method");
    } else {
        FUZZ_CHECK(out == NULL, "a value on failure");
        FUZZ_CHECK(method == LLMT_EXTRACT_NONE, "a method on failure");
        FUZZ_CHECK(err.message[0] != '\0', "failure without a reason");
        FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL, "unterminated");
    }
    json_decref(out);
    free(text);
    return 0;
}
