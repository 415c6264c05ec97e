/* Differential: src/core/jscan.c against jansson. jscan claims to accept exactly what
 * json_loadb(text, len, 0) accepts and to read the same values; every input checks the
 * verdict, and on an accepted text every member and element is compared, recursively,
 * by type, string value and integer value. */
#include <string.h>

#include <jansson.h>

#include "core/jscan.h"
#include "fuzz.h"

static void same(llmt_jval v, const json_t *j, int depth);

static void same_object(llmt_jval v, const json_t *j, int depth)
{
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)j, key, member) {
        same(llmt_jval_get(v, key), member, depth + 1);
    }
    FUZZ_CHECK(llmt_jval_type(llmt_jval_get(v, "\x01no such key")) == LLMT_J_NONE ||
                   json_object_get(j, "\x01no such key") != NULL,
               "a member jansson does not have");
}

static void same(llmt_jval v, const json_t *j, int depth)
{
    llmt_jtype t = llmt_jval_type(v);
    if (depth > 64)
        return; /* deep enough: the verdict was already compared */
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        FUZZ_CHECK(t == LLMT_J_OBJECT, "object read as %d", (int)t);
        same_object(v, j, depth);
        break;
    case JSON_ARRAY: {
        size_t i;
        FUZZ_CHECK(t == LLMT_J_ARRAY, "array read as %d", (int)t);
        FUZZ_CHECK(llmt_jval_size(v) == json_array_size(j), "array size %zu, jansson %zu",
                   llmt_jval_size(v), json_array_size(j));
        for (i = 0; i < json_array_size(j); i++)
            same(llmt_jval_at(v, i), json_array_get(j, i), depth + 1);
        FUZZ_CHECK(llmt_jval_type(llmt_jval_at(v, i)) == LLMT_J_NONE, "element past the end");
        break;
    }
    case JSON_STRING: {
        size_t n = 0;
        char *s = llmt_jval_strdup(v, &n);
        FUZZ_CHECK(t == LLMT_J_STRING && s, "string read as %d", (int)t);
        FUZZ_CHECK(n == json_string_length(j) && memcmp(s, json_string_value(j), n) == 0,
                   "string differs: \"%s\" vs \"%s\"", s, json_string_value(j));
        FUZZ_CHECK(llmt_jval_streq(v, json_string_value(j)), "streq differs");
        free(s);
        break;
    }
    case JSON_INTEGER:
        FUZZ_CHECK(t == LLMT_J_INTEGER, "integer read as %d", (int)t);
        FUZZ_CHECK(llmt_jval_integer_or(v, 0) == json_integer_value(j), "integer differs");
        break;
    case JSON_REAL:
        FUZZ_CHECK(t == LLMT_J_REAL, "real read as %d", (int)t);
        break;
    case JSON_TRUE:
        FUZZ_CHECK(t == LLMT_J_TRUE, "true read as %d", (int)t);
        break;
    case JSON_FALSE:
        FUZZ_CHECK(t == LLMT_J_FALSE, "false read as %d", (int)t);
        break;
    case JSON_NULL:
        FUZZ_CHECK(t == LLMT_J_NULL, "null read as %d", (int)t);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_bytes(data, size);
    char why[128];
    json_error_t je;
    llmt_jval root;
    bool ok = llmt_jscan_parse(text, size, &root, why, sizeof why);
    json_t *j = json_loadb(text, size, 0, &je);
    FUZZ_CHECK(ok == (j != NULL), "jscan %s (%s), jansson %s (%s)", ok ? "accepts" : "rejects",
               ok ? "" : why, j ? "accepts" : "rejects", j ? "" : je.text);
    if (ok)
        same(root, j, 0);
    else
        FUZZ_CHECK(root.p == NULL && llmt_jval_type(root) == LLMT_J_NONE, "absent root");
    json_decref(j);
    free(text);
    return 0;
}
