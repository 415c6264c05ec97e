/* Interim validator: checks the top-level type and required keys only. */
#include "score/validate.h"

#include <stdlib.h>

struct llmt_schema {
    json_t *schema;
};

llmt_schema *llmt_schema_compile(const json_t *schema, const char *file, llmt_diags *diags)
{
    llmt_schema *s;
    if (!json_is_object(schema)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, file, "", "a schema must be an object");
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s)
        s->schema = json_incref((json_t *)schema);
    return s;
}

void llmt_schema_free(llmt_schema *s)
{
    if (!s)
        return;
    json_decref(s->schema);
    free(s);
}

bool llmt_schema_validate(const llmt_schema *s, const json_t *instance, json_t *violations)
{
    json_t *req = json_object_get(s->schema, "required"), *k;
    size_t i;
    bool ok = true;
    if (!json_is_object(instance)) {
        if (violations)
            json_array_append_new(violations, json_string(": expected object"));
        return false;
    }
    json_array_foreach(req, i, k) {
        if (json_is_string(k) && !json_object_get(instance, json_string_value(k))) {
            ok = false;
            if (violations)
                json_array_append_new(violations,
                                      json_sprintf("/%s: required property missing",
                                                   json_string_value(k)));
        }
    }
    return ok;
}
