/* Runs the official JSON-Schema-Test-Suite (tests/jsonschema-suite, see its README)
 * through the validator `llm-tester score --schema` uses: every required test of draft
 * 2020-12 and draft-07, and the optional format tests of the formats llm-tester asserts.
 * The suite's remotes/ and the meta-schemas are served from a local registry as
 * http://localhost:1234/... and by their $id; nothing touches the network.
 *
 * The required tests expect `format` to be an annotation (the drafts' default), so they
 * run with formats_as_annotations; the format tests run with formats asserted, which is
 * what llm-tester does. Prints every mismatch and "N passed, N failed"; exits non-zero
 * on any mismatch. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/util.h"
#include "score/validate.h"

#define SUITE LLMT_SOURCE_DIR "/tests/jsonschema-suite"

/* Tests that cannot pass here, each with the reason. Empty: every test runs. */
static const char *const SKIP[] = {
    NULL,
};

/* The formats llm-tester checks (score/format.h); the other format files are about
 * annotation-only formats. */
static const char *const FORMATS[] = {"date", "date-time", "time", "duration", "email", "uri",
                                      "uuid", "ipv4", "ipv6", "hostname", NULL};

typedef struct tally {
    size_t passed, failed, skipped;
} tally;

static bool skipped(const char *id)
{
    size_t i;
    for (i = 0; SKIP[i]; i++)
        if (strcmp(SKIP[i], id) == 0)
            return true;
    return false;
}

static void print_errors(const llmt_diags *d)
{
    size_t i;
    for (i = 0; i < d->count; i++) {
        char *m = d->items[i].severity == LLMT_DIAG_ERROR ? llmt_diag_format(&d->items[i]) : NULL;
        if (m)
            printf("    %s\n", m);
        free(m);
    }
}

static void run_group(const char *file, json_t *group, const llmt_schema_options *opts, tally *t)
{
    const char *gdesc = json_string_value(json_object_get(group, "description"));
    json_t *tests = json_object_get(group, "tests"), *tc;
    llmt_diags diags = {0};
    llmt_schema *s = llmt_schema_compile_opts(json_object_get(group, "schema"), file, opts, &diags);
    size_t i;
    json_array_foreach(tests, i, tc) {
        const char *tdesc = json_string_value(json_object_get(tc, "description"));
        char *id = llmt_asprintf("%s: %s: %s", file, gdesc, tdesc);
        bool want = json_is_true(json_object_get(tc, "valid")), got;
        json_t *viol = json_array();
        if (skipped(id)) {
            t->skipped++;
        } else if (!s) {
            printf("FAIL %s: the schema did not compile\n", id);
            print_errors(&diags);
            t->failed++;
        } else {
            got = llmt_schema_validate(s, json_object_get(tc, "data"), viol);
            /* the fast path (no messages) must agree with the full one */
            if (got != want || got != llmt_schema_validate(s, json_object_get(tc, "data"), NULL) ||
                got != (json_array_size(viol) == 0)) {
                char *v = json_dumps(viol, JSON_COMPACT);
                printf("FAIL %s: expected %s, got %s %s\n", id, want ? "valid" : "invalid",
                       got ? "valid" : "invalid", v ? v : "");
                free(v);
                t->failed++;
            } else {
                t->passed++;
            }
        }
        json_decref(viol);
        free(id);
    }
    llmt_schema_free(s);
    llmt_diags_free(&diags);
}

static void run_file(const char *path, const char *label, const llmt_schema_options *opts, tally *t)
{
    json_error_t je;
    json_t *doc = llmt_json_load_file(path, 0, &je), *group;
    size_t i;
    if (!doc) {
        printf("FAIL %s: line %d: %s\n", path, je.line, je.text);
        t->failed++;
        return;
    }
    json_array_foreach(doc, i, group) run_group(label, group, opts, t);
    json_decref(doc);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void run_draft(const char *draft, llmt_schema_draft d, const llmt_schema_registry *reg, tally *t)
{
    llmt_schema_options req = LLMT_SCHEMA_OPTIONS_INIT, fmt = LLMT_SCHEMA_OPTIONS_INIT;
    struct dirent **names;
    char *dir = llmt_asprintf("%s/tests/%s", SUITE, draft);
    int n, i;
    size_t f;
    req.registry = fmt.registry = reg;
    req.default_draft = fmt.default_draft = d;
    req.formats_as_annotations = true;
    n = scandir(dir, &names, NULL, by_name);
    for (i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if (len > 5 && strcmp(names[i]->d_name + len - 5, ".json") == 0) {
            char *path = llmt_asprintf("%s/%s", dir, names[i]->d_name);
            char *label = llmt_asprintf("%s/%s", draft, names[i]->d_name);
            run_file(path, label, &req, t);
            free(path);
            free(label);
        }
        free(names[i]);
    }
    free(names);
    if (n < 0) {
        printf("FAIL %s: cannot read the folder\n", dir);
        t->failed++;
    }
    for (f = 0; FORMATS[f]; f++) {
        char *path = llmt_asprintf("%s/optional/format/%s.json", dir, FORMATS[f]);
        char *label = llmt_asprintf("%s/optional/format/%s.json", draft, FORMATS[f]);
        FILE *fp = fopen(path, "r");
        if (fp) { /* draft-07 has no uuid or duration tests */
            fclose(fp);
            run_file(path, label, &fmt, t);
        }
        free(path);
        free(label);
    }
    free(dir);
}

static void add_metaschema(llmt_schema_registry *reg, const char *rel)
{
    char *path = llmt_asprintf("%s/metaschemas/%s", SUITE, rel);
    json_error_t je;
    json_t *doc = llmt_json_load_file(path, 0, &je);
    if (doc)
        llmt_schema_registry_add(reg, json_string_value(json_object_get(doc, "$id")), doc);
    else
        printf("cannot read %s: %s\n", path, je.text);
    json_decref(doc);
    free(path);
}

int main(void)
{
    static const char *const metas[] = {
        "draft7-schema.json", "draft2020-12/schema.json", "draft2020-12/meta/applicator.json",
        "draft2020-12/meta/content.json", "draft2020-12/meta/core.json",
        "draft2020-12/meta/format-annotation.json", "draft2020-12/meta/format-assertion.json",
        "draft2020-12/meta/meta-data.json", "draft2020-12/meta/unevaluated.json",
        "draft2020-12/meta/validation.json", NULL};
    llmt_schema_registry *reg = llmt_schema_registry_new();
    llmt_diags diags = {0};
    tally t = {0, 0, 0};
    size_t i;
    if (llmt_schema_registry_add_dir(reg, "http://localhost:1234/", SUITE "/remotes", &diags) <= 0) {
        printf("cannot read %s/remotes\n", SUITE);
        return 1;
    }
    for (i = 0; metas[i]; i++)
        add_metaschema(reg, metas[i]);
    run_draft("draft2020-12", LLMT_SCHEMA_DRAFT_2020_12, reg, &t);
    run_draft("draft7", LLMT_SCHEMA_DRAFT_7, reg, &t);
    llmt_schema_registry_free(reg);
    llmt_diags_free(&diags);
    if (t.skipped)
        printf("%zu skipped (listed in SKIP)\n", t.skipped);
    printf("%zu passed, %zu failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}
