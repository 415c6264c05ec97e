#include "task/check.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "score/validate.h"

static bool has_case(const llmt_task *t, const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < t->n_cases; i++)
        if (strlen(t->cases[i].name) == len && strncmp(t->cases[i].name, name, len) == 0)
            return true;
    return false;
}

static void check_prompts(const llmt_task *t, llmt_diags *diags)
{
    char **names = NULL;
    size_t n = 0, i;
    if (!llmt_is_dir(t->prompts_dir) || llmt_list_dir(t->prompts_dir, &names, &n, NULL) != LLMT_OK)
        return;
    for (i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        char *full = llmt_path_join(t->prompts_dir, names[i]);
        if (!llmt_str_ends_with(names[i], ".txt"))
            llmt_diags_add(diags, LLMT_DIAG_WARNING, full, "", "ignored: prompts are <case>.txt");
        else if (!has_case(t, names[i], len - 4))
            llmt_diags_add(diags, LLMT_DIAG_ERROR, full, "",
                           "prompt without a case (no tests/sources/%.*s.txt): its case would use "
                           "the task's default prompt",
                           (int)(len - 4), names[i]);
        free(full);
    }
    llmt_free_strv(names, n);
}

/* The expected answer of case `c` against the task's schema (NULL: not compiled). */
static void check_expected(const llmt_task *t, const llmt_case *c, const llmt_schema *schema,
                           llmt_diags *diags)
{
    llmt_case_data data;
    llmt_error err;
    json_t *violations;
    char *path;
    if (llmt_case_load(t, c, &data, &err) != LLMT_OK) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, t->expected_dir, "", "case '%s/%s': %s", t->name,
                       c->name, err.message);
        return;
    }
    violations = schema ? json_array() : NULL;
    if (schema && violations && !llmt_schema_validate(schema, data.expected, violations)) {
        path = llmt_asprintf("%s/%s.json", t->expected_dir, c->name);
        llmt_diags_add(diags, LLMT_DIAG_WARNING, path, "",
                       "the expected answer does not satisfy the task's schema.json (%zu "
                       "problem(s), first: %s): fix the answer or the schema",
                       json_array_size(violations),
                       json_string_value(json_array_get(violations, 0)));
        free(path);
    }
    json_decref(violations);
    llmt_case_data_free(&data);
}

void llmt_task_check(const llmt_task *t, llmt_diags *diags)
{
    json_t *doc = json_loads(t->schema_text, 0, NULL);
    llmt_schema *schema = doc ? llmt_schema_compile(doc, t->schema_path, diags) : NULL;
    size_t i;
    for (i = 0; i < t->n_cases; i++)
        check_expected(t, &t->cases[i], schema, diags);
    check_prompts(t, diags);
    llmt_schema_free(schema);
    json_decref(doc);
}
