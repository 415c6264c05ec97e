#include "config/jcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

const char *llmt_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

static char *child_path(const char *path, const char *key)
{
    return llmt_asprintf("%s/%s", path, key);
}

static void bad_type(llmt_jcheck *c, const char *path, const char *key, const char *want,
                     const json_t *got)
{
    char *p = child_path(path, key);
    llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, p, "expected %s, got %s", want,
                   llmt_json_type_name(got));
    free(p);
}

static json_t *get_or_missing(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                              bool required, const char *want)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v && required) {
        char *p = child_path(path, key);
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, p, "required field missing (expected %s)",
                       want);
        free(p);
    }
    return v;
}

const char *llmt_jc_string(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                           bool required, const char *dflt)
{
    json_t *v = get_or_missing(c, obj, path, key, required, "string");
    if (!v)
        return dflt;
    if (!json_is_string(v)) {
        bad_type(c, path, key, "string", v);
        return dflt;
    }
    return json_string_value(v);
}

bool llmt_jc_bool(llmt_jcheck *c, json_t *obj, const char *path, const char *key, bool dflt)
{
    json_t *v = get_or_missing(c, obj, path, key, false, "boolean");
    if (!v)
        return dflt;
    if (!json_is_boolean(v)) {
        bad_type(c, path, key, "boolean", v);
        return dflt;
    }
    return json_is_true(v);
}

double llmt_jc_number(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                      bool required, double dflt, double min)
{
    json_t *v = get_or_missing(c, obj, path, key, required, "number");
    double d;
    if (!v)
        return dflt;
    if (!json_is_number(v)) {
        bad_type(c, path, key, "number", v);
        return dflt;
    }
    d = json_number_value(v);
    if (!isfinite(d) || d < min) {
        char *p = child_path(path, key);
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, p, "expected a number >= %g, got %g",
                       min, d);
        free(p);
        return dflt;
    }
    return d;
}

long llmt_jc_int(llmt_jcheck *c, json_t *obj, const char *path, const char *key, bool required,
                 long dflt, long min)
{
    json_t *v = get_or_missing(c, obj, path, key, required, "integer");
    long n;
    if (!v)
        return dflt;
    if (!json_is_integer(v)) {
        bad_type(c, path, key, "integer", v);
        return dflt;
    }
    n = (long)json_integer_value(v);
    if (n < min) {
        char *p = child_path(path, key);
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, p, "expected an integer >= %ld, got %ld",
                       min, n);
        free(p);
        return dflt;
    }
    return n;
}

json_t *llmt_jc_array(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                      bool required)
{
    json_t *v = get_or_missing(c, obj, path, key, required, "array");
    if (v && !json_is_array(v)) {
        bad_type(c, path, key, "array", v);
        return NULL;
    }
    return v;
}

json_t *llmt_jc_object(llmt_jcheck *c, json_t *obj, const char *path, const char *key,
                       bool required)
{
    json_t *v = get_or_missing(c, obj, path, key, required, "object");
    if (v && !json_is_object(v)) {
        bad_type(c, path, key, "object", v);
        return NULL;
    }
    return v;
}

size_t llmt_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    size_t *row = calloc(lb + 1, sizeof(*row));
    size_t result;
    if (!row)
        return (size_t)-1;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    result = row[lb];
    free(row);
    return result;
}

const char *llmt_jc_suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, i, d;
    for (i = 0; known[i]; i++) {
        d = llmt_edit_distance(known[i], key);
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best && best_d <= 2 + strlen(key) / 6 ? best : NULL;
}

void llmt_jc_unknown_keys(llmt_jcheck *c, json_t *obj, const char *path, const char *const *known)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return;
    json_object_foreach(obj, key, v) {
        const char *best;
        size_t i;
        char *p;
        /* known keys first: distances are for suggestions only, and computing them for
         * every key of every built-in provider config showed in the start-up profile */
        for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
            ;
        if (known[i])
            continue;
        best = llmt_jc_suggest(key, known);
        p = child_path(path, key);
        if (best)
            llmt_diags_add(c->diags, LLMT_DIAG_WARNING, c->file, p,
                           "unknown key '%s' (did you mean '%s'?)", key, best);
        else
            llmt_diags_add(c->diags, LLMT_DIAG_WARNING, c->file, p, "unknown key '%s'", key);
        free(p);
    }
}

json_t *llmt_jc_load_text(llmt_diags *diags, const char *text, const char *file)
{
    json_error_t je;
    json_t *root = json_loads(llmt_skip_bom(text), JSON_REJECT_DUPLICATES, &je);
    if (!root)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, file, "", "invalid JSON at line %d, column %d: %s",
                       je.line, je.column, je.text);
    return root;
}

json_t *llmt_jc_load_file(llmt_diags *diags, const char *file)
{
    char *text = NULL;
    llmt_error err;
    json_t *root;
    if (llmt_read_file(file, &text, NULL, &err) != LLMT_OK) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, file, "", "cannot read: %s", err.message);
        return NULL;
    }
    root = llmt_jc_load_text(diags, text, file);
    free(text);
    return root;
}
