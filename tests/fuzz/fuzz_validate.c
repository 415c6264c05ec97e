/* The schema validator (src/score/validate.c): input is "<schema>\0<instance>" (no NUL:
 * the text is validated against itself). Compiling never crashes and either gives a
 * schema or an error diagnostic; validating reports a violation exactly when it says
 * the instance is invalid, and gives the same verdict twice. */
#include <string.h>

#include "fuzz.h"
#include "score/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *parts[2];
    size_t lens[2];
    size_t n = fuzz_split(data, size, parts, lens, 2);
    json_t *schema = json_loadb(parts[0], lens[0], JSON_DECODE_ANY, NULL);
    json_t *instance = n > 1 ? json_loadb(parts[1], lens[1], JSON_DECODE_ANY, NULL)
                             : json_incref(schema);
    llmt_diags diags = {0};
    llmt_schema *s;
    if (!schema || !instance)
        goto done;
    s = llmt_schema_compile(schema, "fuzz.schema.json", &diags);
    if (!s) {
        FUZZ_CHECK(diags.errors > 0, "compile failed without an error diagnostic");
    } else {
        json_t *v1 = json_array(), *v2 = json_array();
        bool ok1 = llmt_schema_validate(s, instance, v1);
        bool ok2 = llmt_schema_validate(s, instance, NULL);
        size_t i;
        FUZZ_CHECK(ok1 == ok2, "verdict differs without a violations array");
        FUZZ_CHECK(ok1 == (json_array_size(v1) == 0), "valid=%d with %zu violations", ok1,
                   json_array_size(v1));
        FUZZ_CHECK(json_array_size(v1) <= LLMT_SCHEMA_MAX_VIOLATIONS + 1, "too many violations");
        for (i = 0; i < json_array_size(v1); i++)
            FUZZ_CHECK(json_is_string(json_array_get(v1, i)), "violation %zu not a string", i);
        /* a second validation of the same instance agrees (no state left behind) */
        FUZZ_CHECK(llmt_schema_validate(s, instance, v2) == ok1, "second verdict differs");
        FUZZ_CHECK(json_equal(v1, v2), "second violations differ");
        json_decref(v1);
        json_decref(v2);
        llmt_schema_free(s);
    }
done:
    llmt_diags_free(&diags);
    json_decref(schema);
    json_decref(instance);
    fuzz_parts_free(parts, 2);
    return 0;
}
