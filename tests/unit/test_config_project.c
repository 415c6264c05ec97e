/* The project config: discovery upward, validation (types, paths, did-you-mean),
 * defaults, and opening a project. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/project_config.h"
#include "core/util.h"

static bool has(const llmt_diags *d, llmt_diag_severity sev, const char *path, const char *needle)
{
    size_t i;
    for (i = 0; i < d->count; i++)
        if (d->items[i].severity == sev && strcmp(d->items[i].path, path) == 0 &&
            strstr(d->items[i].message, needle))
            return true;
    return false;
}

static void check_text(const char *text, llmt_diags *d)
{
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    llmt_project_config_check(root, "llm-tester.json", d);
    json_decref(root);
}

static void test_config_project_types_and_suggestions(void **state)
{
    llmt_diags d = {0};
    (void)state;
    check_text("{\"config_version\": 2, \"output_dri\": \"out\", \"run\": {\"concurrency\": \"8\","
               " \"repaet\": 2}, \"scoring\": {\"threshold\": 120, \"list_mode\": \"fuzzy\"},"
               " \"providers\": {\"mock\": {\"enabled\": \"yes\"}}, \"models\": [\"mock\"],"
               " \"cache\": {\"mode\": \"sometimes\"}}",
               &d);
    assert_true(has(&d, LLMT_DIAG_WARNING, "/output_dri", "did you mean 'output_dir'"));
    assert_true(has(&d, LLMT_DIAG_WARNING, "/run/repaet", "did you mean 'repeat'"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/run/concurrency", "expected integer, got string"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/scoring/threshold", "between 0 and 100"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/scoring/list_mode", "ordered_exact"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/providers/mock/enabled", "expected boolean"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/models/0", "provider:model"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/cache/mode", "readwrite"));
    assert_int_equal(d.errors, 6);
    llmt_diags_free(&d);
}

static void test_config_project_version_required(void **state)
{
    llmt_diags d = {0};
    (void)state;
    check_text("{\"tasks_dir\": \"tasks\"}", &d);
    assert_true(has(&d, LLMT_DIAG_ERROR, "/config_version", "required"));
    llmt_diags_free(&d);
    check_text("{\"config_version\": 9}", &d);
    assert_true(has(&d, LLMT_DIAG_ERROR, "/config_version", "newer"));
    llmt_diags_free(&d);
}

static void test_config_project_find_and_open(void **state)
{
    char dir[64], *sub, *cfg, *found, cwd[4096];
    const char *text = "{\"config_version\": 2, \"tasks_dir\": \"tasks\", \"run\": {\"repeat\": 3}}\n";
    llmt_project *p = NULL;
    llmt_diags d = {0};
    llmt_error err;
    json_t *v;
    char *tasks;
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/llmt-proj-XXXXXX");
    assert_non_null(mkdtemp(dir));
    sub = llmt_asprintf("%s/a/b", dir);
    cfg = llmt_asprintf("%s/llm-tester.json", dir);
    assert_int_equal(llmt_mkdirs(sub, NULL), LLMT_OK);
    assert_int_equal(llmt_write_file_atomic(cfg, text, strlen(text), NULL), LLMT_OK);
    found = llmt_project_config_find(sub);
    assert_non_null(found);
    assert_true(llmt_str_ends_with(found, "/llm-tester.json"));
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(sub), 0);
    assert_int_equal(llmt_project_open(NULL, &p, &d, &err), LLMT_OK);
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(p->path, found);
    tasks = llmt_project_path_setting(p, "tasks_dir");
    assert_true(llmt_str_ends_with(tasks, "/tasks"));
    assert_true(tasks[0] == '/'); /* resolved against the project folder */
    assert_int_equal(json_integer_value(llmt_project_get(p, "run/repeat")), 3);
    assert_null(llmt_project_get(p, "run/concurrency"));
    v = llmt_project_default("run/concurrency");
    assert_int_equal(json_integer_value(v), 8);
    json_decref(v);
    assert_null(llmt_project_default("output_dir"));
    llmt_project_free(p);
    /* --config naming a missing file is an error, not "no project" */
    assert_int_equal(llmt_project_open("/nonexistent/llm-tester.json", &p, &d, &err), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "/nonexistent/llm-tester.json"));
    free(tasks);
    free(found);
    free(cfg);
    free(sub);
    {
        char *cmd = llmt_asprintf("rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
    }
    llmt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_project_types_and_suggestions),
        cmocka_unit_test(test_config_project_version_required),
        cmocka_unit_test(test_config_project_find_and_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
